"""`assemble NER_MODEL LINKER_MODEL OUTPUT`: a linker already in the NER pipeline is replaced by
the new one (it used to be kept, silently), and swapped arguments are a coded error."""
import pytest
import spacy

from spacy_medlink.cli.assemble import assemble_pipeline


@pytest.fixture(scope="module")
def halves(tmp_path_factory):
    from sample_pipeline import train_sample_pipeline

    folder = tmp_path_factory.mktemp("assemble")
    linker_path = train_sample_pipeline(folder / "linker", epochs=1)
    ner = spacy.blank("en")
    ner.add_pipe("entity_ruler").add_patterns([{"label": "DISEASE", "pattern": "Kessler-Varga syndrome"}])
    ner.to_disk(folder / "ner")
    return folder, linker_path


def test_reassembling_replaces_the_linker_in_its_place(halves, tmp_path):
    folder, linker_path = halves
    first = assemble_pipeline(folder / "ner", linker_path, tmp_path / "first")
    newer = spacy.load(linker_path)
    newer.get_pipe("medical_entity_linker").cfg["temperature"] = 0.25
    newer.to_disk(tmp_path / "newer_linker")
    second = assemble_pipeline(tmp_path / "first", tmp_path / "newer_linker", tmp_path / "second")
    assert second.pipe_names == first.pipe_names
    assert spacy.load(tmp_path / "second").get_pipe("medical_entity_linker").cfg["temperature"] == 0.25


def test_swapped_arguments_are_a_coded_error(halves, tmp_path):
    folder, linker_path = halves
    with pytest.raises(ValueError, match=rf"\[MLE301\] Model {folder / 'ner'} has no component named 'medical_entity_linker'"):
        assemble_pipeline(linker_path, folder / "ner", tmp_path / "swapped")
    assert not (tmp_path / "swapped").exists()


def test_the_new_linker_keeps_the_old_ones_place_before_what_followed_it(halves, tmp_path):
    folder, linker_path = halves
    assemble_pipeline(folder / "ner", linker_path, tmp_path / "first")
    first = spacy.load(tmp_path / "first")
    first.add_pipe("sentencizer", last=True)  # a component of the user's after the linker
    first.to_disk(tmp_path / "with_follower")
    again = assemble_pipeline(tmp_path / "with_follower", linker_path, tmp_path / "again")
    assert again.pipe_names[-2:] == ["medical_entity_linker", "sentencizer"]
    assert again.pipe_names.index("medlink_short_form_mentions") < again.pipe_names.index("medical_entity_linker")


def test_the_new_linker_comes_after_the_short_forms_it_reads_when_they_are_added(halves, tmp_path):
    folder, linker_path = halves
    assemble_pipeline(folder / "ner", linker_path, tmp_path / "first")
    first = spacy.load(tmp_path / "first")
    first.remove_pipe("medlink_short_form_mentions")
    first.add_pipe("sentencizer", last=True)
    first.to_disk(tmp_path / "without_short_forms")
    again = assemble_pipeline(tmp_path / "without_short_forms", linker_path, tmp_path / "again")
    assert again.pipe_names.index("medlink_short_form_mentions") < again.pipe_names.index("medical_entity_linker")


def test_an_ner_pipeline_without_entity_components_is_assembled_with_a_warning(halves, tmp_path):
    folder, linker_path = halves
    spacy.blank("en").to_disk(tmp_path / "blank")
    with pytest.warns(UserWarning, match=r"\[MLW301\].*blank has no component that sets entities"):
        nlp = assemble_pipeline(tmp_path / "blank", linker_path, tmp_path / "byo_ner")
    assert "medical_entity_linker" in nlp.pipe_names

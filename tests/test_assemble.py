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

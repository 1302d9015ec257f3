"""Damaged files and hostile input: coded errors naming the file, never a crash, a hang or a
silent wrong link (issue 13)."""
import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc
from spacy.vocab import Vocab

from sample_pipeline import SAMPLE, train_sample_pipeline
from spacy_medlink.integrity import MANIFEST_FILE, write_manifest

HERE = Path(__file__).parent
OUR_COMPONENTS = ("medical_entity_linker", "medlink_kb_mentions")
TEXT = "Patients with breast cancer (BC) and ovarian cancer had fever."


@pytest.fixture(scope="module")
def pipeline_path(tmp_path_factory):
    """The sample pipeline with the KB matcher and an (untrained) NER, saved like `assemble`
    saves: every spaCy and spacy-medlink file under a manifest."""
    from spacy.training import Example

    path = train_sample_pipeline(tmp_path_factory.mktemp("trained") / "nlp", epochs=2)
    nlp = spacy.load(path)
    matcher = nlp.add_pipe("medlink_kb_mentions", first=True)
    matcher.initialize(vocabulary=SAMPLE / "vocabulary.jsonl")
    ner = nlp.add_pipe("ner", last=True)
    ner.add_label("DISEASE")
    ner.initialize(lambda: [Example.from_dict(nlp.make_doc("fever"), {})], nlp=nlp)
    out = tmp_path_factory.mktemp("saved") / "nlp"
    nlp.to_disk(out)
    write_manifest(out, skip=["meta.json"])
    return out


@pytest.fixture(scope="module")
def nlp(pipeline_path):
    return spacy.load(pipeline_path)


@pytest.fixture(scope="module")
def corruption(pipeline_path, tmp_path_factory):
    work = tmp_path_factory.mktemp("corrupt")
    output = work / "rows.json"
    proc = subprocess.run(
        [sys.executable, str(HERE / "corrupt_pipeline.py"), str(pipeline_path), str(work / "copy"), str(output)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(output.read_text())


def _names_file(outcome, relative):
    return "error" in outcome and "[MLE" in outcome["message"] and relative in outcome["message"]


def test_every_damaged_file_of_our_components_is_a_coded_error_naming_it(corruption):
    rows = [r for r in corruption if r["file"].split("/")[0] in OUR_COMPONENTS]
    assert len(rows) >= 4 * 10
    for row in rows:
        loaded_right = row["load"].get("result") is True
        assert loaded_right or _names_file(row["load"], row["file"]), row


def test_verify_names_every_damaged_file_or_the_pipeline_loads_right(corruption):
    """spaCy's own files (tokenizer, vocab, ner) are spaCy's to read; `verify` names any
    damaged one, and where it finds nothing wrong the pipeline loads and links as before."""
    for row in corruption:
        if "error" in row["verify"]:
            assert _names_file(row["verify"], row["file"]), row
        elif row["file"] != "meta.json":  # spacy package rewrites meta.json: not in the manifest
            assert row["load"].get("result") is True, row


def test_kb_without_concepts_is_a_coded_error(tmp_path):
    from spacy_medlink.kb.medlink_kb import MedlinkKB

    MedlinkKB(Vocab(), 8).to_disk(tmp_path / "kb")
    with pytest.raises(ValueError, match=r"MLE035.*no concepts"):
        MedlinkKB.load(tmp_path / "kb", Vocab())


def test_alias_index_cut_short_without_manifest_is_a_coded_error(pipeline_path, tmp_path):
    """A file that decodes but disagrees with the rest (an alias table cut to 10 entries) is
    caught by the KB's consistency check even where no manifest was saved."""
    import shutil

    import srsly

    copy = tmp_path / "nlp"
    shutil.copytree(pipeline_path, copy)
    kb_path = copy / "medical_entity_linker" / "kb"
    (kb_path / MANIFEST_FILE).unlink()
    aliases = kb_path / "alias_index" / "aliases.msgpack"
    srsly.write_msgpack(aliases, srsly.read_msgpack(aliases)[:10])
    with pytest.raises(ValueError, match=r"MLE0(21|35).*alias_index"):
        spacy.load(copy)


@pytest.mark.parametrize("field,value", [("temperature", 0), ("temperature", -1.0),
                                         ("threshold", "high"), ("threshold", 1.5),
                                         ("labels", "DISEASE")])
def test_bad_linker_settings_fail_at_load_naming_the_field(pipeline_path, tmp_path, field, value):
    import shutil

    copy = tmp_path / "nlp"
    shutil.copytree(pipeline_path, copy)
    cfg_path = copy / "medical_entity_linker" / "cfg"
    cfg = json.loads(cfg_path.read_text())
    cfg[field] = value
    cfg_path.write_text(json.dumps(cfg))
    (copy / "medical_entity_linker" / MANIFEST_FILE).unlink()  # an edit, not damage
    with pytest.raises(ValueError, match=rf"MLE204.*'{field}'"):
        spacy.load(copy)


def test_bad_linker_settings_in_the_config_fail_when_the_component_is_made():
    nlp = spacy.blank("en")
    with pytest.raises(ValueError, match=r"MLE204.*'threshold'"):
        nlp.add_pipe("medical_entity_linker", config={"threshold": 1.5})


def _with_ruler(nlp, patterns):
    ruler = nlp.add_pipe("entity_ruler", name="hostile_ruler", before="medlink_abbreviations",
                         config={"overwrite_ents": True})
    ruler.add_patterns(patterns)
    return ruler


def test_entities_of_other_labels_are_not_linked(pipeline_path):
    """An entity_ruler's CHEMICAL or GENE before the linker got the nearest disease."""
    nlp = spacy.load(pipeline_path)
    _with_ruler(nlp, [{"label": "CHEMICAL", "pattern": "cisplatin"},
                      {"label": "DISEASE", "pattern": "breast cancer"}])
    # The label filter is under test, not the NIL threshold (the sample linker is barely trained).
    nlp.get_pipe("medical_entity_linker").cfg["threshold"] = None
    doc = nlp("Cisplatin and cisplatin were given for breast cancer.")
    by_label = {e.label_: e.kb_id_ for e in doc.ents}
    assert by_label["CHEMICAL"] == ""
    assert by_label["DISEASE"] != ""
    assert [r["text"] for r in doc._.medlink_links] == ["breast cancer"]
    nlp.get_pipe("medical_entity_linker").cfg["labels"] = []  # [] links every entity
    assert [r["text"] for r in nlp("cisplatin")._.medlink_links] == ["cisplatin"]
    nlp.get_pipe("medical_entity_linker").cfg["labels_discard"] = ["CHEMICAL"]
    assert all(e.kb_id_ == "" for e in nlp("cisplatin").ents)


def test_doc_of_another_vocab_is_a_coded_error(nlp):
    foreign = Doc(Vocab(), words=["breast", "cancer"])
    with pytest.raises(ValueError, match="MLE205"):
        nlp(foreign)


def test_lone_surrogate_is_a_coded_error_with_its_position(nlp):
    with pytest.raises(ValueError, match=r"MLE206.*U\+D800 at character 14"):
        nlp("breast cancer \ud800 and fever")


def test_decomposed_accents_and_control_characters_look_like_clean_text(nlp):
    """The NER embeds NORM and SHAPE: the decomposed and the precomposed spelling get the same
    ones, and a control character glued to a word is a token of its own."""
    from spacy_medlink.training.convert import blank_pipeline

    blank = blank_pipeline("en")
    decomposed, precomposed = blank("Sjo\u0308gren syndrome"), blank("Sj\u00f6gren syndrome")
    assert [(t.norm_, t.shape_) for t in decomposed] == [(t.norm_, t.shape_) for t in precomposed]
    doc = blank("breast cancer\x07 and\u200bfever")
    assert [t.text for t in doc] == ["breast", "cancer", "\x07", "and", "\u200b", "fever"]
    assert doc.text == "breast cancer\x07 and\u200bfever"  # offsets into the user's text


def test_pipeline_pickles_and_links_the_same(nlp):
    copy = pickle.loads(pickle.dumps(nlp))
    assert [(e.text, e.kb_id_) for e in copy(TEXT).ents] == [(e.text, e.kb_id_) for e in nlp(TEXT).ents]


def test_linker_to_bytes_round_trip(pipeline_path, nlp):
    """to_bytes raised an uncoded NotImplementedError; now it carries KB and model."""
    fresh = spacy.load(pipeline_path)
    fresh.get_pipe("medical_entity_linker").kb = None
    fresh.get_pipe("medical_entity_linker").from_bytes(nlp.get_pipe("medical_entity_linker").to_bytes())
    assert [(e.text, e.kb_id_) for e in fresh(TEXT).ents] == [(e.text, e.kb_id_) for e in nlp(TEXT).ents]


def test_pipe_with_spawned_workers(pipeline_path, tmp_path):
    """macOS and Windows spawn workers: the pipeline travels by pickle."""
    script = (
        "import multiprocessing as mp, spacy, json, sys\n"
        "if __name__ == '__main__':\n"
        "    mp.set_start_method('spawn', force=True)\n"
        f"    nlp = spacy.load({str(pipeline_path)!r})\n"
        f"    texts = [{TEXT!r}] * 4\n"
        "    one = [[e.kb_id_ for e in d.ents] for d in nlp.pipe(texts)]\n"
        "    two = [[e.kb_id_ for e in d.ents] for d in nlp.pipe(texts, n_process=2, batch_size=2)]\n"
        "    print(json.dumps(one == two and any(one)))\n"
    )
    path = tmp_path / "spawn.py"
    path.write_text(script)
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "true"

"""kb-update (issue 16): new concepts, new synonyms and retired ids into a built KB and a
trained pipeline, without retraining; an update with nothing new rebuilds the same KB."""
import json

import numpy as np
import pytest
import spacy
from typer.testing import CliRunner

from spacy_medlink.cli import app
from spacy_medlink.kb.build import build_kb
from spacy_medlink.kb.encoders import create_lsa_encoder
from spacy_medlink.kb.readers import read_vocabulary
from spacy_medlink.kb.records import Concept
from spacy_medlink.kb.update import merge_vocabulary, read_id_map, update_kb
from sample_pipeline import SAMPLE, train_sample_pipeline

NEW = Concept("MESH:D000075222", "Frostbite syndrome X", synonyms=("frostbite x",),
              tree_numbers=("C26.999",))


@pytest.fixture(scope="module")
def kb():
    concepts = list(read_vocabulary(SAMPLE / "vocabulary.jsonl"))
    aliases = [("breast cancers", "MESH:D001943"), ("BC", "MESH:D001943")]
    built, _ = build_kb(concepts, spacy.blank("en").vocab, encoder=create_lsa_encoder(dim=16),
                        extra_aliases=aliases, progress=False)
    return built


def _candidates(kb, alias):
    return [(c.entity_, round(c.prior_prob, 6)) for c in kb.get_alias_candidates(alias)]


def test_an_update_with_nothing_new_rebuilds_the_same_kb(kb):
    new, report = update_kb(kb, [], encoder=create_lsa_encoder(dim=16))
    assert report.counts()["n_added"] == 0 and report.n_unchanged == len(kb.store)
    assert list(new.get_entity_strings()) == list(kb.get_entity_strings())
    for alias in kb.get_alias_strings():
        assert _candidates(new, alias) == _candidates(kb, alias)
    for cid in kb.store.ids():
        assert np.array_equal(new.get_vector(cid), kb.get_vector(cid))
    assert new.store.alias_counts == kb.store.alias_counts


def test_new_concepts_and_synonyms_are_added_and_old_vectors_kept(kb):
    breast = kb.store["MESH:D001943"]
    renamed = Concept("MESH:D001943", "Breast Neoplasm", synonyms=("mammary cancer",))
    new, report = update_kb(kb, [NEW, renamed], encoder=create_lsa_encoder(dim=16))
    assert report.added == ["MESH:D000075222"] and report.updated == ["MESH:D001943"]
    assert "frostbite x" in set(new.get_alias_strings())
    assert new.store.resolve("D000075222") == "MESH:D000075222"
    updated = new.store["MESH:D001943"]
    # The old name stays a synonym; old fields the update lacks are kept.
    assert updated.name == "Breast Neoplasm" and breast.name in updated.synonyms
    assert "mammary cancer" in updated.synonyms and updated.tree_numbers == breast.tree_numbers
    assert np.array_equal(new.get_vector("MESH:D001943"), kb.get_vector("MESH:D001943"))
    assert np.linalg.norm(new.get_vector("MESH:D000075222")) > 0
    # Training counts survive the rebuild.
    assert new.store.alias_counts == kb.store.alias_counts


def test_a_retired_id_resolves_to_its_successor(kb, tmp_path):
    id_map = tmp_path / "retired.tsv"
    id_map.write_text("# retired\tsuccessor\nMESH:D010051\tMESH:D000075222\n\n")
    new, report = update_kb(kb, [NEW], encoder=create_lsa_encoder(dim=16), id_map=read_id_map(id_map))
    assert report.retired == {"MESH:D010051": "MESH:D000075222"}
    assert "MESH:D010051" not in new.store and new.store.resolve("MESH:D010051") == "MESH:D000075222"
    # Text that named the retired concept now finds its successor.
    assert [cid for cid, _ in _candidates(new, "ovarian cancer")] == ["MESH:D000075222"]


def test_an_alt_id_of_an_update_record_retires_that_concept(kb):
    merger = Concept("MESH:D000075222", "Gynecologic tumours", alt_ids=("MESH:D010051",))
    _, report = merge_vocabulary(kb.store, [merger])
    assert report.retired == {"MESH:D010051": "MESH:D000075222"} and report.counts()["n_retired"] == 1


def test_conflicts_are_reported_not_applied(kb):
    alt_owner = next(c for c in kb.store if c.alt_ids)
    clash = Concept(alt_owner.alt_ids[0], "A split-off concept")
    _, report = merge_vocabulary(kb.store, [clash], {"MESH:D999999": "MESH:D001943", "MESH:D001943": "MESH:D888888"})
    assert report.retired == {}
    assert len(report.conflicts) == 3
    assert any("alt id of" in c for c in report.conflicts)
    assert any("does not have" in c for c in report.conflicts)
    assert any("no concept has that id" in c for c in report.conflicts)


def test_a_bad_id_map_line_is_a_coded_error(tmp_path):
    id_map = tmp_path / "retired.tsv"
    id_map.write_text("MESH:D1\tMESH:D2\nMESH:D3 MESH:D4\n")
    with pytest.raises(ValueError, match=r"\[MLE040\].*retired.tsv, line 2"):
        read_id_map(id_map)
    id_map.write_bytes(b"MESH:D1\tMESH:D2\nMESH:D\xe9\tMESH:D4\n")
    with pytest.raises(ValueError, match=r"\[MLE006\].*retired.tsv, line 2"):
        read_id_map(id_map)


def test_kb_update_command_on_a_trained_pipeline(tmp_path):
    model = train_sample_pipeline(tmp_path / "model", epochs=10, threshold=None)
    vocabulary = tmp_path / "new.jsonl"
    vocabulary.write_text(json.dumps({"id": NEW.concept_id, "name": NEW.name, "synonyms": list(NEW.synonyms)}) + "\n")
    report_path = tmp_path / "report.json"
    # a folder of other files is never the output: writing there replaces the whole folder
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep")
    result = CliRunner().invoke(app, ["kb-update", str(model), str(vocabulary), "-o", str(precious)])
    assert result.exit_code == 1 and "[MLE309]" in result.output and "notes.txt" in result.output
    assert (precious / "notes.txt").read_text() == "keep"
    out = tmp_path / "new_folder" / "updated"  # missing parents are created
    result = CliRunner().invoke(app, ["kb-update", str(model), str(vocabulary), "-o", str(out), "-r", str(report_path)])
    assert result.exit_code == 0, result.output
    assert json.loads(report_path.read_text())["added"] == [NEW.concept_id]
    nlp = spacy.load(out)  # a fresh load: the update is saved, the ranker unchanged
    nlp.get_pipe("entity_ruler").add_patterns([{"label": "DISEASE", "pattern": "frostbite x"}])
    doc = nlp("Two patients had frostbite x after the expedition.")
    assert [(e.text, e.kb_id_) for e in doc.ents] == [("frostbite x", NEW.concept_id)]
    assert nlp.meta["medlink_kb_updates"][0]["n_added"] == 1
    assert spacy.load(model).get_pipe("medical_entity_linker").kb.store.get(NEW.concept_id) is None


def test_kb_update_refuses_a_folder_without_a_pipeline(tmp_path):
    vocabulary = tmp_path / "new.jsonl"
    vocabulary.write_text("{}\n")
    result = CliRunner().invoke(app, ["kb-update", str(tmp_path), str(vocabulary)])
    assert result.exit_code == 1 and "[MLE042]" in result.output


def test_a_cycle_of_successors_retires_nothing(kb):
    _, report = merge_vocabulary(kb.store, [], {"MESH:D001943": "MESH:D010051", "MESH:D010051": "MESH:D001943"})
    assert report.retired == {} and len(report.conflicts) == 2 and all("cycle" in c for c in report.conflicts)
    assert report.n_unchanged == len(kb.store)


def test_only_concepts_of_the_kb_can_be_retired_and_counts_add_up(kb):
    renamed = Concept("MESH:D001943", "Breast Neoplasm")
    merger = Concept("MESH:D000075222", "Gynecologic tumours", alt_ids=("MESH:D010051",))
    concepts, report = merge_vocabulary(
        kb.store, [renamed, merger, merger], {"MESH:D000075222": "MESH:D001943"}
    )
    assert report.added == ["MESH:D000075222"] and report.updated == ["MESH:D001943"]
    assert report.retired == {"MESH:D010051": "MESH:D000075222"}
    assert any("does not have" in c for c in report.conflicts)  # a new id cannot be retired
    # Every concept of the KB is unchanged, updated or retired; nothing is counted twice.
    assert report.n_unchanged + len(report.updated) + len(report.retired) == len(kb.store)
    assert len(concepts) == len(kb.store) + 1 - 1


def test_an_in_place_update_keeps_the_pipeline_verifiable(tmp_path):
    from spacy_medlink.integrity import write_manifest

    model = train_sample_pipeline(tmp_path / "model", epochs=1)
    write_manifest(model, skip=["meta.json"])  # as `assemble` does
    vocabulary = tmp_path / "new.jsonl"
    vocabulary.write_text(json.dumps({"id": NEW.concept_id, "name": NEW.name}) + "\n")
    result = CliRunner().invoke(app, ["kb-update", str(model), str(vocabulary)])
    assert result.exit_code == 0, result.output
    assert CliRunner().invoke(app, ["verify", str(model)]).exit_code == 0
    assert spacy.load(model).get_pipe("medical_entity_linker").kb.store.get(NEW.concept_id) is not None
    assert not list(tmp_path.glob(".model.kb-update-*"))

"""The memory-mapped KB for UMLS-size vocabularies (kb/mapped_kb.py, build-kb --mapped): the
same aliases, priors and concept facts as a MedlinkKB built from the same input, fuzzy search,
coded errors on damaged folders, and the linker running on it."""
import pickle
import shutil

import numpy as np
import pytest
import spacy
from spacy.vocab import Vocab

from spacy_medlink.evaluation.evaluate import find_linker, read_gold
from spacy_medlink.kb.build import build_kb
from spacy_medlink.kb.build_mapped import build_mapped_kb
from spacy_medlink.kb.encoders import create_lsa_encoder
from spacy_medlink.kb.loaders import kb_from_disk
from spacy_medlink.kb.mapped_kb import MappedKB
from spacy_medlink.kb.readers import read_vocabulary
from spacy_medlink.kb.string_table import HashedStrings, StringTable
from spacy_medlink.kb.trigram_index import TrigramIndex
from spacy_medlink.pipeline.explain import LINKS_EXTENSION

from sample_pipeline import SAMPLE, train_sample_pipeline


def _training_aliases():
    docs = read_gold(SAMPLE / "train.pubtator.txt")
    return [(m.text, m.ids[0]) for d in docs for m in d.mentions if len(m.ids) == 1]


@pytest.fixture(scope="module")
def concepts():
    return list(read_vocabulary(SAMPLE / "vocabulary.jsonl"))


@pytest.fixture(scope="module")
def both(concepts, tmp_path_factory):
    encoder = create_lsa_encoder(dim=16)
    memory_kb, _ = build_kb(concepts, Vocab(), encoder=encoder, extra_aliases=_training_aliases(), progress=False)
    path = tmp_path_factory.mktemp("mapped") / "kb"
    mapped_kb, report = build_mapped_kb(concepts, path, Vocab(), encoder=encoder,
                                        extra_aliases=_training_aliases(), progress=False)
    return memory_kb, mapped_kb, report, path


def test_string_tables_find_every_string_and_nothing_else():
    strings = ["renal carcinoma", "", "sjögren syndrome", "renal carcinoma 2"]
    table = HashedStrings.from_strings(strings)
    assert [table.strings[i] for i in range(len(strings))] == strings
    assert [table.row_of(s) for s in strings] == [0, 1, 2, 3]
    assert table.row_of("renal") == -1


def test_mapped_kb_has_the_aliases_and_priors_of_the_in_memory_kb(both):
    memory_kb, mapped_kb, report, _ = both
    assert isinstance(mapped_kb, MappedKB) and mapped_kb.path is not None
    assert set(mapped_kb.get_alias_strings()) == set(memory_kb.get_alias_strings())
    assert mapped_kb.get_size_entities() == memory_kb.get_size_entities() == report.n_concepts
    for alias in memory_kb.get_alias_strings():
        expected = {c.entity_: c.prior_prob for c in memory_kb.get_alias_candidates(alias)}
        found = {c.entity_: c.prior_prob for c in mapped_kb.get_alias_candidates(alias)}
        assert found.keys() == expected.keys(), alias
        assert np.allclose([found[k] for k in expected], list(expected.values()), atol=1e-6)
    assert mapped_kb.get_alias_candidates("no such alias") == []
    assert mapped_kb.store.alias_counts == memory_kb.store.alias_counts


def test_mapped_store_answers_like_the_concept_store(both, concepts):
    memory_kb, mapped_kb, _, _ = both
    for concept in concepts:
        cid = concept.concept_id
        assert mapped_kb.store.get(cid) == memory_kb.store.get(cid)
        assert mapped_kb.store.category_of(cid) == memory_kb.store.category_of(cid)
        assert mapped_kb.store.depth_of(cid) == memory_kb.store.depth_of(cid)
        for alt_id in concept.alt_ids:
            assert mapped_kb.store.resolve(alt_id) == memory_kb.store.resolve(alt_id)
        assert np.allclose(mapped_kb.get_vector(cid), memory_kb.get_vector(cid), atol=1e-6)
    assert mapped_kb.store.resolve("MESH:D999999999") is None
    assert mapped_kb.store.get("MESH:D999999999") is None


def test_trigram_index_scores_like_the_sparse_index():
    aliases = ["renal carcinoma", "renal cell carcinoma", "breast cancer", "hypertension",
               "pulmonary hypertension", "seizure"]
    index = TrigramIndex.from_aliases(aliases)
    rows, scores = index.search(["renal carcinomas", "hypertensive", "zzzz"], k=3)
    assert aliases[rows[0, 0]] == "renal carcinoma" and 0.5 < scores[0, 0] < 1.0
    assert aliases[rows[1, 0]] == "hypertension"
    assert list(rows[2]) == [-1, -1, -1] and not scores[2].any()
    exact, exact_scores = index.search(["breast cancer"], k=1)
    assert aliases[exact[0, 0]] == "breast cancer" and exact_scores[0, 0] == pytest.approx(1.0)


def test_a_loaded_mapped_kb_pickles_by_path_and_copies_itself_when_saved(both, tmp_path):
    _, mapped_kb, _, path = both
    clone = pickle.loads(pickle.dumps(mapped_kb))
    assert clone.path == path.resolve() and clone.get_size_aliases() == mapped_kb.get_size_aliases()
    mapped_kb.to_disk(tmp_path / "copy")
    copy = kb_from_disk(Vocab(), tmp_path / "copy")
    assert isinstance(copy, MappedKB) and copy.get_size_entities() == mapped_kb.get_size_entities()
    # Saving over a folder that a loaded KB maps: the old files are moved aside, not rewritten.
    (tmp_path / "copy" / "stale.txt").write_text("from an earlier save")
    mapped_kb.to_disk(tmp_path / "copy")
    assert not (tmp_path / "copy" / "stale.txt").exists()
    assert copy.get_alias_candidates("cystic fibrosis") == mapped_kb.get_alias_candidates("cystic fibrosis")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy"]  # no staging folder left


def test_damaged_mapped_kb_files_are_coded_errors(both, tmp_path):
    _, _, _, path = both
    broken = tmp_path / "broken"
    shutil.copytree(path, broken)
    (broken / "entry_priors.npy").write_bytes(b"not an array")
    with pytest.raises(ValueError, match=r"\[MLE031\]"):  # its size no longer matches the manifest
        MappedKB.load(broken, Vocab())
    (broken / "medlink_files.json").unlink()
    with pytest.raises(ValueError, match=r"\[MLE036\].*entry_priors.npy"):
        MappedKB.load(broken, Vocab())


def test_string_table_offsets_must_fit_the_blob(tmp_path):
    table = StringTable.from_strings(["ab", "cd"])
    table.to_disk(tmp_path, "t")
    np.save(tmp_path / "t.blob.npy", np.zeros(1, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"\[MLE036\].*t.offsets.npy"):
        StringTable.from_disk(tmp_path, "t")


@pytest.mark.slow
def test_linker_on_a_mapped_kb_links_like_on_the_in_memory_kb(tmp_path, concepts):
    pipeline = train_sample_pipeline(tmp_path / "pipeline", epochs=20)
    nlp = spacy.load(pipeline)
    name, linker = find_linker(nlp)
    kb_path = tmp_path / "mapped"
    build_mapped_kb(concepts, kb_path, nlp.vocab, encoder=create_lsa_encoder(dim=64),
                    extra_aliases=_training_aliases(), progress=False)
    texts = [doc.text for doc in read_gold(SAMPLE / "dev.pubtator.txt")]

    def top_concepts():
        return [(r["start_char"], r["candidates"][0]["id"] if r["candidates"] else None)
                for doc in nlp.pipe(texts) for r in doc._.get(LINKS_EXTENSION)]

    expected = top_concepts()
    mapped = kb_from_disk(nlp.vocab, kb_path)
    linker.set_kb(lambda vocab: mapped)
    found = top_concepts()
    assert len(found) == len(expected) > 10
    assert sum(a == b for a, b in zip(expected, found)) >= 0.9 * len(expected)
    # Saved with the mapped KB and loaded with the default config (generate_empty_kb =
    # EmptyKB.v1): the folder says which KB it holds.
    nlp.to_disk(tmp_path / "mapped_pipeline")
    nlp = spacy.load(tmp_path / "mapped_pipeline")
    assert isinstance(find_linker(nlp)[1].kb, MappedKB)
    assert top_concepts() == found
    clone = pickle.loads(pickle.dumps(find_linker(nlp)[1]))  # nlp.pipe(n_process=2) with spawn
    assert isinstance(clone.kb, MappedKB) and clone.kb.path == find_linker(nlp)[1].kb.path


def test_mapped_store_rejects_duplicate_ids_and_warns_about_shared_alt_ids():
    """The same checks as ConceptStore: a repeated id is E016; an alt id claimed twice stays
    with its first concept and is warned about (W002), as in the in-memory store."""
    from spacy_medlink.kb.mapped_store import MappedConceptStore
    from spacy_medlink.kb.records import Concept

    with pytest.raises(ValueError, match="MESH:D2"):
        MappedConceptStore.from_concepts([Concept("MESH:D1", "a"), Concept("MESH:D2", "b"), Concept("MESH:D2", "c")], {})
    shared = [Concept("MESH:D1", "a", alt_ids=("OMIM:1",)), Concept("MESH:D2", "b", alt_ids=("OMIM:1", "OMIM:2"))]
    with pytest.warns(UserWarning, match="MLW002"):
        store = MappedConceptStore.from_concepts(shared, {}, source="vocab.tsv")
    assert store.alt_id_conflicts == [("OMIM:1", "MESH:D1", "MESH:D2")]
    assert store.resolve("OMIM:1") == "MESH:D1" and store.resolve("OMIM:2") == "MESH:D2"

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import spacy
from spacy.vocab import Vocab

from spacy_medlink.candidates.base import get_alias_table
from spacy_medlink.kb.alias_index import CharNgramIndex
from spacy_medlink.kb.build import build_kb
from spacy_medlink.kb.corpus_concepts import is_corpus_concept
from spacy_medlink.kb.normalize import normalize_alias
from spacy_medlink.kb.encoders import create_lsa_encoder
from spacy_medlink.kb.medlink_kb import MedlinkKB
from spacy_medlink.kb.readers import read_medic

TINY_MEDIC = Path(__file__).parent / "data" / "tiny_medic.tsv"
DIM = 8
EXTRA_ALIASES = [
    ("breast cancer", "D061325"),
    ("breast cancer", "D001943"),
    ("Breast cancers", "D001943"),
    ("IDDM", "OMIM:222100"),  # alt id of MESH:D003922
    ("mystery disease", "D999999"),  # unknown id: counted, not added
    ("--", "D003920"),  # normalizes to "": counted, not added
]


def _build(extra_aliases=EXTRA_ALIASES):
    with pytest.warns(UserWarning) as record:
        kb, report = build_kb(
            read_medic(TINY_MEDIC),
            Vocab(),
            encoder=create_lsa_encoder(dim=DIM),
            extra_aliases=extra_aliases,
            progress=False,
            name="tiny",
            source=TINY_MEDIC,
        )
    return kb, report, [str(w.message) for w in record]


@pytest.fixture(scope="module")
def built():
    return _build()


def _snapshot(kb):
    """Everything InMemoryLookupKB holds, as plain values."""
    entities = sorted(kb.get_entity_strings())
    aliases = {
        alias: sorted((c.entity_, c.prior_prob, c.entity_freq) for c in kb.get_alias_candidates(alias))
        for alias in kb.get_alias_strings()
    }
    vectors = {e: list(kb.get_vector(e)) for e in entities}
    return {"entities": entities, "aliases": aliases, "vectors": vectors, "dim": kb.entity_vector_length}


def test_build_report_and_warnings(built):
    kb, report, warnings_ = built
    assert report.n_concepts == 10 == len(kb)
    assert report.n_aliases == kb.get_size_aliases()
    assert report.n_extra_aliases == 4
    assert report.n_unknown_extra_ids == 1
    assert report.n_skipped_aliases == 1
    assert any("MLW003" in w and "D999999" in w for w in warnings_)
    assert any("MLW004" in w for w in warnings_)


def test_aliases_are_normalized_and_priors_aggregate(built):
    kb = built[0]
    aliases = set(kb.get_alias_strings())
    assert "type 2 diabetes" in aliases and "crohn disease" in aliases
    assert "Crohn's Disease" not in aliases
    # vocabulary (smoothing 1) + 2 training mentions vs. 1 training mention
    assert kb.get_prior_prob("MESH:D001943", "breast cancer") == pytest.approx(0.75)
    assert kb.get_prior_prob("MESH:D061325", "breast cancer") == pytest.approx(0.25)
    # a synonym shared by two concepts
    assert kb.get_prior_prob("MESH:D006261", "cephalgia") == pytest.approx(0.5)
    assert kb.get_prior_prob("MESH:D020773", "cephalgia") == pytest.approx(0.5)
    assert kb.get_prior_prob("MESH:D003922", "iddm") == pytest.approx(1.0)


def test_priors_sum_to_at_most_one(built):
    kb = built[0]
    for alias in kb.get_alias_strings():
        total = sum(c.prior_prob for c in kb.get_alias_candidates(alias))
        assert 0.99 < total <= 1.0


def test_priors_guard_float_rounding():
    from spacy_medlink.kb.build import _priors

    for weights in ([1.0] * 3, [1.0] * 7, [0.1, 0.2, 0.3, 0.4], [1.0, 1e-9, 3.0] * 11):
        priors = np.asarray(_priors(weights), dtype=np.float32).astype(np.float64)
        assert priors.sum() <= 1.0


def test_entities_freq_store_and_alias_counts(built):
    kb = built[0]
    store = kb.store
    assert len(store) == 10 and store.resolve("OMIM:222100") == "MESH:D003922"
    assert store.alias_counts["breast cancer"] == {"MESH:D061325": 1, "MESH:D001943": 2}
    freqs = {c.entity_: c.entity_freq for c in kb.get_alias_candidates("breast cancer")}
    assert freqs == {"MESH:D001943": 3.0, "MESH:D061325": 2.0}  # 1 + training mentions


def test_vectors_and_meta(built):
    kb = built[0]
    assert kb.entity_vector_length == DIM
    vector = np.asarray(kb.get_vector("MESH:D003920"))
    assert vector.shape == (DIM,) and np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    assert kb.meta["name"] == "tiny" and kb.meta["n_concepts"] == 10
    assert kb.meta["source"] == str(TINY_MEDIC) and len(kb.meta["source_sha256"]) == 64
    assert kb.meta["entity_vector_length"] == DIM
    assert "LSAConceptEncoder" in kb.meta["encoder"]


def test_alias_index_covers_every_alias(built):
    kb = built[0]
    assert kb.alias_index is not None
    assert sorted(kb.alias_index.aliases) == sorted(kb.get_alias_strings())


def test_empty_vocabulary_raises():
    with pytest.raises(ValueError, match="MLE014"):
        build_kb([], Vocab(), encoder=create_lsa_encoder(dim=DIM), progress=False)


def test_bad_encoder_output_raises():
    with pytest.raises(ValueError, match="MLE015"):
        build_kb(read_medic(TINY_MEDIC), Vocab(), encoder=lambda cs: np.zeros((1, 4)), progress=False)


def test_disk_round_trip(built, tmp_path):
    kb = built[0]
    kb.to_disk(tmp_path / "kb")
    for name in ("kb", "concepts.msgpack", "alias_index", "meta.json"):
        assert (tmp_path / "kb" / name).exists()
    loaded = MedlinkKB.load(tmp_path / "kb", Vocab())
    assert _snapshot(loaded) == _snapshot(kb)
    assert list(loaded.store) == list(kb.store)
    assert loaded.store.alias_counts == kb.store.alias_counts
    assert loaded.meta == json.loads((tmp_path / "kb" / "meta.json").read_text())
    assert loaded.alias_index.aliases == kb.alias_index.aliases


def test_bytes_round_trip(built, monkeypatch):
    kb = built[0]
    data = kb.to_bytes()
    # The index travels as it is: not rebuilt (a spawned worker would pay ~0.9 s for MEDIC),
    # and its rows keep their order, so candidate ties break the same way in every process.
    monkeypatch.setattr(CharNgramIndex, "from_aliases", classmethod(lambda cls, *a, **k: pytest.fail("rebuilt")))
    loaded = MedlinkKB(Vocab(), 1).from_bytes(data)
    assert _snapshot(loaded) == _snapshot(kb)
    assert list(loaded.store) == list(kb.store)
    assert loaded.alias_index.aliases == kb.alias_index.aliases
    assert (loaded.alias_index.matrix != kb.alias_index.matrix).nnz == 0
    assert np.array_equal(loaded.alias_index.idf, kb.alias_index.idf)
    queries = ["breast cancers", "cystic fibrosis", "zzz"]
    for got, expected in zip(loaded.alias_index.search(queries, 5), kb.alias_index.search(queries, 5)):
        assert np.array_equal(got, expected)


_RELOAD_SCRIPT = """
import json, sys
from spacy.vocab import Vocab
from spacy_medlink.kb.medlink_kb import MedlinkKB
kb = MedlinkKB.load(sys.argv[1], Vocab())
out = {
    "entities": sorted(kb.get_entity_strings()),
    "aliases": {a: sorted([c.entity_, c.prior_prob, c.entity_freq] for c in kb.get_alias_candidates(a))
                for a in kb.get_alias_strings()},
    "vectors": {e: list(kb.get_vector(e)) for e in kb.get_entity_strings()},
    "names": {c.concept_id: c.name for c in kb.store},
}
print(json.dumps(out))
"""


def test_reload_in_fresh_process(built, tmp_path):
    kb = built[0]
    kb.to_disk(tmp_path / "kb")
    result = subprocess.run(
        [sys.executable, "-c", _RELOAD_SCRIPT, str(tmp_path / "kb")],
        capture_output=True, text=True, check=True,
    )
    reloaded = json.loads(result.stdout)
    expected = _snapshot(kb)
    assert reloaded["entities"] == expected["entities"]
    assert {a: [tuple(c) for c in cands] for a, cands in reloaded["aliases"].items()} == expected["aliases"]
    assert reloaded["vectors"] == expected["vectors"]
    assert reloaded["names"] == {c.concept_id: c.name for c in kb.store}


@pytest.mark.parametrize("missing", ["kb", "concepts.msgpack", "meta.json", "alias_index"])
def test_from_disk_names_the_missing_piece(built, tmp_path, missing):
    import shutil

    kb = built[0]
    kb.to_disk(tmp_path / "kb")
    target = tmp_path / "kb" / missing
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    with pytest.raises(ValueError, match=rf"MLE0(09|30).*{missing}"):
        MedlinkKB(Vocab(), DIM).from_disk(tmp_path / "kb")


def test_loaders_from_registry(built, tmp_path):
    kb = built[0]
    kb.to_disk(tmp_path / "kb")
    create_empty = spacy.registry.misc.get("spacy-medlink.EmptyKB.v1")
    load_from_disk = spacy.registry.misc.get("spacy-medlink.KBFromDisk.v1")
    empty_factory = create_empty()
    loader = load_from_disk(tmp_path / "kb")
    # picklable, so pipelines work with n_process > 1 / spawn
    empty_factory = pickle.loads(pickle.dumps(empty_factory))
    loader = pickle.loads(pickle.dumps(loader))
    empty = empty_factory(Vocab(), 16)
    assert isinstance(empty, MedlinkKB) and empty.is_empty() and empty.entity_vector_length == 16
    loaded = loader(Vocab())
    assert isinstance(loaded, MedlinkKB) and _snapshot(loaded) == _snapshot(kb)
    with pytest.raises(ValueError, match=r"MLE009.*nowhere"):
        load_from_disk(tmp_path / "nowhere")(Vocab())


def test_kb_works_in_spacy_entity_linker(built, tmp_path):
    """The kb_loader / generate_empty_kb contract: spaCy's own EntityLinker saves and loads
    a MedlinkKB with the pipeline."""
    from spacy.training import Example

    kb = built[0]
    kb.to_disk(tmp_path / "kb")
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe(
        "entity_linker",
        config={"generate_empty_kb": {"@misc": "spacy-medlink.EmptyKB.v1"}, "entity_vector_length": DIM},
    )
    nlp.config["initialize"]["components"]["entity_linker"] = {
        "kb_loader": {"@misc": "spacy-medlink.KBFromDisk.v1", "path": str(tmp_path / "kb")}
    }
    doc = nlp.make_doc("Headache was reported.")
    example = Example.from_dict(doc, {"entities": [(0, 8, "DISEASE")], "links": {(0, 8): {"MESH:D006261": 1.0}}})
    nlp.initialize(lambda: [example])
    assert isinstance(nlp.get_pipe("entity_linker").kb, MedlinkKB)
    nlp.to_disk(tmp_path / "nlp")
    nlp2 = spacy.load(tmp_path / "nlp")
    kb2 = nlp2.get_pipe("entity_linker").kb
    assert isinstance(kb2, MedlinkKB)
    assert _snapshot(kb2) == _snapshot(kb)
    assert kb2.store.resolve("OMIM:222100") == "MESH:D003922"


def test_lsa_encoder_is_registered_deterministic_and_picklable():
    concepts = list(read_medic(TINY_MEDIC))
    encoder = spacy.registry.misc.get("spacy-medlink.LSAConceptEncoder.v1")(dim=16, seed=0)
    vectors = encoder(concepts)
    assert vectors.shape == (10, 16) and vectors.dtype == np.float32
    norms = np.linalg.norm(vectors, axis=1)
    assert np.all((np.abs(norms - 1) < 1e-5) | (norms == 0))
    assert np.array_equal(pickle.loads(pickle.dumps(encoder))(concepts), vectors)
    # only n - 1 components exist for n concepts; the rest is zero-padded
    assert np.all(vectors[:, 9:] == 0)
    by_id = {c.concept_id: i for i, c in enumerate(concepts)}
    sims = vectors @ vectors[by_id["MESH:D003924"]]
    assert sims[by_id["MESH:D003922"]] > sims[by_id["MESH:D001260"]]


def test_corpus_concepts_are_added_for_unknown_ids():
    """With add_corpus_concepts, an id the vocabulary lacks becomes a concept named after its
    most frequent mention; its only aliases are counted training mentions."""
    extra = EXTRA_ALIASES + [("C9 deficiency", "OMIM:613825"), ("c9 deficiency", "OMIM:613825"),
                             ("C9-deficient", "OMIM:613825")]
    with pytest.warns(UserWarning):
        kb, report = build_kb(
            read_medic(TINY_MEDIC), Vocab(), encoder=create_lsa_encoder(dim=DIM),
            extra_aliases=extra, add_corpus_concepts=True, progress=False,
        )
    assert report.n_corpus_concepts == 2  # OMIM:613825 and MESH:D999999 ("mystery disease")
    assert report.n_unknown_extra_ids == 0
    concept = kb.store["OMIM:613825"]
    assert concept.name == "C9 deficiency" and is_corpus_concept(concept)
    alias = normalize_alias("C9 deficiency")
    assert kb.store.alias_counts[alias] == {"OMIM:613825": 2}
    assert "OMIM:613825" in {c.entity_ for c in kb.get_alias_candidates(normalize_alias("C9-deficient"))}
    # The name is not a vocabulary alias: leave-one-document-out can hide every alias.
    table = get_alias_table(kb)
    assert table.vocab_aliases("OMIM:613825") == frozenset()
    assert table.lookup(alias, exclude={"OMIM:613825": 2}) == []
    assert kb.meta["n_corpus_concepts"] == 2
    # Without the flag the same mentions are counted as unknown and dropped.
    with pytest.warns(UserWarning):
        _, plain = build_kb(read_medic(TINY_MEDIC), Vocab(), encoder=create_lsa_encoder(dim=DIM),
                            extra_aliases=extra, progress=False)
    assert plain.n_corpus_concepts == 0 and plain.n_unknown_extra_ids == 4

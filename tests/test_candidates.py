"""candidates/: the default generator (exact + fuzzy + rewritten query), the exact generator,
their cache and leave-one-document-out exclusions; kb/word_substitutions (mined rewrites)."""
from pathlib import Path

import pytest
import spacy

from spacy_medlink.candidates.char_ngram import create_char_ngram_candidates
from spacy_medlink.candidates.exact import create_exact_candidates
from spacy_medlink.kb.build import build_kb
from spacy_medlink.kb.encoders import create_lsa_encoder
from spacy_medlink.kb.readers import read_vocabulary
from spacy_medlink.kb.records import Concept
from spacy_medlink.kb.word_substitutions import mine_word_substitutions, rewrite

DATA = Path(__file__).parent / "data"
# Training mentions: "breast cancer" seen twice as Breast Neoplasms, "bc" once.
TRAINING = [("breast cancer", "MESH:D001943"), ("breast cancer", "MESH:D001943"), ("BC", "MESH:D001943")]


@pytest.fixture(scope="module")
def kb():
    kb, _ = build_kb(
        read_vocabulary(DATA / "linker_vocab.jsonl"), spacy.blank("en").vocab,
        encoder=create_lsa_encoder(dim=8), extra_aliases=TRAINING, progress=False,
    )
    return kb


def test_exact_alias_comes_first_with_its_evidence(kb):
    (candidates,) = create_char_ngram_candidates()(kb, ["breast cancer"])
    best = candidates[0]
    assert (best.concept_id, best.alias, best.exact) == ("MESH:D001943", "breast cancer", True)
    assert best.similarity == pytest.approx(1.0)
    assert (best.train_count, best.alias_train_total) == (2, 2)


def test_fuzzy_candidates_for_a_string_never_seen(kb):
    (candidates,) = create_char_ngram_candidates()(kb, ["breast cancers"])
    assert candidates[0].concept_id == "MESH:D001943" and not candidates[0].exact
    assert 0.5 < candidates[0].similarity < 1.0
    strength = [max(c.similarity, c.rewrite_similarity) for c in candidates]
    assert strength == sorted(strength, reverse=True)


def test_k_bounds_the_concepts_per_query_and_unknown_text_gets_none(kb):
    generator = create_char_ngram_candidates(k=2)
    found = generator(kb, ["ovarian cancer", "zzzz qqqq"])
    assert len(found[0]) <= 2 and found[0][0].concept_id == "MESH:D010051"
    assert found[1] == []


def test_exclusions_remove_a_documents_own_training_counts(kb):
    generator = create_char_ngram_candidates()
    (kept,) = generator(kb, ["bc"])
    assert kept and kept[0].concept_id == "MESH:D001943" and kept[0].train_count == 1
    # Leaving out the one document that taught "bc": the alias knows no concept any more.
    (left_out,) = generator(kb, ["bc"], {"bc": {"MESH:D001943": 1}})
    assert all(c.alias != "bc" or c.train_count == 0 for c in left_out)


def test_results_are_cached_per_query_without_exclusions_only(kb):
    generator = create_char_ngram_candidates()
    first = generator(kb, ["cystic fibrosis"])
    assert generator(kb, ["cystic fibrosis"])[0] is first[0]
    assert generator(kb, ["cystic fibrosis"], {"x": {}})[0] is not first[0]


def test_exact_generator_matches_only_identical_aliases(kb):
    generator = create_exact_candidates()
    exact, none = generator(kb, ["cystic fibrosis", "cystic fibrosiss"])
    assert [c.concept_id for c in exact] == ["MESH:D003550"] and exact[0].exact
    assert none == []


def _concept(cid, *names):
    return Concept(cid, names[0], tuple(names[1:]))


def test_word_substitutions_are_mined_from_same_concept_pairs():
    organs = ["breast", "lung", "liver", "skin", "bone"]
    concepts = [_concept(f"C{i}", f"{o} cancer", f"{o} neoplasm") for i, o in enumerate(organs)]
    # "type 1" / "type 2" differ across concepts: siblings, never synonyms.
    concepts += [_concept("T1", "diabetes type 1"), _concept("T2", "diabetes type 2")]
    substitutions = mine_word_substitutions(concepts, min_count=3)
    assert substitutions in ({"neoplasm": "cancer"}, {"cancer": "neoplasm"})
    target = substitutions.get("cancer", "cancer")
    assert rewrite("kidney cancer", substitutions) == f"kidney {target}"
    assert mine_word_substitutions(concepts, min_count=6) == {}


# Strings that reach every branch of the merge: exact aliases, misspellings, plurals,
# training-only aliases, unknown text, repeats.
BATCH_QUERIES = [
    "breast cancer", "breast cancers", "brest cancer", "bc", "ovarian cancer", "ovarian tumour",
    "breast tumor", "cancer", "zzzz qqqq", "", "breast cancer", "hereditary breast cancer",
]
NOTHING_LEFT_OUT = {"an alias the kb does not have": {"MESH:D001943": 1}}


@pytest.fixture(scope="module")
def rewrite_kb():
    """25 organs named "X cancer" and "X neoplasm" (the KB mines neoplasm ~ cancer), and five
    cancers named only "Y cancer": "Y neoplasm" finds them through its rewrite."""
    organs = [f"organ{chr(97 + i)}{chr(98 + i)}" for i in range(25)]
    concepts = [_concept(f"MESH:D{i:06d}", f"{o} cancer", f"{o} neoplasm") for i, o in enumerate(organs)]
    concepts += [_concept(f"MESH:C{i:06d}", f"{y} cancer") for i, y in enumerate(["gastric", "biliary", "anal", "penile", "thymic"])]
    kb, _ = build_kb(concepts, spacy.blank("en").vocab, encoder=create_lsa_encoder(dim=4), progress=False)
    return kb


@pytest.mark.parametrize("k,n_aliases", [(20, 64), (1, 64), (3, 2), (50, 1)])
def test_prediction_batch_path_equals_the_per_alias_rule(kb, rewrite_kb, k, n_aliases):
    """Without exclusions the generator merges candidates on arrays for all queries at once
    (entry_arrays.py); exclusions that remove nothing take the per-alias rule of training.
    Both must give the same candidates, in the same order, with the same evidence."""
    generator = create_char_ngram_candidates(k=k, n_aliases=n_aliases)
    batch = generator(kb, BATCH_QUERIES)
    assert batch == generator(kb, BATCH_QUERIES, NOTHING_LEFT_OUT)
    assert all(len(cands) <= k for cands in batch) and batch[BATCH_QUERIES.index("zzzz qqqq")] == []
    queries = ["gastric neoplasm", "organab neoplasms", "organcd cancer", "anal neoplasm", "thymic"]
    batch = generator(rewrite_kb, queries)
    assert batch == generator(rewrite_kb, queries, NOTHING_LEFT_OUT)
    found = {c.concept_id: c for c in batch[0]}
    # Found through the rewrite "gastric cancer" (an exact alias: rewrite similarity ~1).
    assert found["MESH:C000000"].rewrite_similarity == pytest.approx(1.0)


def test_generators_with_other_settings_do_not_share_cached_lists(kb):
    """The candidate cache lives on the KB; a k=1 generator must not read a k=20 one's lists."""
    assert len(create_char_ngram_candidates(k=20)(kb, ["breast cancer"])[0]) > 1
    assert len(create_char_ngram_candidates(k=1)(kb, ["breast cancer"])[0]) == 1


def test_a_kb_reloaded_in_place_gets_a_fresh_alias_table(rewrite_kb):
    """The alias table (and its arrays) is derived data cached on the KB object: loading other
    bytes into the same object must not leave the old arrays behind (it raised IndexError)."""
    generator = create_char_ngram_candidates()
    reloaded = build_kb(
        read_vocabulary(DATA / "linker_vocab.jsonl"), spacy.blank("en").vocab,
        encoder=create_lsa_encoder(dim=8), extra_aliases=TRAINING, progress=False,
    )[0]
    assert generator(reloaded, ["breast cancer"])[0]
    reloaded.from_bytes(rewrite_kb.to_bytes())
    found = generator(reloaded, ["gastric cancer", "breast cancer"])
    assert found == generator(rewrite_kb, ["gastric cancer", "breast cancer"])
    assert found[0][0].concept_id == "MESH:C000000"

import pytest

from spacy_medlink.evaluation.baselines import (
    DictionaryBaseline,
    TfidfBaseline,
    baseline_normalize,
    expand_document_abbreviations,
)
from spacy_medlink.kb.records import Concept

CF = "MESH:D003550"
BREAST = "MESH:D001943"
OVARY = "MESH:D010051"
HD = "MESH:D006816"
CHOREA = "MESH:D002819"

VOCABULARY = [
    Concept(CF, "Cystic Fibrosis", synonyms=("mucoviscidosis",), alt_ids=("OMIM:219700",)),
    Concept(BREAST, "Breast Neoplasms", synonyms=("breast cancer", "breast tumor")),
    Concept(OVARY, "Ovarian Neoplasms", synonyms=("ovarian cancer",)),
    Concept(HD, "Huntington Disease", synonyms=("Huntington's chorea", "HD")),
    Concept(CHOREA, "Chorea", synonyms=("HD",)),  # "HD" is ambiguous in the vocabulary
]
TRAIN = [("HD", HD), ("HD", HD), ("cancer of the breast", BREAST)]
CF_DOC = "Adults with cystic fibrosis (CF) live longer. In CF, lung function declines."


def test_baseline_normalize_is_the_documented_rule():
    assert baseline_normalize("Huntington's  Disease") == "huntington s disease"
    assert baseline_normalize("type-2 diabetes,") == "type 2 diabetes"
    assert baseline_normalize(" ... ") == ""
    # Not the package normalizer: no plural folding, no British spellings.
    assert baseline_normalize("Tumours") == "tumours"


def test_dictionary_exact_match_and_most_frequent_concept():
    baseline = DictionaryBaseline().fit(VOCABULARY, TRAIN)
    assert baseline.rank("Breast-Cancer") == [BREAST]
    assert baseline.rank("cancer of the breast") == [BREAST]  # from a training mention
    # "HD": once for each concept in the vocabulary, twice more for HD in training.
    assert baseline.rank("HD", k=5) == [HD, CHOREA]
    assert baseline.rank("HD", k=1) == [HD]
    assert baseline.rank("breast tumours") == []  # no fuzzy matching
    assert baseline.n_train_mentions == 3


def test_dictionary_ambiguity_without_training_keeps_dictionary_order():
    baseline = DictionaryBaseline().fit(VOCABULARY)
    assert baseline.rank("HD", k=5) == [HD, CHOREA]


def test_tfidf_fuzzy_match():
    baseline = TfidfBaseline().fit(VOCABULARY, TRAIN)
    assert baseline.rank("breast tumours", k=1) == [BREAST]
    assert baseline.rank("ovarian cancers", k=1) == [OVARY]
    ranked = baseline.rank("breast tumours", k=3)
    assert len(ranked) == 3 and len(set(ranked)) == 3


def test_tfidf_expands_abbreviations_defined_in_the_document():
    assert expand_document_abbreviations("CF", CF_DOC) == "cystic fibrosis"
    assert expand_document_abbreviations("CF patients", CF_DOC) == "cystic fibrosis patients"
    assert expand_document_abbreviations("CFTR", CF_DOC) == "CFTR"  # whole words only
    assert expand_document_abbreviations("CF", "") == "CF"
    baseline = TfidfBaseline().fit(VOCABULARY, TRAIN)
    assert baseline.query_string("CF", CF_DOC) == "cystic fibrosis"
    assert baseline.rank("CF", CF_DOC, k=1) == [CF]
    assert CF not in baseline.rank("CF", "", k=1)
    plain = TfidfBaseline(expand_abbreviations=False).fit(VOCABULARY, TRAIN)
    assert plain.query_string("CF", CF_DOC) == "cf"


def test_rank_many_matches_rank():
    baseline = TfidfBaseline().fit(VOCABULARY, TRAIN)
    queries = [("CF", CF_DOC), ("breast tumours", ""), ("???", "")]
    ranked = baseline.rank_many(queries, k=2)
    assert ranked == [baseline.rank(m, d, k=2) for m, d in queries]
    assert ranked[2] == []  # nothing left after normalization


@pytest.mark.parametrize("baseline_cls", [DictionaryBaseline, TfidfBaseline])
def test_rank_before_fit_raises(baseline_cls):
    with pytest.raises(ValueError, match="MLE302"):
        baseline_cls().rank("CF")

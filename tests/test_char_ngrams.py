"""The alias index's n-gram counts and row normalization are scikit-learn's, bit for bit, so
indexes built with scikit-learn's HashingVectorizer search the same after the switch."""
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize

from spacy_medlink.kb.alias_index import CharNgramIndex
from spacy_medlink.kb.char_ngrams import char_wb_ngrams, hashed_counts, normalize_rows

N_FEATURES = 2**20
# Letters, digits, punctuation, accents, Greek, CJK, an astral character and odd whitespace.
ALPHABET = st.sampled_from(list("ab ce-1(,)'/") + ["é", "β", "Ω", "中", "\U0001F600", "\t", "\n", "\u00a0", "\u2003"])
TEXTS = st.lists(st.text(alphabet=ALPHABET, max_size=30), min_size=1, max_size=8)


def sklearn_counts(texts, ngram_range=(3, 3), n_features=N_FEATURES):
    vectorizer = HashingVectorizer(analyzer="char_wb", ngram_range=ngram_range, n_features=n_features,
                                   alternate_sign=False, norm=None, lowercase=False, dtype=np.float32)
    return vectorizer.transform(texts).tocsr()


def assert_same_matrix(ours: sp.csr_matrix, theirs: sp.csr_matrix) -> None:
    ours, theirs = ours.tocsr(), theirs.tocsr()
    ours.sort_indices()
    theirs.sort_indices()
    assert ours.shape == theirs.shape
    assert ours.dtype == theirs.dtype == np.float32
    np.testing.assert_array_equal(ours.indptr, theirs.indptr)
    np.testing.assert_array_equal(ours.indices, theirs.indices)
    # Bitwise: a different rounding would break ties differently in the search.
    np.testing.assert_array_equal(ours.data.view(np.uint32), theirs.data.view(np.uint32))


def test_char_wb_ngrams_pad_words_and_keep_short_words_once():
    assert char_wb_ngrams("ab  c", (3, 3)) == [" ab", "ab ", " c "]
    assert char_wb_ngrams("x", (2, 4)) == [" x", "x ", " x "]
    assert char_wb_ngrams("", (3, 3)) == []


@settings(max_examples=200, deadline=None)
@given(texts=TEXTS, low=st.integers(1, 3), extra=st.integers(0, 2))
def test_hashed_counts_are_sklearns(texts, low, extra):
    ngram_range = (low, low + extra)
    assert_same_matrix(hashed_counts(texts, ngram_range, 1_000), sklearn_counts(texts, ngram_range, 1_000))


def test_hashed_counts_of_disease_names_are_sklearns():
    texts = ["breast cancer", "type ii diabetes mellitus", "von hippel-lindau disease", "β-thalassemia",
             "x-linked adrenoleukodystrophy", "a", ""]
    assert_same_matrix(hashed_counts(texts, (3, 3), N_FEATURES), sklearn_counts(texts))


@settings(max_examples=100, deadline=None)
@given(texts=TEXTS)
def test_normalized_rows_are_sklearns(texts):
    weighted = sklearn_counts(texts).multiply(np.linspace(0.5, 3.0, N_FEATURES, dtype=np.float32)).tocsr()
    assert_same_matrix(normalize_rows(weighted), normalize(weighted))


def test_normalize_rows_handles_blocks_and_empty_rows():
    rng = np.random.default_rng(0)
    matrix = sp.random(10_000, 500, density=0.02, format="csr", dtype=np.float32, random_state=rng)
    matrix.data[matrix.indptr[5]: matrix.indptr[6]] = 0  # an empty row stays empty
    matrix.eliminate_zeros()
    assert_same_matrix(normalize_rows(matrix), normalize(matrix))
    assert normalize_rows(matrix)[5].nnz == 0


def test_index_vectors_are_the_sklearn_pipelines():
    aliases = ["breast cancer", "breast neoplasms", "ovarian cancer", "diabetes mellitus type 2"]
    index = CharNgramIndex.from_aliases(aliases)
    counts = sklearn_counts(aliases)
    assert_same_matrix(index.matrix, normalize(counts.multiply(index.idf).tocsr()))
    queries = ["breast cancers", "cancer of the breast", "t2dm"]
    assert_same_matrix(index.vectorize(queries), normalize(sklearn_counts(queries).multiply(index.idf).tocsr()))


def test_a_lone_surrogate_is_refused_as_sklearn_refuses_it():
    # mmh3 would crash the process on it: the text is encoded first.
    with pytest.raises(UnicodeEncodeError):
        hashed_counts(["breast \ud800 cancer"], (3, 3), N_FEATURES)
    with pytest.raises(UnicodeEncodeError):
        sklearn_counts(["breast \ud800 cancer"])


def test_rows_too_long_to_pad_are_summed_in_order_too():
    rng = np.random.default_rng(1)
    matrix = sp.random(4, 1_000_000, density=0.8, format="csr", dtype=np.float32, random_state=rng)
    assert matrix.shape[0] * np.diff(matrix.indptr).max() > 2_000_000  # the row-by-row path
    assert_same_matrix(normalize_rows(matrix), normalize(matrix))

"""Hashed character n-gram counts of strings, as scikit-learn's `HashingVectorizer` computes
them, without importing scikit-learn.

The alias index (alias_index.py) vectorizes every query string with these counts. Importing
scikit-learn for its HashingVectorizer cost every `spacy.load` of a pipeline with a linker
about half a second (scikit-learn's package imports scipy.stats and its array-API layer); the
same counts take MurmurHash3 (the `mmh3` package, the hash scikit-learn uses) and the n-gram
rule below. Indexes built before keep working: for the same strings both give the same
matrix, bit for bit (tests/test_char_ngrams.py checks it against scikit-learn).
"""
from typing import List, Sequence, Tuple

import mmh3
import numpy as np
import scipy.sparse as sp

from .string_table import offsets_of

# Rows normalized per block (normalize_rows), and the most cells of a block's padded
# (rows x longest row) array: a block with a very long row is summed row by row instead.
_ROWS_PER_BLOCK = 4096
_MAX_PADDED_CELLS = 2_000_000


def char_wb_ngrams(text: str, ngram_range: Tuple[int, int]) -> List[str]:
    """The n-grams of scikit-learn's `char_wb` analyzer: inside each whitespace-separated
    word padded with one space on each side; a padded word shorter than n gives itself once.

    RETURNS (List[str]): the n-grams, in text order, repeated as often as they occur.
    """
    min_n, max_n = ngram_range
    ngrams: List[str] = []
    append = ngrams.append
    for word in text.split():
        padded = f" {word} "
        length = len(padded)
        for n in range(min_n, max_n + 1):
            if length <= n:  # the padded word itself, once, and no longer n-grams
                append(padded)
                break
            for offset in range(length - n + 1):
                append(padded[offset: offset + n])
    return ngrams


def hashed_counts(texts: Sequence[str], ngram_range: Tuple[int, int], n_features: int) -> sp.csr_matrix:
    """Counts of each text's char_wb n-grams in n_features hash buckets: the signed 32-bit
    MurmurHash3 (seed 0) of the n-gram's UTF-8 bytes, bucket |hash| mod n_features (what
    `HashingVectorizer(analyzer="char_wb", alternate_sign=False, norm=None, lowercase=False)`
    returns).

    RETURNS (sp.csr_matrix): float32 (len(texts), n_features) counts.
    """
    ngrams: List[str] = []
    lengths = np.zeros(len(texts), dtype=np.int64)
    for i, text in enumerate(texts):
        # A lone surrogate raises UnicodeEncodeError here, as in scikit-learn; mmh3 would crash
        # the process on it.
        text.encode("utf-8")
        found = char_wb_ngrams(text, ngram_range)
        lengths[i] = len(found)
        ngrams.extend(found)
    hashes = np.fromiter(map(mmh3.hash, ngrams), dtype=np.int64, count=len(ngrams))
    # In int64, |-2**31| is 2**31, which scikit-learn's special case for it also gives.
    buckets = np.abs(hashes) % n_features
    indptr = offsets_of(lengths)
    counts = sp.csr_matrix(
        (np.ones(len(ngrams), dtype=np.float32), buckets, indptr), shape=(len(texts), n_features)
    )
    counts.sum_duplicates()
    return counts


def normalize_rows(matrix: sp.spmatrix) -> sp.csr_matrix:
    """Rows scaled to unit L2 norm as `sklearn.preprocessing.normalize` scales them: the
    float32 squares of a row summed in float64 in stored order, each value divided by the
    root in float64 and stored as float32; empty rows stay empty.

    RETURNS (sp.csr_matrix): a normalized copy.
    """
    result = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
    n_rows = result.shape[0]
    indptr, data = result.indptr, result.data
    for start in range(0, n_rows, _ROWS_PER_BLOCK):
        stop = min(n_rows, start + _ROWS_PER_BLOCK)
        lo, hi = indptr[start], indptr[stop]
        lengths = np.diff(indptr[start: stop + 1])
        if hi == lo:
            continue
        row = np.repeat(np.arange(stop - start), lengths)
        squares = (data[lo:hi] * data[lo:hi]).astype(np.float64)
        sums = _sequential_row_sums(squares, row, indptr[start: stop + 1] - lo, lengths)
        norms = np.sqrt(sums)
        norms[sums == 0.0] = 1.0
        data[lo:hi] = (data[lo:hi] / norms[row]).astype(np.float32)
    return result


def _sequential_row_sums(values: np.ndarray, row: np.ndarray, bounds: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Each row's values summed one after the other in float64, as a loop over the row would
    (numpy's sum and reduceat add pairwise, which rounds differently).

    values (np.ndarray): the rows' values, stored row after row; row: each value's row.
    bounds (np.ndarray): where each row starts in values, and the end.
    """
    n_rows, longest = len(lengths), int(lengths.max())
    if n_rows * longest > _MAX_PADDED_CELLS:  # cumsum accumulates in order
        return np.asarray([np.cumsum(values[a:b])[-1] if b > a else 0.0 for a, b in zip(bounds[:-1], bounds[1:])])
    padded = np.zeros((n_rows, longest))
    padded[row, np.arange(len(values)) - np.repeat(bounds[:-1], lengths)] = values
    sums = np.zeros(n_rows)
    for column in padded.T:  # column by column: every row's values in their order
        sums += column
    return sums

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings, strategies as st

from spacy_medlink.kb import top_n_products
from spacy_medlink.kb.top_n_products import TopNProducts
from sparse_dot_topn import sp_matmul_topn


def _random_csr(rng, shape, density):
    matrix = sp.random(*shape, density=density, format="csr", dtype=np.float32, random_state=rng)
    matrix.data = np.abs(matrix.data) + np.float32(0.01)  # positive, as TF-IDF weights
    return matrix


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), n_rows=st.integers(1, 12), n_inner=st.integers(1, 40),
       n_columns=st.integers(1, 60), density=st.floats(0.0, 0.5), top_n=st.integers(1, 70))
def test_same_products_as_sparse_dot_topn(seed, n_rows, n_inner, n_columns, density, top_n):
    rng = np.random.default_rng(seed)
    left = _random_csr(rng, (n_rows, n_inner), density)
    right = _random_csr(rng, (n_inner, n_columns), density)
    expected = sp_matmul_topn(left, right, top_n=top_n, threshold=0.0, n_threads=1)
    found = TopNProducts(right)(left, top_n=top_n, threshold=0.0)
    assert found.shape == expected.shape
    assert np.array_equal(found.indptr, expected.indptr)
    assert np.array_equal(found.indices, expected.indices)
    assert np.array_equal(found.data, expected.data)


def test_the_right_hand_side_is_converted_once_and_not_copied_per_call(monkeypatch):
    rng = np.random.default_rng(0)
    right = _random_csr(rng, (30, 50), 0.3)
    products = TopNProducts(right)
    seen = []

    def recording(left, right_side, **kwargs):
        seen.append(right_side.indices)
        return sp_matmul_topn(left, right_side, top_n=kwargs["top_n"], threshold=kwargs["threshold"], n_threads=1)

    monkeypatch.setattr(top_n_products, "_unchecked_topn", recording)
    for _ in range(2):
        products(_random_csr(rng, (3, 30), 0.3), top_n=5, threshold=0.0)
    assert len(seen) == 2 and seen[0] is seen[1] is products.right.indices


def test_without_the_unchecked_entry_point_the_checked_function_answers(monkeypatch):
    rng = np.random.default_rng(1)
    left, right = _random_csr(rng, (4, 20), 0.3), _random_csr(rng, (20, 25), 0.3)
    monkeypatch.setattr(top_n_products, "_unchecked_topn", None)
    found = TopNProducts(right)(left, top_n=3, threshold=0.0)
    expected = sp_matmul_topn(left, right, top_n=3, threshold=0.0, n_threads=1)
    assert (found != expected).nnz == 0


def test_int64_index_arrays_give_the_same_products():
    """gram_rows hands the search int64 index arrays; they are converted, not misread."""
    rng = np.random.default_rng(2)
    left, right = _random_csr(rng, (5, 30), 0.3), _random_csr(rng, (30, 40), 0.3)
    wide = sp.csr_matrix((left.data, left.indices.astype(np.int64), left.indptr.astype(np.int64)), shape=left.shape)
    wide.indices, wide.indptr = left.indices.astype(np.int64), left.indptr.astype(np.int64)
    assert wide.indices.dtype == np.int64
    expected = sp_matmul_topn(left, right, top_n=7, threshold=0.0, n_threads=1)
    found = TopNProducts(right)(wide, top_n=7, threshold=0.0)
    assert (found != expected).nnz == 0


def test_a_left_side_of_the_wrong_width_is_refused():
    rng = np.random.default_rng(3)
    products = TopNProducts(_random_csr(rng, (30, 40), 0.3))
    with pytest.raises(ValueError, match="30 rows"):
        products(_random_csr(rng, (2, 31), 0.3), top_n=3, threshold=0.0)

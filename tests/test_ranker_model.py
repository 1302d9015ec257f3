"""The ranker's context sum: the same floats as the np.add.at it replaced."""
import numpy as np
from hypothesis import given, settings, strategies as st

from spacy_medlink.pipeline.ranker_model import _sum_rows_by_index


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 6).flatmap(lambda n_mentions: st.tuples(
    st.just(n_mentions),
    st.lists(st.integers(0, n_mentions - 1), max_size=30),
)), st.integers(0, 2**32 - 1))
def test_sum_rows_by_index_is_add_at_bit_for_bit(mentions, seed):
    """Rows of any magnitude, mentions in any order and mentions without rows: each mention's
    sum equals np.add.at's, which adds the rows one after the other."""
    n_mentions, mention = mentions
    mention = np.asarray(mention, dtype=np.int64)
    rng = np.random.default_rng(seed)
    rows = (rng.standard_normal((len(mention), 4)) * 10.0 ** rng.integers(-3, 4, (len(mention), 1))).astype("float32")
    expected = np.zeros((n_mentions, 4), dtype="float32")
    np.add.at(expected, mention, rows)
    got = _sum_rows_by_index(rows, mention, n_mentions)
    assert got.dtype == np.float32
    assert np.array_equal(got, expected)

import numpy as np
import pytest
import srsly
from hypothesis import given, settings, strategies as st

from spacy_medlink.kb.alias_index import CharNgramIndex

ALIASES = ["breast cancer", "ovarian cancer", "muscular dystrophy"]


@pytest.fixture
def index_path(tmp_path):
    path = tmp_path / "alias_index"
    CharNgramIndex.from_aliases(ALIASES, n_features=2**10).to_disk(path)
    return path


def test_round_trip(index_path):
    index = CharNgramIndex.from_disk(index_path)
    rows, _ = index.search(["breast cancers"], k=1)
    assert index.aliases[rows[0, 0]] == "breast cancer"


@pytest.mark.parametrize(
    "name,content",
    [
        ("matrix.npz", b""),  # EOFError: the CLI printed only "Aborted." (issue 13)
        ("matrix.npz", b"garbage" * 10),  # ValueError (pickled data refused)
        ("matrix.npz", b"PK\x03\x04broken zip"),  # zipfile.BadZipFile
        ("idf.npy", b""),
        ("aliases.msgpack", b"\x93\x01"),
        ("cfg.json", b"{not json"),
    ],
)
def test_damaged_file_is_a_coded_error_naming_it(index_path, name, content):
    (index_path / name).write_bytes(content)
    with pytest.raises(ValueError, match=r"^\[MLE021\]") as err:
        CharNgramIndex.from_disk(index_path)
    assert str(index_path / name) in str(err.value)


def test_npz_without_the_sparse_arrays_is_a_coded_error(index_path):
    np.savez(index_path / "matrix.npz", other=np.zeros(3))  # KeyError in load_npz
    with pytest.raises(ValueError, match=r"^\[MLE021\].*matrix\.npz"):
        CharNgramIndex.from_disk(index_path)


def test_files_that_do_not_fit_each_other_are_a_coded_error(index_path):
    srsly.write_msgpack(index_path / "aliases.msgpack", ALIASES[:2])
    with pytest.raises(ValueError, match=r"^\[MLE021\].*matrix\.npz.*shape \(3, 1024\), expected \(2, 1024\)"):
        CharNgramIndex.from_disk(index_path)


def test_missing_file_is_a_coded_error(index_path):
    (index_path / "idf.npy").unlink()
    with pytest.raises(ValueError, match=r"^\[MLE021\].*idf\.npy"):
        CharNgramIndex.from_disk(index_path)


_WORDS = st.sampled_from(["cancer", "breast", "renal", "carcinoma", "ms", "type", "ii", "syndrome", "a", "x"])
_STRINGS = st.lists(_WORDS, min_size=1, max_size=4).map(" ".join)


@settings(max_examples=40, deadline=None)
@given(aliases=st.lists(_STRINGS, min_size=1, max_size=30, unique=True),
       queries=st.lists(_STRINGS, min_size=1, max_size=5), k=st.integers(1, 8))
def test_search_is_the_dense_top_k(aliases, queries, k):
    """The sparse top-k kernel (threshold path) returns what a dense cosine ranking does:
    the same cosines best first, every returned alias scored right, -1 rows only where fewer
    than k aliases share an n-gram."""
    index = CharNgramIndex.from_aliases(aliases, n_features=2**12)
    rows, scores = index.search(queries, k=k)
    dense = (index.vectorize(queries) @ index.matrix.T).toarray()
    for i in range(len(queries)):
        expected = np.sort(dense[i][dense[i] > 0])[::-1][:k]
        found = rows[i] >= 0
        np.testing.assert_allclose(scores[i][found], expected, rtol=1e-5)
        np.testing.assert_allclose(dense[i][rows[i][found]], scores[i][found], rtol=1e-5)
        assert (scores[i][~found] == 0).all()

import numpy as np
import pytest
import srsly

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

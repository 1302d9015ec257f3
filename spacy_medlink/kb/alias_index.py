"""Character n-gram TF-IDF index over a KB's normalized alias strings.

It finds aliases for mention strings that were never seen as aliases ("renal carcinomas",
"carcinoma of the kidney"): each string becomes a TF-IDF vector of its character n-grams and
candidates are ranked by cosine similarity. The vectorizer is stateless (feature hashing), so
only the IDF weights and the alias matrix need to be stored; both are plain arrays, saved with
numpy/scipy (no pickle).
"""
import io
import zipfile
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, List, Sequence, Tuple, Union

import numpy as np
import scipy.sparse as sp
import srsly
from srsly.msgpack.exceptions import UnpackException

from ..errors import Errors
from .char_ngrams import hashed_counts, normalize_rows
from .string_table import offsets_of
from .top_n_products import TopNProducts

DEFAULT_NGRAM_RANGE = (3, 3)
# 2**20 buckets keep hash collisions negligible for ~100k aliases while the IDF vector stays
# a 4 MB array.
DEFAULT_N_FEATURES = 2**20


def smoothed_idf(doc_freq: np.ndarray, n_docs: int) -> np.ndarray:
    """RETURNS (np.ndarray): float32 IDF per feature, smoothed as scikit-learn's
    TfidfTransformer(smooth_idf=True): log((1 + n) / (1 + df)) + 1."""
    return np.log((1 + n_docs) / (1 + doc_freq)).astype(np.float32) + 1.0


class CharNgramIndex:
    """Sparse cosine search over alias strings.

    aliases (List[str]): the indexed strings (normalized aliases), row i of the matrix.
    matrix (sp.csr_matrix): L2-normalized TF-IDF rows, shape (n_aliases, n_features).
    idf (np.ndarray): IDF weight per hashed feature.
    """

    def __init__(
        self,
        aliases: List[str],
        matrix: sp.csr_matrix,
        idf: np.ndarray,
        ngram_range: Tuple[int, int] = DEFAULT_NGRAM_RANGE,
        n_features: int = DEFAULT_N_FEATURES,
    ):
        self.aliases = list(aliases)
        self.matrix = matrix.tocsr()
        self.idf = idf.astype(np.float32)
        self.ngram_range = tuple(ngram_range)
        self.n_features = n_features
        # The search reads the transposed matrix restricted to the n-grams some alias has
        # (~8,000 of 2**20 buckets for MEDIC): sparse_dot_topn copies the index arrays of its
        # right-hand side on every call, and a 2**20-row indptr made that ~3 ms per batch.
        transposed = self.matrix.T.tocsr()
        self._gram_buckets = np.flatnonzero(np.diff(transposed.indptr))
        # Only the kernel's own copy is kept (float32 values, int32 indices).
        self._top_n_products = TopNProducts(transposed[self._gram_buckets])

    @classmethod
    def from_aliases(
        cls,
        aliases: Iterable[str],
        ngram_range: Tuple[int, int] = DEFAULT_NGRAM_RANGE,
        n_features: int = DEFAULT_N_FEATURES,
    ) -> "CharNgramIndex":
        """Build the index. aliases (Iterable[str]): normalized alias strings."""
        aliases = list(aliases)
        counts = hashed_counts(aliases, tuple(ngram_range), n_features)
        idf = smoothed_idf(np.bincount(counts.indices, minlength=n_features), len(aliases))
        matrix = _tfidf_rows(counts, idf)
        return cls(aliases, matrix, idf, ngram_range, n_features)

    def __len__(self) -> int:
        return len(self.aliases)

    def vectorize(self, texts: Sequence[str]) -> sp.csr_matrix:
        """RETURNS (sp.csr_matrix): L2-normalized TF-IDF rows for normalized strings
        (lower-cased by normalize_alias; the n-grams are case-sensitive)."""
        return _tfidf_rows(hashed_counts(list(texts), self.ngram_range, self.n_features), self.idf)

    def gram_rows(self, vectors: sp.csr_matrix) -> sp.csr_matrix:
        """RETURNS (sp.csr_matrix): vectorize()'s rows with their columns renumbered as the
        rows of the search's transposed matrix; n-grams no alias has are dropped (they add
        nothing to any cosine). The order of each row's values is kept, so sums are the same."""
        buckets = self._gram_buckets
        if len(buckets) == 0:
            return sp.csr_matrix((vectors.shape[0], 0), dtype=vectors.dtype)
        position = np.searchsorted(buckets, vectors.indices)
        known = buckets[np.minimum(position, len(buckets) - 1)] == vectors.indices
        row = np.repeat(np.arange(vectors.shape[0]), np.diff(vectors.indptr))
        indptr = offsets_of(np.bincount(row[known], minlength=vectors.shape[0]))
        return sp.csr_matrix((vectors.data[known], position[known], indptr), shape=(vectors.shape[0], len(buckets)))

    def search(self, queries: Sequence[str], k: int = 10) -> Tuple[np.ndarray, np.ndarray]:
        """Find the k most similar aliases for each normalized query string.

        RETURNS (Tuple[np.ndarray, np.ndarray]): alias rows (n, k) and cosines (n, k), best
            first. Rows are -1 (score 0) where fewer than k aliases share an n-gram.
        """
        n = len(queries)
        rows = np.full((n, k), -1, dtype=np.int64)
        scores = np.zeros((n, k), dtype=np.float32)
        if n == 0 or k == 0 or not self.aliases:
            return rows, scores
        # sparse_dot_topn keeps only the k best products per row inside the sparse product, so
        # no dense (n x n_aliases) block is ever built: ~4x faster than densify + argpartition.
        # threshold=0.0 keeps exactly the same products (every stored weight is positive, so
        # every product is), but takes the kernel's faster path: 1.43x on the searches of
        # unseen pool text (benchmarks/search_threshold.json).
        best = self._top_n_products(self.gram_rows(self.vectorize(queries)), top_n=k, threshold=0.0)
        indptr, indices, data = best.indptr, best.indices, best.data
        for i in range(n):
            lo, hi = indptr[i], indptr[i + 1]
            if lo == hi:
                continue
            order = np.argsort(-data[lo:hi], kind="stable")
            rows[i, : hi - lo] = indices[lo:hi][order]
            scores[i, : hi - lo] = data[lo:hi][order]
        return rows, scores

    # --- serialization -------------------------------------------------------------------
    def to_disk(self, path: Union[str, Path]) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(
            path / "cfg.json",
            {"ngram_range": list(self.ngram_range), "n_features": self.n_features},
        )
        srsly.write_msgpack(path / "aliases.msgpack", self.aliases)
        sp.save_npz(path / "matrix.npz", self.matrix, compressed=False)
        np.save(path / "idf.npy", self.idf, allow_pickle=False)

    def to_bytes(self) -> bytes:
        """RETURNS (bytes): The index as to_disk writes it, in one msgpack message (what a
        pickled KB carries to spawned workers, so they need not rebuild it: ~0.9 s for MEDIC)."""
        return srsly.msgpack_dumps({
            "cfg": {"ngram_range": list(self.ngram_range), "n_features": self.n_features},
            "aliases": self.aliases,
            "matrix": {name: _npy_bytes(getattr(self.matrix, name)) for name in ("data", "indices", "indptr")},
            "shape": list(self.matrix.shape),
            "idf": _npy_bytes(self.idf),
        })

    @classmethod
    def from_bytes(cls, bytes_data: bytes) -> "CharNgramIndex":
        """Load an index written by to_bytes: the same aliases in the same rows."""
        data = srsly.msgpack_loads(bytes_data)
        arrays = {name: _npy_array(value) for name, value in data["matrix"].items()}
        matrix = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=tuple(data["shape"]))
        cfg = data["cfg"]
        return cls(data["aliases"], matrix, _npy_array(data["idf"]),
                   ngram_range=tuple(cfg["ngram_range"]), n_features=int(cfg["n_features"]))

    @classmethod
    def from_disk(cls, path: Union[str, Path]) -> "CharNgramIndex":
        """Load an index saved by to_disk; a file that cannot be read, or that does not fit
        the others, raises E021 naming it (an empty matrix.npz used to end the CLI with a bare
        "Aborted.", issue 13)."""
        path = Path(path)
        cfg = _read_index_file(path / "cfg.json", srsly.read_json)
        aliases = _read_index_file(path / "aliases.msgpack", srsly.read_msgpack)
        matrix = _read_index_file(path / "matrix.npz", sp.load_npz)
        idf = _read_index_file(path / "idf.npy", partial(np.load, allow_pickle=False))
        try:
            ngram_range, n_features = tuple(cfg["ngram_range"]), int(cfg["n_features"])
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(Errors.E021.format(path=path / "cfg.json", error=repr(err))) from err
        if not isinstance(aliases, list):
            error = f"expected a list of alias strings, found {type(aliases).__name__}"
            raise ValueError(Errors.E021.format(path=path / "aliases.msgpack", error=error))
        for name, shape, expected in (
            ("matrix.npz", getattr(matrix, "shape", None), (len(aliases), n_features)),
            ("idf.npy", getattr(idf, "shape", None), (n_features,)),
        ):
            if shape != expected:
                error = f"shape {shape}, expected {expected} for {len(aliases)} aliases"
                raise ValueError(Errors.E021.format(path=path / name, error=error))
        return cls(aliases, matrix, idf, ngram_range=ngram_range, n_features=n_features)


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _npy_array(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)


def _tfidf_rows(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """RETURNS (sp.csr_matrix): the counts weighted by IDF, rows L2-normalized. The counts
    (hashed_counts: fresh, float32) are weighted in place: the same float32 products as
    scipy's broadcasting `counts.multiply(idf)`, without its ~0.1 ms of conversions per call
    (one document's strings are a call when an app runs `nlp(text)`)."""
    counts.data *= idf[counts.indices]
    return normalize_rows(counts)


# What reading a damaged index file raises: np.load / scipy.sparse.load_npz (EOFError on an
# empty file, BadZipFile, ValueError, KeyError for a zip without the arrays), srsly (ValueError,
# msgpack's UnpackException) and the file system (OSError).
_INDEX_FILE_ERRORS = (zipfile.BadZipFile, EOFError, ValueError, KeyError, OSError, UnpackException)


def _read_index_file(path: Path, read: Callable[[Path], Any]) -> Any:
    try:
        return read(path)
    except _INDEX_FILE_ERRORS as err:
        raise ValueError(Errors.E021.format(path=path, error=f"{type(err).__name__}: {err}")) from err

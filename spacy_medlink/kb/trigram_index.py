"""Fuzzy alias search that scales to ten million aliases: a memory-mapped trigram index.

The MEDIC-size index (alias_index.py) multiplies a sparse query matrix with the whole alias
matrix; at UMLS size every common trigram ("ion", " ca") touches millions of aliases and the
product becomes the bottleneck. This index retrieves first, then scores:

1. candidates are the aliases that share one of the query's `n_probe` rarest trigrams (a
   near match shares most of its trigrams, the rare ones included), at most `max_postings`
   postings read per query;
2. the `max_rescore` candidates with the most shared probe trigrams are scored exactly: the
   TF-IDF cosine of binary trigram vectors, as alias_index.py computes it (up to counts of
   trigrams repeated within one string).

Trigrams are those of scikit-learn's `char_wb` analyzer: each word padded with a space, never
across words. They are hashed into 2**22 buckets. Arrays on disk (all loaded memory-mapped):
postings (bucket -> alias rows), forward (alias -> buckets), idf per bucket, norm per alias,
and the alias strings.
"""
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np
import srsly
from tqdm import tqdm

from ..errors import Errors
from .alias_index import smoothed_idf
from .string_table import StringTable, load_array, offset_ranges, offsets_of

BUCKET_BITS = 22
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: spreads trigram keys over buckets
_SPACE = 32
_CHUNK = 1_000_000  # aliases per build chunk: bounds the build's temporary arrays

ARRAYS = ("postings_offsets", "postings", "forward_offsets", "forward", "idf", "norms")


def trigram_buckets(strings: Sequence[str], bucket_bits: int = BUCKET_BITS) -> Tuple[np.ndarray, np.ndarray]:
    """The distinct trigram buckets of each string.

    RETURNS (Tuple[np.ndarray, np.ndarray]): (owner, bucket): int64 string numbers and int64
        buckets, sorted by owner then bucket, one pair per distinct (string, bucket).
    """
    if not strings:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    padded = [f" {s} " for s in strings]
    lengths = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
    text = "".join(padded)
    owner = np.repeat(np.arange(len(padded), dtype=np.int64), lengths)
    # Code points (at most 21 bits each); ASCII text is read one byte per character.
    encoded, dtype = (text.encode("ascii"), np.uint8) if text.isascii() else (text.encode("utf-32-le"), np.uint32)
    codes = np.frombuffer(encoded, dtype=dtype).astype(np.uint64)
    shift = np.uint64(21)
    # A trigram starting at i stays inside one string and does not span a word boundary.
    valid = (owner[:-2] == owner[2:]) & (codes[1:-1] != _SPACE)
    keys = codes[:-2][valid]
    keys <<= shift
    keys |= codes[1:-1][valid]
    keys <<= shift
    keys |= codes[2:][valid]
    keys *= _GOLDEN
    keys >>= np.uint64(64 - bucket_bits)
    buckets = keys.astype(np.int64)
    pairs = np.sort((owner[:-2][valid] << bucket_bits) | buckets)
    # Distinct pairs (np.unique's hash-based path is many times slower on these sizes).
    pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))] if len(pairs) else pairs
    return pairs >> bucket_bits, pairs & ((1 << bucket_bits) - 1)


class TrigramIndex:
    """Top-k cosine search over alias strings, retrieval by rare trigrams (module docstring).

    aliases (StringTable): The indexed strings (normalized aliases), row i = alias i.
    n_probe (int): Rarest query trigrams whose postings give the candidates.
    max_postings (int): Postings read per query at most (the rarest trigrams first).
    max_rescore (int): Candidates scored exactly per query.
    """

    def __init__(self, aliases: StringTable, arrays: dict, *, n_probe: int = 8,
                 max_postings: int = 50_000, max_rescore: int = 300, bucket_bits: int = BUCKET_BITS):
        self.aliases = aliases
        self.postings_offsets = arrays["postings_offsets"]
        self.postings = arrays["postings"]
        self.forward_offsets = arrays["forward_offsets"]
        self.forward = arrays["forward"]
        self.idf = arrays["idf"]
        self.norms = arrays["norms"]
        self.n_probe = n_probe
        self.max_postings = max_postings
        self.max_rescore = max_rescore
        self.bucket_bits = bucket_bits

    @classmethod
    def from_aliases(cls, aliases: Sequence[str], progress: bool = False,
                     table: Optional[StringTable] = None, **settings) -> "TrigramIndex":
        """Build the index over normalized alias strings (row order kept).

        table (Optional[StringTable]): The same strings as a StringTable, when the caller has
            one (the mapped KB's aliases): not encoded a second time.
        """
        bucket_bits = settings.get("bucket_bits", BUCKET_BITS)
        n_buckets = 1 << bucket_bits
        owners: List[np.ndarray] = []
        buckets: List[np.ndarray] = []
        for start in tqdm(range(0, len(aliases), _CHUNK), desc="Trigram index", disable=not progress, leave=False):
            owner, bucket = trigram_buckets(aliases[start:start + _CHUNK], bucket_bits)
            owners.append((owner + start).astype(np.int32))
            buckets.append(bucket.astype(np.int32))
        owner = np.concatenate(owners) if owners else np.zeros(0, np.int32)
        forward = np.concatenate(buckets) if buckets else np.zeros(0, np.int32)
        del owners, buckets
        forward_offsets = offsets_of(np.bincount(owner, minlength=len(aliases)))
        doc_freq = np.bincount(forward, minlength=n_buckets)
        idf = smoothed_idf(doc_freq, len(aliases))
        norms = np.sqrt(np.bincount(owner, weights=idf[forward].astype(np.float64) ** 2,
                                    minlength=len(aliases))).astype(np.float32)
        # Postings: the alias rows of each bucket, in row order: one sort of (bucket, row) keys,
        # faster than a stable argsort by bucket and a gather.
        keys = (forward.astype(np.int64) << 32) | owner
        del owner
        keys.sort()
        postings = (keys & 0xFFFFFFFF).astype(np.int32)
        del keys
        postings_offsets = offsets_of(doc_freq)
        arrays = {"postings_offsets": postings_offsets, "postings": postings,
                  "forward_offsets": forward_offsets, "forward": forward, "idf": idf, "norms": norms}
        return cls(table if table is not None else StringTable.from_strings(aliases), arrays, **settings)

    def __len__(self) -> int:
        return len(self.aliases)

    def search(self, queries: Sequence[str], k: int = 10) -> Tuple[np.ndarray, np.ndarray]:
        """The k most similar aliases of each normalized query string.

        RETURNS (Tuple[np.ndarray, np.ndarray]): alias rows (n, k) and cosines (n, k), best
            first; rows are -1 (score 0) where fewer than k candidates were found.
        """
        n = len(queries)
        rows = np.full((n, k), -1, dtype=np.int64)
        scores = np.zeros((n, k), dtype=np.float32)
        if n == 0 or k == 0 or len(self) == 0:
            return rows, scores
        owner, buckets = trigram_buckets(list(queries), self.bucket_bits)
        bounds = np.searchsorted(owner, np.arange(n + 1))
        for i in range(n):
            query_buckets = buckets[bounds[i]:bounds[i + 1]]
            if len(query_buckets):
                found, sims = self._search_one(query_buckets, k)
                rows[i, : len(found)] = found
                scores[i, : len(found)] = sims
        return rows, scores

    def _search_one(self, query_buckets: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
        starts = self.postings_offsets[query_buckets]
        doc_freq = self.postings_offsets[query_buckets + 1] - starts
        present = np.flatnonzero(doc_freq)
        if len(present) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        # The rarest trigrams first, while the postings read stay within max_postings (the
        # rarest one is always read).
        probe = present[np.argsort(doc_freq[present], kind="stable")][: self.n_probe]
        within = np.cumsum(doc_freq[probe]) <= self.max_postings
        within[0] = True
        probe = probe[within]
        candidates = np.concatenate([
            self.postings[starts[j]: starts[j] + doc_freq[j]] for j in probe
        ])
        candidates, hits = np.unique(candidates, return_counts=True)
        if len(candidates) > self.max_rescore:
            keep = np.argpartition(-hits, self.max_rescore - 1)[: self.max_rescore]
            candidates = np.sort(candidates[keep])
        sims = self._cosines(candidates, query_buckets)
        top = np.argsort(-sims, kind="stable")[:k]
        return candidates[top].astype(np.int64), sims[top]

    def _cosines(self, candidates: np.ndarray, query_buckets: np.ndarray) -> np.ndarray:
        """Exact cosine of binary TF-IDF trigram vectors, query against each candidate."""
        # Every candidate's buckets in `forward`, gathered in one array.
        owner, positions = offset_ranges(self.forward_offsets, candidates)
        their_buckets = self.forward[positions]
        # query_buckets are sorted and distinct (trigram_buckets): membership by binary search,
        # no shared state (one index may serve several threads).
        found = np.minimum(np.searchsorted(query_buckets, their_buckets), len(query_buckets) - 1)
        shared = query_buckets[found] == their_buckets
        weights = np.where(shared, self.idf[their_buckets], 0.0) ** 2
        dots = np.bincount(owner, weights=weights, minlength=len(candidates))
        query_norm = np.sqrt(float(np.sum(self.idf[query_buckets].astype(np.float64) ** 2)))
        denominator = query_norm * self.norms[candidates]
        return np.where(denominator > 0, dots / np.maximum(denominator, 1e-12), 0.0).astype(np.float32)

    # --- serialization -------------------------------------------------------------------
    def to_disk(self, path: Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.aliases.to_disk(path, "aliases")
        for name in ARRAYS:
            np.save(path / f"{name}.npy", np.asarray(getattr(self, name)), allow_pickle=False)
        srsly.write_json(path / "cfg.json", {
            "n_probe": self.n_probe, "max_postings": self.max_postings,
            "max_rescore": self.max_rescore, "bucket_bits": self.bucket_bits,
        })

    @classmethod
    def from_disk(cls, path: Path) -> "TrigramIndex":
        path = Path(path)
        try:
            settings = srsly.read_json(path / "cfg.json")
        except (OSError, ValueError) as err:
            raise ValueError(Errors.E036.format(path=path / "cfg.json", error=repr(err))) from err
        aliases = StringTable.from_disk(path, "aliases")
        arrays = {name: load_array(path / f"{name}.npy") for name in ARRAYS}
        n_buckets = 1 << int(settings.get("bucket_bits", BUCKET_BITS))
        expected = {"postings_offsets": n_buckets + 1, "idf": n_buckets,
                    "forward_offsets": len(aliases) + 1, "norms": len(aliases)}
        for name, length in expected.items():
            if len(arrays[name]) != length:
                raise ValueError(Errors.E036.format(
                    path=path / f"{name}.npy", error=f"{len(arrays[name])} rows, expected {length}"
                ))
        return cls(aliases, arrays, **settings)

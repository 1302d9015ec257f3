"""The alias table as arrays, row for row with the KB's n-gram index, and candidate lists
merged from them for a whole batch of queries at once.

`CharNgramCandidates` used to walk, per query, its 64 fuzzy hits and each hit's concepts in
Python (~2 ms per new query string, half of the linker's time on text it had not seen). The
same rule on arrays costs a few numpy calls per batch:

- per (query, concept): the hit with the best (similarity, prior), the earliest on ties;
- per (query, concept): the best similarity of the query's KB-synonym rewrite, and the
  concepts found only through the rewrite (similarity 0, after the others);
- per query: concepts by best of both similarities, then prior, then first sight; the k best.

Only prediction takes this path (no leave-one-document-out exclusions); training keeps the
per-alias rule in base.AliasTable.lookup, which built these arrays, so both agree.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..about import __version__
from ..errors import Errors
from ..kb.string_table import offset_ranges, offsets_of

# Where AliasEntries are saved in a folder (the linker's, beside its KB folder).
ENTRY_ARRAYS_FILE = "alias_entries.npz"
# The per-entry arrays of AliasEntries, as saved by to_disk.
_ARRAYS = ("offsets", "concept", "is_vocab", "n_train", "alias_total", "prior")


@dataclass
class AliasEntries:
    """Every alias's concepts as flat arrays (AliasTable.lookup without exclusions).

    offsets (np.ndarray): (n_aliases + 1,) int64: alias row r owns entries offsets[r]:offsets[r+1].
    concept (np.ndarray): int32 row of each entry's concept in concept_ids.
    is_vocab, n_train, alias_total, prior: the lookup's facts per entry.
    concept_ids (List[str]): concept id per concept row.
    row_of (Dict[str, int]): alias string -> alias row.
    """

    offsets: np.ndarray
    concept: np.ndarray
    is_vocab: np.ndarray
    n_train: np.ndarray
    alias_total: np.ndarray
    prior: np.ndarray
    concept_ids: List[str]
    row_of: Dict[str, int]

    @classmethod
    def from_table(cls, table, aliases: Sequence[str]) -> "AliasEntries":
        """table (AliasTable): the per-alias rule; aliases (Sequence[str]): the index's rows."""
        concept_row: Dict[str, int] = {}
        lengths = np.zeros(len(aliases), dtype=np.int64)
        concept, is_vocab, n_train, alias_total, prior = [], [], [], [], []
        for r, alias in enumerate(aliases):
            found = table.lookup(alias)
            lengths[r] = len(found)
            for cid, vocab, count, total, p in found:
                concept.append(concept_row.setdefault(cid, len(concept_row)))
                is_vocab.append(vocab)
                n_train.append(count)
                alias_total.append(total)
                prior.append(p)
        offsets = offsets_of(lengths)
        return cls(
            offsets=offsets,
            concept=np.asarray(concept, dtype=np.int32),
            is_vocab=np.asarray(is_vocab, dtype=bool),
            n_train=np.asarray(n_train, dtype=np.int64),
            alias_total=np.asarray(alias_total, dtype=np.int64),
            prior=np.asarray(prior, dtype=np.float64),
            concept_ids=list(concept_row),
            row_of={alias: r for r, alias in enumerate(aliases)},
        )

    def to_disk(self, path: Path, kb_digest: str) -> None:
        """Save the arrays (an uncompressed .npz), with the digest of the KB folder they were
        derived from (its manifest's checksum, integrity.manifest_digest) and the version of
        the code that derived them."""
        with Path(path).open("wb") as file_:
            np.savez(file_, kb_digest=np.asarray(kb_digest), version=np.asarray(__version__),
                     concept_ids=np.asarray(self.concept_ids, dtype=str),
                     **{name: getattr(self, name) for name in _ARRAYS})

    @classmethod
    def from_disk(cls, path: Path, aliases: Sequence[str], kb_digest: str) -> Optional["AliasEntries"]:
        """The arrays to_disk saved, or None when they were derived from another KB folder
        (another digest), by another version of this library (whose lookup rule may differ) or
        do not fit the index's aliases: the caller derives them again.

        RAISES ValueError: E034 when the file cannot be read.
        """
        try:
            with np.load(path, allow_pickle=False) as data:
                saved_for = {name: str(data[name]) if name in data.files else None for name in ("kb_digest", "version")}
                if saved_for != {"kb_digest": kb_digest, "version": __version__}:
                    return None
                arrays = {name: data[name] for name in _ARRAYS}
                concept_ids = data["concept_ids"].tolist()
        except Exception as err:  # numpy's zip and format errors vary: name the file
            raise ValueError(Errors.E034.format(path=path, what="alias entry arrays", error=err)) from None
        offsets, n_entries = arrays["offsets"], len(arrays["concept"])
        fits = (
            len(offsets) == len(aliases) + 1 and int(offsets[-1]) == n_entries
            and all(len(arrays[name]) == n_entries for name in _ARRAYS[1:])
            and (n_entries == 0 or 0 <= int(arrays["concept"].min()) <= int(arrays["concept"].max()) < len(concept_ids))
        )
        if not fits:
            return None
        return cls(**arrays, concept_ids=concept_ids, row_of={alias: r for r, alias in enumerate(aliases)})


@dataclass
class MergedCandidates:
    """The k best candidates of each query, as arrays: query q owns [bounds[q]:bounds[q+1]].

    entry (np.ndarray): the AliasEntries entry (concept, vocab, counts, prior) of each candidate.
    alias_row (np.ndarray): the alias row it was found through.
    similarity, rewrite_similarity (np.ndarray): float64 cosines.
    """

    bounds: np.ndarray
    entry: np.ndarray
    alias_row: np.ndarray
    similarity: np.ndarray
    rewrite_similarity: np.ndarray


def merge_candidates(
    entries: AliasEntries,
    hit_rows: np.ndarray,
    hit_sims: np.ndarray,
    main_of: np.ndarray,
    rewrite_of: np.ndarray,
    k: int,
) -> MergedCandidates:
    """Candidate lists of queries from the search hits of their strings.

    hit_rows, hit_sims (np.ndarray): (n_strings, n_hits) alias rows (-1: none) and cosines,
        best first, with the string's own alias row and 1.0 in column 0 (-1 if no alias).
    main_of (np.ndarray): per query, the row of its string in hit_rows.
    rewrite_of (np.ndarray): per query, the row of its rewrite (-1: none).
    """
    n_queries = len(main_of)
    main = _expand(entries, hit_rows, hit_sims, main_of)
    rewrites = np.flatnonzero(rewrite_of >= 0)
    rewrite = _expand(entries, hit_rows, hit_sims, rewrite_of[rewrites])
    rewrite["query"] = rewrites[rewrite["query"]]
    n_concepts = np.int64(max(1, len(entries.concept_ids)))
    main_key = main["query"] * n_concepts + entries.concept[main["entry"]]
    rewrite_key = rewrite["query"] * n_concepts + entries.concept[rewrite["entry"]]
    prior = entries.prior
    # The best hit per (query, concept): highest similarity, then prior, then first seen.
    order = np.lexsort((main["seen"], -prior[main["entry"]], -main["sim"], main_key))
    first = _group_starts(main_key[order])
    best = {name: values[order][first] for name, values in main.items() if name != "seen"}
    best_key = main_key[order][first]
    # Where each (query, concept) was first seen orders the ties of the final ranking.
    seen_order = np.lexsort((main["seen"], main_key))
    best["seen"] = main["seen"][seen_order][_group_starts(main_key[seen_order])]
    # The rewrite's best similarity per (query, concept), and the concepts only it found.
    rw_order = np.lexsort((rewrite["seen"], rewrite_key))
    rw_first = _group_starts(rewrite_key[rw_order])
    rw_key = rewrite_key[rw_order][rw_first]
    rw_best_sim = np.maximum.reduceat(rewrite["sim"][rw_order], rw_first) if len(rw_first) else np.zeros(0)
    only_rewrite = ~np.isin(rw_key, best_key)
    first_rewrite = {name: values[rw_order][rw_first][only_rewrite] for name, values in rewrite.items()}
    first_rewrite["sim"] = np.zeros(int(only_rewrite.sum()))
    # Seen after every concept of the main hits.
    first_rewrite["seen"] = first_rewrite["seen"] + (np.int64(1) << np.int64(40))
    merged = {name: np.concatenate([best[name], first_rewrite[name]]) for name in best}
    merged_key = np.concatenate([best_key, rw_key[only_rewrite]])
    position = np.searchsorted(rw_key, merged_key)
    found = position < len(rw_key)
    found[found] = rw_key[position[found]] == merged_key[found]
    rw_sim = np.zeros(len(merged_key))
    rw_sim[found] = rw_best_sim[position[found]]
    score = np.maximum(merged["sim"], rw_sim)
    ranking = np.lexsort((merged["seen"], -prior[merged["entry"]], -score, merged["query"]))
    ranked_query = merged["query"][ranking]
    starts = np.searchsorted(ranked_query, np.arange(n_queries + 1))
    rank_in_query = np.arange(len(ranking)) - starts[ranked_query]
    keep = ranking[rank_in_query < k]
    counts = np.bincount(merged["query"][keep], minlength=n_queries)
    bounds = offsets_of(counts)
    return MergedCandidates(
        bounds=bounds,
        entry=merged["entry"][keep],
        alias_row=merged["alias_row"][keep],
        similarity=merged["sim"][keep],
        rewrite_similarity=rw_sim[keep],
    )


def _expand(entries: AliasEntries, hit_rows: np.ndarray, hit_sims: np.ndarray, string_of: np.ndarray) -> dict:
    """One row per (query, hit, concept of the hit), in the order the hits were read.

    RETURNS (dict): arrays query, entry, alias_row, sim (float64) and seen (the read order
        within the query).
    """
    rows = hit_rows[string_of]
    sims = hit_sims[string_of].astype(np.float64)
    query = np.repeat(np.arange(len(string_of), dtype=np.int64), rows.shape[1])
    rows, sims = rows.ravel(), sims.ravel()
    valid = rows >= 0
    query, rows, sims = query[valid], rows[valid], sims[valid]
    owner, entry = offset_ranges(entries.offsets, rows)
    seen = np.arange(len(entry), dtype=np.int64)
    return {"query": query[owner], "entry": entry, "alias_row": rows[owner], "sim": sims[owner], "seen": seen}


def _group_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """RETURNS (np.ndarray): the index of the first element of each run of equal keys."""
    if len(sorted_keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]]))

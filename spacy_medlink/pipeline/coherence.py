"""Coherence evidence: how strongly a document's OTHER mention strings support a candidate
concept ("breast cancer" and "BRCA1-associated tumour" in one abstract agree on a concept).

For each (mention, candidate) pair: the best similarity with which any other query string of
the same document retrieves the concept, and whether another query string ranks it first. A
repeated string supports nothing new. Computed for a whole batch at once with numpy (sorting
the pairs by document and concept): linear in the pairs, and without a Python object per
concept (pairs of mentions once made a 200,000-character doc take minutes; a per-concept
Python object cost ~13 % of the linker's time on unseen text).
"""
from typing import Sequence, Tuple

import numpy as np


def coherence_columns(mentions: Sequence) -> Tuple[np.ndarray, np.ndarray]:
    """The coherence features of every (mention, candidate) pair, mentions in order, each
    mention's candidates in order (the order build_batch stacks them).

    mentions (Sequence[Mention]): with doc_index, query and candidates.
    RETURNS (Tuple[np.ndarray, np.ndarray]): float64 best support from the doc's other query
        strings (0.0 without any) and 1.0 where another query string ranks the concept first.
    """
    sizes = [len(m.candidates) for m in mentions]
    n_pairs = sum(sizes)
    if n_pairs == 0:
        return np.zeros(0), np.zeros(0)
    query_ids, concept_ids = {}, {}
    mention_query = [query_ids.setdefault(m.query, len(query_ids)) for m in mentions]
    if len(set(zip((m.doc_index for m in mentions), mention_query))) == len({m.doc_index for m in mentions}):
        # No document has two query strings: nothing supports anything (one short document
        # per call, as an app calling nlp(text) often has).
        return np.zeros(n_pairs), np.zeros(n_pairs)
    query = np.repeat(mention_query, sizes)
    doc = np.repeat([m.doc_index for m in mentions], sizes).astype(np.int64)
    concept = np.fromiter(
        (concept_ids.setdefault(c.concept_id, len(concept_ids)) for m in mentions for c in m.candidates),
        dtype=np.int64, count=n_pairs,
    )
    similarity = np.fromiter((c.similarity for m in mentions for c in m.candidates), dtype=np.float64, count=n_pairs)
    starts = np.cumsum([0] + sizes[:-1])
    is_top1 = np.zeros(n_pairs, dtype=bool)
    is_top1[starts[np.asarray(sizes) > 0]] = True
    # One group per (document, concept).
    _, group = np.unique(doc * len(concept_ids) + concept, return_inverse=True)
    group = group.reshape(-1)
    n_groups = int(group.max()) + 1
    return (
        _best_from_other_queries(group, n_groups, query, similarity),
        _top1_from_other_queries(group, n_groups, query, is_top1),
    )


def _best_from_other_queries(group: np.ndarray, n_groups: int, query: np.ndarray, similarity: np.ndarray) -> np.ndarray:
    """Per pair, the highest similarity in its group among the pairs of other queries."""
    # Within each group, best first: the first pair is the group's best, the first pair of
    # another query than the best's is the best of the others (the runner-up).
    order = np.lexsort((-similarity, group))
    first = np.ones(len(order), dtype=bool)
    first[1:] = group[order][1:] != group[order][:-1]
    best_query = np.empty(n_groups, dtype=np.int64)
    best = np.zeros(n_groups)
    best_query[group[order][first]] = query[order][first]
    best[group[order][first]] = similarity[order][first]
    others = query[order] != best_query[group[order]]
    runner_up = np.zeros(n_groups)
    other_groups, at = np.unique(group[order][others], return_index=True)
    runner_up[other_groups] = similarity[order][others][at]
    return np.where(query != best_query[group], best[group], runner_up[group])


def _top1_from_other_queries(group: np.ndarray, n_groups: int, query: np.ndarray, is_top1: np.ndarray) -> np.ndarray:
    """Per pair, 1.0 where a query other than its own ranks the group's concept first."""
    # Distinct (group, query) pairs that rank first: a group with two or more supports every
    # pair; with one, every pair but that query's.
    # Distinct pairs as one integer key each (np.unique on rows, axis=0, is ~10x slower).
    n_queries = int(query.max()) + 1
    top_group, top_query = np.divmod(np.unique(group[is_top1] * n_queries + query[is_top1]), n_queries)
    n_top1 = np.bincount(top_group, minlength=n_groups)
    one_query = np.full(n_groups, -1, dtype=np.int64)
    one_query[top_group] = top_query
    supported = (n_top1[group] >= 2) | ((n_top1[group] == 1) & (one_query[group] != query))
    return supported.astype(np.float64)

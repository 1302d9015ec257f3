"""Evidence features for (mention, candidate) pairs, and the batch the ranker consumes.

Each feature is scaled to roughly [0, 1]. Feature groups name the evidence sources that
explanations report (string, prior, training, coherence, kb_info, context).
"""
import re
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
from rapidfuzz import fuzz, process
from spacy.attrs import IS_PUNCT, LOWER
from spacy.tokens import Doc

from ..candidates.base import Candidate
from ..kb.categories import DISEASE, SIGN_OR_SYMPTOM
from .coherence import coherence_columns
from .ranker_model import RankerBatch

FEATURE_NAMES = [
    "similarity",
    "rewrite_similarity",
    "similarity_gap",
    "token_set_ratio",
    "token_sort_ratio",
    "numbers_only_in_alias",
    "numbers_only_in_query",
    "exact",
    "vocab_exact",
    "vocab_alias",
    "rank",
    "prior",
    "train_share",
    "train_count",
    "concept_frequency",
    "coherence",
    "coherence_top1",
    "category_disease",
    "category_symptom",
    "category_other",
    "depth",
    "is_generic",
    "is_specific",
    "has_definition",
    "is_omim",
    "is_supplementary",
]
EVIDENCE_GROUPS = {
    "string": ["similarity", "rewrite_similarity", "similarity_gap", "token_set_ratio", "token_sort_ratio",
               "numbers_only_in_alias", "numbers_only_in_query", "exact", "vocab_exact", "vocab_alias", "rank"],
    "prior": ["prior"],
    "training": ["train_share", "train_count", "concept_frequency"],
    "coherence": ["coherence", "coherence_top1"],
    "kb_info": ["category_disease", "category_symptom", "category_other", "depth",
                "is_generic", "is_specific", "has_definition", "is_omim", "is_supplementary"],
    "context": ["context_match"],
}
N_FEATURES = len(FEATURE_NAMES)
_LOG_100 = np.log(101.0)
# "i" and "x" are left out: "x linked", and "i" rarely means one in a disease name.
_ROMAN = {"ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9"}
_ROMAN_AFTER_TYPE = {**_ROMAN, "i": "1", "x": "10"}
_SUBTYPE_WORDS = frozenset({"type", "stage", "grade", "class"})
_ROMAN_WITH_SUBTYPE = re.compile(rf"^({'|'.join(_ROMAN_AFTER_TYPE)})[a-e]?$")


@dataclass
class Mention:
    """A span to link: where it is, the string used for lookup, and its candidates."""

    doc_index: int
    start: int  # token offsets in the doc
    end: int
    text: str
    query: str  # normalized, with abbreviations expanded
    candidates: List[Candidate] = field(default_factory=list)
    gold: Optional[str] = None  # resolved gold concept id (training/evaluation only)


# Bound on the per-KB cache of concept facts (a few hundred bytes each).
MAX_CACHED_CONCEPTS = 200_000


class ConceptInfo:
    """Per-concept KB facts used by the features, computed once per concept and cached."""

    def __init__(self, kb):
        self.kb = kb
        self.store = kb.store
        self._cache: Dict[str, tuple] = {}
        # query string -> (static feature rows, entity vectors); see _static_features.
        self.static_cache: Dict[str, tuple] = {}
        self.train_counts: Dict[str, int] = {}
        for by_concept in self.store.alias_counts.values():
            for cid, n in by_concept.items():
                self.train_counts[cid] = self.train_counts.get(cid, 0) + int(n)

    def get(self, concept_id: str) -> tuple:
        """RETURNS (tuple): (category one-hot x3, depth, parent ids, has definition, vector)."""
        info = self._cache.get(concept_id)
        if info is None:
            if len(self._cache) >= MAX_CACHED_CONCEPTS:  # a UMLS-size mapped KB
                self._cache.clear()
            concept = self.store.get(concept_id)
            category = self.store.category_of(concept_id)
            one_hot = (category == DISEASE, category == SIGN_OR_SYMPTOM,
                       category not in (DISEASE, SIGN_OR_SYMPTOM))
            depth = min(self.store.depth_of(concept_id), 10) / 10.0
            parents = frozenset(concept.parent_ids) if concept is not None else frozenset()
            has_definition = bool(concept is not None and concept.definition)
            vector = np.asarray(self.kb.get_vector(concept_id), dtype="float32")
            info = (one_hot, depth, parents, has_definition, vector)
            self._cache[concept_id] = info
        return info


def context_keys(
    words: Tuple[np.ndarray, np.ndarray], start: int, end: int, window: int
) -> np.ndarray:
    """RETURNS (np.ndarray): uint64 hashes of the lower-cased words around a mention.

    words (Tuple[np.ndarray, np.ndarray]): the doc's LOWER hashes and IS_PUNCT flags
        (doc_words()), computed once per doc instead of once per mention.
    """
    lower, is_punct = words
    lo, hi = max(0, start - window), min(len(lower), end + window)
    return lower[lo:hi][~is_punct[lo:hi]]


def doc_words(doc: Doc) -> Tuple[np.ndarray, np.ndarray]:
    """RETURNS (Tuple[np.ndarray, np.ndarray]): LOWER hashes and IS_PUNCT flags of a doc."""
    array = doc.to_array([LOWER, IS_PUNCT])
    return array[:, 0].astype(np.uint64), array[:, 1].astype(bool)


def build_batch(
    mentions: Sequence[Mention],
    docs: Sequence[Doc],
    info: ConceptInfo,
    *,
    context_window: int,
    exclude_concepts: Optional[Mapping[str, int]] = None,
) -> RankerBatch:
    """Turn mentions with candidates into the model's input.

    exclude_concepts (Optional[Mapping[str, int]]): per-concept training mentions to ignore
        (leave-one-document-out while training).
    RETURNS (RankerBatch): features for every (mention, candidate) pair.
    """
    if not exclude_concepts:
        cache_static_features(mentions, info)
    words_of: Dict[int, Tuple[np.ndarray, np.ndarray]] = {}
    blocks, vectors, pair_mention, keys, key_mention = [], [], [], [], []
    for m_index, mention in enumerate(mentions):
        if not mention.candidates:
            continue
        rows, mention_vectors = _static_features(mention, info, exclude_concepts)
        blocks.append(rows)
        vectors.append(mention_vectors)
        pair_mention.append(np.full(len(rows), m_index, dtype=np.int64))
        if mention.doc_index not in words_of:
            words_of[mention.doc_index] = doc_words(docs[mention.doc_index])
        ctx = context_keys(words_of[mention.doc_index], mention.start, mention.end, context_window)
        keys.append(ctx)
        key_mention.append(np.full(len(ctx), m_index, dtype=np.int64))
    if not blocks:
        empty = np.zeros((0, N_FEATURES), dtype="float32")
        return RankerBatch(empty, np.zeros((0, info.kb.entity_vector_length), dtype="float32"),
                           np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64),
                           np.zeros(0, dtype=np.int64), len(mentions))
    features = np.concatenate(blocks)
    features[:, _COHERENCE], features[:, _COHERENCE_TOP1] = coherence_columns(mentions)
    return RankerBatch(
        features=features,
        entity_vectors=np.concatenate(vectors),
        pair_mention=np.concatenate(pair_mention),
        context_keys=np.concatenate(keys),
        context_mention=np.concatenate(key_mention),
        n_mentions=len(mentions),
    )


_COHERENCE = FEATURE_NAMES.index("coherence")
_COHERENCE_TOP1 = FEATURE_NAMES.index("coherence_top1")
# Bound on the per-KB cache of feature blocks per query string.
MAX_CACHED_FEATURE_BLOCKS = 100_000


def _static_features(mention: Mention, info: ConceptInfo, exclude_concepts) -> tuple:
    """Features that depend on the query string and its candidates only (everything but
    coherence and context), cached per query when no training counts are excluded.

    RETURNS (tuple): the (n_candidates, N_FEATURES) float32 rows (coherence columns 0; the
        cached array itself: build_batch copies it into the batch) and the entity vectors.
    """
    if not exclude_concepts:
        cache_static_features([mention], info)  # a no-op when the query's block is cached
        cached = info.static_cache[mention.query]
        return cached[0], cached[1]
    return static_feature_rows([mention.query], [mention.candidates], info, exclude_concepts)


def cache_static_features(mentions: Sequence[Mention], info: ConceptInfo) -> None:
    """Compute the static features of every query of `mentions` that info.static_cache lacks,
    in one pass (no exclusions: prediction)."""
    todo: Dict[str, List[Candidate]] = {}
    for mention in mentions:
        cached = info.static_cache.get(mention.query)
        if mention.candidates and (cached is None or len(cached[0]) != len(mention.candidates)):
            todo[mention.query] = mention.candidates
    if not todo:
        return
    if len(info.static_cache) + len(todo) > MAX_CACHED_FEATURE_BLOCKS:
        info.static_cache.clear()
    rows, vectors = static_feature_rows(list(todo), list(todo.values()), info, None)
    start = 0
    for query, cands in todo.items():
        end = start + len(cands)
        info.static_cache[query] = (rows[start:end], vectors[start:end])
        start = end


def static_feature_rows(
    queries: Sequence[str], candidate_lists: Sequence[Sequence[Candidate]], info: ConceptInfo,
    exclude_concepts: Optional[Mapping[str, int]],
) -> Tuple[np.ndarray, np.ndarray]:
    """The static features of several queries' candidates, stacked in order.

    RETURNS (Tuple[np.ndarray, np.ndarray]): (n_pairs, N_FEATURES) float32 rows (coherence
        columns 0) and (n_pairs, entity_vector_length) entity vectors.
    """
    pair_query = [q for q, cands in zip(queries, candidate_lists) for _ in cands]
    cands = [c for cand_list in candidate_lists for c in cand_list]
    sizes = np.fromiter(map(len, candidate_lists), dtype=np.int64, count=len(candidate_lists))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    aliases = [c.alias for c in cands]
    # rapidfuzz scores every pair in C; float64 gives the values fuzz.token_*_ratio returns.
    set_ratio = process.cpdist(pair_query, aliases, scorer=fuzz.token_set_ratio, dtype=np.float64, workers=1)
    sort_ratio = process.cpdist(pair_query, aliases, scorer=fuzz.token_sort_ratio, dtype=np.float64, workers=1)
    similarity = np.fromiter((c.similarity for c in cands), dtype=np.float64, count=len(cands))
    rank = np.arange(len(cands)) - np.repeat(starts, sizes)
    facts = [info.get(c.concept_id) for c in cands]
    generic, specific = _hierarchy_flags(candidate_lists, [f[2] for f in facts])
    only_alias = [bool(numbers_of(a) - numbers_of(q)) for q, a in zip(pair_query, aliases)]
    only_query = [bool(numbers_of(q) - numbers_of(a)) for q, a in zip(pair_query, aliases)]
    n_concept = np.asarray([info.train_counts.get(c.concept_id, 0) for c in cands], dtype=np.float64)
    if exclude_concepts:
        n_concept = np.maximum(0.0, n_concept - [exclude_concepts.get(c.concept_id, 0) for c in cands])
    train_count = np.asarray([c.train_count for c in cands], dtype=np.float64)
    alias_total = np.asarray([c.alias_train_total for c in cands], dtype=np.float64)
    exact = np.asarray([c.exact for c in cands], dtype=bool)
    vocab = np.asarray([c.vocab_match for c in cands], dtype=bool)
    columns = [
        similarity,
        [c.rewrite_similarity for c in cands],
        np.repeat(_group_max(similarity, starts, sizes), sizes) - similarity,
        set_ratio / 100.0,
        sort_ratio / 100.0,
        only_alias,
        only_query,
        exact,
        exact & vocab,
        vocab,
        rank / np.maximum(1, np.repeat(sizes, sizes)),
        [c.prior for c in cands],
        np.divide(train_count, alias_total, out=np.zeros(len(cands)), where=alias_total > 0),
        np.log1p(train_count) / _LOG_100,
        np.log1p(n_concept) / _LOG_100,
        np.zeros(len(cands)),  # coherence: per document, filled by build_batch
        np.zeros(len(cands)),  # coherence_top1
        *(zip(*[f[0] for f in facts]) if facts else ([], [], [])),
        [f[1] for f in facts],
        generic,
        specific,
        [f[3] for f in facts],
        # Namespaces: annotators prefer MeSH descriptors (D...) over supplementary
        # concepts (C...) and OMIM entries unless the text is specific.
        [c.concept_id.startswith("OMIM:") for c in cands],
        [c.concept_id.startswith("MESH:C") for c in cands],
    ]
    rows = np.zeros((len(cands), N_FEATURES), dtype="float32")
    for j, column in enumerate(columns):
        rows[:, j] = np.asarray(column, dtype=np.float64)
    vectors = np.asarray([f[4] for f in facts], dtype="float32")
    if not facts:
        vectors = np.zeros((0, info.kb.entity_vector_length), dtype="float32")
    return rows, vectors


def _hierarchy_flags(candidate_lists: Sequence[Sequence[Candidate]], parents: Sequence[frozenset]) -> Tuple[list, list]:
    """Per candidate: generic (the parent of another candidate of its query) and specific
    (one of its parents is a candidate). parents: each candidate's parent ids, stacked."""
    generic, specific = [], []
    start = 0
    for cand_list in candidate_lists:
        own = parents[start: start + len(cand_list)]
        start += len(cand_list)
        cand_ids = {c.concept_id for c in cand_list}
        parents_of_candidates = frozenset().union(*own)
        generic.extend(c.concept_id in parents_of_candidates for c in cand_list)
        specific.extend(not p.isdisjoint(cand_ids) for p in own)
    return generic, specific


def _group_max(values: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """RETURNS (np.ndarray): the maximum of each group of consecutive values (0 when empty)."""
    best = np.zeros(len(sizes))
    filled = sizes > 0
    if filled.any():
        best[filled] = np.maximum.reduceat(values, starts[filled])
    return best


@lru_cache(maxsize=100_000)
def numbers_of(normalized: str) -> frozenset:
    """Numbers in a normalized string, Roman numerals read as Arabic: "c 7" and
    "complement component 7" agree, "type ii" and "type 2" too, "c 2" and "c 7" do not.
    After "type", "stage", "grade" or "class", a Roman numeral may carry a subtype letter
    ("type iid" -> 2). Character n-grams barely see a one-digit difference; annotators do.

    RETURNS (frozenset): the numbers, as strings without leading zeros.
    """
    found = set()
    previous = ""
    for token in normalized.split():
        if token.isdigit():
            found.add(str(int(token)))
        elif token in _ROMAN:
            found.add(_ROMAN[token])
        elif previous in _SUBTYPE_WORDS:
            match = _ROMAN_WITH_SUBTYPE.match(token)
            if match is not None:
                found.add(_ROMAN_AFTER_TYPE[match.group(1)])
        previous = token
    return frozenset(found)

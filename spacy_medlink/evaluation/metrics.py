"""Evaluation metrics: pure functions over plain tuples (no spaCy needed).

Every score is a **percentage (0-100)**; an undefined ratio (no predictions for precision, no
gold for recall) is 0.0, as in spaCy's PRFScore. Counts (tp/fp/fn, n) are always given next to
the ratios, so nothing hides behind a percentage.

Documents are identified by a key that must be unique within one evaluation (the evaluation
uses the position of the document in the corpus, because PMIDs repeat in some corpora: NCBI
disease train has PMID 8528200 twice). Spans are character offsets ``(doc, start, end)`` with an
exclusive end. Concepts are resolved, prefixed ids ("MESH:D001943"); see `resolve_ids`.
"""
from collections import Counter
from dataclasses import dataclass
from typing import (
    Callable,
    Dict,
    FrozenSet,
    Hashable,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Set,
    Tuple,
)

from ..kb.ids import normalize_concept_id

DocKey = Hashable
SpanKey = Tuple[DocKey, int, int]
GoldConcepts = Tuple[DocKey, int, int, FrozenSet[str]]
Resolver = Callable[[str], Optional[str]]

DEFAULT_ACC_KS = (1, 5)
DEFAULT_RECALL_KS = (1, 5, 10, 50)


def _percent(numerator: int, denominator: int) -> float:
    return 100.0 * numerator / denominator if denominator else 0.0


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1 from true positive, false positive and false negative counts.

    tp (int): Predicted items that are in the gold set.
    fp (int): Predicted items that are not in the gold set.
    fn (int): Gold items that were not predicted.
    """

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        """RETURNS (float): tp / (tp + fp), in percent (0.0 without predictions)."""
        return _percent(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        """RETURNS (float): tp / (tp + fn), in percent (0.0 without gold items)."""
        return _percent(self.tp, self.tp + self.fn)

    @property
    def fscore(self) -> float:
        """RETURNS (float): Harmonic mean of precision and recall, in percent."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> Dict[str, float]:
        """RETURNS (Dict[str, float]): {"p", "r", "f", "tp", "fp", "fn"}."""
        return {
            "p": self.precision,
            "r": self.recall,
            "f": self.fscore,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


def set_prf(gold: Iterable[Hashable], pred: Iterable[Hashable]) -> PRF:
    """Micro precision/recall/F1 of two sets of items compared by equality.

    gold (Iterable[Hashable]): The gold items (duplicates count once).
    pred (Iterable[Hashable]): The predicted items (duplicates count once).
    RETURNS (PRF): tp = |gold & pred|, fp = |pred - gold|, fn = |gold - pred|.
    """
    gold, pred = set(gold), set(pred)
    tp = len(gold & pred)
    return PRF(tp=tp, fp=len(pred) - tp, fn=len(gold) - tp)


def ner_prf(gold: Set[SpanKey], pred: Set[SpanKey]) -> PRF:
    """Strict NER scores: a predicted span is right only if its document, start and end
    character offsets all equal those of a gold mention. Labels are ignored (the corpus has
    one entity type). Gold mentions that did not align to tokens are still gold: a pipeline
    cannot predict them, so they count as misses.

    gold (Set[Tuple[DocKey, int, int]]): Gold mention spans.
    pred (Set[Tuple[DocKey, int, int]]): Predicted entity spans.
    RETURNS (PRF): The scores.
    """
    return set_prf(gold, pred)


@dataclass(frozen=True)
class Recall:
    """Recall of one group of gold items (e.g. one mention type).

    tp (int): Gold items found.
    fn (int): Gold items missed.
    """

    tp: int
    fn: int

    @property
    def recall(self) -> float:
        """RETURNS (float): tp / (tp + fn), in percent."""
        return _percent(self.tp, self.tp + self.fn)

    def to_dict(self) -> Dict[str, float]:
        """RETURNS (Dict[str, float]): {"r", "tp", "fn", "n"}."""
        return {"r": self.recall, "tp": self.tp, "fn": self.fn, "n": self.tp + self.fn}


def ner_recall_by_type(
    gold: Iterable[Tuple[DocKey, int, int, str]], pred: Set[SpanKey]
) -> Dict[str, Recall]:
    """Strict NER recall per gold mention type (SpecificDisease, DiseaseClass, Modifier,
    CompositeMention in NCBI disease). Only recall is defined per type: the predictions carry
    no mention type, so a false positive belongs to no type and precision per type does not
    exist.

    gold (Iterable[Tuple[DocKey, int, int, str]]): Gold spans with their mention type.
    pred (Set[Tuple[DocKey, int, int]]): Predicted entity spans.
    RETURNS (Dict[str, Recall]): Mention type -> recall, sorted by type.
    """
    found: Counter = Counter()
    missed: Counter = Counter()
    for doc, start, end, mention_type in set(gold):
        if (doc, start, end) in pred:
            found[mention_type] += 1
        else:
            missed[mention_type] += 1
    types = sorted(set(found) | set(missed))
    return {t: Recall(tp=found[t], fn=missed[t]) for t in types}


def _single_concept_mentions(
    gold: Sequence[GoldConcepts],
) -> Tuple[List[Tuple[SpanKey, str]], int]:
    """Split off gold mentions whose ids form exactly one concept; count the others."""
    single = []
    n_other = 0
    for doc, start, end, concepts in gold:
        if len(concepts) == 1:
            single.append(((doc, start, end), next(iter(concepts))))
        else:
            n_other += 1
    return single, n_other


def _hits_at_k(
    gold: Sequence[GoldConcepts],
    ranked: Mapping[SpanKey, Sequence[str]],
    ks: Sequence[int],
    prefix: str,
) -> Dict[str, float]:
    single, n_other = _single_concept_mentions(gold)
    hits = Counter()
    n_unranked = 0
    for span, concept in single:
        ranking = list(ranked.get(span) or ())
        if not ranking:
            n_unranked += 1
        rank = ranking.index(concept) + 1 if concept in ranking else None
        for k in ks:
            hits[k] += rank is not None and rank <= k
    result: Dict[str, float] = {f"{prefix}{k}": _percent(hits[k], len(single)) for k in ks}
    result.update(
        {
            "n": len(single),
            "n_without_ranking": n_unranked,
            "n_excluded_multi_concept": n_other,
        }
    )
    for k in ks:
        result[f"n_correct@{k}"] = hits[k]
    return result


def norm_at_gold(
    gold: Sequence[GoldConcepts],
    ranked: Mapping[SpanKey, Sequence[str]],
    ks: Sequence[int] = DEFAULT_ACC_KS,
) -> Dict[str, float]:
    """Normalization accuracy on gold mentions ("norm@gold"): acc@k is the share of gold
    mentions whose concept is among the first k concepts ranked for that exact span.

    Only gold mentions whose (resolved) ids form exactly one concept are scored; composite
    mentions ("breast and ovarian cancer") are counted in `n_excluded_multi_concept` and
    belong to `mention_linking_prf`. A scored mention without a ranking counts as wrong.

    gold (Sequence[Tuple[DocKey, int, int, FrozenSet[str]]]): Gold spans with their concepts.
    ranked (Mapping[Tuple[DocKey, int, int], Sequence[str]]): Span -> concepts, best first.
    ks (Sequence[int]): The cut-offs.
    RETURNS (Dict[str, float]): "acc@K" per k (percent), "n" (mentions scored),
        "n_without_ranking", "n_excluded_multi_concept" and "n_correct@K" per k.
    """
    return _hits_at_k(gold, ranked, ks, "acc@")


def candidate_recall(
    gold: Sequence[GoldConcepts],
    candidates: Mapping[SpanKey, Sequence[str]],
    ks: Sequence[int] = DEFAULT_RECALL_KS,
) -> Dict[str, float]:
    """Candidate recall@k: the share of gold mentions whose concept is among the first k
    candidates of that exact span. Same mentions as `norm_at_gold` (exactly one concept);
    with the final ranking as `candidates`, recall@k equals acc@k, so the two differ only in
    the cut-offs reported: recall@k at large k shows whether the candidate generator found
    the concept at all.

    gold (Sequence[Tuple[DocKey, int, int, FrozenSet[str]]]): Gold spans with their concepts.
    candidates (Mapping[Tuple[DocKey, int, int], Sequence[str]]): Span -> ranked concepts.
    ks (Sequence[int]): The cut-offs.
    RETURNS (Dict[str, float]): "recall@K" per k (percent), the counts as in `norm_at_gold`.
    """
    return _hits_at_k(gold, candidates, ks, "recall@")


def mention_linking_prf(
    gold: Set[Tuple[DocKey, int, int, str]], pred: Set[Tuple[DocKey, int, int, str]]
) -> PRF:
    """End-to-end mention linking: a prediction (doc, start, end, concept) is right if a gold
    mention has exactly that span and that concept among its ids. A composite gold mention with
    two ids contributes two gold tuples, so a system that finds one of its concepts gets one tp
    and one fn; a span error costs one fp per predicted concept and one fn per gold concept.

    gold (Set[Tuple[DocKey, int, int, str]]): One tuple per (gold mention, resolved concept).
    pred (Set[Tuple[DocKey, int, int, str]]): One tuple per (entity, predicted concept); NIL
        entities contribute nothing.
    RETURNS (PRF): The scores.
    """
    return set_prf(gold, pred)


def document_concept_prf(
    gold: Set[Tuple[DocKey, str]], pred: Set[Tuple[DocKey, str]]
) -> PRF:
    """Document-level concept identification (BioCreative V CDR disease normalization style):
    the set of concepts mentioned in each document, compared as (doc, concept) pairs,
    whatever the spans and however often each concept is mentioned.

    gold (Set[Tuple[DocKey, str]]): Concepts of the gold mentions per document.
    pred (Set[Tuple[DocKey, str]]): Concepts of the predicted entities per document.
    RETURNS (PRF): The scores.
    """
    return set_prf(gold, pred)


def resolve_ids(
    raw_ids: Iterable[str], resolve: Optional[Resolver] = None
) -> Tuple[FrozenSet[str], Tuple[str, ...]]:
    """Map gold (or predicted) ids to the concepts they denote.

    Each id is prefix-normalized ("D012878" -> "MESH:D012878") and then resolved to the
    primary id of its concept (an OMIM alt id -> the MeSH primary id). An id that does not
    resolve is kept as it is, so it still counts as gold (and, unless predicted verbatim, as a
    miss), and it is returned in the second element so it can be counted and reported.

    raw_ids (Iterable[str]): The ids, e.g. ("D001943", "OMIM:219700"); blanks are ignored.
    resolve (Optional[Callable[[str], Optional[str]]]): Any id -> primary id, or None when
        unknown (e.g. `ConceptStore.resolve`). Without it, ids are only prefix-normalized.
    RETURNS (Tuple[FrozenSet[str], Tuple[str, ...]]): The concepts, and the normalized ids
        that did not resolve (in input order, without repeats).
    """
    concepts = set()
    unresolved: Dict[str, None] = {}
    for raw in raw_ids:
        concept_id = normalize_concept_id(raw)
        if not concept_id:
            continue
        primary = resolve(concept_id) if resolve is not None else concept_id
        if primary is None:
            unresolved[concept_id] = None
            primary = concept_id
        concepts.add(primary)
    return frozenset(concepts), tuple(unresolved)

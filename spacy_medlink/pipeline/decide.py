"""The link decision, in one place: from the ranker's scores to each mention's concept id.

1. probabilities: a softmax over each mention's candidates (at the calibrated temperature);
2. the most probable candidate, or NIL ("") when its probability is below the threshold;
3. a coordinated mention ("breast and ovarian cancer") links to all its conjuncts' concepts,
   joined by KB_ID_SEPARATOR, unless its whole string closely matches one alias ("hereditary
   breast and ovarian cancer" is one concept); its score is its weakest conjunct's, and the
   threshold applies to that score.

Scores are rounded to 4 decimals before the threshold is applied, as they are reported in
doc._.medlink_links, so a record's score and its kb_id never disagree.
"""
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np

from ..kb.ids import KB_ID_SEPARATOR

NIL = ""
# A coordinated mention whose whole string matches an alias at least this closely is one
# concept, not a composite.
COMPOSITE_MAX_WHOLE_SIMILARITY = 0.9
SCORE_DECIMALS = 4


@dataclass
class Decision:
    """What one mention links to.

    kb_id (str): the concept id, several joined by KB_ID_SEPARATOR for a composite, NIL below
        the threshold.
    score (float): the calibrated probability behind it (rounded).
    composite (Optional[List[dict]]): per conjunct {"query", "kb_id", "score"}, for composites.
    """

    kb_id: str
    score: float
    composite: Optional[List[dict]] = field(default=None)


def group_offsets(pair_mention: np.ndarray, n_mentions: int) -> np.ndarray:
    """RETURNS (np.ndarray): the index of each mention's first candidate pair."""
    counts = np.bincount(pair_mention, minlength=n_mentions)
    return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)


def group_softmax(scores: np.ndarray, pair_mention: np.ndarray, n_mentions: int) -> np.ndarray:
    """Softmax of scores within each mention's group of candidate pairs."""
    if len(scores) == 0:
        return scores.astype("float32")
    maxes = np.full(n_mentions, -np.inf, dtype="float64")
    np.maximum.at(maxes, pair_mention, scores)
    exp = np.exp(scores - maxes[pair_mention])
    sums = np.zeros(n_mentions, dtype="float64")
    np.add.at(sums, pair_mention, exp)
    return (exp / sums[pair_mention]).astype("float32")


def rounded(probability) -> float:
    return round(float(probability), SCORE_DECIMALS)


def passes(score: float, threshold: Optional[float]) -> bool:
    """RETURNS (bool): whether a link with this score is kept (threshold None: always)."""
    return threshold is None or score >= threshold


def decide(candidates: Sequence, probs: Sequence[float], threshold: Optional[float]) -> Decision:
    """The most probable candidate (the first of equals), or NIL below the threshold.

    candidates (Sequence[Candidate]): the mention's candidates, in the order of probs.
    probs (Sequence[float]): their probabilities.
    threshold (Optional[float]): the NIL threshold, None to always link.
    """
    if not len(probs):
        return Decision(NIL, 0.0)
    best = int(np.argmax(probs))
    score = rounded(probs[best])
    return Decision(candidates[best].concept_id if passes(score, threshold) else NIL, score)


def decide_composite(
    candidates: Sequence,
    probs: Sequence[float],
    parts: Sequence[Tuple[str, Sequence, Sequence[float]]],
    threshold: Optional[float],
) -> Optional[Decision]:
    """The decision for a coordinated mention, or None when it is one concept after all.

    candidates, probs: the whole mention's candidates and probabilities.
    parts (Sequence[Tuple[str, Sequence[Candidate], Sequence[float]]]): per conjunct its
        query, candidates and probabilities.
    RETURNS (Optional[Decision]): None when the whole string closely matches an alias, a
        conjunct has no candidate, or the conjuncts name fewer than two concepts.
    """
    if len(probs):
        top = candidates[int(np.argmax(probs))]
        if max(top.similarity, top.rewrite_similarity) >= COMPOSITE_MAX_WHOLE_SIMILARITY:
            return None
    linked = []
    for query, part_candidates, part_probs in parts:
        if not len(part_probs):
            return None
        best = int(np.argmax(part_probs))
        linked.append({"query": query, "kb_id": part_candidates[best].concept_id,
                       "score": rounded(part_probs[best])})
    ids = list(dict.fromkeys(part["kb_id"] for part in linked))
    if len(ids) < 2:
        return None
    score = min(part["score"] for part in linked)
    kb_id = KB_ID_SEPARATOR.join(ids) if passes(score, threshold) else NIL
    return Decision(kb_id, score, linked)

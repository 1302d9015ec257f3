"""The documented, serializable explanation of each link: `doc._.medlink_links`.

One plain dict per entity (strings, ints, floats only, so DocBin, `nlp.pipe(n_process=2)`
and JSON all keep it):

    {"start_char": 10, "end_char": 23, "text": "breast cancer", "query": "breast cancer",
     "kb_id": "MESH:D001943", "score": 0.97,
     "candidates": [{"id": "MESH:D001943", "name": "Breast Neoplasms",
                     "alias": "breast cancer", "score": 0.97, "category": "disease",
                     "evidence": {"string": 1.2, "prior": 0.3, ...}}, ...]}

`category` is the linked concept's category ("disease", "sign_or_symptom" for MeSH C23.888
signs and symptoms, "other"; "" for NIL), also readable as `ent._.medlink_category`.
`kb_id` and `score` are the link decision (decide.py): `score` is the calibrated probability
of the chosen concept among the candidates, `kb_id` is "" (NIL) when it falls below the
component's threshold. `evidence` gives, per source, how much the raw score drops when that
source is neutralized. This module only builds and reads the records; it decides nothing.
"""
from typing import Dict, Sequence

import numpy as np
from spacy.tokens import Doc, Span

from .decide import Decision, group_offsets, rounded
from .features import EVIDENCE_GROUPS, FEATURE_NAMES
from .ranker_model import RankerBatch, score_fused

LINKS_EXTENSION = "medlink_links"
CANDIDATES_EXTENSION = "medlink_candidates"
CATEGORY_EXTENSION = "medlink_category"


def install_extensions() -> None:
    """Register the extensions once (idempotent, never force=True)."""
    if not Doc.has_extension(LINKS_EXTENSION):
        Doc.set_extension(LINKS_EXTENSION, default=None)
    if not Span.has_extension(CANDIDATES_EXTENSION):
        Span.set_extension(CANDIDATES_EXTENSION, getter=_span_candidates)
    if not Span.has_extension(CATEGORY_EXTENSION):
        Span.set_extension(CATEGORY_EXTENSION, getter=_span_category)


def _span_record(span: Span) -> dict:
    for record in span.doc._.get(LINKS_EXTENSION) or ():
        if record["start_char"] == span.start_char and record["end_char"] == span.end_char:
            return record
    return {}


def _span_candidates(span: Span) -> list:
    """The candidates recorded for exactly this span, or []."""
    return _span_record(span).get("candidates", [])


def _span_category(span: Span) -> str:
    """The linked concept's category for exactly this span, or "" (NIL / not linked)."""
    return _span_record(span).get("category", "")


def link_record(
    span: Span, mention, probs: Sequence[float], evidence, store, n_explanations: int,
    decision: Decision,
) -> dict:
    """One entity's link record: the decision and its n_explanations best candidates.

    span (Span): The entity.
    mention (Mention): Its query and candidates (in the order of probs).
    probs (Sequence[float]): The candidates' calibrated probabilities.
    evidence: Per candidate, the evidence contributions (a dict), or {} when not explained.
    store (ConceptStore): For the candidates' names and categories.
    n_explanations (int): Candidates to report (at least the best one).
    decision (Decision): What the mention links to (decide.py).
    """
    ranked = sorted(range(len(probs)), key=lambda j: -float(probs[j]))
    candidates = []
    for j in ranked[: max(1, n_explanations)]:
        cand = mention.candidates[j]
        concept = store.get(cand.concept_id)
        candidates.append({
            "id": cand.concept_id,
            "name": concept.name if concept is not None else "",
            "alias": cand.alias,
            "score": rounded(probs[j]),
            "category": store.category_of(cand.concept_id),
            "evidence": evidence[j] if j < len(evidence) else {},
        })
    record = {
        "start_char": span.start_char,
        "end_char": span.end_char,
        "text": span.text,
        "query": mention.query,
        "kb_id": decision.kb_id,
        "score": decision.score,
        "candidates": candidates,
    }
    if decision.composite is not None:
        record["composite"] = decision.composite
    return record


def evidence_contributions(
    model, batch: RankerBatch, fused: np.ndarray, base: np.ndarray, mentions: Sequence
) -> Dict[int, "_Evidence"]:
    """Evidence contributions per candidate: the score drop when one evidence group is
    neutralized (set to 0) with everything else fixed. The MLP is small, so this costs a few
    extra matrix products per batch.

    RETURNS (Dict[int, _Evidence]): per scored mention (its index), its candidates' evidence.
    """
    names = FEATURE_NAMES + ["context_match"]
    contributions = {}
    for group, group_names in EVIDENCE_GROUPS.items():
        ablated = fused.copy()
        ablated[:, [names.index(n) for n in group_names]] = 0.0
        contributions[group] = np.round(base - score_fused(model, ablated), 4)
    offsets = group_offsets(batch.pair_mention, len(mentions))
    # Dicts are built lazily by link_record, only for the candidates it reports.
    return {
        i: _Evidence(contributions, o, len(m.candidates))
        for i, (o, m) in enumerate(zip(offsets, mentions))
    }


class _Evidence:
    """Evidence contributions of one mention's candidates, as dicts on demand."""

    def __init__(self, contributions: Dict[str, np.ndarray], offset: int, n: int):
        self.contributions, self.offset, self.n = contributions, offset, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, j: int) -> Dict[str, float]:
        return {g: float(c[self.offset + j]) for g, c in self.contributions.items()}

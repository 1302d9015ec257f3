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
from typing import Dict, List, Sequence

import numpy as np
from spacy.tokens import Doc, Span

from .decide import Decision, rounded
from .features import EVIDENCE_GROUPS, FEATURE_NAMES
from .ranker_model import score_fused

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


def reported_candidates(probs: Sequence[float], n_explanations: int) -> List[int]:
    """RETURNS (List[int]): the indices of the candidates a record reports, most probable
    first (ties in candidate order), at least the best one."""
    order = np.argsort(-np.asarray(probs, dtype=np.float64), kind="stable")
    return order[: max(1, n_explanations)].tolist()


def link_record(
    span: Span, mention, probs: Sequence[float], evidence, store, reported: Sequence[int],
    decision: Decision,
) -> dict:
    """One entity's link record: the decision and its reported candidates.

    span (Span): The entity.
    mention (Mention): Its query and candidates (in the order of probs).
    probs (Sequence[float]): The candidates' calibrated probabilities.
    evidence: Per reported candidate index, the evidence contributions (a dict); {} when not
        explained.
    store (ConceptStore): For the candidates' names and categories.
    reported (Sequence[int]): The candidates to report, in order (reported_candidates).
    decision (Decision): What the mention links to (decide.py).
    """
    candidates = []
    all_candidates = mention.candidates
    for j in reported:
        cand = all_candidates[j]
        concept = store.get(cand.concept_id)
        candidates.append({
            "id": cand.concept_id,
            "name": concept.name if concept is not None else "",
            "alias": cand.alias,
            "score": rounded(probs[j]),
            "category": store.category_of(cand.concept_id),
            "evidence": evidence.get(j, {}),
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
    model, fused: np.ndarray, base: np.ndarray, offsets: Sequence[int], reported: Sequence[Sequence[int]]
) -> List[Dict[int, Dict[str, float]]]:
    """Evidence contributions of the reported candidates: the score drop when one evidence
    group is neutralized (set to 0) with everything else fixed. Only the rows a record
    reports are re-scored (5 of a mention's 20 candidates by default), all groups' copies in
    one model call per batch.

    fused (np.ndarray): the batch's fused evidence rows (ranker_model.fuse_evidence).
    base (np.ndarray): their scores.
    offsets (Sequence[int]): the first row of each mention.
    reported (Sequence[Sequence[int]]): per mention, the candidate indices its record reports.
    RETURNS (List[Dict[int, Dict[str, float]]]): per mention, candidate index -> contribution
        per evidence group.
    """
    rows = np.asarray([offset + j for offset, found in zip(offsets, reported) for j in found], dtype=np.int64)
    names = FEATURE_NAMES + ["context_match"]
    # Every group's ablated copy of the rows, stacked and scored in one call: one model call
    # per batch instead of one per group (each call costs ~50 us of layer overhead).
    ablated = np.tile(fused[rows], (len(EVIDENCE_GROUPS), 1))
    for g, group_names in enumerate(EVIDENCE_GROUPS.values()):
        ablated[g * len(rows): (g + 1) * len(rows), [names.index(n) for n in group_names]] = 0.0
    scores = score_fused(model, ablated).reshape((len(EVIDENCE_GROUPS), len(rows)))
    # One row of group contributions per reported candidate, made into its dict with zip.
    by_row = np.round(base[rows] - scores, 4).T.tolist()
    groups = list(EVIDENCE_GROUPS)
    explained, position = [], 0
    for found in reported:
        explained.append({j: dict(zip(groups, by_row[position + i])) for i, j in enumerate(found)})
        position += len(found)
    return explained

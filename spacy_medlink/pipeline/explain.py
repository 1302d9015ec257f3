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
`score` is the calibrated probability of the chosen concept among the candidates; `kb_id` is
"" (NIL) when it falls below the component's threshold. `evidence` gives, per source, how much
the raw score drops when that source is neutralized.
"""
from typing import Sequence

from spacy.tokens import Doc, Span

from ..kb.ids import KB_ID_SEPARATOR

LINKS_EXTENSION = "medlink_links"
CANDIDATES_EXTENSION = "medlink_candidates"
CATEGORY_EXTENSION = "medlink_category"
SIGN_OR_SYMPTOM = "sign_or_symptom"
# Entity labels when the linker relabels by category (category_labels = true).
DISEASE_LABEL = "DISEASE"
SYMPTOM_LABEL = "SYMPTOM"


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


def link_category(store, kb_id: str) -> str:
    """The category of a link: a composite ("A|B") is a disease if any part is one.

    store (ConceptStore): The KB's store.
    kb_id (str): The linked id(s), "" for NIL.
    RETURNS (str): "disease", "sign_or_symptom", "other", or "" for NIL.
    """
    categories = [store.category_of(i) for i in kb_id.split(KB_ID_SEPARATOR) if i in store]
    if not categories:
        return ""
    for category in ("disease", SIGN_OR_SYMPTOM):
        if category in categories:
            return category
    return categories[0]


def category_label(category: str) -> str:
    """RETURNS (str): SYMPTOM for signs and symptoms, else DISEASE."""
    return SYMPTOM_LABEL if category == SIGN_OR_SYMPTOM else DISEASE_LABEL


def link_record(span: Span, mention, probs: Sequence[float], evidence, linker) -> dict:
    """Build one entity's link record from its ranked candidates."""
    threshold = linker.cfg["threshold"]
    ranked = sorted(range(len(probs)), key=lambda j: -float(probs[j]))
    candidates = []
    for rank, j in enumerate(ranked[: max(1, linker.cfg["n_explanations"])]):
        cand = mention.candidates[j]
        concept = linker.kb.store.get(cand.concept_id)
        candidates.append({
            "id": cand.concept_id,
            "name": concept.name if concept is not None else "",
            "alias": cand.alias,
            "score": round(float(probs[j]), 4),
            "category": linker.kb.store.category_of(cand.concept_id),
            "evidence": evidence[j] if j < len(evidence) else {},
        })
    best = candidates[0] if candidates else None
    kb_id = ""
    if best is not None and (threshold is None or best["score"] >= threshold):
        kb_id = best["id"]
    return {
        "start_char": span.start_char,
        "end_char": span.end_char,
        "text": span.text,
        "query": mention.query,
        "kb_id": kb_id,
        "score": best["score"] if best else 0.0,
        "candidates": candidates,
    }

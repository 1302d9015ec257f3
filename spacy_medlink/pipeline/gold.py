"""Gold mentions for the linker's training and calibration, and the leave-one-document-out
bookkeeping: what a document's own mentions added to the KB's training counts, counted by the
KB build's rule (kb/build.py: single-id mentions, normalize_alias keys, resolved ids), so the
ranker does not learn from exact matches that are only there because the document was seen.
"""
from typing import Dict, List, Optional, Tuple

from spacy.tokens import Span
from spacy.training import Example

from ..kb.ids import KB_ID_SEPARATOR
from ..kb.normalize import normalize_alias


def single_concept(store, kb_id: str) -> Optional[str]:
    """RETURNS (Optional[str]): the one KB concept a gold id string names (alt ids resolved),
    or None for composites ("A|B" of two concepts) and ids the KB lacks."""
    resolved = {store.resolve(i) for i in kb_id.split(KB_ID_SEPARATOR) if i}
    if len(resolved) != 1 or None in resolved:
        return None
    return resolved.pop()


def gold_spans(example: Example, store) -> Tuple[List[Span], List[str]]:
    """Gold entities mapped onto the predicted doc, with their single resolved concept."""
    spans, golds = [], []
    for ent in example.reference.ents:
        concept = single_concept(store, ent.kb_id_)
        if concept is None:
            continue
        span = example.predicted.char_span(ent.start_char, ent.end_char)
        if span is not None:
            spans.append(span)
            golds.append(concept)
    return spans, golds


def document_training_counts(example: Example, store) -> Tuple[Dict[str, Dict[str, int]], Dict[str, int]]:
    """What this document's own gold mentions added to the KB's training counts.

    RETURNS (Tuple[Dict, Dict]): alias -> {concept: count}, and concept -> count.
    """
    by_alias: Dict[str, Dict[str, int]] = {}
    by_concept: Dict[str, int] = {}
    for ent in example.reference.ents:
        concept = single_concept(store, ent.kb_id_)
        # The KB counts only mentions with one id (build_kb_from_paths), not "A|A".
        if concept is None or KB_ID_SEPARATOR in ent.kb_id_:
            continue
        alias = normalize_alias(ent.text)
        counts = by_alias.setdefault(alias, {})
        counts[concept] = counts.get(concept, 0) + 1
        by_concept[concept] = by_concept.get(concept, 0) + 1
    return by_alias, by_concept

"""Gold mentions for the linker's training and calibration, and the leave-one-document-out
bookkeeping: what a document's own mentions added to the KB's training counts, counted by the
KB build's rule (kb.build.counted_training_alias), so the ranker does not learn from exact
matches that are only there because the document was seen.
"""
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from spacy.tokens import Doc, Span
from spacy.training import Example

from ..kb.build import counted_training_alias
from ..kb.ids import KB_ID_SEPARATOR
from .features import Mention


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
        counted = counted_training_alias(ent.text, ent.kb_id_.split(KB_ID_SEPARATOR), store)
        if counted is None:
            continue
        alias, concept = counted
        counts = by_alias.setdefault(alias, {})
        counts[concept] = counts.get(concept, 0) + 1
        by_concept[concept] = by_concept.get(concept, 0) + 1
    return by_alias, by_concept


def gold_mentions(
    examples: Sequence[Example], store, make_mentions: Callable, *, leave_doc_out: bool
) -> Tuple[List[Mention], List[Doc], Dict[str, int]]:
    """Gold mentions of single KB concepts with their candidates, for training and calibration.

    make_mentions (Callable): (docs, spans, exclude) -> mentions with candidates (the linker's).
    leave_doc_out (bool): exclude the training counts each document contributed to the KB
        (training); RETURNS also those per-concept counts, summed over the examples.
    RETURNS (Tuple): mentions (gold set), their docs (mention.doc_index), excluded counts.
    """
    mentions: List[Mention] = []
    docs: List[Doc] = []
    exclude_concepts: Dict[str, int] = {}
    for example in examples:
        spans, golds = gold_spans(example, store)
        if not spans:
            continue
        exclude = None
        if leave_doc_out:
            exclude, concept_counts = document_training_counts(example, store)
            for cid, n in concept_counts.items():
                exclude_concepts[cid] = exclude_concepts.get(cid, 0) + n
        doc_mentions = make_mentions([example.predicted], [spans], exclude)
        for mention, gold in zip(doc_mentions, golds):
            mention.doc_index, mention.gold = len(docs), gold
        docs.append(example.predicted)
        mentions.extend(doc_mentions)
    return mentions, docs, exclude_concepts

"""The linker's mentions: which entities it links, the lookup string of each (abbreviations
expanded, then the shared alias normalizer), their candidates, and the conjuncts of
coordinated mentions ("breast and ovarian cancer")."""
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from spacy.tokens import Doc, Span

from ..kb.normalize import normalize_alias
from .abbreviations import expand_abbreviations
from .composites import split_coordination
from .features import Mention


def linkable_entities(doc: Doc, labels: Iterable[str], labels_discard: Iterable[str]) -> List[Span]:
    """The doc's entities with a label in `labels` ([] = any) and none in `labels_discard`."""
    labels, discard = set(labels), set(labels_discard)
    return [
        ent for ent in doc.ents
        if (not labels or ent.label_ in labels) and ent.label_ not in discard
    ]


def mentions_with_candidates(
    docs: Sequence[Doc],
    spans: Sequence[Sequence[Span]],
    kb,
    get_candidates: Callable,
    short_forms_of: Callable[[Doc], Sequence[Span]],
    exclude: Optional[Dict] = None,
) -> List[Mention]:
    """One Mention per span (doc_index = position in docs), with its candidates.

    short_forms_of (Callable[[Doc], Sequence[Span]]): the doc's short-form occurrences, asked
        only for docs with spans.
    exclude (Optional[Dict]): training counts the candidate generator leaves out.
    """
    mentions = []
    for doc_index, (doc, doc_spans) in enumerate(zip(docs, spans)):
        short_forms = short_forms_of(doc) if doc_spans else ()
        for span in doc_spans:
            query = normalize_alias(expand_abbreviations(doc, span, short_forms=short_forms))
            mentions.append(Mention(doc_index, span.start, span.end, span.text, query))
    found = get_candidates(kb, [m.query for m in mentions], exclude)
    for mention, candidates in zip(mentions, found):
        mention.candidates = list(candidates)
    return mentions


def composite_parts(mentions: Sequence[Mention], kb, get_candidates: Callable) -> List[Tuple[int, Mention]]:
    """(index of the mention, conjunct) for every coordinated mention, with candidates."""
    parts = []
    for m_index, mention in enumerate(mentions):
        for query in split_coordination(mention.text, normalize_alias):
            parts.append((m_index, Mention(mention.doc_index, mention.start, mention.end,
                                           mention.text, query)))
    if parts:
        found = get_candidates(kb, [part.query for _, part in parts], None)
        for (_, part), candidates in zip(parts, found):
            part.candidates = list(candidates)
    return parts

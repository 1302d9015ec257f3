"""medlink_abbreviations: the Schwartz & Hearst abbreviation definitions of a Doc's text
(schwartz_hearst.py, pure functions) and every occurrence of their short forms, as span
groups; expand_abbreviations rewrites a span with its short forms' long forms.
"""
import bisect
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

from spacy.language import Language
from spacy.tokens import Doc, Span

from ..errors import Warnings
from .schwartz_hearst import (
    find_abbreviation_definitions, find_short_form_occurrences, split_compound_definition,
)

ABBREVIATIONS_FACTORY = "medlink_abbreviations"
DEFAULT_SPANS_KEY = "medlink_abbreviations"
LONG_FORMS_SUFFIX = "_long_forms"


def long_forms_key(spans_key: str) -> str:
    """The doc.spans key of the long forms that go with the short forms under spans_key."""
    return spans_key + LONG_FORMS_SUFFIX
SHORT_FORM_LABEL = "ABBR"
LONG_FORM_LABEL = "ABBR_LONG"

class AbbreviationDetector:
    """Mark abbreviation definitions and every occurrence of their short forms.

    Writes `doc.spans[spans_key]`: one span per short-form occurrence (label "ABBR",
    `span.id_` = long form), sorted by position; and `doc.spans[spans_key + "_long_forms"]`:
    one span per definition's long form (label "ABBR_LONG", `span.id_` = short form). The
    component has no state: it serializes through its config alone.
    """

    def __init__(self, name: str = ABBREVIATIONS_FACTORY, *, spans_key: str = DEFAULT_SPANS_KEY):
        """Initialize the abbreviation detector.

        name (str): The component instance name.
        spans_key (str): Key in doc.spans for the short-form occurrences; the long forms go
            to spans_key + "_long_forms".
        """
        self.name = name
        self.spans_key = spans_key
        # Abbreviation spans found and those that did not align to tokens, over all docs.
        self.n_spans = 0
        self.n_misaligned = 0
        self._warned = False

    @property
    def long_forms_key(self) -> str:
        return long_forms_key(self.spans_key)

    def __call__(self, doc: Doc) -> Doc:
        """Find abbreviations in a Doc and store them in doc.spans.

        doc (Doc): The document to process.
        RETURNS (Doc): The same document, with the two span groups set.
        """
        short_spans, long_spans = self.detect(doc)
        doc.spans[self.spans_key] = short_spans
        doc.spans[self.long_forms_key] = long_spans
        return doc

    def detect(self, doc: Doc) -> Tuple[List[Span], List[Span]]:
        """Find abbreviations in a Doc without writing them to it (the linker reads them for
        docs that did not pass through this component).

        RETURNS (Tuple[List[Span], List[Span]]): short-form occurrences (sorted by position)
            and long forms.
        """
        text = doc.text
        long_form_of: Dict[str, str] = {}
        definitions = []
        for definition in find_abbreviation_definitions(text):
            # A short form defined twice with different long forms keeps the first.
            kept = long_form_of.setdefault(definition.short_form, definition.long_form)
            if kept == definition.long_form:
                definitions.append(definition)
        for definition in definitions:
            for part, part_long_form in split_compound_definition(
                definition.short_form, definition.long_form
            ):
                # A part defined on its own elsewhere in the text keeps that definition.
                long_form_of.setdefault(part, part_long_form)
        n_total = 0
        misaligned: List[str] = []
        short_spans = []
        for start, end, short_form in find_short_form_occurrences(text, long_form_of):
            n_total += 1
            span = _aligned_span(doc, start, end, SHORT_FORM_LABEL, long_form_of[short_form])
            if span is None:
                misaligned.append(text[start:end])
            else:
                short_spans.append(span)
        long_spans = []
        for definition in definitions:
            n_total += 1
            span = _aligned_span(
                doc, definition.long_start, definition.long_end, LONG_FORM_LABEL,
                definition.short_form,
            )
            if span is None:
                misaligned.append(definition.long_form)
            else:
                long_spans.append(span)
        self.n_spans += n_total
        self.n_misaligned += len(misaligned)
        if misaligned and not self._warned:
            # Once per component, not once per document: the counts keep the rest.
            self._warned = True
            warnings.warn(
                Warnings.W250.format(
                    n_skipped=len(misaligned), n_total=n_total, examples=misaligned[:3]
                )
            )
        return short_spans, long_spans


def _aligned_span(doc: Doc, start: int, end: int, label: str, span_id: str) -> Optional[Span]:
    """A span over exactly the characters start:end, or None if they do not align to tokens."""
    contracted = doc.char_span(start, end, alignment_mode="contract")
    if contracted is None or contracted.start_char != start or contracted.end_char != end:
        return None
    return Span(doc, contracted.start, contracted.end, label=label, span_id=span_id)


@Language.factory(
    ABBREVIATIONS_FACTORY,
    assigns=["doc.spans"],
    default_config={"spans_key": DEFAULT_SPANS_KEY},
)
def make_abbreviation_detector(nlp: Language, name: str, *, spans_key: str) -> AbbreviationDetector:
    """Create an AbbreviationDetector.

    nlp (Language): The pipeline (unused; the component needs no vocab or model).
    name (str): The component instance name.
    spans_key (str): Key in doc.spans for the short-form occurrences.
    RETURNS (AbbreviationDetector): The component.
    """
    return AbbreviationDetector(name, spans_key=spans_key)


def expand_abbreviations(
    doc: Doc, span: Span, spans_key: str = DEFAULT_SPANS_KEY, short_forms: Optional[Sequence[Span]] = None,
) -> str:
    """Return a span's text with each short form it contains replaced by its long form.

    "DM1 patients" -> "myotonic dystrophy type 1 patients" when the medlink_abbreviations
    component defined DM1 in the document. Only short-form occurrences lying entirely inside
    the span are replaced.

    doc (Doc): The document, processed by the medlink_abbreviations component.
    span (Span): The span to expand (e.g. an entity of doc).
    spans_key (str): The component's spans_key.
    short_forms (Optional[Sequence[Span]]): The short-form occurrences sorted by start, instead
        of doc.spans[spans_key] (AbbreviationDetector.detect).
    RETURNS (str): The expanded text, or span.text unchanged when it contains no short form.
    """
    if short_forms is None:
        if spans_key not in doc.spans:
            return span.text
        short_forms = doc.spans[spans_key]
    # The occurrences are sorted by start (as the component writes them and detect returns
    # them), so a binary search finds the first one at or after the span start.
    index = bisect.bisect_left(range(len(short_forms)), span.start, key=lambda i: short_forms[i].start)
    pieces = []
    # Slice the span's own text: Doc.text rebuilds the whole document's string on each access.
    text, offset = span.text, span.start_char
    cursor = span.start_char
    while index < len(short_forms):
        occurrence = short_forms[index]
        if occurrence.start >= span.end:
            break
        if occurrence.end <= span.end:
            pieces.append(text[cursor - offset : occurrence.start_char - offset])
            pieces.append(occurrence.id_)
            cursor = occurrence.end_char
        index += 1
    if not pieces:
        return span.text
    pieces.append(text[cursor - offset :])
    return "".join(pieces)

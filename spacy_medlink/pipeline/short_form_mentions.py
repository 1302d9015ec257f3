"""Make short-form mentions agree with their long form: "Kessler-Varga syndrome (KVS)".

Authors define an abbreviation once and then use it throughout an abstract. A token-level NER
sees each "KVS" on its own and misses many of them, or tags a gene symbol whose long form it
rightly left alone. This component decides once per document, from the NER's own reading of
the definition, whether a short form names a mention:

- **mention**: an entity ends exactly where the long form ends and starts at or before it,
  without a preposition in between ("X-linked Kessler-Varga syndrome (KVS)": yes; "deficiency
  of lumenase (LMN)": no, the disease is the deficiency and LMN names the enzyme).
  Every occurrence of the short form that no entity overlaps becomes an entity, with the
  long form's label.
- **not a mention**: no entity touches the long form ("growth factor receptor (GFR)").
  Entities that are exactly an occurrence of the short form are removed; they are kept in
  `doc.spans[removed_key]`, so nothing disappears without a trace.
- **undecided**: an entity overlaps the long form some other way, e.g. it spans the whole
  definition ("glycerol kinase (GK) deficiency"). The NER's entities are
  left as they are.

A short form defined more than once in a document takes the strongest reading (mention over
undecided over not a mention). On the NCBI disease training corpus, with the gold entities
standing in for the NER (scripts/short_form_rule_check.py): of 1,439 short-form occurrences
whose long form reads as a mention, 1,335 are gold mentions themselves and 40 more lie inside
a longer gold mention; of the 954 whose long form is not a mention, none is. The abbreviations
come from `medlink_abbreviations`, which must run first.
"""
from typing import Dict, Iterable, List, Optional, Tuple

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from ..errors import Errors
from .abbreviations import DEFAULT_SPANS_KEY, long_forms_key

# Words that make the long form a complement inside the entity ("deficiency of X", "mutations
# in X"): then the entity names something about X, not X.
SHORT_FORM_FACTORY = "medlink_short_form_mentions"
PREPOSITIONS = frozenset({"of", "in", "for", "to", "with", "on", "at", "by", "from"})

MENTION = "mention"
UNDECIDED = "undecided"
NOT_MENTION = "not_mention"
# A reading and, for MENTION, the label of the entity that makes the long form a mention.
Reading = Tuple[str, Optional[str]]
# When one short form has several definitions in a document, the strongest reading wins.
_STRENGTH = {NOT_MENTION: 0, UNDECIDED: 1, MENTION: 2}


def read_long_form(long_form: Span, ents: Iterable[Span]) -> Reading:
    """How the entities read one long form.

    long_form (Span): The long form of an abbreviation definition.
    ents (Iterable[Span]): The document's entities.
    RETURNS (Tuple[str, Optional[str]]): MENTION, UNDECIDED or NOT_MENTION, and the label of
        the entity that makes it a mention (None otherwise).
    """
    reading, label = NOT_MENTION, None
    for ent in ents:
        if ent.end <= long_form.start or ent.start >= long_form.end:
            continue
        lead = ent.doc[ent.start:long_form.start]
        if (
            ent.end == long_form.end
            and ent.start <= long_form.start
            and not any(token.lower_ in PREPOSITIONS for token in lead)
        ):
            return MENTION, ent.label_
        reading = UNDECIDED
    return reading, label


def read_short_forms(long_forms: Iterable[Span], ents: List[Span]) -> Dict[str, Reading]:
    """The reading of each defined short form, from the entities around its long form(s).

    long_forms (Iterable[Span]): Long-form spans (`span.id_` = short form), as written by
        `medlink_abbreviations`.
    ents (List[Span]): The document's entities.
    RETURNS (Dict[str, Tuple[str, Optional[str]]]): Short form -> (reading, label); a short
        form defined more than once takes its strongest reading.
    """
    readings: Dict[str, Reading] = {}
    for long_form in long_forms:
        reading = read_long_form(long_form, ents)
        previous = readings.get(long_form.id_)
        if previous is None or _STRENGTH[reading[0]] > _STRENGTH[previous[0]]:
            readings[long_form.id_] = reading
    return readings


class ShortFormMentions:
    """Add or remove short-form entities so that they agree with their long form's reading."""

    def __init__(
        self,
        name: str = SHORT_FORM_FACTORY,
        *,
        abbreviations_key: str = DEFAULT_SPANS_KEY,
        add_mentions: bool = True,
        remove_mentions: bool = True,
        removed_key: Optional[str] = "medlink_short_forms_removed",
    ):
        """Initialize the component.

        name (str): The component instance name.
        abbreviations_key (str): The spans key `medlink_abbreviations` writes to (its long
            forms are under this key + "_long_forms").
        add_mentions (bool): Tag the untagged occurrences of short forms whose long form is
            a mention.
        remove_mentions (bool): Untag the occurrences of short forms whose long form no entity
            touches.
        removed_key (Optional[str]): doc.spans key for the removed entities; None keeps no
            record.
        """
        self.name = name
        self.abbreviations_key = abbreviations_key
        self.add_mentions = add_mentions
        self.remove_mentions = remove_mentions
        self.removed_key = removed_key

    def __call__(self, doc: Doc) -> Doc:
        """Update doc.ents from the document's abbreviation definitions.

        doc (Doc): A document processed by an NER and by `medlink_abbreviations`.
        RETURNS (Doc): The same document.
        """
        long_forms = long_forms_key(self.abbreviations_key)
        if self.abbreviations_key not in doc.spans or long_forms not in doc.spans:
            raise ValueError(
                Errors.E260.format(name=self.name, key=self.abbreviations_key)
            )
        ents = list(doc.ents)
        readings = read_short_forms(doc.spans[long_forms], ents)
        removed: List[Span] = []
        if self.remove_mentions:
            not_mentions = {
                (sf.start, sf.end)
                for sf in doc.spans[self.abbreviations_key]
                if readings.get(sf.text, (None,))[0] == NOT_MENTION
            }
            removed = [ent for ent in ents if (ent.start, ent.end) in not_mentions]
            ents = [ent for ent in ents if (ent.start, ent.end) not in not_mentions]
        if self.add_mentions:
            taken = [False] * len(doc)
            for ent in ents:
                taken[ent.start:ent.end] = [True] * len(ent)
            for short_form in doc.spans[self.abbreviations_key]:
                reading, label = readings.get(short_form.text, (None, None))
                if reading == MENTION and not any(taken[short_form.start:short_form.end]):
                    ents.append(Span(doc, short_form.start, short_form.end, label=label))
                    taken[short_form.start:short_form.end] = [True] * len(short_form)
        doc.ents = filter_spans(ents)
        if self.removed_key is not None:
            doc.spans[self.removed_key] = removed
        return doc


@Language.factory(
    SHORT_FORM_FACTORY,
    requires=["doc.ents", "doc.spans"],
    assigns=["doc.ents", "doc.spans"],
    default_config={
        "abbreviations_key": DEFAULT_SPANS_KEY,
        "add_mentions": True,
        "remove_mentions": True,
        "removed_key": "medlink_short_forms_removed",
    },
)
def make_short_form_mentions(
    nlp: Language,
    name: str,
    *,
    abbreviations_key: str,
    add_mentions: bool,
    remove_mentions: bool,
    removed_key: Optional[str],
) -> ShortFormMentions:
    """Create a ShortFormMentions component (stateless: it serializes through its config).

    nlp (Language): The pipeline (unused).
    name (str): The component instance name.
    abbreviations_key (str): The spans key of `medlink_abbreviations`.
    add_mentions (bool): Tag short forms whose long form is a mention.
    remove_mentions (bool): Untag short forms whose long form is not touched by any entity.
    removed_key (Optional[str]): doc.spans key for the removed entities, or None.
    RETURNS (ShortFormMentions): The component.
    """
    return ShortFormMentions(
        name,
        abbreviations_key=abbreviations_key,
        add_mentions=add_mentions,
        remove_mentions=remove_mentions,
        removed_key=removed_key,
    )

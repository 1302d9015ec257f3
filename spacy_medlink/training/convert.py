"""PubTator documents -> gold spaCy Docs (and a DocBin on disk).

The output follows the "Gold documents" contract in docs/ARCHITECTURE.md: `doc.ents` with label
DISEASE and `ent.kb_id_` = every gold id, prefix-normalized, joined by "|"; the PMID and every
gold mention (aligned or not) in `doc.user_data`; sentence boundaries from spaCy's sentencizer.

Gold boundaries are never moved: a mention whose offsets do not fall on token boundaries is
counted as misaligned, and a mention that overlaps one already kept is counted as overlapping.
Both stay in `doc.user_data["medlink_gold_mentions"]`, and W100 says how many were left out.
"""
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import spacy
from spacy.language import Language
from spacy.pipeline import Sentencizer
from spacy.tokens import Doc, DocBin
from spacy.util import filter_spans

from .. import tokenizer as _registers_biomedical_tokenizer  # noqa: F401
from ..errors import Errors, Warnings
from ..output_files import written_atomically
from ..kb.categories import DISEASE_LABEL, check_labels
from ..kb.ids import KB_ID_SEPARATOR, normalize_concept_id
from .pubtator import PubtatorDocument, PubtatorMention, read_pubtator

DEFAULT_LABEL = DISEASE_LABEL
DEFAULT_TOKENIZER = "spacy-medlink.BiomedicalTokenizer.v1"
DOC_ID_KEY = "medlink_doc_id"
GOLD_MENTIONS_KEY = "medlink_gold_mentions"
_MAX_DOCS_IN_WARNING = 10

MentionSummary = Tuple[int, int, str]
# PubTator mention types of other entity kinds (BC5CDR, BioRED, PubTator Central): a file with
# them converts them as DISEASE too unless `types` keeps the disease ones (W113).
OTHER_ENTITY_TYPES = frozenset({
    "Chemical", "ChemicalEntity", "Gene", "GeneOrGeneProduct", "Species", "OrganismTaxon",
    "Mutation", "SequenceVariant", "DNAMutation", "ProteinMutation", "SNP", "CellLine",
})


@dataclass
class ConversionReport:
    """What happened to every gold mention during conversion.

    n_documents (int): Documents converted.
    n_mentions (int): Gold mentions read.
    n_converted (int): Mentions added to `doc.ents`.
    n_misaligned (int): Mentions whose offsets are not on token boundaries.
    n_overlapping (int): Aligned mentions left out because they overlap a kept one.
    misaligned_by_doc (Dict[str, List[Tuple[int, int, str]]]): PMID -> (start, end, text) of
        each misaligned mention.
    overlapping_by_doc (Dict[str, List[Tuple[int, int, str]]]): PMID -> (start, end, text) of
        each overlapping mention.
    n_unannotated_missing (int): Vocabulary matches of categories the guideline does not
        annotate, marked missing (see convert_pubtator's `unannotated`).
    other_types (Dict[str, int]): Mentions left out because their type is not among
        convert_pubtator's `types` (e.g. BC5CDR's Chemical), per type; not in n_mentions.
    """

    n_documents: int = 0
    n_mentions: int = 0
    n_converted: int = 0
    n_misaligned: int = 0
    n_overlapping: int = 0
    misaligned_by_doc: Dict[str, List[MentionSummary]] = field(default_factory=dict)
    overlapping_by_doc: Dict[str, List[MentionSummary]] = field(default_factory=dict)
    n_unannotated_missing: int = 0
    other_types: Dict[str, int] = field(default_factory=dict)

    @property
    def accounted(self) -> int:
        """RETURNS (int): Converted + misaligned + overlapping; equals n_mentions."""
        return self.n_converted + self.n_misaligned + self.n_overlapping

    @property
    def n_skipped(self) -> int:
        """RETURNS (int): Mentions that are not in `doc.ents`."""
        return self.n_misaligned + self.n_overlapping


def pubtator_to_docs(
    documents: Iterable[PubtatorDocument],
    nlp: Language,
    *,
    label: str = DEFAULT_LABEL,
    source: str = "<documents>",
    types: Sequence[str] = (),
) -> Tuple[List[Doc], ConversionReport]:
    """Convert PubTator documents to gold Docs, tokenized with `nlp.make_doc`.

    documents (Iterable[PubtatorDocument]): The parsed documents.
    nlp (Language): Provides the tokenizer (only `make_doc` is used, not the pipeline).
    label (str): The entity label of every mention.
    source (str): Where the documents come from, named in the warnings and errors.
    types (Sequence[str]): Mention types to keep (e.g. "Disease" of BC5CDR, whose chemicals
        are mentions too); the others are counted in the report's other_types. Empty: every
        mention. E131 when none is kept, W114 for a type no mention has.
    RETURNS (Tuple[List[Doc], ConversionReport]): The Docs in input order and the counts.
    """
    type_counts: Dict[str, int] = {}  # every mention's type, before the filter
    if types:
        documents = (_keep_types(document, frozenset(types)) for document in _counted_types(documents, type_counts))
    docs, report = _to_docs(documents, nlp, label, source)
    report.other_types = {kind: n for kind, n in sorted(type_counts.items()) if kind not in types}
    if types and not report.n_mentions and report.other_types:
        raise ValueError(Errors.E131.format(path=source, types=list(types), found=list(report.other_types)))
    missing = [kind for kind in types if kind not in type_counts]
    if missing:
        kept = sorted(kind for kind in type_counts if kind in types)
        warnings.warn(Warnings.W114.format(path=source, missing=missing, kept=kept))
    return docs, report


def _to_docs(documents: Iterable[PubtatorDocument], nlp: Language, label: str, source: str) -> Tuple[List[Doc], ConversionReport]:
    sentencizer = Sentencizer()
    report = ConversionReport()
    docs = []
    other_kinds: Dict[str, int] = {}
    for document in documents:
        for mention in document.mentions:
            if mention.type in OTHER_ENTITY_TYPES:
                other_kinds[mention.type] = other_kinds.get(mention.type, 0) + 1
        doc = nlp.make_doc(document.text)
        sentencizer(doc)
        _add_gold(doc, document, label, report)
        _keep_entities_in_one_sentence(doc)
        docs.append(doc)
        report.n_documents += 1
    if report.accounted != report.n_mentions:  # every mention must land in exactly one count
        raise RuntimeError(
            Errors.E110.format(
                path=source, accounted=report.accounted, n_mentions=report.n_mentions
            )
        )
    if other_kinds:
        found = ", ".join(f"{n} {kind}" for kind, n in sorted(other_kinds.items()))
        warnings.warn(Warnings.W113.format(path=source, found=found, label=label))
    if report.n_skipped:
        docs_with_skips = list(
            dict.fromkeys([*report.misaligned_by_doc, *report.overlapping_by_doc])
        )
        warnings.warn(
            Warnings.W100.format(
                n_skipped=report.n_skipped,
                n_total=report.n_mentions,
                path=source,
                n_misaligned=report.n_misaligned,
                n_overlapping=report.n_overlapping,
                docs=", ".join(docs_with_skips[:_MAX_DOCS_IN_WARNING])
                + (", ..." if len(docs_with_skips) > _MAX_DOCS_IN_WARNING else ""),
            )
        )
    return docs, report


def convert_pubtator(
    input_path: Union[str, Path],
    output_path: Union[str, Path],
    *,
    lang: str = "en",
    tokenizer: Optional[str] = DEFAULT_TOKENIZER,
    documents: Optional[Iterable[PubtatorDocument]] = None,
    unannotated: Sequence[str] = (),
    vocabulary: Optional[Union[str, Path]] = None,
    types: Sequence[str] = (),
) -> ConversionReport:
    """Convert a PubTator file to a DocBin of gold Docs (user data included).

    input_path (Union[str, Path]): The PubTator file.
    output_path (Union[str, Path]): The .spacy file to write; parent folders are created.
    lang (str): The language code of the blank pipeline whose tokenizer is used.
    tokenizer (Optional[str]): A registered tokenizer name, or None for the language's default.
        Use the tokenizer of the pipeline you train, so gold entities keep their boundaries.
    documents (Optional[Iterable[PubtatorDocument]]): Already parsed documents of input_path
        (e.g. wrapped in a progress bar); read from input_path when None.
    unannotated (Sequence[str]): Vocabulary categories the corpus's guideline does not
        annotate ("SYMPTOM" for NCBI disease): their untouched matches become missing, not
        "outside" (training/guidelines.py). Needs `vocabulary`.
    vocabulary (Optional[Union[str, Path]]): MEDIC TSV(.gz) or concepts JSONL for `unannotated`.
    types (Sequence[str]): Mention types to keep (e.g. "Disease" of BC5CDR, whose chemicals
        are mentions too); the others are counted in the report. Empty: every mention.
    RETURNS (ConversionReport): The counts.
    """
    check_labels(unannotated, "--unannotated")
    nlp = blank_pipeline(lang, tokenizer)
    if documents is None:
        documents = read_pubtator(input_path)
    docs, report = pubtator_to_docs(documents, nlp, source=str(input_path), types=types)
    if unannotated:
        from ..kb.alias_matcher import AliasMatcher
        from ..kb.readers import read_vocabulary
        from .guidelines import mark_unannotated_missing

        if vocabulary is None:
            raise ValueError(Errors.E116.format(path=input_path))
        matcher = AliasMatcher.from_concepts(read_vocabulary(vocabulary))
        report.n_unannotated_missing = mark_unannotated_missing(docs, matcher, unannotated)
    with written_atomically(output_path, "the DocBin") as tmp:
        DocBin(docs=docs, store_user_data=True).to_disk(tmp)
    return report


def _keep_types(document: PubtatorDocument, types: FrozenSet[str]) -> PubtatorDocument:
    """The document with only the mentions of `types`."""
    return replace(document, mentions=tuple(m for m in document.mentions if m.type in types))


def _counted_types(documents: Iterable[PubtatorDocument], counts: Dict[str, int]) -> Iterator[PubtatorDocument]:
    """The documents as they are, their mentions counted per type."""
    for document in documents:
        for mention in document.mentions:
            counts[mention.type] = counts.get(mention.type, 0) + 1
        yield document


def blank_pipeline(lang: str = "en", tokenizer: Optional[str] = DEFAULT_TOKENIZER) -> Language:
    """A blank pipeline with the given registered tokenizer.

    lang (str): The language code.
    tokenizer (Optional[str]): A registered tokenizer name, or None for the language's default.
    RETURNS (Language): The pipeline.
    RAISES ValueError: E130 when spaCy has no such language.
    """
    try:
        spacy.util.get_lang_class(lang)
    except ImportError:
        raise ValueError(Errors.E130.format(lang=lang)) from None
    if tokenizer is None:
        return spacy.blank(lang)
    return spacy.blank(lang, config={"nlp": {"tokenizer": {"@tokenizers": tokenizer}}})


def get_gold_mentions(doc: Doc) -> List[dict]:
    """The gold mentions of a converted Doc, as lists and dicts again.

    A DocBin round trip (msgpack) turns the lists in `doc.user_data` into tuples; read the
    mentions through this function to get the documented form either way.

    doc (Doc): A Doc made by `pubtator_to_docs` or read from its DocBin.
    RETURNS (List[dict]): One dict per gold mention ([] if the Doc has none).
    """
    return [
        {**record, "ids": list(record["ids"])}
        for record in doc.user_data.get(GOLD_MENTIONS_KEY, ())
    ]


def _keep_entities_in_one_sentence(doc: Doc) -> None:
    """Undo sentence starts that the sentencizer put inside a gold entity ("EC 1. 1. 1. 49"):
    spaCy's NER cannot predict an entity across a sentence start (E024 while training)."""
    for ent in doc.ents:
        for token in ent[1:]:
            token.is_sent_start = False


def join_kb_ids(ids: Iterable[str]) -> str:
    """Prefix-normalize gold ids and join them in corpus order.

    ids (Iterable[str]): Raw ids, e.g. ("D001943", "D010051").
    RETURNS (str): E.g. "MESH:D001943|MESH:D010051".
    """
    return KB_ID_SEPARATOR.join(normalize_concept_id(concept_id) for concept_id in ids)


def _add_gold(doc: Doc, document: PubtatorDocument, label: str, report: ConversionReport) -> None:
    """Set doc.ents and doc.user_data for one document and update the report."""
    spans = []
    records = []
    for mention in document.mentions:
        report.n_mentions += 1
        kb_id = join_kb_ids(mention.ids)
        span = doc.char_span(
            mention.start, mention.end, label=label, kb_id=kb_id, alignment_mode="strict"
        )
        if span is None:
            report.n_misaligned += 1
            report.misaligned_by_doc.setdefault(document.pmid, []).append(_summary(mention))
        else:
            spans.append(span)
        records.append(_mention_record(mention, aligned=span is not None))
    kept = filter_spans(spans)  # longest first; on ties the earliest
    kept_keys = {(span.start, span.end) for span in kept}
    for span in spans:
        if (span.start, span.end) in kept_keys:
            kept_keys.discard((span.start, span.end))  # an exact duplicate counts as overlapping
        else:
            report.n_overlapping += 1
            report.overlapping_by_doc.setdefault(document.pmid, []).append(
                (span.start_char, span.end_char, span.text)
            )
    doc.ents = kept
    report.n_converted += len(kept)
    doc.user_data[DOC_ID_KEY] = document.pmid
    doc.user_data[GOLD_MENTIONS_KEY] = records


def _mention_record(mention: PubtatorMention, *, aligned: bool) -> dict:
    return {
        "start": mention.start,
        "end": mention.end,
        "text": mention.text,
        "type": mention.type,
        "ids": [normalize_concept_id(concept_id) for concept_id in mention.ids],
        "aligned": aligned,
    }


def _summary(mention: PubtatorMention) -> MentionSummary:
    return (mention.start, mention.end, mention.text)

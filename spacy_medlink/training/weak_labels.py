"""Silver entities for unlabeled text, from three labelling sources.

A trained pipeline with `medlink_kb_mentions` (the teacher) reads each text; its output gives:

- **model**: the teacher NER's entities that no vocabulary match touches;
- **model+kb**: teacher entities that overlap a vocabulary match (the teacher's boundaries
  win: it learned the corpus's span conventions, "hereditary breast cancer");
- **abbreviation**: teacher entities that are exactly a short form defined in the text
  (added or kept by `medlink_short_form_mentions` from the long form's reading);
- **kb**: vocabulary matches that no teacher entity touches: names the corpus never taught
  the teacher ("hypertension" in a model trained on NCBI).

A vocabulary key that the teacher leaves untagged in most of its occurrences across the pool
(agreement below `min_agreement` over at least `min_count` occurrences) is *uncertain*: its
untagged matches are marked missing, so the student learns neither "entity" nor "no entity"
there (spaCy's NER treats missing tokens as unknown). Everything else is "outside".

`kb_labels` names the vocabulary categories (match labels, DISEASE / SYMPTOM) whose KB-only
matches may become entities: for a target guideline that does not annotate signs and
symptoms (NCBI), `kb_labels=("DISEASE",)` makes SYMPTOM-only matches missing as well, the
same rule `convert --unannotated SYMPTOM` applies to the gold corpus. `entity_sources` names
the sources whose entities are taught; the others' become missing: a teacher trained on a few
dozen abstracts tags many non-diseases that no vocabulary name supports (`model`), and those
are better left unknown than taught.
"""
import random
import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from spacy.language import Language
from spacy.tokens import Doc, Span
from tqdm import tqdm

from ..errors import Errors
from ..kb.alias_matcher import KB_MATCHES_KEY
from ..kb.categories import DISEASE_LABEL, check_labels
from ..memory import trimmed
from ..pipeline.abbreviations import DEFAULT_SPANS_KEY as ABBREVIATIONS_KEY
from ..pipeline.components import components_of
from ..pipeline.linker import LINKER_FACTORY

MODEL = "model"
MODEL_AND_KB = "model+kb"
ABBREVIATION = "abbreviation"
KB = "kb"
SOURCES = (MODEL, MODEL_AND_KB, ABBREVIATION, KB)
SILVER_LABEL = DISEASE_LABEL


@dataclass(frozen=True)
class SilverRules:
    """How teacher output and KB matches become silver entities, missing spans and negatives.

    min_agreement (float): See mark_uncertain.
    min_count (int): See mark_uncertain.
    negative_ratio (float): See select_silver.
    kb_labels (Optional[Tuple[str, ...]]): See mark_off_guideline (None: every category).
    entity_sources (Tuple[str, ...]): See mark_untaught_sources.
    kb_open_left (bool): See mark_open_left_kb_matches.
    """

    min_agreement: float = 0.2
    min_count: int = 3
    negative_ratio: float = 0.5
    kb_labels: Optional[Tuple[str, ...]] = None
    entity_sources: Tuple[str, ...] = SOURCES
    kb_open_left: bool = False

    def __post_init__(self) -> None:
        unknown = sorted(set(self.entity_sources) - set(SOURCES))
        if unknown:
            raise ValueError(Errors.E122.format(found=unknown, expected=list(SOURCES)))
        check_labels(self.kb_labels or (), "--kb-labels")
        for option, value, valid, expected in (
            ("--min-agreement", self.min_agreement, 0 <= self.min_agreement <= 1, "a share between 0 and 1"),
            ("--min-count", self.min_count, self.min_count >= 1, "a whole number >= 1"),
            ("--negative-ratio", self.negative_ratio, self.negative_ratio >= 0 or self.negative_ratio == -1,
             "a ratio >= 0, or -1 for every text"),
        ):
            if not valid:
                raise ValueError(Errors.E136.format(option=option, value=value, expected=expected))



@dataclass
class SilverDoc:
    """One weakly labelled doc: entities with their source, and the missing (uncertain) spans."""

    doc: Doc
    entities: List[Tuple[Span, str]]
    missing: List[Span]


def label_sources(doc: Doc, kb_key: str = KB_MATCHES_KEY, abbreviations_key: str = ABBREVIATIONS_KEY) -> SilverDoc:
    """Split a teacher-processed doc into sourced candidate entities (missing comes later).

    doc (Doc): A doc processed by the teacher (KB matches, abbreviations, entities).
    kb_key (str): The doc.spans key of the vocabulary matches.
    abbreviations_key (str): The doc.spans key of the short-form occurrences.
    RETURNS (SilverDoc): Teacher entities with their source, and the KB-only matches (source
        "kb"); `missing` is empty.
    """
    if kb_key not in doc.spans:
        raise ValueError(Errors.E271.format(key=kb_key))
    taken = [False] * len(doc)
    short_forms = {(s.start, s.end) for s in doc.spans.get(abbreviations_key, [])}
    kb_tokens = [False] * len(doc)
    for match in doc.spans[kb_key]:
        kb_tokens[match.start:match.end] = [True] * len(match)
    entities: List[Tuple[Span, str]] = []
    for ent in doc.ents:
        taken[ent.start:ent.end] = [True] * len(ent)
        if (ent.start, ent.end) in short_forms:
            source = ABBREVIATION
        elif any(kb_tokens[ent.start:ent.end]):
            source = MODEL_AND_KB
        else:
            source = MODEL
        entities.append((ent, source))
    for match in doc.spans[kb_key]:
        if not any(taken[match.start:match.end]):
            entities.append((match, KB))
    return SilverDoc(doc, entities, [])


def kb_agreement(silver: Iterable[SilverDoc], kb_key: str = KB_MATCHES_KEY) -> Dict[str, Tuple[int, int]]:
    """How often the teacher tags each vocabulary key where it matches.

    silver (Iterable[SilverDoc]): Docs from label_sources.
    kb_key (str): The doc.spans key of the vocabulary matches.
    RETURNS (Dict[str, Tuple[int, int]]): Lower-cased match text -> (tagged, occurrences).
    """
    counts: Dict[str, List[int]] = {}
    for item in silver:
        tagged = [False] * len(item.doc)
        for ent in item.doc.ents:
            tagged[ent.start:ent.end] = [True] * len(ent)
        for match in item.doc.spans[kb_key]:
            row = counts.setdefault(match.text.lower(), [0, 0])
            row[0] += int(any(tagged[match.start:match.end]))
            row[1] += 1
    return {key: (row[0], row[1]) for key, row in counts.items()}


def is_uncertain(counts: Tuple[int, int], *, min_agreement: float, min_count: int) -> bool:
    """Whether a KB key's (tagged, occurrences) make it uncertain (see mark_uncertain)."""
    tagged, total = counts
    return total >= min_count and tagged / total < min_agreement


def mark_uncertain(
    silver: List[SilverDoc], agreement: Dict[str, Tuple[int, int]], *, min_agreement: float, min_count: int
) -> None:
    """Turn KB-only entities of keys the teacher mostly rejects into missing spans (in place).

    silver (List[SilverDoc]): Docs from label_sources.
    agreement (Dict[str, Tuple[int, int]]): From kb_agreement.
    min_agreement (float): Keys tagged by the teacher in fewer of their occurrences are uncertain.
    min_count (int): Only keys seen at least this often can be uncertain.
    """
    _move_to_missing(silver, lambda span, source: span if source == KB and is_uncertain(
        agreement.get(span.text.lower(), (0, 0)), min_agreement=min_agreement, min_count=min_count
    ) else None)


def mark_off_guideline(silver: List[SilverDoc], kb_labels: Sequence[str]) -> None:
    """Turn KB-only entities whose match label is not in kb_labels into missing spans (in place).

    silver (List[SilverDoc]): Docs from label_sources.
    kb_labels (Sequence[str]): Match labels (vocabulary categories) the target guideline
        annotates; the others are neither taught as entities nor as "outside".
    """
    allowed = set(kb_labels)
    _move_to_missing(silver, lambda span, source: span if source == KB and span.label_ not in allowed else None)


def mark_untaught_sources(silver: List[SilverDoc], entity_sources: Sequence[str]) -> None:
    """Turn entities of sources not in entity_sources into missing spans (in place).

    silver (List[SilverDoc]): Docs from label_sources.
    entity_sources (Sequence[str]): The sources (SOURCES) whose entities are taught.
    """
    taught = set(entity_sources)
    _move_to_missing(silver, lambda span, source: span if source not in taught else None)


def mark_open_left_kb_matches(silver: List[SilverDoc]) -> None:
    """Turn KB-only entities right after a content word into missing spans (in place).

    A vocabulary name gives the core of a mention, not the guideline's span: "male breast
    cancer", "type II von Willebrand disease", "sporadic tumours" are annotated with their
    modifier, and the KB matches only the core. Where the word before a KB-only match is a
    lower-case content word, the left boundary is open: the match and that word become
    missing instead of teaching the core's boundary.

    silver (List[SilverDoc]): Docs from label_sources.
    """
    def open_left(span: Span, source: str) -> Optional[Span]:
        if source == KB and span.start > 0 and _is_modifier(span.doc[span.start - 1]):
            return span.doc[span.start - 1:span.end]
        return None

    _move_to_missing(silver, open_left)


def apply_rules(silver: List[SilverDoc], agreement: Dict[str, Tuple[int, int]], rules: SilverRules) -> None:
    """Apply every marking step of the rules, in order (in place): uncertain keys, KB
    categories outside the guideline, untaught sources, open-left KB matches.

    silver (List[SilverDoc]): Docs from label_sources.
    agreement (Dict[str, Tuple[int, int]]): From kb_agreement (of the pool, for gold texts too).
    rules (SilverRules): The rules.
    """
    mark_uncertain(silver, agreement, min_agreement=rules.min_agreement, min_count=rules.min_count)
    if rules.kb_labels is not None:
        mark_off_guideline(silver, rules.kb_labels)
    mark_untaught_sources(silver, rules.entity_sources)
    if rules.kb_open_left:
        mark_open_left_kb_matches(silver)


def _move_to_missing(silver: List[SilverDoc], missing_span: Callable[[Span, str], Optional[Span]]) -> None:
    """Move the entities for which missing_span(span, source) gives a span into `missing`
    (that span: the entity itself or a wider one); keep the others."""
    for item in silver:
        kept = []
        for span, source in item.entities:
            unknown = missing_span(span, source)
            if unknown is None:
                kept.append((span, source))
            else:
                item.missing.append(unknown)
        item.entities = kept


def _is_modifier(token) -> bool:
    return (token.is_alpha and not token.is_stop) or token.like_num or token.text.isupper()


def select_silver(silver: Sequence[SilverDoc], *, negative_ratio: float, seed: int = 0) -> List[SilverDoc]:
    """Keep every text with a silver entity or a missing span, and a sample of the others.

    Most unlabeled sentences name no disease: kept all, they would outweigh the gold corpus
    and teach a much lower rate of entities than the corpus has (on 30,000 pool sentences, one
    in five has a silver entity; NCBI abstracts have several each).

    silver (Sequence[SilverDoc]): Labelled texts.
    negative_ratio (float): Texts without any entity kept per text with one (sampled with
        `seed`); -1 keeps them all.
    seed (int): Seed of the sample.
    RETURNS (List[SilverDoc]): The kept texts, in input order.
    """
    positive = [i for i, item in enumerate(silver) if item.entities or item.missing]
    negative = [i for i, item in enumerate(silver) if not (item.entities or item.missing)]
    if negative_ratio >= 0:
        n_negative = min(len(negative), int(round(negative_ratio * len(positive))))
        negative = random.Random(seed).sample(negative, n_negative)
    return [silver[i] for i in sorted([*positive, *negative])]


def to_training_doc(item: SilverDoc, nlp: Language) -> Doc:
    """A clean Doc (same tokens) with the silver entities, missing spans and "O" elsewhere.

    item (SilverDoc): The labelled doc.
    nlp (Language): The pipeline whose vocab the doc uses.
    RETURNS (Doc): The training doc.
    """
    source = item.doc
    doc = Doc(nlp.vocab, words=[t.text for t in source], spaces=[bool(t.whitespace_) for t in source])
    entities = [Span(doc, span.start, span.end, label=SILVER_LABEL) for span, _ in item.entities]
    # Missing spans may overlap each other or an entity (a left-open KB match takes the word
    # before it): the entities stand, and the missing tokens are the rest of their union.
    unknown = [False] * len(doc)
    for span in item.missing:
        unknown[span.start:span.end] = [True] * len(span)
    for span in entities:
        unknown[span.start:span.end] = [False] * len(span)
    missing = [doc[start:end] for start, end in _runs(unknown)]
    doc.set_ents(entities, missing=missing, default="outside")
    return doc


def _runs(flags: List[bool]) -> List[Tuple[int, int]]:
    """(start, end) of every run of True values."""
    runs, start = [], None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i))
            start = None
    return runs


def weak_label(
    teacher: Language,
    texts: Sequence[str],
    *,
    rules: SilverRules = SilverRules(),
    batch_size: int = 256,
    progress: bool = True,
) -> Tuple[List[SilverDoc], Dict[str, Tuple[int, int]]]:
    """Run the teacher over texts and label them from the sources (see module docstring).

    teacher (Language): A trained pipeline with medlink_kb_mentions and an NER.
    texts (Sequence[str]): The unlabeled texts.
    rules (SilverRules): See apply_rules (negative_ratio is select_silver's).
    batch_size (int): nlp.pipe batch size.
    progress (bool): Show a progress bar.
    RETURNS (Tuple[List[SilverDoc], Dict]): The labelled docs and the per-key agreement.
    """
    disable = components_of(teacher, LINKER_FACTORY)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        silver = [
            label_sources(doc)
            for doc in tqdm(
                trimmed(teacher.pipe(texts, batch_size=batch_size, disable=disable)),
                total=len(texts), desc="Weak labels", unit="text", disable=not progress,
            )
        ]
    _summarize_warnings(caught)
    agreement = kb_agreement(silver)
    apply_rules(silver, agreement, rules)
    return silver, agreement


def _summarize_warnings(caught: List[warnings.WarningMessage]) -> None:
    """Warn once per code instead of once per text, with the count and the first message
    (a component's per-document warning would otherwise repeat for every text; MLW250 itself
    now warns once per component and counts the rest on it)."""
    by_code: Dict[str, List[str]] = {}
    for warning in caught:
        text = str(warning.message)
        by_code.setdefault(text.split("]")[0] + "]" if text.startswith("[") else text, []).append(text)
    for code, messages in by_code.items():
        first = messages[0]
        if len(messages) > 1:
            first = f"{len(messages)} texts: {first}"
        warnings.warn(first)


def source_counts(silver: Iterable[SilverDoc]) -> Dict[str, int]:
    """RETURNS (Dict[str, int]): Silver entities per source, plus "missing" spans."""
    counts = Counter({source: 0 for source in SOURCES})
    n_missing = 0
    for item in silver:
        counts.update(source for _, source in item.entities)
        n_missing += len(item.missing)
    return {**counts, "missing": n_missing}


def source_precision(silver: Sequence[SilverDoc], gold_docs: Sequence[Doc]) -> Dict[str, dict]:
    """Precision of each source's entities against gold entities (exact character spans), and
    how many missing spans overlap a gold entity.

    silver (Sequence[SilverDoc]): Labelled versions of the gold docs' texts, in the same order.
    gold_docs (Sequence[Doc]): The gold docs.
    RETURNS (Dict[str, dict]): Source -> {"n", "correct", "precision"}; "missing" -> {"n",
        "overlap_gold"}; "all" -> the union of the entity sources, with recall.
    """
    result = {source: {"n": 0, "correct": 0} for source in SOURCES}
    missing = {"n": 0, "overlap_gold": 0}
    n_gold = 0
    for item, gold in zip(silver, gold_docs):
        spans = {(e.start_char, e.end_char) for e in gold.ents}
        n_gold += len(spans)
        for span, source in item.entities:
            result[source]["n"] += 1
            result[source]["correct"] += int((span.start_char, span.end_char) in spans)
        for span in item.missing:
            missing["n"] += 1
            missing["overlap_gold"] += int(
                any(s < span.end_char and span.start_char < e for s, e in spans)
            )
    for row in result.values():
        row["precision"] = 100.0 * row["correct"] / row["n"] if row["n"] else 0.0
    n_all = sum(row["n"] for row in result.values())
    correct = sum(row["correct"] for row in result.values())
    result["all"] = {
        "n": n_all, "correct": correct, "n_gold": n_gold,
        "precision": 100.0 * correct / n_all if n_all else 0.0,
        "recall": 100.0 * correct / n_gold if n_gold else 0.0,
    }
    result["missing"] = missing
    return result

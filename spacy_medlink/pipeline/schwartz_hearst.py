"""Abbreviation detection: Schwartz & Hearst (2003) definitions + every short-form occurrence.

Schwartz AS, Hearst MA. "A simple algorithm for identifying abbreviation definitions in
biomedical text." Pacific Symposium on Biocomputing 2003:451-462. The matching follows the
authors' reference implementation (ExtractAbbrev.java): short-form characters are matched
right to left inside the long-form window, and the first short-form character must begin a
word. Documented extensions, each with a test:

- initials first: when the short form spells the initials of the words right before it,
  those words are the long form ("attenuated adenomatous polyposis coli (AAPC)", where the
  greedy match would drop "attenuated");
- reordered initials: when the strict match fails, an all-capital acronym may still be
  defined by the initials of the words before it in another order ("myotonic dystrophy
  (DM)", from the Latin "dystrophia myotonica"; 31 such definitions in NCBI-disease train,
  all correct on inspection);
- statistics ("(p < 0.05)") and reference words ("(Fig. 2)", "(e.g. ...)") are rejected;
- compound short forms: "hyperparathyroidism-jaw tumor syndrome (HPT-JT)" also defines "HPT"
  (hyperparathyroidism) and "JT" (jaw tumor), which authors then use on their own
  (`split_compound_definition`).

Pure functions over plain text (no spaCy): the `medlink_abbreviations` component
(abbreviations.py) maps their output onto a Doc, and the dictionary baseline uses them as they
are (see docs/ARCHITECTURE.md, "abbreviation pairs").
"""
import re
from collections import Counter
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Tuple

# A parenthesised group without nested parentheses, opened after whitespace (as in the
# reference implementation, which searches for " (").
_PAREN_GROUP = re.compile(r"(?<=\s)\(([^()]*)\)")
# The long-form window never crosses the end of a sentence or clause, nor another bracket.
_WINDOW_BARRIER = re.compile(r"[.;:!?,](?=\s)|[()\[\]]")
_WORD = re.compile(r"\S+")
_WORD_CHARS = re.compile(r"\w+")
_COMPOUND_SEPARATOR = re.compile(r"[-/]")
_LONG_FORM_WORD = re.compile(r"[^\s\-/]+")
# Statistics and comparisons, e.g. "(p < 0.05)", "(n = 12)", "(OR ≥ 2)": never abbreviations.
_STATISTIC_CHARS = frozenset("=<>≤≥±")
# Parenthesised references and glosses that look like short forms: "(Fig. 2)", "(e.g. ...)".
_NON_ABBREVIATION_WORDS = frozenset(
    {"fig", "figs", "figure", "figures", "table", "tables", "ref", "refs", "see", "cf",
     "e.g", "i.e", "eg", "ie", "et", "al", "vs", "suppl", "supplementary", "appendix"}
)
MIN_SHORT_FORM_CHARS = 2
MAX_SHORT_FORM_CHARS = 10
MAX_SHORT_FORM_WORDS = 2


@dataclass(frozen=True)
class AbbreviationDefinition:
    """One abbreviation definition found in a text, in character offsets of that text.

    long_start (int): Offset of the first character of the long form.
    long_end (int): Offset one past the last character of the long form.
    short_start (int): Offset of the first character of the short form.
    short_end (int): Offset one past the last character of the short form.
    long_form (str): The long form text, e.g. "Huntington disease".
    short_form (str): The short form text, e.g. "HD".
    """

    long_start: int
    long_end: int
    short_start: int
    short_end: int
    long_form: str
    short_form: str


def find_abbreviation_definitions(
    text: str, *, allow_reordered_initials: bool = True
) -> List[AbbreviationDefinition]:
    """Find abbreviation definitions "long form (SF)" and "SF (long form)" in a text.

    text (str): The text to search.
    allow_reordered_initials (bool): Whether an all-capital short form whose strict
        Schwartz & Hearst match fails may be matched by the initials of the preceding
        words in another order, e.g. "myotonic dystrophy type 1 (DM1)".
    RETURNS (List[AbbreviationDefinition]): The definitions in text order. The same short
        form may occur more than once, with the same or a different long form.
    """
    definitions = []
    for group in _PAREN_GROUP.finditer(text):
        definition = _definition_at(text, group, allow_reordered_initials)
        if definition is not None:
            definitions.append(definition)
    return definitions


def _definition_at(
    text: str, group: "re.Match", allow_reordered_initials: bool
) -> Optional[AbbreviationDefinition]:
    open_paren = group.start()
    inner_start = group.start(1)
    inner = group.group(1)
    # "(APC; MIM 175100)", "(DMD, ref. 3)": only the part before "; " / ", " is the candidate.
    inner_len = len(inner)
    for separator in ("; ", ", "):
        cut = inner.find(separator)
        if cut != -1:
            inner_len = min(inner_len, cut)
    stripped = inner[:inner_len].strip()
    if not stripped or _STATISTIC_CHARS.intersection(stripped):
        return None
    cand_start = inner_start + inner[:inner_len].index(stripped)
    window_start = _window_start(text, open_paren)
    before = text[window_start:open_paren].rstrip()
    n_inner_words = len(stripped.split())
    # Like the reference implementation: the long form is inside the parentheses when the
    # candidate has more words than a short form may have, or is longer than the text before.
    if n_inner_words <= MAX_SHORT_FORM_WORDS and len(stripped) <= len(before):
        definition = _long_form_before(
            text, stripped, cand_start, window_start, open_paren, allow_reordered_initials
        )
        if definition is not None:
            return definition
    return _long_form_inside(text, stripped, cand_start, window_start, open_paren)


def _window_start(text: str, open_paren: int) -> int:
    """Offset where the long-form window before `open_paren` may start: after the last
    sentence/clause boundary or bracket, and at most 400 characters back. The widest word
    window (15 words, for a 10-character short form) fits in that, and the bound keeps the
    whole search linear in the text length."""
    lower = max(0, open_paren - 400)
    start = lower
    # Never start inside a word cut by the 400-character limit.
    while 0 < start < open_paren and not text[start - 1].isspace():
        start += 1
    for barrier in _WINDOW_BARRIER.finditer(text, start, open_paren):
        start = barrier.end()
    return start


def _is_valid_short_form(short_form: str) -> bool:
    if not (MIN_SHORT_FORM_CHARS <= len(short_form) <= MAX_SHORT_FORM_CHARS):
        return False
    if not short_form[0].isalnum() or not any(c.isalpha() for c in short_form):
        return False
    words = short_form.split()
    if len(words) > MAX_SHORT_FORM_WORDS:
        return False
    # Lowercase or capitalized only: "VS", "CF" and "ET" are real short forms.
    first = words[0].rstrip(".")
    if not first.isupper() and first.lower() in _NON_ABBREVIATION_WORDS:
        return False
    return True


def _long_form_before(
    text: str,
    short_form: str,
    short_start: int,
    window_start: int,
    open_paren: int,
    allow_reordered_initials: bool,
) -> Optional[AbbreviationDefinition]:
    """'long form (SF)': search the words before the parenthesis."""
    if not _is_valid_short_form(short_form):
        return None
    max_words = min(len(short_form) + 5, len(short_form) * 2)
    words = [(m.start(), m.end()) for m in _WORD.finditer(text, window_start, open_paren)]
    if not words:
        return None
    words = words[-max_words:]
    cand_start, cand_end = words[0][0], words[-1][1]
    long_start = _initials_long_form_start(short_form, text, words)
    if long_start is None:
        offset = _best_long_form_offset(short_form, text[cand_start:cand_end])
        if offset is not None:
            long_start = cand_start + offset
        elif allow_reordered_initials:
            long_start = _reordered_initials_start(short_form, text, words)
    if long_start is None:
        return None
    long_form = text[long_start:cand_end]
    if not _is_acceptable_pair(short_form, long_form):
        return None
    return AbbreviationDefinition(
        long_start=long_start,
        long_end=cand_end,
        short_start=short_start,
        short_end=short_start + len(short_form),
        long_form=long_form,
        short_form=short_form,
    )


def _long_form_inside(
    text: str, candidate: str, cand_start: int, window_start: int, open_paren: int
) -> Optional[AbbreviationDefinition]:
    """'SF (long form)': the short form is the word right before the parenthesis."""
    lower = max(window_start, open_paren - 40)
    preceding = list(_WORD.finditer(text, lower, open_paren))
    if not preceding:
        return None
    if preceding[-1].start() == lower > window_start and not text[lower - 1].isspace():
        return None  # the tail of a word too long to be a short form
    short_form = preceding[-1].group()
    # The reference implementation requires a capital letter in a short form found this way.
    if not any(c.isupper() for c in short_form) or not _is_valid_short_form(short_form):
        return None
    if len(short_form) >= len(candidate):
        return None
    offset = _best_long_form_offset(short_form, candidate)
    if offset is None:
        return None
    long_form = candidate[offset:]
    if not _is_acceptable_pair(short_form, long_form):
        return None
    long_start = cand_start + offset
    return AbbreviationDefinition(
        long_start=long_start,
        long_end=long_start + len(long_form),
        short_start=preceding[-1].start(),
        short_end=preceding[-1].end(),
        long_form=long_form,
        short_form=short_form,
    )


def _best_long_form_offset(short_form: str, candidate: str) -> Optional[int]:
    """Schwartz & Hearst's findBestLongForm: match the short form's alphanumeric characters
    right to left in `candidate`; the first one must start a word. Returns the offset in
    `candidate` of the word where the long form begins, or None."""
    s_index = len(short_form) - 1
    l_index = len(candidate) - 1
    while s_index >= 0:
        char = short_form[s_index].lower()
        if not char.isalnum():
            s_index -= 1
            continue
        while l_index >= 0 and (
            candidate[l_index].lower() != char
            or (s_index == 0 and l_index > 0 and candidate[l_index - 1].isalnum())
        ):
            l_index -= 1
        if l_index < 0:
            return None
        l_index -= 1
        s_index -= 1
    # The long form starts at the beginning of the word holding the first matched character
    # (at l_index + 1): after the closest whitespace before it.
    start = l_index + 1
    while start > 0 and not candidate[start - 1].isspace():
        start -= 1
    return start


def _initials_long_form_start(
    short_form: str, text: str, words: List[Tuple[int, int]]
) -> Optional[int]:
    """When the short form spells the initials of the words right before it, in order, the
    long form is exactly those words. Checked before the greedy right-to-left match, which
    would otherwise drop a leading word whose initial repeats one inside a later word:
    "attenuated adenomatous polyposis coli (AAPC)" -> not "adenomatous polyposis coli".
    Returns the long form's start offset or None."""
    chars = [c.lower() for c in short_form if c.isalnum()]
    if len(chars) > len(words):
        return None
    last_words = words[-len(chars):]
    for char, (start, end) in zip(chars, last_words):
        if text[start].lower() != char:
            return None
    return last_words[0][0]


def _reordered_initials_start(
    short_form: str, text: str, words: List[Tuple[int, int]]
) -> Optional[int]:
    """Fallback for acronyms whose letters follow another word order than the long form.

    Accepts the shortest run of words ending right before the parenthesis whose initials
    contain every character of the short form, when the short form is all capitals and
    digits, the last word is one of the matched ones and at most one word is left unmatched
    ("type" in "myotonic dystrophy type 1 (DM1)"). Hyphenated words contribute the initial
    of each part. Returns the long form's start offset or None.
    """
    if not all(c.isupper() or c.isdigit() for c in short_form if c.isalnum()):
        return None
    needed = Counter(c.lower() for c in short_form if c.isalnum())
    n_needed = sum(needed.values())
    available: Counter = Counter()
    matched_last = False
    for n_words, (start, end) in enumerate(reversed(words), start=1):
        initials = [part[0].lower() for part in _WORD_CHARS.findall(text[start:end])]
        if n_words == 1:
            matched_last = any(initial in needed for initial in initials)
            if not matched_last:
                return None
        available.update(initials)
        if n_words > n_needed + 1:
            return None
        if all(available[char] >= count for char, count in needed.items()):
            return start
    return None


def _is_acceptable_pair(short_form: str, long_form: str) -> bool:
    """The reference implementation's final checks on a (short form, long form) pair."""
    n_long_words = len(re.split(r"[\s\-]+", long_form.strip()))
    n_short_chars = sum(1 for c in short_form if c.isalnum())
    return not (
        len(long_form) < len(short_form)
        or (short_form + " ") in long_form
        or long_form.endswith(short_form)
        or n_long_words > n_short_chars * 2
        or n_long_words > n_short_chars + 5
        or n_short_chars > MAX_SHORT_FORM_CHARS
    )


def split_compound_definition(short_form: str, long_form: str) -> List[Tuple[str, str]]:
    """The (part, long form of the part) pairs a compound short form defines.

    "HPT-JT" for "hyperparathyroidism-jaw tumor syndrome" gives [("HPT",
    "hyperparathyroidism"), ("JT", "jaw tumor")]: the long form's words are cut, left to
    right, into the shortest runs that each part abbreviates (Schwartz & Hearst match starting
    at the run's first word); words after the last run ("syndrome") belong to no part.

    short_form (str): A short form with parts joined by "-" or "/".
    long_form (str): Its long form.
    RETURNS (List[Tuple[str, str]]): One pair per part, or [] when the short form is not a
        compound of parts of at least two characters or the long form does not split.
    """
    parts = _COMPOUND_SEPARATOR.split(short_form)
    if len(parts) < 2 or any(sum(c.isalnum() for c in part) < 2 for part in parts):
        return []
    words = _LONG_FORM_WORD.findall(long_form)
    pairs = []
    position = 0
    for part in parts:
        for end in range(position + 1, len(words) + 1):
            run = " ".join(words[position:end])
            if run[0].lower() == part[0].lower() and _best_long_form_offset(part, run) == 0:
                break
        else:
            return []
        if not _is_acceptable_pair(part, run):
            return []
        pairs.append((part, run))
        position = end
    return pairs


def find_short_form_occurrences(
    text: str, short_forms: Dict[str, str]
) -> Iterator[Tuple[int, int, str]]:
    """Find every whole-word, case-sensitive occurrence of the given short forms.

    Linear in the text length: each word of the text is looked up by its first
    word-character run, and only the short forms starting with that run are compared.

    text (str): The text to search.
    short_forms (Dict[str, str]): Short form -> long form.
    YIELDS (Tuple[int, int, str]): (start, end, short form) in text order, non-overlapping;
        at one position the longest short form wins.
    """
    by_first_run: Dict[str, List[str]] = {}
    for short_form in short_forms:
        first_run = _WORD_CHARS.match(short_form)
        if first_run is None:
            continue
        by_first_run.setdefault(first_run.group(), []).append(short_form)
    for candidates in by_first_run.values():
        candidates.sort(key=len, reverse=True)
    last_end = 0
    text_len = len(text)
    for run in _WORD_CHARS.finditer(text):
        start = run.start()
        if start < last_end:
            continue
        for short_form in by_first_run.get(run.group(), ()):
            end = start + len(short_form)
            if text.startswith(short_form, start) and (
                end == text_len or not _is_word_char(text[end])
            ):
                yield start, end, short_form
                last_end = end
                break


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"

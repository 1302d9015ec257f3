"""The two linking baselines every evaluation reports next to the linker.

Both map a mention string to a ranked list of concept ids, using the same dictionary: the
vocabulary's names and synonyms plus the training mentions that have exactly one concept.

- `DictionaryBaseline`: exact match after `baseline_normalize` (lower-case, punctuation to
  spaces, whitespace collapsed); an ambiguous string ranks its concepts by how often the
  dictionary links the string to each one.
- `TfidfBaseline`: cosine similarity of character 3-gram TF-IDF vectors (scikit-learn,
  `analyzer="char_wb"`) between the mention and every dictionary string, after replacing the
  abbreviations defined in the mention's document by their long forms.

They deliberately do NOT use the package's `normalize_alias` (plural folding, British
spellings, ...): a baseline is a fixed, simple reference point, and improvements of the shared
normalizer must show up as a gap to it, not move it.

Measured on NCBI-disease dev (norm@gold over the 757 gold mentions with exactly one concept;
MEDIC 2017 + the 5,037 single-concept train mentions; `evaluate.evaluate_baselines`):
dictionary acc@1 77.4; TF-IDF acc@1 88.5, acc@5 96.0, recall@10 97.2 (without abbreviation
expansion: 87.8 / 96.4 / 97.4).
"""
import re
from collections import Counter
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from ..errors import Errors
from ..kb.records import Concept
from ..pipeline.schwartz_hearst import find_abbreviation_definitions, find_short_form_occurrences

_NON_WORD = re.compile(r"[^\w\s]")

# A training mention for the dictionaries: (mention text, resolved concept id).
TrainMention = Tuple[str, str]
# One query of a batch: (mention text, text of the mention's document).
Query = Tuple[str, str]


def baseline_normalize(text: str) -> str:
    """The baselines' string normalizer: lower-case, every character that is neither a word
    character nor whitespace becomes a space, runs of whitespace become one space.

    Exactly ``" ".join(re.sub(r"[^\\w\\s]", " ", text.lower()).split())``:
    "Huntington's disease" -> "huntington s disease", "type-2 diabetes" -> "type 2 diabetes".

    text (str): A name, synonym or mention text.
    RETURNS (str): The normalized string ("" if nothing is left).
    """
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


@lru_cache(maxsize=1024)
def document_long_forms(doc_text: str) -> Dict[str, str]:
    """Short form -> long form for the abbreviations defined in a document (Schwartz & Hearst,
    via `find_abbreviation_definitions`); a short form defined twice keeps its first long form.

    doc_text (str): The document text.
    RETURNS (Dict[str, str]): The definitions (cached per text; do not modify).
    """
    long_forms: Dict[str, str] = {}
    for definition in find_abbreviation_definitions(doc_text):
        long_forms.setdefault(definition.short_form, definition.long_form)
    return long_forms


def expand_document_abbreviations(mention_text: str, doc_text: str) -> str:
    """Replace each whole-word, case-sensitive occurrence in the mention of a short form
    defined in the document by its long form: "CF" -> "cystic fibrosis" when the document says
    "cystic fibrosis (CF)".

    mention_text (str): The mention.
    doc_text (str): The text of the mention's document ("" for none).
    RETURNS (str): The expanded mention (unchanged when it holds no defined short form).
    """
    if not doc_text:
        return mention_text
    long_forms = document_long_forms(doc_text)
    if not long_forms:
        return mention_text
    pieces = []
    cursor = 0
    for start, end, short_form in find_short_form_occurrences(mention_text, long_forms):
        pieces.append(mention_text[cursor:start])
        pieces.append(long_forms[short_form])
        cursor = end
    if not pieces:
        return mention_text
    pieces.append(mention_text[cursor:])
    return "".join(pieces)


class _StringDictionary:
    """Normalized string -> concept counts, shared by both baselines.

    entries (Dict[str, Counter]): string -> {concept id: count}. A name or synonym counts once
        per concept; every training mention counts once.
    n_train_mentions (int): Training mentions added.
    """

    def __init__(self) -> None:
        self.entries: Dict[str, Counter] = {}
        self.n_train_mentions = 0
        self.is_fitted = False

    def fit(
        self, concepts: Iterable[Concept], train_mentions: Iterable[TrainMention] = ()
    ) -> "_StringDictionary":
        """Build the dictionary.

        concepts (Iterable[Concept]): The vocabulary (names and synonyms are used).
        train_mentions (Iterable[Tuple[str, str]]): (mention text, resolved concept id) of
            training mentions with exactly one concept.
        RETURNS: The baseline itself.
        """
        self.entries = {}
        self.n_train_mentions = 0
        for concept in concepts:
            names = {baseline_normalize(name) for name in (concept.name, *concept.synonyms)}
            for name in sorted(names):
                self._add(name, concept.concept_id)
        for text, concept_id in train_mentions:
            self._add(baseline_normalize(text), concept_id)
            self.n_train_mentions += 1
        self._fitted()
        self.is_fitted = True
        return self

    def _add(self, string: str, concept_id: str) -> None:
        if string:
            self.entries.setdefault(string, Counter())[concept_id] += 1

    def _fitted(self) -> None:
        """Hook for subclasses: called once the entries are complete."""

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise ValueError(Errors.E302.format(name=type(self).__name__))

    def concepts_of(self, string: str) -> List[str]:
        """RETURNS (List[str]): The concepts of a normalized string, most frequent first
        (ties: the order in which they entered the dictionary)."""
        counts = self.entries.get(string)
        return [concept_id for concept_id, _ in counts.most_common()] if counts else []

    def rank(self, mention_text: str, doc_text: str = "", k: int = 10) -> List[str]:
        """Rank concepts for one mention.

        mention_text (str): The mention.
        doc_text (str): The text of the mention's document.
        k (int): The maximum number of concepts returned.
        RETURNS (List[str]): Concept ids, best first.
        """
        return self.rank_many([(mention_text, doc_text)], k)[0]

    def rank_many(self, queries: Sequence[Query], k: int = 10) -> List[List[str]]:
        """Rank concepts for many mentions.

        queries (Sequence[Tuple[str, str]]): (mention text, document text) pairs.
        k (int): The maximum number of concepts returned per mention.
        RETURNS (List[List[str]]): Concept ids per mention, best first.
        """
        raise NotImplementedError


class DictionaryBaseline(_StringDictionary):
    """Exact dictionary match: the concepts of the mention's `baseline_normalize`d string,
    most frequent first, or nothing. The document text is not used."""

    def rank_many(self, queries: Sequence[Query], k: int = 10) -> List[List[str]]:
        """See `_StringDictionary.rank_many`."""
        self._check_fitted()
        return [self.concepts_of(baseline_normalize(mention))[:k] for mention, _ in queries]


class TfidfBaseline(_StringDictionary):
    """Character 3-gram TF-IDF cosine against every dictionary string.

    Concepts are ranked by the cosine of their best-matching string; concepts sharing one
    string keep the dictionary's frequency order. Abbreviations defined in the mention's
    document are replaced by their long forms first (`expand_document_abbreviations`).

    expand_abbreviations (bool): Whether to expand document-defined abbreviations.
    ngram_range (Tuple[int, int]): Character n-gram sizes (within word boundaries).
    """

    def __init__(
        self, *, expand_abbreviations: bool = True, ngram_range: Tuple[int, int] = (3, 3)
    ) -> None:
        super().__init__()
        self.expand_abbreviations = expand_abbreviations
        self.ngram_range = tuple(ngram_range)
        self.strings: List[str] = []
        self._vectorizer: Optional[TfidfVectorizer] = None
        self._matrix_t = None

    def _fitted(self) -> None:
        self.strings = list(self.entries)
        self._vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=self.ngram_range, lowercase=False, dtype=np.float32
        )
        matrix = self._vectorizer.fit_transform(self.strings)  # rows L2-normalized
        self._matrix_t = matrix.T.tocsr()

    def query_string(self, mention_text: str, doc_text: str = "") -> str:
        """The normalized string a mention is searched with (after abbreviation expansion).

        mention_text (str): The mention.
        doc_text (str): The text of the mention's document.
        RETURNS (str): The query string.
        """
        if self.expand_abbreviations:
            mention_text = expand_document_abbreviations(mention_text, doc_text)
        return baseline_normalize(mention_text)

    def rank_many(self, queries: Sequence[Query], k: int = 10) -> List[List[str]]:
        """See `_StringDictionary.rank_many`."""
        self._check_fitted()
        strings = [self.query_string(mention, doc_text) for mention, doc_text in queries]
        if not strings:
            return []
        cosines = (self._vectorizer.transform(strings) @ self._matrix_t).tocsr()
        cosines.sort_indices()
        return [
            self._ranked_concepts(
                cosines.indices[cosines.indptr[i] : cosines.indptr[i + 1]],
                cosines.data[cosines.indptr[i] : cosines.indptr[i + 1]],
                k,
            )
            for i in range(len(strings))
        ]

    def _ranked_concepts(self, rows: np.ndarray, scores: np.ndarray, k: int) -> List[str]:
        # Stable sort on the column-sorted row: equal cosines keep dictionary order.
        order = np.argsort(-scores, kind="stable")
        ranked: Dict[str, None] = {}
        for row in rows[order]:
            for concept_id in self.concepts_of(self.strings[row]):
                ranked.setdefault(concept_id, None)
            if len(ranked) >= k:
                break
        return list(ranked)[:k]


BASELINES = {"dictionary": DictionaryBaseline, "tfidf": TfidfBaseline}

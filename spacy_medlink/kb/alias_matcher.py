"""Find the vocabulary's names and synonyms in tokenized text (KB evidence for recognition).

A pure algorithm over token strings, used by the `medlink_kb_mentions` component (NER
features) and by weak labelling. Matching is on the KB's own alias key
(`normalize_alias`), token by token, so "Crohn's disease", "crohn disease" and "Crohns
disease" all match the MEDIC name "Crohn Disease". Matches are leftmost-longest and never
overlap.

Aliases that would match ordinary words once case is folded are guarded: keys shorter than
MIN_KEY_CHARS and lower-case English stop words are never matched, and a short all-capital
alias ("ALL", "CAD", "MS") only matches tokens written in capitals.
"""
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, Iterable, List, Sequence, Tuple

import srsly
from spacy.lang.en.stop_words import STOP_WORDS

from .categories import DISEASE_LABEL, SIGN_OR_SYMPTOM, SYMPTOM_LABEL
from .normalize import normalize_alias
from .records import Concept
from .store import ConceptStore

# Concepts the KB builder made from training-corpus mentions are not vocabulary entries.
CORPUS_CONCEPT_CATEGORY = "Corpus concept"
# Where `medlink_kb_mentions` writes the matches and the KB features read them.
KB_MATCHES_KEY = "medlink_kb_matches"
MIN_KEY_CHARS = 3
# All-capital aliases up to this length are acronyms: matched only in capitals.
MAX_ACRONYM_CHARS = 6
# Longest alias, in normalized words, that is matched (MEDIC's longest useful names).
MAX_ALIAS_WORDS = 12
_FORMAT_VERSION = 1


@dataclass(frozen=True)
class AliasMatch:
    """One alias found in a token sequence: tokens [start, end), its category and key."""

    start: int
    end: int
    category: str
    key: str


def concept_category(store: ConceptStore, concept_id: str) -> str:
    """DISEASE or SYMPTOM for a concept: SYMPTOM for MeSH signs and symptoms (C23.888).

    store (ConceptStore): The store holding the concept.
    concept_id (str): A primary id in the store.
    RETURNS (str): DISEASE or SYMPTOM.
    """
    return SYMPTOM_LABEL if store.category_of(concept_id) == SIGN_OR_SYMPTOM else DISEASE_LABEL


@lru_cache(maxsize=200_000)
def token_key(text: str) -> str:
    """The alias key of one token ("" for punctuation and possessive clitics).

    text (str): The token text.
    RETURNS (str): Its normalized words, space-separated.
    """
    if text in ("'s", "’s", "'S"):
        return ""
    return normalize_alias(text)


class AliasMatcher:
    """Normalized vocabulary aliases -> category, with a prefix table for early stopping."""

    def __init__(self, categories: Dict[str, str], acronyms: Iterable[str] = ()) -> None:
        """Initialize from a table.

        categories (Dict[str, str]): Alias key -> DISEASE or SYMPTOM.
        acronyms (Iterable[str]): Keys matched only in tokens written in capitals.
        """
        self.categories = dict(categories)
        self.acronyms = frozenset(acronyms)
        self._prefixes = set()
        for key in self.categories:
            words = key.split(" ")
            for n in range(1, len(words)):
                self._prefixes.add(" ".join(words[:n]))

    @classmethod
    def from_concepts(cls, concepts: Iterable[Concept]) -> "AliasMatcher":
        """Build the table from vocabulary concepts (names and synonyms).

        An alias of several concepts is a DISEASE unless all of them are signs or symptoms.
        Concepts made from corpus mentions ("Corpus concept") are left out: their names are
        training mentions, which would make the match a copy of the training labels.

        concepts (Iterable[Concept]): The vocabulary.
        RETURNS (AliasMatcher): The matcher.
        """
        with warnings.catch_warnings():
            # Alt-id conflicts (MLW002) are reported when the KB is built; the matcher only
            # needs the categories.
            warnings.filterwarnings("ignore", message=r"\[MLW002\]")
            store = ConceptStore.from_concepts(
                c for c in concepts if CORPUS_CONCEPT_CATEGORY not in c.categories
            )
        return cls.from_aliases(
            (alias, concept_category(store, concept.concept_id))
            for concept in store
            for alias in (concept.name, *concept.synonyms)
        )

    @classmethod
    def from_aliases(cls, aliases: Iterable[Tuple[str, str]]) -> "AliasMatcher":
        """Build the table from (alias, category) pairs, with the guards of the module
        docstring. A key of several categories is a DISEASE unless all are SYMPTOM.

        aliases (Iterable[Tuple[str, str]]): Surface strings and their category.
        RETURNS (AliasMatcher): The matcher.
        """
        by_key: Dict[str, set] = {}
        capitals: Dict[str, bool] = {}
        for alias, category in aliases:
            key = normalize_alias(alias)
            is_acronym = alias.isupper() and len(alias) <= MAX_ACRONYM_CHARS and " " not in alias
            if (
                len(key) < MIN_KEY_CHARS
                or (key in STOP_WORDS and not is_acronym)
                or len(key.split(" ")) > MAX_ALIAS_WORDS
            ):
                continue
            by_key.setdefault(key, set()).add(category)
            # A key is case-guarded only if every alias spelling it is an acronym.
            capitals[key] = capitals.get(key, True) and is_acronym
        categories = {
            key: SYMPTOM_LABEL if cats == {SYMPTOM_LABEL} else DISEASE_LABEL for key, cats in by_key.items()
        }
        return cls(categories, acronyms=[key for key, caps in capitals.items() if caps])

    def find(self, words: Sequence[str]) -> List[AliasMatch]:
        """Leftmost-longest, non-overlapping alias matches over a token sequence.

        words (Sequence[str]): The token texts.
        RETURNS (List[AliasMatch]): The matches in text order.
        """
        keys = [token_key(word) for word in words]
        matches: List[AliasMatch] = []
        start = 0
        n = len(keys)
        while start < n:
            best = None
            if keys[start]:
                joined = ""
                for end in range(start, n):
                    if not keys[end]:
                        continue
                    joined = f"{joined} {keys[end]}" if joined else keys[end]
                    category = self.categories.get(joined)
                    if category is not None and self._allowed(joined, words[start:end + 1]):
                        best = AliasMatch(start, end + 1, category, joined)
                    if joined not in self._prefixes:
                        break
            if best is None:
                start += 1
            else:
                matches.append(best)
                start = best.end
        return matches

    def _allowed(self, key: str, words: Sequence[str]) -> bool:
        if key not in self.acronyms:
            return True
        return all(word.isupper() or not word.isalpha() for word in words)

    def __len__(self) -> int:
        return len(self.categories)

    def to_bytes(self) -> bytes:
        """RETURNS (bytes): The table as msgpack."""
        return srsly.msgpack_dumps(
            {
                "version": _FORMAT_VERSION,
                "categories": self.categories,
                "acronyms": sorted(self.acronyms),
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> "AliasMatcher":
        """Load a table written by to_bytes.

        data (bytes): The msgpack data.
        RETURNS (AliasMatcher): The matcher.
        """
        msg = srsly.msgpack_loads(data)
        return cls(msg["categories"], acronyms=msg["acronyms"])

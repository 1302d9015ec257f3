"""Word substitutions mined from the KB itself, used to rewrite mention strings.

MeSH spells one concept many ways: "breast cancer", "breast neoplasm", "breast tumor". Pairs of
aliases of the same concept that differ in exactly one word show which words the vocabulary
treats as interchangeable (cancer ~ neoplasm ~ tumor, disease ~ syndrome, familial ~
hereditary). A mention is rewritten with one representative per word class, so "prostate
carcinoma"-style mentions also reach "prostatic neoplasms". The rewrite only adds candidates
and a separate similarity feature; the ranker learns how far to trust it. Mined from the KB, so
it works for any vocabulary, not just MEDIC.
"""
import re
from collections import Counter, defaultdict
from typing import Dict, Iterable, Tuple

from .normalize import normalize_alias

# Numbers, roman numerals and single letters differ between sibling concepts ("type 1" vs
# "type 2"), they are not synonyms.
_NOT_A_SYNONYM = re.compile(r"^(\d+|[ivxlc]+|\w)$")


def mine_word_substitutions(
    concepts: Iterable, min_count: int = 20, min_share: float = 0.5
) -> Dict[str, str]:
    """Map words to a class representative from one-word differences between aliases.

    Aliases are grouped by their words with one position masked ("breast _"); two words met
    in the same slot are synonyms when they mostly do so inside ONE concept ("breast cancer" /
    "breast neoplasm"), and siblings or antonyms when mostly across concepts ("benign X" /
    "malignant X", "type 1" / "type 2").

    concepts (Iterable[Concept]): the KB's concepts (name + synonyms are used).
    min_count (int): same-concept substitutions needed before a pair is trusted.
    min_share (float): minimum share of same-concept among all substitutions of the pair.
    RETURNS (Dict[str, str]): word -> representative (the class's most frequent word).
    """
    slots: Dict[tuple, list] = defaultdict(list)
    word_freq: Counter = Counter()
    for concept in concepts:
        for alias in {normalize_alias(n) for n in (concept.name, *concept.synonyms)}:
            words = alias.split()
            word_freq.update(words)
            for i, word in enumerate(words):
                slots[(*words[:i], "_", *words[i + 1 :])].append((concept.concept_id, word))
    within: Counter = Counter()
    across: Counter = Counter()
    for fillers in slots.values():
        if len(fillers) < 2 or len(fillers) > 50:  # huge slots ("_ disease") carry no signal
            continue
        for i, (concept_a, a) in enumerate(fillers):
            for concept_b, b in fillers[i + 1 :]:
                if a != b:
                    key = (a, b) if a < b else (b, a)
                    (within if concept_a == concept_b else across)[key] += 1
    parent: Dict[str, str] = {}

    def find(word: str) -> str:
        while parent.get(word, word) != word:
            word = parent[word]
        return word

    for (a, b), n in within.items():
        if n < min_count or n / (n + across[(a, b)]) < min_share:
            continue
        if _NOT_A_SYNONYM.match(a) or _NOT_A_SYNONYM.match(b):
            continue
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            # The more frequent word represents the class.
            keep, drop = sorted((root_a, root_b), key=lambda w: (-word_freq[w], w))
            parent[drop] = keep
    return {word: find(word) for word in parent}


def rewrite(query: str, substitutions: Dict[str, str]) -> str:
    """RETURNS (str): the query with every word replaced by its class representative."""
    return " ".join(substitutions.get(w, w) for w in query.split())


def rewrite_all(queries: Iterable[str], substitutions: Dict[str, str]) -> Tuple[str, ...]:
    return tuple(rewrite(q, substitutions) for q in queries)

"""Split coordinated mentions ("breast and ovarian cancer") into one lookup string per concept.

NCBI-style composite mentions share a head noun between conjuncts: "breast and ovarian cancer"
-> "breast cancer", "ovarian cancer"; "colorectal, endometrial, and ovarian cancers" -> three.
The linker only uses the parts when the whole string matches no alias closely (see linker.py),
so "hereditary breast and ovarian cancer" (one MeSH concept) stays one mention.
"""
import re
from typing import List

# Conjunctions between coordinated modifiers, on normalized (lower-case, punctuation-free)
# strings: "and", "or", "and or" (from "and/or"), and commas folded to spaces by the normalizer
# are recovered from the raw text below.
_CONJUNCTION = re.compile(r"\s*(?:,\s*(?:and|or)?|\band or\b|\band\b|\bor\b|/)\s*")
MAX_PARTS = 5


def split_coordination(text: str, normalize) -> List[str]:
    """Normalized lookup strings for the conjuncts of a coordinated mention, or [].

    text (str): the raw mention text (commas and slashes still present).
    normalize (Callable[[str], str]): the shared alias normalizer.
    RETURNS (List[str]): one string per conjunct with the shared head appended, or [] when
        the mention is not a coordination of at least two parts.
    """
    parts = [p for p in _CONJUNCTION.split(text.strip()) if p and p.strip()]
    if len(parts) < 2 or len(parts) > MAX_PARTS:
        return []
    parts = [normalize(p) for p in parts]
    if not all(parts):
        return []
    last = parts[-1].split()
    if len(last) < 2:
        # "cancer of the breast and ovary" style (head first) or bare words: share the
        # first part's head instead.
        first = parts[0].split()
        if len(first) < 2:
            return []
        head_first = first[:-1]
        return [parts[0]] + [" ".join(head_first + p.split()) for p in parts[1:]]
    head = last[1:]
    expanded = [" ".join(p.split() + head) if len(p.split()) == 1 else p for p in parts[:-1]]
    return expanded + [parts[-1]]

"""Corpora with different annotation guidelines in one training set.

NCBI disease annotates diseases but not signs and symptoms; BioRED annotates both. Pooled
naively, an NCBI document teaches "no entity" for every "fever" or "seizures" it leaves
unannotated, against BioRED documents that teach "entity" for the same words. Here a corpus
declares the vocabulary categories its guideline leaves out, and the vocabulary matches of
those categories that no gold entity touches become *missing* (unknown) in its training
docs: the NER learns them from the corpora that annotate them, and is not taught the
opposite by the ones that do not.
"""
from typing import Dict, Iterable, List, Sequence, Tuple

from spacy.tokens import Doc, Span

from ..kb.alias_matcher import AliasMatcher
from ..kb.categories import SYMPTOM_LABEL

# The categories each known corpus's guideline does not annotate (folder names of DATA_DIR).
UNANNOTATED_BY_CORPUS: Dict[str, Tuple[str, ...]] = {"ncbi_disease": (SYMPTOM_LABEL,)}


def mark_unannotated_missing(docs: Iterable[Doc], matcher: AliasMatcher, categories: Sequence[str]) -> int:
    """Mark untouched vocabulary matches of the given categories as missing (in place).

    docs (Iterable[Doc]): Gold docs (their entities are kept as they are).
    matcher (AliasMatcher): The vocabulary matcher.
    categories (Sequence[str]): Categories the corpus does not annotate, e.g. ("SYMPTOM",).
    RETURNS (int): How many spans were marked missing.
    """
    n_missing = 0
    for doc in docs:
        taken = [False] * len(doc)
        for ent in doc.ents:
            taken[ent.start:ent.end] = [True] * len(ent)
        missing: List[Span] = [
            Span(doc, m.start, m.end)
            for m in matcher.find([t.text for t in doc])
            if m.category in categories and not any(taken[m.start:m.end])
        ]
        if missing:
            doc.set_ents(list(doc.ents), missing=missing, default="unmodified")
            n_missing += len(missing)
    return n_missing

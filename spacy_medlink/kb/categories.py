"""Concept categories and the entity labels they give: the one definition of both.

A concept is a "sign_or_symptom" when a MeSH tree number lies under C23.888 (Signs and
Symptoms), a "disease" when one lies elsewhere under C, "other" otherwise (ConceptStore
.category_of). Entities are labelled DISEASE or SYMPTOM: by the NER's training corpora, by
the KB matcher, by weak labelling and, with category_labels, by the linker.
"""
from typing import Iterable, Tuple

from ..errors import Errors
from .ids import KB_ID_SEPARATOR

DISEASE = "disease"
SIGN_OR_SYMPTOM = "sign_or_symptom"
OTHER = "other"
# MeSH "Signs and Symptoms" subtree; the rest of C is "Diseases".
SIGN_OR_SYMPTOM_TREE = "C23.888"
DISEASE_TREE = "C"

DISEASE_LABEL = "DISEASE"
SYMPTOM_LABEL = "SYMPTOM"
# The labels in a fixed order: the KB-feature layer embeds their index.
LABELS: Tuple[str, ...] = (DISEASE_LABEL, SYMPTOM_LABEL)


def check_labels(labels: Iterable[str], option: str) -> None:
    """RAISES ValueError: E023 naming `option` for a label that no vocabulary match carries."""
    unknown = sorted(set(labels) - set(LABELS))
    if unknown:
        raise ValueError(Errors.E023.format(option=option, found=unknown, expected=", ".join(LABELS)))


def category_label(category: str) -> str:
    """RETURNS (str): SYMPTOM_LABEL for signs and symptoms, else DISEASE_LABEL."""
    return SYMPTOM_LABEL if category == SIGN_OR_SYMPTOM else DISEASE_LABEL


def link_category(store, kb_id: str) -> str:
    """The category of a link: a composite ("A|B") is a disease if any part is one.

    store (ConceptStore): The KB's store.
    kb_id (str): The linked id(s), "" for NIL.
    RETURNS (str): DISEASE, SIGN_OR_SYMPTOM, OTHER, or "" for NIL.
    """
    categories = [store.category_of(i) for i in kb_id.split(KB_ID_SEPARATOR) if i in store]
    if not categories:
        return ""
    for category in (DISEASE, SIGN_OR_SYMPTOM):
        if category in categories:
            return category
    return categories[0]

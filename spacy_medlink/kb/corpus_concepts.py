"""Concepts that only a training corpus knows: ids its annotators used that the vocabulary lacks.

The NCBI disease corpus links some mentions to ids that the MEDIC edition in use does not have
(it has OMIM:613825 for "C9 deficiency", MEDIC 2017 does not). Without them in the KB the linker
can never predict those ids. build_kb(add_corpus_concepts=True) adds one concept per such id,
named after its most frequent mention. The concept has no vocabulary names: all its aliases are
the counted training mentions, so leave-one-document-out training still hides a document's own
mentions, exactly as for vocabulary concepts.
"""
from collections import Counter
from typing import Dict, Iterable, List, Tuple

from .ids import normalize_concept_id
from .records import Concept
from .store import ConceptStore

# Written into Concept.categories, so every consumer can tell a corpus concept apart.
CORPUS_CATEGORY = "Corpus concept"


def is_corpus_concept(concept: Concept) -> bool:
    """RETURNS (bool): whether the concept was added from training mentions only."""
    return CORPUS_CATEGORY in concept.categories


def concepts_from_mentions(mentions: Iterable[Tuple[str, str]], store: ConceptStore) -> List[Concept]:
    """One concept per mention id that the store cannot resolve.

    mentions (Iterable[Tuple[str, str]]): (mention text, concept id) pairs.
    store (ConceptStore): The vocabulary's concepts (ids resolve through primary and alt ids).
    RETURNS (List[Concept]): New concepts, in order of first mention; each named after its most
        frequent mention text (ties: the first seen).
    """
    texts_by_id: Dict[str, Counter] = {}
    for text, raw_id in mentions:
        concept_id = normalize_concept_id(raw_id)
        name = text.strip()
        if not concept_id or not name or store.resolve(concept_id) is not None:
            continue
        texts_by_id.setdefault(concept_id, Counter())[name] += 1
    return [
        Concept(concept_id=concept_id, name=texts.most_common(1)[0][0], categories=(CORPUS_CATEGORY,))
        for concept_id, texts in texts_by_id.items()
    ]

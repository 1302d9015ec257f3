"""Candidate generators for spaCy's own `entity_linker` over a MedlinkKB: the mention text is
normalized with `normalize_alias`, as the KB's aliases were when it was built."""
from typing import Callable, Iterable, List

from spacy.kb import Candidate, KnowledgeBase
from spacy.tokens import Span
from spacy.util import registry

from ..kb.normalize import normalize_alias

# Registered names, for an entity_linker's get_candidates and get_candidates_batch.
NORMALIZED_ALIAS_CANDIDATES = "spacy-medlink.NormalizedAliasCandidates.v1"
NORMALIZED_ALIAS_CANDIDATES_BATCH = "spacy-medlink.NormalizedAliasCandidatesBatch.v1"


def get_normalized_alias_candidates(kb: KnowledgeBase, span: Span) -> List[Candidate]:
    """The KB's candidates for the normalized mention text (spaCy's
    `spacy.CandidateGenerator.v1` looks up span.text verbatim, which misses most of our
    normalized aliases: case, punctuation, plurals).

    kb (KnowledgeBase): The KB (a MedlinkKB, or any InMemoryLookupKB with normalized aliases).
    span (Span): The mention.
    RETURNS (List[Candidate]): Its candidates; none when the text normalizes to "".
    """
    alias = normalize_alias(span.text)
    if not alias:
        return []
    return kb.get_alias_candidates(alias)


def get_normalized_alias_candidates_batch(kb: KnowledgeBase, spans: Iterable[Span]) -> List[List[Candidate]]:
    """`get_normalized_alias_candidates` for several mentions (the entity_linker uses it when
    its candidates_batch_size is over 1).

    kb (KnowledgeBase): The KB.
    spans (Iterable[Span]): The mentions.
    RETURNS (List[List[Candidate]]): One list of candidates per mention.
    """
    return [get_normalized_alias_candidates(kb, span) for span in spans]


@registry.misc(NORMALIZED_ALIAS_CANDIDATES)
def create_normalized_alias_candidates() -> Callable[[KnowledgeBase, Span], List[Candidate]]:
    """For the entity_linker's get_candidates: exact lookup of the normalized mention text
    among the KB's aliases (module-level function: the pipeline stays picklable)."""
    return get_normalized_alias_candidates


@registry.misc(NORMALIZED_ALIAS_CANDIDATES_BATCH)
def create_normalized_alias_candidates_batch() -> Callable[[KnowledgeBase, Iterable[Span]], List[List[Candidate]]]:
    """For the entity_linker's get_candidates_batch: the batch form of
    spacy-medlink.NormalizedAliasCandidates.v1."""
    return get_normalized_alias_candidates_batch

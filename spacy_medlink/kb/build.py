"""Build a MedlinkKB from concepts (and, optionally, training mentions as extra aliases).

Aggregate first, then make one bulk call: every name, synonym and training mention is
normalized (normalize_alias) and grouped into alias -> {concept_id: weight}; then the entities
are set with one set_entities call and every alias is added with one add_alias call (a second
add_alias for the same alias would be ignored by spaCy with W017).
"""
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from spacy.vocab import Vocab
from tqdm import tqdm

from ..about import __version__
from ..errors import Errors, Warnings
from ..integrity import file_sha256
from .alias_index import CharNgramIndex
from .corpus_concepts import concepts_from_mentions, is_corpus_concept
from .medlink_kb import MedlinkKB
from .normalize import normalize_alias
from .records import Concept
from .store import ConceptStore
from .word_substitutions import mine_word_substitutions

_N_EXAMPLES = 3


def check_vectors(vectors: np.ndarray, n_concepts: int) -> np.ndarray:
    """Check an encoder's output: one row per concept (E015).

    vectors (np.ndarray): The encoder output.
    n_concepts (int): The number of concepts encoded.
    RETURNS (np.ndarray): The vectors as a float32 array.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != n_concepts:
        raise ValueError(Errors.E015.format(shape=vectors.shape, n=n_concepts))
    return vectors


def counted_training_alias(text: str, ids: Sequence[str], store: ConceptStore) -> Optional[Tuple[str, str]]:
    """The KB build's counting rule for one gold training mention, in one place (the linker's
    leave-one-document-out bookkeeping applies the same rule, pipeline/gold.py).

    RETURNS (Optional[Tuple[str, str]]): (normalized alias, concept id) when the mention has
        exactly one id, the id resolves and the text normalizes to a non-empty key; None when
        the mention adds nothing to the training counts.
    """
    if len(ids) != 1:
        return None
    concept_id = store.resolve(ids[0])
    alias = normalize_alias(text)
    if concept_id is None or not alias:
        return None
    return alias, concept_id


@dataclass
class BuildReport:
    """What build_kb did.

    n_concepts (int): Entities in the KB.
    n_aliases (int): Distinct normalized aliases in the KB.
    n_extra_aliases (int): Extra alias occurrences (training mentions) added to the priors.
    n_unknown_extra_ids (int): Extra aliases not added: their id is not in the vocabulary.
    n_skipped_aliases (int): Names, synonyms or extra aliases not added: empty once normalized.
    n_corpus_concepts (int): Concepts added for extra-alias ids the vocabulary lacks
        (add_corpus_concepts=True).
    seconds (float): Wall-clock build time.
    """

    n_concepts: int = 0
    n_aliases: int = 0
    n_extra_aliases: int = 0
    n_unknown_extra_ids: int = 0
    n_skipped_aliases: int = 0
    n_corpus_concepts: int = 0
    seconds: float = 0.0


def build_kb(
    concepts: Iterable[Concept],
    vocab: Vocab,
    *,
    encoder: Callable[[List[Concept]], np.ndarray],
    extra_aliases: Iterable[Tuple[str, str]] = (),
    add_corpus_concepts: bool = False,
    prior_smoothing: float = 1.0,
    progress: bool = True,
    name: str = "kb",
    source: Optional[Path] = None,
) -> Tuple[MedlinkKB, BuildReport]:
    """Build a MedlinkKB.

    The prior P(concept | alias) is the alias's weight for the concept divided by its total
    weight, where each concept whose name or synonym normalizes to the alias contributes
    prior_smoothing and each extra alias occurrence contributes 1.

    concepts (Iterable[Concept]): The vocabulary (unique primary ids).
    vocab (Vocab): The vocab the KB's strings go into (usually nlp.vocab).
    encoder (Callable[[List[Concept]], np.ndarray]): Makes one entity vector per concept,
        e.g. @misc "spacy-medlink.LSAConceptEncoder.v1".
    extra_aliases (Iterable[Tuple[str, str]]): (mention text, concept id) pairs, e.g. the
        single-id mentions of a training corpus. Ids are resolved through primary and alt ids;
        unknown ids are counted and warned about (W003).
    add_corpus_concepts (bool): Add a concept for each extra-alias id the vocabulary lacks
        (see corpus_concepts.py) instead of dropping its mentions.
    prior_smoothing (float): Weight of a vocabulary name/synonym relative to one training
        mention.
    progress (bool): Show tqdm progress bars.
    name (str): The KB's name, for meta.json.
    source (Optional[Path]): The vocabulary file, for meta.json (path and sha256).
    RETURNS (Tuple[MedlinkKB, BuildReport]): The KB and what was done.
    """
    start = time.perf_counter()
    report = BuildReport()
    concepts = list(concepts)
    if not concepts:
        raise ValueError(Errors.E014)
    store = ConceptStore.from_concepts(concepts, source=str(source) if source else None)
    extra_aliases = list(extra_aliases)
    if add_corpus_concepts:
        corpus_concepts = concepts_from_mentions(extra_aliases, store)
        for concept in corpus_concepts:
            store.add(concept)
        concepts.extend(corpus_concepts)
        report.n_corpus_concepts = len(corpus_concepts)
    weights: Dict[str, Dict[str, float]] = {}
    skipped: List[str] = []
    for concept in tqdm(concepts, desc="Vocabulary aliases", disable=not progress, leave=False):
        if is_corpus_concept(concept):
            continue  # its aliases are its counted training mentions only
        for text in (concept.name, *concept.synonyms):
            alias = normalize_alias(text)
            if not alias:
                skipped.append(text)
                continue
            # A concept contributes once per alias, however many of its names normalize to it.
            weights.setdefault(alias, {})[concept.concept_id] = prior_smoothing
    mention_counts = _add_extra_aliases(extra_aliases, store, weights, skipped, report, progress)
    report.n_skipped_aliases = len(skipped)
    if skipped:
        warnings.warn(
            Warnings.W004.format(n_skipped=len(skipped), examples=_examples(skipped)), stacklevel=2
        )

    vectors = check_vectors(encoder(concepts), len(concepts))
    kb = MedlinkKB(vocab, entity_vector_length=vectors.shape[1], store=store)
    ids = store.ids()
    kb.set_entities(ids, [1.0 + mention_counts[cid] for cid in ids], vectors.tolist())
    for alias in tqdm(sorted(weights), desc="KB aliases", disable=not progress, leave=False):
        by_concept = weights[alias]
        concept_ids = list(by_concept)
        priors = _priors([by_concept[cid] for cid in concept_ids])
        kb.add_alias(alias=alias, entities=concept_ids, probabilities=priors)

    kb.alias_index = CharNgramIndex.from_aliases(list(kb.get_alias_strings()))
    report.n_concepts = kb.get_size_entities()
    report.n_aliases = kb.get_size_aliases()
    kb.meta = _make_meta(kb, name, source, encoder, prior_smoothing, report)
    # Mined once here and saved in meta.json, so loading a pipeline does not redo it.
    kb.meta["word_substitutions"] = mine_word_substitutions(store)
    report.seconds = time.perf_counter() - start
    kb.meta["build_ms"] = int(report.seconds * 1000)
    return kb, report


def _add_extra_aliases(
    extra_aliases: Iterable[Tuple[str, str]],
    store: ConceptStore,
    weights: Dict[str, Dict[str, float]],
    skipped: List[str],
    report: BuildReport,
    progress: bool,
) -> Counter:
    """Add (text, id) pairs to the alias weights and store.alias_counts.
    RETURNS (Counter): concept id -> number of extra aliases added for it."""
    mention_counts: Counter = Counter()
    unknown: List[str] = []
    n_seen = 0
    for text, raw_id in tqdm(extra_aliases, desc="Extra aliases", disable=not progress, leave=False):
        n_seen += 1
        counted = counted_training_alias(text, (raw_id,), store)
        if counted is None:  # say why: the id, or a text with nothing left after normalizing
            if store.resolve(raw_id) is None:
                unknown.append(f"{raw_id!r} ({text!r})")
            else:
                skipped.append(text)
            continue
        alias, concept_id = counted
        by_concept = weights.setdefault(alias, {})
        by_concept[concept_id] = by_concept.get(concept_id, 0.0) + 1.0
        store.add_alias_count(alias, concept_id)
        mention_counts[concept_id] += 1
        report.n_extra_aliases += 1
    report.n_unknown_extra_ids = len(unknown)
    if unknown:
        warnings.warn(
            Warnings.W003.format(n_unknown=len(unknown), n_total=n_seen, examples=_examples(unknown)),
            stacklevel=3,
        )
    return mention_counts


def _priors(weights: List[float]) -> List[float]:
    """Normalize weights to priors that sum to at most 1 as stored (float32): spaCy raises
    E133 above 1.00001, and readers of the KB may reasonably check sum <= 1."""
    values = np.asarray(weights, dtype=np.float64)
    total = values.sum()
    if total <= 0:
        return [0.0] * len(weights)
    priors = (values / total).astype(np.float32)
    while float(priors.astype(np.float64).sum()) > 1.0:
        largest = int(np.argmax(priors))
        priors[largest] = np.nextafter(priors[largest], np.float32(0))
    return [float(p) for p in priors]


def _make_meta(
    kb: MedlinkKB,
    name: str,
    source: Optional[Path],
    encoder: Callable,
    prior_smoothing: float,
    report: BuildReport,
) -> Dict[str, Any]:
    return {
        "name": name,
        "version": __version__,
        "source": str(source) if source is not None else None,
        "source_sha256": file_sha256(Path(source)) if source is not None and Path(source).is_file() else None,
        "n_concepts": report.n_concepts,
        "n_aliases": report.n_aliases,
        "n_extra_aliases": report.n_extra_aliases,
        "n_unknown_extra_ids": report.n_unknown_extra_ids,
        "n_skipped_aliases": report.n_skipped_aliases,
        "n_corpus_concepts": report.n_corpus_concepts,
        "encoder": getattr(encoder, "name", repr(encoder)),
        "entity_vector_length": kb.entity_vector_length,
        "prior_smoothing": prior_smoothing,
        "alias_normalizer": "spacy_medlink.kb.normalize.normalize_alias",
        # Whole milliseconds: a float such as 0.043 does not survive JSON round trips exactly.
        "build_ms": int(report.seconds * 1000),
    }


def _examples(items: List[str]) -> str:
    return ", ".join(str(item) for item in items[:_N_EXAMPLES])

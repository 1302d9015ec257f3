"""Build a MappedKB (mapped_kb.py) from concepts, for vocabularies of UMLS size.

The same facts as build.py's MedlinkKB (one definition of each: normalize_alias, the prior
rule, the counting rule for training mentions, the LSA encoder), computed on arrays instead of
dicts: every (alias, concept) pair becomes a row of three arrays, rows are sorted by the
alias's 64-bit hash, and each alias's slice gives its concepts and priors.
"""
import time
import warnings
from pathlib import Path
from typing import Callable, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from spacy.vocab import Vocab
from tqdm import tqdm

from ..about import __version__
from ..errors import Errors, Warnings
from .build import BuildReport, counted_training_alias
from .mapped_kb import MappedKB
from .mapped_store import MappedConceptStore
from .normalize import normalize_alias
from .records import Concept
from .string_table import HashedStrings, StringTable, string_hashes
from .trigram_index import TrigramIndex
from .word_substitutions import mine_word_substitutions

# Concepts the entity-vector encoder is fitted on (LSAConceptEncoder.encode_sampled) and word
# substitutions are mined from: both cost time and memory superlinear in the vocabulary.
MAX_FIT_CONCEPTS = 50_000


def build_mapped_kb(
    concepts: Sequence[Concept],
    output_dir: Path,
    vocab: Vocab,
    *,
    encoder: Callable[[List[Concept]], np.ndarray],
    extra_aliases: Iterable[Tuple[str, str]] = (),
    prior_smoothing: float = 1.0,
    progress: bool = True,
    name: str = "kb",
    source: Optional[Path] = None,
) -> Tuple[MappedKB, BuildReport]:
    """Build a mapped KB into output_dir and load it (memory-mapped).

    concepts (Sequence[Concept]): The vocabulary (unique primary ids).
    output_dir (Path): The KB folder to write.
    vocab (Vocab): The vocab of the loaded KB.
    encoder (Callable): Entity-vector encoder; LSAConceptEncoder is fitted on a sample of
        MAX_FIT_CONCEPTS (encode_sampled), any other gets every concept.
    extra_aliases (Iterable[Tuple[str, str]]): (mention text, concept id) training pairs.
    prior_smoothing (float): Weight of a vocabulary name relative to one training mention.
    progress (bool): Show progress bars.
    name (str): The KB's name, for meta.json.
    source (Optional[Path]): The vocabulary file, for meta.json.
    RETURNS (Tuple[MappedKB, BuildReport]): The loaded KB and what was done.
    """
    start = time.perf_counter()
    report = BuildReport()
    if not concepts:
        raise ValueError(Errors.E014)
    store = MappedConceptStore.from_concepts(concepts, alias_counts={}, source=str(source) if source else None)
    aliases, rows, weights, is_vocab = _alias_pairs(concepts, store, extra_aliases, prior_smoothing, report, progress)
    alias_table, entries, alias_strings = _alias_entries(aliases, rows, weights, is_vocab)
    del aliases, rows, weights, is_vocab
    alias_index = TrigramIndex.from_aliases(alias_strings, progress=progress, table=alias_table.strings)
    del alias_strings
    sample = concepts if len(concepts) <= MAX_FIT_CONCEPTS else concepts[:: len(concepts) // MAX_FIT_CONCEPTS + 1]
    if hasattr(encoder, "encode_sampled"):
        vectors = encoder.encode_sampled(list(concepts), MAX_FIT_CONCEPTS)
    else:
        vectors = np.asarray(encoder(list(concepts)), dtype=np.float32)
    report.n_concepts, report.n_aliases = len(concepts), len(alias_table)
    meta = {
        "name": name, "version": __version__, "source": str(source) if source else None,
        "encoder": getattr(encoder, "name", repr(encoder)), "prior_smoothing": prior_smoothing,
        "n_extra_aliases": report.n_extra_aliases,
        # Mined from a sample at this size (see MAX_FIT_CONCEPTS).
        "word_substitutions": mine_word_substitutions(sample),
        "word_substitutions_mined_on": len(sample),
    }
    kb = MappedKB.from_arrays(vocab, store, alias_table, entries, vectors, alias_index, meta)
    report.seconds = time.perf_counter() - start
    kb.meta["build_ms"] = int(report.seconds * 1000)
    kb.to_disk(output_dir)
    return MappedKB.load(output_dir, vocab), report


def _alias_pairs(concepts, store, extra_aliases, prior_smoothing, report, progress):
    """Every (alias, concept row) pair, from the vocabulary names (weight prior_smoothing,
    vocabulary flag) and the counted training mentions (weight 1 each; their counts go into
    store.alias_counts). RETURNS (aliases, rows, weights, is_vocab)."""
    aliases: List[str] = []
    rows: List[int] = []
    skipped: List[str] = []
    for row, concept in enumerate(tqdm(concepts, desc="Vocabulary aliases", disable=not progress, leave=False)):
        seen = set()
        for text in (concept.name, *concept.synonyms):
            alias = normalize_alias(text)
            if not alias:
                skipped.append(text)
            elif alias not in seen:  # once per concept, however many names normalize to it
                seen.add(alias)
                aliases.append(alias)
                rows.append(row)
    n_vocab_pairs = len(aliases)
    unknown = []
    for text, raw_id in extra_aliases:
        counted = counted_training_alias(text, (raw_id,), store)
        if counted is None:
            (unknown if store.resolve(raw_id) is None else skipped).append(f"{raw_id!r} ({text!r})")
            continue
        alias, concept_id = counted
        aliases.append(alias)
        rows.append(store.row_of(concept_id))
        by_concept = store.alias_counts.setdefault(alias, {})
        by_concept[concept_id] = by_concept.get(concept_id, 0) + 1
        report.n_extra_aliases += 1
    report.n_unknown_extra_ids, report.n_skipped_aliases = len(unknown), len(skipped)
    if skipped:
        warnings.warn(Warnings.W004.format(n_skipped=len(skipped), examples=", ".join(map(repr, skipped[:3]))),
                      stacklevel=3)
    if unknown:
        warnings.warn(Warnings.W003.format(n_unknown=len(unknown), n_total=len(unknown) + report.n_extra_aliases,
                                           examples=", ".join(unknown[:3])), stacklevel=3)
    weights = np.full(len(aliases), prior_smoothing, dtype=np.float64)
    weights[n_vocab_pairs:] = 1.0
    is_vocab = np.zeros(len(aliases), dtype=np.uint8)
    is_vocab[:n_vocab_pairs] = 1
    return aliases, np.asarray(rows, dtype=np.int64), weights, is_vocab


def _alias_entries(aliases: List[str], rows: np.ndarray, weights: np.ndarray, is_vocab: np.ndarray):
    """Group (alias, concept row, weight, vocab flag) pairs by alias: the aliases in hash order
    (HashedStrings), the entry arrays (offsets, concept rows, priors, vocab flags) and the
    aliases in that order as a list."""
    hashes = string_hashes(aliases)
    order = np.lexsort((rows, hashes))
    hashes, rows, weights, is_vocab = hashes[order], rows[order], weights[order], is_vocab[order]
    # The same (alias, concept) twice (a vocabulary name and training mentions): one entry.
    new_pair = np.ones(len(order), dtype=bool)
    new_pair[1:] = (hashes[1:] != hashes[:-1]) | (rows[1:] != rows[:-1])
    pair_starts = np.flatnonzero(new_pair)
    weights = np.add.reduceat(weights, pair_starts) if len(order) else weights
    is_vocab = np.maximum.reduceat(is_vocab, pair_starts) if len(order) else is_vocab
    hashes, rows, first_of_pair = hashes[pair_starts], rows[pair_starts], order[pair_starts]
    new_alias = np.ones(len(hashes), dtype=bool)
    new_alias[1:] = hashes[1:] != hashes[:-1]
    alias_starts = np.flatnonzero(new_alias)
    strings = [aliases[i] for i in first_of_pair[alias_starts]]
    _check_no_collisions(aliases, hashes, first_of_pair, new_alias)
    totals = np.add.reduceat(weights, alias_starts) if len(hashes) else weights
    priors = (weights / np.repeat(totals, np.diff(np.append(alias_starts, len(hashes))))).astype(np.float32)
    offsets = np.append(alias_starts, len(hashes)).astype(np.int64)
    table = HashedStrings(StringTable.from_strings(strings), hashes[alias_starts],
                          np.arange(len(strings), dtype=np.int64))
    entries = {"entry_offsets": offsets, "entry_concepts": rows.astype(np.int32),
               "entry_priors": priors, "entry_vocab": is_vocab.astype(np.uint8)}
    return table, entries, strings


def _check_no_collisions(aliases: List[str], hashes: np.ndarray, first_of_pair: np.ndarray,
                         new_alias: np.ndarray) -> None:
    """Pairs with the same hash must have the same alias string (E037 otherwise)."""
    group_first = first_of_pair[np.maximum.accumulate(np.where(new_alias, np.arange(len(hashes)), 0))]
    for i in np.flatnonzero(~new_alias):
        first, other = aliases[group_first[i]], aliases[first_of_pair[i]]
        if first != other:
            raise ValueError(Errors.E037.format(hash=int(hashes[i]), first=first, second=other))

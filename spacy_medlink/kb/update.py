"""Update a built KB with a newer or extra vocabulary, without retraining the linker.

New concepts are added, known ones get the update's new names and synonyms (an old name stays
a synonym, so text that matched it still does), and retired ids are merged into their
successor: the successor takes the retired concept's names and training counts, and the
retired id becomes its alt id, so `store.resolve(old)` gives the successor. The KB is then
rebuilt by the same `build_kb` (priors, alias index, word substitutions), with the training
counts carried over and the old concepts' entity vectors kept exactly: the new concepts'
vectors come from the encoder fitted on the merged vocabulary and rotated into the old space
(orthogonal Procrustes over the concepts both share), so the trained ranker sees the space it
was trained on.
"""
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Tuple

import numpy as np
from scipy.linalg import orthogonal_procrustes
from spacy.vocab import Vocab

from ..errors import Errors
from ..input_files import iter_raw_lines
from .build import build_kb
from .corpus_concepts import is_corpus_concept
from .ids import normalize_concept_id
from .medlink_kb import MedlinkKB
from .records import Concept
from .store import ConceptStore

_N_EXAMPLES = 10


@dataclass
class UpdateReport:
    """What an update changed. Lists hold concept ids; retired maps old id -> successor."""

    added: List[str] = field(default_factory=list)
    updated: List[str] = field(default_factory=list)
    retired: Dict[str, str] = field(default_factory=dict)
    conflicts: List[str] = field(default_factory=list)
    n_unchanged: int = 0
    n_concepts_before: int = 0
    n_concepts_after: int = 0

    def counts(self) -> Dict[str, int]:
        """RETURNS (Dict[str, int]): the n_* figures (kept in the KB's meta.json)."""
        return {key: value for key, value in self.to_dict().items() if key.startswith("n_")}

    def to_dict(self) -> Dict:
        return {
            "n_added": len(self.added), "n_updated": len(self.updated),
            "n_retired": len(self.retired), "n_conflicts": len(self.conflicts),
            "n_unchanged": self.n_unchanged, "n_concepts_before": self.n_concepts_before,
            "n_concepts_after": self.n_concepts_after, "added": self.added,
            "updated": self.updated, "retired": self.retired, "conflicts": self.conflicts,
        }


def merge_vocabulary(
    store: ConceptStore, updates: Iterable[Concept], id_map: Mapping[str, str] = {}
) -> Tuple[List[Concept], UpdateReport]:
    """The merged concept list (old order first, then the new concepts)

    store (ConceptStore): The KB's concepts.
    updates (Iterable[Concept]): The newer or extra vocabulary. A record whose alt_ids name a
        concept of the KB retires that concept into the record.
    id_map (Mapping[str, str]): Retired id -> successor id (either may be new in `updates`).
    RETURNS (Tuple): the concepts, and the report (report.retired: retired id -> successor).
    """
    report = UpdateReport(n_concepts_before=len(store))
    merged: Dict[str, Concept] = {c.concept_id: c for c in store}
    for update in updates:
        concept_id = update.concept_id
        if concept_id not in merged and store.resolve(concept_id) is not None:
            report.conflicts.append(
                f"{concept_id} is an alt id of {store.resolve(concept_id)} in the KB; the update "
                f"makes it a concept of its own (skipped: name it in --id-map to retire instead)"
            )
            continue
        old = merged.get(concept_id)
        if old is None:
            merged[concept_id] = update
            report.added.append(concept_id)
            continue
        new = update if is_corpus_concept(old) else _merged_concept(old, update)
        if new != old:
            merged[concept_id] = new
            # A second record of a concept the update adds is merged into it, not "updated".
            if concept_id in store and concept_id not in report.updated:
                report.updated.append(concept_id)
    retired = {
        alt: concept_id for concept_id in report.added + report.updated
        for alt in merged[concept_id].alt_ids if alt in store and alt != concept_id
    }
    for old_id, new_id in id_map.items():
        old_id, new_id = normalize_concept_id(old_id), normalize_concept_id(new_id)
        if old_id not in store:
            report.conflicts.append(f"--id-map retires {old_id}, which the KB does not have (skipped)")
        elif new_id not in merged:
            report.conflicts.append(f"--id-map names {new_id} as the successor of {old_id}, but no concept has that id (skipped)")
        else:
            retired[old_id] = new_id
    final = {old: _final(old, retired) for old in retired}
    for old_id, new_id in final.items():
        if new_id is None:
            report.conflicts.append(f"{old_id} -> {retired[old_id]}: a cycle of successors (kept as it is)")
            continue
        successor, old = merged[new_id], merged.pop(old_id)
        merged[new_id] = _absorb(successor, old)
        report.retired[old_id] = new_id
    report.n_unchanged = sum(1 for c in store if merged.get(c.concept_id) == c)
    report.n_concepts_after = len(merged)
    return list(merged.values()), report


def _final(concept_id: str, retired: Mapping[str, str]) -> Optional[str]:
    """The end of the chain of successors from a retired id; None for a cycle."""
    seen = {concept_id}
    while concept_id in retired:
        concept_id = retired[concept_id]
        if concept_id in seen:
            return None
        seen.add(concept_id)
    return concept_id


def _merged_concept(old: Concept, update: Concept) -> Concept:
    """The update's fields where it has them; every old name stays a synonym."""
    names = [update.name, *update.synonyms, old.name, *old.synonyms]
    synonyms = tuple(dict.fromkeys(n for n in names if n and n != update.name))
    return replace(
        old,
        name=update.name or old.name,
        synonyms=synonyms,
        definition=update.definition or old.definition,
        tree_numbers=update.tree_numbers or old.tree_numbers,
        parent_ids=update.parent_ids or old.parent_ids,
        alt_ids=tuple(dict.fromkeys((*old.alt_ids, *update.alt_ids))),
        categories=update.categories or old.categories,
    )


def _absorb(successor: Concept, retired: Concept) -> Concept:
    """The successor with the retired concept's names as synonyms and its ids as alt ids."""
    names = [*successor.synonyms]
    if not is_corpus_concept(retired):
        names += [retired.name, *retired.synonyms]
    synonyms = tuple(dict.fromkeys(n for n in names if n and n != successor.name))
    alt_ids = tuple(dict.fromkeys(
        a for a in (*successor.alt_ids, retired.concept_id, *retired.alt_ids) if a != successor.concept_id
    ))
    return replace(successor, synonyms=synonyms, alt_ids=alt_ids)


def training_mentions(store: ConceptStore, retired: Mapping[str, str]) -> List[Tuple[str, str]]:
    """The KB's counted training mentions as (alias, concept) pairs, retired ids mapped to
    their successors (build_kb counts them again)."""
    return [
        (alias, retired.get(concept_id, concept_id))
        for alias, by_concept in store.alias_counts.items()
        for concept_id, count in by_concept.items()
        for _ in range(count)
    ]


class FoldInEncoder:
    """Old concepts keep their vectors; new ones get the base encoder's vectors rotated into
    the old space (orthogonal Procrustes over the shared concepts)."""

    def __init__(self, base: Callable[[List[Concept]], np.ndarray], old_vectors: Mapping[str, np.ndarray]):
        self.base = base
        self.old_vectors = old_vectors
        self.name = f"{getattr(base, 'name', repr(base))}, folded into the previous KB's vectors"

    def __call__(self, concepts: List[Concept]) -> np.ndarray:
        fresh = np.asarray(self.base(concepts), dtype=np.float32)
        shared = [i for i, c in enumerate(concepts) if c.concept_id in self.old_vectors]
        if len(shared) == len(concepts):
            return np.stack([self.old_vectors[c.concept_id] for c in concepts]).astype(np.float32)
        old = np.stack([self.old_vectors[concepts[i].concept_id] for i in shared])
        if fresh.shape[1] != old.shape[1]:
            raise ValueError(Errors.E041.format(problem=(
                f"the encoder makes vectors of length {fresh.shape[1]}, the KB's have {old.shape[1]}")))
        rotation, _ = orthogonal_procrustes(fresh[shared], old)
        vectors = fresh @ rotation
        vectors[shared] = old
        return vectors.astype(np.float32)


def update_kb(
    kb: MedlinkKB,
    updates: Iterable[Concept],
    *,
    encoder: Callable[[List[Concept]], np.ndarray],
    id_map: Mapping[str, str] = {},
    vocab: Optional[Vocab] = None,
    progress: bool = False,
) -> Tuple[MedlinkKB, UpdateReport]:
    """A new KB: the old one with the update merged in (see the module docstring).

    kb (MedlinkKB): The KB to update (not modified).
    updates (Iterable[Concept]): The newer or extra vocabulary.
    encoder (Callable): The entity-vector encoder for the new concepts (its vectors must have
        the KB's length).
    id_map (Mapping[str, str]): Retired id -> successor id.
    vocab (Optional[Vocab]): The vocab of the new KB (the pipeline's); the old KB's if None.
    progress (bool): Show progress bars.
    RETURNS (Tuple[MedlinkKB, UpdateReport]): The new KB and what changed.
    """
    concepts, report = merge_vocabulary(kb.store, updates, id_map)
    kept = {c.concept_id for c in concepts}
    old_vectors = {
        cid: np.asarray(kb.get_vector(cid), dtype=np.float32) for cid in kb.store.ids() if cid in kept
    }
    new_kb, _ = build_kb(
        concepts,
        vocab or kb.vocab,
        encoder=FoldInEncoder(encoder, old_vectors),
        extra_aliases=training_mentions(kb.store, report.retired),
        prior_smoothing=kb.meta.get("prior_smoothing", 1.0),
        progress=progress,
        name=kb.meta.get("name", "kb"),
    )
    new_kb.meta["source"] = kb.meta.get("source")
    new_kb.meta["source_sha256"] = kb.meta.get("source_sha256")
    new_kb.meta["corpus"] = kb.meta.get("corpus", [])
    new_kb.meta["n_corpus_concepts"] = sum(1 for c in concepts if is_corpus_concept(c))
    new_kb.meta["updates"] = [*kb.meta.get("updates", []), report.counts()]
    return new_kb, report


def read_id_map(path) -> Dict[str, str]:
    """Retired id -> successor from a TSV file ("OLD_ID<TAB>NEW_ID" per line; blank lines
    and lines starting with # are ignored).

    RAISES ValueError: E040 naming the line of anything else; the gzip errors of E018.
    """
    path = Path(path)
    id_map: Dict[str, str] = {}
    for line_no, raw in iter_raw_lines(path, Errors.E018):
        try:
            line = raw.decode("utf8").rstrip("\r\n")
        except UnicodeDecodeError as err:  # a replaced byte would make an id nobody has
            raise ValueError(Errors.E006.format(path=path, line=line_no, encoding="utf8", error=err)) from None
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not all(part.strip() for part in parts):
            raise ValueError(Errors.E040.format(path=path, line=line_no, found=line[:80]))
        id_map[parts[0].strip()] = parts[1].strip()
    return id_map

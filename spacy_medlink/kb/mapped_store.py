"""The concept records of a UMLS-size KB, memory-mapped: ConceptStore's read API (get,
resolve, category_of, depth_of, alias_counts) without a Python object per concept.

On disk, beside the mapped KB's other arrays: concept ids and alt ids (HashedStrings), one JSON
record per concept (StringTable), category and depth codes (uint8), the owner row of each alt
id (int32), and the training alias counts (JSON: they come from a corpus, so they are small).
"""
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

import numpy as np
import srsly

from ..errors import Errors

from .categories import DISEASE, OTHER, SIGN_OR_SYMPTOM
from .ids import normalize_concept_id
from .records import Concept
from .store import category_from_tree_numbers, depth_from_tree_numbers, warn_alt_id_conflicts
from .string_table import HashedStrings, StringTable, load_array

CATEGORY_CODES = (OTHER, DISEASE, SIGN_OR_SYMPTOM)
_CODE_OF = {category: code for code, category in enumerate(CATEGORY_CODES)}
# Parsed records kept per store: the linker asks for the same concepts again and again.
_MAX_CACHED_RECORDS = 100_000
ALIAS_COUNTS_FILE = "alias_counts.json"


class MappedConceptStore:
    """Concept records by primary id, read from memory-mapped tables.

    ids (HashedStrings): Primary ids; row i is concept i of the KB.
    records (StringTable): Concept.to_dict() as JSON, per row.
    categories (np.ndarray): uint8 codes into CATEGORY_CODES, per row.
    depths (np.ndarray): uint8 MeSH depths, per row.
    alt_ids (HashedStrings): Alternative ids.
    alt_owners (np.ndarray): int32, the concept row of each alt id.
    alias_counts (Dict[str, Dict[str, int]]): Training alias counts (as ConceptStore).
    """

    def __init__(self, ids: HashedStrings, records: StringTable, categories: np.ndarray,
                 depths: np.ndarray, alt_ids: HashedStrings, alt_owners: np.ndarray,
                 alias_counts: Dict[str, Dict[str, int]]):
        self.id_table = ids
        self.records = records
        self.categories = categories
        self.depths = depths
        self.alt_id_table = alt_ids
        self.alt_owners = alt_owners
        self.alias_counts = alias_counts
        self.alt_id_conflicts: List[tuple] = []
        self._cache: Dict[str, Concept] = {}

    @classmethod
    def from_concepts(cls, concepts: Sequence[Concept], alias_counts: Dict[str, Dict[str, int]],
                      source: Optional[str] = None) -> "MappedConceptStore":
        """Build the tables from concepts (row order kept; unique ids, E016; alt ids: the first
        claim wins, conflicts warned once as ConceptStore does, W002)."""
        ids = HashedStrings.from_strings([c.concept_id for c in concepts])
        records = StringTable.from_strings(srsly.json_dumps(c.to_dict()) for c in concepts)
        categories = np.fromiter((_CODE_OF[category_from_tree_numbers(c.tree_numbers)] for c in concepts),
                                 dtype=np.uint8, count=len(concepts))
        depths = np.fromiter((min(depth_from_tree_numbers(c.tree_numbers), 255) for c in concepts),
                             dtype=np.uint8, count=len(concepts))
        # Equal ids have equal hashes, next to each other in the sorted hashes.
        for i in np.flatnonzero(ids.hashes[1:] == ids.hashes[:-1]):
            first, second = (concepts[int(ids.rows[j])].concept_id for j in (i, i + 1))
            if first == second:
                raise ValueError(Errors.E016.format(concept_id=first))
        owners: Dict[str, int] = {}
        conflicts = []
        for row, concept in enumerate(concepts):
            for alt_id in concept.alt_ids:
                owner = owners.setdefault(alt_id, row)
                if owner != row:
                    conflicts.append((alt_id, concepts[owner].concept_id, concept.concept_id))
        warn_alt_id_conflicts(conflicts, source, stacklevel=3)  # the caller of from_concepts
        alt_ids = HashedStrings.from_strings(list(owners))
        alt_owners = np.fromiter(owners.values(), dtype=np.int32, count=len(owners))
        store = cls(ids, records, categories, depths, alt_ids, alt_owners, alias_counts)
        store.alt_id_conflicts = conflicts
        return store

    def __len__(self) -> int:
        return len(self.id_table)

    def __contains__(self, concept_id: object) -> bool:
        return isinstance(concept_id, str) and self.id_table.row_of(concept_id) >= 0

    def __getitem__(self, concept_id: str) -> Concept:
        concept = self.get(concept_id)
        if concept is None:
            raise KeyError(concept_id)
        return concept

    def __iter__(self) -> Iterator[Concept]:
        for row in range(len(self)):
            yield self._record(row)

    def row_of(self, concept_id: str) -> int:
        """RETURNS (int): The concept's row, or -1."""
        return self.id_table.row_of(concept_id)

    def id_of(self, row: int) -> str:
        return self.id_table.strings[row]

    def get(self, concept_id: str, default: Optional[Concept] = None) -> Optional[Concept]:
        concept = self._cache.get(concept_id)
        if concept is None:
            row = self.row_of(concept_id)
            if row < 0:
                return default
            concept = self._record(row)
            if len(self._cache) >= _MAX_CACHED_RECORDS:
                self._cache.clear()
            self._cache[concept_id] = concept
        return concept

    def _record(self, row: int) -> Concept:
        return Concept.from_stored(srsly.json_loads(self.records[row]))

    def ids(self) -> List[str]:
        return list(self.id_table.strings)

    def resolve(self, any_id: str) -> Optional[str]:
        """As ConceptStore.resolve: the primary id of a primary or alt id, or None."""
        concept_id = normalize_concept_id(any_id)
        if self.row_of(concept_id) >= 0:
            return concept_id
        alt_row = self.alt_id_table.row_of(concept_id)
        return self.id_of(int(self.alt_owners[alt_row])) if alt_row >= 0 else None

    def category_of(self, concept_id: str) -> str:
        return CATEGORY_CODES[int(self.categories[self._row(concept_id)])]

    def depth_of(self, concept_id: str) -> int:
        return int(self.depths[self._row(concept_id)])

    def _row(self, concept_id: str) -> int:
        row = self.row_of(concept_id)
        if row < 0:
            raise KeyError(concept_id)
        return row

    # --- serialization -------------------------------------------------------------------
    def to_disk(self, path: Path) -> None:
        self.id_table.to_disk(path, "concept_ids")
        self.records.to_disk(path, "concept_records")
        np.save(path / "concept_categories.npy", np.asarray(self.categories), allow_pickle=False)
        np.save(path / "concept_depths.npy", np.asarray(self.depths), allow_pickle=False)
        self.alt_id_table.to_disk(path, "alt_ids")
        np.save(path / "alt_owners.npy", np.asarray(self.alt_owners), allow_pickle=False)
        srsly.write_json(path / ALIAS_COUNTS_FILE, self.alias_counts)

    @classmethod
    def from_disk(cls, path: Path) -> "MappedConceptStore":
        return cls(
            HashedStrings.from_disk(path, "concept_ids"),
            StringTable.from_disk(path, "concept_records"),
            load_array(path / "concept_categories.npy"),
            load_array(path / "concept_depths.npy"),
            HashedStrings.from_disk(path, "alt_ids"),
            load_array(path / "alt_owners.npy"),
            {alias: dict(counts) for alias, counts in srsly.read_json(path / ALIAS_COUNTS_FILE).items()},
        )

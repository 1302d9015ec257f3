"""ConceptStore: what the spaCy KB does not hold about concepts.

InMemoryLookupKB only keeps ids, frequencies, vectors and alias priors. Names, synonyms,
definitions, tree numbers, alt ids and the training alias counts live here, serialized with
msgpack (srsly), never pickle.
"""
import warnings
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Tuple, Union

import srsly

from ..errors import Errors, Warnings
from .categories import DISEASE, DISEASE_TREE, OTHER, SIGN_OR_SYMPTOM, SIGN_OR_SYMPTOM_TREE
from .ids import normalize_concept_id
from .records import Concept

_FORMAT_VERSION = 1
_N_EXAMPLES = 3


class ConceptStore:
    """Concept records by primary id, an alt-id -> primary-id map, and training alias counts.

    alias_counts (Dict[str, Dict[str, int]]): normalized alias -> {concept_id: number of
        training mentions with that text linked to that concept}.
    alt_id_conflicts (List[Tuple[str, str, str]]): (alt id, kept concept, ignored concept) for
        alt ids claimed by more than one concept (the first claim wins).
    """

    def __init__(self) -> None:
        self._concepts: Dict[str, Concept] = {}
        self._alt_ids: Dict[str, str] = {}
        self.alias_counts: Dict[str, Dict[str, int]] = {}
        self.alt_id_conflicts: List[Tuple[str, str, str]] = []
        # category_of, computed once per concept (concepts are frozen and never replaced).
        self._categories: Dict[str, str] = {}

    @classmethod
    def from_concepts(cls, concepts: Iterable[Concept], source: Optional[str] = None) -> "ConceptStore":
        """Create a store from concepts, warning once (W002) about conflicting alt ids.

        concepts (Iterable[Concept]): The concepts, with unique primary ids.
        source (Optional[str]): Where they come from, for the warning.
        RETURNS (ConceptStore): The store.
        """
        store = cls()
        for concept in concepts:
            store.add(concept)
        store.warn_alt_id_conflicts(source)
        return store

    def add(self, concept: Concept) -> None:
        """Add a concept. An alt id already claimed by another concept keeps its first owner;
        the conflict is recorded in alt_id_conflicts (see warn_alt_id_conflicts).

        concept (Concept): The concept; its id must not be in the store yet (E016).
        """
        concept_id = concept.concept_id
        if concept_id in self._concepts:
            raise ValueError(Errors.E016.format(concept_id=concept_id))
        self._concepts[concept_id] = concept
        for alt_id in concept.alt_ids:
            owner = self._alt_ids.setdefault(alt_id, concept_id)
            if owner != concept_id:
                self.alt_id_conflicts.append((alt_id, owner, concept_id))

    def warn_alt_id_conflicts(self, source: Optional[str] = None) -> None:
        """Warn once (W002) with the number of alt ids claimed by more than one concept."""
        warn_alt_id_conflicts(self.alt_id_conflicts, source)

    def add_alias_count(self, alias: str, concept_id: str, count: int = 1) -> None:
        """Count training mentions of a (normalized) alias linked to a concept."""
        by_concept = self.alias_counts.setdefault(alias, {})
        by_concept[concept_id] = by_concept.get(concept_id, 0) + count

    def __len__(self) -> int:
        return len(self._concepts)

    def __contains__(self, concept_id: object) -> bool:
        return concept_id in self._concepts

    def __getitem__(self, concept_id: str) -> Concept:
        return self._concepts[concept_id]

    def __iter__(self) -> Iterator[Concept]:
        return iter(self._concepts.values())

    def get(self, concept_id: str, default: Optional[Concept] = None) -> Optional[Concept]:
        """RETURNS (Optional[Concept]): The concept with this primary id, or default."""
        return self._concepts.get(concept_id, default)

    def ids(self) -> List[str]:
        """RETURNS (List[str]): The primary ids, in insertion order."""
        return list(self._concepts)

    @property
    def alt_ids(self) -> Dict[str, str]:
        """RETURNS (Dict[str, str]): alt id -> primary id (a copy)."""
        return dict(self._alt_ids)

    def resolve(self, any_id: str) -> Optional[str]:
        """Map any id to the primary id of its concept.

        any_id (str): A primary or alt id, prefixed or bare ("D012878", "OMIM:222100").
        RETURNS (Optional[str]): The primary id, or None if the id is unknown.
        """
        concept_id = normalize_concept_id(any_id)
        if concept_id in self._concepts:
            return concept_id
        return self._alt_ids.get(concept_id)

    def category_of(self, concept_id: str) -> str:
        """Coarse category from the MeSH tree numbers (the raw MEDIC SlimMappings are in
        Concept.categories).

        concept_id (str): A primary id in the store.
        RETURNS (str): "sign_or_symptom" if any tree number is under C23.888, else "disease"
            if any is under C, else "other".
        """
        category = self._categories.get(concept_id)
        if category is None:
            category = category_from_tree_numbers(self._concepts[concept_id].tree_numbers)
            self._categories[concept_id] = category
        return category

    def depth_of(self, concept_id: str) -> int:
        """Depth of the concept in the MeSH tree: the smallest number of parts over its tree
        numbers ("C18.452.394.750" -> 4; "C16.131.260/C538288" -> 4); 0 without tree numbers.

        concept_id (str): A primary id in the store.
        RETURNS (int): The depth.
        """
        return depth_from_tree_numbers(self._concepts[concept_id].tree_numbers)

    # --- serialization ---------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """RETURNS (bytes): The store as msgpack."""
        data = {
            "version": _FORMAT_VERSION,
            "concepts": [concept.to_dict() for concept in self._concepts.values()],
            "alt_ids": self._alt_ids,
            "alias_counts": self.alias_counts,
            "alt_id_conflicts": [list(c) for c in self.alt_id_conflicts],
        }
        return srsly.msgpack_dumps(data)

    def from_bytes(self, bytes_data: bytes) -> "ConceptStore":
        """Load the store from msgpack bytes, replacing its contents.

        bytes_data (bytes): Data written by to_bytes.
        RETURNS (ConceptStore): The store itself.
        """
        data = srsly.msgpack_loads(bytes_data)
        self._concepts = {}
        self._categories = {}
        for record in data["concepts"]:
            concept = Concept.from_stored(record)
            self._concepts[concept.concept_id] = concept
        self._alt_ids = dict(data["alt_ids"])
        self.alias_counts = {alias: dict(counts) for alias, counts in data["alias_counts"].items()}
        self.alt_id_conflicts = [tuple(c) for c in data.get("alt_id_conflicts", [])]
        return self

    def to_disk(self, path: Union[str, Path]) -> None:
        """Write the store to a msgpack file. path (Union[str, Path]): The file."""
        Path(path).write_bytes(self.to_bytes())

    def from_disk(self, path: Union[str, Path]) -> "ConceptStore":
        """Load the store from a msgpack file written by to_disk.

        path (Union[str, Path]): The file.
        RETURNS (ConceptStore): The store itself.
        """
        path = Path(path)
        try:
            return self.from_bytes(path.read_bytes())
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(Errors.E017.format(path=path, error=err)) from err


def category_from_tree_numbers(tree_numbers: Iterable[str]) -> str:
    """RETURNS (str): "sign_or_symptom" if any tree number is under C23.888, else "disease" if
    any is under C, else "other" (ConceptStore.category_of)."""
    tree_numbers = tuple(tree_numbers)
    if any(t.startswith(SIGN_OR_SYMPTOM_TREE) for t in tree_numbers):
        return SIGN_OR_SYMPTOM
    if any(t.startswith(DISEASE_TREE) for t in tree_numbers):
        return DISEASE
    return OTHER


def depth_from_tree_numbers(tree_numbers: Iterable[str]) -> int:
    """RETURNS (int): the smallest number of parts over the tree numbers; 0 without any
    (ConceptStore.depth_of). Tree numbers are "."-separated; MEDIC places supplementary
    concepts under a descriptor with "/": "C16.131.260/C538288" is one level below
    "C16.131.260"."""
    # Counting separators gives what splitting on them would, without a list per tree number.
    return min((1 + t.count(".") + t.count("/") for t in tree_numbers), default=0)


def warn_alt_id_conflicts(conflicts: List[Tuple[str, str, str]], source: Optional[str] = None,
                          stacklevel: int = 4) -> None:
    """Warn once (W002) about alt ids claimed by more than one concept: (alt id, kept concept,
    ignored concept) each (ConceptStore and the mapped store keep the first claim).
    stacklevel (int): as warnings.warn's, counted from here (4: the caller of ConceptStore.from_concepts)."""
    if conflicts:
        examples = ", ".join(f"{alt}: {first}, {second}" for alt, first, second in conflicts[:_N_EXAMPLES])
        warnings.warn(
            Warnings.W002.format(n_conflicts=len(conflicts), source=f" in {source}" if source else "", examples=examples),
            stacklevel=stacklevel,
        )

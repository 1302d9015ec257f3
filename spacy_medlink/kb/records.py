"""The concept record every reader yields and every KB module consumes."""
from dataclasses import dataclass
from typing import Any, Dict, Tuple

# JSONL field name -> Concept attribute (the JSONL contract says "id", the record "concept_id").
_JSONL_TO_FIELD = {
    "id": "concept_id",
    "name": "name",
    "synonyms": "synonyms",
    "definition": "definition",
    "tree_numbers": "tree_numbers",
    "parent_ids": "parent_ids",
    "alt_ids": "alt_ids",
    "categories": "categories",
}
_TUPLE_FIELDS = ("synonyms", "tree_numbers", "parent_ids", "alt_ids", "categories")


@dataclass(frozen=True)
class Concept:
    """One concept of a vocabulary (a MEDIC row, or a line of a JSONL vocabulary).

    concept_id (str): Primary id, prefixed: "MESH:D003920", "OMIM:222100".
    name (str): Canonical name.
    synonyms (Tuple[str, ...]): Other names of the concept.
    definition (str): Free-text definition ("" if none).
    tree_numbers (Tuple[str, ...]): MeSH tree numbers, e.g. "C18.452.394.750".
    parent_ids (Tuple[str, ...]): Ids of the parent concepts.
    alt_ids (Tuple[str, ...]): Alternative ids, e.g. "OMIM:222100", "DO:DOID:9352".
    categories (Tuple[str, ...]): MEDIC SlimMappings, e.g. "Metabolic disease".
    """

    concept_id: str
    name: str
    synonyms: Tuple[str, ...] = ()
    definition: str = ""
    tree_numbers: Tuple[str, ...] = ()
    parent_ids: Tuple[str, ...] = ()
    alt_ids: Tuple[str, ...] = ()
    categories: Tuple[str, ...] = ()

    def to_dict(self) -> Dict[str, Any]:
        """Serialize to the JSONL vocabulary format (lists instead of tuples).

        RETURNS (Dict[str, Any]): {"id", "name", "synonyms", "definition", "tree_numbers",
            "parent_ids", "alt_ids", "categories"}.
        """
        # getattr, not dataclasses.asdict: asdict deep-copies every field (~10x slower, and a
        # UMLS-size build serializes millions of records).
        return {
            key: list(getattr(self, attr)) if attr in _TUPLE_FIELDS else getattr(self, attr)
            for key, attr in _JSONL_TO_FIELD.items()
        }

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Concept":
        """Create a concept from a dict in the JSONL vocabulary format. Type checking with
        file/line context is done by the reader (kb.readers.read_concepts_jsonl); unknown keys
        are ignored.

        data (Dict[str, Any]): At least "id" and "name".
        RETURNS (Concept): The record.
        """
        kwargs: Dict[str, Any] = {}
        for key, attr in _JSONL_TO_FIELD.items():
            if key in data and data[key] is not None:
                value = data[key]
                kwargs[attr] = tuple(value) if attr in _TUPLE_FIELDS else value
        return cls(**kwargs)

    @classmethod
    def from_stored(cls, data: Dict[str, Any]) -> "Concept":
        """Create a concept from a dict written by to_dict (every key present). Four times
        faster than from_dict, which matters when a pipeline with a large KB loads.

        data (Dict[str, Any]): A dict from to_dict.
        RETURNS (Concept): The record.
        """
        return cls(
            data["id"],
            data["name"],
            tuple(data["synonyms"]),
            data["definition"],
            tuple(data["tree_numbers"]),
            tuple(data["parent_ids"]),
            tuple(data["alt_ids"]),
            tuple(data["categories"]),
        )

import pytest

from spacy_medlink.kb.ids import normalize_concept_id
from spacy_medlink.kb.records import Concept


def test_concept_round_trip_through_dict():
    concept = Concept(
        concept_id="MESH:D003924",
        name="Diabetes Mellitus, Type 2",
        synonyms=("NIDDM", "Type 2 diabetes"),
        definition="Diabetes with insulin resistance.",
        tree_numbers=("C18.452.394.750.149",),
        parent_ids=("MESH:D003920",),
        alt_ids=("DO:DOID:9352",),
        categories=("Metabolic disease",),
    )
    data = concept.to_dict()
    assert data["id"] == "MESH:D003924"
    assert data["synonyms"] == ["NIDDM", "Type 2 diabetes"]
    assert set(data) == {
        "id", "name", "synonyms", "definition", "tree_numbers", "parent_ids", "alt_ids", "categories"
    }
    assert Concept.from_dict(data) == concept


def test_concept_from_minimal_dict_has_empty_defaults():
    concept = Concept.from_dict({"id": "OMIM:266600", "name": "IBD1"})
    assert concept.synonyms == () and concept.definition == "" and concept.alt_ids == ()


def test_concept_is_frozen_and_hashable():
    concept = Concept("MESH:D006261", "Headache")
    with pytest.raises(AttributeError):
        concept.name = "Pain"  # type: ignore[misc]
    assert len({concept, Concept("MESH:D006261", "Headache")}) == 1


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("D012878", "MESH:D012878"),
        ("C537666", "MESH:C537666"),
        (" D008661", "MESH:D008661"),
        ("d012878", "MESH:D012878"),
        ("MESH:D012878", "MESH:D012878"),
        ("mesh:D012878", "MESH:D012878"),
        ("MeSH:d012878 ", "MESH:D012878"),
        ("OMIM:123", "OMIM:123"),
        ("OMIM:222100", "OMIM:222100"),
        ("DO:DOID:9352", "DO:DOID:9352"),
        ("", ""),
    ],
)
def test_normalize_concept_id(raw, expected):
    assert normalize_concept_id(raw) == expected
    assert normalize_concept_id(normalize_concept_id(raw)) == expected

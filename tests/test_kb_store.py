from pathlib import Path

import pytest

from spacy_medlink.kb.readers import read_medic
from spacy_medlink.kb.records import Concept
from spacy_medlink.kb.store import ConceptStore

TINY_MEDIC = Path(__file__).parent / "data" / "tiny_medic.tsv"


@pytest.fixture
def store():
    return ConceptStore.from_concepts(read_medic(TINY_MEDIC))


def test_store_lookup(store):
    assert len(store) == 10
    assert "MESH:D003920" in store and "D003920" not in store
    assert store["MESH:D006261"].name == "Headache"
    assert store.get("MESH:D000000") is None
    assert store.get("MESH:D000000", "x") == "x"
    assert store.ids()[:2] == ["MESH:D003920", "MESH:D003922"]


@pytest.mark.parametrize(
    "any_id,expected",
    [
        ("MESH:D003922", "MESH:D003922"),
        ("D003922", "MESH:D003922"),  # bare MeSH id, as in the NCBI corpus
        ("OMIM:222100", "MESH:D003922"),  # alt id
        ("OMIM:208900", "MESH:D001260"),
        ("DO:DOID:9352", "MESH:D003924"),
        ("OMIM:266600", "OMIM:266600"),  # OMIM primary id
        ("OMIM:999999", None),
        ("D999999", None),
    ],
)
def test_resolve(store, any_id, expected):
    assert store.resolve(any_id) == expected


def test_category_and_depth(store):
    assert store.category_of("MESH:D006261") == "sign_or_symptom"  # has a C23.888 tree number
    assert store.category_of("MESH:D003920") == "disease"
    assert store.category_of("OMIM:266600") == "other"  # no tree numbers
    assert store.depth_of("MESH:D003920") == 2  # min over C18.452.394.750 and C19.246
    assert store.depth_of("MESH:D003924") == 3
    assert store.depth_of("OMIM:266600") == 0
    store.add(Concept("MESH:C538288", "10p Deletion", tree_numbers=("C16.131.260/C538288",)))
    assert store.depth_of("MESH:C538288") == 4


def test_alt_id_claimed_twice_keeps_first_and_warns_once():
    concepts = [
        Concept("MESH:D1", "a", alt_ids=("DO:1", "DO:2")),
        Concept("MESH:D2", "b", alt_ids=("DO:1",)),
        Concept("MESH:D3", "c", alt_ids=("DO:1", "DO:2")),
    ]
    with pytest.warns(UserWarning, match=r"MLW002\] 3 alt id claims") as record:
        store = ConceptStore.from_concepts(concepts, source="test.tsv")
    assert len(record) == 1
    assert store.resolve("DO:1") == "MESH:D1"
    assert store.resolve("DO:2") == "MESH:D1"
    assert len(store.alt_id_conflicts) == 3


def test_primary_id_wins_over_alt_id():
    store = ConceptStore.from_concepts(
        [Concept("MESH:D1", "a", alt_ids=("OMIM:1",)), Concept("OMIM:1", "b")]
    )
    assert store.resolve("OMIM:1") == "OMIM:1"


def test_duplicate_add_raises(store):
    with pytest.raises(ValueError, match=r"MLE016.*MESH:D003920"):
        store.add(Concept("MESH:D003920", "again"))


def test_bytes_and_disk_round_trip(store, tmp_path):
    store.add_alias_count("breast cancer", "MESH:D001943", 2)
    store.add_alias_count("breast cancer", "MESH:D061325")
    store.add_alias_count("breast cancer", "MESH:D001943")
    restored = ConceptStore().from_bytes(store.to_bytes())
    assert list(restored) == list(store)
    assert restored.alias_counts == {"breast cancer": {"MESH:D001943": 3, "MESH:D061325": 1}}
    assert restored.alt_ids == store.alt_ids
    store.to_disk(tmp_path / "concepts.msgpack")
    from_disk = ConceptStore().from_disk(tmp_path / "concepts.msgpack")
    assert list(from_disk) == list(store)
    assert from_disk.resolve("OMIM:222100") == "MESH:D003922"


def test_from_disk_bad_data(tmp_path):
    path = tmp_path / "concepts.msgpack"
    path.write_bytes(b"\x93not a store")
    with pytest.raises(ValueError, match=r"MLE017"):
        ConceptStore().from_disk(path)


@pytest.mark.parametrize("tree_numbers,depth", [
    (["C16.131.260/C538288"], 4),  # a supplementary concept one level below its descriptor
    (["C18.452.394.750", "C19.246"], 2),
    (["C04"], 1),
    ([], 0),
])
def test_depth_counts_dot_and_slash_separated_parts(tree_numbers, depth):
    from spacy_medlink.kb.store import depth_from_tree_numbers

    assert depth_from_tree_numbers(tree_numbers) == depth

import pytest

from spacy_medlink.evaluation.metrics import (
    PRF,
    candidate_recall,
    document_concept_prf,
    mention_linking_prf,
    ner_prf,
    ner_recall_by_type,
    norm_at_gold,
    resolve_ids,
)

BREAST = "MESH:D001943"
OVARY = "MESH:D010051"
CF = "MESH:D003550"
# A tiny id resolver as ConceptStore.resolve would behave: primary ids and one OMIM alt id.
_PRIMARY = {BREAST, OVARY, CF}
_ALT = {"OMIM:219700": CF}


def resolve(concept_id):
    return concept_id if concept_id in _PRIMARY else _ALT.get(concept_id)


GOLD = [
    ("d1", 0, 13, frozenset({BREAST})),
    ("d1", 20, 45, frozenset({BREAST, OVARY})),  # composite
    ("d2", 5, 20, frozenset({CF})),
]


def _spans(gold):
    return {(d, s, e) for d, s, e, _ in gold}


def _links(gold):
    return {(d, s, e, c) for d, s, e, concepts in gold for c in concepts}


def _doc_concepts(gold):
    return {(d, c) for d, _, _, concepts in gold for c in concepts}


def test_perfect_prediction_scores_100_everywhere():
    for prf in (
        ner_prf(_spans(GOLD), _spans(GOLD)),
        mention_linking_prf(_links(GOLD), _links(GOLD)),
        document_concept_prf(_doc_concepts(GOLD), _doc_concepts(GOLD)),
    ):
        assert (prf.precision, prf.recall, prf.fscore) == (100.0, 100.0, 100.0)
        assert prf.fp == prf.fn == 0
    ranked = {(d, s, e): sorted(c) for d, s, e, c in GOLD}
    scores = norm_at_gold(GOLD, ranked)
    assert scores["acc@1"] == scores["acc@5"] == 100.0
    assert candidate_recall(GOLD, ranked)["recall@50"] == 100.0


def test_shifted_span_misses_ner_but_concept_counts_at_document_level():
    gold = [("d1", 0, 13, frozenset({BREAST}))]
    pred_span = ("d1", 0, 12)  # one character short
    ner = ner_prf(_spans(gold), {pred_span})
    assert (ner.tp, ner.fp, ner.fn) == (0, 1, 1)
    assert ner.fscore == 0.0
    linking = mention_linking_prf(_links(gold), {(*pred_span, BREAST)})
    assert linking.tp == 0 and linking.fscore == 0.0
    documents = document_concept_prf(_doc_concepts(gold), {("d1", BREAST)})
    assert documents.tp == 1 and documents.fscore == 100.0


def test_document_concepts_are_per_document():
    gold = {("d1", BREAST)}
    prf = document_concept_prf(gold, {("d2", BREAST)})
    assert (prf.tp, prf.fp, prf.fn) == (0, 1, 1)


def test_composite_mention_counts_each_id():
    composite = [("d1", 20, 45, frozenset({BREAST, OVARY}))]
    prf = mention_linking_prf(_links(composite), {("d1", 20, 45, BREAST)})
    assert (prf.tp, prf.fp, prf.fn) == (1, 0, 1)
    assert prf.precision == 100.0 and prf.recall == 50.0
    assert prf.fscore == pytest.approx(200 / 3)


def test_resolve_ids_alt_id_prefix_and_unknown():
    concepts, unresolved = resolve_ids(["OMIM:219700", "D001943", " ", "OMIM:999999"], resolve)
    assert concepts == frozenset({CF, BREAST, "OMIM:999999"})
    assert unresolved == ("OMIM:999999",)
    # An alt id and its primary id are one concept, not a composite.
    concepts, unresolved = resolve_ids(["OMIM:219700", "D003550"], resolve)
    assert concepts == frozenset({CF}) and unresolved == ()
    # Without a resolver ids are only prefix-normalized.
    assert resolve_ids(["d001943"])[0] == frozenset({BREAST})


def test_acc_at_k_on_a_tiny_ranking():
    gold = [
        ("d", 0, 5, frozenset({"A"})),
        ("d", 10, 15, frozenset({"B"})),
        ("d", 20, 25, frozenset({"C"})),
        ("d", 30, 35, frozenset({"D"})),  # no ranking: wrong
        ("d", 40, 45, frozenset({"A", "B"})),  # composite: excluded
    ]
    ranked = {
        ("d", 0, 5): ["A", "X"],
        ("d", 10, 15): ["X", "Y", "B"],
        ("d", 20, 25): ["X", "Y", "Z", "W", "V", "C"],
        ("d", 40, 45): ["A"],
    }
    scores = norm_at_gold(gold, ranked)
    assert scores["n"] == 4
    assert scores["n_excluded_multi_concept"] == 1
    assert scores["n_without_ranking"] == 1
    assert scores["acc@1"] == 25.0
    assert scores["acc@5"] == 50.0
    recall = candidate_recall(gold, ranked, ks=(1, 5, 10))
    assert (recall["recall@1"], recall["recall@5"], recall["recall@10"]) == (25.0, 50.0, 75.0)
    assert recall["n_correct@10"] == 3


def test_ner_recall_by_type():
    gold = [("d", 0, 5, "SpecificDisease"), ("d", 6, 9, "SpecificDisease"), ("d", 10, 15, "Modifier")]
    by_type = ner_recall_by_type(gold, {("d", 0, 5), ("d", 10, 15), ("d", 20, 25)})
    assert list(by_type) == ["Modifier", "SpecificDisease"]
    assert by_type["SpecificDisease"].recall == 50.0
    assert by_type["SpecificDisease"].to_dict()["n"] == 2
    assert by_type["Modifier"].recall == 100.0


def test_undefined_ratios_are_zero():
    prf = PRF(tp=0, fp=0, fn=0)
    assert prf.to_dict() == {"p": 0.0, "r": 0.0, "f": 0.0, "tp": 0, "fp": 0, "fn": 0}
    assert norm_at_gold([], {})["acc@1"] == 0.0

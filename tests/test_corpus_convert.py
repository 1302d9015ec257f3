from pathlib import Path

import pytest
from spacy.tokens import DocBin

from spacy_medlink.training.convert import (
    DOC_ID_KEY,
    GOLD_MENTIONS_KEY,
    blank_pipeline,
    convert_pubtator,
    get_gold_mentions,
    join_kb_ids,
    pubtator_to_docs,
)
from spacy_medlink.training.pubtator import parse_pubtator_lines, read_pubtator

TINY = Path(__file__).parent / "data" / "tiny.pubtator.txt"


@pytest.fixture(scope="module")
def nlp():
    return blank_pipeline("en")


@pytest.fixture(scope="module")
def tiny(nlp):
    return pubtator_to_docs(read_pubtator(TINY), nlp)


def test_gold_entities_labels_and_joined_kb_ids(tiny):
    docs, report = tiny
    assert report.n_documents == 2
    assert report.n_mentions == report.n_converted == 8
    assert report.accounted == report.n_mentions
    first = docs[0]
    assert [ent.label_ for ent in first.ents] == ["DISEASE"] * 3
    assert [ent.kb_id_ for ent in first.ents] == [
        "MESH:D001943|MESH:D010051",
        "MESH:D001943|MESH:D010051",
        "MESH:D040181|MESH:D009136",
    ]
    second = docs[1]
    assert [(ent.text, ent.kb_id_) for ent in second.ents][:2] == [
        ("Cystic fibrosis", "OMIM:219700"),
        ("CF", "MESH:D003550"),
    ]
    assert "febrile seizures" in [ent.text for ent in second.ents]


def test_join_kb_ids_normalizes_in_corpus_order():
    assert join_kb_ids(["D010051", "OMIM:219700", "C537666"]) == (
        "MESH:D010051|OMIM:219700|MESH:C537666"
    )


def test_user_data_and_sentences(tiny):
    docs, _ = tiny
    doc = docs[1]
    assert doc.user_data[DOC_ID_KEY] == "222"
    mentions = doc.user_data[GOLD_MENTIONS_KEY]
    assert len(mentions) == 5
    assert mentions[0] == {
        "start": 0, "end": 15, "text": "Cystic fibrosis", "type": "SpecificDisease",
        "ids": ["OMIM:219700"], "aligned": True,
    }
    assert doc.has_annotation("SENT_START")
    assert len(list(doc.sents)) == 2


def _one_doc(mentions):
    text_lines = ["7|t|Diabetes and gout", "7|a|Diabetes mellitus was common."]
    return list(parse_pubtator_lines(text_lines + mentions))


def test_misaligned_mention_is_counted_reported_and_kept(nlp):
    documents = _one_doc([
        "7\t0\t8\tDiabetes\tSpecificDisease\tD003920",
        "7\t13\t16\tgou\tSpecificDisease\tD006073",  # ends inside a token
    ])
    with pytest.warns(UserWarning, match=r"\[MLW100\] 1 of 2 gold mentions in src"):
        docs, report = pubtator_to_docs(documents, nlp, source="src")
    assert (report.n_converted, report.n_misaligned, report.n_overlapping) == (1, 1, 0)
    assert report.accounted == report.n_mentions == 2
    assert report.misaligned_by_doc == {"7": [(13, 16, "gou")]}
    records = docs[0].user_data[GOLD_MENTIONS_KEY]
    assert [record["aligned"] for record in records] == [True, False]
    assert [ent.text for ent in docs[0].ents] == ["Diabetes"]


def test_overlapping_mentions_keep_the_longest(nlp):
    documents = _one_doc([
        "7\t18\t26\tDiabetes\tModifier\tD003920",
        "7\t18\t35\tDiabetes mellitus\tSpecificDisease\tD003920",
        "7\t18\t35\tDiabetes mellitus\tSpecificDisease\tD003920",  # exact duplicate
    ])
    with pytest.warns(UserWarning, match=r"\[MLW100\]"):
        docs, report = pubtator_to_docs(documents, nlp)
    assert (report.n_converted, report.n_misaligned, report.n_overlapping) == (1, 0, 2)
    assert report.accounted == 3
    assert [ent.text for ent in docs[0].ents] == ["Diabetes mellitus"]
    assert all(record["aligned"] for record in docs[0].user_data[GOLD_MENTIONS_KEY])


def test_docbin_round_trip_keeps_user_data(tmp_path, nlp):
    output = tmp_path / "sub" / "tiny.spacy"
    report = convert_pubtator(TINY, output)
    assert report.n_converted == 8
    docs = list(DocBin().from_disk(output).get_docs(nlp.vocab))
    assert [doc.user_data[DOC_ID_KEY] for doc in docs] == ["111", "222"]
    expected, _ = pubtator_to_docs(read_pubtator(TINY), nlp)
    for doc, reference in zip(docs, expected):
        assert get_gold_mentions(doc) == reference.user_data[GOLD_MENTIONS_KEY]
        assert [(e.start_char, e.end_char, e.kb_id_) for e in doc.ents] == [
            (e.start_char, e.end_char, e.kb_id_) for e in reference.ents
        ]
        assert [s.start for s in doc.sents] == [s.start for s in reference.sents]

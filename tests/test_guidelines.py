"""Guideline differences between corpora: unannotated categories become missing."""
from pathlib import Path

import spacy

from spacy_medlink.kb.alias_matcher import AliasMatcher
from spacy_medlink.kb.readers import read_vocabulary
from spacy_medlink.training.convert import convert_pubtator
from spacy_medlink.training.guidelines import mark_unannotated_missing

import pytest
from spacy.tokens import DocBin

TINY_VOCAB = Path(__file__).parent / "data" / "tiny_vocab.jsonl"


def _doc(text, ents):
    doc = spacy.blank("en")(text)
    doc.ents = [doc.char_span(text.index(e), text.index(e) + len(e), label="DISEASE") for e in ents]
    return doc


def test_untouched_symptom_matches_become_missing_and_gold_stays():
    matcher = AliasMatcher.from_concepts(read_vocabulary(TINY_VOCAB))
    doc = _doc("Headache and diabetes; a second headache.", ["diabetes", "second headache"])
    assert mark_unannotated_missing([doc], matcher, ["SYMPTOM"]) == 1
    assert [t.ent_iob_ for t in doc[:3]] == ["", "O", "B"]  # the first headache is unknown now
    assert [e.text for e in doc.ents] == ["diabetes", "second headache"]
    # a category the corpus does annotate is left alone
    doc = _doc("Headache and diabetes.", [])
    assert mark_unannotated_missing([doc], matcher, ["SYMPTOM"]) == 1
    assert doc[2].ent_iob_ == "O"


def test_convert_marks_unannotated_categories_and_needs_the_vocabulary(tmp_path):
    source = tmp_path / "c.pubtator.txt"
    source.write_text("1|t|Headache in diabetes\n1|a|Diabetes was treated.\n1\t12\t20\tdiabetes\tSpecificDisease\tD003920\n\n")
    report = convert_pubtator(source, tmp_path / "c.spacy", unannotated=["SYMPTOM"], vocabulary=TINY_VOCAB)
    assert report.n_unannotated_missing == 1
    doc = next(DocBin().from_disk(tmp_path / "c.spacy").get_docs(spacy.blank("en").vocab))
    assert doc[0].ent_iob_ == "" and [e.text for e in doc.ents] == ["diabetes"]
    with pytest.raises(ValueError, match="MLE116"):
        convert_pubtator(source, tmp_path / "d.spacy", unannotated=["SYMPTOM"])

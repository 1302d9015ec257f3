"""Guideline differences between corpora: unannotated categories become missing, or each
corpus is a guideline tag the NER learns apart."""
from pathlib import Path

import spacy

from spacy_medlink.kb.alias_matcher import AliasMatcher
from spacy_medlink.kb.readers import read_vocabulary
from spacy_medlink.ml.guideline import get_guideline, set_guideline
from spacy_medlink.training.convert import convert_pubtator
from spacy_medlink.training.guidelines import mark_unannotated_missing

import pytest
from spacy.tokens import DocBin

from corpus_folders import write_corpus_folder

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
    with pytest.raises(ValueError, match=r"MLE023.*--unannotated label\(s\) \['SYMPTOMS'\]"):
        convert_pubtator(source, tmp_path / "e.spacy", unannotated=["SYMPTOMS"], vocabulary=TINY_VOCAB)


# --- guideline-tagged training (doc._.medlink_guideline) ---------------------------------

CNN_CONFIG = Path(__file__).parent.parent / "configs" / "ner_cnn.cfg"
# Corpus "symptoms" annotates the symptom, corpus "diseases" leaves it out: the same texts.
_TEXTS = ["Headache and diabetes were seen.", "The boy had headache with diabetes."]


def _tagged_corpus(folder: Path) -> Path:
    return write_corpus_folder(folder, {
        "symptoms": [(text, ["headache", "diabetes"]) for text in _TEXTS],
        "diseases": [(text, ["diabetes"]) for text in _TEXTS],
    })


def test_reader_tags_each_document_with_its_files_stem(tmp_path):
    from spacy_medlink.training.readers import PubtatorCorpus

    nlp = spacy.blank("en")
    corpus = _tagged_corpus(tmp_path)
    tags = [get_guideline(eg.predicted) for eg in PubtatorCorpus(corpus, guideline="file")(nlp)]
    assert tags == ["diseases", "diseases", "symptoms", "symptoms"]  # files in sorted order
    assert {get_guideline(eg.x) for eg in PubtatorCorpus(corpus, guideline="ncbi")(nlp)} == {"ncbi"}
    assert {get_guideline(eg.x) for eg in PubtatorCorpus(corpus)(nlp)} == {None}


def test_guideline_component_sets_a_default_and_keeps_a_set_one():
    nlp = spacy.blank("en")
    nlp.add_pipe("medlink_guideline", config={"guideline": "biored"})
    assert get_guideline(nlp("fever")) == "biored"
    doc = nlp.make_doc("fever")
    set_guideline(doc, "ncbi_disease")
    assert get_guideline(nlp(doc)) == "ncbi_disease"


def test_tagged_ner_learns_each_corpus_guideline_and_refuses_an_unknown_one(tmp_path):
    from spacy.training.initialize import init_nlp
    from thinc.api import Adam
    from spacy.util import load_config, load_model_from_config, resolve_dot_names

    corpus = _tagged_corpus(tmp_path)
    config = load_config(CNN_CONFIG, interpolate=False, overrides={
        "paths.train": str(corpus), "paths.dev": str(corpus), "paths.vocabulary": str(TINY_VOCAB),
        "components.tok2vec.model.embed.guidelines": ["diseases", "symptoms"],
        "corpora.train.guideline": "file", "system.seed": 0,
    })
    nlp = init_nlp(config)
    (reader,) = resolve_dot_names(nlp.config.interpolate(), ["corpora.train"])
    examples = list(reader(nlp))
    optimizer = Adam(0.001)  # the config's schedule starts at 0 and only spacy train steps it
    for _ in range(200):
        nlp.update(examples, sgd=optimizer, annotates=["medlink_kb_mentions"])
    found = {}
    for guideline in ("diseases", "symptoms"):
        nlp.get_pipe("medlink_guideline").guideline = guideline
        found[guideline] = {e.text.lower() for doc in nlp.pipe(_TEXTS) for e in doc.ents}
    assert found == {"diseases": {"diabetes"}, "symptoms": {"headache", "diabetes"}}
    # saved and loaded in a fresh pipeline, the guideline is still chosen at load time
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model", config={"components": {"medlink_guideline": {"guideline": "symptoms"}}})
    assert {e.text.lower() for e in loaded(_TEXTS[0]).ents} == {"headache", "diabetes"}
    from spacy_medlink.cli.evaluate import load_with_guideline

    # evaluate --guideline on an NER that reads the guideline: no MLW300 (warnings fail tests)
    chosen = load_with_guideline(str(tmp_path / "model"), "symptoms")
    assert {e.text.lower() for e in chosen(_TEXTS[0]).ents} == {"headache", "diabetes"}
    nlp.get_pipe("medlink_guideline").guideline = "bc5cdr"
    with pytest.raises(ValueError, match="MLE275"):
        nlp(_TEXTS[0])
    assert load_model_from_config(config, auto_fill=True)  # the config itself stays valid


def test_evaluate_loads_a_pipeline_with_the_chosen_guideline(tmp_path):
    from spacy_medlink.cli.evaluate import load_with_guideline

    nlp = spacy.blank("en")
    nlp.to_disk(tmp_path / "plain")
    nlp.add_pipe("medlink_guideline")
    nlp.to_disk(tmp_path / "tagged")
    with pytest.warns(UserWarning, match=r"MLW300.*'biored' changes nothing"):
        tagged = load_with_guideline(str(tmp_path / "tagged"), "biored")  # no NER reads it
    assert get_guideline(tagged("fever")) == "biored"
    with pytest.raises(ValueError, match="MLE301"):
        load_with_guideline(str(tmp_path / "plain"), "biored")

"""Weak labelling: sources, uncertain (missing) spans, silver training docs, unlabeled reader."""
import gzip
import json
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin

from spacy_medlink.training.unlabeled import read_unlabeled_texts
from spacy_medlink.training.weak_labels import (
    ABBREVIATION, KB, MODEL, MODEL_AND_KB, label_sources, mark_off_guideline,
    mark_untaught_sources, SilverRules, select_silver, source_counts, source_precision,
    to_training_doc, weak_label,
)

TINY_VOCAB = Path(__file__).parent / "data" / "tiny_vocab.jsonl"


@pytest.fixture(scope="module")
def teacher():
    """KB matches, abbreviations and an entity_ruler standing in for a trained NER."""
    nlp = spacy.blank("en")
    nlp.add_pipe("medlink_kb_mentions").initialize(vocabulary=TINY_VOCAB)
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([
        {"label": "DISEASE", "pattern": [{"LOWER": "severe"}, {"LOWER": "headache"}]},
        {"label": "DISEASE", "pattern": "Voss fever"},
        {"label": "DISEASE", "pattern": "VF"},
    ])
    nlp.add_pipe("medlink_abbreviations")
    return nlp


def test_each_entity_gets_one_source(teacher):
    doc = teacher("Severe headache, Voss fever (VF) and diabetes; VF again.")
    item = label_sources(doc)
    sources = {span.text: source for span, source in item.entities}
    assert sources == {
        "Severe headache": MODEL_AND_KB,   # the teacher's boundary, not the KB's "headache"
        "Voss fever": MODEL,
        "VF": ABBREVIATION,
        "diabetes": KB,                     # the KB alone
    }


def test_keys_the_teacher_rejects_become_missing_not_outside(teacher):
    texts = ["Diabetes was studied.", "diabetes again", "and diabetes", "Severe headache."]
    silver, agreement = weak_label(teacher, texts, rules=SilverRules(min_agreement=0.5, min_count=3), progress=False)
    assert agreement["diabetes"] == (0, 3)
    assert [s.text for s in silver[0].missing] == ["Diabetes"] and not silver[0].entities
    doc = to_training_doc(silver[0], teacher)
    # missing tokens read back as missing (ENT_IOB 0) through a DocBin
    loaded = list(DocBin(attrs=["ENT_IOB", "ENT_TYPE"]).from_bytes(
        _bin(doc)).get_docs(teacher.vocab))[0]
    assert [t.ent_iob_ for t in loaded] == ["", "O", "O", "O"]
    counts = source_counts(silver)
    assert counts["missing"] == 3 and counts[MODEL_AND_KB] == 1


def _bin(doc):
    doc_bin = DocBin(attrs=["ENT_IOB", "ENT_TYPE"])
    doc_bin.add(doc)
    return doc_bin.to_bytes()


def test_too_rare_keys_stay_entities(teacher):
    silver, _ = weak_label(teacher, ["Diabetes was studied."], rules=SilverRules(min_agreement=0.5, min_count=3), progress=False)
    assert [(s.text, src) for s, src in silver[0].entities] == [("Diabetes", KB)]


def test_kb_only_matches_outside_the_guideline_become_missing(teacher):
    text = "Headache and diabetes."
    silver, _ = weak_label(teacher, [text], rules=SilverRules(kb_labels=("DISEASE",)), progress=False)
    assert [(s.text, src) for s, src in silver[0].entities] == [("diabetes", KB)]
    assert [(s.text, s.label_) for s in silver[0].missing] == [("Headache", "SYMPTOM")]
    # without the filter the symptom is taught as an entity
    silver, _ = weak_label(teacher, [text], progress=False)
    assert sorted(s.text for s, _ in silver[0].entities) == ["Headache", "diabetes"]


def test_guideline_filter_keeps_teacher_entities(teacher):
    # the teacher's own entities stay, whatever the KB category under them
    item = label_sources(teacher("Severe headache and diabetes."))
    mark_off_guideline([item], ["DISEASE"])
    assert [(s.text, src) for s, src in item.entities] == [("Severe headache", MODEL_AND_KB), ("diabetes", KB)]
    assert not item.missing


def test_untaught_sources_become_missing(teacher):
    silver, _ = weak_label(
        teacher, ["Voss fever (VF) and diabetes."], rules=SilverRules(entity_sources=(MODEL_AND_KB, ABBREVIATION, KB)),
        progress=False,
    )
    assert sorted(s.text for s, _ in silver[0].entities) == ["VF", "diabetes"]
    assert [s.text for s in silver[0].missing] == ["Voss fever"]   # the teacher alone
    item = label_sources(teacher("Voss fever and diabetes."))
    mark_untaught_sources([item], [])
    assert not item.entities and sorted(s.text for s in item.missing) == ["Voss fever", "diabetes"]


def test_unknown_source_is_a_coded_error():
    with pytest.raises(ValueError, match="MLE122"):
        SilverRules(entity_sources=("model", "gazetteer"))


@pytest.mark.parametrize("rules, message", [
    ({"kb_labels": ("DISEASE", "Symptom")}, r"MLE023.*--kb-labels label\(s\) \['Symptom'\]"),
    ({"min_agreement": 2.0}, r"MLE136.*--min-agreement 2.0"), ({"min_agreement": -0.1}, r"MLE136.*--min-agreement"),
    ({"min_count": 0}, r"MLE136.*--min-count 0"), ({"negative_ratio": -2.0}, r"MLE136.*--negative-ratio -2.0"),
])
def test_out_of_range_rules_and_unknown_labels_are_coded_errors(rules, message):
    with pytest.raises(ValueError, match=message):
        SilverRules(**rules)
    SilverRules(negative_ratio=-1, min_agreement=0.0, min_count=1)  # the documented extremes


def test_source_precision_against_gold(teacher):
    gold = spacy.blank("en")("Voss fever and diabetes")
    gold.ents = [gold.char_span(0, 10, label="DISEASE")]
    item = label_sources(teacher(gold.text))
    result = source_precision([item], [gold])
    assert result[MODEL]["precision"] == 100.0 and result[KB]["precision"] == 0.0
    assert result["all"]["recall"] == 100.0


def test_unlabeled_reader_counts_and_names_every_skipped_line(tmp_path):
    path = tmp_path / "pool.jsonl.gz"
    lines = [json.dumps({"text": "One."}), "{not json", json.dumps({"meta": {}}), json.dumps({"text": "Two."})]
    with gzip.open(path, "wt", encoding="utf8") as file_:
        file_.write("\n".join(lines) + "\n")
    with pytest.warns(UserWarning, match="MLW110"):
        texts, report = read_unlabeled_texts(path)
    assert texts == ["One.", "Two."]
    assert (report.n_lines, report.n_read, report.n_skipped) == (4, 2, 2)
    assert report.skipped_examples[0].startswith("line 2: invalid JSON")


def test_unlabeled_reader_errors(tmp_path):
    with pytest.raises(ValueError, match="MLE113"):
        read_unlabeled_texts(tmp_path / "missing.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(ValueError, match="MLE115"):
        read_unlabeled_texts(empty)
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(gzip.compress(b'{"text": "a"}\n' * 50)[:-10])
    with pytest.raises(ValueError, match="MLE114"):
        read_unlabeled_texts(broken)


def test_head_keeps_the_texts_after_it_unseen_and_counts_them(tmp_path):
    path = tmp_path / "pool.jsonl"
    path.write_text("".join(json.dumps({"text": f"Text {i}."}) + "\n" for i in range(20)))
    texts, report = read_unlabeled_texts(path, limit=5, seed=1, head=10)
    assert len(texts) == 5 and all(int(t.split()[1].rstrip(".")) < 10 for t in texts)
    assert report.n_after_head == 10 and report.n_read == 5
    every, _ = read_unlabeled_texts(path, head=10)
    assert every == [f"Text {i}." for i in range(10)]


def test_head_counts_texts_and_leaves_the_tail_unread(tmp_path):
    path = tmp_path / "pool.jsonl"
    lines = ["{broken", json.dumps({"text": "One."}), json.dumps({"text": "Two."}),
             '{"text": "bad \\ud800 in the tail"}', json.dumps({"text": "Three."})]
    path.write_text("\n".join(lines) + "\n", encoding="utf8")
    with pytest.warns(UserWarning, match="MLW110"):
        texts, report = read_unlabeled_texts(path, head=2)
    # The skipped line does not count towards the head; the tail (a lone surrogate, skipped
    # if it were read) is counted, not read.
    assert texts == ["One.", "Two."]
    assert (report.n_lines, report.n_skipped, report.n_after_head) == (5, 1, 2)
    with pytest.warns(UserWarning, match="MLW110"):
        texts, report = read_unlabeled_texts(path, head=3)
    assert texts == ["One.", "Two.", "Three."] and report.n_skipped == 2


@pytest.mark.parametrize("head,limit", [(-1, 0), (0, -5)])
def test_negative_head_or_limit_is_a_coded_error(tmp_path, head, limit):
    path = tmp_path / "pool.jsonl"
    path.write_text(json.dumps({"text": "One."}) + "\n")
    with pytest.raises(ValueError, match="MLE123"):
        read_unlabeled_texts(path, head=head, limit=limit)


def test_sample_is_reproducible(tmp_path):
    path = tmp_path / "pool.jsonl"
    path.write_text("".join(json.dumps({"text": f"Text {i}."}) + "\n" for i in range(20)))
    first, _ = read_unlabeled_texts(path, limit=5, seed=1)
    again, _ = read_unlabeled_texts(path, limit=5, seed=1)
    assert first == again and len(first) == 5


def test_select_silver_keeps_labelled_texts_and_a_share_of_the_rest(teacher):
    texts = ["Voss fever.", "Nothing here.", "Nor here.", "Still nothing.", "Diabetes."]
    silver, _ = weak_label(teacher, texts, progress=False)
    kept = select_silver(silver, negative_ratio=0.5, seed=0)
    assert [item.doc.text for item in kept if item.entities] == ["Voss fever.", "Diabetes."]
    assert len(kept) == 3  # one of the three texts without entities
    assert len(select_silver(silver, negative_ratio=-1)) == 5


def test_unlabeled_reader_skips_and_names_the_line_of_undecodable_bytes(tmp_path):
    # issue 13: text-mode decoding reported the line of the chunk, not of the bad bytes. One
    # bad line no longer stops a labelling run: skipped and named, as annotate does.
    path = tmp_path / "pool.jsonl"
    good = b"".join(json.dumps({"text": f"Text {i}."}).encode() + b"\n" for i in range(3))
    path.write_bytes(good + b'{"text": "bad \xed\xa0\x80"}\n')
    with pytest.warns(UserWarning, match=r"MLW110.*line 4: not UTF-8"):
        texts, report = read_unlabeled_texts(path)
    assert len(texts) == 3 and report.n_skipped == 1


def test_unlabeled_reader_skips_lone_surrogates(tmp_path):
    path = tmp_path / "pool.jsonl"
    path.write_text('{"text": "One."}\n{"text": "Two \\ud800."}\n', encoding="utf8")
    with pytest.warns(UserWarning, match=r"MLW110.*line 2: a lone surrogate \\ud800"):
        texts, _ = read_unlabeled_texts(path)
    assert texts == ["One."]


@pytest.mark.parametrize("damage", ["not_gzip", "corrupt"])
def test_unlabeled_reader_gzip_errors_are_coded(tmp_path, damage):
    data = b"".join(json.dumps({"text": f"Text {i}."}).encode() + b"\n" for i in range(300))
    compressed = gzip.compress(data)
    content = data if damage == "not_gzip" else compressed[:20] + bytes(b ^ 0xFF for b in compressed[20:60]) + compressed[60:]
    path = tmp_path / "pool.jsonl.gz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"^\[MLE114\]") as err:
        read_unlabeled_texts(path)
    assert str(path) in str(err.value) and "line 1" in str(err.value)


def test_gold_copies_weigh_the_gold_docs_up(tmp_path):
    from spacy_medlink.training.self_training import copy_gold

    gold = tmp_path / "train.spacy"
    doc_bin = DocBin()
    doc_bin.add(spacy.blank("en")("Voss fever."))
    doc_bin.to_disk(gold)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    written = copy_gold(gold, corpus, repeat=3)
    assert len(written) == 3 and sorted(p.name for p in corpus.iterdir()) == [
        "gold.spacy", "gold_copy1.spacy", "gold_copy2.spacy"]
    assert all(p.read_bytes() == gold.read_bytes() for p in written)
    with pytest.raises(ValueError, match="MLE121"):
        copy_gold(gold, corpus, repeat=0)


def test_open_left_kb_matches_become_missing_with_the_word_before(teacher):
    silver, _ = weak_label(teacher, ["Male diabetes and chronic diabetes, or diabetes."], rules=SilverRules(kb_open_left=True, min_count=10), progress=False)
    item = silver[0]
    assert [(s.start, s.end) for s, _ in item.entities] == [(7, 8)]   # "or diabetes": closed
    assert sorted((s.text) for s in item.missing) == ["Male diabetes", "chronic diabetes"]


def test_overlapping_missing_spans_and_entities_make_a_valid_training_doc(teacher):
    item = label_sources(teacher("Voss fever and diabetes"))
    doc = item.doc
    item.missing = [doc[1:3], doc[2:4]]          # overlap each other and the entity "Voss fever"
    training = to_training_doc(item, teacher)
    assert [t.ent_iob_ for t in training] == ["B", "I", "", "B"]   # the entities stand


def test_unlabeled_reader_reads_the_texts_of_a_docbin_and_counts_empty_docs(tmp_path):
    nlp = spacy.blank("en")
    path = tmp_path / "corpus.spacy"
    DocBin(docs=[nlp("Voss fever."), nlp(""), nlp("Diabetes.")]).to_disk(path)
    with pytest.warns(UserWarning, match="MLW110"):
        texts, report = read_unlabeled_texts(path)
    assert texts == ["Voss fever.", "Diabetes."]
    assert (report.n_lines, report.n_read, report.n_skipped) == (3, 2, 1)
    assert report.skipped_examples == ["doc 2: empty text"]


def test_unlabeled_reader_reads_pubtator_texts_as_convert_joins_them(tmp_path):
    path = tmp_path / "train.pubtator.txt"
    path.write_text("1|t|Voss fever.\n1|a|It is rare.\n1\t0\t10\tVoss fever\tDisease\tD1\n\n"
                    "2|t|Diabetes.\n2|a|\n", encoding="utf8")
    texts, report = read_unlabeled_texts(path, head=1)
    assert texts == ["Voss fever. It is rare."]
    assert (report.n_lines, report.n_after_head) == (2, 1)


def test_write_silver_keeps_every_transfer_text(teacher, tmp_path):
    from spacy_medlink.training.self_training import write_silver

    teacher.to_disk(tmp_path / "teacher")
    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps({"text": t}) + "\n" for t in ["Voss fever.", "Nothing.", "Nor here."]))
    transfer = tmp_path / "other_corpus.spacy"
    nlp = spacy.blank("en")
    # Its own (gold) labels are ignored: only the teacher's count.
    gold = nlp("No disease named here.")
    gold.ents = [gold.char_span(0, 2, label="DISEASE")]
    DocBin(docs=[gold, nlp("Diabetes and Voss fever.")]).to_disk(transfer)
    rules = SilverRules(negative_ratio=0.0)
    report = write_silver(tmp_path / "teacher", pool, tmp_path / "silver.spacy", rules=rules,
                          transfer_paths=[transfer], progress=False)
    docs = list(DocBin().from_disk(tmp_path / "silver.spacy").get_docs(nlp.vocab))
    # The pool's texts without entities go (negative_ratio 0); both transfer texts stay.
    assert [d.text for d in docs] == ["Voss fever.", "No disease named here.", "Diabetes and Voss fever."]
    assert [e.text for e in docs[1].ents] == []
    assert report["n_transfer_docs"] == 2 and report["transfer"][0]["n_read"] == 2
    assert report["n_silver_docs"] == 3


@pytest.mark.parametrize("option, name, content, code", [
    ("--gold", "bad.spacy", "not a DocBin", "[MLE120]"),
    ("--gold", "missing.spacy", None, "[MLE111]"),
    ("--transfer", "bad.spacy", "not a DocBin", "[MLE120]"),
])
def test_weak_label_reads_gold_and_transfer_files_before_labelling(teacher, tmp_path, monkeypatch, option, name, content, code):
    """A bad --gold file used to fail (MLE120) only after every text had been labelled."""
    import spacy_medlink.training.self_training as self_training
    from typer.testing import CliRunner

    from spacy_medlink.cli import app

    def labelling(*args, **kwargs):
        raise AssertionError(f"labelling started before {option} was read")

    monkeypatch.setattr(self_training, "weak_label", labelling)
    teacher.to_disk(tmp_path / "teacher")
    pool = tmp_path / "pool.jsonl"
    pool.write_text(json.dumps({"text": "Voss fever."}) + "\n")
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    out = tmp_path / "silver.spacy"
    result = CliRunner().invoke(app, ["weak-label", str(tmp_path / "teacher"), str(pool), str(out), option, str(path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert code in result.output and name in result.output and "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize("option", ["gold_for_precision", "extra_dev"])
def test_self_train_reads_its_gold_sets_before_round_one(tmp_path, option):
    from spacy_medlink.training.self_training import self_train

    missing = tmp_path / "missing.spacy"
    with pytest.raises(ValueError, match=r"\[MLE111\].*missing.spacy"):
        self_train("ner.cfg", "teacher", "pool.jsonl", "gold.spacy", "dev.spacy", tmp_path / "rounds",
                   **{option: [missing]}, progress=False)
    assert not (tmp_path / "rounds").exists()

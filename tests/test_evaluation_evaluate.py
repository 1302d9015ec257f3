from pathlib import Path

import pytest
import spacy
import srsly
from spacy.training import Example
from thinc.api import fix_random_seed

from spacy_medlink.evaluation.baseline_scores import baseline_train_mentions
from spacy_medlink.evaluation.evaluate import (
    evaluate_pipeline,
    find_linker,
    gold_layers,
)
from spacy_medlink.training.gold_corpus import GoldMention, read_gold
from spacy_medlink.kb.records import Concept
from spacy_medlink.kb.store import ConceptStore
from spacy_medlink.training.convert import blank_pipeline, convert_pubtator
from sample_pipeline import train_sample_pipeline

TINY = Path(__file__).parent / "data" / "evaluation_tiny.pubtator.txt"
SAMPLE = Path(__file__).parent.parent / "assets" / "sample"

VOCABULARY = [
    Concept("MESH:D003550", "Cystic Fibrosis", synonyms=("mucoviscidosis",), alt_ids=("OMIM:219700",)),
    Concept("MESH:D001943", "Breast Neoplasms", synonyms=("breast cancer",)),
    Concept("MESH:D010051", "Ovarian Neoplasms", synonyms=("ovarian cancer",)),
    Concept("MESH:D006816", "Huntington Disease", synonyms=("huntington chorea",), alt_ids=("OMIM:143100",)),
    Concept("MESH:D003866", "Depressive Disorder", synonyms=("depression",)),
    Concept("MESH:D003920", "Diabetes Mellitus", synonyms=("diabetes",)),
    Concept("MESH:D002819", "Chorea"),
]
# What the entity ruler finds in TINY: 8 gold spans exactly, "breast" (spurious); it misses
# "Depression" (case), "HD", the composite and the misaligned "diabetes" (inside "prediabetes").
RULER_PATTERNS = ["cystic fibrosis", "Cystic fibrosis", "CF", "Huntington disease", "depression", "chorea", "breast"]


def _tiny_pipeline():
    from spacy_medlink.kb.build import build_kb
    from spacy_medlink.kb.encoders import create_lsa_encoder

    fix_random_seed(0)
    nlp = blank_pipeline("en")
    ruler = nlp.add_pipe("entity_ruler")
    linker = nlp.add_pipe("medical_entity_linker")
    kb, _ = build_kb(VOCABULARY, nlp.vocab, encoder=create_lsa_encoder(dim=64), progress=False)
    linker.set_kb(lambda vocab: kb)
    doc = nlp.make_doc("x")
    nlp.initialize(lambda: [Example(doc, doc)])
    ruler.add_patterns([{"label": "DISEASE", "pattern": p} for p in RULER_PATTERNS])
    return nlp


@pytest.fixture(scope="module")
def tiny_nlp():
    return _tiny_pipeline()


@pytest.fixture(scope="module")
def tiny_results(tiny_nlp, tmp_path_factory):
    errors_path = tmp_path_factory.mktemp("eval") / "errors.jsonl"
    results = evaluate_pipeline(tiny_nlp, TINY, errors_path=errors_path, train_path=TINY, progress=False)
    return results, list(srsly.read_jsonl(errors_path))


def test_read_gold_from_pubtator_and_docbin(tmp_path):
    from_pubtator = read_gold(TINY)
    assert [d.doc_id for d in from_pubtator] == ["1001", "1002"]
    assert sum(len(d.mentions) for d in from_pubtator) == 12
    docbin = tmp_path / "tiny.spacy"
    with pytest.warns(UserWarning, match="MLW100"):  # "diabetes" inside "prediabetes"
        convert_pubtator(TINY, docbin)
    from_docbin = read_gold(docbin)
    assert [d.text for d in from_docbin] == [d.text for d in from_pubtator]
    # Every mention comes back, misaligned ones too, with prefix-normalized ids.
    mentions = [m for d in from_docbin for m in d.mentions]
    assert len(mentions) == 12
    diabetes = [m for m in mentions if m.text == "diabetes"][0]
    assert diabetes.ids == ("MESH:D003920",) and diabetes.type == "SpecificDisease"


def test_read_gold_missing_path_raises(tmp_path):
    with pytest.raises(ValueError, match="MLE300"):
        read_gold(tmp_path / "missing.spacy")


def test_find_linker_without_linker_raises():
    with pytest.raises(ValueError, match="MLE301"):
        find_linker(spacy.blank("en"))


def test_gold_layers_split_overlapping_mentions_and_widen_misaligned():
    nlp = blank_pipeline("en")
    doc = nlp.make_doc("breast and ovarian cancer in prediabetes")
    mentions = [
        (0, GoldMention(0, 25, "breast and ovarian cancer", "CompositeMention", ("D001943", "D010051"))),
        (0, GoldMention(11, 25, "ovarian cancer", "SpecificDisease", ("D010051",))),
        (0, GoldMention(32, 40, "diabetes", "SpecificDisease", ("D003920",))),
    ]
    layers, n_misaligned = gold_layers(doc, 0, mentions)
    assert n_misaligned == 1
    assert [[s.text for s in spans] for spans, _ in layers] == [
        ["breast and ovarian cancer", "prediabetes"],
        ["ovarian cancer"],
    ]
    first_keys = layers[0][1]
    assert first_keys[(29, 40)] == [(0, 32, 40)]  # the widened span links the gold mention


def test_baseline_train_mentions_keep_single_concept_mentions():
    store = ConceptStore.from_concepts(VOCABULARY)
    pairs, counts = baseline_train_mentions(read_gold(TINY), store.resolve)
    assert counts == {"n_mentions": 12, "n_multi_concept": 1, "n_unresolved": 1, "n_used": 11}
    assert ("CF", "MESH:D003550") in pairs  # OMIM alt id resolved
    assert ("chorea", "OMIM:999999") in pairs  # unknown id kept as it is


def test_evaluate_pipeline_ner_and_document_metrics(tiny_results):
    results, _ = tiny_results
    assert results["n_docs"] == 2 and results["n_gold_mentions"] == 12
    assert results["gold_ids"]["n_unresolved"] == 1
    ner = results["ner"]
    assert (ner["tp"], ner["fp"], ner["fn"]) == (8, 1, 4)
    assert ner["recall_by_type"]["DiseaseClass"]["r"] == 100.0
    assert ner["recall_by_type"]["CompositeMention"]["r"] == 0.0
    # 13 gold (mention, concept) pairs: the composite counts twice.
    e2e = results["end_to_end"]
    assert e2e["tp"] + e2e["fn"] == 13
    docs = results["document_concepts"]
    assert docs["tp"] + docs["fn"] == 7  # 4 concepts in 1001; 3 in 1002 (OMIM:999999 too)


def test_evaluate_pipeline_norm_at_gold_and_baselines(tiny_results):
    results, _ = tiny_results
    norm = results["norm_at_gold"]
    assert norm["n"] == 11 and norm["n_excluded_multi_concept"] == 1
    assert norm["n_misaligned"] == 1 and norm["n_without_ranking"] == 0
    # Only the mention with the id the KB lacks (OMIM:999999) has no right candidate.
    assert results["candidate_recall"]["n_correct@50"] == 10
    baselines = results["baselines"]
    assert baselines["train_mentions"]["n_used"] == 11
    # Dictionary on its own training data: all right but "chorea" (vocabulary concept vs the
    # unknown training id, tied, vocabulary first).
    assert baselines["dictionary"]["n_correct@1"] == 10
    assert baselines["tfidf"]["recall@10"] == 100.0


def test_evaluate_pipeline_writes_errors(tiny_results):
    results, lines = tiny_results
    assert len(lines) == results["n_errors_written"]
    kinds = {line["kind"] for line in lines}
    assert {"missed", "spurious"} <= kinds
    spurious = [line for line in lines if line["kind"] == "spurious"]
    assert [line["text"] for line in spurious] == ["breast"]
    assert "[[breast]] and ovarian" in spurious[0]["context"]
    chorea = [line for line in lines if line["kind"] == "linking" and line["text"] == "chorea"][0]
    assert chorea["gold_ids"] == ["OMIM:999999"]
    assert chorea["gold_concepts"] == [{"id": "OMIM:999999", "name": "(not in KB)"}]
    assert chorea["candidates"] and {"id", "name", "score"} <= set(chorea["candidates"][0])
    assert set(chorea["baselines"]) == {"dictionary", "tfidf"}


def test_evaluate_linker_only_pipeline_skips_ner(tiny_nlp):
    with tiny_nlp.select_pipes(disable=["entity_ruler"]):
        results = evaluate_pipeline(tiny_nlp, TINY, baselines=False, progress=False)
    assert results["ner"] is None and results["end_to_end"] is None
    assert any("linker-only" in note for note in results["notes"])
    assert results["norm_at_gold"]["n"] == 11
    assert "baselines" not in results


def test_evaluate_without_train_data_skips_baselines_with_a_note(tiny_nlp):
    results = evaluate_pipeline(tiny_nlp, TINY, progress=False)
    assert results["baselines"] is None
    assert any("--train-data" in note for note in results["notes"])


def test_a_bad_training_corpus_fails_before_the_pipeline_runs(tiny_nlp, tmp_path, monkeypatch):
    import spacy_medlink.evaluation.evaluate as evaluate_module

    def must_not_run(*args, **kwargs):
        raise AssertionError("the pipeline ran before --train-data was read")

    monkeypatch.setattr(evaluate_module, "run_pipeline", must_not_run)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ValueError, match=r"\[MLE101\].*empty.txt"):
        evaluate_pipeline(tiny_nlp, TINY, train_path=empty, progress=False)


def test_scores_without_gold_mentions_print_as_not_defined(tiny_nlp, tmp_path, capsys):
    """A corpus without gold mentions has no accuracy or recall: "n/a", not 0.00 (the JSON
    keeps spaCy's 0.0 with its counts)."""
    from spacy_medlink.cli.evaluate import print_results

    unannotated = tmp_path / "no_mentions.txt"
    unannotated.write_text("1|t|Cystic fibrosis in two sisters\n1|a|Nothing else.\n\n", encoding="utf8")
    results = evaluate_pipeline(tiny_nlp, unannotated, baselines=False, progress=False)
    assert results["norm_at_gold"]["n"] == 0 and results["ner"]["fp"] == 1
    print_results(results)
    out = capsys.readouterr().out
    ner_row = next(line for line in out.splitlines() if line.startswith("NER"))
    assert ner_row.split()[3:6] == ["0.00", "n/a", "0.00"]  # P: 0 of 1 prediction; R: no gold; F: 0
    linker_row = next(line for line in out.splitlines() if line.startswith("medical_entity_linker"))
    assert linker_row.split()[1:] == ["n/a"] * 6 + ["0"]


@pytest.mark.slow
def test_evaluate_cli_on_the_bundled_sample(tmp_path):
    """Train a small linker on the bundled sample for a few epochs, save it and evaluate it on
    the sample's dev set with the CLI."""
    from typer.testing import CliRunner

    from spacy_medlink.cli import app
    train_path = SAMPLE / "train.pubtator.txt"
    model_path = train_sample_pipeline(tmp_path / "model", epochs=10)

    output, errors = tmp_path / "metrics.json", tmp_path / "errors.jsonl"
    result = CliRunner().invoke(
        app,
        ["evaluate", str(model_path), str(SAMPLE / "dev.pubtator.txt"), "--train-data",
         str(train_path), "--output", str(output), "--errors", str(errors)],
    )
    assert result.exit_code == 0, result.output
    assert "norm@gold" in result.output
    metrics = srsly.read_json(output)
    assert metrics["n_gold_mentions"] == 36
    assert metrics["ner"]["tp"] > 0
    # Plumbing, not linker quality (the linker's own tests cover that): every dev mention is
    # ranked, by the linker and by both baselines, and every error line names its kind.
    assert metrics["norm_at_gold"]["n"] == 36
    assert metrics["norm_at_gold"]["n_without_ranking"] == 0
    assert metrics["candidate_recall"]["recall@50"] >= metrics["norm_at_gold"]["acc@5"]
    assert metrics["baselines"]["tfidf"]["acc@1"] >= metrics["baselines"]["dictionary"]["acc@1"] > 0
    lines = list(srsly.read_jsonl(errors))
    assert len(lines) == metrics["n_errors_written"]
    assert all(line["kind"] in ("linking", "missed", "spurious") for line in lines)


def test_dictionary_end_to_end_baseline_finds_and_links_dictionary_strings(tiny_results):
    results, _ = tiny_results
    dictionary = results["baselines"]["dictionary_end_to_end"]
    ner = dictionary["ner"]
    # Found: both "cystic fibrosis", "Depression", "Huntington disease", "HD", "chorea",
    # "depression". Missed: the two "CF" (keys under 3 characters are never matched), the
    # composite (only its "ovarian cancer" part matches: the one false positive) and the
    # "diabetes" inside "prediabetes" (not a token).
    assert (ner["tp"], ner["fp"], ner["fn"]) == (7, 1, 5)
    assert dictionary["end_to_end"]["tp"] <= ner["tp"]
    assert dictionary["document_concepts"]["tp"] > 0


@pytest.mark.parametrize("args, code", [(["-n", "0"], "[MLE307]"), (["-g", "0"], "[MLE308]")])
def test_evaluate_cli_rejects_bad_process_and_gpu_options_coded(tiny_nlp, tmp_path, monkeypatch, args, code):
    """-n 0 crashed inside spaCy's nlp.pipe; -g 0 without CuPy raised thinc's uncoded
    ValueError. Both stop, coded and without a traceback, before any output."""
    import thinc.api
    from typer.testing import CliRunner

    from spacy_medlink.cli import app

    def no_cupy(gpu_id=0):  # what thinc raises on a machine without CuPy, on every machine
        raise ValueError("Cannot use GPU, CuPy is not installed")

    monkeypatch.setattr(thinc.api, "require_gpu", no_cupy)
    tiny_nlp.to_disk(tmp_path / "model")
    metrics = tmp_path / "metrics.json"
    result = CliRunner().invoke(app, ["evaluate", str(tmp_path / "model"), str(TINY), "--no-baselines", "-o", str(metrics), *args])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert code in result.output and "Traceback" not in result.output
    assert ("--n-process 0" if code == "[MLE307]" else "CuPy is not installed") in result.output
    assert not metrics.exists()

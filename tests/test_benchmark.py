"""The benchmark harness: the threshold curve on hand-made scores, option parsing, and one
end-to-end run on the bundled sample with a tiny pipeline (entity ruler + abbreviations +
a briefly trained linker)."""
from pathlib import Path

import pytest
import srsly

from medlink_bench.__main__ import parse_int_list
from medlink_bench.measure import run_measured, threshold_curve
from medlink_bench.report import RESULTS_JSON, RESULTS_MD
from medlink_bench.run import TABLE_THRESHOLDS
from spacy_medlink.evaluation.evaluate import read_gold
from sample_pipeline import train_sample_pipeline

SAMPLE = Path(__file__).parent.parent / "assets" / "sample"


def test_threshold_curve_on_hand_made_scores():
    # 5 mentions have a candidate, 1 has none (never linked): n_total = 6.
    scored = [(0.95, True), (0.8, True), (0.6, False), (0.4, True), (0.2, False)]
    points = {p["threshold"]: p for p in threshold_curve(scored, 6, (0.0, 0.3, 0.5, 0.7, 0.9, 1.0))}
    assert points[0.0]["n_linked"] == 5 and points[0.0]["n_correct"] == 3
    assert points[0.0]["precision"] == pytest.approx(60.0)
    assert points[0.0]["recall"] == pytest.approx(50.0)
    assert (points[0.3]["n_linked"], points[0.3]["n_correct"]) == (4, 3)
    assert points[0.5]["precision"] == pytest.approx(200 / 3)
    assert (points[0.7]["n_linked"], points[0.7]["n_correct"]) == (2, 2)
    assert points[0.7]["precision"] == 100.0 and points[0.7]["recall"] == pytest.approx(100 / 3)
    assert points[0.9]["linked"] == pytest.approx(100 / 6)
    # Nothing linked: precision is undefined and reported as 0.0 (metrics.py's convention).
    assert points[1.0]["n_linked"] == 0 and points[1.0]["precision"] == 0.0


def test_threshold_curve_links_a_score_equal_to_the_threshold():
    (point,) = threshold_curve([(0.5, True)], 1, (0.5,))
    assert point["n_linked"] == 1 and point["recall"] == 100.0


def test_threshold_curve_without_mentions():
    assert threshold_curve([], 0, (0.5,))[0] == {
        "threshold": 0.5, "precision": 0.0, "recall": 0.0, "linked": 0.0, "n_linked": 0, "n_correct": 0,
    }


def test_parse_int_list():
    assert parse_int_list("0, 1,2", "--seeds") == [0, 1, 2]
    assert parse_int_list("", "--seeds") == []
    with pytest.raises(ValueError, match="MLE350"):
        parse_int_list("1,two", "--n-process")


def test_run_measured_reports_memory_and_failures():
    import sys

    measured = run_measured([sys.executable, "-c", "x = bytearray(60 * 1024 * 1024)"], step="allocate")
    assert measured["peak_rss_mb"] >= 60 and measured["seconds"] > 0
    # The child's own peak, not the parent's: Linux carries the peak RSS over fork + exec.
    ballast = bytearray(300 * 1024 * 1024)
    ballast[:: 4096] = b"x" * len(ballast[:: 4096])  # touch every page: make it resident
    assert run_measured([sys.executable, "-c", "pass"], step="nothing")["peak_rss_mb"] < 150
    del ballast
    with pytest.raises(RuntimeError, match="MLE352"):
        run_measured([sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"], step="fail")


def _sample_pipeline(path: Path) -> Path:
    return train_sample_pipeline(path, epochs=5, threshold=0.3)


@pytest.fixture(scope="module")
def sample_results(tmp_path_factory):
    from medlink_bench.run import run_benchmark

    tmp = tmp_path_factory.mktemp("benchmark")
    model = _sample_pipeline(tmp / "model")
    output_dir = tmp / "out"
    results = run_benchmark(
        model, SAMPLE / "dev.pubtator.txt", train_data=SAMPLE / "train.pubtator.txt",
        vocab_path=SAMPLE / "vocabulary.jsonl", n_process=(1, 2), spacy_el_steps=5,
        also_dev=[SAMPLE / "train.pubtator.txt"],
        output_dir=output_dir, command="pytest benchmark", progress=False,
    )
    return results, output_dir


@pytest.mark.slow
def test_benchmark_on_the_sample_writes_every_section(sample_results):
    results, output_dir = sample_results
    written = srsly.read_json(output_dir / RESULTS_JSON)
    assert set(written) >= {
        "meta", "accuracy", "speed", "cost", "baselines", "ratios", "threshold_curve", "seeds", "notes",
    }
    meta = written["meta"]
    assert meta["command"] == "pytest benchmark"
    assert {"python", "spacy", "thinc", "torch", "spacy-medlink"} <= set(meta["versions"])
    assert meta["machine"]["cpu_count"] >= 1
    accuracy = written["accuracy"]
    for key in ("ner", "end_to_end", "document_concepts", "norm_at_gold", "candidate_recall"):
        assert accuracy[key] is not None, key
    assert accuracy["norm_at_gold"]["n"] == 36
    # Speed: one end-to-end figure per process count, on every dev word.
    e2e = written["speed"]["end_to_end"]
    assert [s["n_process"] for s in e2e] == [1, 2]
    assert e2e[0]["words"] == e2e[1]["words"] > 0 and e2e[0]["docs"] == 10
    cold = written["speed"]["linker"]["cold"]
    assert cold["mentions"] == accuracy["ner"]["tp"] + accuracy["ner"]["fp"]
    assert cold["mentions_per_second"] > 0
    cost = written["cost"]
    assert cost["kb_build"]["seconds"] > 0 and cost["kb_build"]["peak_rss_mb"] > 0
    assert cost["load"]["load_seconds"] > 0 and cost["load"]["peak_rss_mb"] > 0
    assert cost["load"]["pipe_names"] == ["entity_ruler", "medlink_abbreviations", "medical_entity_linker"]
    assert cost["size"]["pipeline_mb"] > cost["size"]["kb_in_pipeline_mb"] > 0
    assert cost["size"]["wheel_mb"] is None
    # Baselines: the string baselines with accuracy and speed; spaCy's entity_linker.
    baselines = written["baselines"]
    for name in ("dictionary", "tfidf"):
        assert baselines[name]["acc@1"] > 0 and baselines[name]["speed"]["mentions_per_second"] > 0
    el = baselines["spacy_entity_linker"]
    assert el["training"]["steps"] == 5
    assert el["config"]["pipe_names"] == ["entity_ruler", "sentencizer", "entity_linker"]
    assert el["norm_at_gold"]["n"] == 36
    assert 0 < el["n_without_candidates"] < el["speed_on_gold_spans"]["mentions"]
    # Same NER in both pipelines.
    assert {k: el["ner"][k] for k in ("tp", "fp", "fn")} == {k: accuracy["ner"][k] for k in ("tp", "fp", "fn")}
    assert set(written["ratios"]) == {"dictionary", "tfidf", "spacy_entity_linker"}
    assert written["ratios"]["tfidf"]["acc@1"] == pytest.approx(
        accuracy["norm_at_gold"]["acc@1"] / baselines["tfidf"]["acc@1"]
    )
    curve = written["threshold_curve"]
    assert curve["configured_threshold"] == pytest.approx(0.3)
    assert set(curve["at"]) == {str(t) for t in TABLE_THRESHOLDS}
    recalls = [p["recall"] for p in curve["points"]]
    assert recalls == sorted(recalls, reverse=True)  # raising the threshold never adds links
    assert written["seeds"]["runs"] == [] and any("one training run" in n for n in written["notes"])
    # --also-dev: the same evaluation on another corpus (here the training split, which the
    # linker has seen: its dictionary baseline knows every mention).
    [other] = written["other_dev"]
    assert other["dev_data"] == str(SAMPLE / "train.pubtator.txt")
    assert other["accuracy"]["n_docs"] != accuracy["n_docs"]
    assert other["accuracy"]["baselines"]["dictionary"]["acc@1"] > accuracy["baselines"]["dictionary"]["acc@1"]
    assert other["accuracy"]["end_to_end"]["f"] > 0


@pytest.mark.slow
def test_benchmark_on_the_sample_writes_markdown_and_plots_without_corpus_text(sample_results):
    _, output_dir = sample_results
    markdown = (output_dir / RESULTS_MD).read_text(encoding="utf8")
    for heading in ("## Accuracy", "## Other dev corpora", "## Speed and cost", "## Precision vs recall", "## Notes"):
        assert heading in markdown
    assert "spaCy entity_linker" in markdown and "TF-IDF baseline" in markdown
    for name in ("threshold_precision_recall.png", "accuracy_vs_speed.png"):
        png = output_dir / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({name})" in markdown
    # Figures only: no mention text of the dev corpus in the committed Markdown.
    mention_texts = {m.text for d in read_gold(SAMPLE / "dev.pubtator.txt") for m in d.mentions}
    leaked = [t for t in mention_texts if len(t) > 3 and t in markdown]
    assert not leaked, leaked


@pytest.mark.slow
def test_benchmark_ner_seeds_retrains_per_seed(tmp_path):
    from medlink_bench.ner_seeds import benchmark_ner_seeds

    dev = SAMPLE / "dev.pubtator.txt"
    seeds = benchmark_ner_seeds(
        [0, 1], ner_config=Path(__file__).parent.parent / "configs" / "ner_cnn.cfg",
        train_path=SAMPLE / "train.pubtator.txt", dev_path=dev, dev_documents=read_gold(dev),
        work_dir=tmp_path, max_steps=2, vocabulary=SAMPLE / "vocabulary.jsonl", progress=False,
    )
    assert [run["seed"] for run in seeds["runs"]] == [0, 1] and seeds["n_seeds"] == 2
    assert seeds["f_min"] <= seeds["f_mean"] <= seeds["f_max"]
    assert "--system.seed 1" in seeds["command"] and str(tmp_path) not in seeds["command"]


def test_speed_on_unseen_text_times_three_disjoint_slices(tmp_path):
    from medlink_bench.speed_unseen import WARMUP_DOCS, measure, pool_documents

    sample = Path(__file__).parent.parent / "assets" / "sample" / "unlabeled.jsonl"
    docs = pool_documents(sample, 9, sentences_per_doc=1, offset=3)  # 9 timed + the warm-up
    assert len(docs) == 9 + WARMUP_DOCS and len(set(docs)) == len(docs)
    with pytest.raises(SystemExit):
        pool_documents(sample, 100, sentences_per_doc=1, offset=0)  # the file is too short
    result = measure(str(_sample_pipeline(tmp_path / "model")), docs)
    assert [result[part]["docs"] for part in ("end_to_end", "recognition", "linker_cold")] == [3, 3, 3]
    assert result["end_to_end"]["words_per_second"] > 0 and result["linker_cold"]["mentions"] >= 0
    # recognition is everything before the linker
    assert result["recognition"]["components"] == ["entity_ruler", "medlink_abbreviations"]


def test_linker_ceiling_times_the_search_inside_the_cold_pass(tmp_path):
    """The search's seconds are part of the cold pass: its share is in (0, 1] and the speed
    the search alone would allow is at least the measured one."""
    from medlink_bench.linker_ceiling import passes

    sample = Path(__file__).parent.parent / "assets" / "sample" / "unlabeled.jsonl"
    lines = sample.read_text(encoding="utf8").splitlines()
    pool = tmp_path / "pool.jsonl"
    pool.write_text("\n".join(lines * 10) + "\n", encoding="utf8")  # 200 sentences
    model = str(_sample_pipeline(tmp_path / "model"))
    found = passes(model, pool, 2, 0)
    assert found["cold"]["mentions"] == found["warm"]["mentions"] > 0
    assert 0 < found["cold_search_share"] <= 1
    assert found["cold_ceiling_mentions_per_second"] >= found["cold"]["mentions_per_second"]
    assert passes(model, pool, 2, 100, n_explanations=0)["n_explanations"] == 0


def test_search_pruning_keeps_everything_without_common_ngrams_and_less_with_them():
    """Without common n-grams the pruned search is the exact one; with every shared n-gram
    common it reads fewer postings."""
    from medlink_bench.search_pruning import pruning_report
    from spacy_medlink.kb.alias_index import CharNgramIndex

    aliases = ["breast cancer", "breast neoplasm", "ovarian cancer", "colon cancer", "cancer",
               "cystic fibrosis", "fibrosis", "renal failure", "heart failure", "liver failure"]
    index = CharNgramIndex.from_aliases(aliases)
    strings = ["breast cancers", "renal failures", "fibrosis of the lung"]
    none_common = pruning_report(index, strings, k=3, thresholds=(len(aliases),))["runs"]
    assert all(run["postings_read_share"] == 1.0 and run["approximate_top_k_kept"] == 1.0 for run in none_common)
    shared_common = pruning_report(index, strings, k=3, thresholds=(1,))["runs"]
    assert all(run["postings_read_share"] < 1.0 for run in shared_common)
    assert all(0.0 <= run["approximate_top_k_kept"] <= 1.0 for run in shared_common)


def _leaf():
    return sum(range(20_000))


def _scorer():
    return _leaf()


def _explainer():
    total = 0
    for _ in range(3):
        total += _leaf()
    return total


def test_linker_profile_counts_a_function_once_or_per_caller():
    """The profile's stages must not overlap: the ranker's score function runs for the
    decision and again for each explanation, and only the first counts as ranker time."""
    import cProfile
    import pstats

    from medlink_bench.linker_profile import cumulative

    profiler = cProfile.Profile()
    profiler.enable()
    _scorer()
    _explainer()
    profiler.disable()
    stats = pstats.Stats(profiler)
    every_call = cumulative(stats, "test_benchmark.py", "_leaf")
    from_scorer = cumulative(stats, "test_benchmark.py", "_leaf", "_scorer")
    from_explainer = cumulative(stats, "test_benchmark.py", "_leaf", "_explainer")
    assert 0 < from_scorer < from_explainer
    assert every_call == pytest.approx(from_scorer + from_explainer)


def test_load_time_reports_medians_and_the_heavy_modules_a_load_imports(tmp_path):
    from medlink_bench.load_time import load_times
    from medlink_bench.measure import measure_load

    model = _sample_pipeline(tmp_path / "model")
    result = load_times(str(model), runs=2)
    assert len(result["load_seconds"]) == 2 and result["median_load_seconds"] > 0
    assert min(result["load_seconds"]) <= result["median_load_seconds"] <= max(result["load_seconds"])
    # The loading process reports which of the named modules it imported.
    found = measure_load(model, report_modules=("spacy", "no_such_module"))
    assert found["modules"] == ["spacy"]

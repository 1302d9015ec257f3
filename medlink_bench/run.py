"""Benchmark a trained pipeline on this machine: accuracy, speed and cost, next to baselines.

One run, on the same dev gold mentions:

- accuracy: everything `evaluate_pipeline` reports (NER, norm@gold, candidate recall@k,
  end-to-end mention linking, document-level concepts);
- speed: end-to-end words/s of `nlp.pipe` for each `n_process` (warm-up excluded), and the
  linker's mentions/s on docs the upstream components have already processed (first, cold
  pass, and a second, warm pass);
- cost: KB build time and peak RSS (`build-kb` in a subprocess), pipeline load time and peak
  RSS (`spacy.load` in a fresh subprocess), size on disk of the pipeline (and of a wheel);
- baselines in the same run: the dictionary and TF-IDF baselines (baselines.py; accuracy from
  `evaluate_baselines`, speed timed here), and spaCy's built-in `entity_linker` over the same
  KB, with candidates looked up by the normalized mention text as in ours, trained briefly
  on the training split;
- ratios ours / baseline; precision and recall of linking as the NIL threshold moves;
- optionally, the NER retrained with several seeds (mean and range of its F1);
- optionally, the accuracy on other dev corpora (another annotation guideline, other text),
  with the dictionary and TF-IDF baselines of the same evaluation.

Everything is written to `results.json`, `results.md` (figures only, never corpus text) and
PNG plots. This module runs the steps, one function each; measure.py measures, ner_seeds.py retrains the
NER per seed, spacy_el_baseline.py is the spaCy entity_linker baseline and report.py writes the
results.
"""
import datetime
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import spacy
from spacy.language import Language
from tqdm import tqdm

from spacy_medlink.errors import Errors
from spacy_medlink.evaluation.evaluate import (
    BATCH_SIZE,
    evaluate_pipeline,
    find_linker,
    link_gold_spans,
)
from spacy_medlink.evaluation.resolved_gold import ResolvedGold
from spacy_medlink.training.gold_corpus import GoldDocument, read_gold

from .measure import (
    component_linking,
    display_command,
    folder_size_mb,
    machine_info,
    measure_kb_build,
    measure_load,
    package_versions,
    threshold_curve,
    time_linking,
    time_pipeline,
    time_string_baselines,
)
from .ner_seeds import ablate_short_form_mentions, benchmark_ner_seeds
from .report import compute_ratios, method_notes, write_results
from .spacy_el_baseline import SPACY_EL_MAX_SECONDS, SPACY_EL_STEPS, benchmark_spacy_entity_linker

# Thresholds whose precision is tabulated in the results (the curve: CURVE_THRESHOLDS).
TABLE_THRESHOLDS = (0.3, 0.5, 0.7, 0.9)
NER_CONFIG = Path("configs") / "ner_cnn.cfg"


@dataclass
class BenchmarkRun:
    """What the steps share: the loaded pipeline, its linker and the gold documents."""

    model_path: Path
    dev_data: Path
    train_data: Path
    nlp: Language
    linker_name: str
    linker: Any
    dev_documents: List[GoldDocument]
    progress: bool

    @property
    def kb_path(self) -> Path:
        return self.model_path / self.linker_name / "kb"


def run_benchmark(
    model: Union[str, Path],
    dev_data: Union[str, Path],
    *,
    train_data: Union[str, Path],
    vocab_path: Union[str, Path],
    train_pubtator: Optional[Union[str, Path]] = None,
    n_process: Sequence[int] = (1, 2),
    seeds: Sequence[int] = (),
    ner_config: Union[str, Path] = NER_CONFIG,
    seed_max_steps: Optional[int] = None,
    wheel: Optional[Union[str, Path]] = None,
    also_dev: Sequence[Union[str, Path]] = (),
    spacy_el_steps: int = SPACY_EL_STEPS,
    spacy_el_max_seconds: float = SPACY_EL_MAX_SECONDS,
    output_dir: Union[str, Path] = "benchmarks",
    command: Optional[str] = None,
    progress: bool = True,
) -> Dict[str, Any]:
    """Benchmark a pipeline with a medical_entity_linker on this machine and write
    results.json, results.md and the PNG plots to output_dir.

    model (Union[str, Path]): The pipeline folder.
    dev_data (Union[str, Path]): Gold dev corpus (.spacy DocBin or PubTator).
    train_data (Union[str, Path]): Gold training corpus: the baselines' dictionary, the
        spaCy entity_linker's training data, the retrained NER's training data and (unless
        train_pubtator is given) the KB build's extra aliases.
    vocab_path (Union[str, Path]): The vocabulary the KB build is timed on.
    train_pubtator (Optional[Union[str, Path]]): Corpus for the timed KB build (`build-kb
        --corpus`), as in the project; train_data when None.
    n_process (Sequence[int]): Process counts for the end-to-end speed.
    seeds (Sequence[int]): Retrain the NER with each seed (slow); none by default.
    ner_config (Union[str, Path]): The NER config retrained per seed.
    seed_max_steps (Optional[int]): training.max_steps of those runs (the config's if None).
    wheel (Optional[Union[str, Path]]): A built wheel of the pipeline, to report its size.
    also_dev (Sequence[Union[str, Path]]): Other gold dev corpora to report the accuracy on
        (everything `evaluate` reports, its baselines included); their speed is not timed.
    spacy_el_steps (int): Training steps of the spaCy entity_linker baseline (0: untrained).
    spacy_el_max_seconds (float): Time budget of that training.
    output_dir (Union[str, Path]): Where the results go.
    command (Optional[str]): The command line to record; sys.argv when None.
    progress (bool): Show progress bars.
    RETURNS (Dict[str, Any]): The results (as written to results.json).
    """
    started = time.perf_counter()
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    results: Dict[str, Any] = {"meta": _meta(model, dev_data, train_data, vocab_path, command)}
    notes: List[str] = []
    steps = tqdm(total=9, desc="Benchmark", unit="step", disable=not progress)

    def step(name: str) -> None:
        steps.set_postfix_str(name)

    # The linker first, on a freshly loaded pipeline: its first pass is a cold one.
    step("linker speed")
    run = _load(model, dev_data, train_data, progress)
    linker_speed = _linker_speed(run)
    steps.update(1)
    step("end-to-end speed")
    end_to_end_speed = [time_pipeline(run.nlp, _texts(run), n_process=n, progress=progress) for n in n_process]
    steps.update(1)
    step("accuracy")
    results.update(_accuracy(run, notes))
    steps.update(1)
    step("threshold curve")
    results["threshold_curve"], pr_points = _threshold_curve(run)
    steps.update(1)
    step("other dev corpora")
    results["other_dev"] = [_other_dev_accuracy(run, path, notes) for path in also_dev]
    steps.update(1)
    step("baselines")
    results["baselines"] = _baselines(run, results["accuracy"], spacy_el_steps, spacy_el_max_seconds)
    steps.update(1)
    step("cost")
    results["cost"] = _cost(run, vocab_path, train_pubtator or train_data, wheel)
    results["speed"] = {"end_to_end": end_to_end_speed, "linker": linker_speed}
    steps.update(1)
    step("seeds")
    results["seeds"] = _seeds(run, seeds, ner_config, seed_max_steps, vocab_path, notes)
    steps.update(1)
    step("writing")
    results["ratios"] = compute_ratios(results)
    notes.extend(method_notes(results))
    results["notes"] = notes
    results["meta"]["benchmark_seconds"] = time.perf_counter() - started
    write_results(results, output_dir, pr_points=pr_points)
    steps.update(1)
    steps.close()
    return results


def _meta(model, dev_data, train_data, vocab_path, command: Optional[str]) -> Dict[str, Any]:
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": command or display_command(sys.argv),
        "model": str(model),
        "dev_data": str(dev_data),
        "train_data": str(train_data),
        "vocabulary": str(vocab_path),
        "machine": machine_info(),
        "versions": package_versions(),
    }


def _load(model, dev_data, train_data, progress: bool) -> BenchmarkRun:
    model_path = Path(model)
    if not model_path.is_dir():
        raise ValueError(Errors.E351.format(path=model, found="a file" if model_path.exists() else "nothing"))
    nlp = spacy.load(model_path)
    linker_name, linker = find_linker(nlp, str(model))
    run = BenchmarkRun(
        model_path, Path(dev_data), Path(train_data), nlp, linker_name, linker,
        read_gold(dev_data, nlp.vocab), progress,
    )
    if not run.kb_path.is_dir():
        raise ValueError(Errors.E353.format(name=linker_name, path=model, kb_path=run.kb_path))
    return run


def _texts(run: BenchmarkRun) -> List[str]:
    return [document.text for document in run.dev_documents]


def _linker_speed(run: BenchmarkRun) -> Dict[str, Any]:
    """The linker's mentions/s on docs the upstream components have processed: a cold first
    pass after loading, then a warm second one."""
    with run.nlp.select_pipes(disable=[run.linker_name]):
        upstream = list(run.nlp.pipe(_texts(run), batch_size=BATCH_SIZE))
    link = component_linking(run.linker)
    return {"cold": time_linking(link, upstream), "warm": time_linking(link, upstream)}


def _accuracy(run: BenchmarkRun, notes: List[str]) -> Dict[str, Any]:
    """Everything evaluate_pipeline reports (the string baselines included) and the
    short-form component ablation."""
    accuracy = evaluate_pipeline(run.nlp, run.dev_data, train_path=run.train_data, progress=run.progress)
    accuracy["model"] = str(run.model_path)
    notes.extend(accuracy.pop("notes", []))
    ablation = ablate_short_form_mentions(run.nlp, run.dev_documents, progress=run.progress)
    return {"accuracy": accuracy, "short_form_ablation": ablation}


def _other_dev_accuracy(run: BenchmarkRun, dev_data: Union[str, Path], notes: List[str]) -> Dict[str, Any]:
    """Everything evaluate_pipeline reports on another dev corpus, with the same training
    data for its baselines (run after the timed passes: its docs warm the linker's caches);
    its notes join the run's, named by the corpus."""
    accuracy = evaluate_pipeline(run.nlp, dev_data, train_path=run.train_data, progress=run.progress)
    notes.extend(f"{dev_data}: {note}" for note in accuracy.pop("notes", []))
    return {"dev_data": str(dev_data), "accuracy": accuracy}


def _threshold_curve(run: BenchmarkRun) -> Tuple[Dict[str, Any], List[Dict[str, float]]]:
    """Precision and recall of our linker on the gold mentions as the NIL threshold moves;
    RETURNS also the points at every distinct score (the plot's, not kept in results.json)."""
    gold = ResolvedGold(run.dev_documents, run.linker.kb.store.resolve)
    linked = link_gold_spans(run.nlp, run.linker_name, run.linker, gold, 1, run.progress)
    scored, n_total = _gold_span_scores(gold, linked.records)
    points = threshold_curve(scored, n_total)
    pr_points = threshold_curve(scored, n_total, sorted({score for score, _ in scored}))
    curve = {
        "configured_threshold": run.linker.cfg.get("threshold"),
        "temperature": run.linker.cfg.get("temperature"),
        "n_mentions": n_total,
        "n_with_candidates": len(scored),
        "at": {str(t): _point_at(points, t) for t in TABLE_THRESHOLDS},
        "points": points,
    }
    return curve, pr_points


def _baselines(run: BenchmarkRun, accuracy: Dict[str, Any], spacy_el_steps: int, spacy_el_max_seconds: float) -> Dict[str, Any]:
    """The string baselines' speed next to their accuracy, and spaCy's entity_linker over
    the same KB."""
    train_documents = read_gold(run.train_data, run.nlp.vocab)
    string_speeds = time_string_baselines(run.dev_documents, train_documents, run.linker.kb.store)
    baselines: Dict[str, Any] = {
        name: {**(accuracy.get("baselines") or {}).get(name, {}), "speed": speed}
        for name, speed in string_speeds.items()
    }
    baselines["spacy_entity_linker"] = benchmark_spacy_entity_linker(
        run.model_path, run.kb_path, run.linker.kb.entity_vector_length, run.dev_documents,
        run.train_data, run.linker.kb.store.resolve, max_steps=spacy_el_steps,
        max_seconds=spacy_el_max_seconds, progress=run.progress,
    )
    return baselines


def _cost(run: BenchmarkRun, vocab_path, kb_corpus, wheel) -> Dict[str, Any]:
    """KB build time and memory (in a subprocess), load time and memory, sizes on disk."""
    with tempfile.TemporaryDirectory() as tmp_dir:
        kb_build = measure_kb_build(vocab_path, kb_corpus, Path(tmp_dir) / "kb")
        kb_build["command"] = kb_build["command"].replace(tmp_dir, "TMP")
    return {
        "kb_build": kb_build,
        "load": measure_load(run.model_path),
        "size": {
            "pipeline_mb": folder_size_mb(run.model_path),
            "kb_in_pipeline_mb": folder_size_mb(run.kb_path),
            "wheel_mb": folder_size_mb(wheel) if wheel is not None else None,
            "wheel": str(wheel) if wheel is not None else None,
        },
    }


def _seeds(run: BenchmarkRun, seeds, ner_config, seed_max_steps, vocab_path, notes: List[str]) -> Dict[str, Any]:
    """The NER retrained per seed, only when asked: each one is a full training run."""
    seed_config = run.nlp.config.get("system", {}).get("seed")
    if not seeds:
        notes.append(
            f"The NER figures are from one training run (the pipeline's [system] seed = "
            f"{seed_config}); run with --seeds 0,1,2 for their mean and range over seeds."
        )
        return {"runs": [], "n_seeds": 1, "model_seed": seed_config}
    with tempfile.TemporaryDirectory() as tmp_dir:
        return benchmark_ner_seeds(
            seeds, ner_config=ner_config, train_path=run.train_data, dev_path=run.dev_data,
            dev_documents=run.dev_documents, work_dir=tmp_dir, max_steps=seed_max_steps,
            vocabulary=vocab_path, progress=run.progress,
        )


def _gold_span_scores(
    gold: ResolvedGold, records: Mapping[Tuple[int, int, int], dict]
) -> Tuple[List[Tuple[float, bool]], int]:
    """(top score, top is right) for the single-concept gold mentions the linker ranked,
    and how many single-concept gold mentions there are (the recall denominator)."""
    scored = []
    n_total = 0
    for doc_index, mention, concepts in gold.mentions:
        if len(concepts) != 1:
            continue
        n_total += 1
        record = records.get((doc_index, mention.start, mention.end))
        if record is None or not record["candidates"]:
            continue
        scored.append((record["score"], record["candidates"][0]["id"] in concepts))
    return scored, n_total


def _point_at(points: List[Dict[str, float]], threshold: float) -> Dict[str, float]:
    return min(points, key=lambda p: abs(p["threshold"] - threshold))

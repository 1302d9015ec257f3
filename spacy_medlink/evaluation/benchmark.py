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
- optionally, the NER retrained with several seeds (mean and range of its F1).

Everything is written to `results.json`, `results.md` (figures only, never corpus text) and
PNG plots. This module runs the steps; measure.py measures, spacy_el_baseline.py is the
spaCy entity_linker baseline and report.py writes the results.
"""
import datetime
import sys
import tempfile
import time
from pathlib import Path
from statistics import mean, pstdev
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import spacy
from spacy.language import Language
from tqdm import tqdm

from ..errors import Errors
from ..pipeline.linker import LINKER_FACTORY
from ..training.gold_corpus import GoldDocument, read_gold
from .evaluate import (
    BATCH_SIZE,
    ResolvedGold,
    evaluate_pipeline,
    find_linker,
    link_gold_spans,
    run_pipeline,
)
from .measure import (
    CURVE_THRESHOLDS,
    WARMUP_DOCS,
    component_linking,
    display_command,
    folder_size_mb,
    machine_info,
    measure_kb_build,
    measure_load,
    package_versions,
    run_measured,
    threshold_curve,
    time_linking,
    time_pipeline,
    time_string_baselines,
)
from .metrics import ner_prf
from .report import (
    COMPARISON_PLOT,
    RESULTS_JSON,
    RESULTS_MD,
    THRESHOLD_PLOT,
    compute_ratios,
    method_notes,
    render_markdown,
    write_results,
)
from .spacy_el_baseline import (
    OUR_LINKING_FACTORIES,
    SENTENCIZER_NAME,
    SPACY_EL_BATCH,
    SPACY_EL_MAX_SECONDS,
    SPACY_EL_NAME,
    SPACY_EL_STEPS,
    benchmark_spacy_entity_linker,
    build_spacy_entity_linker,
    spacy_el_on_gold_spans,
    train_spacy_entity_linker,
)

# The public names of the benchmark, wherever they are defined (importable from here).
__all__ = [
    "COMPARISON_PLOT", "CURVE_THRESHOLDS", "NER_CONFIG", "OUR_LINKING_FACTORIES", "RESULTS_JSON",
    "RESULTS_MD", "SENTENCIZER_NAME", "SPACY_EL_BATCH", "SPACY_EL_MAX_SECONDS", "SPACY_EL_NAME",
    "SPACY_EL_STEPS", "TABLE_THRESHOLDS", "THRESHOLD_PLOT", "WARMUP_DOCS",
    "benchmark_ner_seeds", "benchmark_spacy_entity_linker", "build_spacy_entity_linker",
    "compute_ratios", "folder_size_mb", "machine_info", "measure_kb_build", "measure_load",
    "package_versions", "render_markdown", "run_benchmark", "run_measured",
    "spacy_el_on_gold_spans", "strict_ner_scores", "threshold_curve", "time_linking",
    "time_pipeline", "time_string_baselines", "train_spacy_entity_linker", "write_results",
]

# Thresholds whose precision is tabulated in the results (the curve: CURVE_THRESHOLDS).
TABLE_THRESHOLDS = (0.3, 0.5, 0.7, 0.9)
NER_CONFIG = Path("configs") / "ner_cnn.cfg"


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


# --- NER seeds -----------------------------------------------------------------------------
def strict_ner_scores(nlp: Language, documents: List[GoldDocument], *, progress: bool = True) -> Dict[str, Any]:
    """Strict NER P/R/F of a pipeline on gold documents (as `evaluate_pipeline` scores it).

    RETURNS (Dict[str, Any]): {"p", "r", "f", "tp", "fp", "fn"}.
    """
    gold = ResolvedGold(list(documents), lambda concept_id: concept_id)
    output = run_pipeline(nlp, gold, 1, progress)
    return ner_prf(gold.spans(), set(output.entities)).to_dict()


def ablate_short_form_mentions(
    nlp: Language, documents: List[GoldDocument], *, progress: bool = True
) -> Optional[Dict[str, Any]]:
    """Strict NER scores with the pipeline's `medlink_short_form_mentions` switched off.

    RETURNS (Optional[Dict[str, Any]]): {"components": names, "without": scores}, or None
        when the pipeline has no such component.
    """
    factories = {name: nlp.get_pipe_meta(name).factory for name in nlp.pipe_names}
    names = [name for name, factory in factories.items() if factory == "medlink_short_form_mentions"]
    if not names:
        return None
    # The linker never changes doc.ents: switched off too, it is not run a second time.
    linkers = [name for name, factory in factories.items() if factory == LINKER_FACTORY]
    with nlp.select_pipes(disable=names + linkers):
        without = strict_ner_scores(nlp, documents, progress=progress)
    return {"components": names, "without": without}


def benchmark_ner_seeds(
    seeds: Sequence[int],
    *,
    ner_config: Union[str, Path],
    train_path: Union[str, Path],
    dev_path: Union[str, Path],
    dev_documents: List[GoldDocument],
    work_dir: Union[str, Path],
    max_steps: Optional[int] = None,
    vocabulary: Optional[Union[str, Path]] = None,
    progress: bool = True,
) -> Dict[str, Any]:
    """Retrain the NER once per seed (`python -m spacy train NER_CONFIG --system.seed S`)
    and score model-best with strict NER on dev (model-best is chosen on the same dev set,
    as in the project). `vocabulary` is the config's paths.vocabulary (the KB features).

    RETURNS (Dict[str, Any]): "runs" (per seed: "seed", "f", "p", "r", "train_seconds"),
        "f_mean", "f_min", "f_max", "f_std" and the training command.
    """
    runs = []
    command = None
    for seed in tqdm(list(seeds), desc="NER seeds", unit="seed", disable=not progress, leave=False):
        output = Path(work_dir) / f"ner_seed{seed}"
        command = [
            sys.executable, "-m", "spacy", "train", str(ner_config), "--output", str(output),
            "--paths.train", str(train_path), "--paths.dev", str(dev_path), "--system.seed", str(seed),
        ]
        if max_steps:
            command += ["--training.max_steps", str(max_steps)]
        if vocabulary is not None:
            command += ["--paths.vocabulary", str(vocabulary)]
        measured = run_measured(command, step=f"train the NER with seed {seed}")
        best = output / "model-best"
        nlp = spacy.load(best if best.exists() else output / "model-last")
        scores = strict_ner_scores(nlp, dev_documents, progress=progress)
        runs.append({"seed": seed, **{k: scores[k] for k in ("p", "r", "f")}, "train_seconds": measured["seconds"]})
    f_scores = [run["f"] for run in runs]
    return {
        "runs": runs,
        "n_seeds": len(runs),
        "f_mean": mean(f_scores) if f_scores else None,
        "f_min": min(f_scores) if f_scores else None,
        "f_max": max(f_scores) if f_scores else None,
        "f_std": pstdev(f_scores) if f_scores else None,
        "command": display_command(command).replace(str(work_dir), "TMP") if command else None,
        "max_steps": max_steps,
    }


# --- the whole benchmark -------------------------------------------------------------------
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
    spacy_el_steps (int): Training steps of the spaCy entity_linker baseline (0: untrained).
    spacy_el_max_seconds (float): Time budget of that training.
    output_dir (Union[str, Path]): Where the results go.
    command (Optional[str]): The command line to record; sys.argv when None.
    progress (bool): Show progress bars.
    RETURNS (Dict[str, Any]): The results (as written to results.json).
    """
    model_path = Path(model)
    if not model_path.is_dir():
        raise ValueError(Errors.E351.format(path=model, found="a file" if model_path.exists() else "nothing"))
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: Dict[str, Any] = {
        "meta": {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "command": command or display_command(sys.argv),
            "model": str(model),
            "dev_data": str(dev_data),
            "train_data": str(train_data),
            "vocabulary": str(vocab_path),
            "machine": machine_info(),
            "versions": package_versions(),
        },
    }
    notes: List[str] = []
    steps = tqdm(total=8, desc="Benchmark", unit="step", disable=not progress)

    # 1. Linker speed first, on a freshly loaded pipeline: its first pass is a cold one.
    steps.set_postfix_str("linker speed")
    nlp = spacy.load(model_path)
    linker_name, linker = find_linker(nlp, str(model))
    dev_documents = read_gold(dev_data, nlp.vocab)
    texts = [document.text for document in dev_documents]
    with nlp.select_pipes(disable=[linker_name]):
        upstream = list(nlp.pipe(texts, batch_size=BATCH_SIZE))
    link = component_linking(linker)
    linker_speed = {"cold": time_linking(link, upstream), "warm": time_linking(link, upstream)}
    steps.update(1)

    # 2. End-to-end speed.
    steps.set_postfix_str("end-to-end speed")
    end_to_end_speed = [time_pipeline(nlp, texts, n_process=n, progress=progress) for n in n_process]
    steps.update(1)

    # 3. Accuracy: everything evaluate_pipeline reports, the string baselines included.
    steps.set_postfix_str("accuracy")
    accuracy = evaluate_pipeline(nlp, dev_data, train_path=train_data, progress=progress)
    accuracy["model"] = str(model)
    notes.extend(accuracy.pop("notes", []))
    results["accuracy"] = accuracy
    results["short_form_ablation"] = ablate_short_form_mentions(nlp, dev_documents, progress=progress)
    steps.update(1)

    # 4. NIL threshold curve of our linker on the gold mentions.
    steps.set_postfix_str("threshold curve")
    gold = ResolvedGold(dev_documents, linker.kb.store.resolve)
    linked = link_gold_spans(nlp, linker_name, linker, gold, 1, progress)
    scored, n_total = _gold_span_scores(gold, linked.records)
    points = threshold_curve(scored, n_total)
    # The precision-recall plot uses every distinct score (not kept in results.json).
    pr_points = threshold_curve(scored, n_total, sorted({score for score, _ in scored}))
    results["threshold_curve"] = {
        "configured_threshold": linker.cfg.get("threshold"),
        "temperature": linker.cfg.get("temperature"),
        "n_mentions": n_total,
        "n_with_candidates": len(scored),
        "at": {str(t): _point_at(points, t) for t in TABLE_THRESHOLDS},
        "points": points,
    }
    steps.update(1)

    # 5. Baselines: string baselines' speed; spaCy's entity_linker over the same KB.
    steps.set_postfix_str("baselines")
    train_documents = read_gold(train_data, nlp.vocab)
    string_speeds = time_string_baselines(dev_documents, train_documents, linker.kb.store)
    baselines: Dict[str, Any] = {}
    for name, speed in string_speeds.items():
        baselines[name] = {**(accuracy.get("baselines") or {}).get(name, {}), "speed": speed}
    kb_path = model_path / linker_name / "kb"
    if not kb_path.is_dir():
        raise ValueError(Errors.E353.format(name=linker_name, path=model, kb_path=kb_path))
    baselines["spacy_entity_linker"] = benchmark_spacy_entity_linker(
        model_path, kb_path, linker.kb.entity_vector_length, dev_documents, train_data,
        linker.kb.store.resolve, max_steps=spacy_el_steps, max_seconds=spacy_el_max_seconds,
        progress=progress,
    )
    results["baselines"] = baselines
    steps.update(1)

    # 6. Cost: KB build, load, size on disk.
    steps.set_postfix_str("cost")
    with tempfile.TemporaryDirectory() as tmp_dir:
        kb_build = measure_kb_build(vocab_path, train_pubtator or train_data, Path(tmp_dir) / "kb")
        kb_build["command"] = kb_build["command"].replace(tmp_dir, "TMP")
    results["cost"] = {
        "kb_build": kb_build,
        "load": measure_load(model_path),
        "size": {
            "pipeline_mb": folder_size_mb(model_path),
            "kb_in_pipeline_mb": folder_size_mb(kb_path),
            "wheel_mb": folder_size_mb(wheel) if wheel is not None else None,
            "wheel": str(wheel) if wheel is not None else None,
        },
    }
    results["speed"] = {"end_to_end": end_to_end_speed, "linker": linker_speed}
    steps.update(1)

    # 7. NER seeds (only when asked: each one is a full training run).
    steps.set_postfix_str("seeds")
    seed_config = nlp.config.get("system", {}).get("seed")
    if seeds:
        with tempfile.TemporaryDirectory() as tmp_dir:
            results["seeds"] = benchmark_ner_seeds(
                seeds, ner_config=ner_config, train_path=train_data, dev_path=dev_data,
                dev_documents=dev_documents, work_dir=tmp_dir, max_steps=seed_max_steps,
                vocabulary=vocab_path, progress=progress,
            )
    else:
        results["seeds"] = {"runs": [], "n_seeds": 1, "model_seed": seed_config}
        notes.append(
            f"The NER figures are from one training run (the pipeline's [system] seed = "
            f"{seed_config}); run with --seeds 0,1,2 for their mean and range over seeds."
        )
    steps.update(1)

    # 8. Ratios, notes, files.
    steps.set_postfix_str("writing")
    results["ratios"] = compute_ratios(results)
    notes.extend(method_notes(results))
    results["notes"] = notes
    results["meta"]["benchmark_seconds"] = time.perf_counter() - started
    write_results(results, output_dir, pr_points=pr_points)
    steps.update(1)
    steps.close()
    return results


def _point_at(points: List[Dict[str, float]], threshold: float) -> Dict[str, float]:
    return min(points, key=lambda p: abs(p["threshold"] - threshold))

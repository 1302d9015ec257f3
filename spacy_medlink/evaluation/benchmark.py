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
  KB with its default candidate generator, trained briefly on the training split;
- ratios ours / baseline; precision and recall of linking as the NIL threshold moves;
- optionally, the NER retrained with several seeds (mean and range of its F1).

Everything is written to `results.json`, `results.md` (figures only, never corpus text) and
PNG plots.
"""
import datetime
import importlib.metadata
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import mean, pstdev
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import spacy
import srsly
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import minibatch
from thinc.api import fix_random_seed
from tqdm import tqdm

from ..errors import Errors, Warnings, warn_once
from ..kb.loaders import load_kb_from_disk
from ..training.readers import PubtatorCorpus
from .baselines import BASELINES
from .evaluate import (
    BATCH_SIZE,
    GoldDocument,
    _Gold,
    _gold_layers,
    _link_gold_spans,
    _pipeline_metrics,
    _run_pipeline,
    baseline_train_mentions,
    entity_components,
    evaluate_pipeline,
    find_linker,
    read_gold,
)
from .metrics import candidate_recall, ner_prf, norm_at_gold, resolve_ids
from .plots import plot_accuracy_vs_speed, plot_threshold_curve

RESULTS_JSON = "results.json"
RESULTS_MD = "results.md"
THRESHOLD_PLOT = "threshold_precision_recall.png"
COMPARISON_PLOT = "accuracy_vs_speed.png"
# Thresholds whose precision is tabulated in the results; the curve uses 101 steps of 0.01.
TABLE_THRESHOLDS = (0.3, 0.5, 0.7, 0.9)
CURVE_THRESHOLDS = tuple(round(i / 100, 2) for i in range(101))
# Documents run once before a timed pass (model weights paged in, caches and lazy set-up).
WARMUP_DOCS = 4
# spaCy entity_linker baseline: a brief training run (steps of SPACY_EL_BATCH documents).
SPACY_EL_STEPS = 300
SPACY_EL_MAX_SECONDS = 150.0
SPACY_EL_BATCH = 8
SPACY_EL_NAME = "entity_linker"
SENTENCIZER_NAME = "sentencizer"
# Components of ours that the spaCy entity_linker pipeline leaves out.
OUR_LINKING_FACTORIES = ("medical_entity_linker", "medlink_abbreviations")
NER_CONFIG = Path("configs") / "ner_cnn.cfg"
_OUTPUT_TAIL_LINES = 20
_VERSION_PACKAGES = (
    "python", "spacy", "thinc", "torch", "spacy-medlink", "numpy", "scikit-learn", "matplotlib",
)
_MB = 1024 * 1024


# --- machine and versions ------------------------------------------------------------------
def machine_info() -> Dict[str, Any]:
    """RETURNS (Dict[str, Any]): The machine the figures come from: OS, CPU model, cores
    (all, and available to this process), memory and the load average at the time."""
    info: Dict[str, Any] = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "gpu": "not used (CPU run)",
    }
    try:
        info["memory_gb"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1)
    except (ValueError, OSError, AttributeError):
        info["memory_gb"] = None
    if hasattr(os, "getloadavg"):
        info["load_average_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
    return info


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def package_versions(packages: Sequence[str] = _VERSION_PACKAGES) -> Dict[str, str]:
    """RETURNS (Dict[str, str]): Python's and each package's installed version."""
    versions = {}
    for name in packages:
        if name == "python":
            versions[name] = platform.python_version()
            continue
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


# --- NIL threshold curve -------------------------------------------------------------------
def threshold_curve(
    scored: Iterable[Tuple[float, bool]],
    n_total: int,
    thresholds: Sequence[float] = CURVE_THRESHOLDS,
) -> List[Dict[str, float]]:
    """Precision and recall of linking as the NIL threshold moves. A mention is linked when
    the score of its top candidate is >= the threshold (as the linker decides NIL).

    scored (Iterable[Tuple[float, bool]]): One (top candidate score, top candidate is
        right) pair per mention that has a candidate.
    n_total (int): All mentions scored, including those without a candidate (never linked).
    thresholds (Sequence[float]): The thresholds, ascending.
    RETURNS (List[Dict[str, float]]): Per threshold: "threshold", "precision" (correct /
        linked, percent; 0.0 when nothing is linked), "recall" (correct / n_total, percent),
        "linked" (linked / n_total, percent), "n_linked" and "n_correct".
    """
    pairs = sorted(((float(s), bool(c)) for s, c in scored), key=lambda p: p[0])
    scores = np.asarray([s for s, _ in pairs], dtype="float64")
    correct_suffix = np.concatenate([np.cumsum([c for _, c in pairs][::-1])[::-1], [0]]).astype(int)
    points = []
    for threshold in thresholds:
        first = int(np.searchsorted(scores, threshold, side="left"))  # scores >= threshold
        n_linked = len(pairs) - first
        n_correct = int(correct_suffix[first]) if pairs else 0
        points.append(
            {
                "threshold": float(threshold),
                "precision": 100.0 * n_correct / n_linked if n_linked else 0.0,
                "recall": 100.0 * n_correct / n_total if n_total else 0.0,
                "linked": 100.0 * n_linked / n_total if n_total else 0.0,
                "n_linked": n_linked,
                "n_correct": n_correct,
            }
        )
    return points


def _gold_span_scores(
    gold: _Gold, records: Mapping[Tuple[int, int, int], dict]
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


# --- timing --------------------------------------------------------------------------------
def time_pipeline(
    nlp: Language,
    texts: Sequence[str],
    *,
    n_process: int = 1,
    batch_size: int = BATCH_SIZE,
    warmup: int = WARMUP_DOCS,
    progress: bool = True,
) -> Dict[str, Any]:
    """Time one `nlp.pipe` pass over the texts, after a warm-up on the first few texts (in
    this process; with n_process > 1 the workers' start-up is part of the timed pass).

    nlp (Language): The pipeline.
    texts (Sequence[str]): The texts.
    n_process (int): Processes for nlp.pipe.
    batch_size (int): nlp.pipe batch size.
    warmup (int): Texts run (and not timed) before the pass.
    progress (bool): Show a progress bar.
    RETURNS (Dict[str, Any]): "n_process", "docs", "words" (tokens), "seconds",
        "words_per_second", "docs_per_second".
    """
    for _ in nlp.pipe(texts[:warmup], batch_size=batch_size):
        pass
    n_words = n_docs = 0
    start = time.perf_counter()
    docs = nlp.pipe(texts, batch_size=batch_size, n_process=n_process)
    for doc in tqdm(docs, total=len(texts), desc=f"Pipeline n_process={n_process}", unit="doc",
                    disable=not progress, leave=False):
        n_words += len(doc)
        n_docs += 1
    seconds = time.perf_counter() - start
    return {
        "n_process": n_process,
        "docs": n_docs,
        "words": n_words,
        "seconds": seconds,
        "words_per_second": n_words / seconds if seconds else 0.0,
        "docs_per_second": n_docs / seconds if seconds else 0.0,
    }


def time_linking(
    link: Callable[[List[Doc]], Any], docs: List[Doc], *, batch_size: int = BATCH_SIZE
) -> Dict[str, Any]:
    """Time a linking function over docs whose entities are already set, batch by batch.

    link (Callable[[List[Doc]], Any]): Links one batch (e.g. a component's predict +
        set_annotations).
    docs (List[Doc]): The docs, with doc.ents (and whatever else the linker needs) set.
    batch_size (int): Docs per batch.
    RETURNS (Dict[str, Any]): "mentions" (entities), "docs", "seconds", "mentions_per_second".
    """
    n_mentions = sum(len(doc.ents) for doc in docs)
    start = time.perf_counter()
    for batch in minibatch(docs, batch_size):
        link(list(batch))
    seconds = time.perf_counter() - start
    return {
        "mentions": n_mentions,
        "docs": len(docs),
        "seconds": seconds,
        "mentions_per_second": n_mentions / seconds if seconds else 0.0,
    }


def _component_linking(component: Any) -> Callable[[List[Doc]], None]:
    def link(batch: List[Doc]) -> None:
        component.set_annotations(batch, component.predict(batch))

    return link


# Runs the command and writes its rusage peak RSS to argv[1]. Linux carries a process's peak
# RSS over fork and exec, so a command started straight from the (large) benchmark process
# would report the benchmark's own peak; started from this small process, it reports its own.
_RUSAGE_WRAPPER = """
import os, subprocess, sys
process = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(process.pid, 0)
process.returncode = os.waitstatus_to_exitcode(status)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(process.returncode)
"""


def run_measured(command: Sequence[str], *, step: str) -> Dict[str, Any]:
    """Run a command in a subprocess; measure its wall time and peak resident memory (its
    own rusage from os.wait4, taken in a small wrapper process; see _RUSAGE_WRAPPER).

    command (Sequence[str]): The command line.
    step (str): What the command does, for the error message.
    RETURNS (Dict[str, Any]): "seconds" (the wrapper's start-up, ~20 ms, included),
        "peak_rss_mb" and "output" (stdout + stderr).
    """
    with tempfile.TemporaryDirectory() as tmp_dir, tempfile.TemporaryFile() as log:
        rusage_path = Path(tmp_dir) / "maxrss"
        wrapped = [sys.executable, "-c", _RUSAGE_WRAPPER, str(rusage_path), *map(str, command)]
        start = time.perf_counter()
        returncode = subprocess.call(wrapped, stdout=log, stderr=subprocess.STDOUT)
        seconds = time.perf_counter() - start
        log.seek(0)
        output = log.read().decode("utf8", errors="replace")
        maxrss = int(rusage_path.read_text()) if rusage_path.exists() else 0
    if returncode != 0:
        tail = "\n".join(output.splitlines()[-_OUTPUT_TAIL_LINES:])
        raise RuntimeError(
            Errors.E352.format(step=step, command=" ".join(map(str, command)), code=returncode, output=tail)
        )
    return {"seconds": seconds, "peak_rss_mb": _maxrss_mb(maxrss), "output": output}


def _maxrss_mb(ru_maxrss: int) -> float:
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    return ru_maxrss / _MB if sys.platform == "darwin" else ru_maxrss / 1024


def folder_size_mb(path: Union[str, Path]) -> float:
    """RETURNS (float): Size on disk of a file, or of every file under a folder, in MB."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size / _MB
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / _MB


def measure_kb_build(
    vocab_path: Union[str, Path], corpus_path: Optional[Union[str, Path]], output_dir: Union[str, Path]
) -> Dict[str, Any]:
    """Build the KB with `python -m spacy_medlink build-kb` in a subprocess.

    vocab_path (Union[str, Path]): The vocabulary.
    corpus_path (Optional[Union[str, Path]]): Training corpus for the extra aliases and the
        corpus-only concepts (as the project's build-kb step).
    output_dir (Union[str, Path]): Where the KB is written.
    RETURNS (Dict[str, Any]): "seconds" (wall, Python start-up included), "peak_rss_mb",
        "size_mb" of the KB folder and the "command".
    """
    command = [sys.executable, "-m", "spacy_medlink", "build-kb", str(vocab_path), str(output_dir)]
    if corpus_path is not None:
        command += ["--corpus", str(corpus_path), "--corpus-concepts"]
    measured = run_measured(command, step="build-kb")
    return {
        "seconds": measured["seconds"],
        "peak_rss_mb": measured["peak_rss_mb"],
        "size_mb": folder_size_mb(output_dir),
        "command": _display_command(command),
    }


_LOAD_SCRIPT = """
import json, resource, sys, time
start = time.perf_counter()
import spacy
imported = time.perf_counter()
nlp = spacy.load(sys.argv[1])
loaded = time.perf_counter()
rss = None
try:
    with open("/proc/self/statm") as statm:
        rss = int(statm.read().split()[1]) * resource.getpagesize()
except OSError:
    pass
json.dump({"import_seconds": imported - start, "load_seconds": loaded - imported,
           "rss_bytes": rss, "pipe_names": nlp.pipe_names}, open(sys.argv[2], "w"))
"""


def measure_load(model_path: Union[str, Path]) -> Dict[str, Any]:
    """Load the pipeline with `spacy.load` in a fresh Python process, timed inside it.

    model_path (Union[str, Path]): The pipeline folder.
    RETURNS (Dict[str, Any]): "load_seconds" (spacy.load only), "import_seconds" (import
        spacy), "peak_rss_mb" and "rss_after_load_mb" of that process, "pipe_names".
    """
    with tempfile.TemporaryDirectory() as tmp_dir:
        out_path = Path(tmp_dir) / "load.json"
        measured = run_measured([sys.executable, "-c", _LOAD_SCRIPT, str(model_path), str(out_path)], step="spacy.load")
        data = srsly.read_json(out_path)
    return {
        "load_seconds": data["load_seconds"],
        "import_seconds": data["import_seconds"],
        "peak_rss_mb": measured["peak_rss_mb"],
        "rss_after_load_mb": data["rss_bytes"] / _MB if data["rss_bytes"] else None,
        "pipe_names": data["pipe_names"],
    }


# --- the string baselines' speed -----------------------------------------------------------
def time_string_baselines(
    documents: Sequence[GoldDocument], train_documents: Iterable[GoldDocument], store: Any, *, k: int = 10
) -> Dict[str, Dict[str, float]]:
    """Fit each baseline of baselines.py and time its ranking of every gold mention (first
    pass; the accuracy comes from `evaluate_baselines`).

    documents (Sequence[GoldDocument]): The evaluation corpus.
    train_documents (Iterable[GoldDocument]): The training corpus (dictionary mentions).
    store (ConceptStore): The concepts and the id resolver.
    k (int): Concepts ranked per mention.
    RETURNS (Dict[str, Dict[str, float]]): Per baseline: "fit_seconds", "mentions",
        "seconds", "mentions_per_second".
    """
    train_pairs, _ = baseline_train_mentions(train_documents, store.resolve)
    queries = [(m.text, d.text) for d in documents for m in d.mentions]
    speeds = {}
    for name, baseline_cls in BASELINES.items():
        start = time.perf_counter()
        baseline = baseline_cls().fit(store, train_pairs)
        fitted = time.perf_counter()
        baseline.rank_many(queries, k)
        seconds = time.perf_counter() - fitted
        speeds[name] = {
            "fit_seconds": fitted - start,
            "mentions": len(queries),
            "seconds": seconds,
            "mentions_per_second": len(queries) / seconds if seconds else 0.0,
        }
    return speeds


# --- spaCy's built-in entity_linker over the same KB ----------------------------------------
def build_spacy_entity_linker(
    model_path: Union[str, Path], kb_path: Union[str, Path], entity_vector_length: int
) -> Language:
    """Our NER (the pipeline without our abbreviation and linking components) + a
    sentencizer (spaCy's linker needs sentences) + spaCy's `entity_linker` with its defaults:
    `spacy.CandidateGenerator.v1` (exact lookup of the raw mention text among the KB's
    aliases), priors and context included. The KB is our linker's KB folder, loaded at
    initialize (`spacy-medlink.KBFromDisk.v1`; MedlinkKB is an InMemoryLookupKB).

    model_path (Union[str, Path]): Our pipeline.
    kb_path (Union[str, Path]): The KB folder (our linker's NAME/kb).
    entity_vector_length (int): The KB's entity vector length.
    RETURNS (Language): The pipeline; its entity_linker is not initialized yet.
    """
    config = spacy.util.load_config(Path(model_path) / "config.cfg")
    exclude = [
        name
        for name, component in config["components"].items()
        if component.get("factory") in OUR_LINKING_FACTORIES
    ]
    nlp = spacy.load(model_path, exclude=exclude)
    if not any("token.is_sent_start" in nlp.get_pipe_meta(n).assigns for n in nlp.pipe_names):
        nlp.add_pipe("sentencizer", name=SENTENCIZER_NAME)
    nlp.add_pipe(
        "entity_linker",
        name=SPACY_EL_NAME,
        config={
            "generate_empty_kb": {"@misc": "spacy-medlink.EmptyKB.v1"},
            "entity_vector_length": entity_vector_length,
            "use_gold_ents": True,
            "incl_prior": True,
            "incl_context": True,
        },
    )
    return nlp


def _resolve_reference_ids(doc: Doc, resolve: Callable[[str], Optional[str]]) -> None:
    """Give each gold entity its one KB concept, or no id (composite or unknown ids): spaCy's
    loss compares a mention with its concept's vector, and an id the KB lacks has none."""
    ents = []
    for ent in doc.ents:
        concepts, unresolved = resolve_ids(ent.kb_id_.split("|"), resolve)
        kb_id = next(iter(concepts)) if len(concepts) == 1 and not unresolved else ""
        ents.append(Span(doc, ent.start, ent.end, label=ent.label_, kb_id=kb_id))
    doc.ents = ents


def train_spacy_entity_linker(
    nlp: Language,
    train_path: Union[str, Path],
    kb_path: Union[str, Path],
    resolve: Callable[[str], Optional[str]],
    *,
    max_steps: int = SPACY_EL_STEPS,
    max_seconds: float = SPACY_EL_MAX_SECONDS,
    batch_size: int = SPACY_EL_BATCH,
    seed: int = 0,
    progress: bool = True,
) -> Dict[str, Any]:
    """Initialize spaCy's entity_linker (loading the KB) and train it on the gold mentions of
    the training corpus (use_gold_ents), for max_steps batches or max_seconds, whichever
    comes first. Only the entity_linker is updated.

    nlp (Language): From `build_spacy_entity_linker`.
    train_path (Union[str, Path]): Training corpus (.spacy or PubTator).
    kb_path (Union[str, Path]): The KB folder.
    resolve (Callable[[str], Optional[str]]): Gold id -> KB concept id.
    max_steps (int): Updates (0: initialize only; the model is untrained).
    max_seconds (float): Time budget of the updates.
    batch_size (int): Documents per update.
    seed (int): Random seed.
    progress (bool): Show a progress bar.
    RETURNS (Dict[str, Any]): "steps", "seconds", "final_loss", "train_documents",
        "train_mentions" (with one KB concept) and "train_mentions_with_candidates".
    """
    fix_random_seed(seed)
    linker = nlp.get_pipe(SPACY_EL_NAME)
    examples = list(PubtatorCorpus(train_path)(nlp))
    for example in examples:
        _resolve_reference_ids(example.reference, resolve)
    linker.initialize(lambda: examples, nlp=nlp, kb_loader=load_kb_from_disk(Path(kb_path)))
    mentions = [ent for eg in examples for ent in eg.reference.ents if ent.kb_id_]
    with_candidates = sum(bool(linker.kb.get_alias_candidates(ent.text)) for ent in mentions)
    if with_candidates == 0 and max_steps > 0:
        warn_once(Warnings.W350.format(n_examples=len(examples)))
    optimizer = linker.create_optimizer()
    rng = random.Random(seed)
    steps, losses, last_loss = 0, {}, None
    start = time.perf_counter()
    with tqdm(total=max_steps, desc="Training spaCy entity_linker", unit="step",
              disable=not progress or max_steps <= 0, leave=False) as bar:
        while steps < max_steps and time.perf_counter() - start < max_seconds:
            order = list(examples)
            rng.shuffle(order)
            for batch in minibatch(order, batch_size):
                losses = {}
                linker.update(list(batch), drop=0.1, sgd=optimizer, losses=losses)
                last_loss = losses.get(SPACY_EL_NAME, last_loss)
                steps += 1
                bar.update(1)
                if steps >= max_steps or time.perf_counter() - start >= max_seconds:
                    break
    return {
        "steps": steps,
        "max_steps": max_steps,
        "batch_size": batch_size,
        "seconds": time.perf_counter() - start,
        "final_loss": last_loss,
        "train_documents": len(examples),
        "train_mentions": len(mentions),
        "train_mentions_with_candidates": with_candidates,
    }


def spacy_el_on_gold_spans(nlp: Language, gold: _Gold) -> Dict[str, Any]:
    """Link the gold spans with spaCy's entity_linker (acc@1: it returns one id per mention)
    and check which spans its candidate generator finds the gold concept for.

    nlp (Language): The trained pipeline from `build_spacy_entity_linker`.
    gold (_Gold): The resolved gold mentions.
    RETURNS (Dict[str, Any]): "norm_at_gold" (acc@1 and counts), "candidate_recall" (the
        gold concept among the exact-alias candidates, whatever their number),
        "n_without_candidates" and "speed_on_gold_spans".
    """
    linker = nlp.get_pipe(SPACY_EL_NAME)
    ner_names = set(entity_components(nlp))
    before = [n for n in nlp.pipe_names[: nlp.pipe_names.index(SPACY_EL_NAME)] if n not in ner_names]
    with nlp.select_pipes(enable=before):
        docs = list(nlp.pipe([d.text for d in gold.documents], batch_size=BATCH_SIZE))
    by_doc: Dict[int, list] = {}
    for doc_index, mention, _ in gold.mentions:
        by_doc.setdefault(doc_index, []).append((doc_index, mention))
    layer_docs, layer_keys = [], []
    for doc_index, doc in enumerate(docs):
        layers, _ = _gold_layers(doc, doc_index, by_doc.get(doc_index, []))
        for layer_index, (spans, keys) in enumerate(layers):
            layer_doc = doc if layer_index == 0 else doc.copy()
            layer_doc.ents = [Span(layer_doc, s.start, s.end, label=s.label) for s in spans]
            layer_docs.append(layer_doc)
            layer_keys.append(keys)
    ranked: Dict[Tuple[int, int, int], List[str]] = {}
    candidates: Dict[Tuple[int, int, int], List[str]] = {}
    n_without = 0
    start = time.perf_counter()
    predicted = linker.predict(layer_docs)
    seconds = time.perf_counter() - start
    ents = [(doc, ent) for doc in layer_docs for ent in doc.ents]
    for (doc, ent), keys, kb_id in zip(ents, _keys_per_ent(layer_docs, layer_keys), predicted):
        found = [c.entity_ for c in linker.kb.get_alias_candidates(ent.text)]
        n_without += not found
        for key in keys:
            ranked[key] = [kb_id] if kb_id and kb_id != linker.NIL else []
            candidates[key] = found
    big_k = max([len(c) for c in candidates.values()] + [1])
    recall = candidate_recall(gold.concepts(), candidates, (big_k,))
    return {
        "norm_at_gold": norm_at_gold(gold.concepts(), ranked, (1,)),
        "candidate_recall": {
            "recall_any": recall[f"recall@{big_k}"],
            "n_correct": recall[f"n_correct@{big_k}"],
            "n": recall["n"],
        },
        "n_without_candidates": n_without,
        "speed_on_gold_spans": {
            "mentions": len(ents),
            "seconds": seconds,
            "mentions_per_second": len(ents) / seconds if seconds else 0.0,
        },
    }


def _keys_per_ent(layer_docs: List[Doc], layer_keys: List[dict]) -> Iterable[List[Tuple[int, int, int]]]:
    for doc, keys in zip(layer_docs, layer_keys):
        for ent in doc.ents:
            yield keys.get((ent.start_char, ent.end_char), [])


def benchmark_spacy_entity_linker(
    model_path: Union[str, Path],
    kb_path: Union[str, Path],
    entity_vector_length: int,
    dev_documents: List[GoldDocument],
    train_path: Union[str, Path],
    resolve: Callable[[str], Optional[str]],
    *,
    max_steps: int = SPACY_EL_STEPS,
    max_seconds: float = SPACY_EL_MAX_SECONDS,
    progress: bool = True,
) -> Dict[str, Any]:
    """spaCy's entity_linker with its default exact-alias candidates over our KB, with our
    NER: trained briefly, then scored on the gold spans (norm@gold acc@1) and end to end on
    raw text, and timed on the NER's mentions (cold first pass).

    RETURNS (Dict[str, Any]): "config", "training", "norm_at_gold", "candidate_recall",
        "n_without_candidates", "ner", "end_to_end", "document_concepts", "speed".
    """
    random.seed(0)  # spaCy's linker shuffles tied candidates with the random module
    nlp = build_spacy_entity_linker(model_path, kb_path, entity_vector_length)
    training = train_spacy_entity_linker(
        nlp, train_path, kb_path, resolve, max_steps=max_steps, max_seconds=max_seconds, progress=progress
    )
    linker = nlp.get_pipe(SPACY_EL_NAME)
    gold = _Gold(list(dev_documents), resolve)
    texts = [d.text for d in dev_documents]
    with nlp.select_pipes(disable=[SPACY_EL_NAME]):
        upstream = list(nlp.pipe(texts, batch_size=BATCH_SIZE))
    speed = time_linking(_component_linking(linker), upstream)
    results: Dict[str, Any] = {
        "config": {
            "candidates": "spacy.CandidateGenerator.v1 (exact raw mention text among the KB aliases)",
            "incl_prior": True,
            "incl_context": True,
            "use_gold_ents": True,
            "pipe_names": nlp.pipe_names,
        },
        "training": training,
    }
    results.update(spacy_el_on_gold_spans(nlp, gold))
    output = _run_pipeline(nlp, gold, 1, progress)
    pipeline_metrics = _pipeline_metrics(gold, output)
    results.update({k: pipeline_metrics[k] for k in ("ner", "end_to_end", "document_concepts")})
    results["speed"] = {"linker_cold": speed, "end_to_end": pipeline_metrics["speed"]}
    return results


# --- NER seeds -----------------------------------------------------------------------------
def strict_ner_scores(nlp: Language, documents: List[GoldDocument], *, progress: bool = True) -> Dict[str, Any]:
    """Strict NER P/R/F of a pipeline on gold documents (as `evaluate_pipeline` scores it).

    RETURNS (Dict[str, Any]): {"p", "r", "f", "tp", "fp", "fn"}.
    """
    gold = _Gold(list(documents), lambda concept_id: concept_id)
    output = _run_pipeline(nlp, gold, 1, progress)
    return ner_prf(gold.spans(), set(output.entities)).to_dict()


def benchmark_ner_seeds(
    seeds: Sequence[int],
    *,
    ner_config: Union[str, Path],
    train_path: Union[str, Path],
    dev_path: Union[str, Path],
    dev_documents: List[GoldDocument],
    work_dir: Union[str, Path],
    max_steps: Optional[int] = None,
    progress: bool = True,
) -> Dict[str, Any]:
    """Retrain the NER once per seed (`python -m spacy train NER_CONFIG --system.seed S`)
    and score model-best with strict NER on dev (model-best is chosen on the same dev set,
    as in the project).

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
        "command": _display_command(command).replace(str(work_dir), "TMP") if command else None,
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
            "command": command or _display_command(sys.argv),
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
    link = _component_linking(linker)
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
    steps.update(1)

    # 4. NIL threshold curve of our linker on the gold mentions.
    steps.set_postfix_str("threshold curve")
    gold = _Gold(dev_documents, linker.kb.store.resolve)
    linked = _link_gold_spans(nlp, linker_name, linker, gold, 1, progress)
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
                progress=progress,
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
    notes.extend(_method_notes(results))
    results["notes"] = notes
    results["meta"]["benchmark_seconds"] = time.perf_counter() - started
    write_results(results, output_dir, pr_points=pr_points)
    steps.update(1)
    steps.close()
    return results


def _point_at(points: List[Dict[str, float]], threshold: float) -> Dict[str, float]:
    return min(points, key=lambda p: abs(p["threshold"] - threshold))


def _ratio(ours: Optional[float], theirs: Optional[float]) -> Optional[float]:
    if ours is None or not theirs:
        return None
    return ours / theirs


def compute_ratios(results: Mapping[str, Any]) -> Dict[str, Dict[str, Optional[float]]]:
    """Ours / baseline for accuracy (norm@gold acc@1; end-to-end and document-level F1 where
    the baseline has them) and speed (linking mentions/s, cold first passes).

    results (Mapping[str, Any]): The benchmark results (accuracy, speed and baselines).
    RETURNS (Dict[str, Dict[str, Optional[float]]]): baseline name -> ratio name -> value
        (None when the baseline's figure is 0 or missing).
    """
    accuracy = results["accuracy"]
    ours_acc = accuracy["norm_at_gold"]["acc@1"]
    ours_speed = results["speed"]["linker"]["cold"]["mentions_per_second"]
    ratios = {}
    for name, baseline in results["baselines"].items():
        if name == "spacy_entity_linker":
            ratio = {
                "acc@1": _ratio(ours_acc, baseline["norm_at_gold"]["acc@1"]),
                "end_to_end_f": _ratio((accuracy.get("end_to_end") or {}).get("f"), baseline["end_to_end"]["f"]),
                "document_concepts_f": _ratio(
                    (accuracy.get("document_concepts") or {}).get("f"), baseline["document_concepts"]["f"]
                ),
                "mentions_per_second": _ratio(ours_speed, baseline["speed"]["linker_cold"]["mentions_per_second"]),
            }
        else:
            ratio = {
                "acc@1": _ratio(ours_acc, baseline.get("acc@1")),
                "acc@5": _ratio(accuracy["norm_at_gold"]["acc@5"], baseline.get("acc@5")),
                "mentions_per_second": _ratio(ours_speed, baseline["speed"]["mentions_per_second"]),
            }
        ratios[name] = ratio
    return ratios


def _method_notes(results: Mapping[str, Any]) -> List[str]:
    machine = results["meta"]["machine"]
    el = results["baselines"]["spacy_entity_linker"]
    training = el["training"]
    notes = [
        f"Timings come from this machine ({machine['cpus_available']} CPUs available, load "
        f"average {machine.get('load_average_1_5_15')} at the start); a shared machine makes "
        "them noisy.",
        f"End-to-end words/s: one nlp.pipe pass over the dev texts after a warm-up of "
        f"{WARMUP_DOCS} docs; words = tokens. With n_process > 1 the workers' start-up is in "
        "the timed pass.",
        "Linker mentions/s: the linker alone (predict + set_annotations) on docs the upstream "
        "components (NER, abbreviations) already processed, over the NER's entities. 'cold' "
        "is the first pass of a freshly loaded pipeline (lazy set-up included); 'warm' a "
        "second pass over the same docs. The ratios use the cold passes.",
        "Dictionary/TF-IDF speed: ranking the text of every dev gold mention (strings only, no "
        "tokenization), after fitting (fit time reported separately); first pass.",
        f"spaCy entity_linker: our NER + sentencizer + spaCy's entity_linker over our KB, with "
        f"its default candidate generator, which looks up the raw mention text among the KB's "
        f"aliases; our KB stores normalized aliases (lower case, no punctuation, singular), so "
        f"{el['n_without_candidates']} of {el['speed_on_gold_spans']['mentions']} dev gold "
        f"spans get no candidate (NIL). Trained {training['steps']} steps of "
        f"{training['batch_size']} documents ({training['seconds']:.0f} s; "
        f"{training['train_mentions_with_candidates']} of {training['train_mentions']} "
        "training mentions have a candidate). It returns one id per mention, so only acc@1.",
        "Precision/recall vs NIL threshold: gold mentions with exactly one concept; a mention "
        "is linked when its top candidate's calibrated probability is >= the threshold; "
        "precision = correct / linked, recall = correct / all.",
    ]
    if training["steps"] == 0:
        notes.append("The spaCy entity_linker was not trained (0 steps): untrained context encoder + KB priors.")
    return notes


def _display_command(argv: Sequence[str]) -> str:
    args = [str(a) for a in argv]
    if args and args[0] == sys.executable:
        args[0] = "python"
    if args and args[0].endswith("__main__.py"):
        args[0] = "python -m spacy_medlink"
    return " ".join(args)


# --- output --------------------------------------------------------------------------------
def write_results(
    results: Dict[str, Any],
    output_dir: Union[str, Path],
    *,
    pr_points: Optional[Sequence[Mapping[str, Any]]] = None,
) -> Dict[str, Path]:
    """Write results.json, results.md and the plots.

    results (Dict[str, Any]): The benchmark results.
    output_dir (Union[str, Path]): The folder.
    pr_points (Optional[Sequence[Mapping[str, Any]]]): A finer threshold curve for the
        precision-recall panel (see `plot_threshold_curve`).
    RETURNS (Dict[str, Path]): "json", "markdown" and the plots' paths.
    """
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    curve = results["threshold_curve"]
    paths = {
        "threshold_plot": plot_threshold_curve(
            curve["points"], output_dir / THRESHOLD_PLOT, configured_threshold=curve["configured_threshold"],
            pr_points=pr_points,
        ),
        "comparison_plot": plot_accuracy_vs_speed(_speed_accuracy_points(results), output_dir / COMPARISON_PLOT),
    }
    results["meta"]["files"] = {name: path.name for name, path in paths.items()}
    paths["json"] = output_dir / RESULTS_JSON
    srsly.write_json(paths["json"], results)
    paths["markdown"] = output_dir / RESULTS_MD
    paths["markdown"].write_text(render_markdown(results), encoding="utf8")
    return paths


def _speed_accuracy_points(results: Mapping[str, Any]) -> Dict[str, Dict[str, Optional[float]]]:
    baselines = results["baselines"]
    el = baselines["spacy_entity_linker"]
    return {
        "medical_entity_linker (ours)": {
            "acc@1": results["accuracy"]["norm_at_gold"]["acc@1"],
            "mentions_per_second": results["speed"]["linker"]["cold"]["mentions_per_second"],
        },
        "dictionary": {
            "acc@1": baselines["dictionary"].get("acc@1"),
            "mentions_per_second": baselines["dictionary"]["speed"]["mentions_per_second"],
        },
        "TF-IDF": {
            "acc@1": baselines["tfidf"].get("acc@1"),
            "mentions_per_second": baselines["tfidf"]["speed"]["mentions_per_second"],
        },
        "spaCy entity_linker": {
            "acc@1": el["norm_at_gold"]["acc@1"],
            "mentions_per_second": el["speed"]["linker_cold"]["mentions_per_second"],
        },
    }


def _f(value: Any, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _x(value: Optional[float]) -> str:
    if value is None:
        return "n/a"
    # Two significant digits below 0.1 (a 500x slower system is 0.0020x, not 0.00x).
    return f"{value:.2f}×" if value >= 0.1 else f"{value:.2g}×"


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]], aligns: Optional[str] = None) -> List[str]:
    """A Markdown table. aligns: one "l" or "r" per column; by default the first column is
    left-aligned and the figures right-aligned."""
    aligns = aligns or "l" + "r" * (len(header) - 1)
    rules = [" --- " if a == "l" else " ---: " for a in aligns]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rules) + "|"]
    lines.extend("| " + " | ".join(str(cell) for cell in row) + " |" for row in rows)
    return lines + [""]


def render_markdown(results: Mapping[str, Any]) -> str:
    """The results as Markdown tables: figures, settings and notes only (no corpus text).

    results (Mapping[str, Any]): The benchmark results.
    RETURNS (str): The Markdown document.
    """
    meta, accuracy, speed, cost = results["meta"], results["accuracy"], results["speed"], results["cost"]
    baselines, ratios = results["baselines"], results["ratios"]
    el = baselines["spacy_entity_linker"]
    machine, versions = meta["machine"], meta["versions"]
    norm, recall = accuracy["norm_at_gold"], accuracy["candidate_recall"]
    out = [
        "# spacy-medlink benchmark",
        "",
        f"Written by `python -m spacy_medlink benchmark` on {meta['date']}.",
        "",
        f"Command: `{meta['command']}`",
        "",
        f"Model `{meta['model']}` on `{meta['dev_data']}` ({accuracy['n_docs']} documents, "
        f"{accuracy['n_gold_mentions']} gold mentions; {accuracy['gold_ids']['n_unresolved']} of "
        f"{accuracy['gold_ids']['n_gold_ids']} gold ids not in the KB). Training data "
        f"`{meta['train_data']}`; vocabulary `{meta['vocabulary']}`. Scores in percent.",
        "",
        f"Machine: {machine['cpu_model']}, {machine['cpus_available']} of {machine['cpu_count']} "
        f"CPUs available, {_f(machine.get('memory_gb'))} GB RAM, {machine['platform']}; "
        f"{machine['gpu']}. Load average at the start: {machine.get('load_average_1_5_15')}.",
        "",
        "Versions: " + ", ".join(f"{name} {version}" for name, version in versions.items()) + ".",
        "",
        "## Accuracy: ours vs baselines",
        "",
        "Linking on the gold mentions (norm@gold; mentions with exactly one concept):",
        "",
    ]
    rows = [
        ("medical_entity_linker (ours)", _f(norm["acc@1"]), _f(norm["acc@5"]), _f(recall.get("recall@10")),
         _f(speed["linker"]["cold"]["mentions_per_second"], 0), "", "", norm["n"]),
    ]
    for name, label in (("dictionary", "dictionary baseline"), ("tfidf", "TF-IDF baseline")):
        baseline = baselines[name]
        rows.append((label, _f(baseline.get("acc@1")), _f(baseline.get("acc@5")), _f(baseline.get("recall@10")),
                     _f(baseline["speed"]["mentions_per_second"], 0), _x(ratios[name]["acc@1"]),
                     _x(ratios[name]["mentions_per_second"]), baseline.get("n", "n/a")))
    rows.append(("spaCy entity_linker (same KB, exact-alias candidates)", _f(el["norm_at_gold"]["acc@1"]), "n/a",
                 f"{_f(el['candidate_recall']['recall_any'])} (any)",
                 _f(el["speed"]["linker_cold"]["mentions_per_second"], 0), _x(ratios["spacy_entity_linker"]["acc@1"]),
                 _x(ratios["spacy_entity_linker"]["mentions_per_second"]), el["norm_at_gold"]["n"]))
    out += _table(
        ("system", "acc@1", "acc@5", "recall@10", "mentions/s", "ours ÷ baseline, acc@1",
         "ours ÷ baseline, speed", "n"),
        rows,
    )
    out += [
        "Candidate recall@k of our linker: "
        + ", ".join(f"{k} {_f(v)}" for k, v in recall.items() if k.startswith("recall@")) + ".",
        "",
        "End to end on raw text (our NER in both pipelines; strict spans):",
        "",
    ]
    rows = []
    levels = (
        ("NER (strict span)", "ner"),
        ("mention linking", "end_to_end"),
        ("document concepts", "document_concepts"),
    )
    for label, key in levels:
        ours, theirs = accuracy.get(key), el.get(key)
        if ours is None:
            continue
        rows.append((label, _f(ours["p"]), _f(ours["r"]), _f(ours["f"]), _f(theirs["p"]), _f(theirs["r"]),
                     _f(theirs["f"]), _x(_ratio(ours["f"], theirs["f"]))))
    header = ("", "ours P", "ours R", "ours F", "spaCy EL P", "spaCy EL R", "spaCy EL F", "ours ÷ spaCy EL, F")
    out += _table(header, rows)
    ner = accuracy.get("ner")
    if ner and ner.get("recall_by_type"):
        out += ["NER recall per mention type:", ""]
        out += _table(("mention type", "recall", "found", "gold"),
                      [(t, _f(r["r"]), r["tp"], r["n"]) for t, r in ner["recall_by_type"].items()])
    out += [f"Composite mentions (gold spans): {_f(norm.get('multi_concept_acc'))} exactly right "
            f"(n = {norm.get('n_multi_concept')}).", ""]
    out += _seed_section(results["seeds"], ner)
    out += ["## Speed and cost (CPU)", ""]
    out += _table(("measure", "value", "detail"), _speed_and_cost_rows(results), aligns="lrl")
    out += [f"KB build command: `{cost['kb_build']['command']}`", ""]
    curve = results["threshold_curve"]
    out += [
        "## Precision vs recall as the NIL threshold moves",
        "",
        f"Our linker on the {curve['n_mentions']} single-concept gold mentions "
        f"({curve['n_with_candidates']} with a candidate); configured threshold: "
        + (_f(curve["configured_threshold"], 2) if curve["configured_threshold"] is not None
           else "none (every mention with a candidate is linked)")
        + f"; softmax temperature {_f(curve['temperature'], 2)}.",
        "",
    ]
    rows = [
        (t, _f(p["precision"]), _f(p["recall"]), _f(p["linked"]), p["n_linked"])
        for t, p in curve["at"].items()
    ]
    out += _table(("threshold", "precision", "recall", "linked", "n linked"), rows)
    files = meta.get("files", {})
    if "threshold_plot" in files:
        out += [f"![precision and recall vs NIL threshold]({files['threshold_plot']})", ""]
    if "comparison_plot" in files:
        out += [f"![accuracy vs speed]({files['comparison_plot']})", ""]
    out += ["## Notes", ""] + [f"- {note}" for note in results.get("notes", [])] + [""]
    return "\n".join(out)


def _linking_speed_row(label: str, speed: Mapping[str, Any], extra: str = "") -> Tuple[str, str, str]:
    detail = f"{speed['mentions']:,} mentions in {_f(speed['seconds'], 3)} s{extra}"
    return label, f"{_f(speed['mentions_per_second'], 0)} mentions/s", detail


def _speed_and_cost_rows(results: Mapping[str, Any]) -> List[Tuple[str, str, str]]:
    speed, cost, baselines = results["speed"], results["cost"], results["baselines"]
    rows = [
        (
            f"end to end, n_process={s['n_process']}",
            f"{_f(s['words_per_second'], 0)} words/s",
            f"{s['words']:,} words, {s['docs']} docs in {_f(s['seconds'], 2)} s",
        )
        for s in speed["end_to_end"]
    ]
    rows.append(_linking_speed_row("linker alone, cold (first pass)", speed["linker"]["cold"]))
    rows.append(_linking_speed_row("linker alone, warm (second pass)", speed["linker"]["warm"]))
    el_speed = baselines["spacy_entity_linker"]["speed"]["linker_cold"]
    rows.append(_linking_speed_row("spaCy entity_linker alone, cold", el_speed))
    for name in ("dictionary", "tfidf"):
        s = baselines[name]["speed"]
        rows.append(_linking_speed_row(f"{name} baseline", s, f"; fit {_f(s['fit_seconds'], 2)} s"))
    kb_build, load, size = cost["kb_build"], cost["load"], cost["size"]
    wheel = f"{_f(size['wheel_mb'], 1)} MB" if size["wheel_mb"] is not None else "not built"
    rows += [
        (
            "KB build (`build-kb`, subprocess)",
            f"{_f(kb_build['seconds'], 1)} s",
            f"peak RSS {_f(kb_build['peak_rss_mb'], 0)} MB; KB folder {_f(kb_build['size_mb'], 1)} MB",
        ),
        (
            "pipeline load (`spacy.load`, fresh process)",
            f"{_f(load['load_seconds'], 2)} s",
            f"import spacy {_f(load['import_seconds'], 2)} s; peak RSS {_f(load['peak_rss_mb'], 0)} "
            f"MB; RSS after load {_f(load['rss_after_load_mb'], 0)} MB",
        ),
        (
            "package size",
            f"{_f(size['pipeline_mb'], 1)} MB",
            f"pipeline folder (KB {_f(size['kb_in_pipeline_mb'], 1)} MB); wheel {wheel}",
        ),
    ]
    return rows


def _seed_section(seeds: Mapping[str, Any], ner: Optional[Mapping[str, Any]]) -> List[str]:
    if not seeds.get("runs"):
        model_seed = seeds.get("model_seed")
        return [f"NER F1 is from one training run (seed {model_seed}); no seed variance measured.", ""]
    out = [f"NER retrained with {seeds['n_seeds']} seeds (strict F1 on dev): mean {_f(seeds['f_mean'])}, "
           f"range {_f(seeds['f_min'])}-{_f(seeds['f_max'])}, std {_f(seeds['f_std'], 2)}.", ""]
    rows = [
        (r["seed"], _f(r["p"]), _f(r["r"]), _f(r["f"]), _f(r["train_seconds"], 0))
        for r in seeds["runs"]
    ]
    out += _table(("seed", "P", "R", "F", "train s"), rows)
    out += [f"Command per seed: `{seeds['command']}`.", ""]
    return out

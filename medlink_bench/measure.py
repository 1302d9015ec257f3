"""Measurements of one benchmark run: the machine and package versions, timed passes of a
pipeline, a linker and the string baselines, subprocesses' wall time and peak memory, and
the NIL threshold curve."""
import gc
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np
import srsly
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import minibatch
from tqdm import tqdm

from spacy_medlink.errors import Errors
from spacy_medlink.evaluation.baseline_scores import baseline_train_mentions
from spacy_medlink.evaluation.baselines import BASELINES
from spacy_medlink.evaluation.evaluate import BATCH_SIZE
from spacy_medlink.training.gold_corpus import GoldDocument

# The threshold curve uses 101 steps of 0.01.
CURVE_THRESHOLDS = tuple(round(i / 100, 2) for i in range(101))
# Documents run once before a timed pass (model weights paged in, caches and lazy set-up).
WARMUP_DOCS = 4
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


def write_report(output: Path, report: Dict[str, Any]) -> None:
    """Write a benchmark's report as JSON, with the machine and the package versions."""
    report = {**report, "machine": machine_info(), "versions": package_versions()}
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"Wrote {output}")


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
    _settle_garbage()
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
    _settle_garbage()
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


def _settle_garbage() -> None:
    """Run a full garbage collection before a timed pass. The first full collection after
    spacy.load walks every object the load made (~0.25 s for a pipeline with a MEDIC KB), and
    whichever pass happens to trigger it would pay for the load; the pass's own garbage is
    still collected while it runs."""
    gc.collect()


def component_linking(component: Any) -> Callable[[List[Doc]], None]:
    """RETURNS (Callable[[List[Doc]], None]): Links one batch with a component (predict +
    set_annotations), for `time_linking`."""

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
        "command": display_command(command),
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
modules = [name for name in sys.argv[3:] if name in sys.modules]
json.dump({"import_seconds": imported - start, "load_seconds": loaded - imported,
           "rss_bytes": rss, "pipe_names": nlp.pipe_names, "modules": modules}, open(sys.argv[2], "w"))
"""


def measure_load(model_path: Union[str, Path], report_modules: Sequence[str] = ()) -> Dict[str, Any]:
    """Load the pipeline with `spacy.load` in a fresh Python process, timed inside it.

    model_path (Union[str, Path]): The pipeline folder.
    report_modules (Sequence[str]): Module names to look for in sys.modules after the load.
    RETURNS (Dict[str, Any]): "load_seconds" (spacy.load only), "import_seconds" (import
        spacy), "peak_rss_mb" and "rss_after_load_mb" of that process, "pipe_names",
        "modules" (those of report_modules the load imported).
    """
    with tempfile.TemporaryDirectory() as tmp_dir:
        out_path = Path(tmp_dir) / "load.json"
        command = [sys.executable, "-c", _LOAD_SCRIPT, str(model_path), str(out_path), *report_modules]
        measured = run_measured(command, step="spacy.load")
        data = srsly.read_json(out_path)
    return {
        "load_seconds": data["load_seconds"],
        "import_seconds": data["import_seconds"],
        "peak_rss_mb": measured["peak_rss_mb"],
        "rss_after_load_mb": data["rss_bytes"] / _MB if data["rss_bytes"] else None,
        "pipe_names": data["pipe_names"],
        "modules": data["modules"],
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


def display_command(argv: Sequence[str]) -> str:
    """RETURNS (str): The command line as a user would type it ("python", "python -m
    spacy_medlink" for the interpreter and the package's __main__.py)."""
    args = [str(a) for a in argv]
    if args and args[0] == sys.executable:
        args[0] = "python"
    if args and args[0].endswith("__main__.py"):
        args[0] = "python -m spacy_medlink"
    return " ".join(args)

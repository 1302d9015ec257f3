"""`annotate` over the whole unlabeled pool, measured (issue 15). A benchmark, not a test.

    python scripts/annotate_benchmark.py training/medlink ../shared/data/unlabeled/pubmed_sentences.jsonl.gz \
        --work-dir /tmp/annotate_bench --output benchmarks/annotate.json

The pool's 110,143 sentences are grouped into documents of 10 consecutive sentences (the
last one shorter; meta: the first sentence's line and the sentences' sources), about the
length of an abstract. Each run is `python -m spacy_medlink annotate` in a fresh process on
text it has not seen: 1 and 2 local processes, Ray with 2 workers, and a run killed (SIGKILL)
at about half of its shards and restarted with --resume. Peak RSS per worker is sampled every
0.2 s over the run's process tree (local) or the Ray actors' processes. Outputs are compared
by the sha256 of their sorted records.
"""
import argparse
import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional

import psutil

SENTENCES_PER_DOC = 10
SHARD_SIZE = 500


def build_documents(pool: Path, out: Path) -> Dict:
    docs, texts, sources, first = [], [], [], 1
    with gzip.open(pool, "rt", encoding="utf8") as file_:
        for line_no, line in enumerate(file_, start=1):
            record = json.loads(line)
            if not texts:
                first = line_no
            texts.append(record["text"])
            sources.append((record.get("meta") or {}).get("source", ""))
            if len(texts) == SENTENCES_PER_DOC:
                docs.append({"text": " ".join(texts), "meta": {"first_line": first, "sources": sorted(set(sources))}})
                texts, sources = [], []
    if texts:
        docs.append({"text": " ".join(texts), "meta": {"first_line": first, "sources": sorted(set(sources))}})
    with out.open("w", encoding="utf8") as file_:
        for doc in docs:
            file_.write(json.dumps(doc) + "\n")
    return {"n_sentences": line_no, "n_documents": len(docs), "sentences_per_document": SENTENCES_PER_DOC}


class RssSampler(threading.Thread):
    """Peak RSS per process: the run's process tree, plus Ray's PipelineWorker actors."""

    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root, self.peaks, self.names, self.stop = root, {}, {}, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            procs = []
            try:
                parent = psutil.Process(self.root)
                procs = [parent, *parent.children(recursive=True)]
            except psutil.NoSuchProcess:
                pass
            for proc in psutil.process_iter(["cmdline"]):
                if "PipelineWorker" in " ".join(proc.info["cmdline"] or []):
                    procs.append(proc)
            for proc in procs:
                try:
                    rss = proc.memory_info().rss
                    self.peaks[proc.pid] = max(self.peaks.get(proc.pid, 0), rss)
                    self.names[proc.pid] = " ".join(proc.cmdline())[:60]
                except psutil.Error:
                    pass
            time.sleep(0.2)


def records_sha256(path: Path) -> str:
    lines = sorted(path.read_text(encoding="utf8").splitlines())
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def run(model: str, source: Path, out: Path, extra: List[str], kill_at: Optional[float] = None,
        shard_size: int = SHARD_SIZE) -> Dict:
    for stale in (out, out.with_name(out.name + ".summary.json")):
        stale.unlink(missing_ok=True)
    command = [sys.executable, "-m", "spacy_medlink", "annotate", model, str(source), str(out),
               "--shard-size", str(shard_size), *extra]
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    sampler = RssSampler(proc.pid)
    sampler.start()
    killed_at_shards = None
    if kill_at is not None:
        parts = out.with_name(out.name + ".parts")
        n_shards = -(-sum(1 for _ in source.open()) // shard_size)
        while proc.poll() is None:
            done = len(list(parts.glob("shard-*.jsonl"))) if parts.exists() else 0
            if done >= kill_at * n_shards:
                os.killpg(proc.pid, signal.SIGKILL)
                killed_at_shards = (done, n_shards)
                break
            time.sleep(0.2)
    _, stderr = proc.communicate()
    sampler.stop.set()
    sampler.join()
    seconds = time.perf_counter() - started
    if kill_at is None and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{stderr.decode()[-3000:]}")
    result = {"command": " ".join(["python", *command[1:]]), "seconds": round(seconds, 1),
              "peak_rss_mb_per_process": sorted(round(v / 2**20) for v in sampler.peaks.values())}
    if killed_at_shards is not None:
        result["killed_after_shards"] = killed_at_shards
        return result
    summary = json.loads(out.with_name(out.name + ".summary.json").read_text())
    result.update({k: summary[k] for k in ("n_records", "n_annotated", "n_from_earlier_run", "n_bad", "n_entities", "n_linked", "n_words", "words_per_second")})
    result["sha256_sorted_records"] = records_sha256(out)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("pool", type=Path)
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--skip-ray", action="store_true")
    parser.add_argument("--shard-size", type=int, default=SHARD_SIZE)
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    source = args.work_dir / "pool_documents.jsonl"
    results = {"command": " ".join(["python", *sys.argv]), "input": build_documents(args.pool, source),
               "shard_size": args.shard_size, "cpus": os.cpu_count(), "runs": {}}
    runs = results["runs"]
    runs["local_1_process"] = run(args.model, source, args.work_dir / "n1.jsonl", ["-n", "1"], shard_size=args.shard_size)
    runs["local_2_processes"] = run(args.model, source, args.work_dir / "n2.jsonl", ["-n", "2"], shard_size=args.shard_size)
    if not args.skip_ray:
        runs["ray_2_workers"] = run(args.model, source, args.work_dir / "ray.jsonl", ["--backend", "ray", "-n", "2"], shard_size=args.shard_size)
    resumed = args.work_dir / "resumed.jsonl"
    runs["killed_at_half"] = run(args.model, source, resumed, ["-n", "1"], kill_at=0.5, shard_size=args.shard_size)
    runs["resumed"] = run(args.model, source, resumed, ["-n", "1", "--resume"], shard_size=args.shard_size)
    reference = runs["local_1_process"]["sha256_sorted_records"]
    results["identical_to_1_process"] = {
        name: r["sha256_sorted_records"] == reference for name, r in runs.items() if "sha256_sorted_records" in r
    }
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

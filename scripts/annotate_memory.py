"""Peak RSS per process of one `annotate -n N` run (the main process and spaCy's workers), with
its output's hash, for a before/after comparison of memory changes. A benchmark, not a test.

    python scripts/annotate_memory.py training/teacher TEXTS.jsonl --work-dir /tmp/annotate_memory \
        --output benchmarks/annotate_memory_n2.json [--label after]

Run it once per checkout (an older checkout with this file copied in for "before"), with the
same input; runs with other labels already in --output are kept, so the file ends up holding
both. Uses scripts/annotate_benchmark.py's sampler (every 0.2 s over the process tree).
"""
import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from annotate_benchmark import run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model")
    parser.add_argument("input", type=Path, help="JSONL texts to annotate")
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--label", default="after")
    parser.add_argument("--n-process", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    result = run(args.model, args.input, args.work_dir / f"{args.label}.jsonl",
                 ["-n", str(args.n_process), "--batch-size", str(args.batch_size)], shard_size=1000)
    report = json.loads(args.output.read_text()) if args.output.exists() else {"runs": {}}
    report["command"] = ("python scripts/annotate_memory.py MODEL INPUT --work-dir DIR --output OUTPUT --label LABEL "
                         f"--n-process {args.n_process} --batch-size {args.batch_size}")
    report["runs"][args.label] = result
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(args.label, result["peak_rss_mb_per_process"], result["sha256_sorted_records"][:12])


if __name__ == "__main__":
    main()

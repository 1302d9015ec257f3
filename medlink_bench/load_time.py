"""How long `spacy.load` takes in a fresh process, and which heavy packages it imports: the
pipelines given, each loaded `--runs` times (a new Python process each time, timed inside it),
medians reported. Run it with the Python of the environment to measure (spaCy loads the factory
entry points of every installed package, so an environment with spacy-transformers imports
torch and transformers on every load):

    python -m medlink_bench.load_time training/student --runs 7 --output benchmarks/load_time.json
"""
import argparse
import statistics
import sys
from pathlib import Path
from typing import Dict, List

from .measure import measure_load, write_report

# Packages a pipeline of ours should not need to import; reported per load.
HEAVY_MODULES = ("sklearn", "torch", "transformers", "spacy_transformers")


def load_times(model: str, runs: int) -> Dict:
    """RETURNS (Dict): per-run and median seconds of `import spacy` and `spacy.load`."""
    measured: List[Dict] = [measure_load(model, report_modules=HEAVY_MODULES) for _ in range(runs)]
    return {
        "model": model,
        "runs": runs,
        "load_seconds": [round(m["load_seconds"], 3) for m in measured],
        "median_load_seconds": round(statistics.median(m["load_seconds"] for m in measured), 3),
        "median_import_spacy_seconds": round(statistics.median(m["import_seconds"] for m in measured), 3),
        "heavy_modules_imported": measured[-1]["modules"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="+", help="Pipelines to load")
    parser.add_argument("--runs", type=int, default=7, help="Fresh processes per pipeline")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    results = []
    for model in args.models:
        results.append(load_times(model, args.runs))
        row = results[-1]
        print(f"{model}: spacy.load median {row['median_load_seconds']} s over {args.runs} runs "
              f"(import spacy {row['median_import_spacy_seconds']} s); imported: "
              f"{', '.join(row['heavy_modules_imported']) or 'none of ' + ', '.join(HEAVY_MODULES)}", flush=True)
    report = {
        "command": f"{Path(sys.executable).name} -m medlink_bench.load_time {' '.join(args.models)} "
                   f"--runs {args.runs} --output {args.output}",
        "python": sys.executable,
        "results": results,
    }
    write_report(args.output, report)


if __name__ == "__main__":
    main()

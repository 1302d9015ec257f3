"""NER F1 on both dev sets against end-to-end speed, for the pipelines of one speed_unseen run:
a PNG for people, a JSON of the points it shows.

    python -m medlink_bench.distill_plot benchmarks/speed_unseen.json \
        --pipeline "student" training/student metrics/student_dev.json metrics/student_second_dev.json \
        --pipeline "teacher" training/pipe_teacher_pooled metrics/teacher_dev.json metrics/teacher_second_dev.json \
        --output benchmarks/distill_speed_accuracy.png

Each --pipeline: a label, the model path as the speed run names it, and `python -m spacy_medlink
evaluate` outputs on NCBI dev and BioRED dev.
"""
import argparse
import json
from pathlib import Path
from typing import Dict, List, Sequence

from .plots import plot_recognition_vs_speed

CORPORA = ("NCBI dev", "BioRED dev")


def points(speed_report: Dict, pipelines: Sequence[Sequence[str]]) -> Dict[str, Dict[str, float]]:
    """RETURNS (Dict[str, Dict[str, float]]): label -> words/s and NER F1 per corpus."""
    speed_of = {row["model"]: row["end_to_end"]["words_per_second"] for row in speed_report["results"]}
    found = {}
    for label, model, *metric_paths in pipelines:
        if model not in speed_of:
            raise SystemExit(f"{model} is not in the speed report (it has {sorted(speed_of)})")
        values = {"words_per_second": round(speed_of[model])}
        for corpus, metric_path in zip(CORPORA, metric_paths):
            values[corpus] = round(json.loads(Path(metric_path).read_text())["ner"]["f"], 2)
        found[label] = values
    return found


def main(argv: List[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("speed", type=Path, help="A medlink_bench.speed_unseen report")
    parser.add_argument("--pipeline", nargs=4, action="append", required=True,
                        metavar=("LABEL", "MODEL", "DEV_METRICS", "SECOND_DEV_METRICS"))
    parser.add_argument("--output", type=Path, required=True, help="The PNG (a .json beside it)")
    args = parser.parse_args(argv)
    found = points(json.loads(args.speed.read_text()), args.pipeline)
    plot_recognition_vs_speed(found, args.output, corpora=CORPORA)
    args.output.with_suffix(".json").write_text(json.dumps({"speed_report": str(args.speed), "points": found}, indent=2) + "\n")
    print(json.dumps(found, indent=2))


if __name__ == "__main__":
    main()

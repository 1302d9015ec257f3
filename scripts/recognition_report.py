"""NCBI dev and the second corpus's dev side by side: the pipeline against the end-to-end
dictionary baseline of the same `evaluate` runs, and the NER of each self-training round.

    python scripts/recognition_report.py metrics/dev.json metrics/second_dev.json \
        --rounds training/self_train/rounds.json --finetune-steps 500 --output benchmarks/recognition.md

Reads only files the workflow wrote; writes a Markdown table (and prints it).
"""
import argparse
import json
from pathlib import Path


def _prf(section) -> str:
    return f"{section['p']:.1f} / {section['r']:.1f} / **{section['f']:.1f}**"


def pipeline_rows(name: str, metrics: dict) -> list:
    dictionary = (metrics.get("baselines") or {}).get("dictionary_end_to_end")
    rows = [(f"{name}: pipeline", _prf(metrics["ner"]), _prf(metrics["document_concepts"]),
             f"{metrics['norm_at_gold']['acc@1']:.1f}")]
    if dictionary:
        rows.append((f"{name}: dictionary baseline (same run)", _prf(dictionary["ner"]),
                     _prf(dictionary["document_concepts"]), ""))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dev", type=Path)
    parser.add_argument("second_dev", type=Path)
    parser.add_argument("--names", default="dev,second dev", help="Comma-separated names of the two dev sets")
    parser.add_argument("--rounds", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--finetune-steps", type=int, default=0, help="finetune-ner's steps after the last round")
    args = parser.parse_args()
    dev = json.loads(args.dev.read_text())
    second = json.loads(args.second_dev.read_text())
    lines = [
        "| corpus: system | NER P / R / F | document concepts P / R / F | norm@gold acc@1 |",
        "| --- | --- | --- | ---: |",
    ]
    names = [name.strip() for name in args.names.split(",")]
    for name, metrics in zip(names, (dev, second)):
        lines += ["| " + " | ".join(row) + " |" for row in pipeline_rows(name, metrics)]
    if args.rounds is not None and args.rounds.exists():
        rounds = json.loads(args.rounds.read_text())
        if rounds:
            corpora = list(rounds[0]["dev"])
            lines += ["", "| self-training round | " + " | ".join(f"NER F1 {name}" for name in names[:len(corpora)])
                      + " | silver entities (model / model+kb / abbreviation / kb / missing) |",
                      "| --- |" + " ---: |" * len(corpora) + " --- |"]
            for record in rounds:
                counts = record["weak_labels"]["entities_by_source"]
                silver = " / ".join(str(counts[k]) for k in ("model", "model+kb", "abbreviation", "kb", "missing"))
                lines.append(f"| {record['round']} | " + " | ".join(f"{record['dev'][c]['f']:.1f}" for c in corpora)
                             + f" | {silver} |")
    if args.finetune_steps > 0:
        lines += ["", f"The pipeline's NER is the last round's, then {args.finetune_steps} steps on the gold "
                  "training documents alone (`finetune-ner`)."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)


if __name__ == "__main__":
    main()

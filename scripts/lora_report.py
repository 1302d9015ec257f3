"""LoRA against full fine-tuning of the transformer NER (issue 12): trainable parameters and
their share, the size of what each saves for its transformer, dev F1 on both dev sets and
training time, from two trained NER pipelines, their `spacy train` logs (timestamped.py) and
their `spacy_medlink evaluate` metrics.

    python scripts/lora_report.py --lora training/teacher_lora/model-best \
        --full training/teacher_ner/model-best \
        --lora-metrics metrics/teacher_lora_dev.json metrics/teacher_lora_second_dev.json \
        --full-metrics metrics/teacher_ner_dev.json metrics/teacher_ner_second_dev.json \
        --lora-log training/logs/teacher_lora.log --full-log training/logs/teacher_ner.log \
        --output benchmarks/lora.json
"""
import argparse
import json
import sys
from pathlib import Path
from typing import Dict, List, Optional

import spacy

from spacy_medlink.ml.lora import count_parameters

from train_log_summary import summarize


def _transformer(nlp):
    return nlp.get_pipe("transformer").model.layers[0].shims[0]._model


def _folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def describe(model: Path, metrics: List[Path], log: Optional[Path]) -> Dict:
    nlp = spacy.load(model)
    transformer = _transformer(nlp)
    counts = count_parameters(transformer)
    ner_params = _thinc_params(nlp.get_pipe("ner").model)
    row = {
        "model": str(model),
        "transformer_parameters": counts["total"],
        # Without adapters every transformer weight trains (count_parameters counts
        # requires_grad, which a full fine-tune leaves on).
        "trainable_transformer_parameters": counts["trainable"],
        "ner_head_parameters": ner_params,
        "trainable_share": (counts["trainable"] + ner_params) / (counts["total"] + ner_params),
        "transformer_saved_mb": round(_folder_bytes(model / "transformer") / 1e6, 2),
        "pipeline_saved_mb": round(_folder_bytes(model) / 1e6, 2),
        "ner_f1": {},
    }
    for path in metrics:
        data = json.loads(path.read_text())
        row["ner_f1"][str(data["data"])] = round(data["ner"]["f"], 2)  # evaluate writes 0-100
    if log is not None:
        summary = summarize(log.read_text().splitlines())
        row["training"] = summary
    return row


def _thinc_params(model) -> int:
    total = 0
    for node in model.walk():
        for name in node.param_names:
            if node.has_param(name):
                total += node.get_param(name).size
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lora", type=Path, required=True)
    parser.add_argument("--full", type=Path, required=True)
    parser.add_argument("--lora-metrics", type=Path, nargs="+", default=[])
    parser.add_argument("--full-metrics", type=Path, nargs="+", default=[])
    parser.add_argument("--lora-log", type=Path)
    parser.add_argument("--full-log", type=Path)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    report = {
        "command": " ".join(["python", *sys.argv]),
        "lora": describe(args.lora, args.lora_metrics, args.lora_log),
        "full": describe(args.full, args.full_metrics, args.full_log),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

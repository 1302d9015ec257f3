"""Where the linker's time goes on text it has not seen since loading: cProfile over one cold
pass of the linker alone (the components before it already ran), summed per stage.

    python -m medlink_bench.linker_profile training/student ../shared/data/unlabeled/pubmed_sentences.jsonl.gz \
        --docs 200 --output benchmarks/linker_profile.json

Profiling slows Python code more than C code: read the shares, not the seconds.
"""
import argparse
import cProfile
import json
import pstats
from pathlib import Path

from .measure import component_linking, time_linking
from .speed_unseen import BATCH_SIZE, add_pool_arguments, unseen_linker_docs

# Stage -> (file suffix, function[, calling function]) whose cumulative time it is. The stages
# do not overlap; the search runs inside both candidate stages and is reported on its own too.
STAGES = {
    "candidates of the mentions": ("pipeline/mentions.py", "mentions_with_candidates"),
    "candidates of coordinated conjuncts": ("pipeline/mentions.py", "composite_parts"),
    "features": ("pipeline/features.py", "build_batch"),
    "ranker": ("pipeline/ranker_model.py", "score_fused", "_score"),
    "context match": ("pipeline/ranker_model.py", "fuse_evidence"),
    "evidence contributions": ("pipeline/explain.py", "evidence_contributions"),
    "link records": ("pipeline/explain.py", "link_record"),
    "set_annotations": ("pipeline/linker.py", "set_annotations"),
}
SEARCH = ("kb/alias_index.py", "search")
ALL = ("medlink_bench/measure.py", "link")


def cumulative(stats: pstats.Stats, suffix: str, function: str, caller: str = "") -> float:
    """Cumulative seconds of a function (only its calls from `caller`, when given)."""
    total = 0.0
    for (path, _, name), (_, _, _, seconds, callers) in stats.stats.items():
        if path.endswith(suffix) and name == function:
            if caller:
                seconds = sum(row[3] for (_, _, caller_name), row in callers.items() if caller_name == caller)
            total += seconds
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_pool_arguments(parser, docs=200)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    nlp, name, docs = unseen_linker_docs(args.model, args.pool, args.docs, args.offset)
    profiler = cProfile.Profile()
    profiler.enable()
    timing = time_linking(component_linking(nlp.get_pipe(name)), docs, batch_size=BATCH_SIZE)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = cumulative(stats, *ALL)
    shares = {stage: round(100 * cumulative(stats, *where) / total, 1) for stage, where in STAGES.items()}
    shares["other (mentions, decisions, garbage collection)"] = round(100 - sum(shares.values()), 1)
    shares["of all: the n-gram search in both candidate stages"] = round(100 * cumulative(stats, *SEARCH) / total, 1)
    report = {
        "command": f"python -m medlink_bench.linker_profile {args.model} {args.pool} --docs {args.docs} "
                   f"--offset {args.offset} --output {args.output}",
        "mentions": timing["mentions"], "docs": timing["docs"], "profiled_seconds": round(total, 3),
        "percent_of_linker_time": shares,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""How far the linker's cold speed is from what its exact n-gram search allows: the linker
alone on pool documents a freshly loaded pipeline has not seen, a cold pass then a warm one,
with the time spent in the alias index's search (vectorize + sparse top-n product) measured
inside the cold pass. `mentions / search seconds` is the cold speed the linker would reach if
everything but that exact search took no time. Then a second fresh load, on the next slice of
documents, with explanations switched off (n_explanations 0): other text, so compare each
setting's cold and warm passes and ceiling, not the two settings' mentions/s directly.

    OMP_NUM_THREADS=1 python -m medlink_bench.linker_ceiling training/student \
        ../shared/data/unlabeled/pubmed_sentences.jsonl.gz --docs 400 --output benchmarks/linker_ceiling.json
"""
import argparse
import json
import time
from pathlib import Path
from typing import Any, Dict

from .measure import component_linking, time_linking
from .speed_unseen import BATCH_SIZE, SENTENCES_PER_DOC, WARMUP_DOCS, add_pool_arguments, unseen_linker_docs


def passes(model: str, pool: Path, n_docs: int, offset: int, n_explanations: int = -1) -> Dict[str, Any]:
    """A cold and a warm pass of the linker of a freshly loaded pipeline over n_docs unseen
    pool documents, with the search's seconds in the cold pass (n_explanations -1: the
    pipeline's own setting)."""
    nlp, name, docs = unseen_linker_docs(model, pool, n_docs, offset)
    linker = nlp.get_pipe(name)
    if n_explanations >= 0:
        linker.cfg["n_explanations"] = n_explanations
    index = getattr(linker.kb, "alias_index", None)
    if index is None:
        raise SystemExit(f"{model}: the linker's KB has no n-gram alias index to time")
    search, spent = index.search, [0.0]

    def timed_search(*args, **kwargs):
        start = time.perf_counter()
        found = search(*args, **kwargs)
        spent[0] += time.perf_counter() - start
        return found

    index.search = timed_search  # an instance attribute: only this pipeline's index
    link = component_linking(linker)
    try:
        cold = time_linking(link, docs, batch_size=BATCH_SIZE)
        cold_search = spent[0]
        warm = time_linking(link, docs, batch_size=BATCH_SIZE)
    finally:
        del index.search
    return {
        "n_explanations": linker.cfg["n_explanations"],
        "cold": cold,
        "warm": warm,
        "cold_search_seconds": round(cold_search, 4),
        "cold_search_share": round(cold_search / cold["seconds"], 3),
        "cold_ceiling_mentions_per_second": round(cold["mentions"] / cold_search) if cold_search else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_pool_arguments(parser, docs=400)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    report = {
        "command": f"python -m medlink_bench.linker_ceiling {args.model} {args.pool} --docs {args.docs} "
                   f"--offset {args.offset} --output {args.output}",
        "default": passes(args.model, args.pool, args.docs, args.offset),
        # The next slice of the pool (unseen_linker_docs reads WARMUP_DOCS more documents), so
        # this load's cold pass is cold too.
        "without_explanations": passes(args.model, args.pool, args.docs, args.offset + SENTENCES_PER_DOC * (args.docs + WARMUP_DOCS), 0),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""The alias index's n-gram search with and without sparse_dot_topn's `threshold` path, on the
strings the linker searches for pool text it has not seen: same results, time of each.

    python -m medlink_bench.search_kernel training/student ../shared/data/unlabeled/pubmed_sentences.jsonl.gz \
        --output benchmarks/search_threshold.json

The strings are collected by running the pipeline over pool documents (from --offset on) and
recording what the candidate generator searches; each variant then searches all of them,
alternating, --rounds times; the report keeps every round and the fastest of each.
"""
import argparse
import time
from pathlib import Path
from typing import Dict, List

import numpy as np
import spacy
from sparse_dot_topn import sp_matmul_topn

from .measure import write_report
from .speed_unseen import BATCH_SIZE, add_pool_arguments, pool_documents
from spacy_medlink.candidates import char_ngram
from spacy_medlink.pipeline.components import components_of
from spacy_medlink.pipeline.linker import LINKER_FACTORY


def searched_strings(nlp, texts: List[str]) -> List[str]:
    """The distinct strings the linker's candidate generator searches for `texts`."""
    seen: List[str] = []
    original = char_ngram.CharNgramCandidates._search

    def recording(self, kb, table, queries):
        found = original(self, kb, table, queries)
        seen.extend(found[1])
        return found

    char_ngram.CharNgramCandidates._search = recording
    try:
        list(nlp.pipe(texts, batch_size=BATCH_SIZE))
    finally:
        char_ngram.CharNgramCandidates._search = original
    return list(dict.fromkeys(seen))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_pool_arguments(parser, docs=600)
    parser.add_argument("--k", type=int, default=64, help="Aliases per string (the generator's n_aliases)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    nlp = spacy.load(args.model)
    index = nlp.get_pipe(components_of(nlp, LINKER_FACTORY)[0]).kb.alias_index
    strings = searched_strings(nlp, pool_documents(args.pool, args.docs, 10, args.offset))
    vectors = index.vectorize(strings)
    # What search() passes to the kernel: columns renumbered as the transposed matrix's rows.
    gram_rows = index.gram_rows(vectors)
    variants = {"no threshold": {}, "threshold 0.0": {"threshold": 0.0}}
    results = {name: sp_matmul_topn(gram_rows, index._matrix_t, top_n=args.k, n_threads=1, **kwargs)
               for name, kwargs in variants.items()}
    first, second = results.values()
    identical = all(np.array_equal(getattr(first, a), getattr(second, a)) for a in ("indptr", "indices", "data"))
    seconds: Dict[str, List[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, kwargs in variants.items():
            start = time.perf_counter()
            sp_matmul_topn(gram_rows, index._matrix_t, top_n=args.k, n_threads=1, **kwargs)
            seconds[name].append(round(time.perf_counter() - start, 4))
    report = {
        "command": f"python -m medlink_bench.search_kernel {args.model} {args.pool} --docs {args.docs} "
                   f"--offset {args.offset} --k {args.k} --rounds {args.rounds} --output {args.output}",
        "strings": len(strings),
        "postings_per_string": round(float(np.diff(index._matrix_t.indptr)[gram_rows.indices].sum()) / max(1, len(strings))),
        "identical_results": identical,
        "seconds_per_round": seconds,
        "fastest_us_per_string": {name: round(1e6 * min(s) / max(1, len(strings)), 1) for name, s in seconds.items()},
    }
    write_report(args.output, report)
    print(report["fastest_us_per_string"], "identical:", identical)


if __name__ == "__main__":
    main()

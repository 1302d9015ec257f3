"""Could the linker's exact n-gram search skip its common n-grams? On the strings a cold pass
over unseen pool documents searches: how many alias postings the exact search reads, how many
remain when n-grams shared by more than T aliases are left out, and what leaving them out costs.

- exact (MaxScore): search the rare n-grams for the `overfetch` x k best aliases, rescore them
  exactly, and accept when no other alias can still reach the k-th best cosine (its rare-gram
  score plus the most the common n-grams can add). Reported: the share of strings accepted
  (the others would need the full search).
- approximate: keep the k best of the rescored aliases whatever the bound says. Reported: the
  share of the exact top-k (and top-10) it keeps.

    OMP_NUM_THREADS=1 python -m medlink_bench.search_pruning training/medlink \
        ../shared/data/unlabeled/pubmed_sentences.jsonl.gz --docs 600 --output benchmarks/search_pruning.json
"""
import argparse
import json
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import scipy.sparse as sp

from .measure import component_linking, time_linking
from .speed_unseen import BATCH_SIZE, add_pool_arguments, unseen_linker_docs

THRESHOLDS = (1000, 2000, 4000)
OVERFETCH = (1, 2, 4)


def searched_strings(model: str, pool: Path, n_docs: int, offset: int):
    """The alias index and every string its search gets in one cold pass of the linker."""
    nlp, name, docs = unseen_linker_docs(model, pool, n_docs, offset)
    index = nlp.get_pipe(name).kb.alias_index
    search, strings = index.search, []

    def recording_search(queries, k=10):
        strings.extend(queries)
        return search(queries, k)

    index.search = recording_search  # an instance attribute: only this pipeline's index
    try:
        time_linking(component_linking(nlp.get_pipe(name)), docs, batch_size=BATCH_SIZE)
    finally:
        del index.search
    return index, strings


def pruning_report(index, strings: List[str], k: int, thresholds=THRESHOLDS) -> Dict[str, Any]:
    """thresholds: the max_postings values tried (n-grams of more aliases are "common")."""
    grams = index._top_n_products.right  # (n-grams, aliases), what the kernel multiplies by
    postings = np.diff(grams.indptr)
    best_weight = np.zeros(grams.shape[0], dtype=np.float32)  # per n-gram, its largest alias weight
    filled = postings > 0
    best_weight[filled] = np.maximum.reduceat(grams.data, grams.indptr[:-1][filled])
    queries = index.gram_rows(index.vectorize(strings)).tocsr()
    full = (queries @ grams).toarray()
    exact_top = np.argsort(-full, axis=1, kind="stable")[:, :k]
    runs = []
    for threshold in thresholds:
        common = postings[queries.indices] > threshold
        rare = sp.csr_matrix((np.where(common, 0, queries.data), queries.indices.copy(), queries.indptr.copy()), shape=queries.shape)
        rare.eliminate_zeros()  # in place: hence the copies above
        common_bound = np.bincount(np.repeat(np.arange(len(strings)), np.diff(queries.indptr)),
                                   weights=np.where(common, queries.data * best_weight[queries.indices], 0),
                                   minlength=len(strings))
        partial = (rare @ grams).toarray()
        order = np.argsort(-partial, axis=1, kind="stable")
        for overfetch in OVERFETCH:
            n_fetch = overfetch * k
            accepted, kept, kept_10 = 0, [], []
            for i in range(len(strings)):
                fetched = order[i, :n_fetch]
                rescored = fetched[np.argsort(-full[i, fetched], kind="stable")][:k]
                next_partial = partial[i, order[i, n_fetch]] if n_fetch < full.shape[1] else 0.0
                accepted += bool(next_partial + common_bound[i] < full[i, rescored[-1]])
                kept.append(len(set(rescored) & set(exact_top[i])) / k)
                kept_10.append(len(set(rescored[:10]) & set(exact_top[i, :10])) / 10)
            runs.append({
                "max_postings": threshold, "common_ngrams": int((postings > threshold).sum()), "overfetch": overfetch,
                "postings_read_share": round(float(postings[rare.indices].sum() / postings[queries.indices].sum()), 3),
                "exact_accepted_share": round(accepted / len(strings), 3),
                "approximate_top_k_kept": round(float(np.mean(kept)), 3),
                "approximate_top_10_kept": round(float(np.mean(kept_10)), 3),
                "approximate_top_10_kept_worst": round(float(np.min(kept_10)), 2),
            })
    return {"strings": len(strings), "k": k, "postings_read_exact": int(postings[queries.indices].sum()),
            "ngrams": int(grams.shape[0]), "aliases": int(grams.shape[1]), "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_pool_arguments(parser, docs=600)
    parser.add_argument("--k", type=int, default=64, help="Aliases per string (CharNgramCandidates n_aliases)")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    index, strings = searched_strings(args.model, args.pool, args.docs, args.offset)
    report = {
        "command": f"python -m medlink_bench.search_pruning {args.model} {args.pool} --docs {args.docs} "
                   f"--offset {args.offset} --k {args.k} --output {args.output}",
        **pruning_report(index, strings, args.k),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

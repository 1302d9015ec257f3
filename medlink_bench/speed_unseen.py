"""CPU speed of whole pipelines on text none of them has seen since loading (issue 12):
documents of N consecutive sentences of the unlabeled pool, one process, batch 64. For each
pipeline, loaded fresh, three disjoint slices of the documents (so no cache of an earlier
pass flatters a later one):

1. end to end: `nlp.pipe` over every component, words/s;
2. recognition only: every component before the linker (NER, abbreviations, short forms),
   words/s;
3. the linker alone, cold: the NER's entities are set first (linker disabled), then the
   linker's predict + set_annotations is timed, mentions/s.

Each pipeline first runs a few warm-up documents taken from before the slices. The pipelines
are measured one after the other in one run, so the first is the baseline of the others:

    python -m medlink_bench.speed_unseen ../shared/data/unlabeled/pubmed_sentences.jsonl.gz \
        training/student training/medlink training/pipe_teacher_ner \
        --output benchmarks/speed_unseen.json
"""
import argparse
import os
import time
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from .measure import component_linking, time_linking, time_pipeline, write_report
from spacy_medlink.pipeline.components import components_of
from spacy_medlink.pipeline.linker import LINKER_FACTORY
from spacy_medlink.training.unlabeled import read_unlabeled_texts

BATCH_SIZE = 64
WARMUP_DOCS = 8
# Consecutive pool sentences per document (about an abstract's length).
SENTENCES_PER_DOC = 10


def pool_documents(path: Path, n_docs: int, sentences_per_doc: int, offset: int) -> List[str]:
    """Documents of consecutive pool sentences, from sentence `offset` on (file order)."""
    texts, _ = read_unlabeled_texts(path)
    needed = (n_docs + WARMUP_DOCS) * sentences_per_doc
    sentences = texts[offset: offset + needed]
    if len(sentences) < needed:
        raise SystemExit(f"{path} has {len(texts)} texts: {needed} from {offset} are needed")
    return [" ".join(sentences[i: i + sentences_per_doc]) for i in range(0, needed, sentences_per_doc)]


def add_pool_arguments(parser: argparse.ArgumentParser, docs: int) -> None:
    """The arguments of the single-pipeline benchmarks on unseen pool text (linker_cold,
    linker_profile, search_kernel): the pipeline, the pool, how many documents, from where."""
    parser.add_argument("model")
    parser.add_argument("pool", type=Path, help="Unlabeled JSONL(.gz)")
    parser.add_argument("--docs", type=int, default=docs, help=f"Pool documents of {SENTENCES_PER_DOC} sentences")
    parser.add_argument("--offset", type=int, default=100_000, help="First pool sentence used")


def unseen_linker_docs(model: str, pool: Path, n_docs: int, offset: int, warmup: int = 0) -> Tuple[Language, str, List[Doc]]:
    """Load a pipeline and run everything before its linker over pool documents it has not
    seen (the first `warmup` documents are left out).

    RETURNS (Tuple[Language, str, List[Doc]]): the pipeline, its linker's name and the docs,
        entities set, not linked.
    """
    nlp = spacy.load(model)
    name = components_of(nlp, LINKER_FACTORY)[0]
    texts = pool_documents(pool, n_docs, SENTENCES_PER_DOC, offset)[warmup:]
    with nlp.select_pipes(disable=[name]):
        docs = list(nlp.pipe(texts, batch_size=BATCH_SIZE))
    return nlp, name, docs


def measure(model: str, docs: Sequence[str]) -> Dict:
    """Load the pipeline and time the three passes over three disjoint thirds of docs."""
    start = time.perf_counter()
    nlp = spacy.load(model)
    load_s = time.perf_counter() - start
    warmup, rest = docs[:WARMUP_DOCS], docs[WARMUP_DOCS:]
    third = len(rest) // 3
    end_to_end, recognition, linking = rest[:third], rest[third: 2 * third], rest[2 * third:]
    list(nlp.pipe(warmup, batch_size=BATCH_SIZE))
    result = {"model": model, "pipeline": nlp.pipe_names, "load_s": round(load_s, 2)}
    result["end_to_end"] = _words_per_s(nlp, end_to_end)
    linkers = components_of(nlp, LINKER_FACTORY)
    names = nlp.pipe_names
    before_linker = names[: names.index(linkers[0])] if linkers else names
    with nlp.select_pipes(enable=before_linker):
        result["recognition"] = {"components": before_linker, **_words_per_s(nlp, recognition)}
    if linkers:
        result["linker_cold"] = _linker_speed(nlp, linkers[0], linking)
    return result


def _words_per_s(nlp, texts: Sequence[str]) -> Dict:
    # The warm-up ran on other documents (measure): none of these is timed twice.
    return time_pipeline(nlp, texts, batch_size=BATCH_SIZE, warmup=0, progress=False)


def _linker_speed(nlp, name: str, texts: Sequence[str]) -> Dict:
    with nlp.select_pipes(disable=[name]):
        docs = list(nlp.pipe(texts, batch_size=BATCH_SIZE))
    return time_linking(component_linking(nlp.get_pipe(name)), docs, batch_size=BATCH_SIZE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pool", type=Path, help="Unlabeled JSONL(.gz)")
    parser.add_argument("models", nargs="+", help="Pipelines, the baseline first")
    parser.add_argument("--docs", type=int, default=600, help="Documents per pipeline (split in three)")
    parser.add_argument("--sentences-per-doc", type=int, default=SENTENCES_PER_DOC)
    parser.add_argument("--offset", type=int, default=100_000, help="First pool sentence used")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    docs = pool_documents(args.pool, args.docs, args.sentences_per_doc, args.offset)
    results = []
    for model in args.models:
        results.append(measure(model, docs))
        row = results[-1]
        print(f"{model}: end to end {row['end_to_end']['words_per_second']:,.0f} words/s, recognition "
              f"{row['recognition']['words_per_second']:,.0f} words/s, linker cold "
              f"{row.get('linker_cold', {}).get('mentions_per_second', 0):,.0f} mentions/s", flush=True)
    report = {
        "command": "python -m medlink_bench.speed_unseen " + " ".join(
            [str(args.pool), *args.models, "--docs", str(args.docs), "--sentences-per-doc",
             str(args.sentences_per_doc), "--offset", str(args.offset), "--output", str(args.output)]),
        "batch_size": BATCH_SIZE, "n_process": 1,
        "threads": {var: os.environ.get(var) for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")},
        "results": results,
    }
    write_report(args.output, report)


if __name__ == "__main__":
    main()

"""The linker alone, cold, on more text than speed_unseen's third: load a pipeline, set the
entities of pool documents it has not seen with the components before the linker, then time
one pass of the linker's predict + set_annotations (mentions/s). One JSON line per run, so
runs of two code versions (two checkouts) can be alternated and compared:

    python -m medlink_bench.linker_cold training/student ../shared/data/unlabeled/pubmed_sentences.jsonl.gz \
        --docs 600 >> runs.jsonl

`--batch-size 1` times the linker's share of an app calling `nlp(text)` document by document
(its predict + set_annotations on one document per call).
"""
import argparse
import json
from pathlib import Path

import spacy_medlink

from .measure import component_linking, time_linking
from .speed_unseen import BATCH_SIZE, WARMUP_DOCS, add_pool_arguments, unseen_linker_docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_pool_arguments(parser, docs=600)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="Docs per linker call")
    args = parser.parse_args()
    nlp, name, docs = unseen_linker_docs(args.model, args.pool, args.docs, args.offset, warmup=WARMUP_DOCS)
    timed = time_linking(component_linking(nlp.get_pipe(name)), docs, batch_size=args.batch_size)
    print(json.dumps({"model": args.model, "code": str(Path(spacy_medlink.__file__).parent.parent),
                      "docs": args.docs, "offset": args.offset,
                      "batch_size": args.batch_size, **timed}))


if __name__ == "__main__":
    main()

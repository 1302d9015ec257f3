"""Write a teacher NER's state vectors into a silver DocBin, for `medlink_student_ner`.

    python scripts/teacher_vectors.py TEACHER SILVER.spacy OUT.spacy

The student then learns each state's move distribution from the teacher (soft labels) where a
doc carries them, and the usual oracle loss elsewhere:

    python -m spacy train configs/ner_cnn.cfg --paths.train FOLDER_WITH_OUT ... \
        --components.ner.factory medlink_student_ner --components.ner.teacher TEACHER
"""
import argparse
from pathlib import Path

import spacy
from spacy.tokens import DocBin
from wasabi import msg

from spacy_medlink.training.readers import read_docbin
from spacy_medlink.training.teacher_vectors import iter_teacher_vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("teacher", type=Path, help="The teacher pipeline (its `ner` labelled the silver)")
    parser.add_argument("silver", type=Path, help="The silver .spacy DocBin")
    parser.add_argument("output", type=Path, help="The .spacy DocBin to write (with the vectors)")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    teacher = spacy.load(args.teacher)
    silver = read_docbin(args.silver)
    # Streamed: the DocBin holds each doc's arrays and vectors, never all the Doc objects.
    out = DocBin(store_user_data=True)
    n_docs = n_mismatched = 0
    for doc, has_vectors in iter_teacher_vectors(teacher, silver.get_docs(teacher.vocab), batch_size=args.batch_size, total=len(silver)):
        out.add(doc)
        n_docs += 1
        n_mismatched += not has_vectors
    args.output.parent.mkdir(parents=True, exist_ok=True)
    out.to_disk(args.output)
    msg.good(
        f"{n_docs - n_mismatched} of {n_docs} docs carry teacher vectors -> {args.output}"
        + (f"; {n_mismatched} were tokenized differently by the teacher and have none" if n_mismatched else "")
    )


if __name__ == "__main__":
    main()

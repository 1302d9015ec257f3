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
from spacy_medlink.training.teacher_vectors import add_teacher_vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("teacher", type=Path, help="The teacher pipeline (its `ner` labelled the silver)")
    parser.add_argument("silver", type=Path, help="The silver .spacy DocBin")
    parser.add_argument("output", type=Path, help="The .spacy DocBin to write (with the vectors)")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    teacher = spacy.load(args.teacher)
    docs = list(read_docbin(args.silver).get_docs(teacher.vocab))
    n_mismatched = add_teacher_vectors(teacher, docs, batch_size=args.batch_size)
    out = DocBin(store_user_data=True, docs=docs)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    out.to_disk(args.output)
    msg.good(
        f"{len(docs) - n_mismatched} of {len(docs)} docs carry teacher vectors -> {args.output}"
        + (f"; {n_mismatched} were tokenized differently by the teacher and have none" if n_mismatched else "")
    )


if __name__ == "__main__":
    main()

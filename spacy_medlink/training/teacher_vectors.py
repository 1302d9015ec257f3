"""Write a teacher NER's per-token state vectors into training docs (for medlink_student_ner).

The teacher's NER scores a parser state from its tok2vec's output projected to the NER's
hidden width (64 for spaCy's default): saving those rows per token lets a student's update
score any state the way the teacher would, without running the teacher (a transformer) at
every training step. float16 halves the corpus's size; the scores move by ~1e-3.
"""
from typing import Sequence

import numpy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import minibatch
from tqdm import tqdm

from ..errors import Errors
from ..pipeline.student_ner import TEACHER_VECTORS_KEY


def add_teacher_vectors(
    teacher: Language,
    docs: Sequence[Doc],
    *,
    ner_name: str = "ner",
    batch_size: int = 64,
    progress: bool = True,
) -> int:
    """Store the teacher NER's state vectors in each doc's user_data (TEACHER_VECTORS_KEY).

    The teacher's components before its NER run on each doc's text; a doc whose tokens differ
    from the teacher's tokenization of its text is left without vectors (and counted).

    teacher (Language): The teacher pipeline.
    docs (Sequence[Doc]): Training docs (e.g. the silver docs the teacher labelled).
    ner_name (str): The teacher's NER component.
    batch_size (int): Docs per batch.
    progress (bool): Show a progress bar.
    RETURNS (int): The number of docs left without vectors (tokenization differs).
    """
    if ner_name not in teacher.pipe_names:
        raise ValueError(Errors.E301.format(path=teacher.meta.get("name", "teacher"), name=ner_name, found=teacher.pipe_names))
    state_vectors = teacher.get_pipe(ner_name).model.get_ref("tok2vec")
    before = teacher.pipe_names[: teacher.pipe_names.index(ner_name)]
    n_mismatched = 0
    with teacher.select_pipes(enable=before):
        batches = tqdm(
            list(minibatch(docs, batch_size)), desc="Teacher vectors", unit="batch", disable=not progress
        )
        for batch in batches:
            processed = list(teacher.pipe(doc.text for doc in batch))
            vectors = state_vectors.predict(processed)
            start = 0
            for doc, seen in zip(batch, processed):
                rows = vectors[start : start + len(seen)]
                start += len(seen)
                if [t.text for t in doc] != [t.text for t in seen]:
                    n_mismatched += 1
                    continue
                doc.user_data[TEACHER_VECTORS_KEY] = numpy.asarray(rows, dtype=numpy.float16).tobytes()
    return n_mismatched

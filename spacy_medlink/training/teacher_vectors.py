"""Write a teacher NER's per-token state vectors into training docs (for medlink_student_ner).

The teacher's NER scores a parser state from its tok2vec's output projected to the NER's
hidden width (64 for spaCy's default): saving those rows per token lets a student's update
score any state the way the teacher would, without running the teacher (a transformer) at
every training step. float16 halves the corpus's size; the scores move by ~1e-3.
"""
from typing import Iterable, Iterator, Optional, Tuple

import numpy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import minibatch
from tqdm import tqdm

from ..errors import Errors
from ..memory import release_freed_memory
from ..pipeline.student_ner import TEACHER_VECTORS_KEY


def iter_teacher_vectors(
    teacher: Language,
    docs: Iterable[Doc],
    *,
    ner_name: str = "ner",
    batch_size: int = 64,
    progress: bool = True,
    total: Optional[int] = None,
) -> Iterator[Tuple[Doc, bool]]:
    """Each doc with the teacher NER's state vectors in its user_data
    (TEACHER_VECTORS_KEY), one batch at a time, so a corpus streams through: only a batch of
    docs is in memory at once, and the memory the transformer freed is released after each
    batch (memory.py: writing the vectors of 13,119 silver docs peaked at 3.7 GB without it).

    The teacher's components before its NER run on each doc's text; a doc whose tokens differ
    from the teacher's tokenization of its text is yielded without vectors.

    teacher (Language): The teacher pipeline.
    docs (Iterable[Doc]): Training docs (e.g. the silver docs the teacher labelled).
    ner_name (str): The teacher's NER component.
    batch_size (int): Docs per batch.
    progress (bool): Show a progress bar.
    total (Optional[int]): The number of docs, for the progress bar.
    RETURNS (Iterator[Tuple[Doc, bool]]): Each doc, in order, and whether it got vectors.
    """
    if ner_name not in teacher.pipe_names:
        raise ValueError(Errors.E301.format(path=teacher.meta.get("name", "teacher"), name=ner_name, found=teacher.pipe_names))
    # Checked here, not at the first next(): the generator below starts only when read.
    return _teacher_vectors(teacher, docs, ner_name, batch_size, tqdm(
        total=total, desc="Teacher vectors", unit="doc", disable=not progress))


def _teacher_vectors(teacher: Language, docs: Iterable[Doc], ner_name: str, batch_size: int, bar: tqdm) -> Iterator[Tuple[Doc, bool]]:
    state_vectors = teacher.get_pipe(ner_name).model.get_ref("tok2vec")
    before = teacher.pipe_names[: teacher.pipe_names.index(ner_name)]
    try:
        for batch in minibatch(docs, batch_size):
            # Only the components before the NER, and only while this batch runs: the teacher
            # is whole again whenever a doc is yielded.
            with teacher.select_pipes(enable=before):
                processed = list(teacher.pipe(doc.text for doc in batch))
            vectors = state_vectors.predict(processed)
            start = 0
            for doc, seen in zip(batch, processed):
                rows = vectors[start : start + len(seen)]
                start += len(seen)
                same_tokens = [t.text for t in doc] == [t.text for t in seen]
                if same_tokens:
                    doc.user_data[TEACHER_VECTORS_KEY] = numpy.asarray(rows, dtype=numpy.float16).tobytes()
                yield doc, same_tokens
            bar.update(len(batch))
            release_freed_memory()
    finally:
        bar.close()

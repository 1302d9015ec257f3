"""`medlink_student_ner`: spaCy's NER that also learns from a teacher NER's move scores.

spaCy 3 has no distillation API. This component predicts exactly like spaCy's `ner` (same
model, same transition system, same serialization); only `update` differs. A training doc
whose reference carries the teacher's per-token state vectors (written by
`spacy_medlink.training.teacher_vectors`) is taught by the teacher's distribution over the
moves in every state the student visits, as in spaCy v4's `distill`: the teacher's state
vectors plus its own (small) lower layer score any state, so the student can follow its own
guesses. Docs without them (the gold) get spaCy's usual oracle loss in the same batch.

Differences from spaCy's own update, in batches with teacher vectors: whole documents (no
`update_with_oracle_cut_size` cuts), no multitask objectives, and the soft loss compares the
full move distributions (spaCy's log loss also normalizes over every move, valid or not).
"""
from functools import lru_cache
from typing import Callable, Iterable, List, Optional

import numpy
from spacy.language import Language
from spacy.ml.parser_model import ParserStepModel
from spacy.pipeline.ner import DEFAULT_NER_MODEL, EntityRecognizer, ner_score
from spacy.pipeline._parser_internals.ner import BiluoPushDown
from spacy.training import Example, validate_examples
from spacy.util import load_model
from thinc.api import Model, set_dropout_rate

from ..errors import Errors

# Doc.user_data key of the teacher's state vectors (float16 bytes, one row per token).
TEACHER_VECTORS_KEY = "medlink_teacher_tokvecs"


@Language.factory(
    "medlink_student_ner",
    assigns=["doc.ents", "token.ent_iob", "token.ent_type"],
    default_config={
        "model": DEFAULT_NER_MODEL,
        "moves": None,
        "update_with_oracle_cut_size": 100,
        "incorrect_spans_key": None,
        "teacher": "",
        "teacher_weight": 1.0,
        "temperature": 1.0,
        "scorer": {"@scorers": "spacy.ner_scorer.v1"},
    },
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0},
)
def make_student_ner(
    nlp: Language,
    name: str,
    model: Model,
    moves: Optional[BiluoPushDown],
    update_with_oracle_cut_size: int,
    incorrect_spans_key: Optional[str],
    teacher: str,
    teacher_weight: float,
    temperature: float,
    scorer: Optional[Callable],
) -> "StudentEntityRecognizer":
    """Create a StudentEntityRecognizer.

    teacher (str): The teacher pipeline whose `ner` wrote the state vectors of the training
        docs; loaded at the first update that needs it ("" = learn from gold only).
    teacher_weight (float): Share of the teacher's loss on docs with teacher vectors; the
        rest is the usual loss on their (silver) entities.
    temperature (float): Softmax temperature of both distributions.
    """
    return StudentEntityRecognizer(
        nlp.vocab,
        model,
        name,
        moves=moves,
        update_with_oracle_cut_size=update_with_oracle_cut_size,
        incorrect_spans_key=incorrect_spans_key,
        scorer=scorer if scorer is not None else ner_score,
        teacher=teacher,
        teacher_weight=teacher_weight,
        temperature=temperature,
    )


class StudentEntityRecognizer(EntityRecognizer):
    """spaCy's EntityRecognizer with a teacher-student loss for docs with teacher vectors."""

    def __init__(
        self,
        vocab,
        model,
        name="ner",
        moves=None,
        *,
        update_with_oracle_cut_size=100,
        incorrect_spans_key=None,
        scorer=ner_score,
        teacher: str = "",
        teacher_weight: float = 1.0,
        temperature: float = 1.0,
    ):
        super().__init__(
            vocab,
            model,
            name,
            moves,
            update_with_oracle_cut_size=update_with_oracle_cut_size,
            incorrect_spans_key=incorrect_spans_key,
            scorer=scorer,
        )
        self.teacher = teacher
        self.teacher_weight = teacher_weight
        self.temperature = temperature

    def update(self, examples: Iterable[Example], *, drop=0.0, sgd=None, losses=None):
        examples = list(examples)
        if not self.teacher or not any(_teacher_vectors_of(eg) is not None for eg in examples):
            return super().update(examples, drop=drop, sgd=sgd, losses=losses)
        if losses is None:
            losses = {}
        losses.setdefault(self.name, 0.0)
        validate_examples(examples, "StudentEntityRecognizer.update")
        self._ensure_labels_are_added([eg.x for eg in examples] + [eg.y for eg in examples])
        set_dropout_rate(self.model, drop)
        teacher = self._load_teacher()
        # A move the teacher has seen is taught even where no gold shows it (the step model
        # would mask a move still "unseen" and drop its gradient).
        self.model.attrs["unseen_classes"].intersection_update(teacher.attrs["unseen_classes"])
        docs = [eg.predicted for eg in examples]
        # init_gold_batch keeps the docs with annotation and tokens, in order, with the token
        # offsets of the whole batch (the step models index one array of all its tokens).
        states, golds, _ = self.moves.init_gold_batch(examples)
        if not states:
            return losses
        kept = [eg for eg in examples if self.moves.has_gold(eg) and len(eg.predicted)]
        taught = numpy.array([_teacher_vectors_of(eg) is not None for eg in kept])
        model, backprop_tok2vec = self.model.begin_update(docs)
        teacher_steps = self._teacher_step_model(examples, teacher)
        loss = 0.0
        while states:
            scores, backprop = model.begin_update(states)
            d_scores = self._d_scores(states, golds, taught, scores, teacher_steps)
            loss += float((d_scores**2).sum())
            backprop(d_scores)
            # Follow the student's own guess, as spaCy's update does.
            self.transition_states(states, scores)
            alive = [i for i, state in enumerate(states) if not state.is_final()]
            states = [states[i] for i in alive]
            golds = [golds[i] for i in alive]
            taught = taught[alive]
        backprop_tok2vec(golds)
        if sgd not in (None, False):
            self.finish_update(sgd)
        losses[self.name] += loss
        del backprop, backprop_tok2vec
        model.clear_memory()
        teacher_steps.clear_memory()
        return losses

    def _d_scores(self, states, golds, taught, scores, teacher_steps) -> numpy.ndarray:
        """The gradient of one step: spaCy's oracle loss on the gold docs' states (and, with
        weight 1 - teacher_weight, on the taught docs' silver), the teacher's on the taught."""
        d_scores = numpy.zeros(scores.shape, dtype="f")
        hard_weight = 1.0 - self.teacher_weight
        hard_rows = numpy.arange(len(states)) if hard_weight > 0 else numpy.flatnonzero(~taught)
        if len(hard_rows):
            d_hard = self.get_batch_loss(
                [states[i] for i in hard_rows],
                [golds[i] for i in hard_rows],
                numpy.ascontiguousarray(scores[hard_rows]),
                None,
            )
            d_hard[taught[hard_rows]] *= hard_weight
            d_scores[hard_rows] += d_hard
        soft_rows = numpy.flatnonzero(taught)
        if len(soft_rows) and self.teacher_weight > 0:
            teacher_scores, _ = teacher_steps([states[i] for i in soft_rows], is_train=False)
            d_scores[soft_rows] += self.teacher_weight * self._soft_loss(scores[soft_rows], teacher_scores)
        return d_scores

    def _soft_loss(self, student_scores, teacher_scores):
        """Gradient of T^2 * KL(teacher || student) over the moves with respect to the
        student's scores (softmax of both at temperature T)."""
        t = self.temperature
        return t * (_softmax(student_scores / t) - _softmax(teacher_scores / t))

    def _teacher_step_model(self, examples: List[Example], teacher: Model) -> ParserStepModel:
        """The teacher NER's step model over the batch, its token vectors read from the docs
        (zeros for docs without them: their states are never given to it)."""
        lower = teacher.get_ref("lower")
        width = lower.get_dim("nI")
        rows = []
        for eg in examples:
            vectors = _teacher_vectors_of(eg)
            n_tokens = len(eg.predicted)
            if vectors is None:
                rows.append(numpy.zeros((n_tokens, width), dtype="f"))
                continue
            rows.append(decode_teacher_vectors(vectors, n_tokens, width, self.teacher))
        tokvecs = numpy.concatenate(rows) if rows else numpy.zeros((0, width), dtype="f")
        tokvecs = lower.ops.asarray2f(tokvecs)  # a GPU teacher's layer reads its own arrays
        cached = Model("teacher_vectors", lambda model, docs, is_train: (tokvecs, _no_backprop))
        return ParserStepModel(
            [eg.predicted for eg in examples],
            [cached, lower, teacher.get_ref("upper")],
            has_upper=teacher.attrs["has_upper"],
            unseen_classes=teacher.attrs["unseen_classes"],
            train=False,
        )

    def _load_teacher(self) -> Model:
        teacher_ner = _teacher_ner(self.teacher)
        if list(teacher_ner.move_names) != list(self.move_names):
            raise ValueError(
                Errors.E285.format(
                    teacher=self.teacher,
                    teacher_moves=list(teacher_ner.move_names),
                    moves=list(self.move_names),
                )
            )
        return teacher_ner.model


# Outside the component, so that pickling it (nlp.pipe(n_process=...)) never carries a teacher.
@lru_cache(maxsize=2)
def _teacher_ner(path: str):
    return load_model(path).get_pipe("ner")


def decode_teacher_vectors(data: bytes, n_tokens: int, width: int, teacher: str) -> numpy.ndarray:
    """RETURNS (numpy.ndarray): A doc's teacher vectors as (n_tokens, width) float32; raises
    MLE284 if their size does not fit (another teacher, or another tokenization)."""
    vectors = numpy.frombuffer(data, dtype=numpy.float16).astype("f")
    if vectors.size != n_tokens * width:
        raise ValueError(
            Errors.E284.format(n_values=vectors.size, n_tokens=n_tokens, width=width, teacher=teacher)
        )
    return vectors.reshape((n_tokens, width))


def _teacher_vectors_of(example: Example) -> Optional[bytes]:
    return example.reference.user_data.get(TEACHER_VECTORS_KEY)


def _softmax(scores):
    scores = scores - scores.max(axis=1, keepdims=True)
    exp = numpy.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)


def _no_backprop(d_tokvecs):
    return []

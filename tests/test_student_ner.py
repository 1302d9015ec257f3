"""medlink_student_ner: spaCy's NER taught by a teacher NER's move distributions."""
import pickle

import numpy
import pytest
import spacy
from spacy.training import Example
from thinc.api import fix_random_seed

from spacy_medlink.pipeline.student_ner import TEACHER_VECTORS_KEY, StudentEntityRecognizer
from spacy_medlink.training.teacher_vectors import iter_teacher_vectors

TEXTS = [
    ("Patients with cystic fibrosis and asthma were studied .", ["cystic fibrosis", "asthma"]),
    ("Asthma is common in children .", ["Asthma"]),
    ("We sequenced the gene in ten families .", []),
    ("Breast cancer and ovarian cancer share risk genes .", ["Breast cancer", "ovarian cancer"]),
    ("The mutation causes cystic fibrosis .", ["cystic fibrosis"]),
    ("Tumour samples were stored at four degrees .", []),
]
SMALL_MODEL = {
    "@architectures": "spacy.TransitionBasedParser.v2",
    "state_type": "ner",
    "extra_state_tokens": False,
    "hidden_width": 16,
    "maxout_pieces": 2,
    "use_upper": True,
    "tok2vec": {
        "@architectures": "spacy.HashEmbedCNN.v2",
        "pretrained_vectors": None,
        "width": 16,
        "depth": 1,
        "embed_size": 300,
        "window_size": 1,
        "maxout_pieces": 2,
        "subword_features": True,
    },
}


def _examples(nlp, labels=True):
    examples = []
    for text, mentions in TEXTS:
        doc = nlp.make_doc(text)
        spans = [doc.char_span(text.index(m), text.index(m) + len(m), label="DISEASE") for m in mentions]
        reference = doc.copy()
        reference.set_ents(spans if labels else [], default="outside")
        examples.append(Example(nlp.make_doc(text), reference))
    return examples


def _ents(docs):
    return [[(e.start, e.end, e.label_) for e in doc.ents] for doc in docs]


@pytest.fixture(scope="module")
def teacher_path(tmp_path_factory):
    fix_random_seed(0)
    nlp = spacy.blank("en")
    nlp.add_pipe("ner", config={"model": SMALL_MODEL})
    examples = _examples(nlp)
    optimizer = nlp.initialize(lambda: examples)
    optimizer.learn_rate = 0.01
    for _ in range(50):
        nlp.update(examples, sgd=optimizer, drop=0.0)
    path = tmp_path_factory.mktemp("teacher") / "teacher"
    nlp.to_disk(path)
    return path


def _student(teacher_path, **config):
    fix_random_seed(1)
    nlp = spacy.blank("en")
    nlp.add_pipe(
        "medlink_student_ner", name="ner", config={"model": SMALL_MODEL, "teacher": str(teacher_path), **config}
    )
    nlp.initialize(lambda: _examples(nlp))
    return nlp


def _taught_examples(teacher, nlp):
    """Examples whose reference says "no entity" everywhere but carries the teacher's vectors:
    whatever the student learns about entities comes from the teacher."""
    examples = _examples(nlp, labels=False)
    references = [eg.reference for eg in examples]
    assert all(has_vectors for _, has_vectors in iter_teacher_vectors(teacher, references, progress=False))
    return examples


def test_teacher_vectors_score_states_as_the_teacher_does(teacher_path):
    teacher = spacy.load(teacher_path)
    student = _student(teacher_path)
    ner = student.get_pipe("ner")
    examples = _taught_examples(teacher, student)
    width = teacher.get_pipe("ner").model.get_ref("lower").get_dim("nI")
    for eg in examples:
        data = eg.reference.user_data[TEACHER_VECTORS_KEY]
        assert len(data) == len(eg.reference) * width * 2  # float16
    # Follow the teacher's best move from its stored vectors: its own entities come out.
    step = ner._teacher_step_model(examples, ner._load_teacher())
    docs = [eg.predicted for eg in examples]
    states = all_states = ner.moves.init_batch(docs)
    while states:
        scores, _ = step(states, is_train=False)
        states = ner.transition_states(states, numpy.ascontiguousarray(scores))
    ner.set_annotations(docs, all_states)
    expected = _ents(teacher.pipe(text for text, _ in TEXTS))
    assert any(expected)
    assert _ents(docs) == expected


def test_student_learns_the_teachers_entities_from_soft_labels_alone(teacher_path):
    teacher = spacy.load(teacher_path)
    student = _student(teacher_path, teacher_weight=1.0)
    examples = _taught_examples(teacher, student)
    expected = _ents(teacher.pipe(text for text, _ in TEXTS))
    optimizer = student.resume_training()
    losses = {}
    for _ in range(60):
        student.update(examples, sgd=optimizer, drop=0.0, losses=losses)
    assert losses["ner"] > 0
    # The references say "no entity": only the teacher's distributions teach these entities.
    assert _ents(student.pipe(text for text, _ in TEXTS)) == expected


def test_hard_labels_only_teach_no_entities(teacher_path):
    # The control of the test above: the same updates with the teacher's share at 0 follow the
    # references' "no entity".
    teacher = spacy.load(teacher_path)
    student = _student(teacher_path, teacher_weight=0.0)
    examples = _taught_examples(teacher, student)
    optimizer = student.resume_training()
    for _ in range(60):
        student.update(examples, sgd=optimizer, drop=0.0)
    assert not any(_ents(student.pipe(text for text, _ in TEXTS)))


def test_vectors_of_another_width_are_refused(teacher_path):
    student = _student(teacher_path)
    examples = _examples(student)
    for eg in examples:
        eg.reference.user_data[TEACHER_VECTORS_KEY] = numpy.zeros((len(eg.reference), 3), "float16").tobytes()
    with pytest.raises(ValueError, match="MLE284"):
        student.update(examples, sgd=student.resume_training())


def test_a_teacher_with_other_labels_is_refused(teacher_path):
    teacher = spacy.load(teacher_path)
    student = _student(teacher_path)
    student.get_pipe("ner").add_label("CHEMICAL")
    examples = _taught_examples(teacher, student)
    with pytest.raises(ValueError, match="MLE285"):
        student.update(examples, sgd=student.resume_training())


def test_the_student_saves_and_loads_as_a_plain_ner(teacher_path, tmp_path):
    teacher = spacy.load(teacher_path)
    student = _student(teacher_path)
    optimizer = student.resume_training()
    # Docs without teacher vectors take spaCy's own update.
    for _ in range(5):
        student.update(_examples(student), sgd=optimizer)
    student.update(_taught_examples(teacher, student), sgd=optimizer)
    student.to_disk(tmp_path / "student")
    loaded = spacy.load(tmp_path / "student")
    assert isinstance(loaded.get_pipe("ner"), StudentEntityRecognizer)
    assert loaded.get_pipe_meta("ner").factory == "medlink_student_ner"
    texts = [text for text, _ in TEXTS]
    assert _ents(loaded.pipe(texts)) == _ents(student.pipe(texts))
    # Where nlp.pipe(n_process=2) pickles the component (spawn), it comes back as the same
    # predictor, and without the teacher pipeline it trained with.
    ner = student.get_pipe("ner")
    clone = pickle.loads(pickle.dumps(ner))
    assert isinstance(clone, StudentEntityRecognizer) and clone.teacher == ner.teacher
    teacher_weights = teacher.get_pipe("ner").model.get_ref("lower").get_param("W").tobytes()[:256]
    assert teacher_weights not in pickle.dumps(ner)
    docs = [student.make_doc(t) for t in texts]
    assert _ents(clone.pipe(docs)) == _ents(student.pipe(texts))


def test_teacher_scores_follow_each_doc_in_a_mixed_batch(teacher_path):
    # Gold docs without vectors between taught ones: each taught doc's states are scored from
    # its own rows of the batch's token array.
    teacher = spacy.load(teacher_path)
    student = _student(teacher_path)
    ner = student.get_pipe("ner")
    taught = _taught_examples(teacher, student)
    gold = _examples(student)
    mixed = [gold[0], taught[1], gold[2], taught[3], taught[0]]
    alone = [taught[1], taught[3], taught[0]]

    def first_scores(examples, keep):
        step = ner._teacher_step_model(examples, ner._load_teacher())
        states = ner.moves.init_batch([eg.predicted for eg in examples])
        scores, _ = step([states[i] for i in keep], is_train=False)
        return scores

    numpy.testing.assert_allclose(first_scores(mixed, [1, 3, 4]), first_scores(alone, [0, 1, 2]), atol=1e-6)
    optimizer = student.resume_training()
    losses = {}
    student.update(mixed, sgd=optimizer, losses=losses)
    assert losses["ner"] > 0


def test_teacher_vectors_stream_one_batch_at_a_time(teacher_path):
    """iter_teacher_vectors reads its docs lazily (a corpus streams through the script without
    all its Doc objects in memory) and yields each doc with whether it got vectors."""
    teacher = spacy.load(teacher_path)
    nlp = spacy.blank("en")
    made = []

    def docs():
        for text, _ in TEXTS:
            made.append(text)
            yield nlp.make_doc(text)
        # One token where the teacher's tokenizer makes three ("x", "-", "ray").
        yield spacy.tokens.Doc(nlp.vocab, words=["x-ray"], spaces=[False])

    with pytest.raises(ValueError, match="MLE301"):
        iter_teacher_vectors(teacher, docs(), ner_name="missing")  # at the call, not at next()
    found = iter_teacher_vectors(teacher, docs(), batch_size=2, progress=False)
    first, has_vectors = next(found)
    assert has_vectors and TEACHER_VECTORS_KEY in first.user_data
    assert len(made) == 2  # only the first batch was read
    assert teacher.disabled == []  # the teacher is whole while the caller holds a doc
    rest = list(found)
    assert [doc.text for doc, _ in rest] == [text for text, _ in TEXTS[1:]] + ["x-ray"]
    assert [ok for _, ok in rest] == [True] * (len(TEXTS) - 1) + [False]
    assert TEACHER_VECTORS_KEY not in rest[-1][0].user_data

import pickle
from pathlib import Path

import pytest
import spacy
from spacy.tokenizer import Tokenizer

from spacy_medlink.training.convert import blank_pipeline, convert_pubtator
from spacy_medlink.training.readers import PubtatorCorpus

from corpus_folders import write_corpus_folder

TINY = Path(__file__).parent / "data" / "tiny.pubtator.txt"
READER = "spacy-medlink.PubtatorCorpus.v1"


@pytest.fixture(scope="module")
def nlp():
    return blank_pipeline("en")


@pytest.fixture(scope="module")
def tiny_docbin(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "tiny.spacy"
    convert_pubtator(TINY, path)
    return path


def _read(path, nlp, **kwargs):
    import spacy_medlink.training.readers  # noqa: F401  (registers the reader)

    corpus = spacy.registry.readers.get(READER)(path=path, **kwargs)
    return list(corpus(nlp))


@pytest.mark.parametrize("source", ["docbin", "pubtator"])
def test_registered_reader_reads_docbin_and_pubtator(source, nlp, tiny_docbin):
    path = tiny_docbin if source == "docbin" else TINY
    examples = _read(path, nlp)
    assert len(examples) == 2
    reference = examples[1].reference
    assert reference.user_data["medlink_doc_id"] == "222"
    mentions = reference.user_data["medlink_gold_mentions"]
    assert isinstance(mentions, list) and mentions[0]["ids"] == ["OMIM:219700"]
    assert [ent.kb_id_ for ent in reference.ents][:2] == ["OMIM:219700", "MESH:D003550"]
    predicted = examples[1].predicted
    assert predicted.text == reference.text
    assert len(predicted.ents) == 0
    assert [s.start_char for s in predicted.sents] == [s.start_char for s in reference.sents]


def test_gold_ents_in_predicted_copies_labels_not_kb_ids(nlp, tiny_docbin):
    examples = _read(tiny_docbin, nlp, gold_ents_in_predicted=True)
    for example in examples:
        predicted = [(e.start_char, e.end_char, e.label_) for e in example.predicted.ents]
        gold = [(e.start_char, e.end_char, e.label_) for e in example.reference.ents]
        assert predicted == gold
        assert all(ent.kb_id_ == "" for ent in example.predicted.ents)


def test_gold_ents_with_another_tokenizer_are_counted(tiny_docbin):
    # A whitespace tokenizer keeps "(CF)" and "dystrophy." whole: those gold entities cannot
    # be copied to the predicted docs, and the reader says how many were not.
    nlp = spacy.blank("en")
    nlp.tokenizer = Tokenizer(nlp.vocab)
    with pytest.warns(UserWarning, match=r"\[MLW101\]"):
        examples = _read(tiny_docbin, nlp, gold_ents_in_predicted=True)
    n_predicted = sum(len(eg.predicted.ents) for eg in examples)
    assert 0 < n_predicted < sum(len(eg.reference.ents) for eg in examples)


def test_limit_shuffle_and_folder(nlp, tiny_docbin):
    assert len(_read(tiny_docbin, nlp, limit=1)) == 1
    shuffled = _read(tiny_docbin.parent, nlp, shuffle=True)
    assert sorted(eg.reference.user_data["medlink_doc_id"] for eg in shuffled) == ["111", "222"]


def test_corpus_is_picklable(tiny_docbin, nlp):
    corpus = pickle.loads(pickle.dumps(PubtatorCorpus(tiny_docbin, limit=1)))
    assert len(list(corpus(nlp))) == 1


def test_bad_paths_raise_coded_errors(tmp_path, nlp):
    with pytest.raises(ValueError, match=r"\[MLE111\]"):
        _read(tmp_path / "missing.spacy", nlp)
    other = tmp_path / "corpus.json"
    other.write_text("{}")
    with pytest.raises(ValueError, match=r"\[MLE112\]"):
        _read(other, nlp)


@pytest.mark.parametrize("content", [b"", b"not a docbin", b"x\x9c\x01\x02"])
def test_damaged_docbin_is_a_coded_error_naming_the_file(tmp_path, nlp, content):
    # issue 13: spaCy's own E1014 (or a zlib/msgpack error) did not name the file.
    path = tmp_path / "broken.spacy"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"^\[MLE120\]") as err:
        _read(path, nlp)
    assert str(path) in str(err.value)


def test_truncated_docbin_is_a_coded_error(tmp_path, nlp, tiny_docbin):
    path = tmp_path / "truncated.spacy"
    data = tiny_docbin.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"^\[MLE120\]"):
        _read(path, nlp)


def _two_corpora(folder):
    return write_corpus_folder(folder, {
        "big": [("Asthma in adults .", ["Asthma"]), ("Gout in men .", ["Gout"])],
        "small": [("Rickets in children .", ["Rickets"])],
    })


def test_repeat_weighs_one_file_of_a_folder_up(tmp_path):
    nlp = spacy.blank("en")
    corpus = _two_corpora(tmp_path)
    texts = [eg.reference.text for eg in PubtatorCorpus(corpus, repeat={"small": 3})(nlp)]
    assert sorted(texts) == sorted(["Asthma in adults .", "Gout in men ."] + ["Rickets in children ."] * 3)
    # each copy is its own example (its own predicted doc), shuffled with the rest
    examples = list(PubtatorCorpus(corpus, repeat={"small": 2}, shuffle=True)(nlp))
    copies = [eg for eg in examples if eg.reference.text.startswith("Rickets")]
    assert len(copies) == 2 and copies[0].predicted is not copies[1].predicted


@pytest.mark.parametrize("repeat", [{"smal": 2}, {"small": 0}, {"small": 1.5}])
def test_repeat_of_an_unknown_file_or_a_bad_count_is_refused(tmp_path, repeat):
    corpus = _two_corpora(tmp_path)
    with pytest.raises(ValueError, match="MLE124.*big.*small"):
        list(PubtatorCorpus(corpus, repeat=repeat)(spacy.blank("en")))


def test_repeat_knows_the_files_that_limit_leaves_out(tmp_path):
    # limit=1 reads only big.spacy's first document: "small" still names a file of the corpus.
    corpus = _two_corpora(tmp_path)
    texts = [eg.reference.text for eg in PubtatorCorpus(corpus, limit=1, repeat={"small": 2})(spacy.blank("en"))]
    assert texts == ["Asthma in adults ."]

"""spacy-medlink.ChunkedTok2Vec.v1: the same vectors as spaCy's Tok2Vec, predicted a few
thousand tokens at a time; training batches whole."""
import numpy as np
import pytest
import spacy
from spacy.util import registry
from thinc.api import Config

from spacy_medlink.ml.chunked_tok2vec import doc_chunks

TOK2VEC = """
[model]
@architectures = "spacy-medlink.ChunkedTok2Vec.v1"
predict_max_tokens = 12

[model.embed]
@architectures = "spacy.MultiHashEmbed.v2"
width = 16
attrs = ["NORM","PREFIX","SUFFIX","SHAPE"]
rows = [500,200,200,200]
include_static_vectors = false

[model.encode]
@architectures = "spacy.MaxoutWindowEncoder.v2"
width = 16
depth = 2
window_size = 1
maxout_pieces = 3
"""
TEXTS = [
    "Duchenne muscular dystrophy is inherited.",
    "Ataxia-telangiectasia (A-T) is a recessive disorder of the nervous system.",
    "Fever.",
    "Patients with breast cancer and ovarian cancer were seen in the clinic this year.",
]


@pytest.fixture
def model_and_docs():
    nlp = spacy.blank("en")
    docs = [nlp(text) for text in TEXTS]
    model = registry.resolve(Config().from_str(TOK2VEC))["model"]
    model.initialize(X=docs)
    return model, docs


def test_chunks_give_the_vectors_of_the_whole_batch(model_and_docs):
    model, docs = model_and_docs
    assert sum(len(d) for d in docs) > 3 * 12  # several chunks
    chunked = model.predict(docs)
    whole = model.layers[0].predict(docs)  # spaCy's Tok2Vec inside, on the whole batch
    assert [v.shape for v in chunked] == [(len(d), 16) for d in docs]
    for a, b in zip(chunked, whole):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_training_batches_stay_whole_and_learn(model_and_docs):
    model, docs = model_and_docs
    calls = []
    inner = model.layers[0]
    original = inner._func

    def counting(layer, X, is_train):
        calls.append(len(X))
        return original(layer, X, is_train)

    inner._func = counting
    vectors, backprop = model.begin_update(docs)
    assert calls == [len(docs)]
    assert backprop([np.ones_like(v) for v in vectors]) == []  # the embedding takes no gradient input
    model.predict(docs)
    assert len(calls) > 2  # prediction went chunk by chunk


def test_doc_chunks_keep_order_and_bound_tokens():
    nlp = spacy.blank("en")
    docs = [nlp(text) for text in TEXTS]
    chunks = list(doc_chunks(docs, 12))
    assert [doc for chunk in chunks for doc in chunk] == docs
    assert all(sum(len(d) for d in chunk) <= 12 or len(chunk) == 1 for chunk in chunks)
    assert list(doc_chunks([], 12)) == []


def test_negative_chunk_size_is_a_coded_error():
    config = Config().from_str(TOK2VEC)
    config["model"]["predict_max_tokens"] = -1
    with pytest.raises(ValueError, match="MLE276"):
        registry.resolve(config)


def test_the_config_sets_the_chunk_size_of_a_saved_pipeline(tmp_path):
    nlp = spacy.blank("en")
    config = Config().from_str(TOK2VEC)
    nlp.add_pipe("tok2vec", config={"model": config["model"]})
    nlp.initialize()
    nlp.to_disk(tmp_path / "pipeline")
    whole = spacy.load(tmp_path / "pipeline", config={"components": {"tok2vec": {"model": {"predict_max_tokens": 0}}}})
    chunked = spacy.load(tmp_path / "pipeline")
    docs = [whole.make_doc(text) for text in TEXTS]
    calls = []
    for nlp_, expected in ((whole, 1), (chunked, 4)):
        inner = nlp_.get_pipe("tok2vec").model.layers[0]
        original = inner._func
        inner._func = lambda layer, X, is_train, original=original: (calls.append(len(X)), original(layer, X, is_train))[1]
        nlp_.get_pipe("tok2vec").predict(docs)
        assert len(calls) == expected
        calls.clear()

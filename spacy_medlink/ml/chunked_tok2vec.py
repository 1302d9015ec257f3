"""A CNN tok2vec that predicts a batch a few thousand tokens at a time:
`spacy-medlink.ChunkedTok2Vec.v1`.

spaCy's tok2vec embeds and encodes every doc of an `nlp.pipe` batch at once. At 64 abstracts
(~18,000 tokens) its widest arrays (the concatenated embeddings, ~1.3 KB per token) are tens
of megabytes: every layer streams them through main memory instead of the CPU cache, and the
student pipeline spent half its time there. Cut into chunks of `predict_max_tokens` tokens,
the same computation runs from cache (benchmarks in docs/BENCHMARKS.md, "Speed"). The vectors are the
same: each doc is embedded and encoded on its own either way; training batches are left
whole (the gradient needs them).

Same arguments as spacy.Tok2Vec.v2, plus the chunk size:

    [components.tok2vec.model]
    @architectures = "spacy-medlink.ChunkedTok2Vec.v1"
    predict_max_tokens = 2048
    [components.tok2vec.model.embed]
    ...
    [components.tok2vec.model.encode]
    ...
"""
from functools import partial
from typing import Iterator, List

from spacy.ml.models.tok2vec import build_Tok2Vec_model
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Model
from thinc.types import Floats2d

from ..errors import Errors

DEFAULT_PREDICT_MAX_TOKENS = 2048


@registry.architectures("spacy-medlink.ChunkedTok2Vec.v1")
def build_chunked_tok2vec(
    embed: Model[List[Doc], List[Floats2d]],
    encode: Model[List[Floats2d], List[Floats2d]],
    predict_max_tokens: int = DEFAULT_PREDICT_MAX_TOKENS,
) -> Model[List[Doc], List[Floats2d]]:
    """spacy.Tok2Vec.v2 (embed, then encode) that predicts in chunks of docs.

    embed (Model[List[Doc], List[Floats2d]]): Embeds tokens, as in spacy.Tok2Vec.v2.
    encode (Model[List[Floats2d], List[Floats2d]]): Encodes context, as in spacy.Tok2Vec.v2.
    predict_max_tokens (int): Tokens per chunk at prediction time (a longer doc is a chunk of
        its own); 0 predicts the whole batch at once, as spacy.Tok2Vec.v2 does.
    RETURNS (Model[List[Doc], List[Floats2d]]): The tok2vec.
    """
    if predict_max_tokens < 0:
        raise ValueError(Errors.E276.format(value=predict_max_tokens))
    tok2vec = build_Tok2Vec_model(embed, encode)
    # The chunk size is bound into the forward function, not kept in attrs (which thinc saves
    # with the weights): the config decides it at load time, e.g. spacy.load(path,
    # config={"components": {"tok2vec": {"model": {"predict_max_tokens": 0}}}}).
    return Model(
        "chunked_tok2vec",
        partial(_forward, limit=predict_max_tokens),
        init=_init,
        layers=[tok2vec],
        dims={"nO": tok2vec.get_dim("nO") if tok2vec.has_dim("nO") else None},
        # "tok2vec": the inner spacy.Tok2Vec.v2 chain, e.g. for [pretraining] layer.
        refs={"embed": embed, "encode": encode, "tok2vec": tok2vec},
    )


def _forward(model: Model, docs: List[Doc], is_train: bool, *, limit: int):
    tok2vec = model.layers[0]
    if is_train or not limit or sum(len(doc) for doc in docs) <= limit:
        return tok2vec(docs, is_train)
    vectors: List[Floats2d] = []
    for chunk in doc_chunks(docs, limit):
        vectors.extend(tok2vec.predict(chunk))

    def backprop(d_vectors):
        raise ValueError(Errors.E277)

    return vectors, backprop


def _init(model: Model, X=None, Y=None) -> None:
    tok2vec = model.layers[0]
    tok2vec.initialize(X=X, Y=Y)
    if tok2vec.has_dim("nO"):
        model.set_dim("nO", tok2vec.get_dim("nO"))


def doc_chunks(docs: List[Doc], max_tokens: int) -> Iterator[List[Doc]]:
    """Consecutive runs of docs of at most max_tokens tokens (a longer doc alone).

    YIELDS (List[Doc]): The chunks, in order; together they are `docs`.
    """
    chunk: List[Doc] = []
    n_tokens = 0
    for doc in docs:
        if chunk and n_tokens + len(doc) > max_tokens:
            yield chunk
            chunk, n_tokens = [], 0
        chunk.append(doc)
        n_tokens += len(doc)
    if chunk:
        yield chunk

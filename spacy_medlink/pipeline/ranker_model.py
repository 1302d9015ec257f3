"""The linker's thinc model: scores (mention, candidate) pairs from fused evidence.

Two kinds of evidence meet here:
- hand-computed features per pair (string similarity, priors, training counts, coherence,
  category, hierarchy; see features.py), and
- a learned context match: the mention's context window, embedded by a hashed bag of words of
  the linker's own, projected into the KB's entity-vector space and compared with the
  candidate's entity vector. Whatever encoder filled the KB's vectors (names and definitions,
  images, ...), the model learns to map context into that space.
A small MLP combines both into one score per pair; the loss is a softmax over each mention's
candidates (see linker.py).
"""
from dataclasses import dataclass
from typing import Callable, Tuple

import numpy as np
import scipy.sparse as sp
from spacy.util import registry
from thinc.api import Linear, Model, Relu, chain
from thinc.types import Floats1d, Floats2d, Ints1d

from ..kb.string_table import offsets_of


@dataclass
class RankerBatch:
    """Everything the model needs for a batch of mentions and their candidates.

    features (Floats2d): (n_pairs, n_features) evidence per pair.
    entity_vectors (Floats2d): (n_pairs, entity_vector_length) KB vector of each candidate.
    pair_mention (Ints1d): (n_pairs,) index of each pair's mention.
    context_keys (Ints1d): (n_context_tokens,) hashed context words (uint64).
    context_mention (Ints1d): (n_context_tokens,) index of each context token's mention.
    n_mentions (int): number of mentions.
    """

    features: Floats2d
    entity_vectors: Floats2d
    pair_mention: Ints1d
    context_keys: np.ndarray
    context_mention: Ints1d
    n_mentions: int

    @property
    def n_pairs(self) -> int:
        return len(self.pair_mention)


# The ranker's one set of defaults: the linker's default config and configs/linker.cfg use them.
DEFAULT_ENTITY_VECTOR_LENGTH = 64
DEFAULT_HIDDEN_WIDTH = 64
DEFAULT_CONTEXT_BUCKETS = 20000
DEFAULT_DROPOUT = 0.0


@registry.architectures("spacy-medlink.EvidenceRanker.v1")
def build_evidence_ranker(
    n_features: int,
    entity_vector_length: int = DEFAULT_ENTITY_VECTOR_LENGTH,
    hidden_width: int = DEFAULT_HIDDEN_WIDTH,
    n_context_buckets: int = DEFAULT_CONTEXT_BUCKETS,
    dropout: float = DEFAULT_DROPOUT,
) -> Model[RankerBatch, Floats1d]:
    """Score candidate pairs from evidence features and a learned context match.

    n_features (int): number of hand-computed evidence features per pair (features.N_FEATURES).
    entity_vector_length (int): length of the KB's entity vectors.
    hidden_width (int): width of the MLP that fuses the evidence.
    n_context_buckets (int): rows of the hashed context-word embedding table.
    dropout (float): dropout in the MLP.
    RETURNS (Model[RankerBatch, Floats1d]): one score per pair.
    """
    mlp = chain(
        Relu(nO=hidden_width, nI=n_features + 1, dropout=dropout),
        Linear(nO=1, nI=hidden_width),
    )
    return Model(
        "evidence_ranker",
        _forward,
        init=_init,
        layers=[mlp],
        dims={"nF": n_features, "nD": entity_vector_length, "nV": n_context_buckets},
        params={"E": None},
    )


def _init(model: Model, X=None, Y=None) -> Model:
    n_buckets, width = model.get_dim("nV"), model.get_dim("nD")
    # Small random rows so the context match starts near zero but is not symmetric.
    rng = np.random.default_rng(0)
    model.set_param("E", (rng.standard_normal((n_buckets, width)) * 0.01).astype("float32"))
    model.layers[0].initialize()
    return model


def _forward(model: Model, batch: RankerBatch, is_train: bool) -> Tuple[Floats1d, Callable]:
    E = model.get_param("E")
    context, buckets, counts = _mention_context(model, batch)
    fused = _fuse(batch, context)
    scores, backprop_mlp = model.layers[0](fused, is_train)

    def backprop(d_scores: Floats1d) -> RankerBatch:
        d_fused = backprop_mlp(d_scores.reshape((-1, 1)).astype("float32"))
        d_match = d_fused[:, -1]
        d_context = _sum_rows_by_index(d_match[:, None] * batch.entity_vectors, batch.pair_mention, len(context))
        d_context /= counts
        model.inc_grad("E", _sum_rows_by_index(d_context[batch.context_mention], buckets, len(E)))
        return batch

    return scores.reshape((-1,)), backprop


def _mention_context(model: Model, batch: RankerBatch) -> Tuple[Floats2d, np.ndarray, Floats2d]:
    """Mean of the hashed context-word embeddings of each mention.

    RETURNS (Tuple): contexts (n_mentions, width), the embedding rows used, and the context
        sizes (n_mentions, 1) the means were divided by.
    """
    E = model.get_param("E")
    buckets = (batch.context_keys % np.uint64(model.get_dim("nV"))).astype(np.int64)
    counts = np.bincount(batch.context_mention, minlength=batch.n_mentions).astype("float32")
    counts = np.maximum(counts, 1.0)[:, None]
    context = _sum_rows_by_index(E[buckets], batch.context_mention, batch.n_mentions)
    context /= counts
    return context, buckets, counts


def _sum_rows_by_index(rows: Floats2d, index: np.ndarray, n: int) -> Floats2d:
    """RETURNS (Floats2d): (n, width) sums of the rows of each index value, in row order:
    what np.add.at into zeros gives, bit for bit (a 0/1 sparse matrix product adds the rows
    one after the other in their dtype), ~3x faster. Mentions' context rows, and their
    gradients back to the mentions and to the embedding rows."""
    # Built as CSR directly (a stable sort keeps each row's columns in row order), not from
    # (row, column) pairs: scipy's conversion costs ~0.2 ms per call, which is most of the
    # sum for one document's mentions.
    order = np.argsort(index, kind="stable")
    indptr = offsets_of(np.bincount(index, minlength=n))
    indicator = sp.csr_matrix((np.ones(len(index), dtype=rows.dtype), order, indptr), shape=(n, len(index)))
    return np.asarray(indicator @ rows, dtype=rows.dtype)


def _fuse(batch: RankerBatch, context: Floats2d) -> Floats2d:
    """The MLP's input: evidence features plus the context-vs-entity-vector match."""
    context_match = (context[batch.pair_mention] * batch.entity_vectors).sum(axis=1)
    return np.hstack([batch.features, context_match[:, None]]).astype("float32")


def fuse_evidence(model: Model, batch: RankerBatch) -> Floats2d:
    """RETURNS (Floats2d): the fused evidence rows that the MLP scores (see score_fused)."""
    return _fuse(batch, _mention_context(model, batch)[0])


def score_fused(model: Model, fused: Floats2d) -> Floats1d:
    """Score already-fused evidence rows (features + context match), e.g. with some
    evidence neutralized to explain a decision. RETURNS (Floats1d): one score per row.
    Equals model.predict(batch) for fused = fuse_evidence(model, batch)."""
    return model.layers[0].predict(fused.astype("float32")).reshape((-1,))

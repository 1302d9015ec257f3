"""KB evidence as token features: `spacy-medlink.KBFeatures.v1`.

Wraps any token-vector layer (a tok2vec's embedding, or a transformer listener) and adds, for
each token, an embedding of its place in a vocabulary match written by `medlink_kb_mentions`:
(begin, inside, last, unit) x (DISEASE, SYMPTOM), or none. The two are concatenated and mixed
by a maxout layer back to `width`, so the NER learns from context when a KB name is a mention
(NCBI annotates "hypertension" as a disease but not "fever" as one; a gene named like a
syndrome is no mention at all).

    [components.tok2vec.model.embed]
    @architectures = "spacy-medlink.KBFeatures.v1"
    width = 128
    enabled = true      # false: the wrapped layer alone (ablation)
    guidelines = []     # ["ncbi_disease", "biored"]: + an embedding of doc._.medlink_guideline

    [components.tok2vec.model.embed.layer]
    @architectures = "spacy.MultiHashEmbed.v2"
    ...
"""
from typing import List, Sequence

import numpy
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Embed, Maxout, Model, chain, concatenate, with_array
from thinc.types import Floats2d, Ints1d

from ..errors import Errors
from ..kb.alias_matcher import KB_MATCHES_KEY
from ..kb.categories import LABELS as CATEGORIES
from .guideline import get_guideline

# Token positions inside a match (BILU); 0 is "no match".
_POSITIONS = ("B", "I", "L", "U")
N_SYMBOLS = 1 + len(_POSITIONS) * len(CATEGORIES)


@registry.architectures("spacy-medlink.KBFeatures.v1")
def build_kb_features(
    layer: Model[List[Doc], List[Floats2d]],
    width: int,
    kb_width: int = 16,
    spans_key: str = KB_MATCHES_KEY,
    maxout_pieces: int = 3,
    enabled: bool = True,
    guidelines: Sequence[str] = (),
    guideline_width: int = 8,
) -> Model[List[Doc], List[Floats2d]]:
    """Add KB-match features to a token-vector layer.

    layer (Model[List[Doc], List[Floats2d]]): The wrapped layer.
    width (int): Output width (usually the wrapped layer's width).
    kb_width (int): Width of the KB-match embedding.
    spans_key (str): The doc.spans key `medlink_kb_mentions` writes.
    maxout_pieces (int): Pieces of the maxout layer that mixes the two.
    enabled (bool): False returns `layer` unchanged (for ablations).
    guidelines (Sequence[str]): Annotation guidelines (training corpus names) the NER learns
        apart: each token also gets an embedding of its doc's `doc._.medlink_guideline`
        (spacy_medlink/ml/guideline.py). Empty: no guideline input.
    guideline_width (int): Width of the guideline embedding.
    RETURNS (Model[List[Doc], List[Floats2d]]): The layer with KB features.
    """
    if not enabled:
        return layer
    # The mixing layer is complete before any data is seen. spaCy's MultiHashEmbed does not
    # declare its output width: it is `width`, like the layer it replaces.
    layer_width = layer.get_dim("nO") if layer.has_dim("nO") else width
    kb_embed = Embed(nO=kb_width, nV=N_SYMBOLS)
    symbols = kb_match_symbols(spans_key)
    inputs = [layer, chain(symbols, with_array(kb_embed))]
    refs = {"layer": layer, "symbols": symbols, "kb_embed": kb_embed}
    n_inputs = layer_width + kb_width
    if guidelines:
        refs["guideline_embed"] = Embed(nO=guideline_width, nV=1 + len(guidelines))
        inputs.append(chain(guideline_symbols(guidelines), with_array(refs["guideline_embed"])))
        n_inputs += guideline_width
    refs["maxout"] = Maxout(nO=width, nI=n_inputs, nP=maxout_pieces, normalize=True, dropout=0.0)
    mixed = chain(concatenate(*inputs), with_array(refs["maxout"]))
    return Model(
        "kb_features",
        _forward,
        init=_init,
        layers=[mixed],
        refs=refs,
        dims={"nO": width, "kb_width": kb_width},
    )


def _forward(model: Model, docs: List[Doc], is_train: bool):
    return model.layers[0](docs, is_train)


def _init(model: Model, X=None, Y=None) -> None:
    # Only the wrapped layer needs data. spaCy initializes (and then runs) the tok2vec on
    # docs the matcher has not processed: until the first training update, a doc without
    # matches reads as "no match" instead of raising E271.
    model.get_ref("symbols").attrs["strict"] = False
    layer = model.get_ref("layer")
    layer.initialize(X=X)
    model.get_ref("kb_embed").initialize()
    if model.has_ref("guideline_embed"):
        model.get_ref("guideline_embed").initialize()
    model.get_ref("maxout").initialize()


def kb_match_symbols(spans_key: str) -> Model[List[Doc], List[Ints1d]]:
    """A layer that maps each token to its KB-match symbol (see N_SYMBOLS).

    spans_key (str): The doc.spans key of the matches.
    RETURNS (Model[List[Doc], List[Ints1d]]): The layer (no weights, no gradient).
    """
    return Model("kb_match_symbols", _symbols_forward, attrs={"spans_key": spans_key, "strict": True})


def token_symbols(doc: Doc, spans_key: str, strict: bool = True) -> numpy.ndarray:
    """The KB-match symbol of each token of one doc.

    doc (Doc): A doc processed by `medlink_kb_mentions`.
    spans_key (str): The doc.spans key of the matches.
    strict (bool): Raise E271 if the doc has no such key (else: no matches).
    RETURNS (numpy.ndarray): int32 symbols, one per token.
    """
    symbols = numpy.zeros(len(doc), dtype="int32")
    if spans_key not in doc.spans:
        if strict:
            raise ValueError(Errors.E271.format(key=spans_key))
        return symbols
    for span in doc.spans[spans_key]:
        if span.label_ not in CATEGORIES:
            raise ValueError(
                Errors.E272.format(key=spans_key, label=span.label_, expected=CATEGORIES)
            )
        if len(span) == 1:
            symbols[span.start] = _symbol("U", span.label_)
            continue
        symbols[span.start] = _symbol("B", span.label_)
        symbols[span.start + 1:span.end - 1] = _symbol("I", span.label_)
        symbols[span.end - 1] = _symbol("L", span.label_)
    return symbols


def _symbol(position: str, category: str) -> int:
    return 1 + _POSITIONS.index(position) * len(CATEGORIES) + CATEGORIES.index(category)


def _symbols_forward(model: Model, docs: List[Doc], is_train: bool):
    spans_key = model.attrs["spans_key"]
    if is_train:
        model.attrs["strict"] = True
    strict = model.attrs["strict"]
    symbols = [model.ops.asarray1i(token_symbols(doc, spans_key, strict)) for doc in docs]

    return symbols, _no_gradient


def guideline_symbols(guidelines: Sequence[str]) -> Model[List[Doc], List[Ints1d]]:
    """A layer that gives every token of a doc its guideline's symbol: 1 + the index of
    `doc._.medlink_guideline` in `guidelines`, 0 for a doc without one (untrained: set it with
    the `medlink_guideline` component). An unknown name raises E275.

    guidelines (Sequence[str]): The guideline names the NER was trained with.
    RETURNS (Model[List[Doc], List[Ints1d]]): The layer (no weights, no gradient).
    """
    return Model("guideline_symbols", _guideline_forward, attrs={"guidelines": list(guidelines)})


def _guideline_forward(model: Model, docs: List[Doc], is_train: bool):
    guidelines = model.attrs["guidelines"]
    symbols = []
    for doc in docs:
        name = get_guideline(doc)
        if name is not None and name not in guidelines:
            raise ValueError(Errors.E275.format(name=name, expected=guidelines))
        symbol = 0 if name is None else 1 + guidelines.index(name)
        symbols.append(model.ops.asarray1i(numpy.full(len(doc), symbol, dtype="int32")))

    return symbols, _no_gradient


def _no_gradient(d_symbols) -> list:
    # Symbols are looked up, not computed from weights: nothing to pass back.
    return []

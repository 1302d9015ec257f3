"""spacy-medlink.PretrainCharacters.v1: spaCy's characters objective for `spacy pretrain`,
with the KB matches kept on the masked docs.

spaCy's objective masks words by building new Docs from the words alone, so doc.spans is lost
and the KB features (kb_features.py) would see no match in any masked doc. Here the matches
of each input doc are carried over to its masked copy (same tokens, same offsets), so the KB
embedding learns during pretraining too. Two differences from NER training remain: the
matches come from the unmasked words (a masked word's match position hints at it), and
doc._.medlink_guideline is not carried (masked docs read guideline 0 when the KB features
list `guidelines`).

    [pretraining.objective]
    @architectures = "spacy-medlink.PretrainCharacters.v1"
    maxout_pieces = 3
    hidden_size = 300
    n_characters = 4
    spans_key = "medlink_kb_matches"
"""
from functools import partial
from typing import Callable, List

from spacy.ml.models.multi_task import build_cloze_characters_multi_task_model, get_characters_loss
from spacy.tokens import Doc, Span
from spacy.util import registry
from thinc.api import Model

from ..kb.alias_matcher import KB_MATCHES_KEY


@registry.architectures("spacy-medlink.PretrainCharacters.v1")
def create_pretrain_characters(
    maxout_pieces: int = 3, hidden_size: int = 300, n_characters: int = 4, spans_key: str = KB_MATCHES_KEY
) -> Callable:
    """The objective of spacy.PretrainCharacters.v1 (predict the first and last n_characters
    of each word from its masked context), keeping doc.spans[spans_key] on masked docs."""

    def create_objective(vocab, tok2vec: Model) -> Model:
        carrier = Model("carry_spans", _carry_forward, layers=[tok2vec], init=_carry_init,
                        attrs={"pending": None, "spans_key": spans_key},
                        dims={"nO": tok2vec.get_dim("nO") if tok2vec.has_dim("nO") else None})
        masked = build_cloze_characters_multi_task_model(
            vocab, carrier, maxout_pieces=maxout_pieces, hidden_size=hidden_size, nr_char=n_characters
        )
        model = Model("medlink_characters", _stash_forward, layers=[masked], init=_stash_init,
                      refs={"carrier": carrier, "output_layer": masked.get_ref("output_layer")})
        # spacy pretrain saves the "tok2vec" ref: the component's own model, not the carrier.
        model.set_ref("tok2vec", tok2vec)
        model.attrs["loss"] = partial(get_characters_loss, nr_char=n_characters)
        return model

    return create_objective


def _stash_forward(model: Model, docs: List[Doc], is_train: bool):
    carrier = model.get_ref("carrier")
    key = carrier.attrs["spans_key"]
    carrier.attrs["pending"] = [
        [(span.start, span.end, span.label_) for span in doc.spans[key]] if key in doc.spans else None
        for doc in docs
    ]
    try:
        return model.layers[0](docs, is_train)
    finally:
        carrier.attrs["pending"] = None


def _stash_init(model: Model, X=None, Y=None) -> None:
    model.layers[0].initialize(X=X, Y=Y)


def _carry_forward(model: Model, docs: List[Doc], is_train: bool):
    pending = model.attrs["pending"]
    if pending is not None:
        key = model.attrs["spans_key"]
        for doc, spans in zip(docs, pending):
            if spans is not None:
                doc.spans[key] = [Span(doc, start, end, label=label) for start, end, label in spans]
    return model.layers[0](docs, is_train)


def _carry_init(model: Model, X=None, Y=None) -> None:
    model.layers[0].initialize(X=X, Y=Y)
    if model.layers[0].has_dim("nO"):
        model.set_dim("nO", model.layers[0].get_dim("nO"))

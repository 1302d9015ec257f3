"""Registered reader of unlabeled texts for `spacy pretrain`, with the KB matches set.

spaCy's `pretrain` builds the pipeline from the config but neither initializes it nor runs its
components on the texts: with spaCy's own `spacy.JsonlCorpus.v1`, the NER's KB features find
no `doc.spans["medlink_kb_matches"]` and stop with MLE271. This reader initializes the
pipeline's annotating components ([training] annotating_components, with their
[initialize.components] settings, e.g. the vocabulary of `medlink_kb_mentions`) and runs them
on every text, as `spacy train` does on its training docs:

    [corpora.pretrain]
    @readers = "spacy-medlink.PretrainCorpus.v1"
    path = ${paths.raw_text}
    limit = 0
    head = 0

DOCS: README.md ("Learn from unlabeled text"), configs/ner_cnn.cfg [pretraining]
"""
from pathlib import Path
from typing import Iterator, List, Optional
from weakref import WeakSet

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import registry

from ..errors import Errors
from .unlabeled import read_unlabeled_texts


@registry.readers("spacy-medlink.PretrainCorpus.v1")
def create_pretrain_corpus(
    path: Optional[Path] = None, limit: int = 0, head: int = 0, seed: int = 0
) -> "PretrainCorpus":
    """Unlabeled texts as Docs with the pipeline's annotating components run on them.

    path (Optional[Path]): `{"text": ...}` JSONL(.gz), a .spacy DocBin or a PubTator .txt
        file (skipped lines are counted and warned about: read_unlabeled_texts). It is read
        here, so a missing or bad file fails before `spacy pretrain` builds a model (and, on a
        later failure, saves it). None (the config's `paths.raw_text = null`, which `spacy
        train` and `spacy debug config` resolve too) raises E133 when the corpus is read.
    limit (int): A seeded random sample of this many texts (0: all).
    head (int): Only the first `head` texts are read (0: all): the rest stay unseen, e.g. by
        a speed benchmark that reads them.
    seed (int): Seed of the sample.
    RETURNS (PretrainCorpus): A callable `(nlp) -> Iterator[Doc]`.
    """
    return PretrainCorpus(path, limit=limit, head=head, seed=seed)


class PretrainCorpus:
    """Read the texts once; on each pass, make Docs and run the annotating components."""

    def __init__(self, path: Optional[Path], *, limit: int = 0, head: int = 0, seed: int = 0) -> None:
        self._texts: Optional[List[str]] = None
        if path is not None:
            self._texts, self.report = read_unlabeled_texts(path, limit=limit, seed=seed, head=head)
        # Pipelines whose annotating components this reader initialized.
        self._initialized: "WeakSet[Language]" = WeakSet()

    def __call__(self, nlp: Language) -> Iterator[Doc]:
        if self._texts is None:
            raise ValueError(Errors.E133)
        components = [nlp.get_pipe(name) for name in annotating_components(nlp)]
        if nlp not in self._initialized:
            initialize_annotating(nlp)
            self._initialized.add(nlp)
        for text in self._texts:
            doc = nlp.make_doc(text)
            for component in components:
                doc = component(doc)
            yield doc


def annotating_components(nlp: Language) -> List[str]:
    """RETURNS (List[str]): [training] annotating_components, in pipeline order.

    RAISES ValueError: E132 when one of them is not in the pipeline.
    """
    names = list(nlp.config["training"].get("annotating_components") or [])
    missing = [name for name in names if name not in nlp.pipe_names]
    if missing:
        raise ValueError(Errors.E132.format(names=missing, pipeline=nlp.pipe_names))
    return [name for name in nlp.pipe_names if name in names]


def initialize_annotating(nlp: Language) -> None:
    """Initialize the annotating components with their [initialize.components] settings (what
    `nlp.initialize` would pass them; `spacy pretrain` does not call it)."""
    settings = nlp.config.interpolate()["initialize"].get("components") or {}
    for name in annotating_components(nlp):
        component = nlp.get_pipe(name)
        if hasattr(component, "initialize"):
            component.initialize(lambda: [], nlp=nlp, **settings.get(name, {}))

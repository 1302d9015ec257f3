"""`medlink_release_memory`: hand the memory a transformer freed back to the OS in long runs.

A torch transformer over thousands of texts leaves glibc's malloc holding freed buffers, so a
process's resident memory grows although nothing is kept (spacy_medlink/memory.py). This
component changes no annotation: every `every` docs it asks glibc to return them, in whichever
process runs the pipeline. That includes each worker of `nlp.pipe(n_process=...)`, which no
wrapper around `nlp.pipe` can reach. Add it last for a long run:

    nlp = spacy.load("en_medlink_disease_trf")
    nlp.add_pipe("medlink_release_memory", last=True)
    for doc in nlp.pipe(texts, n_process=2): ...

`annotate` adds it itself (local backend; Ray workers release after each batch). Elsewhere
than glibc (macOS, Windows, musl) it does nothing.
"""
from typing import Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc

from ..memory import DEFAULT_TRIM_EVERY, ReleaseCounter

RELEASE_MEMORY_FACTORY = "medlink_release_memory"


class MemoryReleaser:
    """Pass docs through unchanged; release freed heap memory every `every` docs."""

    def __init__(self, name: str = RELEASE_MEMORY_FACTORY, *, every: int = DEFAULT_TRIM_EVERY):
        """name (str): The component instance name.
        every (int): Docs between releases (a release scans the heap, ~1 ms).
        """
        self.name = name
        # Per process: a worker gets its own copy of the component and so of the counter.
        self.counter = ReleaseCounter(every, what=f"The component '{name}'", unit="docs")

    @property
    def every(self) -> int:
        """Docs between releases."""
        return self.counter.every

    def __call__(self, doc: Doc) -> Doc:
        self.counter.count()
        return doc

    def pipe(self, docs: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        for doc in docs:
            yield self(doc)


@Language.factory(RELEASE_MEMORY_FACTORY, default_config={"every": DEFAULT_TRIM_EVERY})
def make_memory_releaser(nlp: Language, name: str, *, every: int) -> MemoryReleaser:
    """Create a MemoryReleaser component.

    nlp (Language): The pipeline.
    name (str): The component instance name.
    every (int): Docs between releases of freed memory.
    RETURNS (MemoryReleaser): The component.
    """
    return MemoryReleaser(name, every=every)

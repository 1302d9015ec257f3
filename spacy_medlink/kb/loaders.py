"""Registered KB functions for the linker's config (spaCy's kb_loader contract).

    [components.medical_entity_linker.generate_empty_kb]
    @misc = "spacy-medlink.EmptyKB.v1"

    [initialize.components.medical_entity_linker.kb_loader]
    @misc = "spacy-medlink.KBFromDisk.v1"
    path = "training/kb"

Both return picklable callables (module-level functions / functools.partial), so pipelines
work with nlp.pipe(n_process>1) and spawn.
"""
from functools import partial
from pathlib import Path
from typing import Callable, Union

from spacy.util import registry
from spacy.vocab import Vocab

from .medlink_kb import MedlinkKB


def empty_kb(vocab: Vocab, entity_vector_length: int) -> MedlinkKB:
    """Create an empty MedlinkKB.

    vocab (Vocab): The shared vocab.
    entity_vector_length (int): Length of the entity vectors.
    RETURNS (MedlinkKB): The empty KB.
    """
    return MedlinkKB(vocab, entity_vector_length)


def kb_from_disk(vocab: Vocab, path: Union[str, Path]) -> MedlinkKB:
    """Load a MedlinkKB folder into a vocab (E009 if the folder is not a KB).

    vocab (Vocab): The vocab (usually nlp.vocab).
    path (Union[str, Path]): The KB folder written by MedlinkKB.to_disk.
    RETURNS (MedlinkKB): The loaded KB.
    """
    return MedlinkKB.load(path, vocab)


@registry.misc("spacy-medlink.EmptyKB.v1")
def create_empty_kb() -> Callable[[Vocab, int], MedlinkKB]:
    """RETURNS (Callable[[Vocab, int], MedlinkKB]): Creates an empty MedlinkKB."""
    return empty_kb


@registry.misc("spacy-medlink.KBFromDisk.v1")
def load_kb_from_disk(path: Path) -> Callable[[Vocab], MedlinkKB]:
    """Load a MedlinkKB folder when the returned callable is called (at initialize).

    path (Path): The KB folder written by MedlinkKB.to_disk (e.g. by `build-kb`).
    RETURNS (Callable[[Vocab], MedlinkKB]): Loads the KB into the given vocab; raises E009
        if the folder is missing or incomplete.
    """
    return partial(kb_from_disk, path=Path(path))

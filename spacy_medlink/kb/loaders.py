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

from .mapped_kb import MappedKB, is_mapped_kb_folder
from .medlink_kb import MedlinkKB


def empty_kb(vocab: Vocab, entity_vector_length: int) -> MedlinkKB:
    """Create an empty MedlinkKB.

    vocab (Vocab): The shared vocab.
    entity_vector_length (int): Length of the entity vectors.
    RETURNS (MedlinkKB): The empty KB.
    """
    return MedlinkKB(vocab, entity_vector_length)


def kb_from_disk(vocab: Vocab, path: Union[str, Path]) -> MedlinkKB:
    """Load a KB folder into a vocab (E009 if the folder is not a KB): a MedlinkKB, or a
    MappedKB when the folder holds one (build-kb --mapped).

    vocab (Vocab): The vocab (usually nlp.vocab).
    path (Union[str, Path]): The KB folder written by MedlinkKB.to_disk.
    RETURNS (MedlinkKB): The loaded KB.
    """
    if is_mapped_kb_folder(path):
        return MappedKB.load(path, vocab)
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


def empty_mapped_kb(vocab: Vocab, entity_vector_length: int) -> MappedKB:
    """Create an empty MappedKB (filled by from_disk)."""
    return MappedKB(vocab, entity_vector_length)


@registry.misc("spacy-medlink.EmptyMappedKB.v1")
def create_empty_mapped_kb() -> Callable[[Vocab, int], MappedKB]:
    """The linker's generate_empty_kb for a pipeline whose KB is a MappedKB (build-kb
    --mapped): spacy.load reads the saved KB folder memory-mapped.

    RETURNS (Callable[[Vocab, int], MappedKB]): Creates an empty MappedKB.
    """
    return empty_mapped_kb

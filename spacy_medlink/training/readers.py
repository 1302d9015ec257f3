"""Registered corpus reader: gold Docs (DocBin or PubTator) -> training Examples.

    [corpora.train]
    @readers = "spacy-medlink.PubtatorCorpus.v1"
    path = ${paths.train}
    gold_ents_in_predicted = false
    guideline = null    # "file": each file's stem (train_pooled/biored.spacy -> "biored")
    repeat = {}         # e.g. {"ncbi_disease": 2}: that file's documents twice per pass
    types = []          # e.g. ["Disease"]: keep these PubTator mention types (BC5CDR)
"""
import random
import warnings
import zlib
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span
from spacy.training import Example
from spacy.util import registry
from srsly.msgpack.exceptions import UnpackException

from ..errors import Errors, Warnings
from ..ml.guideline import set_guideline
from .convert import GOLD_MENTIONS_KEY, get_gold_mentions, pubtator_to_docs
from .pubtator import read_pubtator

DOCBIN_SUFFIX = ".spacy"
PUBTATOR_SUFFIX = ".txt"
# The reader's `guideline` value that names each document's guideline after its file.
GUIDELINE_FROM_FILE = "file"
# What DocBin.from_disk raises on an empty, truncated or foreign file (zlib, then msgpack).
_DOCBIN_ERRORS = (ValueError, KeyError, TypeError, EOFError, zlib.error, UnpackException)


@registry.readers("spacy-medlink.PubtatorCorpus.v1")
def create_pubtator_corpus(
    path: Path,
    gold_ents_in_predicted: bool = False,
    limit: int = 0,
    shuffle: bool = False,
    guideline: Optional[str] = None,
    repeat: Optional[Dict[str, int]] = None,
    types: Sequence[str] = (),
) -> "PubtatorCorpus":
    """Registered reader of gold medical-entity corpora.

    path (Path): A .spacy DocBin (the `convert` output), a PubTator .txt file, or a folder of
        them (read in sorted order).
    gold_ents_in_predicted (bool): Copy the gold entities (label only, no KB id) to the
        predicted docs, to train or evaluate the linker on gold mentions.
    limit (int): Read at most this many documents (0: all).
    shuffle (bool): Shuffle the documents (with the `random` module's state, which spaCy seeds
        from [training] seed) before each pass.
    guideline (Optional[str]): The annotation guideline of the documents, set as
        doc._.medlink_guideline on both docs of each example: a name, "file" for each file's
        stem (a folder of one DocBin per corpus), or None (left to the pipeline).
    repeat (Optional[Dict[str, int]]): Times the documents of the files with these stems are
        read per pass, to weigh one corpus of a folder up (the others once).
    types (Sequence[str]): PubTator mention types to keep (e.g. ["Disease"] for BC5CDR, whose
        chemicals are mentions too), as `convert --type`; empty: every mention. PubTator .txt
        files only (E125 for a DocBin: convert keeps types when it writes one).
    RETURNS (PubtatorCorpus): A callable `(nlp) -> Iterator[Example]`.
    """
    return PubtatorCorpus(
        path, gold_ents_in_predicted=gold_ents_in_predicted, limit=limit, shuffle=shuffle,
        guideline=guideline, repeat=repeat, types=types,
    )


class PubtatorCorpus:
    """Iterate the Examples of a gold corpus; picklable, like spacy.training.Corpus.

    The reference doc is the gold doc. The predicted doc is `nlp.make_doc(text)` with the
    reference's sentence starts and, if `gold_ents_in_predicted`, its entities.
    """

    def __init__(
        self,
        path: Union[str, Path],
        *,
        gold_ents_in_predicted: bool = False,
        limit: int = 0,
        shuffle: bool = False,
        guideline: Optional[str] = None,
        repeat: Optional[Dict[str, int]] = None,
        types: Sequence[str] = (),
    ) -> None:
        """Initialize the reader; the path is checked when the corpus is read.

        path (Union[str, Path]): A .spacy or PubTator .txt file, or a folder of them.
        gold_ents_in_predicted (bool): Copy the gold entities to the predicted docs.
        limit (int): Read at most this many documents (0: all).
        shuffle (bool): Shuffle the documents before each pass.
        guideline (Optional[str]): The documents' guideline, "file" (each file's stem) or None.
        repeat (Optional[Dict[str, int]]): Reads per pass of the files with these stems.
        types (Sequence[str]): PubTator mention types to keep (PubTator files only); () all.
        """
        self.path = Path(path)
        self.repeat = dict(repeat or {})
        self.guideline = guideline
        self.gold_ents_in_predicted = gold_ents_in_predicted
        self.limit = limit
        self.shuffle = shuffle
        self.types = tuple(types)

    def __call__(self, nlp: Language) -> Iterator[Example]:
        """Yield one Example per gold document.

        nlp (Language): The pipeline whose tokenizer makes the predicted docs.
        YIELDS (Example): The examples.
        """
        reference_docs: Iterable[Tuple[Doc, str]] = self._read_reference_docs(nlp)
        if self.limit >= 1:
            reference_docs = _take(reference_docs, self.limit)
        if self.repeat:
            reference_docs = self._repeated(list(reference_docs))
        if self.shuffle:
            reference_docs = list(reference_docs)
            random.shuffle(reference_docs)
        n_gold = n_missed = 0
        for reference, file_stem in reference_docs:
            predicted = nlp.make_doc(reference.text)
            if self.guideline is not None:
                guideline = file_stem if self.guideline == GUIDELINE_FROM_FILE else self.guideline
                set_guideline(predicted, guideline)
                set_guideline(reference, guideline)
            example = Example(predicted, reference)
            _copy_sentence_starts(example)
            if self.gold_ents_in_predicted:
                copied = _copy_gold_entities(example)
                n_gold += len(reference.ents)
                n_missed += len(reference.ents) - copied
            yield example
        if n_missed:
            warnings.warn(
                Warnings.W101.format(n_skipped=n_missed, n_total=n_gold, path=self.path)
            )

    def _repeated(self, reference_docs: List[Tuple[Doc, str]]) -> List[Tuple[Doc, str]]:
        # The corpus's files, not the documents left after `limit`, decide what is known.
        stems = sorted({path.stem for path in _corpus_files(self.path)})
        unknown = sorted(set(self.repeat) - set(stems))
        bad = [s for s, n in self.repeat.items() if not isinstance(n, int) or isinstance(n, bool) or n < 1]
        if unknown or bad:
            raise ValueError(Errors.E124.format(path=self.path, found=self.repeat, stems=stems))
        return [pair for pair in reference_docs for _ in range(self.repeat.get(pair[1], 1))]

    def _read_reference_docs(self, nlp: Language) -> Iterator[Tuple[Doc, str]]:
        """YIELDS (Tuple[Doc, str]): Each gold doc and the stem of its file."""
        for path in _corpus_files(self.path):
            if path.suffix == DOCBIN_SUFFIX:
                if self.types:
                    raise ValueError(Errors.E125.format(path=path, types=list(self.types)))
                for doc in read_docbin(path).get_docs(nlp.vocab):
                    # msgpack gives tuples back: restore the documented lists
                    doc.user_data[GOLD_MENTIONS_KEY] = get_gold_mentions(doc)
                    yield doc, path.stem
            else:
                docs, _ = pubtator_to_docs(read_pubtator(path), nlp, source=str(path), types=self.types)
                yield from ((doc, path.stem) for doc in docs)


def read_docbin(path: Union[str, Path]) -> DocBin:
    """Load a DocBin, with a coded error that names the file when it cannot be read.

    path (Union[str, Path]): The .spacy file.
    RETURNS (DocBin): The DocBin.
    """
    try:
        return DocBin().from_disk(path)
    except _DOCBIN_ERRORS as err:
        error = f"{type(err).__name__}: {err}"
        raise ValueError(Errors.E120.format(path=path, error=error)) from err


def _corpus_files(path: Path) -> List[Path]:
    if not path.exists():
        raise ValueError(Errors.E111.format(path=path))
    if path.is_dir():
        files = sorted(
            child
            for child in path.iterdir()
            if child.is_file() and child.suffix in (DOCBIN_SUFFIX, PUBTATOR_SUFFIX)
        )
        if not files:
            raise ValueError(Errors.E112.format(path=path))
        return files
    if path.suffix not in (DOCBIN_SUFFIX, PUBTATOR_SUFFIX):
        raise ValueError(Errors.E112.format(path=path))
    return [path]


def _take(docs: Iterable, limit: int) -> Iterator:
    for i, doc in enumerate(docs):
        if i >= limit:
            return
        yield doc


def _copy_sentence_starts(example: Example) -> None:
    """Give the predicted doc the reference's sentence boundaries (None where unaligned)."""
    if not example.reference.has_annotation("SENT_START"):
        return
    for token, is_start in zip(example.predicted, example.get_aligned_sent_starts()):
        token.is_sent_start = is_start


def _copy_gold_entities(example: Example) -> int:
    """Copy the reference entities to the predicted doc, label only (the linker sets kb_id).

    RETURNS (int): How many entities were copied (those aligned to the predicted tokens).
    """
    aligned = example.get_aligned_spans_y2x(example.reference.ents, allow_overlap=False)
    predicted = example.predicted
    predicted.ents = [Span(predicted, span.start, span.end, label=span.label) for span in aligned]
    return len(aligned)

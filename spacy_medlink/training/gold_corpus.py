"""The one reader of gold corpora: DocBins written by `convert`, PubTator files, or folders of
both. Evaluation, the KB build (`build-kb --corpus`) and the benchmark read gold mentions here.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, List, Optional, Tuple, Union

from spacy.vocab import Vocab

from ..errors import Errors
from ..kb.ids import KB_ID_SEPARATOR
from .convert import DOC_ID_KEY, GOLD_MENTIONS_KEY
from .pubtator import read_pubtator
from .readers import DOCBIN_SUFFIX, PUBTATOR_SUFFIX, read_docbin


@dataclass(frozen=True)
class GoldMention:
    """One gold mention, as read from the corpus.

    start (int): Character offset in the document text.
    end (int): End character offset (exclusive).
    text (str): The mention text.
    type (str): The mention type ("" when the corpus has none).
    ids (Tuple[str, ...]): The gold ids as written (prefix-normalized for DocBins).
    """

    start: int
    end: int
    text: str
    type: str
    ids: Tuple[str, ...]


@dataclass(frozen=True)
class GoldDocument:
    """One gold document.

    doc_id (str): The document id (PMID); not necessarily unique in a corpus.
    text (str): The text the offsets index.
    mentions (Tuple[GoldMention, ...]): Every gold mention, aligned to tokens or not.
    """

    doc_id: str
    text: str
    mentions: Tuple[GoldMention, ...]


def read_gold(path: Union[str, Path], vocab: Optional[Vocab] = None) -> List[GoldDocument]:
    """Read gold documents from a DocBin (`convert` output), a PubTator file, or a folder of
    .spacy/.txt files (sorted by name).

    A DocBin's mentions come from doc.user_data["medlink_gold_mentions"] (every mention,
    misaligned ones included), or from doc.ents when the DocBin has no such user data.

    path (Union[str, Path]): The corpus.
    vocab (Optional[Vocab]): The vocab to read DocBins with.
    RETURNS (List[GoldDocument]): The documents, in corpus order.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (DOCBIN_SUFFIX, PUBTATOR_SUFFIX))
    elif path.is_file():
        files = [path]
    else:
        files = []
    documents: List[GoldDocument] = []
    for file_path in files:
        if file_path.suffix == DOCBIN_SUFFIX:
            documents.extend(_read_docbin(file_path, vocab or Vocab()))
        else:  # the PubTator parser reports format errors with file and line
            documents.extend(_read_pubtator(file_path))
    if not documents:
        found = (f"{len(files)} file(s) without a document" if files else
                 "a folder without .spacy or .txt files" if path.is_dir() else "no such file")
        raise ValueError(Errors.E300.format(path=path, found=found))
    return documents


def _read_pubtator(path: Path) -> Iterator[GoldDocument]:
    for document in read_pubtator(path):
        mentions = tuple(
            GoldMention(m.start, m.end, m.text, m.type, tuple(m.ids)) for m in document.mentions
        )
        yield GoldDocument(document.pmid, document.text, mentions)


def _read_docbin(path: Path, vocab: Vocab) -> Iterator[GoldDocument]:
    for index, doc in enumerate(read_docbin(path).get_docs(vocab)):
        records = doc.user_data.get(GOLD_MENTIONS_KEY)
        if records is None:
            mentions = tuple(
                GoldMention(
                    ent.start_char, ent.end_char, ent.text, ent.label_,
                    tuple(i for i in ent.kb_id_.split(KB_ID_SEPARATOR) if i),
                )
                for ent in doc.ents
            )
        else:
            mentions = tuple(
                GoldMention(r["start"], r["end"], r["text"], r.get("type", ""), tuple(r["ids"]))
                for r in records
            )
        doc_id = str(doc.user_data.get(DOC_ID_KEY, f"{path.name}#{index}"))
        yield GoldDocument(doc_id, doc.text, mentions)


def mention_texts_and_ids(paths: Iterable[Union[str, Path]]) -> Iterator[Tuple[str, Tuple[str, ...]]]:
    """(text, ids) of every gold mention of the corpora, in order (build-kb --corpus).

    paths (Iterable[Union[str, Path]]): PubTator files, gold DocBins or folders of both.
    """
    for path in paths:
        for document in read_gold(path):
            for mention in document.mentions:
                yield mention.text, mention.ids

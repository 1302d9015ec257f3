"""Unlabeled texts for weak supervision, self-training and benchmarks: `{"text": ...}` JSONL
(the spaCy / Prodigy convention), plain or gzipped, every skipped line counted and named; or
the texts of a DocBin or a PubTator file (a training corpus used as text only, its labels
ignored)."""
import json
import random
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, List, Optional, Tuple, Union

from spacy.vocab import Vocab

from ..errors import Errors, Warnings
from ..input_files import find_lone_surrogate, iter_raw_lines
from .pubtator import read_pubtator
from .readers import DOCBIN_SUFFIX, PUBTATOR_SUFFIX, read_docbin

_N_EXAMPLES = 5


@dataclass
class UnlabeledReport:
    """What reading an unlabeled JSONL file kept and skipped (line numbers of the first)."""

    path: str
    n_lines: int = 0
    n_read: int = 0
    n_skipped: int = 0
    skipped_examples: List[str] = field(default_factory=list)
    # Lines (docs) after the first `head` texts: left out on purpose, not read (kept unseen).
    n_after_head: int = 0


def read_unlabeled_texts(
    path: Union[str, Path], *, limit: int = 0, seed: int = 0, head: int = 0
) -> Tuple[List[str], UnlabeledReport]:
    """Read `{"text": ...}` lines of a JSONL(.gz) file (the spaCy / Prodigy convention), or
    the texts of a .spacy DocBin or a PubTator .txt file (each document one text, title and
    abstract as `convert` joins them; annotations ignored).

    Lines that are not JSON objects with a non-empty string "text" (docs with an empty text)
    are skipped, counted and named in the report (and in warning MLW110); none is dropped
    silently.

    path (Union[str, Path]): The file (.jsonl, .jsonl.gz, .spacy or PubTator .txt).
    limit (int): Keep a random sample of this many texts (0: all), drawn with `seed`.
    seed (int): Seed of the sample.
    head (int): Only the first `head` texts are read or sampled (0: all); the lines after them
        are counted, not read: they stay unseen, e.g. by a student whose speed is then
        measured on them.
    RETURNS (Tuple[List[str], UnlabeledReport]): The texts (file order) and the report.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(Errors.E113.format(path=path))
    if head < 0 or limit < 0:
        raise ValueError(Errors.E123.format(path=path, head=head, limit=limit))
    report = UnlabeledReport(path=str(path))
    if path.suffix == DOCBIN_SUFFIX:
        texts = _document_texts((doc.text for doc in read_docbin(path).get_docs(Vocab())), report, head)
    elif path.suffix == PUBTATOR_SUFFIX:
        texts = _document_texts((doc.text for doc in read_pubtator(path)), report, head)
    else:
        texts = _jsonl_texts(path, report, head)
    if report.n_skipped:
        warnings.warn(
            Warnings.W110.format(
                path=path, n_skipped=report.n_skipped, n_total=report.n_lines,
                examples="; ".join(report.skipped_examples),
            )
        )
    if not texts:
        raise ValueError(Errors.E115.format(path=path))
    if limit and limit < len(texts):
        keep = sorted(random.Random(seed).sample(range(len(texts)), limit))
        texts = [texts[i] for i in keep]
    report.n_read = len(texts)
    return texts, report


def _count_record(report: UnlabeledReport, n_texts: int, head: int) -> bool:
    """Count one record (line or document) of the file. RETURNS (bool): whether it lies after
    the first `head` texts, counted there and not to be read."""
    report.n_lines += 1
    if head and n_texts == head:
        report.n_after_head += 1
        return True
    return False


def _document_texts(documents: Iterable[str], report: UnlabeledReport, head: int) -> List[str]:
    """The non-empty texts of a corpus's documents (empty ones skipped and counted)."""
    texts = []
    for doc_no, text in enumerate(documents, start=1):
        if _count_record(report, len(texts), head):
            continue
        if text.strip():
            texts.append(text)
        else:
            report.n_skipped += 1
            if len(report.skipped_examples) < _N_EXAMPLES:
                report.skipped_examples.append(f"doc {doc_no}: empty text")
    return texts


def _jsonl_texts(path: Path, report: UnlabeledReport, head: int) -> List[str]:
    """The texts of a JSONL file. A line that is not UTF-8, not JSON, has no text or a text
    with a lone surrogate is skipped, counted and named (as `annotate` does): one bad line of
    a large pool does not stop a labelling run. A file that cannot be decompressed raises E114."""
    texts: List[str] = []
    for line_no, raw in iter_raw_lines(path, Errors.E114):
        if _count_record(report, len(texts), head):
            continue
        text, problem = _jsonl_text(raw)
        if problem is not None:
            report.n_skipped += 1
            if len(report.skipped_examples) < _N_EXAMPLES:
                report.skipped_examples.append(f"line {line_no}: {problem}")
            continue
        texts.append(text)
    return texts


def _jsonl_text(raw: bytes) -> Tuple[str, Optional[str]]:
    """RETURNS (Tuple[str, Optional[str]]): the line's text, or what is wrong with the line."""
    try:
        line = raw.decode("utf8")
    except UnicodeDecodeError as err:
        return "", f"not UTF-8 ({err.reason} at byte {err.start})"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        return "", f"invalid JSON ({err.msg})"
    text = record.get("text") if isinstance(record, dict) else None
    if not isinstance(text, str) or not text.strip():
        return "", 'no non-empty string "text"'
    surrogate = find_lone_surrogate(text)
    if surrogate is not None:
        return "", f"a lone surrogate {surrogate} in the text"
    return text, None


def report_dict(report: UnlabeledReport) -> dict:
    """RETURNS (dict): The reading report as a plain dict."""
    return asdict(report)

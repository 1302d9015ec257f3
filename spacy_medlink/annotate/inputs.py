"""Input records for `annotate`: JSONL (`{"text": ..., "meta": {...}}`, the spaCy / Prodigy
convention, .gz too), plain-text files (one document per file) and PubTator, from a file or a
folder of them. A bad record is a BadRecord naming file and line, never dropped silently."""
import gzip
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Union

from ..errors import Errors
from ..input_files import find_lone_surrogate, iter_raw_lines
from ..training.pubtator import read_pubtator

INPUT_FORMATS = ("auto", "jsonl", "text", "pubtator")
_PUBTATOR_TITLE = re.compile(r"^[^|\s]+\|t\|")


@dataclass
class InputRecord:
    """One document to annotate: its text, metadata and where it came from."""

    text: str
    meta: Dict[str, Any]
    source: str
    line: int
    doc_id: str
    fields: Dict[str, Any] = field(default_factory=dict)  # other top-level JSONL fields


@dataclass
class BadRecord:
    source: str
    line: int
    problem: str

    def describe(self) -> str:
        return f"{self.source}, line {self.line}: {self.problem}"


def input_paths(path: Union[str, Path], exclude: Iterable[Path] = ()) -> List[Path]:
    """The input files: `path` itself, or the files of a folder (sorted; hidden files and
    folders, and `exclude` (the run's own output files and folders), left out)."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise ValueError(Errors.E322.format(path=path, problem="does not exist"))
    excluded = [p.resolve() for p in exclude]

    def wanted(p: Path) -> bool:
        if not p.is_file() or any(part.startswith(".") for part in p.relative_to(path).parts):
            return False
        resolved = p.resolve()
        return not any(resolved == e or e in resolved.parents for e in excluded)

    files = sorted(p for p in path.rglob("*") if wanted(p))
    if not files:
        raise ValueError(Errors.E322.format(path=path, problem="is a folder without files"))
    return files


def file_format(path: Path, requested: str = "auto") -> str:
    """jsonl, text or pubtator: as requested, else by suffix (.jsonl, .jsonl.gz, .pubtator),
    else a .txt whose first line is a PubTator title line is PubTator, anything else text."""
    if requested not in INPUT_FORMATS:
        raise ValueError(Errors.E325.format(what="input format", value=requested, expected=", ".join(INPUT_FORMATS)))
    if requested != "auto":
        return requested
    name = path.name.lower()
    if name.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
        return "jsonl"
    if ".pubtator" in name:
        return "pubtator"
    with path.open("rb") as file_:
        head = file_.readline(4096).decode("utf8", errors="replace")
    return "pubtator" if _PUBTATOR_TITLE.match(head) else "text"


def read_records(paths: Sequence[Path], input_format: str = "auto", root: Optional[Path] = None) -> Iterator[Union[InputRecord, BadRecord]]:
    """Every document of the input files (from input_paths), in order, or a BadRecord where
    one cannot be read. root (the input folder) makes text documents' ids relative paths.

    RAISES ValueError: E325 (unknown format); PubTator structure errors (E10x, naming file and
        line) stop the run: a broken line breaks its document.
    """
    for path in paths:
        kind = file_format(path, input_format)
        if kind == "jsonl":
            yield from _jsonl_records(path)
        elif kind == "pubtator":
            for document in read_pubtator(path):
                yield InputRecord(document.text, {"pmid": document.pmid}, str(path), document.line, document.pmid)
        else:
            yield _text_record(path, path.relative_to(root).as_posix() if root is not None and root.is_dir() else path.name)


def _jsonl_records(path: Path) -> Iterator[Union[InputRecord, BadRecord]]:
    for line_no, raw in iter_raw_lines(path, Errors.E114):
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf8")  # iter_raw_lines drops a byte-order mark
            record = json.loads(line)
        except UnicodeDecodeError as err:
            yield BadRecord(str(path), line_no, f"undecodable bytes ({err.reason} at byte {err.start})")
            continue
        except json.JSONDecodeError as err:
            yield BadRecord(str(path), line_no, f"invalid JSON ({err.msg})")
            continue
        problem = _record_problem(record)
        if problem is not None:
            yield BadRecord(str(path), line_no, problem)
            continue
        meta = record.get("meta") or {}
        doc_id = str(record.get("id", meta.get("id", f"{path.name}:{line_no}")))
        fields = {k: v for k, v in record.items() if k not in ("text", "meta")}
        yield InputRecord(record["text"], meta, str(path), line_no, doc_id, fields)


def _record_problem(record: Any) -> Union[str, None]:
    if not isinstance(record, dict):
        return f"a JSON {type(record).__name__}, not an object"
    if "text" not in record:
        return 'no "text" field'
    if not isinstance(record["text"], str):
        return f'"text" is a {type(record["text"]).__name__}, not a string'
    if "meta" in record and not isinstance(record["meta"], (dict, type(None))):
        return '"meta" is not an object'
    surrogate = find_lone_surrogate(record["text"])
    if surrogate is not None:
        return f'"text" holds a lone surrogate ({surrogate})'
    return None


def _text_record(path: Path, doc_id: str) -> Union[InputRecord, BadRecord]:
    data = path.read_bytes()
    try:
        text = data.decode("utf8")
    except UnicodeDecodeError as err:
        return BadRecord(str(path), 1 + data[: err.start].count(b"\n"), f"undecodable bytes ({err.reason} at byte {err.start})")
    return InputRecord(text, {"file": doc_id}, str(path), 1, doc_id)


def count_lines(paths: List[Path]) -> int:
    """A cheap upper bound of the records (for the progress bar): JSONL lines, 1 per other file."""
    total = 0
    for path in paths:
        if path.name.endswith((".jsonl", ".ndjson", ".jsonl.gz")):
            opener = gzip.open if path.suffix == ".gz" else open
            try:
                with opener(path, "rb") as file_:
                    total += sum(chunk.count(b"\n") for chunk in iter(lambda: file_.read(1 << 20), b""))
            except (OSError, EOFError):  # the reader reports a damaged file with its line
                total += 1
        else:
            total += 1
    return total

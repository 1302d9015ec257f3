"""PubTator reader: a pure parser from text lines to document records.

The format (NCBI disease corpus, BioCreative CDR, ...):

    PMID|t|Title text
    PMID|a|Abstract text
    PMID<TAB>start<TAB>end<TAB>mention text<TAB>type<TAB>ids
    ...
    <blank line>

Offsets index ``title + " " + abstract``. Nothing here knows about spaCy or about id prefixes:
the records keep the corpus's raw ids (``D012878``, ``OMIM:312080``); conversion to gold Docs
(training/convert.py) normalizes them.
"""
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Optional, Tuple, Union

from ..errors import Errors

# Ids of a composite mention are joined by "|" and, in a few NCBI disease corpus mentions, by
# "+"; BioRED joins the ids of one mention by ",".
_ID_SEPARATORS = re.compile(r"[|+,]")
_N_MENTION_FIELDS = 6


@dataclass(frozen=True)
class PubtatorMention:
    """One annotated mention.

    start (int): Character offset of the mention in ``title + " " + abstract``.
    end (int): End character offset (exclusive).
    text (str): The document text at ``start:end``. It equals the gold mention text, except that
        trailing whitespace written in the gold text (outside the offsets) is not kept.
    type (str): The mention type, e.g. "SpecificDisease", "CompositeMention".
    ids (Tuple[str, ...]): The concept ids as written in the corpus, split on "|", "+" and ",".
    line (int): The 1-based line number of the mention in its source.
    raw_ids (str): The id field exactly as written.
    """

    start: int
    end: int
    text: str
    type: str
    ids: Tuple[str, ...]
    line: int
    raw_ids: str = ""


@dataclass(frozen=True)
class PubtatorDocument:
    """One PubTator document (title, abstract and its mentions).

    pmid (str): The document id. Not unique in every corpus: keep documents apart by position.
    title (str): The title text.
    abstract (str): The abstract text (may be empty).
    mentions (Tuple[PubtatorMention, ...]): The mentions in corpus order.
    line (int): The 1-based line number of the title line in its source.
    """

    pmid: str
    title: str
    abstract: str
    mentions: Tuple[PubtatorMention, ...]
    line: int

    @property
    def text(self) -> str:
        """RETURNS (str): The text the offsets index: ``title + " " + abstract``."""
        return f"{self.title} {self.abstract}"


def split_ids(raw_ids: str) -> Tuple[str, ...]:
    """Split a PubTator id field into single ids.

    raw_ids (str): The id field, e.g. "D001943|D010051" or "D020279+D035583".
    RETURNS (Tuple[str, ...]): The stripped, non-empty ids in corpus order.
    """
    parts = (part.strip() for part in _ID_SEPARATORS.split(raw_ids))
    return tuple(part for part in parts if part)


def read_pubtator(
    path: Union[str, Path], encoding: str = "utf8"
) -> Iterator[PubtatorDocument]:
    """Read a PubTator file, one document at a time.

    The file's existence is checked when this is called; everything else is checked while
    iterating, with coded errors that name the file and the line.

    path (Union[str, Path]): The PubTator file.
    encoding (str): The file's text encoding.
    RETURNS (Iterator[PubtatorDocument]): The documents in file order.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(Errors.E100.format(path=path))
    return parse_pubtator_lines(_decoded_lines(path, encoding), source=str(path))


def _decoded_lines(path: Path, encoding: str) -> Iterator[str]:
    # Decode line by line (rather than opening in text mode) so a decoding error can name its line.
    with path.open("rb") as file_:
        for line_no, raw in enumerate(file_, start=1):
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError as err:
                raise ValueError(
                    Errors.E109.format(path=path, line=line_no, encoding=encoding, error=err)
                ) from err
            if line_no == 1:
                line = line.lstrip("\ufeff")  # a byte-order mark is not part of the PMID
            yield line


def parse_pubtator_lines(
    lines: Iterable[str], source: str = "<string>"
) -> Iterator[PubtatorDocument]:
    """Parse PubTator lines into documents.

    Blank lines separate documents; several blank lines and a missing final newline are fine.
    A title line directly after a mention line also starts a new document.

    lines (Iterable[str]): The lines, with or without their line endings.
    source (str): The name of the source, used in error messages.
    RETURNS (Iterator[PubtatorDocument]): The documents in source order.
    """
    builder: Optional[_DocumentBuilder] = None
    expect_abstract = False
    n_documents = 0
    line_no = 0
    for line_no, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        if expect_abstract:
            builder.set_abstract(_parse_header(line, "a"), line, line_no, source)
            expect_abstract = False
        elif not line.strip():
            if builder is not None:
                yield builder.build()
                n_documents += 1
                builder = None
        elif builder is None or ("\t" not in line and _parse_header(line, "t")):
            if builder is not None:
                yield builder.build()
                n_documents += 1
            header = _parse_header(line, "t")
            if header is None:
                raise ValueError(Errors.E102.format(path=source, line=line_no, found=line))
            builder = _DocumentBuilder(pmid=header[0], title=header[1], line=line_no)
            expect_abstract = True
        else:
            builder.add_mention(line, line_no, source)
    if expect_abstract:
        raise ValueError(
            Errors.E103.format(
                path=source, line=line_no + 1, pmid=builder.pmid, found="<end of file>"
            )
        )
    if builder is not None:
        yield builder.build()
        n_documents += 1
    if n_documents == 0:
        raise ValueError(Errors.E101.format(path=source))


def _parse_header(line: str, kind: str) -> Optional[Tuple[str, str]]:
    """Split a 'PMID|t|TEXT' (kind "t") or 'PMID|a|TEXT' (kind "a") line.

    RETURNS (Optional[Tuple[str, str]]): (pmid, text), or None if the line is not of that kind.
    """
    parts = line.split("|", 2)
    if len(parts) != 3 or parts[1] != kind:
        return None
    pmid = parts[0].strip()
    if not pmid or "\t" in pmid:
        return None
    return pmid, parts[2]


class _DocumentBuilder:
    """Collects one document's lines and validates its mentions against its text."""

    def __init__(self, pmid: str, title: str, line: int) -> None:
        self.pmid = pmid
        self.title = title
        self.line = line
        self.abstract = ""
        self.text = ""
        self.mentions = []

    def set_abstract(
        self, header: Optional[Tuple[str, str]], line: str, line_no: int, source: str
    ) -> None:
        if header is None or header[0] != self.pmid:
            raise ValueError(
                Errors.E103.format(path=source, line=line_no, pmid=self.pmid, found=line)
            )
        self.abstract = header[1]
        self.text = f"{self.title} {self.abstract}"

    def add_mention(self, line: str, line_no: int, source: str) -> None:
        fields = line.split("\t")
        if len(fields) != _N_MENTION_FIELDS:
            raise ValueError(Errors.E104.format(path=source, line=line_no, found=len(fields)))
        pmid, start_str, end_str, gold_text, mention_type, raw_ids = fields
        if pmid.strip() != self.pmid:
            raise ValueError(
                Errors.E105.format(path=source, line=line_no, found=pmid, pmid=self.pmid)
            )
        start = _parse_offset(start_str, "start", line_no, source)
        end = _parse_offset(end_str, "end", line_no, source)
        if not 0 <= start < end <= len(self.text):
            raise ValueError(
                Errors.E107.format(
                    path=source, line=line_no, start=start, end=end, length=len(self.text)
                )
            )
        found = self.text[start:end]
        # One NCBI disease corpus mention carries trailing spaces outside its offsets: compare
        # without trailing whitespace, and keep the gold offsets.
        if found != gold_text and found.rstrip() != gold_text.rstrip():
            raise ValueError(
                Errors.E108.format(
                    path=source, line=line_no, expected=gold_text, start=start, end=end,
                    found=found,
                )
            )
        self.mentions.append(
            PubtatorMention(
                start=start,
                end=end,
                text=found,
                type=mention_type.strip(),
                ids=split_ids(raw_ids),
                line=line_no,
                raw_ids=raw_ids,
            )
        )

    def build(self) -> PubtatorDocument:
        return PubtatorDocument(
            pmid=self.pmid,
            title=self.title,
            abstract=self.abstract,
            mentions=tuple(self.mentions),
            line=self.line,
        )


def _parse_offset(value: str, field: str, line_no: int, source: str) -> int:
    try:
        return int(value.strip())
    except ValueError as err:
        raise ValueError(
            Errors.E106.format(path=source, line=line_no, field=field, found=value)
        ) from err

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
import hashlib
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Tuple, Union

from ..errors import Errors, Warnings
from ..input_files import iter_raw_lines

# Ids of a composite mention are joined by "|" and, in a few NCBI disease corpus mentions, by
# "+"; BioRED joins the ids of one mention by ",".
_ID_SEPARATORS = re.compile(r"[|+,]")
_N_MENTION_FIELDS = 6
# BC5CDR writes a 7th field on composite mentions (the texts of their parts): ignored.
_N_MENTION_FIELDS_WITH_PARTS = 7
# PubTator relation lines: pmid, relation type, id, id (BC5CDR) [, novelty (BioRED)].
_N_RELATION_FIELDS = (4, 5)
_N_EXAMPLES = 3


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

    pmid (str): The document id, unique within a file except for word-for-word repeats
        (the NCBI disease training set repeats one document), which are kept with W111.
    title (str): The title text.
    abstract (str): The abstract text (may be empty).
    mentions (Tuple[PubtatorMention, ...]): The mentions in corpus order.
    line (int): The 1-based line number of the title line in its source.
    n_relations (int): Relation lines of the document, skipped (counted in W112).
    """

    pmid: str
    title: str
    abstract: str
    mentions: Tuple[PubtatorMention, ...]
    line: int
    n_relations: int = 0

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
    """Read a PubTator file (plain or .gz), one document at a time.

    The file's existence is checked when this is called; everything else is checked while
    iterating, with coded errors that name the file and the line.

    path (Union[str, Path]): The PubTator file.
    encoding (str): The file's text encoding.
    RETURNS (Iterator[PubtatorDocument]): The documents in file order.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(Errors.E100.format(path=path))
    return parse_pubtator_lines(decoded_lines(path, encoding), source=str(path))


def decoded_lines(path: Path, encoding: str = "utf8", gzip_error: str = Errors.E117) -> Iterator[str]:
    """Yield the decoded lines of a corpus file (plain or .gz), with their line endings.

    Decoded line by line (rather than in text mode) so that a decoding error (E109) names its
    line; a .gz file that cannot be decompressed raises `gzip_error` (E117).

    path (Path): The file.
    encoding (str): Its text encoding.
    gzip_error (str): The coded message for decompression errors ({path}, {line}, {error}).
    YIELDS (str): The lines; a byte-order mark at the start is dropped.
    """
    for line_no, raw in iter_raw_lines(path, gzip_error):
        try:
            line = raw.decode(encoding)
        except UnicodeDecodeError as err:
            raise ValueError(
                Errors.E109.format(path=path, line=line_no, encoding=encoding, error=err)
            ) from err
        yield line


def parse_pubtator_lines(
    lines: Iterable[str], source: str = "<string>"
) -> Iterator[PubtatorDocument]:
    """Parse PubTator lines into documents.

    Blank lines separate documents; several blank lines and a missing final newline are fine.
    A title line directly after a mention line also starts a new document. Document ids are
    keys: a second document with an earlier id raises E119, unless it repeats that document
    word for word (kept, and counted in one W111 warning).

    lines (Iterable[str]): The lines, with or without their line endings.
    source (str): The name of the source, used in error messages.
    RETURNS (Iterator[PubtatorDocument]): The documents in source order.
    """
    seen: Dict[str, Tuple[int, bytes]] = {}  # pmid -> (title line, content digest)
    repeats: List[str] = []
    n_documents = n_relations = 0
    for document in _parse_documents(lines, source):
        n_relations += document.n_relations
        digest = _content_digest(document)
        first_line, first_digest = seen.setdefault(document.pmid, (document.line, digest))
        if first_line != document.line:
            if first_digest != digest:
                raise ValueError(
                    Errors.E119.format(
                        path=source, line=document.line, pmid=document.pmid, first_line=first_line
                    )
                )
            repeats.append(f"{document.pmid}: {document.line}, {first_line}")
        n_documents += 1
        yield document
    if n_documents == 0:
        raise ValueError(Errors.E101.format(path=source))
    if repeats:
        warnings.warn(
            Warnings.W111.format(
                n_repeats=len(repeats), path=source, examples="; ".join(repeats[:_N_EXAMPLES])
            )
        )
    if n_relations:
        warnings.warn(Warnings.W112.format(n_relations=n_relations, path=source))


def _content_digest(document: PubtatorDocument) -> bytes:
    """A digest of the title, abstract and mentions (not the line numbers), so that repeats
    are found without keeping every document of a large file."""
    mentions = [(m.start, m.end, m.type, m.raw_ids) for m in document.mentions]
    content = repr((document.title, document.abstract, mentions))  # repr escapes surrogates
    return hashlib.sha1(content.encode("utf8")).digest()


def _parse_documents(lines: Iterable[str], source: str) -> Iterator[PubtatorDocument]:
    builder: Optional[_DocumentBuilder] = None
    expect_abstract = False
    line_no = 0
    for line_no, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        if expect_abstract:
            builder.set_abstract(_parse_header(line, "a"), line, line_no, source)
            expect_abstract = False
        elif not line.strip():
            if builder is not None:
                yield builder.build()
                builder = None
        elif builder is None or ("\t" not in line and _parse_header(line, "t")):
            if builder is not None:
                yield builder.build()
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
        self.n_relations = 0

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
        if _is_relation(fields):
            if fields[0].strip() != self.pmid:
                raise ValueError(Errors.E105.format(path=source, line=line_no, found=fields[0], pmid=self.pmid))
            self.n_relations += 1
            return
        if len(fields) not in (_N_MENTION_FIELDS, _N_MENTION_FIELDS_WITH_PARTS):
            raise ValueError(Errors.E104.format(path=source, line=line_no, found=len(fields)))
        pmid, start_str, end_str, gold_text, mention_type, raw_ids = fields[:_N_MENTION_FIELDS]
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
            n_relations=self.n_relations,
        )


def _is_relation(fields: List[str]) -> bool:
    """A relation line: 4 or 5 fields, a relation type (not an offset) second."""
    kind = fields[1].strip() if len(fields) > 1 else ""
    return len(fields) in _N_RELATION_FIELDS and kind != "" and not kind.lstrip("-").isdigit()


def _parse_offset(value: str, field: str, line_no: int, source: str) -> int:
    try:
        return int(value.strip())
    except ValueError as err:
        raise ValueError(
            Errors.E106.format(path=source, line=line_no, field=field, found=value)
        ) from err

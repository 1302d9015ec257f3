"""Vocabulary readers: pure generators of Concept records.

Every problem is reported with the file, the line and the field. With on_error="raise" the
first bad row raises a coded ValueError; with on_error="skip" bad rows are skipped, counted
and reported once at the end with a W001 warning (count plus the first few problems).
"""
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

import srsly

from ..errors import Errors, Warnings
from ..input_files import find_lone_surrogate, iter_raw_lines
from .ids import KB_ID_SEPARATOR, normalize_concept_id
from .records import Concept

PathLike = Union[str, Path]

ENCODING = "utf-8"
MEDIC_COLUMNS = (
    "DiseaseName",
    "DiseaseID",
    "AltDiseaseIDs",
    "Definition",
    "ParentIDs",
    "TreeNumbers",
    "ParentTreeNumbers",
    "Synonyms",
    "SlimMappings",
)
_LIST_SEPARATOR = "|"
_N_EXAMPLES = 3
_ON_ERROR = ("raise", "skip")
# JSONL fields that must be lists of strings.
_JSONL_LIST_FIELDS = ("synonyms", "tree_numbers", "parent_ids", "alt_ids", "categories")
# A primary or alt id with the composite separator or whitespace would be scored as several
# concepts (issue 13).
_BAD_ID_CHAR = re.compile(f"[{re.escape(KB_ID_SEPARATOR)}\\s]")


@dataclass
class ReadStats:
    """Counts a reader fills in while it is iterated (pass one to keep the numbers; the
    reader also warns with W001 when it skipped rows).

    n_rows (int): Data rows seen (comments and blank lines excluded).
    n_concepts (int): Concepts yielded.
    n_skipped (int): Rows skipped with on_error="skip".
    examples (List[str]): The first few problems, as error messages.
    """

    n_rows: int = 0
    n_concepts: int = 0
    n_skipped: int = 0
    examples: List[str] = field(default_factory=list)


class _RowError(ValueError):
    """A problem with one row; raised as is (on_error='raise') or counted (on_error='skip')."""


class _SkipReport:
    """Counts the rows skipped by a reader and warns once, at the end."""

    def __init__(self, path: Path, on_error: str, stats: Optional[ReadStats]):
        self.path = path
        self.on_error = on_error
        self.stats = stats if stats is not None else ReadStats()

    def handle(self, err: _RowError) -> None:
        if self.on_error == "raise":
            raise ValueError(str(err)) from err.__cause__
        self.stats.n_skipped += 1
        if len(self.stats.examples) < _N_EXAMPLES:
            self.stats.examples.append(str(err))

    def finish(self, n_yielded: int) -> None:
        self.stats.n_concepts = n_yielded
        if self.stats.n_skipped:
            warnings.warn(
                Warnings.W001.format(
                    n_skipped=self.stats.n_skipped,
                    n_total=self.stats.n_rows,
                    path=self.path,
                    examples=" | ".join(self.stats.examples),
                ),
                stacklevel=3,
            )
        if n_yielded == 0:
            raise ValueError(Errors.E002.format(path=self.path))


def _not_a_file(path: Path) -> str:
    return " (it is a folder: pass the vocabulary file in it)" if path.is_dir() else ""


def _check_args(path: PathLike, on_error: str) -> Path:
    if on_error not in _ON_ERROR:
        raise ValueError(Errors.E012.format(value=on_error))
    path = Path(path)
    if not path.is_file():
        raise ValueError(Errors.E001.format(path=path, problem=_not_a_file(path)))
    return path


def _iter_lines(path: Path, report: _SkipReport) -> Iterator[Tuple[int, str]]:
    """Yield (1-based line number, decoded line without the newline); .gz is decompressed.
    Lines that cannot be decoded are reported with E006 and not yielded; a .gz file that cannot
    be decompressed raises E018."""
    for line_no, raw in iter_raw_lines(path, Errors.E018):
        try:
            line = raw.decode(ENCODING)
        except UnicodeDecodeError as err:
            report.stats.n_rows += 1
            row_err = _RowError(
                Errors.E006.format(path=path, line=line_no, encoding=ENCODING, error=err)
            )
            row_err.__cause__ = err
            report.handle(row_err)
            continue
        yield line_no, line.rstrip("\r\n")


def _split_list(value: str) -> Tuple[str, ...]:
    """Split a "|"-separated MEDIC field, dropping empty items and repeats (order kept)."""
    items = (item.strip() for item in value.split(_LIST_SEPARATOR))
    return tuple(dict.fromkeys(item for item in items if item))


def _split_ids(value: str) -> Tuple[str, ...]:
    return tuple(dict.fromkeys(normalize_concept_id(item) for item in _split_list(value)))


def read_medic(
    path: PathLike, on_error: str = "raise", stats: Optional[ReadStats] = None
) -> Iterator[Concept]:
    """Read a MEDIC (CTD_diseases) TSV file, plain or gzipped. Comment lines starting with "#"
    and blank lines are ignored; ids are normalized with normalize_concept_id.

    path (Union[str, Path]): The .tsv or .tsv.gz file.
    on_error (str): "raise" to stop at the first bad row, "skip" to skip, count and warn (W001).
    stats (Optional[ReadStats]): Filled in with row counts while iterating.
    RETURNS (Iterator[Concept]): One concept per row, in file order.
    """
    path = _check_args(path, on_error)
    return _iter_medic(path, on_error, stats)


def _iter_medic(path: Path, on_error: str, stats: Optional[ReadStats]) -> Iterator[Concept]:
    return _iter_concepts(path, on_error, stats, _parse_medic_row, comment_prefix="#")


def _iter_concepts(
    path: Path, on_error: str, stats: Optional[ReadStats], parse_row, comment_prefix=None
) -> Iterator[Concept]:
    """The loop both readers share: skip blank (and comment) lines, parse, reject duplicate
    ids, and count or raise row errors through _SkipReport."""
    report = _SkipReport(path, on_error, stats)
    first_line: Dict[str, int] = {}
    for line_no, line in _iter_lines(path, report):
        if not line.strip() or (comment_prefix and line.startswith(comment_prefix)):
            continue
        report.stats.n_rows += 1
        try:
            concept = parse_row(line, path, line_no)
            _check_duplicate(concept.concept_id, first_line, path, line_no)
        except _RowError as err:
            report.handle(err)
            continue
        yield concept
    report.finish(len(first_line))


def _parse_medic_row(line: str, path: Path, line_no: int) -> Concept:
    columns = line.split("\t")
    if len(columns) != len(MEDIC_COLUMNS):
        raise _RowError(
            Errors.E003.format(
                path=path,
                line=line_no,
                expected=len(MEDIC_COLUMNS),
                columns=", ".join(MEDIC_COLUMNS),
                found=len(columns),
            )
        )
    row = dict(zip(MEDIC_COLUMNS, (column.strip() for column in columns)))
    for column_name in ("DiseaseID", "DiseaseName"):
        if not row[column_name]:
            raise _RowError(Errors.E004.format(path=path, line=line_no, field=column_name))
    return Concept(
        concept_id=_check_ids((normalize_concept_id(row["DiseaseID"]),), path, line_no, "DiseaseID")[0],
        name=row["DiseaseName"],
        synonyms=_split_list(row["Synonyms"]),
        definition=row["Definition"],
        tree_numbers=_split_list(row["TreeNumbers"]),
        parent_ids=_split_ids(row["ParentIDs"]),
        alt_ids=_check_ids(_split_ids(row["AltDiseaseIDs"]), path, line_no, "AltDiseaseIDs"),
        categories=_split_list(row["SlimMappings"]),
    )


# How to fix an id with a separator or whitespace, by field (E020).
_ID_FIXES = {
    "DiseaseID": "write one id here and further ids in AltDiseaseIDs, separated by '|'",
    "AltDiseaseIDs": "separate the alt ids by '|' alone",
    "id": "write one id here and further ids as items of \"alt_ids\"",
    "alt_ids": "write each id as its own item of the list",
}


def _check_ids(ids: Tuple[str, ...], path: Path, line_no: int, field: str) -> Tuple[str, ...]:
    """RETURNS (Tuple[str, ...]): The ids, if none holds the composite separator or
    whitespace (E020 otherwise)."""
    for concept_id in ids:
        match = _BAD_ID_CHAR.search(concept_id)
        if match is not None:
            char = match.group()
            if char == KB_ID_SEPARATOR:
                found = f"'{char}' (the separator of composite ids)"
            else:
                found = "a tab" if char == "\t" else f"whitespace ({char!r})"
            raise _RowError(
                Errors.E020.format(
                    path=path, line=line_no, field=field, concept_id=concept_id, found=found,
                    fix=_ID_FIXES[field],
                )
            )
    return ids


def _check_duplicate(concept_id: str, first_line: Dict[str, int], path: Path, line_no: int) -> None:
    if concept_id in first_line:
        raise _RowError(
            Errors.E005.format(
                path=path, line=line_no, concept_id=concept_id, first_line=first_line[concept_id]
            )
        )
    first_line[concept_id] = line_no


def read_concepts_jsonl(
    path: PathLike, on_error: str = "raise", stats: Optional[ReadStats] = None
) -> Iterator[Concept]:
    """Read a JSONL vocabulary: one object per line with "id" and "name" (required) and
    optionally "synonyms", "definition", "tree_numbers", "parent_ids", "alt_ids",
    "categories". Blank lines are ignored; ids are normalized with normalize_concept_id.

    path (Union[str, Path]): The .jsonl / .json file (optionally .gz).
    on_error (str): "raise" to stop at the first bad line, "skip" to skip, count and warn (W001).
    stats (Optional[ReadStats]): Filled in with row counts while iterating.
    RETURNS (Iterator[Concept]): One concept per line, in file order.
    """
    path = _check_args(path, on_error)
    return _iter_concepts_jsonl(path, on_error, stats)


def _iter_concepts_jsonl(path: Path, on_error: str, stats: Optional[ReadStats]) -> Iterator[Concept]:
    return _iter_concepts(path, on_error, stats, _parse_jsonl_row)


def _type_name(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"[:80]


def _check_surrogates(data: Dict[str, Any], path: Path, line_no: int) -> None:
    for name in ("id", "name", "definition", *_JSONL_LIST_FIELDS):
        value = data.get(name) or ()
        for text in [value] if isinstance(value, str) else value:
            found = find_lone_surrogate(text)
            if found is not None:
                raise _RowError(Errors.E019.format(path=path, line=line_no, field=name, found=found))


def _parse_jsonl_row(line: str, path: Path, line_no: int) -> Concept:
    try:
        data = srsly.json_loads(line)
    except ValueError as err:
        row_err = _RowError(Errors.E007.format(path=path, line=line_no, error=err))
        row_err.__cause__ = err
        raise row_err
    if not isinstance(data, dict):
        raise _RowError(
            Errors.E008.format(
                path=path, line=line_no, field="(line)", expected="a JSON object", found=_type_name(data)
            )
        )
    for name in ("id", "name", "definition"):
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise _RowError(
                Errors.E008.format(
                    path=path, line=line_no, field=name, expected="a string", found=_type_name(value)
                )
            )
    for name in ("id", "name"):
        if not (data.get(name) or "").strip():
            raise _RowError(Errors.E004.format(path=path, line=line_no, field=name))
    for name in _JSONL_LIST_FIELDS:
        value = data.get(name)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(item, str) for item in value)
        ):
            raise _RowError(
                Errors.E008.format(
                    path=path, line=line_no, field=name, expected="a list of strings", found=_type_name(value)
                )
            )
    if not line.isascii() or "\\u" in line:  # a lone surrogate needs one or a \u escape
        _check_surrogates(data, path, line_no)

    def strings(field: str) -> Tuple[str, ...]:
        return tuple(dict.fromkeys(s.strip() for s in data.get(field) or () if s.strip()))

    def ids(field: str) -> Tuple[str, ...]:
        return tuple(dict.fromkeys(normalize_concept_id(s) for s in strings(field)))

    return Concept(
        concept_id=_check_ids((normalize_concept_id(data["id"]),), path, line_no, "id")[0],
        name=data["name"].strip(),
        synonyms=strings("synonyms"),
        definition=(data.get("definition") or "").strip(),
        tree_numbers=strings("tree_numbers"),
        parent_ids=ids("parent_ids"),
        alt_ids=_check_ids(ids("alt_ids"), path, line_no, "alt_ids"),
        categories=strings("categories"),
    )


def read_vocabulary(
    path: PathLike,
    format: str = "auto",
    on_error: str = "raise",
    stats: Optional[ReadStats] = None,
) -> Iterator[Concept]:
    """Read a vocabulary file, choosing the reader by format or by the file suffix
    (.tsv/.tsv.gz -> MEDIC; .jsonl/.json(.gz) -> JSONL concepts).

    path (Union[str, Path]): The vocabulary file.
    format (str): "auto", "medic" or "jsonl".
    on_error (str): "raise" or "skip" (see read_medic).
    stats (Optional[ReadStats]): Filled in with row counts while iterating.
    RETURNS (Iterator[Concept]): The concepts.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(Errors.E001.format(path=path, problem=_not_a_file(path)))
    if format == "auto":
        suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
        suffix = suffixes[-1] if suffixes else ""
        format = {".tsv": "medic", ".jsonl": "jsonl", ".json": "jsonl"}.get(suffix, format)
    if format == "medic":
        return read_medic(path, on_error=on_error, stats=stats)
    if format == "jsonl":
        return read_concepts_jsonl(path, on_error=on_error, stats=stats)
    raise ValueError(Errors.E013.format(path=path, format=format))

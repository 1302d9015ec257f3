"""Input files read line by line, plain or gzip-compressed, with coded errors (issue 13).

The KB readers and the corpus readers share this; each passes its own coded message, so an
error names the reader's area, the file and the line reached.
"""
import gzip
import re
import zlib
from pathlib import Path
from typing import Iterator, Optional, Tuple

GZIP_SUFFIX = ".gz"
# gzip raises EOFError on a truncated stream (which click turns into a bare "Aborted."),
# BadGzipFile on data that is not gzip or fails its CRC or length check, and zlib.error on a
# corrupt deflate stream.
GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)
# Editors on Windows start UTF-8 files with one; it is never part of the first record.
UTF8_BOM = b"\xef\xbb\xbf"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def iter_raw_lines(path: Path, gzip_error: str) -> Iterator[Tuple[int, bytes]]:
    """Yield the lines of a file as bytes; a .gz file is decompressed and a UTF-8 byte-order
    mark at the start of the file is dropped.

    path (Path): The file.
    gzip_error (str): A coded message with {path}, {line} and {error}, raised as a ValueError
        when a .gz file cannot be decompressed (line: the line being read).
    YIELDS (Tuple[int, bytes]): The 1-based line number and the line with its line ending.
    """
    if path.suffix != GZIP_SUFFIX:
        with path.open("rb") as file_:
            yield from _without_bom(enumerate(file_, start=1))
        return
    line_no = 0
    try:
        with gzip.open(path, "rb") as file_:
            for line_no, raw in _without_bom(enumerate(file_, start=1)):
                yield line_no, raw
    except GZIP_ERRORS as err:
        kind = type(err)
        name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
        error = f"{name}: {err}"
        raise ValueError(gzip_error.format(path=path, line=line_no + 1, error=error)) from err


def _without_bom(lines: Iterator[Tuple[int, bytes]]) -> Iterator[Tuple[int, bytes]]:
    for line_no, raw in lines:
        yield line_no, raw[len(UTF8_BOM):] if line_no == 1 and raw.startswith(UTF8_BOM) else raw


def find_lone_surrogate(text: str) -> Optional[str]:
    """Find a lone UTF-16 surrogate, which a JSON escape ("\\ud800") can put in a string: it
    is not a character and fails later, when the text is written as UTF-8.

    text (str): The text.
    RETURNS (Optional[str]): The first one as an escape ("\\ud800"), or None.
    """
    match = _LONE_SURROGATE.search(text)
    return None if match is None else f"\\u{ord(match.group()):04x}"

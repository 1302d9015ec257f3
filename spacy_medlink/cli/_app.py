import os
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Tuple

import srsly
import typer
from wasabi import msg

from ..errors import Errors
from ..output_files import written_atomically

app = typer.Typer(
    name="spacy-medlink",
    help="Medical entity linking for spaCy: build knowledge bases, convert corpora, evaluate.",
    no_args_is_help=True,
    add_completion=False,
)
Arg = typer.Argument
Opt = typer.Option
# Our coded errors start with this; anything else that escapes a command is a bug.
CODED_ERROR_PREFIX = "[MLE"
CODED_WARNING_PREFIX = "[MLW"


@contextmanager
def coded_errors() -> Iterator[None]:
    """Show a coded error (a ValueError or OSError whose message starts with "[MLE") as one
    message and exit with code 1, without a traceback. Used as a decorator on every command
    (`@coded_errors()`) or as a context manager.

    Other exceptions keep their traceback: they are bugs. An EOFError is re-raised as a
    RuntimeError, because click would turn it into a bare "Aborted." (issue 13). Coded
    warnings print as one message, without Python's "file:line: UserWarning:" prefix and
    source line, while the command runs.
    """
    python_format = warnings.formatwarning

    def format_warning(message, category, filename, lineno, line=None) -> str:
        if str(message).startswith(CODED_WARNING_PREFIX):
            return f"\u26a0 {message}\n"
        return python_format(message, category, filename, lineno, line)

    warnings.formatwarning = format_warning
    try:
        yield
    except (ValueError, OSError) as err:
        if not str(err).startswith(CODED_ERROR_PREFIX):
            raise
        msg.fail(str(err), exits=1)
    except EOFError as err:
        raise RuntimeError(f"Unexpected EOFError (a bug, not an input error): {err}") from err
    finally:
        warnings.formatwarning = python_format


def check_distinct_paths(outputs: Iterable[Tuple[str, Optional[Path]]], inputs: Iterable[Tuple[str, Optional[Path]]]) -> None:
    """Refuse an output path that is also an input or another output of the command (E310):
    writing it would replace what the command reads, or what it wrote a moment before.

    outputs, inputs: (what, path) pairs; a None path is not given.
    RAISES OSError: E310.
    """
    seen = {}
    for what, path in inputs:
        if path is not None:
            seen.setdefault(Path(path).resolve(), what)
    for what, path in outputs:
        if path is None:
            continue
        key = Path(path).resolve()
        if key in seen:
            raise OSError(Errors.E310.format(what=what, path=path, other=seen[key]))
        seen[key] = what


def check_output_path(path: Path, what: str, *, folder: bool = False) -> Path:
    """Check, before a command does its work, that it can write an output there; nothing is
    created (the writer creates missing folders).

    path (Path): The output file, or with folder=True the output folder.
    what (str): What is written, for the message ("the KB", "metrics").
    folder (bool): Whether the output is a folder.
    RETURNS (Path): The path.
    RAISES OSError: E303 (a part of the path is a file), E304 (not writable), E305 (the path
        exists as the other kind).
    """
    path = Path(path)
    if path.exists():
        if path.is_dir() != folder:
            kinds = ("folder", "file") if folder else ("file", "folder")
            raise OSError(Errors.E305.format(what=what, path=path, expected=kinds[0], found=kinds[1]))
        writable = path
    else:
        writable = next(parent for parent in path.parents if parent.exists())
        if not writable.is_dir():
            raise OSError(Errors.E303.format(what=what, path=path, blocker=writable))
    if not os.access(writable, os.W_OK):
        raise OSError(Errors.E304.format(what=what, path=path, blocker=writable))
    return path


def save_json(path: Path, data: Any, what: str) -> None:
    """Write a command's JSON output (creating its folder) and say where it went.

    path (Path): The JSON file.
    data (Any): JSON-serializable data.
    what (str): What it is, for the message ("metrics", "the report").
    """
    check_output_path(path, what)
    with written_atomically(path, what) as tmp:
        srsly.write_json(tmp, data)
    msg.good(f"Saved {what} to {path}")

"""Output files written whole or not at all: into a temporary sibling, flushed, then renamed
into place. A full disk or a failed write leaves the earlier file (or none), never a
truncated one that a later command would fail on without naming the cause."""
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Union

from .errors import Errors

TMP_SUFFIX = ".tmp"


def replace_atomically(tmp: Path, path: Path) -> None:
    """Move a fully written temporary file into place (flushed to disk first)."""
    with tmp.open("r+b") as file_:  # write access: Windows' FlushFileBuffers needs it
        os.fsync(file_.fileno())
    os.replace(tmp, path)


@contextmanager
def written_atomically(path: Union[str, Path], what: str) -> Iterator[Path]:
    """Yield the temporary path to write; on success it replaces `path` (its folder is
    created). RAISES OSError: E306 naming `what` and `path` when writing fails (no space,
    no permission), the temporary file removed."""
    path = Path(path)
    tmp = path.with_name(path.name + TMP_SUFFIX)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield tmp
        replace_atomically(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise OSError(Errors.E306.format(what=what, path=path, error=err)) from err
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise

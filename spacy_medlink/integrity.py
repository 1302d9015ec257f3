"""Saved folders that prove they are whole: a manifest of every file's size and sha256.

Components and the KB write `medlink_files.json` last in to_disk and check it first in
from_disk, before any bytes reach a decoder. spaCy's Cython KB reader trusts its input: a
missing `contents` file segfaults, a truncated one asks for petabytes. A damaged file that
happens to decode (a reordered alias table) would otherwise change links silently.

Folders saved before manifests existed load with the presence checks of their owners only.
"""
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Optional

import srsly

from .errors import Errors

MANIFEST_FILE = "medlink_files.json"
_BLOCK = 1 << 20


def file_sha256(path: Path) -> str:
    """RETURNS (str): The hex sha256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as file_:
        for block in iter(lambda: file_.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def file_entry(path: Path) -> Dict[str, Any]:
    """RETURNS (Dict[str, Any]): A file's manifest entry: {"bytes", "sha256"}."""
    return {"bytes": Path(path).stat().st_size, "sha256": file_sha256(path)}


def _files_under(folder: Path, skip: Iterable[str]) -> Iterable[Path]:
    """Files of a folder, sorted, leaving out nested folders that keep their own manifest."""
    skip = set(skip)
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or path.name == MANIFEST_FILE:
            continue
        if relative.parts[0] in skip:
            continue
        yield path


def write_manifest(folder: Path, skip: Iterable[str] = ()) -> Dict[str, Dict[str, Any]]:
    """Record the size and sha256 of every file under `folder` in its manifest.

    folder (Path): A saved folder (written completely before this is called).
    skip (Iterable[str]): Top-level entries left out (a nested KB folder has its own manifest).
    RETURNS (Dict[str, Dict[str, Any]]): relative path -> {"bytes", "sha256"}.
    """
    folder = Path(folder)
    files = {
        path.relative_to(folder).as_posix(): file_entry(path) for path in _files_under(folder, skip)
    }
    srsly.write_json(folder / MANIFEST_FILE, {"files": files, "sha256": _digest_of(files)})
    return files


def _digest_of(files: Dict[str, Any]) -> str:
    """The manifest's checksum of itself, so damage to it is not blamed on another file."""
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode("utf8")).hexdigest()


def manifest_digest(folder: Path) -> Optional[str]:
    """RETURNS (Optional[str]): the checksum a folder's manifest records over all its files'
    checksums (an identity of what the folder holds), or None without a manifest."""
    manifest_path = Path(folder) / MANIFEST_FILE
    if not manifest_path.exists():
        return None
    manifest = read_json(manifest_path)
    return manifest.get("sha256") if isinstance(manifest, dict) else None


def verify_manifest(
    folder: Path, required: Iterable[str] = (), *, max_checksum_bytes: Optional[int] = None
) -> int:
    """Check a saved folder before reading it: the required entries exist, and every file
    the manifest lists has its recorded size and sha256.

    folder (Path): The folder.
    required (Iterable[str]): Entries that must exist, manifest or not.
    max_checksum_bytes (Optional[int]): Files larger than this are checked by size only (the
        memory-mapped arrays of a UMLS-size KB: hashing gigabytes at every load would cost
        more than the load; `python -m spacy_medlink verify` checks them all).
    RETURNS (int): The files the manifest lists, all checked (0 without a manifest).
    RAISES ValueError: E030 (missing), E031 (size), E032 (checksum), E033 (bad manifest, or
        an entry outside the folder).
    """
    folder = Path(folder)
    for name in required:
        if not (folder / name).exists():
            raise ValueError(Errors.E030.format(path=folder / name, folder=folder))
    manifest_path = folder / MANIFEST_FILE
    if not manifest_path.exists():
        return 0
    manifest = read_json(manifest_path)
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or manifest.get("sha256") != _digest_of(files):
        raise ValueError(Errors.E033.format(path=manifest_path))
    for relative, entry in files.items():
        path = folder / relative
        normal = os.path.normpath(relative)  # lexically: a file linked in from elsewhere is fine
        if os.path.isabs(normal) or normal.split(os.sep)[0] == os.pardir:  # its own folder only
            raise ValueError(Errors.E033.format(path=manifest_path))
        if not path.is_file():
            raise ValueError(Errors.E030.format(path=path, folder=folder))
        try:
            expected_size, expected_sha = int(entry["bytes"]), str(entry["sha256"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(Errors.E033.format(path=manifest_path)) from None
        size = path.stat().st_size
        if size != expected_size:
            raise ValueError(Errors.E031.format(path=path, found=size, expected=expected_size))
        if max_checksum_bytes is not None and size > max_checksum_bytes:
            continue
        if file_sha256(path) != expected_sha:
            raise ValueError(Errors.E032.format(path=path))
    return len(files)


def verify_tree(folder: Path) -> Dict[Path, int]:
    """Check every manifest under a saved folder (a pipeline: its own manifest, written by
    `assemble`, covers spaCy's files too; each component's covers its own).

    folder (Path): The folder.
    RETURNS (Dict[Path, int]): The manifests checked, outermost first, and the files each lists.
    RAISES ValueError: E030-E033 naming the first damaged file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(Errors.E030.format(path=folder, folder=folder.parent))
    manifests = sorted(folder.rglob(MANIFEST_FILE), key=lambda p: (len(p.parts), p.as_posix()))
    return {manifest: verify_manifest(manifest.parent) for manifest in manifests}


def _read_coded(path: Path, read: Callable[[Path], Any], what: str) -> Any:
    try:
        return read(path)
    except FileNotFoundError:
        raise ValueError(Errors.E030.format(path=path, folder=Path(path).parent)) from None
    except Exception as err:  # any decoder error: name the file, not the decoder
        raise ValueError(Errors.E034.format(path=path, what=what, error=err)) from None


def read_json(path: Path) -> Any:
    """srsly.read_json with a coded error (E034) naming the file."""
    return _read_coded(path, srsly.read_json, "JSON")


def read_msgpack(path: Path) -> Any:
    """srsly.read_msgpack with a coded error (E034) naming the file."""
    return _read_coded(path, srsly.read_msgpack, "msgpack")

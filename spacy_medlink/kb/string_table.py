"""Millions of strings without millions of Python objects: the building block of the mapped KB.

A StringTable keeps its strings in one UTF-8 byte array with int64 offsets (row i is
blob[offsets[i]:offsets[i + 1]]); a HashedStrings adds a sorted array of 64-bit string hashes
for lookup by value. Both are saved as plain .npy files and loaded memory-mapped, so a table of
ten million strings costs no memory until rows are read, and loads in milliseconds.
"""
from pathlib import Path
from typing import Iterable, Iterator, Sequence, Tuple, Union

import numpy as np
from spacy.strings import hash_string

from ..errors import Errors



def offsets_of(lengths) -> np.ndarray:
    """RETURNS (np.ndarray): int64 offsets of consecutive ranges of these lengths, with a
    leading 0: range r is offsets[r]:offsets[r + 1] (a CSR indptr)."""
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


def offset_ranges(offsets: np.ndarray, rows: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """The ranges offsets[r]:offsets[r + 1] of the given rows, concatenated in one gather.

    RETURNS (Tuple[np.ndarray, np.ndarray]): (owner, position): position runs over each row's
        range in turn; owner is the index into `rows` of the range each position belongs to.
    """
    starts = offsets[rows]
    lengths = offsets[rows + 1] - starts
    owner = np.repeat(np.arange(len(rows)), lengths)
    positions = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
    return owner, positions


class StringTable:
    """Strings by row number, stored as one UTF-8 blob and offsets.

    blob (np.ndarray): uint8, the concatenated UTF-8 bytes.
    offsets (np.ndarray): int64, n + 1 offsets into blob.
    """

    def __init__(self, blob: np.ndarray, offsets: np.ndarray):
        self.blob = blob
        self.offsets = offsets

    @classmethod
    def from_strings(cls, strings: Iterable[str]) -> "StringTable":
        encoded = [s.encode("utf8") for s in strings]
        offsets = offsets_of([len(e) for e in encoded])
        blob = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        return cls(blob, offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, row: int) -> str:
        start, end = self.offsets[row], self.offsets[row + 1]
        return self.blob[start:end].tobytes().decode("utf8")

    def __iter__(self) -> Iterator[str]:
        for row in range(len(self)):
            yield self[row]

    def to_disk(self, path: Path, name: str) -> None:
        np.save(path / f"{name}.blob.npy", self.blob, allow_pickle=False)
        np.save(path / f"{name}.offsets.npy", self.offsets, allow_pickle=False)

    @classmethod
    def from_disk(cls, path: Path, name: str) -> "StringTable":
        blob = load_array(path / f"{name}.blob.npy")
        offsets = load_array(path / f"{name}.offsets.npy")
        if len(offsets) == 0 or offsets[-1] != len(blob):
            raise ValueError(Errors.E036.format(
                path=path / f"{name}.offsets.npy",
                error=f"the offsets end at {offsets[-1] if len(offsets) else None}, the blob has {len(blob)} bytes",
            ))
        return cls(blob, offsets)

    @staticmethod
    def file_names(name: str) -> Sequence[str]:
        return (f"{name}.blob.npy", f"{name}.offsets.npy")


class HashedStrings:
    """Row numbers of strings looked up by value: a StringTable plus its strings' 64-bit hashes
    (spaCy's hash_string), sorted, with the row each hash belongs to.

    strings (StringTable): The strings.
    hashes (np.ndarray): uint64, sorted.
    rows (np.ndarray): int64, rows[i] is the row of hashes[i].
    """

    def __init__(self, strings: StringTable, hashes: np.ndarray, rows: np.ndarray):
        self.strings = strings
        self.hashes = hashes
        self.rows = rows

    @classmethod
    def from_strings(cls, strings: Sequence[str]) -> "HashedStrings":
        hashes = string_hashes(strings)
        order = np.argsort(hashes, kind="stable")
        return cls(StringTable.from_strings(strings), hashes[order], order.astype(np.int64))

    def __len__(self) -> int:
        return len(self.strings)

    def row_of(self, text: str) -> int:
        """RETURNS (int): The row of `text`, or -1. Equal hashes are told apart by value."""
        key = np.uint64(hash_string(text))
        i = int(np.searchsorted(self.hashes, key))
        while i < len(self.hashes) and self.hashes[i] == key:
            row = int(self.rows[i])
            if self.strings[row] == text:
                return row
            i += 1
        return -1

    def to_disk(self, path: Path, name: str) -> None:
        self.strings.to_disk(path, name)
        np.save(path / f"{name}.hashes.npy", self.hashes, allow_pickle=False)
        np.save(path / f"{name}.rows.npy", self.rows, allow_pickle=False)

    @classmethod
    def from_disk(cls, path: Path, name: str) -> "HashedStrings":
        strings = StringTable.from_disk(path, name)
        hashes = load_array(path / f"{name}.hashes.npy")
        rows = load_array(path / f"{name}.rows.npy")
        if not (len(hashes) == len(rows) == len(strings)):
            raise ValueError(Errors.E036.format(
                path=path / f"{name}.hashes.npy",
                error=f"{len(hashes)} hashes and {len(rows)} rows for {len(strings)} strings",
            ))
        return cls(strings, hashes, rows)

    @staticmethod
    def file_names(name: str) -> Sequence[str]:
        return (*StringTable.file_names(name), f"{name}.hashes.npy", f"{name}.rows.npy")


def string_hashes(strings: Union[StringTable, Iterable[str]]) -> np.ndarray:
    """RETURNS (np.ndarray): uint64 spaCy hashes of the strings, in order."""
    return np.fromiter((hash_string(s) for s in strings), dtype=np.uint64)


def load_array(path: Path) -> np.ndarray:
    """np.load a saved array memory-mapped (read-only); a missing or damaged file raises E021
    naming it."""
    try:
        # A plain ndarray view of the mapping: indexing an np.memmap builds a memmap object
        # per access, several times slower for the single-row lookups of the linker.
        return np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray)
    except (OSError, ValueError, EOFError) as err:
        raise ValueError(Errors.E036.format(path=path, error=f"{type(err).__name__}: {err}")) from err

"""MedlinkKB: spaCy's InMemoryLookupKB plus the concept store, the alias index and metadata.

On disk (a folder):

    kb/                 InMemoryLookupKB.to_disk (entities, vectors, aliases, priors, strings)
    concepts.msgpack    ConceptStore (names, synonyms, definitions, tree numbers, alt ids,
                        training alias counts)
    alias_index/        CharNgramIndex over the alias strings (only if the KB has one)
    meta.json           name, version, source, n_concepts, n_aliases, encoder, ...
    medlink_files.json  size and sha256 of every file above, checked before anything is read
                        (spaCy's Cython reader crashes on a missing or damaged `contents`)
"""
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Union

import srsly
from spacy import util
from spacy.kb import InMemoryLookupKB
from spacy.util import SimpleFrozenList
from spacy.vocab import Vocab

from ..errors import Errors
from ..integrity import read_json, verify_manifest, write_manifest
from .alias_index import CharNgramIndex
from .store import ConceptStore

KB_DIR = "kb"
CONCEPTS_FILE = "concepts.msgpack"
ALIAS_INDEX_DIR = "alias_index"
META_FILE = "meta.json"
# What spaCy's InMemoryLookupKB.to_disk writes into KB_DIR; both must exist before it reads.
SPACY_KB_FILES = ("contents", "strings.json")


class MedlinkKB(InMemoryLookupKB):
    """An InMemoryLookupKB that also carries the concept records (store), the character
    n-gram index over its aliases (alias_index) and build metadata (meta).

    vocab (Vocab): The shared vocab.
    entity_vector_length (int): Length of the entity vectors.
    store (Optional[ConceptStore]): The concept records; an empty store if None.
    alias_index (Optional[CharNgramIndex]): Index over the KB's alias strings, or None.
    meta (Optional[Dict[str, Any]]): Build metadata (see kb.build.build_kb).
    """

    def __init__(
        self,
        vocab: Vocab,
        entity_vector_length: int,
        store: Optional[ConceptStore] = None,
        alias_index: Any = None,
        meta: Optional[Dict[str, Any]] = None,
    ):
        super().__init__(vocab, entity_vector_length)
        self.store = store if store is not None else ConceptStore()
        self.alias_index = alias_index
        self.meta: Dict[str, Any] = dict(meta or {})

    @classmethod
    def load(cls, path: Union[str, Path], vocab: Vocab) -> "MedlinkKB":
        """Load a KB folder written by to_disk, reading the vector length from meta.json.

        path (Union[str, Path]): The KB folder.
        vocab (Vocab): The vocab to load the KB's strings into (usually nlp.vocab).
        RETURNS (MedlinkKB): The loaded KB.
        """
        path = Path(path)
        _check_folder(path, (KB_DIR, META_FILE))
        meta = read_json(path / META_FILE)
        kb = cls(vocab, entity_vector_length=int(meta.get("entity_vector_length", 0)))
        return kb.from_disk(path)

    def to_disk(self, path: Union[str, Path], exclude: Iterable[str] = SimpleFrozenList()) -> None:
        """Save the KB to a folder.

        path (Union[str, Path]): The folder; created if needed.
        exclude (Iterable[str]): Parts not to write: "kb", "concepts", "alias_index", "meta".
        """
        path = util.ensure_path(path)
        if path.exists() and not path.is_dir():
            raise ValueError(Errors.E009.format(path=path, missing="the folder itself"))
        path.mkdir(parents=True, exist_ok=True)
        if "kb" not in exclude:
            super().to_disk(path / KB_DIR)
        if "concepts" not in exclude:
            self.store.to_disk(path / CONCEPTS_FILE)
        if "alias_index" not in exclude and self.alias_index is not None:
            self.alias_index.to_disk(path / ALIAS_INDEX_DIR)
        if "meta" not in exclude:
            srsly.write_json(path / META_FILE, self._meta_for_disk())
        write_manifest(path)

    def from_disk(self, path: Union[str, Path], exclude: Iterable[str] = SimpleFrozenList()) -> "MedlinkKB":
        """Load the KB from a folder written by to_disk.

        path (Union[str, Path]): The folder.
        exclude (Iterable[str]): Parts not to read: "kb", "concepts", "alias_index", "meta".
        RETURNS (MedlinkKB): The KB itself.
        """
        path = util.ensure_path(path)
        required = [
            name
            for part, name in (("kb", KB_DIR), ("concepts", CONCEPTS_FILE), ("meta", META_FILE))
            if part not in exclude
        ]
        _check_folder(path, required)
        if "kb" not in exclude:
            required += [f"{KB_DIR}/{name}" for name in SPACY_KB_FILES]
        verify_manifest(path, required)
        meta = read_json(path / META_FILE) if "meta" not in exclude else self.meta
        if not isinstance(meta, dict):
            raise ValueError(Errors.E035.format(path=path, problem=f"{META_FILE} is not a JSON object"))
        if "alias_index" not in exclude and meta.get("has_alias_index"):
            _check_folder(path, [ALIAS_INDEX_DIR])
        if "kb" not in exclude:
            _check_contents_header(path / KB_DIR / "contents", meta)
            super().from_disk(path / KB_DIR)
        if "concepts" not in exclude:
            self.store = ConceptStore().from_disk(path / CONCEPTS_FILE)
        if "alias_index" not in exclude:
            self.alias_index = None
            if (path / ALIAS_INDEX_DIR).exists():
                self.alias_index = CharNgramIndex.from_disk(path / ALIAS_INDEX_DIR)
        self.meta = dict(meta)
        self._check_consistency(path, exclude)
        return self

    def _check_consistency(self, path: Path, exclude: Iterable[str]) -> None:
        """The parts of a loaded KB agree with each other and with meta.json (E035)."""
        problems = []
        if "kb" not in exclude:
            n_entities = self.get_size_entities()
            if n_entities == 0:
                problems.append("it has no concepts")
            expected = self.meta.get("n_concepts")
            if expected is not None and int(expected) != n_entities:
                problems.append(f"meta.json says {expected} concepts, {KB_DIR}/contents holds {n_entities}")
            if "concepts" not in exclude and len(self.store) < n_entities:
                problems.append(f"{CONCEPTS_FILE} holds {len(self.store)} concepts, fewer than the {n_entities} of {KB_DIR}/contents")
        if "kb" not in exclude and "alias_index" not in exclude and self.alias_index is not None:
            n_index = len(self.alias_index.aliases)
            if n_index != self.get_size_aliases():
                problems.append(f"{ALIAS_INDEX_DIR} indexes {n_index} aliases, the KB has {self.get_size_aliases()}")
        if problems:
            raise ValueError(Errors.E035.format(path=path, problem="; ".join(problems)))

    def to_bytes(self, **kwargs) -> bytes:
        """Serialize the KB, its store, metadata and the strings it needs (spaCy's own
        to_bytes leaves the strings to the vocab, and writes vectors through JSON, which
        rounds them; this uses the exact binary format of to_disk). The alias index is
        included as it is, so a worker that unpickles the KB neither rebuilds it nor orders its
        rows differently from the process that pickled it.

        RETURNS (bytes): The serialized KB.
        """
        with tempfile.TemporaryDirectory() as tmp_dir:
            contents_path = Path(tmp_dir) / "contents"
            self.write_contents(contents_path)
            contents = contents_path.read_bytes()
        data = {
            "contents": contents,
            "strings": list(self.get_entity_strings()) + list(self.get_alias_strings()),
            "concepts": self.store.to_bytes(),
            "meta": self._meta_for_disk(),
        }
        if self.alias_index is not None:
            data["alias_index"] = self.alias_index.to_bytes()
        return srsly.msgpack_dumps(data)

    def from_bytes(self, bytes_data: bytes, *, exclude=tuple()) -> "MedlinkKB":
        """Load the KB from bytes written by to_bytes.

        bytes_data (bytes): The data.
        exclude (Iterable[str]): Not used; for spaCy's from_bytes signature.
        RETURNS (MedlinkKB): The KB itself.
        """
        data = srsly.msgpack_loads(bytes_data)
        for string in data["strings"]:
            self.vocab.strings.add(string)
        with tempfile.TemporaryDirectory() as tmp_dir:
            contents_path = Path(tmp_dir) / "contents"
            contents_path.write_bytes(data["contents"])
            self.read_contents(contents_path)
        self.store = ConceptStore().from_bytes(data["concepts"])
        self.meta = dict(data["meta"])
        self.alias_index = None
        if "alias_index" in data:
            self.alias_index = CharNgramIndex.from_bytes(data["alias_index"])
        elif self.meta.get("has_alias_index"):  # bytes of an earlier version: rebuilt
            self.alias_index = CharNgramIndex.from_aliases(list(self.get_alias_strings()))
        return self

    def __reduce__(self):
        # spaCy's Cython KB cannot be pickled (`self.c_map cannot be converted`); its bytes
        # can, so nlp.pipe(n_process=2) works where workers are spawned (macOS, Windows).
        return (_kb_from_bytes, (type(self), self.vocab, self.entity_vector_length, self.to_bytes()))

    def _meta_for_disk(self) -> Dict[str, Any]:
        meta = dict(self.meta)
        meta["entity_vector_length"] = self.entity_vector_length
        meta["n_concepts"] = self.get_size_entities()
        meta["n_aliases"] = self.get_size_aliases()
        meta["has_alias_index"] = self.alias_index is not None
        return meta


def _kb_from_bytes(cls, vocab: Vocab, entity_vector_length: int, data: bytes) -> "MedlinkKB":
    return cls(vocab, entity_vector_length).from_bytes(data)


def _check_contents_header(contents: Path, meta: Dict[str, Any]) -> None:
    """spaCy's reader allocates what the header of `contents` asks for before reading:
    check the header (entity count, vector length: two int64) against the file size."""
    size = contents.stat().st_size
    header_bytes = 16
    if size < header_bytes:
        raise ValueError(Errors.E031.format(path=contents, found=size, expected=f"at least {header_bytes}"))
    with contents.open("rb") as file_:
        n_entities, vector_length = (int.from_bytes(file_.read(8), "little", signed=True) for _ in range(2))
    expected_length = meta.get("entity_vector_length")
    # Each entity needs at least its vector (float32 each) in the file.
    if (
        n_entities < 0
        or vector_length < 0
        or (expected_length is not None and vector_length != int(expected_length))
        or n_entities * max(vector_length, 1) * 4 > size
    ):
        raise ValueError(Errors.E035.format(
            path=contents.parent.parent,
            problem=(f"{KB_DIR}/contents declares {n_entities} concepts with vectors of length "
                     f"{vector_length} in a file of {size} bytes"),
        ))


def _check_folder(path: Path, required: Iterable[str]) -> None:
    if not path.is_dir():
        raise ValueError(Errors.E009.format(path=path, missing="the folder itself"))
    for name in required:
        if not (path / name).exists():
            raise ValueError(Errors.E030.format(path=path / name, folder=path))

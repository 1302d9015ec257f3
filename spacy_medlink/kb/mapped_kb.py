"""MappedKB: a knowledge base of UMLS size (millions of concepts, ten million aliases) that
loads in a second and keeps almost nothing in memory.

MedlinkKB holds every alias and string in spaCy's InMemoryLookupKB and StringStore, and every
concept as a Python object: at 300,000 concepts it already takes 10 s and 1.9 GB to load. A
MappedKB keeps the same facts in flat numpy arrays, saved as .npy files and memory-mapped when
loaded (the operating system reads the pages a lookup touches):

    meta.json                    as MedlinkKB's, with "format": "mapped"
    aliases.*.npy                the normalized aliases (HashedStrings: lookup by value)
    entry_offsets.npy            alias row -> its slice of the entry arrays
    entry_concepts.npy           int32 concept rows, entry_priors.npy float32 P(concept | alias),
    entry_vocab.npy              uint8: the pair comes from a vocabulary name (not only training)
    vectors.npy                  float32 entity vectors, one row per concept
    concept_*.npy, alt_*.npy     the concept records (mapped_store.py)
    alias_counts.json            training alias counts
    trigram_index/               fuzzy alias search (trigram_index.py)
    medlink_files.json           sizes and sha256 (arrays over 64 MB: size only at load)

It answers what the linker asks a MedlinkKB (`store`, `alias_index`, `meta`,
`get_alias_candidates`, `alias_entries`, `get_vector`) and spaCy's KnowledgeBase contract
(`get_candidates`, `get_vectors`, serialization), so spaCy's own `entity_linker` can use it too.
A pipeline refers to the folder it was loaded from when it is pickled for `nlp.pipe(n_process)`
(the workers map the same files) and copies the folder when saved.
"""
import os
import shutil
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, NamedTuple, Tuple, Union

import numpy as np
import srsly
from spacy.kb import Candidate, KnowledgeBase
from spacy.tokens import Span
from spacy.vocab import Vocab

from ..errors import Errors
from ..integrity import read_json, verify_manifest, write_manifest
from .mapped_store import MappedConceptStore
from .string_table import HashedStrings, load_array
from .trigram_index import TrigramIndex

MAPPED_FORMAT = "mapped"
META_FILE = "meta.json"
TRIGRAM_INDEX_DIR = "trigram_index"
ENTRY_ARRAYS = ("entry_offsets", "entry_concepts", "entry_priors", "entry_vocab")
# Larger files are checked by size only when loading (integrity.verify_manifest).
MAX_CHECKSUM_BYTES = 64 * 2**20
# A MappedKB serializes to its folder's path: a few hundred bytes.
_MAX_MAPPED_BYTES = 64 * 2**10


class AliasCandidate(NamedTuple):
    """What MedlinkKB.get_alias_candidates' spaCy Candidates give the linker."""

    entity_: str
    prior_prob: float


class MappedKB(KnowledgeBase):
    """A KB in memory-mapped arrays (module docstring). Build one with build_mapped_kb or
    `python -m spacy_medlink build-kb VOCAB OUT --mapped`; load one with MappedKB.load."""

    def __init__(self, vocab: Vocab, entity_vector_length: int):
        super().__init__(vocab, entity_vector_length)
        self.store: Any = None
        self.alias_index: Any = None
        self.meta: Dict[str, Any] = {}
        self.aliases: Any = None
        self.entries: Dict[str, np.ndarray] = {}
        self.vectors = np.zeros((0, entity_vector_length), dtype=np.float32)
        self.path: Union[Path, None] = None

    @classmethod
    def from_arrays(cls, vocab: Vocab, store: MappedConceptStore, aliases: HashedStrings,
                    entries: Dict[str, np.ndarray], vectors: np.ndarray, alias_index: TrigramIndex,
                    meta: Dict[str, Any]) -> "MappedKB":
        kb = cls(vocab, vectors.shape[1])
        kb.store, kb.aliases, kb.entries, kb.vectors = store, aliases, entries, vectors
        kb.alias_index, kb.meta = alias_index, dict(meta)
        return kb

    @classmethod
    def load(cls, path: Union[str, Path], vocab: Vocab) -> "MappedKB":
        """Load a mapped KB folder (memory-mapped)."""
        path = Path(path)
        meta = read_json(path / META_FILE)
        return cls(vocab, int(meta["entity_vector_length"])).from_disk(path)

    # --- what the linker asks ------------------------------------------------------------
    def is_empty(self) -> bool:
        return self.get_size_entities() == 0

    def get_size_entities(self) -> int:
        return 0 if self.store is None else len(self.store)

    def get_size_aliases(self) -> int:
        return 0 if self.aliases is None else len(self.aliases)

    def get_alias_strings(self) -> Iterator[str]:
        return iter(self.aliases.strings) if self.aliases is not None else iter(())

    def get_entity_strings(self) -> Iterator[str]:
        return iter(self.store.id_table.strings) if self.store is not None else iter(())

    def _entry_slice(self, alias: str) -> Tuple[int, int]:
        row = self.aliases.row_of(alias) if self.aliases is not None else -1
        if row < 0:
            return 0, 0
        offsets = self.entries["entry_offsets"]
        return int(offsets[row]), int(offsets[row + 1])

    def alias_entries(self, alias: str) -> List[Tuple[str, bool, int]]:
        """RETURNS (List[Tuple[str, bool, int]]): (concept id, from a vocabulary name,
        training count) per concept of a normalized alias (candidates/base.py AliasTable.rows)."""
        start, end = self._entry_slice(alias)
        counts = self.store.alias_counts.get(alias, {})
        rows = self.entries["entry_concepts"][start:end]
        vocab = self.entries["entry_vocab"][start:end]
        result = []
        for row, is_vocab in zip(rows.tolist(), vocab.tolist()):
            concept_id = self.store.id_of(row)
            result.append((concept_id, bool(is_vocab), int(counts.get(concept_id, 0))))
        return result

    def get_alias_candidates(self, alias: str) -> List[AliasCandidate]:
        """RETURNS (List[AliasCandidate]): (entity_, prior_prob) per concept of the alias."""
        start, end = self._entry_slice(alias)
        rows = self.entries["entry_concepts"][start:end].tolist()
        priors = self.entries["entry_priors"][start:end].tolist()
        return [AliasCandidate(self.store.id_of(r), p) for r, p in zip(rows, priors)]

    def get_vector(self, entity: str) -> np.ndarray:
        row = self.store.row_of(entity)
        if row < 0:
            return np.zeros(self.entity_vector_length, dtype=np.float32)
        return np.asarray(self.vectors[row], dtype=np.float32)

    def get_vectors(self, entities: Iterable[str]) -> List[np.ndarray]:
        return [self.get_vector(entity) for entity in entities]

    # --- spaCy's KnowledgeBase contract (for its entity_linker) ---------------------------
    @property
    def supports_prior_probs(self) -> bool:
        return True

    def get_candidates(self, mention: Span) -> List[Candidate]:
        """spaCy Candidates for the exact text of a mention (as InMemoryLookupKB)."""
        strings = self.vocab.strings
        alias_hash = strings.add(mention.text)
        candidates = []
        for entity, prior in self.get_alias_candidates(mention.text):
            vector = self.get_vector(entity)
            candidates.append(Candidate(self, entity_hash=strings.add(entity), entity_freq=0.0,
                                        entity_vector=vector.tolist(), alias_hash=alias_hash,
                                        prior_prob=prior))
        return candidates

    def get_candidates_batch(self, mentions: Iterable[Span]) -> List[List[Candidate]]:
        return [self.get_candidates(span) for span in mentions]

    # --- serialization -------------------------------------------------------------------
    def to_disk(self, path: Union[str, Path], exclude: Iterable[str] = ()) -> None:
        """Write the KB folder; a loaded KB copies the folder it was loaded from. The folder is
        written beside its destination and moved into place when complete: a process that has
        the old files memory-mapped keeps reading them, never a half-written file."""
        path = Path(path)
        if self.path is not None and path.resolve() == self.path.resolve():
            return
        staging = path.with_name(f".{path.name}.writing-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        if self.path is not None:
            shutil.copytree(self.path, staging)
        else:
            self._write(staging)
        if path.exists():
            retired = path.with_name(f".{path.name}.replaced-{os.getpid()}")
            path.rename(retired)
            staging.rename(path)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            staging.rename(path)

    def _write(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.store.to_disk(path)
        self.aliases.to_disk(path, "aliases")
        for name in ENTRY_ARRAYS:
            np.save(path / f"{name}.npy", np.asarray(self.entries[name]), allow_pickle=False)
        np.save(path / "vectors.npy", np.asarray(self.vectors, dtype=np.float32), allow_pickle=False)
        self.alias_index.to_disk(path / TRIGRAM_INDEX_DIR)
        meta = {**self.meta, "format": MAPPED_FORMAT, "entity_vector_length": self.entity_vector_length,
                "n_concepts": self.get_size_entities(), "n_aliases": self.get_size_aliases()}
        srsly.write_json(path / META_FILE, meta)
        write_manifest(path)

    def from_disk(self, path: Union[str, Path], exclude: Iterable[str] = (), *, warm: bool = True) -> "MappedKB":
        """Load a mapped KB folder (memory-mapped).

        warm (bool): First read the files every lookup touches (trigram index, aliases,
            entries, vectors, concept ids and records) once, sequentially,
            into the operating system's page cache: a
            few seconds per GB, paid at load instead of one disk seek per page on the first
            lookups (which made a first pass over unseen text 5x slower). The memory is the
            page cache's, not this process's.
        """
        path = Path(path)
        required = [META_FILE, TRIGRAM_INDEX_DIR, "vectors.npy", *(f"{n}.npy" for n in ENTRY_ARRAYS)]
        verify_manifest(path, required, max_checksum_bytes=MAX_CHECKSUM_BYTES)
        meta = read_json(path / META_FILE)
        if not isinstance(meta, dict) or meta.get("format") != MAPPED_FORMAT:
            raise ValueError(Errors.E035.format(path=path, problem=f"{META_FILE} does not describe a mapped KB"))
        self.meta = dict(meta)
        if warm:
            warm_page_cache([
                path / TRIGRAM_INDEX_DIR, *path.glob("aliases.*.npy"), *path.glob("entry_*.npy"),
                path / "vectors.npy", *path.glob("concept_ids.*.npy"), *path.glob("alt_*.npy"),
                path / "concept_categories.npy", path / "concept_depths.npy",
                path / "concept_records.offsets.npy", path / "concept_records.blob.npy",
            ])
        self.store = MappedConceptStore.from_disk(path)
        self.aliases = HashedStrings.from_disk(path, "aliases")
        self.entries = {name: load_array(path / f"{name}.npy") for name in ENTRY_ARRAYS}
        self.vectors = load_array(path / "vectors.npy")
        self.alias_index = TrigramIndex.from_disk(path / TRIGRAM_INDEX_DIR)
        # Absolute: pickled KBs (nlp.pipe(n_process)) open it from another working directory.
        self.path = path.resolve()
        self._check_consistency(path)
        return self

    def _check_consistency(self, path: Path) -> None:
        problems = []
        n_concepts, n_aliases = len(self.store), len(self.aliases)
        if n_concepts == 0:
            problems.append("it has no concepts")
        if int(self.meta.get("n_concepts", n_concepts)) != n_concepts:
            problems.append(f"meta.json says {self.meta['n_concepts']} concepts, the tables hold {n_concepts}")
        if self.vectors.shape != (n_concepts, self.entity_vector_length):
            problems.append(f"vectors.npy has shape {self.vectors.shape}, expected ({n_concepts}, {self.entity_vector_length})")
        if len(self.entries["entry_offsets"]) != n_aliases + 1:
            problems.append(f"entry_offsets.npy has {len(self.entries['entry_offsets'])} rows for {n_aliases} aliases")
        n_entries = {name: len(self.entries[name]) for name in ENTRY_ARRAYS[1:]}
        if len(set(n_entries.values())) != 1 or int(self.entries["entry_offsets"][-1]) != n_entries["entry_concepts"]:
            problems.append(f"the entry arrays disagree: {n_entries}, offsets end at {int(self.entries['entry_offsets'][-1])}")
        if not len(self.store.categories) == len(self.store.depths) == n_concepts:
            problems.append(f"{len(self.store.categories)} categories and {len(self.store.depths)} depths for {n_concepts} concepts")
        if len(self.alias_index) != n_aliases:
            problems.append(f"{TRIGRAM_INDEX_DIR} indexes {len(self.alias_index)} aliases, the KB has {n_aliases}")
        if problems:
            raise ValueError(Errors.E035.format(path=path, problem="; ".join(problems)))

    def to_bytes(self, **kwargs) -> bytes:
        """The folder's path: a mapped KB is shared on disk, not copied into bytes (E035 if it
        was never saved)."""
        if self.path is None:
            raise ValueError(Errors.E035.format(path="(not saved)", problem="a mapped KB must be saved (to_disk) and loaded before it can be serialized to bytes"))
        return srsly.msgpack_dumps({"format": MAPPED_FORMAT, "path": str(self.path.resolve())})

    def from_bytes(self, bytes_data: bytes, *, exclude=tuple()) -> "MappedKB":
        data = srsly.msgpack_loads(bytes_data)
        return self.from_disk(Path(data["path"]))

    def __reduce__(self):
        return (_mapped_kb_from_bytes, (self.vocab, self.entity_vector_length, self.to_bytes()))


def _mapped_kb_from_bytes(vocab: Vocab, entity_vector_length: int, data: bytes) -> MappedKB:
    return MappedKB(vocab, entity_vector_length).from_bytes(data)


def warm_page_cache(paths: Iterable[Path], block: int = 8 * 2**20) -> int:
    """Read files (folders: every file under them) once, sequentially, so that the operating
    system caches their pages. RETURNS (int): the bytes read."""
    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*"))) if f.is_file()]
    buffer = bytearray(block)
    total = 0
    for file_path in files:
        with open(file_path, "rb", buffering=0) as handle:
            while True:
                n = handle.readinto(buffer)
                if not n:
                    break
                total += n
    return total


def is_mapped_kb_bytes(data: bytes) -> bool:
    """RETURNS (bool): whether KB bytes are a MappedKB's (its path, not its contents)."""
    if len(data) > _MAX_MAPPED_BYTES:  # a MedlinkKB's bytes hold its whole contents
        return False
    try:
        loaded = srsly.msgpack_loads(data)
    except ValueError:
        return False
    return isinstance(loaded, dict) and loaded.get("format") == MAPPED_FORMAT


def is_mapped_kb_folder(path: Union[str, Path]) -> bool:
    """RETURNS (bool): whether the folder holds a mapped KB (meta.json "format")."""
    meta_path = Path(path) / META_FILE
    if not meta_path.is_file():
        return False
    meta = read_json(meta_path)
    return isinstance(meta, dict) and meta.get("format") == MAPPED_FORMAT

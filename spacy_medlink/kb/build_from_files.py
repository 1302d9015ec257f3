"""A KB from files: a vocabulary file (MEDIC TSV or concepts JSONL), corpus mentions read by
the caller, a registered encoder by name; `build-kb` runs this."""
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Tuple

from spacy.util import registry
from spacy.vocab import Vocab

from ..errors import Errors
from . import encoders as _registers_encoders  # noqa: F401
from .build import BuildReport, build_kb
from .build_mapped import build_mapped_kb
from .medlink_kb import MedlinkKB
from .readers import ReadStats, read_vocabulary

DEFAULT_ENCODER = "spacy-medlink.LSAConceptEncoder.v1"


@dataclass
class BuildFromPathsReport:
    """build_kb's report plus what was read from the files.

    build (BuildReport): What build_kb did.
    read (ReadStats): Rows read and skipped from the vocabulary file.
    n_corpus_mentions (int): Single-id corpus mentions offered as extra aliases.
    n_corpus_multi_id (int): Corpus mentions with several ids (composites), not used.
    """

    build: BuildReport
    read: ReadStats
    n_corpus_mentions: int = 0
    n_corpus_multi_id: int = 0


def make_encoder(name: str, dim: int):
    """Resolve a registered encoder factory by name, passing dim when it accepts it."""
    try:
        factory = registry.misc.get(name)
    except Exception:
        options = sorted(n for n in registry.misc.get_all() if "Encoder" in n)
        raise ValueError(Errors.E011.format(name=name, options=", ".join(options))) from None
    takes_dim = "dim" in inspect.signature(factory).parameters
    return factory(dim=dim) if takes_dim else factory()


def build_kb_from_paths(
    vocab_path: Path,
    output_dir: Optional[Path],
    *,
    corpus_mentions: Iterable[Tuple[str, Tuple[str, ...]]] = (),
    corpus_names: Sequence[str] = (),
    dim: int = 64,
    encoder: str = None,
    vocab_format: str = "auto",
    on_error: str = "raise",
    name: str = "medic",
    add_corpus_concepts: bool = False,
    progress: bool = True,
    mapped: bool = False,
) -> Tuple[MedlinkKB, BuildFromPathsReport]:
    """Read a vocabulary, build the KB (with the corpus mentions as aliases) and save it.

    vocab_path (Path): MEDIC .tsv/.tsv.gz or concepts .jsonl.
    output_dir (Optional[Path]): Where to save the KB; None to not save.
    corpus_mentions (Iterable[Tuple[str, Tuple[str, ...]]]): (text, ids) of gold training
        mentions (training.gold_corpus.mention_texts_and_ids); single-id ones become extra
        aliases, the others are counted.
    corpus_names (Sequence[str]): The corpora they came from, for meta.json.
    dim (int): Entity vector length.
    encoder (str): Registered @misc name of the entity-vector encoder (default: LSA). Plug in
        any encoder (e.g. image embeddings of concepts) without touching the linker.
    vocab_format (str): "auto", "medic" or "jsonl".
    on_error (str): "raise" or "skip" bad vocabulary rows.
    name (str): KB name for meta.json.
    add_corpus_concepts (bool): Add concepts for corpus ids the vocabulary lacks.
    progress (bool): Show progress bars.
    mapped (bool): Build a MappedKB (memory-mapped arrays, for vocabularies of millions of
        concepts; kb/mapped_kb.py) instead of a MedlinkKB; needs output_dir.
    RETURNS (Tuple[MedlinkKB, BuildFromPathsReport]): The KB (a MappedKB when mapped) and
        the report.
    """
    # A bad encoder name or --dim fails before the vocabulary is read.
    concept_encoder = make_encoder(encoder or DEFAULT_ENCODER, dim)
    read_stats = ReadStats()
    concepts = list(read_vocabulary(vocab_path, format=vocab_format, on_error=on_error, stats=read_stats))
    mentions: List[Tuple[str, str]] = []
    n_multi = 0
    for text, ids in corpus_mentions:
        if len(ids) == 1:
            mentions.append((text, ids[0]))
        else:
            n_multi += 1
    if mapped:
        if output_dir is None or add_corpus_concepts:
            raise ValueError(Errors.E038)
        kb, build_report = build_mapped_kb(
            concepts, Path(output_dir), Vocab(), encoder=concept_encoder,
            extra_aliases=mentions, progress=progress, name=name, source=Path(vocab_path),
        )
        return kb, BuildFromPathsReport(build_report, read_stats, len(mentions), n_multi)
    kb, build_report = build_kb(
        concepts,
        Vocab(),
        encoder=concept_encoder,
        extra_aliases=mentions,
        add_corpus_concepts=add_corpus_concepts,
        progress=progress,
        name=name,
        source=Path(vocab_path),
    )
    kb.meta["corpus"] = [str(p) for p in corpus_names]
    if output_dir is not None:
        kb.to_disk(output_dir)
    report = BuildFromPathsReport(build_report, read_stats, len(mentions), n_multi)
    return kb, report

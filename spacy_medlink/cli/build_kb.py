"""`python -m spacy_medlink build-kb`: vocabulary (+ training corpus) -> MedlinkKB folder."""
import resource
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple

from wasabi import msg

from ..kb.build import BuildReport, build_kb
from ..errors import Errors
from ..kb import encoders as _registers_encoders  # noqa: F401
from ..kb.medlink_kb import MedlinkKB
from ..kb.readers import ReadStats, read_vocabulary
from ._app import Arg, Opt, app, check_output_path, coded_errors

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


@app.command("build-kb")
@coded_errors()
def build_kb_cli(
    vocab_path: Path = Arg(..., help="Vocabulary: MEDIC .tsv/.tsv.gz or concepts .jsonl", exists=True, dir_okay=False),
    output_dir: Path = Arg(..., help="Output folder for the KB", file_okay=False),
    corpus: List[Path] = Opt([], "--corpus", help="PubTator file or gold .spacy DocBin whose single-id mentions become extra aliases (repeatable)", exists=True, dir_okay=False),
    dim: int = Opt(64, "--dim", help="Entity vector length (LSA encoder)"),
    encoder: str = Opt(DEFAULT_ENCODER, "--encoder", help="Registered entity-vector encoder (@misc); it receives dim= if it takes one"),
    vocab_format: str = Opt("auto", "--format", help="Vocabulary format: auto, medic or jsonl"),
    skip_bad_rows: bool = Opt(False, "--skip-bad-rows", help="Skip (count and report) bad vocabulary rows instead of failing"),
    name: str = Opt("medic", "--name", help="KB name, stored in meta.json"),
    corpus_concepts: bool = Opt(False, "--corpus-concepts", help="Add a concept for each --corpus id the vocabulary lacks (named after its most frequent mention) instead of dropping its mentions"),
) -> None:
    """Build a spacy-medlink knowledge base: every concept of the vocabulary becomes an entity
    with an LSA vector of its names and definition, every normalized name and synonym (and,
    with --corpus, every single-id training mention) an alias with priors. The folder is
    loaded at initialize with @misc = "spacy-medlink.KBFromDisk.v1".
    """
    check_output_path(output_dir, "the KB", folder=True)
    kb, report = build_kb_from_paths(
        vocab_path,
        output_dir,
        corpus_paths=corpus,
        dim=dim,
        encoder=encoder,
        vocab_format=vocab_format,
        on_error="skip" if skip_bad_rows else "raise",
        name=name,
        add_corpus_concepts=corpus_concepts,
    )
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    msg.good(f"Saved KB '{name}' to {output_dir}")
    msg.table(
        [
            ("concepts", report.build.n_concepts),
            ("aliases", report.build.n_aliases),
            ("extra aliases (corpus mentions)", report.build.n_extra_aliases),
            ("multi-id corpus mentions (not used)", report.n_corpus_multi_id),
            ("unknown extra ids", report.build.n_unknown_extra_ids),
            ("concepts added from the corpus", report.build.n_corpus_concepts),
            ("skipped vocabulary rows", report.read.n_skipped),
            ("skipped empty aliases", report.build.n_skipped_aliases),
            ("seconds", f"{report.build.seconds:.1f}"),
            ("peak RSS (MB)", f"{peak_rss_mb:.0f}"),
        ],
        aligns=("l", "r"),
    )
    for example in report.read.examples:
        msg.warn(example)


def make_encoder(name: str, dim: int):
    """Resolve a registered encoder factory by name, passing dim when it accepts it."""
    import inspect

    from spacy.util import registry

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
    corpus_paths: Sequence[Path] = (),
    dim: int = 64,
    encoder: str = None,
    vocab_format: str = "auto",
    on_error: str = "raise",
    name: str = "medic",
    add_corpus_concepts: bool = False,
    progress: bool = True,
) -> Tuple[MedlinkKB, BuildFromPathsReport]:
    """Read a vocabulary (and corpora), build the KB with the LSA encoder and save it.

    vocab_path (Path): MEDIC .tsv/.tsv.gz or concepts .jsonl.
    output_dir (Optional[Path]): Where to save the KB; None to not save.
    corpus_paths (Sequence[Path]): PubTator files or gold .spacy DocBins; their single-id
        mentions become extra aliases.
    dim (int): Entity vector length.
    encoder (str): Registered @misc name of the entity-vector encoder (default: LSA). Plug in
        any encoder (e.g. image embeddings of concepts) without touching the linker.
    vocab_format (str): "auto", "medic" or "jsonl".
    on_error (str): "raise" or "skip" bad vocabulary rows.
    name (str): KB name for meta.json.
    add_corpus_concepts (bool): Add concepts for corpus ids the vocabulary lacks.
    progress (bool): Show progress bars.
    RETURNS (Tuple[MedlinkKB, BuildFromPathsReport]): The KB and the report.
    """
    from spacy.vocab import Vocab

    read_stats = ReadStats()
    concepts = list(read_vocabulary(vocab_path, format=vocab_format, on_error=on_error, stats=read_stats))
    mentions: List[Tuple[str, str]] = []
    n_multi = 0
    for corpus_path in corpus_paths:
        for text, ids in _read_corpus_mentions(Path(corpus_path)):
            if len(ids) == 1:
                mentions.append((text, ids[0]))
            else:
                n_multi += 1
    kb, build_report = build_kb(
        concepts,
        Vocab(),
        encoder=make_encoder(encoder or DEFAULT_ENCODER, dim),
        extra_aliases=mentions,
        add_corpus_concepts=add_corpus_concepts,
        progress=progress,
        name=name,
        source=Path(vocab_path),
    )
    kb.meta["corpus"] = [str(p) for p in corpus_paths]
    if output_dir is not None:
        kb.to_disk(output_dir)
    report = BuildFromPathsReport(build_report, read_stats, len(mentions), n_multi)
    return kb, report


def _read_corpus_mentions(path: Path) -> Iterator[Tuple[str, Tuple[str, ...]]]:
    """Yield (mention text, ids) from a PubTator file or a gold DocBin (.spacy)."""
    if path.suffix == ".spacy":
        yield from _docbin_mentions(path)
        return
    from ..training.pubtator import read_pubtator

    for doc in read_pubtator(path):
        for mention in doc.mentions:
            yield mention.text, tuple(mention.ids)


def _docbin_mentions(path: Path) -> Iterator[Tuple[str, Tuple[str, ...]]]:
    from spacy.vocab import Vocab

    from ..training.readers import read_docbin

    for doc in read_docbin(path).get_docs(Vocab()):
        gold = doc.user_data.get("medlink_gold_mentions")
        if gold is not None:
            for mention in gold:
                yield mention["text"], tuple(mention["ids"])
        else:
            for ent in doc.ents:
                yield ent.text, tuple(i for i in ent.kb_id_.split("|") if i)

"""`python -m spacy_medlink build-kb`: vocabulary (+ training corpus) -> MedlinkKB folder."""
from pathlib import Path
from typing import List, Optional

from wasabi import msg

from ..kb.build_from_files import DEFAULT_ENCODER, build_kb_from_paths
from ..training.gold_corpus import mention_texts_and_ids
from ._app import Arg, Opt, app, check_output_path, coded_errors

try:  # Unix only: the peak-memory line is left out on Windows
    import resource
except ImportError:  # pragma: no cover - exercised by a test that hides the module
    resource = None


@app.command("build-kb")
@coded_errors()
def build_kb_cli(
    vocab_path: Path = Arg(..., help="Vocabulary: MEDIC .tsv/.tsv.gz or concepts .jsonl", exists=True, dir_okay=False),
    output_dir: Path = Arg(..., help="Output folder for the KB", file_okay=False),
    corpus: List[Path] = Opt([], "--corpus", help="PubTator file, gold .spacy DocBin or folder of them whose single-id mentions become extra aliases (repeatable)", exists=True),
    dim: int = Opt(64, "--dim", help="Entity vector length (LSA encoder)"),
    encoder: str = Opt(DEFAULT_ENCODER, "--encoder", help="Registered entity-vector encoder (@misc); it receives dim= if it takes one"),
    vocab_format: str = Opt("auto", "--format", help="Vocabulary format: auto, medic or jsonl"),
    skip_bad_rows: bool = Opt(False, "--skip-bad-rows", help="Skip (count and report) bad vocabulary rows instead of failing"),
    name: str = Opt("medic", "--name", help="KB name, stored in meta.json"),
    corpus_concepts: bool = Opt(False, "--corpus-concepts", help="Add a concept for each --corpus id the vocabulary lacks (named after its most frequent mention) instead of dropping its mentions"),
    mapped: bool = Opt(False, "--mapped", help="Build a memory-mapped KB for vocabularies of millions of concepts (UMLS size): loads in seconds, keeps little in memory"),
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
        corpus_mentions=mention_texts_and_ids(corpus),
        corpus_names=[str(p) for p in corpus],
        dim=dim,
        encoder=encoder,
        vocab_format=vocab_format,
        on_error="skip" if skip_bad_rows else "raise",
        name=name,
        add_corpus_concepts=corpus_concepts,
        mapped=mapped,
    )
    peak_rss = _peak_rss_mb()
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
            ("peak RSS (MB)", f"{peak_rss:.0f}" if peak_rss is not None else "n/a"),
        ],
        aligns=("l", "r"),
    )
    for example in report.read.examples:
        msg.warn(example)


def _peak_rss_mb() -> Optional[float]:
    """Peak resident memory of this process in MB (Linux reports KB), None without resource."""
    if resource is None:
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

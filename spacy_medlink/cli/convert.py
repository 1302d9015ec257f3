"""`python -m spacy_medlink convert`: PubTator -> gold DocBin."""
from pathlib import Path
from typing import Iterator, List, Optional

from tqdm import tqdm
from wasabi import msg

from ..errors import Errors
from ..training.convert import DEFAULT_TOKENIZER, ConversionReport, convert_pubtator
from ..training.pubtator import PubtatorDocument, read_pubtator
from ._app import Arg, Opt, app, check_distinct_paths, check_output_path, coded_errors

_N_MISALIGNED_SHOWN = 20


@app.command("convert")
@coded_errors()
def convert_cli(
    input_path: Path = Arg(..., help="PubTator file", exists=True, dir_okay=False),
    output_path: Path = Arg(..., help="Output .spacy file (DocBin)", dir_okay=False),
    lang: str = Opt("en", "--lang", "-l", help="Language code of the blank pipeline"),
    default_tokenizer: bool = Opt(
        False,
        "--default-tokenizer",
        help="Use the language's default tokenizer instead of "
        f"{DEFAULT_TOKENIZER} (match the tokenizer of the pipeline you train)",
    ),
    unannotated: List[str] = Opt(
        [], "--unannotated", "-u",
        help="A vocabulary category (DISEASE, SYMPTOM) the corpus's guideline does not annotate: "
        "its matches that no gold mention touches become missing, not 'no entity' (repeatable)",
    ),
    vocabulary: Optional[Path] = Opt(None, "--vocabulary", help="Vocabulary for --unannotated", exists=True),
    types: List[str] = Opt(
        [], "--type", "-t",
        help="A mention type to keep, e.g. Disease for BC5CDR (repeatable; default: every mention); "
        "the others are counted, not converted",
    ),
) -> None:
    """Convert a PubTator corpus (e.g. the NCBI disease corpus) to gold spaCy Docs:
    DISEASE entities with prefix-normalized KB ids, sentence boundaries, the PMID and every
    gold mention in doc.user_data. Mentions that do not align to tokens or overlap another
    mention are counted and listed, never moved.
    """
    check_output_path(output_path, "the DocBin")
    check_distinct_paths([("the DocBin", output_path)], [("the input corpus", input_path), ("the vocabulary", vocabulary)])
    if output_path.suffix != ".spacy":
        raise ValueError(Errors.E137.format(path=output_path, suggestion=output_path.with_suffix(".spacy").name))
    report = convert_pubtator(
        input_path,
        output_path,
        lang=lang,
        tokenizer=None if default_tokenizer else DEFAULT_TOKENIZER,
        documents=_with_progress(input_path),
        unannotated=unannotated,
        vocabulary=vocabulary,
        types=types,
    )
    _print_report(report, output_path)


def _with_progress(input_path: Path) -> Iterator[PubtatorDocument]:
    # A generator, so the bar starts with the first document, not while spaCy loads.
    yield from tqdm(read_pubtator(input_path), desc="Converting", unit="doc", leave=False)


def _print_report(report: ConversionReport, output_path: Path) -> None:
    msg.good(f"Saved {report.n_documents} documents to {output_path}")
    msg.table(
        [
            ("documents", report.n_documents),
            ("mentions", report.n_mentions),
            ("converted", report.n_converted),
            ("misaligned", report.n_misaligned),
            ("overlapping", report.n_overlapping),
            ("unannotated matches marked missing", report.n_unannotated_missing),
            *((f"left out: type {kind}", n) for kind, n in report.other_types.items()),
        ],
        aligns=("l", "r"),
    )
    if report.misaligned_by_doc:
        rows = [
            (pmid, start, end, text)
            for pmid, mentions in report.misaligned_by_doc.items()
            for start, end, text in mentions
        ]
        msg.warn(f"Misaligned mentions ({len(rows)}; first {_N_MISALIGNED_SHOWN} shown)")
        msg.table(rows[:_N_MISALIGNED_SHOWN], header=("pmid", "start", "end", "text"))
    if report.overlapping_by_doc:
        rows = [
            (pmid, start, end, text)
            for pmid, mentions in report.overlapping_by_doc.items()
            for start, end, text in mentions
        ]
        msg.warn(f"Overlapping mentions ({len(rows)}; first {_N_MISALIGNED_SHOWN} shown)")
        msg.table(rows[:_N_MISALIGNED_SHOWN], header=("pmid", "start", "end", "text"))

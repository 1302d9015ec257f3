"""`python -m spacy_medlink annotate MODEL INPUT OUTPUT`: a trained pipeline over a corpus."""
from pathlib import Path
from typing import Optional

from wasabi import msg

from ._app import Arg, Opt, app, check_distinct_paths, check_output_path, coded_errors


@app.command("annotate")
@coded_errors()
def annotate_cli(
    model: Path = Arg(..., help="Trained pipeline folder (or an installed package's model folder)", exists=True, file_okay=False),
    input_path: Path = Arg(..., help="JSONL(.gz) of {\"text\", \"meta\"}, a plain-text file, a PubTator file, or a folder of them", exists=True),
    output: Path = Arg(..., help="Output file: .jsonl, .pubtator(.txt) or .spacy (or --format)"),
    format: Optional[str] = Opt(None, "--format", "-f", help="jsonl, pubtator or spacy (default: by OUTPUT's suffix)"),
    input_format: str = Opt("auto", "--input-format", help="auto, jsonl, text or pubtator"),
    n_process: int = Opt(1, "--n-process", "-n", help="Processes (local backend) or Ray workers"),
    batch_size: int = Opt(64, "--batch-size", "-b", help="Documents per nlp.pipe batch"),
    shard_size: int = Opt(1000, "--shard-size", help="Documents per output shard (the unit of --resume)"),
    resume: bool = Opt(False, "--resume", help="Continue an interrupted run (same input, model, format and shard size)"),
    on_error: str = Opt("skip", "--on-error", help="Bad records (invalid JSON, no \"text\", undecodable bytes): skip (counted, named in the summary) or fail"),
    backend: str = Opt("local", "--backend", help="local (nlp.pipe) or ray (one pipeline per Ray actor)"),
    address: Optional[str] = Opt(None, "--address", help="Ray cluster address (default: start a local Ray)"),
) -> None:
    """Annotate every document of INPUT: one output record per document (metadata kept) with
    its entities, their offsets, text, label, concept id, name, calibrated score and category.
    Output is written in atomic shards; an interrupted run continues with --resume."""
    from ..annotate.run import annotate

    check_output_path(output, "the annotations")
    check_distinct_paths([("the annotations", output)], [("the input", input_path)])
    summary = annotate(
        model, input_path, output, format=format, input_format=input_format, n_process=n_process,
        batch_size=batch_size, shard_size=shard_size, resume=resume, on_error=on_error,
        backend=backend, ray_address=address,
    )
    msg.table(
        [("records read", f"{summary.n_records:,}"), ("annotated now", f"{summary.n_annotated:,}"),
         ("from an earlier run", f"{summary.n_from_earlier_run:,}"), ("bad, skipped", f"{summary.n_bad:,}"),
         ("entities (linked)", f"{summary.n_entities:,} ({summary.n_linked:,})"),
         ("words/s", f"{summary.words_per_second:,.0f}")],
        aligns=("l", "r"),
    )
    msg.good(f"Saved {summary.n_records - summary.n_bad:,} documents to {output} ({summary.format}); summary: {output}.summary.json")

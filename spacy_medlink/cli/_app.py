from pathlib import Path
from typing import Any

import srsly
import typer
from wasabi import msg

app = typer.Typer(
    name="spacy-medlink",
    help="Medical entity linking for spaCy: build knowledge bases, convert corpora, evaluate.",
    no_args_is_help=True,
    add_completion=False,
)
Arg = typer.Argument
Opt = typer.Option


def save_json(path: Path, data: Any, what: str) -> None:
    """Write a command's JSON output (creating its folder) and say where it went.

    path (Path): The JSON file.
    data (Any): JSON-serializable data.
    what (str): What it is, for the message ("metrics", "the report").
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    srsly.write_json(path, data)
    msg.good(f"Saved {what} to {path}")

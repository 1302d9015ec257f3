"""`python -m spacy_medlink assemble NER_MODEL LINKER_MODEL OUTPUT`: one pipeline from the two
separately trained halves (NER first, then abbreviations and the linker)."""
from pathlib import Path

from wasabi import msg

from ._app import Arg, Opt, app


def assemble_pipeline(ner_model: Path, linker_model: Path, output: Path, *, name: str = "medlink"):
    """Load the NER pipeline, add the linker (with its KB) sourced from the linker pipeline.

    ner_model (Path): a trained pipeline with an `ner` (and its tok2vec/transformer).
    linker_model (Path): a trained pipeline with `medical_entity_linker`.
    output (Path): where the joined pipeline is saved.
    RETURNS (Language): the assembled pipeline.
    """
    import spacy

    nlp = spacy.load(ner_model)
    linker_nlp = spacy.load(linker_model)
    for component in ("medlink_abbreviations", "medical_entity_linker"):
        if component in linker_nlp.pipe_names and component not in nlp.pipe_names:
            nlp.add_pipe(component, source=linker_nlp)
    nlp.meta["name"] = name
    output.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    return nlp


@app.command("assemble")
def assemble_cli(
    ner_model: Path = Arg(..., help="Trained NER pipeline", exists=True),
    linker_model: Path = Arg(..., help="Trained linker pipeline", exists=True),
    output: Path = Arg(..., help="Output folder"),
    name: str = Opt("medlink", "--name", "-n", help="Pipeline name in meta.json"),
):
    """Join a trained NER pipeline and a trained linker into one pipeline."""
    nlp = assemble_pipeline(ner_model, linker_model, output, name=name)
    msg.good(f"Saved {nlp.pipe_names} to {output}")

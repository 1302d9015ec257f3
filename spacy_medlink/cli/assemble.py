"""`python -m spacy_medlink assemble NER_MODEL LINKER_MODEL OUTPUT`: one pipeline from the two
separately trained halves (NER first, then abbreviations, short-form mentions and the linker)."""
import warnings
from pathlib import Path

from wasabi import msg

from ..errors import Errors, Warnings
from ..integrity import write_manifest
from ..pipeline.components import components_of, entity_components
from ..pipeline.abbreviations import ABBREVIATIONS_FACTORY
from ..pipeline.linker import LINKER_FACTORY
from ..pipeline.short_form_mentions import SHORT_FORM_FACTORY
from ._app import Arg, Opt, app, check_output_path, coded_errors


def assemble_pipeline(
    ner_model: Path,
    linker_model: Path,
    output: Path,
    *,
    name: str = "medlink",
    short_form_mentions: bool = True,
):
    """Load the NER pipeline, add the linker (with its KB) sourced from the linker pipeline.

    ner_model (Path): a trained pipeline with an `ner` (and its tok2vec/transformer).
    linker_model (Path): a trained pipeline with `medical_entity_linker`.
    output (Path): where the joined pipeline is saved.
    name (str): the pipeline name in meta.json.
    short_form_mentions (bool): add `medlink_short_form_mentions` before the linker when the
        NER pipeline has none (NER pipelines trained from configs/ner_*.cfg already have it).
    RETURNS (Language): the assembled pipeline. A linker of the NER pipeline is replaced,
        in its place, by the linker pipeline's.
    RAISES ValueError: E301 when the linker pipeline has no medical_entity_linker (e.g. the
        two arguments swapped).
    """
    from ..loading import load_pipeline

    nlp = load_pipeline(ner_model)
    if not entity_components(nlp):  # legitimate for a bring-your-own-NER pipeline, but say so
        warnings.warn(Warnings.W301.format(path=ner_model, found=", ".join(nlp.pipe_names) or "none"))
    linker_nlp = load_pipeline(linker_model)
    linkers = components_of(linker_nlp, LINKER_FACTORY)
    if not linkers:
        raise ValueError(Errors.E301.format(path=linker_model, name=LINKER_FACTORY, found=linker_nlp.pipe_names))
    # Re-assembling with a newly trained linker must not keep the old one (it did, silently):
    # the new one goes where the old one was (before what followed it), after the components
    # added below, which it reads.
    old = components_of(nlp, LINKER_FACTORY)
    followers = nlp.pipe_names[nlp.pipe_names.index(old[0]) + 1:] if old else []
    for name_ in old:
        nlp.remove_pipe(name_)
        msg.warn(f"Replaced the linker '{name_}' of {ner_model} with the one of {linker_model}")
    # Pipe names are the factories' default names (as configs/*.cfg name them).
    if ABBREVIATIONS_FACTORY not in nlp.pipe_names:
        if ABBREVIATIONS_FACTORY in linker_nlp.pipe_names:
            nlp.add_pipe(ABBREVIATIONS_FACTORY, source=linker_nlp)
        elif short_form_mentions:
            nlp.add_pipe(ABBREVIATIONS_FACTORY)
    if short_form_mentions and SHORT_FORM_FACTORY not in nlp.pipe_names:
        abbreviations_key = nlp.get_pipe(ABBREVIATIONS_FACTORY).spans_key
        nlp.add_pipe(SHORT_FORM_FACTORY, config={"abbreviations_key": abbreviations_key})
    read_first = [nlp.pipe_names.index(n) for n in (ABBREVIATIONS_FACTORY, SHORT_FORM_FACTORY) if n in nlp.pipe_names]
    followers = [n for n in followers if n in nlp.pipe_names and nlp.pipe_names.index(n) > max(read_first, default=-1)]
    nlp.add_pipe(linkers[0], source=linker_nlp, **({"before": followers[0]} if followers else {}))
    nlp.meta["name"] = name
    output.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    # Every file but meta.json, which `spacy package` rewrites; `verify` checks it.
    write_manifest(output, skip=["meta.json"])
    return nlp


@app.command("assemble")
@coded_errors()
def assemble_cli(
    ner_model: Path = Arg(..., help="Trained NER pipeline", exists=True),
    linker_model: Path = Arg(..., help="Trained linker pipeline", exists=True),
    output: Path = Arg(..., help="Output folder"),
    name: str = Opt("medlink", "--name", "-n", help="Pipeline name in meta.json"),
    short_form_mentions: bool = Opt(
        True, "--short-form-mentions/--no-short-form-mentions",
        help="Add medlink_short_form_mentions when the NER pipeline has none",
    ),
):
    """Join a trained NER pipeline and a trained linker into one pipeline."""
    check_output_path(output, "the pipeline", folder=True)
    nlp = assemble_pipeline(
        ner_model, linker_model, output, name=name, short_form_mentions=short_form_mentions
    )
    msg.good(f"Saved {nlp.pipe_names} to {output}")

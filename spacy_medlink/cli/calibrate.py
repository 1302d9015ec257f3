"""`python -m spacy_medlink calibrate MODEL DEV_DATA`: fit the linker's softmax temperature on
held-out gold mentions, so its scores are probabilities and `threshold` means something."""
from pathlib import Path
from typing import Dict, Tuple

from wasabi import msg

from ._app import Arg, Opt, app, check_output_path, coded_errors


def calibrate_pipeline(model: Path, dev_data: Path, output: Path = None) -> Tuple[float, Dict[str, int]]:
    """Fit the temperature of the pipeline's medical_entity_linker and save the pipeline.

    model (Path): a pipeline with a medical_entity_linker.
    dev_data (Path): gold data (.spacy or PubTator) NOT used to train the linker.
    output (Path): where to save (default: overwrite `model`).
    RETURNS (Tuple[float, Dict[str, int]]): the chosen temperature, and the number of gold
        mentions it was fitted on and of those left out without candidates.
    RAISES ValueError: E207 (nothing saved) when no gold mention could be used.
    """
    from ..evaluation.evaluate import find_linker
    from ..loading import load_pipeline
    from ..training.readers import create_pubtator_corpus

    nlp = load_pipeline(model)
    _, linker = find_linker(nlp, str(model))
    # The linker finds abbreviations itself when no component has marked them.
    examples = list(create_pubtator_corpus(dev_data, gold_ents_in_predicted=True)(nlp))
    temperature = linker.calibrate(examples)
    nlp.to_disk(output or model)
    return temperature, linker.cfg["calibration"]


@app.command("calibrate")
@coded_errors()
def calibrate_cli(
    model: Path = Arg(..., help="Pipeline with a medical_entity_linker", exists=True),
    dev_data: Path = Arg(..., help="Held-out gold data (.spacy or PubTator)", exists=True),
    output: Path = Opt(None, "--output", "-o", help="Output folder (default: overwrite MODEL)"),
):
    """Fit the linker's score temperature on held-out gold mentions (lowest log loss)."""
    check_output_path(output or model, "the calibrated pipeline", folder=True)
    temperature, counts = calibrate_pipeline(model, dev_data, output)
    msg.good(f"Temperature {temperature} saved to {output or model}")
    msg.info(f"Fitted on {counts['n_mentions']:,} gold mentions of one KB concept; "
             f"{counts['n_without_candidates']:,} more had no candidates and were left out")

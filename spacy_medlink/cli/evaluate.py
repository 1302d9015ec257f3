"""`python -m spacy_medlink evaluate`: NER, linking and baseline metrics of a pipeline."""
import warnings
from pathlib import Path
from typing import Any, Dict, Optional

from wasabi import msg

from ..pipeline.linker import LINKER_FACTORY
from ._app import Arg, Opt, app, check_distinct_paths, check_output_path, coded_errors, save_json

# What a score whose denominator is 0 prints as (no gold mentions, no predictions).
NOT_DEFINED = "n/a"


@app.command("evaluate")
@coded_errors()
def evaluate_cli(
    model: str = Arg(..., help="Pipeline to evaluate (path or package name)"),
    data_path: Path = Arg(..., help="Gold corpus: .spacy DocBin or PubTator file", exists=True),
    train_path: Optional[Path] = Opt(
        None, "--train-data", "-t", help="Training corpus for the baselines' dictionary", exists=True
    ),
    output_path: Optional[Path] = Opt(None, "--output", "-o", help="Write the metrics as JSON"),
    errors_path: Optional[Path] = Opt(None, "--errors", "-e", help="Write the errors as JSONL"),
    no_baselines: bool = Opt(False, "--no-baselines", help="Skip the dictionary and TF-IDF baselines"),
    n_process: int = Opt(1, "--n-process", "-n", help="Processes for the full pipeline run"),
    gpu_id: int = Opt(-1, "--gpu-id", "-g", help="GPU id, or -1 for CPU"),
    guideline: Optional[str] = Opt(None, "--guideline", help="Annotation guideline the entities follow (the medlink_guideline component's), e.g. biored for a pipeline trained on several corpora"),
) -> None:
    """Evaluate a pipeline with a medical_entity_linker on gold data: strict NER P/R/F (and
    recall per mention type), end-to-end mention linking and document-level concept P/R/F on
    raw text, norm@gold accuracy and candidate recall@k of the linker on the gold spans, and
    the dictionary and character 3-gram TF-IDF baselines on the same mentions (needs
    --train-data). Gold ids are resolved through the pipeline's KB (alt ids -> primary ids).
    """
    from thinc.api import require_gpu

    from ..errors import Errors
    from ..evaluation.evaluate import evaluate_pipeline

    if n_process < 1:
        raise ValueError(Errors.E307.format(option="--n-process", value=n_process, meaning="processes for the pipeline run"))
    for path, what in ((output_path, "metrics"), (errors_path, "errors")):
        if path is not None:
            check_output_path(path, what)
    check_distinct_paths([("metrics", output_path), ("errors", errors_path)],
                         [("the gold corpus", data_path), ("the training corpus", train_path)])
    if gpu_id >= 0:
        try:
            require_gpu(gpu_id)
        except Exception as err:  # no CuPy, no such device, no driver: all stop here, coded
            raise ValueError(Errors.E308.format(gpu_id=gpu_id, error=f"{type(err).__name__}: {err}")) from err
    results = evaluate_pipeline(
        model if guideline is None else load_with_guideline(model, guideline),
        data_path,
        n_process=n_process,
        errors_path=errors_path,
        baselines=not no_baselines,
        train_path=train_path,
    )
    print_results(results)
    if output_path is not None:
        save_json(output_path, results, "metrics")
    if errors_path is not None:
        msg.good(f"Saved {results.get('n_errors_written', 0)} errors to {errors_path}")


def load_with_guideline(model: str, guideline: str):
    """Load a pipeline and set the guideline of its medlink_guideline component(s).

    RETURNS (Language): The pipeline.
    """
    from ..errors import Errors, Warnings
    from ..loading import load_pipeline
    from ..pipeline.components import components_of
    from ..pipeline.guideline import GUIDELINE_FACTORY

    nlp = load_pipeline(model)
    names = components_of(nlp, GUIDELINE_FACTORY)
    if not names:
        raise ValueError(Errors.E301.format(path=model, name=GUIDELINE_FACTORY, found=nlp.pipe_names))
    for name in names:
        nlp.get_pipe(name).guideline = guideline
    if not _reads_guideline(nlp):
        warnings.warn(Warnings.W300.format(guideline=guideline, model=model))
    return nlp


def _reads_guideline(nlp) -> bool:
    """RETURNS (bool): whether a model of the pipeline embeds doc._.medlink_guideline (the KB
    features' guideline_embed, built when the NER was trained with `guidelines`)."""
    from thinc.api import Model

    return any(
        node.has_ref("guideline_embed")
        for _, component in nlp.pipeline if isinstance(getattr(component, "model", None), Model)
        for node in component.model.walk()
    )


def _fmt(value: Any, defined: bool = True) -> str:
    """A score as printed; "n/a" where its denominator is 0 (the JSON keeps spaCy's 0.0)."""
    if not defined:
        return NOT_DEFINED
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _prf_cells(prf: Dict[str, Any]) -> tuple:
    """P, R, F, TP, FP, FN; P without predictions, R without gold items and F without
    either are not defined."""
    tp, fp, fn = prf["tp"], prf["fp"], prf["fn"]
    return (_fmt(prf["p"], tp + fp > 0), _fmt(prf["r"], tp + fn > 0), _fmt(prf["f"], tp + fp + fn > 0), tp, fp, fn)


def print_results(results: Dict[str, Any]) -> None:
    """Print the metrics of `evaluate_pipeline` as tables."""
    msg.divider(f"Evaluation of {results['model']} on {results['data']}")
    msg.info(
        f"{results['n_docs']} documents, {results['n_gold_mentions']} gold mentions; "
        f"{results['gold_ids']['n_unresolved']} of {results['gold_ids']['n_gold_ids']} gold "
        "ids not in the KB. Scores in percent."
    )
    rows = []
    for label, key in (
        ("NER (strict span)", "ner"),
        ("Mention linking (end-to-end)", "end_to_end"),
        ("Document concepts", "document_concepts"),
    ):
        prf = results.get(key)
        if prf is not None:
            rows.append((label, *_prf_cells(prf)))
    dictionary = (results.get("baselines") or {}).get("dictionary_end_to_end")
    for label, key in (("Dictionary baseline: NER", "ner"), ("Dictionary baseline: document concepts", "document_concepts")):
        if dictionary:
            rows.append((label, *_prf_cells(dictionary[key])))
    if rows:
        msg.table(rows, header=("", "P", "R", "F", "TP", "FP", "FN"), aligns=("l",) + ("r",) * 6)
    ner = results.get("ner")
    if ner is not None and ner.get("recall_by_type"):
        type_rows = [(t, _fmt(r["r"], r["n"] > 0), r["tp"], r["n"]) for t, r in ner["recall_by_type"].items()]
        msg.table(type_rows, header=("Mention type", "NER recall", "found", "gold"), aligns=("l", "r", "r", "r"))
    linker_rows = [_ranking_row(LINKER_FACTORY, results["norm_at_gold"], results["candidate_recall"])]
    baselines = results.get("baselines") or {}
    for name in ("dictionary", "tfidf"):
        if name in baselines:
            linker_rows.append(_ranking_row(f"baseline: {name}", baselines[name], baselines[name]))
    recall_keys = [k for k in results["candidate_recall"] if k.startswith("recall@")]
    msg.table(
        linker_rows,
        header=("norm@gold", "acc@1", "acc@5", *recall_keys, "n"),
        aligns=("l",) + ("r",) * (3 + len(recall_keys)),
    )
    for note in results.get("notes", []):
        msg.warn(note)


def _ranking_row(label: str, accuracy: Dict[str, Any], recall: Dict[str, Any]) -> tuple:
    defined = accuracy["n"] > 0
    recall_values = [_fmt(v, defined) for k, v in recall.items() if k.startswith("recall@")]
    return (label, _fmt(accuracy["acc@1"], defined), _fmt(accuracy["acc@5"], defined), *recall_values, accuracy["n"])

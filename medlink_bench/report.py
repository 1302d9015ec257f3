"""The benchmark's report: ratios ours / baseline, method notes, and results.json,
results.md (Markdown tables) and the PNG plots."""
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import srsly

from .measure import WARMUP_DOCS
from .plots import plot_accuracy_vs_speed, plot_threshold_curve
from .report_format import fmt, markdown_table
from .report_other_dev import other_dev_section

RESULTS_JSON = "results.json"
RESULTS_MD = "results.md"
THRESHOLD_PLOT = "threshold_precision_recall.png"
COMPARISON_PLOT = "accuracy_vs_speed.png"


def _ratio(ours: Optional[float], theirs: Optional[float]) -> Optional[float]:
    if ours is None or not theirs:
        return None
    return ours / theirs


def compute_ratios(results: Mapping[str, Any]) -> Dict[str, Dict[str, Optional[float]]]:
    """Ours / baseline for accuracy (norm@gold acc@1; end-to-end and document-level F1 where
    the baseline has them) and speed (linking mentions/s, cold first passes).

    results (Mapping[str, Any]): The benchmark results (accuracy, speed and baselines).
    RETURNS (Dict[str, Dict[str, Optional[float]]]): baseline name -> ratio name -> value
        (None when the baseline's figure is 0 or missing).
    """
    accuracy = results["accuracy"]
    ours_acc = accuracy["norm_at_gold"]["acc@1"]
    ours_speed = results["speed"]["linker"]["cold"]["mentions_per_second"]
    ratios = {}
    for name, baseline in results["baselines"].items():
        if name == "spacy_entity_linker":
            ratio = {
                "acc@1": _ratio(ours_acc, baseline["norm_at_gold"]["acc@1"]),
                "end_to_end_f": _ratio((accuracy.get("end_to_end") or {}).get("f"), baseline["end_to_end"]["f"]),
                "document_concepts_f": _ratio(
                    (accuracy.get("document_concepts") or {}).get("f"), baseline["document_concepts"]["f"]
                ),
                "mentions_per_second": _ratio(ours_speed, baseline["speed"]["linker_cold"]["mentions_per_second"]),
            }
        else:
            ratio = {
                "acc@1": _ratio(ours_acc, baseline.get("acc@1")),
                "acc@5": _ratio(accuracy["norm_at_gold"]["acc@5"], baseline.get("acc@5")),
                "mentions_per_second": _ratio(ours_speed, baseline["speed"]["mentions_per_second"]),
            }
        ratios[name] = ratio
    return ratios


def method_notes(results: Mapping[str, Any]) -> List[str]:
    """RETURNS (List[str]): How each figure was measured (machine, timings, the spaCy
    entity_linker baseline's set-up), for the notes of the report."""
    machine = results["meta"]["machine"]
    el = results["baselines"]["spacy_entity_linker"]
    training = el["training"]
    notes = [
        f"Timings come from this machine ({machine['cpus_available']} CPUs available, load "
        f"average {machine.get('load_average_1_5_15')} at the start); a shared machine makes "
        "them noisy.",
        f"End-to-end words/s: one nlp.pipe pass over the dev texts after a warm-up of "
        f"{WARMUP_DOCS} docs; words = tokens. With n_process > 1 the workers' start-up is in "
        "the timed pass.",
        "Linker mentions/s: the linker alone (predict + set_annotations) on docs the upstream "
        "components (NER, abbreviations) already processed, over the NER's entities. 'cold' "
        "is the first pass of a freshly loaded pipeline (lazy set-up included); 'warm' a "
        "second pass over the same docs. The ratios use the cold passes.",
        "Dictionary/TF-IDF speed: ranking the text of every dev gold mention (strings only, no "
        "tokenization), after fitting (fit time reported separately); first pass.",
        f"spaCy entity_linker: our NER + sentencizer + spaCy's entity_linker over our KB; its "
        f"candidates are the KB aliases equal to the normalized mention text (lower case, no "
        f"punctuation, singular: the normalizer the KB was built with, as our exact candidates "
        f"use; spaCy's default generator looks up the raw text), without our abbreviation "
        f"expansion and character n-gram candidates. {el['n_without_candidates']} of "
        f"{el['speed_on_gold_spans']['mentions']} dev gold spans get no candidate (NIL). "
        f"Trained {training['steps']} steps of "
        f"{training['batch_size']} documents ({training['seconds']:.0f} s; "
        f"{training['train_mentions_with_candidates']} of {training['train_mentions']} "
        "training mentions have a candidate). It returns one id per mention, so only acc@1.",
        "Precision/recall vs NIL threshold: gold mentions with exactly one concept; a mention "
        "is linked when its top candidate's calibrated probability is >= the threshold; "
        "precision = correct / linked, recall = correct / all.",
    ]
    if training["steps"] == 0:
        notes.append("The spaCy entity_linker was not trained (0 steps): untrained context encoder + KB priors.")
    return notes


# --- output --------------------------------------------------------------------------------
def write_results(
    results: Dict[str, Any],
    output_dir: Union[str, Path],
    *,
    pr_points: Optional[Sequence[Mapping[str, Any]]] = None,
) -> Dict[str, Path]:
    """Write results.json, results.md and the plots.

    results (Dict[str, Any]): The benchmark results.
    output_dir (Union[str, Path]): The folder.
    pr_points (Optional[Sequence[Mapping[str, Any]]]): A finer threshold curve for the
        precision-recall panel (see `plot_threshold_curve`).
    RETURNS (Dict[str, Path]): "json", "markdown" and the plots' paths.
    """
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    curve = results["threshold_curve"]
    paths = {
        "threshold_plot": plot_threshold_curve(
            curve["points"], output_dir / THRESHOLD_PLOT, configured_threshold=curve["configured_threshold"],
            pr_points=pr_points,
        ),
        "comparison_plot": plot_accuracy_vs_speed(_speed_accuracy_points(results), output_dir / COMPARISON_PLOT),
    }
    results["meta"]["files"] = {name: path.name for name, path in paths.items()}
    paths["json"] = output_dir / RESULTS_JSON
    srsly.write_json(paths["json"], results)
    paths["markdown"] = output_dir / RESULTS_MD
    paths["markdown"].write_text(render_markdown(results), encoding="utf8")
    return paths


def _speed_accuracy_points(results: Mapping[str, Any]) -> Dict[str, Dict[str, Optional[float]]]:
    baselines = results["baselines"]
    el = baselines["spacy_entity_linker"]
    return {
        "medical_entity_linker (ours)": {
            "acc@1": results["accuracy"]["norm_at_gold"]["acc@1"],
            "mentions_per_second": results["speed"]["linker"]["cold"]["mentions_per_second"],
        },
        "dictionary": {
            "acc@1": baselines["dictionary"].get("acc@1"),
            "mentions_per_second": baselines["dictionary"]["speed"]["mentions_per_second"],
        },
        "TF-IDF": {
            "acc@1": baselines["tfidf"].get("acc@1"),
            "mentions_per_second": baselines["tfidf"]["speed"]["mentions_per_second"],
        },
        "spaCy entity_linker": {
            "acc@1": el["norm_at_gold"]["acc@1"],
            "mentions_per_second": el["speed"]["linker_cold"]["mentions_per_second"],
        },
    }


def _x(value: Optional[float]) -> str:
    if value is None:
        return "n/a"
    # Two significant digits below 0.1 (a 500x slower system is 0.0020x, not 0.00x).
    return f"{value:.2f}×" if value >= 0.1 else f"{value:.2g}×"


def render_markdown(results: Mapping[str, Any]) -> str:
    """The results as Markdown tables: figures, settings and notes only (no corpus text).

    results (Mapping[str, Any]): The benchmark results.
    RETURNS (str): The Markdown document.
    """
    out: List[str] = []
    for section in (_header, _linking_section, _end_to_end_section, _ner_section, other_dev_section,
                    _speed_section, _threshold_section, _notes_section):
        out += section(results)
    return "\n".join(out)


def _header(results: Mapping[str, Any]) -> List[str]:
    meta, accuracy = results["meta"], results["accuracy"]
    machine, versions = meta["machine"], meta["versions"]
    return [
        "# spacy-medlink benchmark",
        "",
        f"Written by `python -m medlink_bench` on {meta['date']}.",
        "",
        f"Command: `{meta['command']}`",
        "",
        f"Model `{meta['model']}` on `{meta['dev_data']}` ({accuracy['n_docs']} documents, "
        f"{accuracy['n_gold_mentions']} gold mentions; {accuracy['gold_ids']['n_unresolved']} of "
        f"{accuracy['gold_ids']['n_gold_ids']} gold ids not in the KB). Training data "
        f"`{meta['train_data']}`; vocabulary `{meta['vocabulary']}`. Scores in percent.",
        "",
        f"Machine: {machine['cpu_model']}, {machine['cpus_available']} of {machine['cpu_count']} "
        f"CPUs available, {fmt(machine.get('memory_gb'))} GB RAM, {machine['platform']}; "
        f"{machine['gpu']}. Load average at the start: {machine.get('load_average_1_5_15')}.",
        "",
        "Versions: " + ", ".join(f"{name} {version}" for name, version in versions.items()) + ".",
        "",
    ]


def _linking_section(results: Mapping[str, Any]) -> List[str]:
    """norm@gold of ours and of each baseline, with the ratios."""
    accuracy, speed = results["accuracy"], results["speed"]
    baselines, ratios = results["baselines"], results["ratios"]
    el = baselines["spacy_entity_linker"]
    norm, recall = accuracy["norm_at_gold"], accuracy["candidate_recall"]
    out = [
        "## Accuracy: ours vs baselines",
        "",
        "Linking on the gold mentions (norm@gold; mentions with exactly one concept):",
        "",
    ]
    rows = [
        ("medical_entity_linker (ours)", fmt(norm["acc@1"]), fmt(norm["acc@5"]), fmt(recall.get("recall@10")),
         fmt(speed["linker"]["cold"]["mentions_per_second"], 0), "", "", norm["n"]),
    ]
    for name, label in (("dictionary", "dictionary baseline"), ("tfidf", "TF-IDF baseline")):
        baseline = baselines[name]
        rows.append((label, fmt(baseline.get("acc@1")), fmt(baseline.get("acc@5")), fmt(baseline.get("recall@10")),
                     fmt(baseline["speed"]["mentions_per_second"], 0), _x(ratios[name]["acc@1"]),
                     _x(ratios[name]["mentions_per_second"]), baseline.get("n", "n/a")))
    rows.append(("spaCy entity_linker (same KB, normalized-alias candidates)", fmt(el["norm_at_gold"]["acc@1"]),
                 "n/a", f"{fmt(el['candidate_recall']['recall_any'])} (any)",
                 fmt(el["speed"]["linker_cold"]["mentions_per_second"], 0), _x(ratios["spacy_entity_linker"]["acc@1"]),
                 _x(ratios["spacy_entity_linker"]["mentions_per_second"]), el["norm_at_gold"]["n"]))
    out += markdown_table(
        ("system", "acc@1", "acc@5", "recall@10", "mentions/s", "ours ÷ baseline, acc@1",
         "ours ÷ baseline, speed", "n"),
        rows,
    )
    out += [
        "Candidate recall@k of our linker: "
        + ", ".join(f"{k} {fmt(v)}" for k, v in recall.items() if k.startswith("recall@")) + ".",
        "",
    ]
    return out


def _end_to_end_section(results: Mapping[str, Any]) -> List[str]:
    """NER, mention linking and document concepts: ours vs the spaCy entity_linker."""
    accuracy, el = results["accuracy"], results["baselines"]["spacy_entity_linker"]
    out = ["End to end on raw text (our NER in both pipelines; strict spans):", ""]
    rows = []
    levels = (
        ("NER (strict span)", "ner"),
        ("mention linking", "end_to_end"),
        ("document concepts", "document_concepts"),
    )
    for label, key in levels:
        ours, theirs = accuracy.get(key), el.get(key)
        if ours is None:
            continue
        rows.append((label, fmt(ours["p"]), fmt(ours["r"]), fmt(ours["f"]), fmt(theirs["p"]), fmt(theirs["r"]),
                     fmt(theirs["f"]), _x(_ratio(ours["f"], theirs["f"]))))
    header = ("", "ours P", "ours R", "ours F", "spaCy EL P", "spaCy EL R", "spaCy EL F", "ours ÷ spaCy EL, F")
    return out + markdown_table(header, rows)


def _ner_section(results: Mapping[str, Any]) -> List[str]:
    """NER recall per mention type, the short-form ablation, composites and seeds."""
    accuracy = results["accuracy"]
    ner, norm = accuracy.get("ner"), accuracy["norm_at_gold"]
    out: List[str] = []
    if ner and ner.get("recall_by_type"):
        out += ["NER recall per mention type:", ""]
        out += markdown_table(("mention type", "recall", "found", "gold"),
                              [(t, fmt(r["r"]), r["tp"], r["n"]) for t, r in ner["recall_by_type"].items()])
    ablation = results.get("short_form_ablation")
    if ablation and ner:
        without = ablation["without"]
        out += [f"The same pipeline without `{', '.join(ablation['components'])}` (switched off): NER "
                f"P {fmt(without['p'])}, R {fmt(without['r'])}, F {fmt(without['f'])} "
                f"(with it: F {fmt(ner['f'])}).", ""]
    out += [f"Composite mentions (gold spans): {fmt(norm.get('multi_concept_acc'))} exactly right "
            f"(n = {norm.get('n_multi_concept')}).", ""]
    return out + _seed_section(results["seeds"], ner)


def _speed_section(results: Mapping[str, Any]) -> List[str]:
    out = ["## Speed and cost (CPU)", ""]
    out += markdown_table(("measure", "value", "detail"), _speed_and_cost_rows(results), aligns="lrl")
    return out + [f"KB build command: `{results['cost']['kb_build']['command']}`", ""]


def _threshold_section(results: Mapping[str, Any]) -> List[str]:
    curve = results["threshold_curve"]
    out = [
        "## Precision vs recall as the NIL threshold moves",
        "",
        f"Our linker on the {curve['n_mentions']} single-concept gold mentions "
        f"({curve['n_with_candidates']} with a candidate); configured threshold: "
        + (fmt(curve["configured_threshold"], 2) if curve["configured_threshold"] is not None
           else "none (every mention with a candidate is linked)")
        + f"; softmax temperature {fmt(curve['temperature'], 2)}.",
        "",
    ]
    rows = [
        (t, fmt(p["precision"]), fmt(p["recall"]), fmt(p["linked"]), p["n_linked"])
        for t, p in curve["at"].items()
    ]
    out += markdown_table(("threshold", "precision", "recall", "linked", "n linked"), rows)
    files = results["meta"].get("files", {})
    if "threshold_plot" in files:
        out += [f"![precision and recall vs NIL threshold]({files['threshold_plot']})", ""]
    if "comparison_plot" in files:
        out += [f"![accuracy vs speed]({files['comparison_plot']})", ""]
    return out


def _notes_section(results: Mapping[str, Any]) -> List[str]:
    return ["## Notes", ""] + [f"- {note}" for note in results.get("notes", [])] + [""]


def _linking_speed_row(label: str, speed: Mapping[str, Any], extra: str = "") -> Tuple[str, str, str]:
    detail = f"{speed['mentions']:,} mentions in {fmt(speed['seconds'], 3)} s{extra}"
    return label, f"{fmt(speed['mentions_per_second'], 0)} mentions/s", detail


def _speed_and_cost_rows(results: Mapping[str, Any]) -> List[Tuple[str, str, str]]:
    speed, cost, baselines = results["speed"], results["cost"], results["baselines"]
    rows = [
        (
            f"end to end, n_process={s['n_process']}",
            f"{fmt(s['words_per_second'], 0)} words/s",
            f"{s['words']:,} words, {s['docs']} docs in {fmt(s['seconds'], 2)} s",
        )
        for s in speed["end_to_end"]
    ]
    rows.append(_linking_speed_row("linker alone, cold (first pass)", speed["linker"]["cold"]))
    rows.append(_linking_speed_row("linker alone, warm (second pass)", speed["linker"]["warm"]))
    el_speed = baselines["spacy_entity_linker"]["speed"]["linker_cold"]
    rows.append(_linking_speed_row("spaCy entity_linker alone, cold", el_speed))
    for name in ("dictionary", "tfidf"):
        s = baselines[name]["speed"]
        rows.append(_linking_speed_row(f"{name} baseline", s, f"; fit {fmt(s['fit_seconds'], 2)} s"))
    kb_build, load, size = cost["kb_build"], cost["load"], cost["size"]
    wheel = f"{fmt(size['wheel_mb'], 1)} MB" if size["wheel_mb"] is not None else "not built"
    rows += [
        (
            "KB build (`build-kb`, subprocess)",
            f"{fmt(kb_build['seconds'], 1)} s",
            f"peak RSS {fmt(kb_build['peak_rss_mb'], 0)} MB; KB folder {fmt(kb_build['size_mb'], 1)} MB",
        ),
        (
            "pipeline load (`spacy.load`, fresh process)",
            f"{fmt(load['load_seconds'], 2)} s",
            f"import spacy {fmt(load['import_seconds'], 2)} s; peak RSS {fmt(load['peak_rss_mb'], 0)} "
            f"MB; RSS after load {fmt(load['rss_after_load_mb'], 0)} MB",
        ),
        (
            "package size",
            f"{fmt(size['pipeline_mb'], 1)} MB",
            f"pipeline folder (KB {fmt(size['kb_in_pipeline_mb'], 1)} MB); wheel {wheel}",
        ),
    ]
    return rows


def _seed_section(seeds: Mapping[str, Any], ner: Optional[Mapping[str, Any]]) -> List[str]:
    if not seeds.get("runs"):
        model_seed = seeds.get("model_seed")
        return [f"NER F1 is from one training run (seed {model_seed}); no seed variance measured.", ""]
    out = [f"NER retrained with {seeds['n_seeds']} seeds (strict F1 on dev): mean {fmt(seeds['f_mean'])}, "
           f"range {fmt(seeds['f_min'])}-{fmt(seeds['f_max'])}, std {fmt(seeds['f_std'], 2)}.", ""]
    rows = [
        (r["seed"], fmt(r["p"]), fmt(r["r"]), fmt(r["f"]), fmt(r["train_seconds"], 0))
        for r in seeds["runs"]
    ]
    out += markdown_table(("seed", "P", "R", "F", "train s"), rows)
    out += [f"Command per seed: `{seeds['command']}`.", ""]
    return out

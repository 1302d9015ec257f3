"""`python -m medlink_bench MODEL DEV ...`: accuracy, speed and cost next to the baselines.

The project's benchmark (`spacy project run benchmark`), not a command of the installed
library: the wheel ships metrics and `evaluate`, the harness stays in the repository.
"""
import sys
from pathlib import Path
from typing import List, Optional

import typer
from wasabi import msg

from spacy_medlink.cli._app import Arg, Opt, check_output_path, coded_errors
from spacy_medlink.errors import Errors
from spacy_medlink.pipeline.linker import LINKER_FACTORY

app = typer.Typer(name="medlink-bench", add_completion=False)


def parse_int_list(value: str, option: str) -> List[int]:
    """Parse "0,1,2" into [0, 1, 2] (E350 on anything else; "" gives [])."""
    try:
        return [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise ValueError(
            Errors.E350.format(option=option, value=value, expected="integers", example="0,1,2")
        ) from None


@app.command()
@coded_errors()
def benchmark_cli(
    model: Path = Arg(..., help="Pipeline folder with a medical_entity_linker", exists=True, file_okay=False),
    dev_path: Path = Arg(..., help="Gold dev corpus: .spacy DocBin or PubTator file", exists=True),
    train_path: Path = Opt(..., "--train-data", "-t", help="Gold training corpus (baselines, spaCy entity_linker, seeds)", exists=True),
    vocab_path: Path = Opt(..., "--vocab", "-v", help="Vocabulary the timed KB build reads", exists=True, dir_okay=False),
    output_dir: Path = Opt(Path("benchmarks"), "--output-dir", "-o", help="Where results.json, results.md and the plots go"),
    train_pubtator: Optional[Path] = Opt(None, "--train-pubtator", help="Corpus for the timed KB build (build-kb --corpus); --train-data if not given", exists=True, dir_okay=False),
    n_process: str = Opt("1,2", "--n-process", "-n", help="Process counts for the end-to-end speed, e.g. 1,2"),
    seeds: str = Opt("", "--seeds", help="Retrain the NER with these seeds, e.g. 0,1,2 (slow)"),
    ner_config: Path = Opt(Path("configs/ner_cnn.cfg"), "--ner-config", help="NER config retrained per seed"),
    seed_max_steps: Optional[int] = Opt(None, "--seed-max-steps", help="training.max_steps of the seed runs (the config's if not given)"),
    wheel: Optional[Path] = Opt(None, "--wheel", help="Built wheel of the pipeline, to report its size", exists=True, dir_okay=False),
    also_dev: List[Path] = Opt([], "--also-dev", help="Another gold dev corpus to report the accuracy on (repeatable)", exists=True),
    spacy_el_steps: int = Opt(300, "--spacy-el-steps", help="Training steps of the spaCy entity_linker baseline (0: untrained)"),
    spacy_el_max_seconds: float = Opt(150.0, "--spacy-el-max-seconds", help="Time budget of that training"),
) -> None:
    """Benchmark a pipeline on this machine (CPU): everything `evaluate` reports; end-to-end
    words/s (per --n-process) and the linker's mentions/s; KB build time and peak memory,
    load time and memory, size on disk; the dictionary, TF-IDF and spaCy entity_linker
    baselines on the same mentions, with ratios; precision vs recall as the NIL threshold
    moves; with --seeds, the NER's F1 over several training seeds. Writes results.json,
    results.md and PNG plots to --output-dir.
    """
    from .run import run_benchmark

    process_counts = parse_int_list(n_process, "--n-process")
    seed_list = parse_int_list(seeds, "--seeds")
    check_output_path(output_dir, "the benchmark results", folder=True)
    results = run_benchmark(
        model,
        dev_path,
        train_data=train_path,
        vocab_path=vocab_path,
        train_pubtator=train_pubtator,
        n_process=process_counts,
        seeds=seed_list,
        ner_config=ner_config,
        seed_max_steps=seed_max_steps,
        wheel=wheel,
        also_dev=also_dev,
        spacy_el_steps=spacy_el_steps,
        spacy_el_max_seconds=spacy_el_max_seconds,
        output_dir=output_dir,
        command=" ".join(["python -m medlink_bench", *sys.argv[1:]]),
    )
    print_summary(results)
    msg.good(f"Saved results.json, results.md and plots to {output_dir}")


def print_summary(results: dict) -> None:
    """Print the key figures of `run_benchmark`."""
    accuracy, speed, baselines = results["accuracy"], results["speed"], results["baselines"]
    el = baselines["spacy_entity_linker"]
    rows = [(LINKER_FACTORY, accuracy["norm_at_gold"]["acc@1"], speed["linker"]["cold"]["mentions_per_second"])]
    rows += [(name, baselines[name].get("acc@1", 0.0), baselines[name]["speed"]["mentions_per_second"]) for name in ("dictionary", "tfidf")]
    rows.append(("spacy entity_linker", el["norm_at_gold"]["acc@1"], el["speed"]["linker_cold"]["mentions_per_second"]))
    msg.table([(n, f"{a:.1f}", f"{s:,.0f}") for n, a, s in rows], header=("norm@gold", "acc@1", "mentions/s"), aligns=("l", "r", "r"))
    for s in speed["end_to_end"]:
        msg.info(f"End to end, n_process={s['n_process']}: {s['words_per_second']:,.0f} words/s")
    if accuracy.get("end_to_end"):
        msg.info(f"End-to-end mention linking F1: ours {accuracy['end_to_end']['f']:.1f}, spaCy entity_linker {el['end_to_end']['f']:.1f}")
    for other in results.get("other_dev", []):
        found = other["accuracy"]
        linking = f", mention linking F1 {found['end_to_end']['f']:.1f}" if found.get("end_to_end") else ""
        msg.info(f"{other['dev_data']}: norm@gold acc@1 {found['norm_at_gold']['acc@1']:.1f}{linking}")


if __name__ == "__main__":
    app()

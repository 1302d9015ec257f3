"""`weak-label` and `self-train`: silver entities from the KB and a teacher, and rounds of
teacher -> student training on gold + silver."""
from pathlib import Path
from typing import List, Optional

import typer
from wasabi import msg

from ._app import Arg, Opt, app, check_distinct_paths, check_output_path, coded_errors, save_json


@app.command("weak-label")
@coded_errors()
def weak_label_cli(
    teacher: Path = Arg(..., help="Teacher pipeline with medlink_kb_mentions and an NER", exists=True),
    unlabeled: Path = Arg(..., help="Unlabeled texts: JSONL(.gz), one {\"text\": ...} per line, or a corpus (DocBin .spacy, PubTator .txt) whose labels are ignored", exists=True),
    output: Path = Arg(..., help="Silver DocBin (.spacy) to write"),
    limit: int = Opt(0, "--limit", "-l", help="Label a random sample of this many texts (0: all)"),
    seed: int = Opt(0, "--seed", help="Seed of the sample"),
    head: int = Opt(0, "--head", min=0, help="Only the first N texts of the file are labelled or sampled (0: all); those after them stay unseen, e.g. for measuring speed on them"),
    min_agreement: float = Opt(0.2, "--min-agreement", help="KB keys the teacher tags less often become missing, not entities"),
    min_count: int = Opt(3, "--min-count", help="Occurrences a KB key needs before it can be uncertain"),
    negative_ratio: float = Opt(0.5, "--negative-ratio", help="Texts without silver entities kept per text with one (-1: all)"),
    kb_labels: str = Opt("", "--kb-labels", help="Comma-separated KB match labels that may become silver entities alone, e.g. DISEASE for a guideline without symptoms (default: all)"),
    sources: str = Opt("", "--sources", help="Comma-separated sources whose entities are taught (model, model+kb, abbreviation, kb; default: all); the others' become missing"),
    kb_open_left: bool = Opt(False, "--kb-open-left", help="KB-only matches right after a content word (\"male <breast cancer>\") become missing with that word"),
    gold: List[Path] = Opt([], "--gold", help="Gold DocBin(s) to measure each source's precision on"),
    transfer: List[Path] = Opt([], "--transfer", help="More texts labelled in full, every one kept: JSONL, or a corpus (DocBin .spacy, PubTator .txt) whose labels are ignored (e.g. another corpus's training documents)", exists=True),
    report_path: Optional[Path] = Opt(None, "--report", "-r", help="Write the report as JSON"),
) -> None:
    """Label unlabeled text from three sources, the teacher NER, the vocabulary matches of
    `medlink_kb_mentions` and defined abbreviations, and write silver training docs: entities
    where the sources say so, missing (unknown) where the KB and the teacher disagree
    consistently, "outside" elsewhere. The report counts every input line and every silver
    entity by source, with each source's precision on the --gold sets.
    """
    from ..training.self_training import write_silver

    check_output_path(output, "the silver DocBin")
    if report_path is not None:
        check_output_path(report_path, "the report")
    check_distinct_paths(
        [("the silver DocBin", output), ("the report", report_path)],
        [("the unlabeled texts", unlabeled), *(("a --transfer corpus", p) for p in transfer), *(("a --gold corpus", p) for p in gold)],
    )
    rules = silver_rules(min_agreement, min_count, negative_ratio, kb_labels, sources, kb_open_left)
    report = write_silver(teacher, unlabeled, output, limit=limit, seed=seed, head=head, rules=rules, gold_paths=gold, transfer_paths=transfer)
    print_weak_label_report(report)
    if report_path is not None:
        save_json(report_path, report, "the report")


def silver_rules(
    min_agreement: float, min_count: int, negative_ratio: float, kb_labels: str, sources: str,
    kb_open_left: bool,
):
    """The SilverRules of the command-line options (comma-separated lists, "" = all)."""
    from ..training.weak_labels import SOURCES, SilverRules

    labels = _comma_list(kb_labels)
    return SilverRules(
        min_agreement=min_agreement, min_count=min_count, negative_ratio=negative_ratio,
        kb_labels=labels or None, entity_sources=_comma_list(sources) or SOURCES,
        kb_open_left=kb_open_left,
    )


def _comma_list(value: str) -> tuple:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def print_weak_label_report(report: dict) -> None:
    """Print the counts and precision of a weak-labelling report."""
    unlabeled = report["unlabeled"]
    msg.info(
        f"{unlabeled['n_read']} texts labelled ({unlabeled['n_lines']} lines read, "
        f"{unlabeled['n_skipped']} skipped, {unlabeled['n_after_head']} after --head left out), "
        f"{report['n_silver_docs']} kept as silver docs; "
        f"{report['n_kb_keys_uncertain']} of "
        f"{report['n_kb_keys_seen']} KB keys uncertain"
    )
    for transfer in report["transfer"]:
        msg.info(f"of them every one of the {transfer['n_read']} texts of {transfer['path']} "
                 f"({transfer['n_skipped']} skipped)")
    msg.table(sorted(report["entities_by_source"].items()), header=("source", "silver entities"))
    for gold_path, by_source in report["precision_on_gold"].items():
        rows = [
            (source, row["n"], f"{row.get('precision', 0.0):.1f}")
            for source, row in by_source.items() if source not in ("missing", "all")
        ]
        total = by_source["all"]
        rows.append(("all", total["n"], f"{total['precision']:.1f} (recall {total['recall']:.1f})"))
        msg.table(rows, header=("source", "n", "precision"), title=f"On {gold_path}")
        msg.text(
            f"missing spans: {by_source['missing']['n']}, overlapping a gold entity: "
            f"{by_source['missing']['overlap_gold']}"
        )


@app.command("self-train", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@coded_errors()
def self_train_cli(
    ctx: typer.Context,
    config: Path = Arg(..., help="NER config (e.g. configs/ner_cnn.cfg)", exists=True),
    teacher: Path = Arg(..., help="Round-0 teacher: the NER trained on gold only", exists=True),
    unlabeled: Path = Arg(..., help="Unlabeled texts: JSONL(.gz), or a corpus (DocBin .spacy, PubTator .txt) whose labels are ignored", exists=True),
    gold_train: Path = Arg(..., help="Gold training DocBin, or a folder of them", exists=True),
    dev: Path = Arg(..., help="Dev DocBin that picks model-best", exists=True),
    output_dir: Path = Arg(..., help="Folder for the rounds"),
    rounds: int = Opt(2, "--rounds", help="Teacher -> student rounds"),
    limit: int = Opt(0, "--limit", "-l", help="Unlabeled texts per round (0: all)"),
    seed: int = Opt(0, "--seed", help="Seed of the samples and of training"),
    head: int = Opt(0, "--head", min=0, help="See weak-label"),
    min_agreement: float = Opt(0.2, "--min-agreement", help="See weak-label"),
    min_count: int = Opt(3, "--min-count", help="See weak-label"),
    negative_ratio: float = Opt(0.5, "--negative-ratio", help="See weak-label"),
    kb_labels: str = Opt("", "--kb-labels", help="See weak-label"),
    sources: str = Opt("", "--sources", help="See weak-label"),
    kb_open_left: bool = Opt(False, "--kb-open-left", help="See weak-label"),
    gold_repeat: int = Opt(1, "--gold-repeat", help="Copies of the gold docs in each round's corpus (weighs few gold docs up against the silver)"),
    extra_dev: List[Path] = Opt([], "--extra-dev", help="More gold DocBins scored after each round"),
    gold: List[Path] = Opt([], "--gold", help="Gold DocBin(s) for the silver sources' precision"),
    transfer: List[Path] = Opt([], "--transfer", help="More texts each round labels in full, every one kept: JSONL, or a corpus (DocBin .spacy, PubTator .txt) whose labels are ignored (e.g. another corpus's training documents)", exists=True),
    vocabulary: Optional[Path] = Opt(None, "--vocabulary", help="paths.vocabulary of the config"),
    max_steps: int = Opt(0, "--max-steps", help="training.max_steps (0: the config's)"),
    eval_frequency: int = Opt(0, "--eval-frequency", help="training.eval_frequency (0: the config's)"),
) -> None:
    """Self-training: the teacher labels a sample of the unlabeled pool (weak-label), a student
    trains on gold + silver from the config, and becomes the next round's teacher. Each round
    is scored on dev (and --extra-dev); OUTPUT_DIR/rounds.json holds every figure, the final
    student is OUTPUT_DIR/round_N/model-best. Config overrides go through to `spacy train`
    as in spaCy's own commands, e.g. `--paths.vectors corpus/pool_vectors/nlp`.
    """
    from spacy.cli._util import parse_config_overrides

    from ..training.self_training import self_train

    check_output_path(output_dir, "the self-training rounds", folder=True)
    overrides = {**parse_config_overrides(ctx.args), "system.seed": seed}
    if vocabulary is not None:
        overrides["paths.vocabulary"] = str(vocabulary)
    if max_steps:
        overrides["training.max_steps"] = max_steps
    if eval_frequency:
        overrides["training.eval_frequency"] = eval_frequency
    records = self_train(
        config, teacher, unlabeled, gold_train, dev, output_dir,
        rounds=rounds, limit=limit, seed=seed, head=head,
        rules=silver_rules(min_agreement, min_count, negative_ratio, kb_labels, sources, kb_open_left), gold_repeat=gold_repeat,
        extra_dev=extra_dev, gold_for_precision=gold, transfer=transfer, overrides=overrides,
    )
    if records:
        rows = [
            (r["round"], *(f"{scores['f']:.2f}" for scores in r["dev"].values())) for r in records
        ]
        msg.table(rows, header=("round", *records[0]["dev"].keys()))
    msg.good(f"Final NER: {output_dir / 'model-best'}")

"""Weak supervision and self-training rounds around `spacy train`.

One round: the teacher labels a sample of the unlabeled pool (training/weak_labels.py), the
silver DocBin is written next to a link to the gold training DocBin, and a student is trained
from the NER config on both (the corpus reader reads every .spacy file of a folder). The
student of round k is the teacher of round k + 1.

    OUTPUT/round_1/corpus/{gold.spacy,silver.spacy}   training data of the round
    OUTPUT/round_1/model-best                         the student
    OUTPUT/round_1/weak_labels.json                   sources, counts, precision on gold sets
    OUTPUT/rounds.json                                every round's dev scores
    OUTPUT/model-best                                 a copy of the last student
"""
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import spacy
import srsly
from spacy.tokens import DocBin
from spacy.training import Corpus

from ..errors import Errors
from ..loading import load_pipeline
from .readers import read_docbin
from .unlabeled import read_unlabeled_texts, report_dict
from .weak_labels import (
    SilverRules,
    apply_rules,
    is_uncertain,
    label_sources,
    select_silver,
    source_counts,
    source_precision,
    to_training_doc,
    weak_label,
)

GOLD_FILE = "gold.spacy"
FINAL_MODEL = "model-best"
SILVER_FILE = "silver.spacy"


def write_silver(
    teacher_path: Union[str, Path],
    unlabeled_path: Union[str, Path],
    output_path: Union[str, Path],
    *,
    limit: int = 0,
    seed: int = 0,
    head: int = 0,
    rules: SilverRules = SilverRules(),
    gold_paths: Sequence[Union[str, Path]] = (),
    transfer_paths: Sequence[Union[str, Path]] = (),
    progress: bool = True,
) -> Dict:
    """Label unlabeled texts with a teacher and write the silver DocBin.

    teacher_path (Union[str, Path]): The teacher pipeline (with medlink_kb_mentions + NER).
    unlabeled_path (Union[str, Path]): JSONL(.gz) texts.
    output_path (Union[str, Path]): The silver .spacy file.
    limit (int): Label a random sample of this many texts (0: all).
    seed (int): Seed of the sample.
    head (int): Only the first `head` texts of the file are sampled (0: all).
    rules (SilverRules): Agreement, negatives and KB categories of the silver labels.
    gold_paths (Sequence[Union[str, Path]]): Gold DocBins whose texts are labelled the same
        way (with the pool's agreement table) to measure each source's precision.
    transfer_paths (Sequence[Union[str, Path]]): More texts labelled in full, every one kept
        (JSONL, or a DocBin or PubTator corpus whose own labels are ignored): e.g. another
        corpus's training texts, so a student also learns what its teacher does on that
        corpus's documents.
    progress (bool): Show progress bars.
    RETURNS (Dict): The report: input counts, silver docs kept, entities per source (of the
        kept docs), precision per gold set.
    """
    # Every input is read before the teacher labels anything: a bad --gold or --transfer file
    # fails at once, not after the whole pool has been labelled.
    gold_bins = [(gold_path, read_gold_docbin(gold_path)) for gold_path in gold_paths]
    teacher = load_pipeline(teacher_path)
    transfer_texts, transfer_reports = [], []
    for path in transfer_paths:
        more, more_report = read_unlabeled_texts(path)
        transfer_texts.extend(more)
        transfer_reports.append(report_dict(more_report))
    texts, read_report = read_unlabeled_texts(unlabeled_path, limit=limit, seed=seed, head=head)
    # One agreement table over both: a KB key the teacher tags inconsistently is uncertain
    # wherever it occurs.
    silver, agreement = weak_label(teacher, texts + transfer_texts, rules=rules, progress=progress)
    output_path = Path(output_path)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    pool_silver, transfer_silver = silver[: len(texts)], silver[len(texts):]
    kept = select_silver(pool_silver, negative_ratio=rules.negative_ratio, seed=seed) + transfer_silver
    doc_bin = DocBin(attrs=["ENT_IOB", "ENT_TYPE"], store_user_data=False)
    for item in kept:
        doc_bin.add(to_training_doc(item, teacher))
    doc_bin.to_disk(output_path)
    n_uncertain_keys = sum(
        1 for counts in agreement.values()
        if is_uncertain(counts, min_agreement=rules.min_agreement, min_count=rules.min_count)
    )
    report = {
        "teacher": str(teacher_path),
        "unlabeled": report_dict(read_report),
        "transfer": transfer_reports,
        "n_transfer_docs": len(transfer_silver),
        "output": str(output_path),
        **asdict(rules),
        "n_silver_docs": len(kept),
        "n_silver_docs_without_entities": sum(1 for item in kept if not item.entities and not item.missing),
        "n_kb_keys_seen": len(agreement),
        "n_kb_keys_uncertain": n_uncertain_keys,
        "entities_by_source": source_counts(kept),
        "precision_on_gold": {},
    }
    for gold_path, gold_bin in gold_bins:
        gold_docs = list(gold_bin.get_docs(teacher.vocab))
        labelled = [label_sources(doc) for doc in teacher.pipe(d.text for d in gold_docs)]
        apply_rules(labelled, agreement, rules)
        report["precision_on_gold"][str(gold_path)] = source_precision(labelled, gold_docs)
    return report


def read_gold_docbin(path: Union[str, Path]) -> DocBin:
    """A gold DocBin of --gold, with a coded error that names it when it is missing or
    unreadable (E111, E120).

    path (Union[str, Path]): The .spacy file.
    RETURNS (DocBin): The DocBin.
    """
    if not Path(path).is_file():
        raise ValueError(Errors.E111.format(path=path))
    return read_docbin(path)


def ner_scores(model_path: Union[str, Path], corpus_path: Union[str, Path]) -> Dict[str, float]:
    """Strict NER P/R/F (percent) of a pipeline on a gold DocBin, as spaCy scores it.

    model_path (Union[str, Path]): The pipeline.
    corpus_path (Union[str, Path]): A gold .spacy file.
    RETURNS (Dict[str, float]): {"p", "r", "f"}.
    """
    nlp = spacy.load(model_path)
    examples = list(Corpus(corpus_path)(nlp))
    scores = nlp.evaluate(examples)
    return {key: 100.0 * (scores[f"ents_{key}"] or 0.0) for key in ("p", "r", "f")}


def self_train(
    config_path: Union[str, Path],
    teacher_path: Union[str, Path],
    unlabeled_path: Union[str, Path],
    gold_train: Union[str, Path],
    dev_path: Union[str, Path],
    output_dir: Union[str, Path],
    *,
    rounds: int = 2,
    limit: int = 0,
    seed: int = 0,
    head: int = 0,
    rules: SilverRules = SilverRules(),
    gold_repeat: int = 1,
    extra_dev: Sequence[Union[str, Path]] = (),
    gold_for_precision: Sequence[Union[str, Path]] = (),
    transfer: Sequence[Union[str, Path]] = (),
    overrides: Optional[Dict[str, object]] = None,
    progress: bool = True,
) -> List[Dict]:
    """Run rounds of teacher labelling + student training (see the module docstring).

    config_path (Union[str, Path]): The NER config (configs/ner_cnn.cfg).
    teacher_path (Union[str, Path]): The round-0 teacher (an NER trained on gold only).
    unlabeled_path (Union[str, Path]): JSONL(.gz) texts.
    gold_train (Union[str, Path]): The gold training DocBin, or a folder of them.
    dev_path (Union[str, Path]): The dev DocBin that picks model-best.
    output_dir (Union[str, Path]): Where the rounds go.
    rounds (int): Number of rounds (0: the teacher becomes OUTPUT_DIR/model-best as it is).
    limit (int): Unlabeled texts per round (0: all); each round draws its own sample.
    seed (int): Seed of the first round's sample (round k uses seed + k - 1).
    head (int): Only the first `head` unlabeled texts are sampled (0: all).
    rules (SilverRules): Agreement, negatives and KB categories of the silver labels.
    gold_repeat (int): Copies of the gold training docs in each round's corpus: with few
        gold documents, thousands of silver texts would otherwise drown their guideline.
    extra_dev (Sequence[Union[str, Path]]): More gold DocBins scored after each round
        (e.g. another corpus's dev set).
    gold_for_precision (Sequence[Union[str, Path]]): Gold DocBins for the source precision.
    transfer (Sequence[Union[str, Path]]): Texts every round labels in full (write_silver).
    overrides (Optional[Dict[str, object]]): Config overrides for spacy train (paths.vocabulary...).
    progress (bool): Show progress bars.
    RETURNS (List[Dict]): One record per round: weak-label report and dev scores.
    """
    from spacy.cli.train import train

    # A bad --gold or --extra-dev fails before round 1, not after its labelling or training.
    for path in (*gold_for_precision, *extra_dev):
        read_gold_docbin(path)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    teacher = Path(teacher_path)
    records: List[Dict] = []
    for round_no in range(1, rounds + 1):
        round_dir = output_dir / f"round_{round_no}"
        corpus_dir = round_dir / "corpus"
        corpus_dir.mkdir(parents=True, exist_ok=True)
        copy_gold(Path(gold_train), corpus_dir, repeat=gold_repeat)
        report = write_silver(
            teacher, unlabeled_path, corpus_dir / SILVER_FILE,
            limit=limit, seed=seed + round_no - 1, head=head, rules=rules,
            gold_paths=gold_for_precision, transfer_paths=transfer, progress=progress,
        )
        report["gold_repeat"] = gold_repeat
        srsly.write_json(round_dir / "weak_labels.json", report)
        train_overrides = {
            **(overrides or {}),
            "paths.train": str(corpus_dir),
            "paths.dev": str(dev_path),
        }
        train(config_path, round_dir, overrides=train_overrides)
        student = round_dir / "model-best"
        record = {
            "round": round_no,
            "teacher": str(teacher),
            "student": str(student),
            "weak_labels": report,
            "dev": {str(dev_path): ner_scores(student, dev_path)},
        }
        for path in extra_dev:
            record["dev"][str(path)] = ner_scores(student, path)
        records.append(record)
        srsly.write_json(output_dir / "rounds.json", records)
        teacher = student
    # The final student (or the teacher itself after 0 rounds) is OUTPUT_DIR/model-best.
    final = output_dir / FINAL_MODEL
    if final.exists():
        shutil.rmtree(final)
    shutil.copytree(teacher, final)
    return records


def copy_gold(gold_train: Path, corpus_dir: Path, *, repeat: int = 1) -> List[Path]:
    """Copy the gold DocBin, or every .spacy file of a gold folder, into a round's corpus,
    `repeat` times (the corpus reader reads every file of the folder: copies weigh the gold
    docs up, and spaCy shuffles the examples of every epoch).

    gold_train (Path): A gold .spacy file or a folder of them.
    corpus_dir (Path): The round's corpus folder.
    repeat (int): Copies of each file (>= 1).
    RETURNS (List[Path]): The files written.
    """
    if repeat < 1:
        raise ValueError(Errors.E121.format(value=repeat))
    sources = sorted(gold_train.glob("*.spacy")) if gold_train.is_dir() else [gold_train]
    written = []
    for path in sources:
        stem = f"gold_{path.stem}" if gold_train.is_dir() else Path(GOLD_FILE).stem
        for copy in range(repeat):
            target = corpus_dir / (f"{stem}.spacy" if copy == 0 else f"{stem}_copy{copy}.spacy")
            shutil.copyfile(path, target)
            written.append(target)
    return written

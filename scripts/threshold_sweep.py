"""End-to-end linking as the linker's NIL threshold moves, on several gold corpora.

    python scripts/threshold_sweep.py training/medlink corpus/dev.spacy corpus/second_dev.spacy \
        --output benchmarks/threshold_sweep.json

The pipeline runs once per corpus with no threshold; each entity keeps its link record's
calibrated score, and a threshold t turns the links scored below t into NIL (the entity stays,
its concept goes). Reported per corpus and threshold: end-to-end mention linking and
document-level concept P/R/F (NER is unchanged by the threshold). A threshold chosen on one
corpus is only worth shipping if it holds on the other.
"""
from pathlib import Path
from typing import Dict, List

import spacy
import srsly
import typer

from spacy_medlink.evaluation.evaluate import find_linker
from spacy_medlink.evaluation.resolved_gold import ResolvedGold, entity_metrics
from spacy_medlink.evaluation.metrics import resolve_ids
from spacy_medlink.kb.ids import KB_ID_SEPARATOR
from spacy_medlink.pipeline.decide import passes
from spacy_medlink.training.gold_corpus import read_gold

THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def scored_entities(nlp, gold: ResolvedGold) -> Dict[tuple, tuple]:
    """(doc, start_char, end_char) -> (score, resolved concepts) with no threshold."""
    out = {}
    docs = nlp.pipe([d.text for d in gold.documents], batch_size=64)
    for doc_index, doc in enumerate(docs):
        records = {(r["start_char"], r["end_char"]): r for r in doc._.medlink_links or ()}
        for ent in doc.ents:
            record = records.get((ent.start_char, ent.end_char))
            concepts, _ = resolve_ids(ent.kb_id_.split(KB_ID_SEPARATOR), gold.resolve)
            out[(doc_index, ent.start_char, ent.end_char)] = (record["score"] if record else 1.0, concepts)
    return out


def sweep(entities: Dict[tuple, tuple], gold: ResolvedGold, thresholds) -> List[dict]:
    rows = []
    for t in thresholds:
        kept = {span: (concepts if passes(score, t) else frozenset()) for span, (score, concepts) in entities.items()}
        metrics = entity_metrics(gold, kept)
        rows.append({
            "threshold": t,
            "end_to_end": {k: metrics["end_to_end"][k] for k in ("p", "r", "f")},
            "document_concepts": {k: metrics["document_concepts"][k] for k in ("p", "r", "f")},
            "ner_f": metrics["ner"]["f"],
        })
    return rows


def main(
    model: Path = typer.Argument(..., help="Pipeline with NER and medical_entity_linker"),
    corpora: List[Path] = typer.Argument(..., help="Gold corpora (.spacy or PubTator)"),
    output: Path = typer.Option(Path("benchmarks/threshold_sweep.json"), "--output", "-o"),
) -> None:
    nlp = spacy.load(model)
    _, linker = find_linker(nlp, str(model))
    configured = linker.cfg["threshold"]
    linker.cfg["threshold"] = None
    results = {"model": str(model), "configured_threshold": configured, "corpora": {}}
    for path in corpora:
        gold = ResolvedGold(read_gold(path, nlp.vocab), linker.kb.store.resolve)
        rows = sweep(scored_entities(nlp, gold), gold, THRESHOLDS)
        results["corpora"][str(path)] = rows
        typer.echo(f"{path}")
        for row in rows:
            typer.echo(f"  t={row['threshold']:.1f}  e2e P/R/F {row['end_to_end']['p']:.1f} / "
                       f"{row['end_to_end']['r']:.1f} / {row['end_to_end']['f']:.1f}   doc concepts "
                       f"{row['document_concepts']['p']:.1f} / {row['document_concepts']['r']:.1f} / "
                       f"{row['document_concepts']['f']:.1f}")
    output.parent.mkdir(parents=True, exist_ok=True)
    srsly.write_json(output, results)
    typer.echo(f"Saved {output}")


if __name__ == "__main__":
    typer.run(main)

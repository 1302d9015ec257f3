"""Does linking stay linear in the mentions of one document? A benchmark, not a test.

    python scripts/link_scaling.py training/model-best ../shared/data/unlabeled/pubmed_sentences.jsonl.gz \
        --output benchmarks/link_scaling.json

1. Per-mention link time for documents of 10, 100, 1,000 and 10,000 mentions: each document
   is made of sentences around KB aliases (a disjoint, shuffled slice of the KB's aliases per
   size, so no size reuses another's query strings), the mentions are set as doc.ents and
   only the linker is timed, on a freshly loaded pipeline.
2. The whole pipeline and the linker alone on a 200,000-character document built from the
   unlabeled pool (text the pipeline has not seen since loading), and on the issue's
   abbreviation stress text `" ".join("breast cancer (BC) and BC" for _ in range(1000))`.
"""
import random
import time
from pathlib import Path
from typing import Dict, List

import spacy
import srsly
import typer
from spacy.tokens import Doc

from spacy_medlink.evaluation.evaluate import find_linker
from spacy_medlink.training.unlabeled import read_unlabeled_texts

SIZES = (10, 100, 1_000, 10_000)
LONG_DOC_CHARS = 200_000
TEMPLATES = ("Patients with {} were studied.", "We report {} in two families.", "{} was frequent.")


def mention_doc(nlp, aliases: List[str]) -> Doc:
    """A doc with one mention per alias, set as doc.ents (label DISEASE)."""
    parts, spans, offset = [], [], 0
    for i, alias in enumerate(aliases):
        template = TEMPLATES[i % len(TEMPLATES)]
        before = template.index("{}")
        sentence = template.format(alias)
        spans.append((offset + before, offset + before + len(alias)))
        parts.append(sentence)
        offset += len(sentence) + 1
    doc = nlp.make_doc(" ".join(parts))
    ents = [doc.char_span(s, e, label="DISEASE", alignment_mode="expand") for s, e in spans]
    doc.ents = spacy.util.filter_spans([e for e in ents if e is not None])
    return doc


def pool_text(path: Path, n_chars: int, skip: int) -> str:
    """n_chars of pool sentences, after the first `skip` texts."""
    texts, _ = read_unlabeled_texts(path)
    out, size = [], 0
    for text in texts[skip:]:
        out.append(text)
        size += len(text) + 1
        if size >= n_chars:
            break
    return " ".join(out)[:n_chars]


def time_linker(linker, doc: Doc) -> float:
    start = time.perf_counter()
    linker(doc)
    return time.perf_counter() - start


def time_pipeline(nlp, linker_name: str, text: str) -> Dict[str, float]:
    """Whole pipeline on `text`, then the linker alone on a copy of the doc before it."""
    start = time.perf_counter()
    doc = nlp(text)
    total = time.perf_counter() - start
    with nlp.select_pipes(disable=[linker_name]):
        before = nlp(text)
    return {"chars": len(text), "mentions": len(doc.ents), "pipeline_s": round(total, 3),
            "linker_s": round(time_linker(nlp.get_pipe(linker_name), before), 3)}


def main(
    model: Path = typer.Argument(..., help="Pipeline with a medical_entity_linker"),
    unlabeled: Path = typer.Argument(..., help="Unlabeled JSONL(.gz) pool for the long document"),
    output: Path = typer.Option(Path("benchmarks/link_scaling.json"), "--output", "-o"),
    seed: int = typer.Option(0, "--seed"),
    skip: int = typer.Option(100_000, "--skip", help="Pool lines to skip (the weak labels use the first ones)"),
) -> None:
    nlp = spacy.load(model)
    linker_name, linker = find_linker(nlp, str(model))
    aliases = sorted(set(linker.kb.get_alias_strings()))
    random.Random(seed).shuffle(aliases)
    results = {"model": str(model), "per_size": []}
    offset = 0
    for size in SIZES:
        chunk = aliases[offset : offset + size]
        offset += size
        doc = mention_doc(nlp, chunk)
        seconds = time_linker(linker, doc)
        row = {"mentions": len(doc.ents), "chars": len(doc.text), "linker_s": round(seconds, 3),
               "ms_per_mention": round(1000 * seconds / max(1, len(doc.ents)), 3)}
        results["per_size"].append(row)
        typer.echo(row)
    long_text = pool_text(unlabeled, LONG_DOC_CHARS, skip=skip)
    results["long_document"] = time_pipeline(nlp, linker_name, long_text)
    typer.echo({"long_document": results["long_document"]})
    stress = " ".join("breast cancer (BC) and BC" for _ in range(1000))
    results["abbreviation_stress"] = time_pipeline(nlp, linker_name, stress)
    typer.echo({"abbreviation_stress": results["abbreviation_stress"]})
    output.parent.mkdir(parents=True, exist_ok=True)
    srsly.write_json(output, results)
    typer.echo(f"Saved {output}")


if __name__ == "__main__":
    typer.run(main)

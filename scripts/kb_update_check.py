"""kb-update on a trained pipeline, measured (issue 16): norm@gold acc@1 before and after.

    python scripts/kb_update_check.py training/linker/model-best ../shared/data/biored/train.pubtator.txt \
        corpus/dev.spacy corpus/second_dev.spacy ../shared/data/medic/CTD_diseases.tsv.gz \
        --vocabulary-out corpus/biored_new_concepts.jsonl --output benchmarks/kb_update.json

Two updates, neither retrains anything:

1. *Ids newer than the vocabulary*: the concepts of the annotation corpus (BioRED train) whose
   ids the KB does not know, written as a vocabulary JSONL (name = the most frequent mention
   text, synonyms = the others: what a lab can write from its own annotations; the file is
   derived from the corpus and not committed). A KB built with that corpus's mentions
   (`build-kb --corpus-concepts`, the default) already holds them as corpus concepts: they
   and their training mentions are taken out first, and the original KB is scored too.
   Scored on the dev mentions of those ids, on the whole BioRED dev and on NCBI dev.
2. *Held-out vocabulary*: the MEDIC concepts that BioRED dev names and the KB's training
   mentions never showed are removed from the KB, then added back by an update with their
   MEDIC records. Scored on the BioRED dev mentions of those concepts: without them, after the
   update (new vectors folded in), and with the original KB (vectors from the full build).
"""
import argparse
import json
import sys
import warnings
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Set

import spacy
import srsly

from spacy_medlink.evaluation.evaluate import find_linker, link_gold_spans
from spacy_medlink.evaluation.metrics import norm_at_gold
from spacy_medlink.evaluation.resolved_gold import ResolvedGold
from spacy_medlink.kb.build import build_kb
from spacy_medlink.kb.build_from_files import DEFAULT_ENCODER, make_encoder
from spacy_medlink.kb.corpus_concepts import is_corpus_concept
from spacy_medlink.kb.ids import normalize_concept_id
from spacy_medlink.kb.readers import read_vocabulary
from spacy_medlink.kb.records import Concept
from spacy_medlink.kb.update import FoldInEncoder, training_mentions, update_kb
from spacy_medlink.pipeline.components import components_of
from spacy_medlink.pipeline.linker import LINKER_FACTORY
from spacy_medlink.training.gold_corpus import read_gold


def acc_at_1(nlp, documents, only: Set[str] = None) -> Dict:
    """norm@gold acc@1 of the pipeline's linker, optionally on the mentions of some ids."""
    name, linker = find_linker(nlp)
    gold = ResolvedGold(documents, linker.kb.store.resolve)
    linked = link_gold_spans(nlp, name, linker, gold, 1, False)
    # Gold ids the KB does not know stay as they are (ResolvedGold), so "only" matches both.
    concepts = [(d, m.start, m.end, c) for d, m, c in gold.mentions
                if only is None or set(m.ids) & only or c & only]
    ranked = {key: [c["id"] for c in record["candidates"]] for key, record in linked.records.items()}
    scores = norm_at_gold(concepts, ranked, (1,))
    return {"acc@1": round(scores["acc@1"], 2), "n": scores["n"], "n_correct": scores["n_correct@1"]}


def corpus_concepts(corpus: Path, store) -> List[Concept]:
    texts = defaultdict(Counter)
    for document in read_gold(corpus):
        for mention in document.mentions:
            if len(mention.ids) == 1 and store.resolve(mention.ids[0]) is None and mention.ids[0] != "-":
                texts[mention.ids[0]][mention.text] += 1
    return [
        Concept(f"MESH:{cid}" if cid[:1] == "D" and ":" not in cid else cid,
                counts.most_common(1)[0][0], synonyms=tuple(t for t, _ in counts.most_common()[1:]))
        for cid, counts in sorted(texts.items())
    ]


def with_kb(nlp, kb) -> None:
    for name in components_of(nlp, LINKER_FACTORY):
        nlp.get_pipe(name).set_kb(lambda vocab: kb)


def without_concepts(kb, vocab, held: Set[str]):
    """The KB rebuilt without the `held` concepts and their training mentions; the other
    concepts keep their vectors exactly (what the linker was trained with)."""
    store = kb.store
    kept = [c for c in store if c.concept_id not in held]
    vectors = {c.concept_id: kb.get_vector(c.concept_id) for c in kept}
    encoder = FoldInEncoder(make_encoder(DEFAULT_ENCODER, kb.entity_vector_length), vectors)
    mentions = [(a, c) for a, c in training_mentions(store, {}) if c not in held]
    without, _ = build_kb(kept, vocab, encoder=encoder, extra_aliases=mentions, progress=False)
    return without


def newer_ids(nlp, corpus, ncbi_dev, biored_dev, vocabulary_out) -> Dict:
    """The corpus's ids that the vocabulary lacks, added by an update. A KB built with the
    corpus's mentions (`build-kb --corpus-concepts`, the default since BioRED's mentions
    became aliases) already holds them as corpus concepts: they are taken out first, so the
    update has something to add, and the original KB is scored beside it."""
    _, linker = find_linker(nlp)
    original = linker.kb
    corpus_ids = {normalize_concept_id(i) for d in read_gold(corpus) for m in d.mentions for i in m.ids}
    already = {c.concept_id for c in original.store if is_corpus_concept(c) and c.concept_id in corpus_ids}
    start = without_concepts(original, nlp.vocab, already) if already else original
    new = corpus_concepts(corpus, start.store)
    srsly.write_jsonl(vocabulary_out, [{"id": c.concept_id, "name": c.name, "synonyms": list(c.synonyms)} for c in new])
    ids = {c.concept_id for c in new} | {c.concept_id.split(":")[-1] for c in new}

    def scores() -> Dict:
        return {"biored_dev_new_ids": acc_at_1(nlp, biored_dev, ids), "biored_dev": acc_at_1(nlp, biored_dev),
                "ncbi_dev": acc_at_1(nlp, ncbi_dev)}

    original_scores = scores() if already else None
    with_kb(nlp, start)
    before = scores()
    updated, report = update_kb(start, new, encoder=make_encoder(DEFAULT_ENCODER, start.entity_vector_length), vocab=nlp.vocab)
    with_kb(nlp, updated)
    after = scores()
    with_kb(nlp, original)
    return {"update": report.counts(), "ids": sorted(c.concept_id for c in new),
            "held_out_corpus_concepts": len(already), "before": before, "after": after,
            "original_kb": original_scores}


def held_out_vocabulary(nlp, vocab_path, biored_dev) -> Dict:
    _, linker = find_linker(nlp)
    original = linker.kb
    store = original.store
    seen = {cid for by in store.alias_counts.values() for cid in by}
    dev_ids = {store.resolve(i) for d in biored_dev for m in d.mentions for i in m.ids} - {None}
    held = {cid for cid in dev_ids - seen if not is_corpus_concept(store[cid])}
    medic = {c.concept_id: c for c in read_vocabulary(vocab_path)}
    held &= set(medic)
    encoder = make_encoder(DEFAULT_ENCODER, original.entity_vector_length)
    without = without_concepts(original, nlp.vocab, held)
    full_scores = acc_at_1(nlp, biored_dev, held)
    with_kb(nlp, without)
    before = acc_at_1(nlp, biored_dev, held)
    updated, report = update_kb(without, [medic[cid] for cid in sorted(held)], encoder=encoder, vocab=nlp.vocab)
    with_kb(nlp, updated)
    after = acc_at_1(nlp, biored_dev, held)
    with_kb(nlp, original)
    return {"n_held_out_concepts": len(held), "update": report.counts(), "without_them": before,
            "after_kb_update": after, "original_kb": full_scores}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path)
    parser.add_argument("new_corpus", type=Path, help="annotations with ids newer than the vocabulary (BioRED train)")
    parser.add_argument("ncbi_dev", type=Path)
    parser.add_argument("biored_dev", type=Path)
    parser.add_argument("vocabulary", type=Path, help="the KB's vocabulary (MEDIC), for the held-out records")
    parser.add_argument("--vocabulary-out", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message=r"\[MLW00[234]\]")
    nlp = spacy.load(args.model)
    ncbi_dev, biored_dev = read_gold(args.ncbi_dev, nlp.vocab), read_gold(args.biored_dev, nlp.vocab)
    results = {
        "command": " ".join(["python", *sys.argv]),
        "newer_ids": newer_ids(nlp, args.new_corpus, ncbi_dev, biored_dev, args.vocabulary_out),
        "held_out_vocabulary": held_out_vocabulary(nlp, args.vocabulary, biored_dev),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

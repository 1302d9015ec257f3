"""Evaluate a trained pipeline on a gold corpus, next to the two baselines, in one run.

Four views of the same gold mentions (metrics.py defines each one):

1. NER: strict character spans of the full pipeline run on raw text (recall per mention type).
2. End-to-end mention linking: (span, concept) of the full pipeline's entities.
3. Document-level concepts: (document, concept) pairs, BioCreative style.
4. norm@gold: the linker alone on the gold spans (acc@1, acc@5, candidate recall@k), and the
   dictionary and TF-IDF baselines on the very same mentions.

Gold ids are resolved through the KB (`ConceptStore.resolve`: bare MeSH ids get their prefix,
alt ids map to the primary id); ids the KB does not know are kept and counted, so they count
as misses. Every gold mention counts, including those that do not align to the pipeline's
tokens: for NER they are misses; for norm@gold the linker gets the smallest token span that
covers them (counted in `n_misaligned`).
"""
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Tuple, Union

from spacy.language import Language
from spacy.tokens import Doc, Span
from tqdm import tqdm

from ..errors import Errors
from ..kb.ids import KB_ID_SEPARATOR
from ..kb.medlink_kb import MedlinkKB
from ..loading import load_pipeline
from ..pipeline.components import components_of, entity_components
from ..pipeline.linker import LINKER_FACTORY
from ..training.convert import DEFAULT_LABEL
from ..training.gold_corpus import GoldMention, read_gold
from .baseline_scores import evaluate_baselines
from .error_report import write_errors
from .metrics import (
    DEFAULT_RECALL_KS,
    SpanKey,
    candidate_recall,
    norm_at_gold,
    resolve_ids,
)
from .resolved_gold import N_EXAMPLES, ResolvedGold, entity_metrics

BATCH_SIZE = 32


def find_linker(nlp: Language, model_name: str = "<nlp>") -> Tuple[str, Any]:
    """RETURNS (Tuple[str, MedicalEntityLinker]): The name and component of the pipeline's
    first medical_entity_linker; E301 when it has none."""
    linkers = components_of(nlp, LINKER_FACTORY)
    if linkers:
        return linkers[0], nlp.get_pipe(linkers[0])
    raise ValueError(
        Errors.E301.format(path=model_name, name=LINKER_FACTORY, found=", ".join(nlp.pipe_names))
    )


def evaluate_pipeline(
    model_path_or_nlp: Union[str, Path, Language],
    data_path: Union[str, Path],
    *,
    kb: Any = None,
    n_process: int = 1,
    errors_path: Optional[Union[str, Path]] = None,
    baselines: bool = True,
    train_path: Optional[Union[str, Path]] = None,
    recall_ks: Sequence[int] = DEFAULT_RECALL_KS,
    progress: bool = True,
) -> Dict[str, Any]:
    """Evaluate a pipeline with a medical_entity_linker on a gold corpus.

    model_path_or_nlp (Union[str, Path, Language]): The pipeline or its path.
    data_path (Union[str, Path]): Gold corpus: a DocBin from `convert`, a PubTator file, or
        a folder of them.
    kb (Optional[Union[MedlinkKB, str, Path]]): The KB whose store resolves gold ids and
        whose concepts feed the baselines; the linker's KB when None.
    n_process (int): Processes for running the full pipeline on raw text.
    errors_path (Optional[Union[str, Path]]): Where to write the errors (JSONL): linking
        errors on gold spans, missed and spurious entities.
    baselines (bool): Whether to evaluate the dictionary and TF-IDF baselines.
    train_path (Optional[Union[str, Path]]): Training corpus whose mentions enter the
        baselines' dictionary; the baselines are skipped (with a note) without it.
    recall_ks (Sequence[int]): Cut-offs for candidate recall@k.
    progress (bool): Show progress bars.
    RETURNS (Dict[str, Any]): The metrics (percentages 0-100 with their counts) and "notes".
    """
    model_name = str(model_path_or_nlp) if not isinstance(model_path_or_nlp, Language) else "<nlp>"
    nlp = model_path_or_nlp if isinstance(model_path_or_nlp, Language) else load_pipeline(model_path_or_nlp)
    linker_name, linker = find_linker(nlp, model_name)
    kb = _load_kb(kb, nlp) if kb is not None else linker.kb
    gold = ResolvedGold(read_gold(data_path, nlp.vocab), kb.store.resolve)
    # Read before the pipeline runs: a bad --train-data must not cost the whole run first.
    train_gold = read_gold(train_path, nlp.vocab) if baselines and train_path is not None else None
    notes: List[str] = []
    results: Dict[str, Any] = {
        "model": model_name,
        "data": str(data_path),
        "n_docs": len(gold.documents),
        "n_gold_mentions": len(gold.mentions),
        "gold_ids": gold.id_report(),
        "notes": notes,
    }
    if gold.unresolved:
        notes.append(
            f"{sum(gold.unresolved.values())} gold ids are not in the KB (kept as they are, "
            f"so they count as misses): {', '.join(list(gold.unresolved)[:N_EXAMPLES])}"
        )
    ner_names = entity_components(nlp, exclude=[linker_name])
    pipeline_output = None
    if ner_names:
        pipeline_output = run_pipeline(nlp, gold, n_process, progress)
        results.update(pipeline_metrics(gold, pipeline_output))
    else:
        notes.append(
            "The pipeline has no component that sets doc.ents (linker-only model): NER, "
            "end-to-end and document-level metrics were skipped; norm@gold is reported."
        )
        results.update({"ner": None, "end_to_end": None, "document_concepts": None})
    linked = link_gold_spans(
        nlp, linker_name, linker, gold, max(recall_ks), progress,
        docs=pipeline_output.docs if pipeline_output is not None else None,
    )
    ranked = {key: [c["id"] for c in record["candidates"]] for key, record in linked.records.items()}
    results["norm_at_gold"] = norm_at_gold(gold.concepts(), ranked)
    results["norm_at_gold"]["n_misaligned"] = linked.n_misaligned
    results["norm_at_gold"].update(_multi_concept_accuracy(gold, linked.records, kb.store.resolve))
    results["candidate_recall"] = candidate_recall(gold.concepts(), ranked, recall_ks)
    baseline_ranked: Dict[str, Dict[SpanKey, List[str]]] = {}
    if baselines:
        if train_gold is None:
            notes.append("Baselines skipped: they need the training mentions (--train-data).")
            results["baselines"] = None
        else:
            results["baselines"], baseline_ranked = evaluate_baselines(
                gold.documents, train_gold, kb.store,
                recall_ks=recall_ks, nlp=nlp, progress=progress,
            )
    if errors_path is not None:
        n_errors = write_errors(
            errors_path, gold, linked.records,
            pipeline_output.entities if pipeline_output is not None else None, kb, baseline_ranked,
        )
        results["n_errors_written"] = n_errors
    return results


def _load_kb(kb: Any, nlp: Language) -> Any:
    if isinstance(kb, (str, Path)):
        return MedlinkKB.load(kb, nlp.vocab)
    return kb


# --- the full pipeline on raw text ---------------------------------------------------------
@dataclass
class PipelineOutput:
    """Entities of the full pipeline: (doc, start, end) -> (text, resolved concepts), and the
    processed docs (reused to link the gold spans without running the pipeline again)."""

    entities: Dict[SpanKey, Tuple[str, FrozenSet[str]]]
    seconds: float
    n_words: int
    docs: List[Doc]


def run_pipeline(nlp: Language, gold: ResolvedGold, n_process: int, progress: bool) -> PipelineOutput:
    """Run the whole pipeline on the gold documents' raw text and collect its entities.

    nlp (Language): The pipeline.
    gold (ResolvedGold): The gold documents, with ids resolved through the KB.
    n_process (int): Processes for nlp.pipe.
    progress (bool): Show a progress bar.
    RETURNS (PipelineOutput): Entities, timing and the processed docs.
    """
    texts = [document.text for document in gold.documents]
    entities: Dict[SpanKey, Tuple[str, FrozenSet[str]]] = {}
    processed: List[Doc] = []
    n_words = 0
    start_time = time.perf_counter()
    docs = nlp.pipe(texts, batch_size=BATCH_SIZE, n_process=n_process)
    for doc_index, doc in enumerate(
        tqdm(docs, total=len(texts), desc="Pipeline", unit="doc", disable=not progress, leave=False)
    ):
        n_words += len(doc)
        processed.append(doc)
        for ent in doc.ents:
            concepts, _ = resolve_ids(ent.kb_id_.split(KB_ID_SEPARATOR), gold.resolve)
            entities[(doc_index, ent.start_char, ent.end_char)] = (ent.text, concepts)
    return PipelineOutput(entities, time.perf_counter() - start_time, n_words, processed)


def pipeline_metrics(gold: ResolvedGold, output: PipelineOutput) -> Dict[str, Any]:
    """Strict NER, end-to-end mention linking and document-level concept scores.

    gold (ResolvedGold): The gold documents.
    output (PipelineOutput): What run_pipeline returned for them.
    RETURNS (Dict[str, Any]): "ner" (with recall by mention type), "end_to_end",
        "document_concepts" and "speed".
    """
    return {
        **entity_metrics(gold, {span: concepts for span, (_, concepts) in output.entities.items()}),
        "speed": {
            "seconds": output.seconds,
            "docs_per_second": len(gold.documents) / output.seconds if output.seconds else 0.0,
            "words_per_second": output.n_words / output.seconds if output.seconds else 0.0,
        },
    }


# --- the linker alone on the gold spans ----------------------------------------------------
@dataclass
class _LinkedGold:
    """The linker's record for each gold span, and how many spans had to be widened."""

    records: Dict[SpanKey, dict]
    n_misaligned: int


def link_gold_spans(
    nlp: Language,
    linker_name: str,
    linker: Any,
    gold: ResolvedGold,
    n_candidates: int,
    progress: bool,
    docs: Optional[List[Doc]] = None,
) -> _LinkedGold:
    """Put the gold spans in doc.ents and let the linker rank its candidates for each one.

    The docs of the full pipeline run are reused when given (the components before the linker
    have run on them: abbreviations, ...); otherwise the components before the linker, except
    those that set doc.ents, are run on the texts.

    doc.ents cannot overlap, so a document whose gold mentions overlap is linked as several
    copies ("layers"), each holding non-overlapping mentions.
    """
    linker_index = nlp.pipe_names.index(linker_name)
    skip = set(entity_components(nlp))
    before = [name for name in nlp.pipe_names[:linker_index] if name not in skip]
    texts = [document.text for document in gold.documents]
    by_doc: Dict[int, List[Tuple[int, GoldMention]]] = {}
    for doc_index, mention, _ in gold.mentions:
        by_doc.setdefault(doc_index, []).append((doc_index, mention))
    layer_docs: List[Doc] = []
    layer_keys: List[Dict[Tuple[int, int], List[SpanKey]]] = []
    n_misaligned = 0
    if docs is None:
        with nlp.select_pipes(enable=before):
            docs = list(nlp.pipe(texts, batch_size=BATCH_SIZE))
    for doc_index, doc in enumerate(docs):
        layers, misaligned = gold_layers(doc, doc_index, by_doc.get(doc_index, []))
        n_misaligned += misaligned
        for layer_index, (spans, keys) in enumerate(layers):
            layer_doc = doc if layer_index == 0 else doc.copy()
            layer_doc.ents = [Span(layer_doc, s.start, s.end, label=s.label) for s in spans]
            layer_docs.append(layer_doc)
            layer_keys.append(keys)
    records: Dict[SpanKey, dict] = {}
    saved = linker.cfg["n_explanations"]
    linker.cfg["n_explanations"] = max(saved, n_candidates)
    try:
        batches = range(0, len(layer_docs), BATCH_SIZE)
        for lo in tqdm(batches, desc="Linking gold spans", unit="batch", disable=not progress, leave=False):
            batch = layer_docs[lo : lo + BATCH_SIZE]
            for keys, doc_records in zip(layer_keys[lo : lo + BATCH_SIZE], linker.predict(batch)):
                for record in doc_records:
                    for key in keys.get((record["start_char"], record["end_char"]), ()):
                        records[key] = record
    finally:
        linker.cfg["n_explanations"] = saved
    return _LinkedGold(records, n_misaligned)


def gold_layers(
    doc: Doc, doc_index: int, mentions: List[Tuple[int, GoldMention]]
) -> Tuple[List[Tuple[List[Span], Dict[Tuple[int, int], List[SpanKey]]]], int]:
    """Group a document's gold mentions into non-overlapping token spans.

    RETURNS: per layer (spans, (span start_char, end_char) -> gold span keys), and the number
        of mentions that had to be widened to token boundaries.
    """
    n_misaligned = 0
    by_tokens: Dict[Tuple[int, int], List[SpanKey]] = {}
    spans: Dict[Tuple[int, int], Span] = {}
    for _, mention in mentions:
        span = doc.char_span(mention.start, mention.end, label=DEFAULT_LABEL)
        if span is None:
            n_misaligned += 1
            span = doc.char_span(mention.start, mention.end, label=DEFAULT_LABEL, alignment_mode="expand")
        if span is None or len(span) == 0:
            continue
        key = (span.start, span.end)
        spans[key] = span
        by_tokens.setdefault(key, []).append((doc_index, mention.start, mention.end))
    layers: List[Tuple[List[Span], Dict[Tuple[int, int], List[SpanKey]]]] = []
    for key in sorted(spans, key=lambda k: (k[0], -k[1])):
        span = spans[key]
        for layer_spans, layer_map in layers:
            if layer_spans[-1].end <= span.start:
                break
        else:
            layer_spans, layer_map = [], {}
            layers.append((layer_spans, layer_map))
        layer_spans.append(span)
        layer_map[(span.start_char, span.end_char)] = by_tokens[key]
    return layers, n_misaligned


def _multi_concept_accuracy(gold: ResolvedGold, records: Dict[SpanKey, dict], resolve) -> Dict[str, Any]:
    """Composite gold mentions are right on gold spans when the linker's kb_id holds exactly
    their concepts."""
    n = n_correct = 0
    for doc_index, mention, concepts in gold.mentions:
        if len(concepts) < 2:
            continue
        n += 1
        record = records.get((doc_index, mention.start, mention.end))
        if record is not None:
            predicted, _ = resolve_ids(record["kb_id"].split(KB_ID_SEPARATOR), resolve)
            n_correct += predicted == concepts
    return {
        "multi_concept_acc": 100.0 * n_correct / n if n else 0.0,
        "n_multi_concept": n,
    }



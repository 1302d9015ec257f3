"""spaCy's built-in `entity_linker` over our KB as a baseline: build it on our NER, train it
briefly, and score and time it on the same dev gold mentions as our linker."""
import random
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import minibatch
from thinc.api import fix_random_seed
from tqdm import tqdm

from spacy_medlink.candidates.spacy_el import NORMALIZED_ALIAS_CANDIDATES, NORMALIZED_ALIAS_CANDIDATES_BATCH
from spacy_medlink.errors import Warnings, warn_once
from spacy_medlink.evaluation.evaluate import (
    BATCH_SIZE,
    entity_components,
    gold_layers,
    pipeline_metrics,
    run_pipeline,
)
from spacy_medlink.evaluation.metrics import candidate_recall, norm_at_gold, resolve_ids
from spacy_medlink.evaluation.resolved_gold import ResolvedGold
from spacy_medlink.kb.ids import KB_ID_SEPARATOR
from spacy_medlink.kb.loaders import load_kb_from_disk
from spacy_medlink.pipeline.abbreviations import ABBREVIATIONS_FACTORY
from spacy_medlink.pipeline.linker import LINKER_FACTORY
from spacy_medlink.pipeline.short_form_mentions import SHORT_FORM_FACTORY
from spacy_medlink.training.gold_corpus import GoldDocument
from spacy_medlink.training.readers import PubtatorCorpus

from .measure import component_linking, time_linking

# A brief training run (steps of SPACY_EL_BATCH documents).
SPACY_EL_STEPS = 300
SPACY_EL_MAX_SECONDS = 150.0
SPACY_EL_BATCH = 8
SPACY_EL_NAME = "entity_linker"
SENTENCIZER_NAME = "sentencizer"
# Components of ours that the spaCy entity_linker pipeline leaves out. The abbreviations stay
# when medlink_short_form_mentions (part of our NER) needs them.
OUR_LINKING_FACTORIES = (LINKER_FACTORY, ABBREVIATIONS_FACTORY)


def build_spacy_entity_linker(
    model_path: Union[str, Path], kb_path: Union[str, Path], entity_vector_length: int
) -> Language:
    """Our NER (the pipeline without our linker, and without our abbreviations unless
    `medlink_short_form_mentions` reads them) + a
    sentencizer (spaCy's linker needs sentences) + spaCy's `entity_linker` with its defaults
    (priors and context included), except its candidates: the normalized mention text looked
    up among the KB's aliases (`spacy-medlink.NormalizedAliasCandidates.v1`), as the KB was
    built and as our linker looks them up; spaCy's default `spacy.CandidateGenerator.v1`
    looks up the raw text and misses most of them. The KB is our linker's KB folder, loaded
    at initialize (`spacy-medlink.KBFromDisk.v1`; MedlinkKB is an InMemoryLookupKB).

    model_path (Union[str, Path]): Our pipeline.
    kb_path (Union[str, Path]): The KB folder (our linker's NAME/kb).
    entity_vector_length (int): The KB's entity vector length.
    RETURNS (Language): The pipeline; its entity_linker is not initialized yet.
    """
    config = spacy.util.load_config(Path(model_path) / "config.cfg")
    factories = {name: component.get("factory") for name, component in config["components"].items()}
    left_out = set(OUR_LINKING_FACTORIES)
    if SHORT_FORM_FACTORY in factories.values():
        left_out.discard(ABBREVIATIONS_FACTORY)
    exclude = [name for name, factory in factories.items() if factory in left_out]
    nlp = spacy.load(model_path, exclude=exclude)
    if not any("token.is_sent_start" in nlp.get_pipe_meta(n).assigns for n in nlp.pipe_names):
        nlp.add_pipe("sentencizer", name=SENTENCIZER_NAME)
    nlp.add_pipe(
        "entity_linker",
        name=SPACY_EL_NAME,
        config={
            "generate_empty_kb": {"@misc": "spacy-medlink.EmptyKB.v1"},
            "get_candidates": {"@misc": NORMALIZED_ALIAS_CANDIDATES},
            "get_candidates_batch": {"@misc": NORMALIZED_ALIAS_CANDIDATES_BATCH},
            "entity_vector_length": entity_vector_length,
            "use_gold_ents": True,
            "incl_prior": True,
            "incl_context": True,
        },
    )
    return nlp


def _resolve_reference_ids(doc: Doc, resolve: Callable[[str], Optional[str]]) -> None:
    """Give each gold entity its one KB concept, or no id (composite or unknown ids): spaCy's
    loss compares a mention with its concept's vector, and an id the KB lacks has none."""
    ents = []
    for ent in doc.ents:
        concepts, unresolved = resolve_ids(ent.kb_id_.split(KB_ID_SEPARATOR), resolve)
        kb_id = next(iter(concepts)) if len(concepts) == 1 and not unresolved else ""
        ents.append(Span(doc, ent.start, ent.end, label=ent.label_, kb_id=kb_id))
    doc.ents = ents


def train_spacy_entity_linker(
    nlp: Language,
    train_path: Union[str, Path],
    kb_path: Union[str, Path],
    resolve: Callable[[str], Optional[str]],
    *,
    max_steps: int = SPACY_EL_STEPS,
    max_seconds: float = SPACY_EL_MAX_SECONDS,
    batch_size: int = SPACY_EL_BATCH,
    seed: int = 0,
    progress: bool = True,
) -> Dict[str, Any]:
    """Initialize spaCy's entity_linker (loading the KB) and train it on the gold mentions of
    the training corpus (use_gold_ents), for max_steps batches or max_seconds, whichever
    comes first. Only the entity_linker is updated.

    nlp (Language): From `build_spacy_entity_linker`.
    train_path (Union[str, Path]): Training corpus (.spacy or PubTator).
    kb_path (Union[str, Path]): The KB folder.
    resolve (Callable[[str], Optional[str]]): Gold id -> KB concept id.
    max_steps (int): Updates (0: initialize only; the model is untrained).
    max_seconds (float): Time budget of the updates.
    batch_size (int): Documents per update.
    seed (int): Random seed.
    progress (bool): Show a progress bar.
    RETURNS (Dict[str, Any]): "steps", "seconds", "final_loss", "train_documents",
        "train_mentions" (with one KB concept) and "train_mentions_with_candidates".
    """
    fix_random_seed(seed)
    linker = nlp.get_pipe(SPACY_EL_NAME)
    examples = list(PubtatorCorpus(train_path)(nlp))
    for example in examples:
        _resolve_reference_ids(example.reference, resolve)
    linker.initialize(lambda: examples, nlp=nlp, kb_loader=load_kb_from_disk(Path(kb_path)))
    mentions = [ent for eg in examples for ent in eg.reference.ents if ent.kb_id_]
    with_candidates = sum(bool(list(linker.get_candidates(linker.kb, ent))) for ent in mentions)
    if with_candidates == 0 and max_steps > 0:
        warn_once(Warnings.W350.format(n_examples=len(examples)))
    optimizer = linker.create_optimizer()
    rng = random.Random(seed)
    steps, losses, last_loss = 0, {}, None
    start = time.perf_counter()
    with tqdm(total=max_steps, desc="Training spaCy entity_linker", unit="step",
              disable=not progress or max_steps <= 0, leave=False) as bar:
        while steps < max_steps and time.perf_counter() - start < max_seconds:
            order = list(examples)
            rng.shuffle(order)
            for batch in minibatch(order, batch_size):
                losses = {}
                linker.update(list(batch), drop=0.1, sgd=optimizer, losses=losses)
                last_loss = losses.get(SPACY_EL_NAME, last_loss)
                steps += 1
                bar.update(1)
                if steps >= max_steps or time.perf_counter() - start >= max_seconds:
                    break
    return {
        "steps": steps,
        "max_steps": max_steps,
        "batch_size": batch_size,
        "seconds": time.perf_counter() - start,
        "final_loss": last_loss,
        "train_documents": len(examples),
        "train_mentions": len(mentions),
        "train_mentions_with_candidates": with_candidates,
    }


def spacy_el_on_gold_spans(nlp: Language, gold: ResolvedGold) -> Dict[str, Any]:
    """Link the gold spans with spaCy's entity_linker (acc@1: it returns one id per mention)
    and check which spans its candidate generator finds the gold concept for.

    nlp (Language): The trained pipeline from `build_spacy_entity_linker`.
    gold (ResolvedGold): The resolved gold mentions.
    RETURNS (Dict[str, Any]): "norm_at_gold" (acc@1 and counts), "candidate_recall" (the
        gold concept among the normalized-alias candidates, whatever their number),
        "n_without_candidates" and "speed_on_gold_spans".
    """
    linker = nlp.get_pipe(SPACY_EL_NAME)
    ner_names = set(entity_components(nlp))
    before = [n for n in nlp.pipe_names[: nlp.pipe_names.index(SPACY_EL_NAME)] if n not in ner_names]
    with nlp.select_pipes(enable=before):
        docs = list(nlp.pipe([d.text for d in gold.documents], batch_size=BATCH_SIZE))
    by_doc: Dict[int, list] = {}
    for doc_index, mention, _ in gold.mentions:
        by_doc.setdefault(doc_index, []).append((doc_index, mention))
    layer_docs, layer_keys = [], []
    for doc_index, doc in enumerate(docs):
        layers, _ = gold_layers(doc, doc_index, by_doc.get(doc_index, []))
        for layer_index, (spans, keys) in enumerate(layers):
            layer_doc = doc if layer_index == 0 else doc.copy()
            layer_doc.ents = [Span(layer_doc, s.start, s.end, label=s.label) for s in spans]
            layer_docs.append(layer_doc)
            layer_keys.append(keys)
    ranked: Dict[Tuple[int, int, int], List[str]] = {}
    candidates: Dict[Tuple[int, int, int], List[str]] = {}
    n_without = 0
    start = time.perf_counter()
    predicted = linker.predict(layer_docs)
    seconds = time.perf_counter() - start
    ents = [(doc, ent) for doc in layer_docs for ent in doc.ents]
    for (doc, ent), keys, kb_id in zip(ents, _keys_per_ent(layer_docs, layer_keys), predicted):
        found = [c.entity_ for c in linker.get_candidates(linker.kb, ent)]
        n_without += not found
        for key in keys:
            ranked[key] = [kb_id] if kb_id and kb_id != linker.NIL else []
            candidates[key] = found
    big_k = max([len(c) for c in candidates.values()] + [1])
    recall = candidate_recall(gold.concepts(), candidates, (big_k,))
    return {
        "norm_at_gold": norm_at_gold(gold.concepts(), ranked, (1,)),
        "candidate_recall": {
            "recall_any": recall[f"recall@{big_k}"],
            "n_correct": recall[f"n_correct@{big_k}"],
            "n": recall["n"],
        },
        "n_without_candidates": n_without,
        "speed_on_gold_spans": {
            "mentions": len(ents),
            "seconds": seconds,
            "mentions_per_second": len(ents) / seconds if seconds else 0.0,
        },
    }


def _keys_per_ent(layer_docs: List[Doc], layer_keys: List[dict]) -> Iterable[List[Tuple[int, int, int]]]:
    for doc, keys in zip(layer_docs, layer_keys):
        for ent in doc.ents:
            yield keys.get((ent.start_char, ent.end_char), [])


def benchmark_spacy_entity_linker(
    model_path: Union[str, Path],
    kb_path: Union[str, Path],
    entity_vector_length: int,
    dev_documents: List[GoldDocument],
    train_path: Union[str, Path],
    resolve: Callable[[str], Optional[str]],
    *,
    max_steps: int = SPACY_EL_STEPS,
    max_seconds: float = SPACY_EL_MAX_SECONDS,
    progress: bool = True,
) -> Dict[str, Any]:
    """spaCy's entity_linker with normalized-alias candidates over our KB, with our NER:
    trained briefly, then scored on the gold spans (norm@gold acc@1) and end to end on
    raw text, and timed on the NER's mentions (cold first pass).

    RETURNS (Dict[str, Any]): "config", "training", "norm_at_gold", "candidate_recall",
        "n_without_candidates", "ner", "end_to_end", "document_concepts", "speed".
    """
    random.seed(0)  # spaCy's linker shuffles tied candidates with the random module
    nlp = build_spacy_entity_linker(model_path, kb_path, entity_vector_length)
    training = train_spacy_entity_linker(
        nlp, train_path, kb_path, resolve, max_steps=max_steps, max_seconds=max_seconds, progress=progress
    )
    linker = nlp.get_pipe(SPACY_EL_NAME)
    gold = ResolvedGold(list(dev_documents), resolve)
    texts = [d.text for d in dev_documents]
    with nlp.select_pipes(disable=[SPACY_EL_NAME]):
        upstream = list(nlp.pipe(texts, batch_size=BATCH_SIZE))
    speed = time_linking(component_linking(linker), upstream)
    results: Dict[str, Any] = {
        "config": {
            "candidates": f"{NORMALIZED_ALIAS_CANDIDATES} (normalized mention text among the KB aliases)",
            "incl_prior": True,
            "incl_context": True,
            "use_gold_ents": True,
            "pipe_names": nlp.pipe_names,
        },
        "training": training,
    }
    results.update(spacy_el_on_gold_spans(nlp, gold))
    output = run_pipeline(nlp, gold, 1, progress)
    metrics = pipeline_metrics(gold, output)
    results.update({k: metrics[k] for k in ("ner", "end_to_end", "document_concepts")})
    results["speed"] = {"linker_cold": speed, "end_to_end": metrics["speed"]}
    return results

"""The errors file of `evaluate --errors`: one JSON line per linking error, missed and
spurious entity, with context, candidates and the baselines' answers (for people to read)."""
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Optional, Tuple, Union

import srsly

from ..kb.ids import KB_ID_SEPARATOR
from ..training.gold_corpus import GoldDocument
from .metrics import SpanKey, resolve_ids
from .resolved_gold import ResolvedGold

# Characters of text on each side of a mention in the errors file.
CONTEXT_CHARS = 80
# Candidates written per linking error.
N_ERROR_CANDIDATES = 10


def write_errors(
    path: Union[str, Path],
    gold: ResolvedGold,
    records: Dict[SpanKey, dict],
    entities: Optional[Dict[SpanKey, Tuple[str, FrozenSet[str]]]],
    kb: Any,
    baseline_ranked: Optional[Dict[str, Dict[SpanKey, List[str]]]] = None,
) -> int:
    """Write one JSON line per error, in corpus order:

    - kind "linking": a gold mention whose concept(s) the linker got wrong on the gold span
      (top candidate for one concept, kb_id for a composite), with the top candidates, their
      scores and evidence, the rank of the gold concept and the baselines' first answers;
    - kind "missed" / "spurious": a gold mention the full pipeline did not find with exactly
      its span / an entity that matches no gold span (only when the pipeline has NER).

    RETURNS (int): The number of lines written.
    """
    baseline_ranked = baseline_ranked or {}
    lines = []
    for doc_index, mention, concepts in gold.mentions:
        key = (doc_index, mention.start, mention.end)
        record = records.get(key)
        error = _linking_error(record, concepts, gold.resolve)
        if error is None:
            continue
        line = _error_base("linking", gold.documents[doc_index], doc_index, mention.start, mention.end)
        line.update(
            {
                "type": mention.type,
                "gold_ids": list(mention.ids),
                "gold_concepts": [_describe(kb, c) for c in sorted(concepts)],
                **error,
                "baselines": {name: ranked.get(key, [])[:1] for name, ranked in baseline_ranked.items()},
            }
        )
        lines.append(line)
    if entities is not None:
        lines.extend(_ner_errors(gold, entities))
    lines.sort(key=lambda line: (line["doc_index"], line["start"], line["end"], line["kind"]))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    srsly.write_jsonl(path, lines)
    return len(lines)


def _linking_error(record: Optional[dict], concepts: FrozenSet[str], resolve) -> Optional[dict]:
    candidates = record["candidates"] if record is not None else []
    ranked = [c["id"] for c in candidates]
    if len(concepts) == 1:
        concept = next(iter(concepts))
        if ranked[:1] == [concept]:
            return None
        predicted = ranked[:1]
    else:
        predicted_set, _ = resolve_ids((record or {}).get("kb_id", "").split(KB_ID_SEPARATOR), resolve)
        if predicted_set == concepts:
            return None
        predicted = sorted(predicted_set)
    ranks = {c: ranked.index(c) + 1 for c in concepts if c in ranked}
    return {
        "query": record["query"] if record is not None else None,
        "predicted": predicted,
        "kb_id": record["kb_id"] if record is not None else None,
        "gold_rank": ranks,
        "candidates": [
            {key: c.get(key) for key in ("id", "name", "alias", "score", "evidence")}
            for c in candidates[:N_ERROR_CANDIDATES]
        ],
    }


def _ner_errors(gold: ResolvedGold, entities: Dict[SpanKey, Tuple[str, FrozenSet[str]]]) -> List[dict]:
    lines = []
    gold_spans = gold.spans()
    for doc_index, mention, concepts in gold.mentions:
        if (doc_index, mention.start, mention.end) in entities:
            continue
        line = _error_base("missed", gold.documents[doc_index], doc_index, mention.start, mention.end)
        line.update({"type": mention.type, "gold_ids": list(mention.ids)})
        line["overlapping_predictions"] = [
            text
            for (d, s, e), (text, _) in entities.items()
            if d == doc_index and s < mention.end and mention.start < e
        ]
        lines.append(line)
    for (doc_index, start, end), (_, concepts) in entities.items():
        if (doc_index, start, end) in gold_spans:
            continue
        line = _error_base("spurious", gold.documents[doc_index], doc_index, start, end)
        line["predicted"] = sorted(concepts)
        lines.append(line)
    return lines


def _error_base(kind: str, document: GoldDocument, doc_index: int, start: int, end: int) -> dict:
    text = document.text
    left = text[max(0, start - CONTEXT_CHARS) : start]
    right = text[end : end + CONTEXT_CHARS]
    return {
        "kind": kind,
        "doc_id": document.doc_id,
        "doc_index": doc_index,
        "start": start,
        "end": end,
        "text": text[start:end],
        "context": f"{left}[[{text[start:end]}]]{right}",
    }


def _describe(kb: Any, concept_id: str) -> Dict[str, str]:
    concept = kb.store.get(concept_id)
    return {"id": concept_id, "name": concept.name if concept is not None else "(not in KB)"}

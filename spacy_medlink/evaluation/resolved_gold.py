"""The gold of one evaluation with its ids resolved through the KB, and the strict metrics of
predicted entities against it (NER, end-to-end mention linking, document-level concepts)."""
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, List, Tuple

from ..training.gold_corpus import GoldDocument, GoldMention
from .metrics import (
    GoldConcepts,
    SpanKey,
    document_concept_prf,
    mention_linking_prf,
    ner_prf,
    ner_recall_by_type,
    resolve_ids,
)

# Examples of unresolved ids kept in the report.
N_EXAMPLES = 10


@dataclass
class ResolvedGold:
    """The resolved gold of one evaluation, keyed by document position."""

    documents: List[GoldDocument]
    resolve: Any
    mentions: List[Tuple[int, GoldMention, FrozenSet[str]]] = field(default_factory=list)
    unresolved: Counter = field(default_factory=Counter)
    n_ids: int = 0

    def __post_init__(self) -> None:
        for doc_index, document in enumerate(self.documents):
            for mention in document.mentions:
                concepts, unresolved = resolve_ids(mention.ids, self.resolve)
                self.n_ids += len(concepts)
                self.unresolved.update(unresolved)
                self.mentions.append((doc_index, mention, concepts))

    def spans(self) -> set:
        return {(d, m.start, m.end) for d, m, _ in self.mentions}

    def typed_spans(self) -> set:
        return {(d, m.start, m.end, m.type) for d, m, _ in self.mentions}

    def concepts(self) -> List[GoldConcepts]:
        return [(d, m.start, m.end, c) for d, m, c in self.mentions]

    def span_concepts(self) -> set:
        return {(d, m.start, m.end, c) for d, m, concepts in self.mentions for c in concepts}

    def doc_concepts(self) -> set:
        return {(d, c) for d, _, concepts in self.mentions for c in concepts}

    def id_report(self) -> Dict[str, Any]:
        return {
            "n_gold_ids": self.n_ids,
            "n_unresolved": sum(self.unresolved.values()),
            "unresolved": dict(self.unresolved.most_common(N_EXAMPLES)),
        }


def entity_metrics(gold: ResolvedGold, entities: Dict[SpanKey, FrozenSet[str]]) -> Dict[str, Any]:
    """Strict NER, end-to-end mention linking and document-level concept P/R/F of entities.

    gold (ResolvedGold): The gold documents.
    entities (Dict[SpanKey, FrozenSet[str]]): (doc, start_char, end_char) -> resolved concepts.
    RETURNS (Dict[str, Any]): "ner" (with recall by mention type), "end_to_end" and
        "document_concepts".
    """
    pred_spans = set(entities)
    ner = ner_prf(gold.spans(), pred_spans).to_dict()
    ner["recall_by_type"] = {
        t: r.to_dict() for t, r in ner_recall_by_type(gold.typed_spans(), pred_spans).items()
    }
    pred_links = {(*span, c) for span, concepts in entities.items() for c in concepts}
    pred_docs = {(span[0], c) for span, concepts in entities.items() for c in concepts}
    return {
        "ner": ner,
        "end_to_end": mention_linking_prf(gold.span_concepts(), pred_links).to_dict(),
        "document_concepts": document_concept_prf(gold.doc_concepts(), pred_docs).to_dict(),
    }

"""Scorer of the medical_entity_linker, compatible with spaCy's Scorer.score_links.

Like `Scorer.score_links` it reports `nel_micro_p/r/f` over entities whose character span
matches a gold entity (to separate linking from NER). Unlike it, gold and predicted ids are
compared as sets of resolved concepts: alt ids (OMIM) map to their primary MEDIC id and a
composite gold mention ("breast and ovarian cancer") must get all of its concepts.
`medlink_acc@1` is norm@gold accuracy over gold mentions that form exactly one concept.
"""
from typing import Callable, Dict, FrozenSet, Iterable, Optional

from spacy.scorer import PRFScore
from spacy.training import Example
from spacy.util import registry

from ..kb.ids import KB_ID_SEPARATOR


def concept_set(kb_id: str, resolve: Optional[Callable[[str], Optional[str]]]) -> FrozenSet[str]:
    """RETURNS (FrozenSet[str]): the concepts of a `|`-joined kb_id (unknown ids kept as-is)."""
    ids = [i for i in kb_id.split(KB_ID_SEPARATOR) if i]
    if resolve is None:
        return frozenset(ids)
    return frozenset((resolve(i) or i) for i in ids)


def score_medical_links(
    examples: Iterable[Example], *, resolve: Optional[Callable] = None, **cfg
) -> Dict[str, float]:
    """Score links on entities that match gold spans exactly.

    RETURNS (Dict[str, float]): nel_micro_p/r/f and medlink_acc@1 (None when undefined).
    """
    prf = PRFScore()
    n_single, n_single_correct = 0, 0
    for example in examples:
        gold_by_offset = {(e.start_char, e.end_char): e for e in example.reference.ents}
        for pred in example.predicted.ents:
            gold = gold_by_offset.get((pred.start_char, pred.end_char))
            if gold is None or not gold.kb_id_:
                continue
            gold_ids = concept_set(gold.kb_id_, resolve)
            pred_ids = concept_set(pred.kb_id_, resolve)
            if not pred_ids:
                prf.fn += 1
            elif pred_ids == gold_ids:
                prf.tp += 1
            else:
                prf.fp += 1
                prf.fn += 1
            if len(gold_ids) == 1:
                n_single += 1
                n_single_correct += pred_ids == gold_ids
    if prf.tp + prf.fp + prf.fn == 0:
        return {"nel_micro_p": None, "nel_micro_r": None, "nel_micro_f": None,
                "medlink_acc@1": None}
    return {
        "nel_micro_p": prf.precision,
        "nel_micro_r": prf.recall,
        "nel_micro_f": prf.fscore,
        "medlink_acc@1": n_single_correct / n_single if n_single else None,
    }


@registry.scorers("spacy-medlink.linker_scorer.v1")
def make_linker_scorer() -> Callable:
    return score_medical_links

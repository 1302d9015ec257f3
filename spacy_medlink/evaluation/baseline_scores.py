"""The dictionary and TF-IDF baselines scored like the linker: norm@gold on the same gold
mentions, and the dictionary baseline end to end on raw text."""
from collections import Counter
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

from spacy.language import Language
from tqdm import tqdm

from ..kb.alias_matcher import AliasMatcher
from ..kb.categories import DISEASE_LABEL
from ..training.gold_corpus import GoldDocument
from .baselines import BASELINES
from .metrics import DEFAULT_ACC_KS, DEFAULT_RECALL_KS, SpanKey, candidate_recall, norm_at_gold, resolve_ids
from .resolved_gold import ResolvedGold, entity_metrics


def baseline_train_mentions(
    documents: Iterable[GoldDocument], resolve
) -> Tuple[List[Tuple[str, str]], Dict[str, int]]:
    """The training mentions of the baselines' dictionary: every mention whose ids form
    exactly one concept. An id the KB does not know is kept as it is (the dictionary may then
    return it, and it can be right when the evaluation corpus uses the same id).

    documents (Iterable[GoldDocument]): The training corpus.
    resolve (Callable[[str], Optional[str]]): Any id -> primary id or None.
    RETURNS (Tuple[List[Tuple[str, str]], Dict[str, int]]): (text, concept) pairs and counts
        ("n_mentions", "n_used", "n_multi_concept", "n_unresolved").
    """
    pairs = []
    counts = Counter()
    for document in documents:
        for mention in document.mentions:
            counts["n_mentions"] += 1
            concepts, unresolved = resolve_ids(mention.ids, resolve)
            if len(concepts) != 1:
                counts["n_multi_concept"] += 1
                continue
            counts["n_unresolved"] += bool(unresolved)
            pairs.append((mention.text, next(iter(concepts))))
    counts["n_used"] = len(pairs)
    return pairs, dict(counts)


def evaluate_baselines(
    documents: Sequence[GoldDocument],
    train_documents: Iterable[GoldDocument],
    store: Any,
    *,
    recall_ks: Sequence[int] = DEFAULT_RECALL_KS,
    nlp: Optional[Language] = None,
    progress: bool = True,
) -> Tuple[Dict[str, Any], Dict[str, Dict[SpanKey, List[str]]]]:
    """Evaluate the dictionary and TF-IDF baselines on gold mentions (norm@gold), with the
    same mention set and definitions as the linker in `evaluate_pipeline`.

    documents (Sequence[GoldDocument]): The evaluation corpus (e.g. from `read_gold`).
    train_documents (Iterable[GoldDocument]): The corpus whose single-concept mentions enter
        the baselines' dictionary (see `baseline_train_mentions`).
    store (ConceptStore): The concepts (names and synonyms) and the id resolver.
    recall_ks (Sequence[int]): Cut-offs for recall@k.
    nlp (Optional[Language]): Its tokenizer; when given, the dictionary baseline also runs end
        to end on the raw texts ("dictionary_end_to_end", see dictionary_end_to_end).
    progress (bool): Show a progress bar.
    RETURNS (Tuple[Dict[str, Any], Dict[str, Dict[SpanKey, List[str]]]]): Per baseline
        name, acc@1, acc@5, recall@k and counts (plus "train_mentions" counts); and per
        baseline name, the ranking of each gold span ((doc position, start, end) -> ids).
    """
    gold = ResolvedGold(list(documents), store.resolve)
    train_pairs, train_counts = baseline_train_mentions(train_documents, store.resolve)
    queries = [(m.text, gold.documents[d].text) for d, m, _ in gold.mentions]
    keys = [(d, m.start, m.end) for d, m, _ in gold.mentions]
    results: Dict[str, Any] = {"train_mentions": train_counts}
    all_ranked: Dict[str, Dict[SpanKey, List[str]]] = {}
    for name, baseline_cls in tqdm(
        list(BASELINES.items()), desc="Baselines", disable=not progress, leave=False
    ):
        baseline = baseline_cls().fit(store, train_pairs)
        ranked = dict(zip(keys, baseline.rank_many(queries, max(recall_ks))))
        all_ranked[name] = ranked
        scores = norm_at_gold(gold.concepts(), ranked, DEFAULT_ACC_KS)
        recall = candidate_recall(gold.concepts(), ranked, recall_ks)
        scores.update({key: value for key, value in recall.items() if key.startswith("recall@")})
        scores["n_dictionary_strings"] = len(baseline.entries)
        results[name] = scores
        if name == "dictionary" and nlp is not None:
            results["dictionary_end_to_end"] = dictionary_end_to_end(gold, train_pairs, store, nlp, baseline)
    return results, all_ranked


def dictionary_end_to_end(
    gold: ResolvedGold, train_pairs: Sequence[Tuple[str, str]], store: Any, nlp: Language, linker: Any
) -> Dict[str, Any]:
    """The end-to-end dictionary baseline: every leftmost-longest match of a dictionary string
    (the vocabulary's names and synonyms plus the single-concept training mentions, matched on
    `normalize_alias` keys with the AliasMatcher's guards) is an entity, linked to the
    dictionary baseline's first concept for its text.

    gold (ResolvedGold): The evaluation documents.
    train_pairs (Sequence[Tuple[str, str]]): (mention text, concept) of the training mentions.
    store (ConceptStore): The vocabulary.
    nlp (Language): Its tokenizer splits the texts.
    linker (DictionaryBaseline): The dictionary baseline, fitted on the same strings.
    RETURNS (Dict[str, Any]): entity_metrics of the baseline, and its dictionary size.
    """
    matcher = AliasMatcher.from_aliases(
        [(alias, DISEASE_LABEL) for concept in store for alias in (concept.name, *concept.synonyms)]
        + [(text, DISEASE_LABEL) for text, _ in train_pairs]
    )
    entities: Dict[SpanKey, FrozenSet[str]] = {}
    for doc_index, document in enumerate(gold.documents):
        doc = nlp.make_doc(document.text)
        spans = [doc[m.start:m.end] for m in matcher.find([t.text for t in doc])]
        ranked = linker.rank_many([(span.text, document.text) for span in spans], 1)
        for span, ids in zip(spans, ranked):
            entities[(doc_index, span.start_char, span.end_char)] = frozenset(ids[:1])
    return {**entity_metrics(gold, entities), "n_dictionary_keys": len(matcher)}

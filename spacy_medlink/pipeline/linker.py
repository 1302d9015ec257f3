"""medical_entity_linker: a trainable, context-aware entity linker over a MedlinkKB.

Per entity the linker (1) builds a lookup string (abbreviations expanded, shared alias
normalizer), (2) asks a registered candidate generator for concepts, (3) computes evidence
features (features.py) and (4) scores the candidates with a thinc model (ranker_model.py)
trained with a softmax over each mention's candidates. It sets `ent.kb_id_` and writes the
top-k candidates with each evidence source's contribution to `doc._.medlink_links`.

DOCS: README.md ("Using a trained pipeline"), docs/ARCHITECTURE.md
"""
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import srsly
from spacy import util
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.tokens import Doc, Span
from spacy.training import Example, validate_examples
from spacy.vocab import Vocab
from thinc.api import Config, Model

from ..candidates.base import get_alias_table
from ..errors import Errors
from ..fork_safety import register_fork_handler
from ..integrity import read_json, verify_manifest, write_manifest
from ..kb.categories import LABELS, category_label, link_category
from ..kb.mapped_kb import MappedKB, is_mapped_kb_bytes, is_mapped_kb_folder
from .abbreviations import DEFAULT_SPANS_KEY, AbbreviationDetector
from .calibration import fit_temperature
from .decide import decide, decide_composite, group_offsets, group_softmax
from .explain import LINKS_EXTENSION, evidence_contributions, install_extensions, link_record, reported_candidates
from .features import N_FEATURES, ConceptInfo, Mention, build_batch
from .gold import gold_mentions
from .mentions import composite_parts, linkable_entities, mentions_with_candidates
from .ranker_model import (
    DEFAULT_CONTEXT_BUCKETS, DEFAULT_DROPOUT, DEFAULT_ENTITY_VECTOR_LENGTH, DEFAULT_HIDDEN_WIDTH,
    RankerBatch, fuse_evidence, score_fused,
)
from .settings import validate_cfg

# Entities of other labels (a CHEMICAL from an entity_ruler, a GENE) are not the KB's business:
# without this filter every one of them got its nearest disease.
DEFAULT_LABELS = LABELS
LINKER_FACTORY = "medical_entity_linker"
# Calibrated probability below which a link is NIL. Chosen on NCBI dev end-to-end F1 and
# checked on BioRED dev, which did not choose it (figures: README "Reliability",
# scripts/threshold_sweep.py, benchmarks/threshold_sweep.json).
DEFAULT_THRESHOLD = 0.5

DEFAULT_MODEL_CONFIG = f"""
[model]
@architectures = "spacy-medlink.EvidenceRanker.v1"
n_features = {N_FEATURES}
entity_vector_length = {DEFAULT_ENTITY_VECTOR_LENGTH}
hidden_width = {DEFAULT_HIDDEN_WIDTH}
n_context_buckets = {DEFAULT_CONTEXT_BUCKETS}
dropout = {DEFAULT_DROPOUT}
"""
DEFAULT_MODEL = Config().from_str(DEFAULT_MODEL_CONFIG)["model"]


@Language.factory(
    LINKER_FACTORY,
    requires=["doc.ents"],
    assigns=["token.ent_kb_id", "doc._.medlink_links"],
    default_config={
        "model": DEFAULT_MODEL,
        "entity_vector_length": DEFAULT_ENTITY_VECTOR_LENGTH,
        "generate_empty_kb": {"@misc": "spacy-medlink.EmptyKB.v1"},
        "get_candidates": {"@misc": "spacy-medlink.CharNgramCandidates.v1"},
        "context_window": 12,
        "threshold": DEFAULT_THRESHOLD,
        "labels": list(DEFAULT_LABELS),
        "labels_discard": [],
        "n_explanations": 5,
        "abbreviations_key": DEFAULT_SPANS_KEY,
        "overwrite": True,
        "category_labels": False,
        "scorer": {"@scorers": "spacy-medlink.linker_scorer.v1"},
    },
    default_score_weights={
        "nel_micro_f": 1.0,
        "nel_micro_p": None,
        "nel_micro_r": None,
        "medlink_acc@1": None,
    },
)
def make_medical_entity_linker(
    nlp: Language,
    name: str,
    model: Model,
    *,
    entity_vector_length: int,
    generate_empty_kb: Callable,
    get_candidates: Callable,
    context_window: int,
    threshold: Optional[float],
    labels: List[str],
    labels_discard: List[str],
    n_explanations: int,
    abbreviations_key: str,
    overwrite: bool,
    category_labels: bool,
    scorer: Optional[Callable],
) -> "MedicalEntityLinker":
    """Create a MedicalEntityLinker. See the class for the arguments."""
    # nlp.pipe(n_process=2) forks; a transformer upstream would hang the workers otherwise.
    register_fork_handler()
    return MedicalEntityLinker(
        nlp.vocab,
        model,
        name,
        entity_vector_length=entity_vector_length,
        generate_empty_kb=generate_empty_kb,
        get_candidates=get_candidates,
        context_window=context_window,
        threshold=threshold,
        labels=labels,
        labels_discard=labels_discard,
        n_explanations=n_explanations,
        abbreviations_key=abbreviations_key,
        overwrite=overwrite,
        category_labels=category_labels,
        scorer=scorer,
    )


class MedicalEntityLinker(TrainablePipe):
    """Link entities to concepts of a MedlinkKB by ranking fuzzy candidates on fused evidence.

    vocab (Vocab): the shared vocabulary.
    model (Model[RankerBatch, Floats1d]): scores (mention, candidate) pairs.
    entity_vector_length (int): length of the KB's entity vectors.
    generate_empty_kb (Callable[[Vocab, int], MedlinkKB]): makes the empty KB of a new component.
    get_candidates (Callable): (kb, queries, exclude) -> candidates per query.
    context_window (int): words on each side of a mention used as its context.
    threshold (Optional[float]): below this calibrated probability the mention is NIL ("");
        None always links.
    labels (List[str]): entity labels to link; [] links every entity.
    labels_discard (List[str]): entity labels never linked (as spaCy's entity_linker).
    n_explanations (int): candidates (with evidence) written to doc._.medlink_links.
    abbreviations_key (str): doc.spans key of the abbreviation component; computed on the fly
        when absent.
    overwrite (bool): whether to overwrite existing kb_ids.
    category_labels (bool): relabel each linked entity DISEASE or SYMPTOM by its concept's
        category (`ent._.medlink_category` is set either way).
    scorer (Optional[Callable]): the scoring method.
    """

    def __init__(
        self,
        vocab: Vocab,
        model: Model,
        name: str = LINKER_FACTORY,
        *,
        entity_vector_length: int,
        generate_empty_kb: Callable,
        get_candidates: Callable,
        context_window: int = 12,
        threshold: Optional[float] = DEFAULT_THRESHOLD,
        labels: Sequence[str] = DEFAULT_LABELS,
        labels_discard: Sequence[str] = (),
        n_explanations: int = 5,
        abbreviations_key: str = DEFAULT_SPANS_KEY,
        overwrite: bool = True,
        category_labels: bool = False,
        scorer: Optional[Callable] = None,
    ) -> None:
        self.vocab = vocab
        self.model = model
        self.name = name
        self.get_candidates = get_candidates
        self.generate_empty_kb = generate_empty_kb
        self.kb = generate_empty_kb(vocab, entity_vector_length)
        self.scorer = scorer
        self.cfg: Dict = {
            "entity_vector_length": entity_vector_length,
            "context_window": context_window,
            "threshold": threshold,
            "labels": list(labels),
            "labels_discard": list(labels_discard),
            "n_explanations": n_explanations,
            "abbreviations_key": abbreviations_key,
            "overwrite": overwrite,
            "category_labels": category_labels,
            # Softmax temperature fitted on dev by calibrate(); 1.0 until then.
            "temperature": 1.0,
        }
        validate_cfg(self.cfg, f"the config of '{name}'")
        self._info: Optional[ConceptInfo] = None
        self._abbreviations = AbbreviationDetector(spans_key=abbreviations_key)
        install_extensions()

    # --- knowledge base ------------------------------------------------------------------
    def set_kb(self, kb_loader: Callable) -> None:
        """Fill the component's KB from a kb_loader(vocab) -> MedlinkKB."""
        kb = kb_loader(self.vocab)
        if not hasattr(kb, "store"):
            raise ValueError(Errors.E201.format(name=self.name, found=type(kb).__name__))
        self._use_kb(kb)
        self.validate_kb()

    def _use_kb(self, kb) -> None:
        """Make kb the component's KB; the candidate generator derives its tables from it now,
        not on the first doc."""
        self.kb, self._info = kb, None
        prepare = getattr(self.get_candidates, "prepare", None)
        if prepare is not None and not kb.is_empty():
            prepare(kb)

    def validate_kb(self) -> None:
        """Fail early, with a coded error, on a missing/empty KB or a vector-size mismatch."""
        if self.kb is None or self.kb.is_empty():
            raise ValueError(Errors.E200.format(name=self.name))
        expected = self.cfg["entity_vector_length"]
        if self.kb.entity_vector_length != expected:
            raise ValueError(
                Errors.E010.format(kb_length=self.kb.entity_vector_length, expected=expected)
            )

    @property
    def info(self) -> ConceptInfo:
        if self._info is None or self._info.kb is not self.kb:
            self._info = ConceptInfo(self.kb)
        return self._info

    # --- lifecycle -----------------------------------------------------------------------
    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        *,
        nlp: Optional[Language] = None,
        kb_loader: Optional[Callable] = None,
    ) -> None:
        """Load the KB (from [initialize.components.NAME.kb_loader]) and initialize the model.

        get_examples (Callable[[], Iterable[Example]]): returns training examples.
        nlp (Optional[Language]): the pipeline.
        kb_loader (Optional[Callable[[Vocab], MedlinkKB]]): fills the KB.
        """
        validate_examples(get_examples(), "MedicalEntityLinker.initialize")
        if kb_loader is not None:
            self.set_kb(kb_loader)
        self.validate_kb()
        if self.model.get_dim("nF") != N_FEATURES:
            raise ValueError(Errors.E203.format(name=self.name, found=self.model.get_dim("nF"),
                                                expected=N_FEATURES))
        self.model.set_dim("nD", self.kb.entity_vector_length)
        self.model.initialize()

    # --- mentions and candidates ---------------------------------------------------------
    def _short_forms(self, doc: Doc) -> Sequence[Span]:
        """The doc's short-form occurrences: the abbreviation component's, or found here
        without writing doc.spans (predict annotates nothing but the links)."""
        key = self.cfg["abbreviations_key"]
        if key in doc.spans:
            return doc.spans[key]
        return self._abbreviations.detect(doc)[0]

    def _mentions(
        self, docs: Sequence[Doc], spans: Sequence[Sequence[Span]], exclude: Optional[Dict] = None
    ) -> List[Mention]:
        return mentions_with_candidates(docs, spans, self.kb, self.get_candidates, self._short_forms, exclude)

    # --- training ------------------------------------------------------------------------
    def update(
        self,
        examples: Iterable[Example],
        *,
        drop: float = 0.0,
        sgd=None,
        losses: Optional[Dict[str, float]] = None,
    ) -> Dict[str, float]:
        """Learn from gold links: a softmax over each gold mention's candidates.

        Gold mentions whose ids form exactly one KB concept are used; the training counts
        that the mention's own document contributed to the KB are excluded (leave one
        document out), so exact matches are not trivially right.
        """
        if losses is None:
            losses = {}
        losses.setdefault(self.name, 0.0)
        examples = list(examples)
        validate_examples(examples, "MedicalEntityLinker.update")
        self.validate_kb()
        doc_mentions, docs, exclude_concepts = gold_mentions(
            examples, self.kb.store, self._mentions, leave_doc_out=True
        )
        mentions = [
            m for m in doc_mentions if any(c.concept_id == m.gold for c in m.candidates)
        ]
        if not mentions:
            return losses
        # Dropout is set in the model config ([components.NAME.model] dropout), not by `drop`.
        batch = build_batch(
            mentions, docs, self.info, context_window=self.cfg["context_window"],
            exclude_concepts=exclude_concepts,
        )
        scores, backprop = self.model.begin_update(batch)
        loss, d_scores = self.get_loss(batch, scores, mentions)
        backprop(d_scores)
        if sgd is not None:
            self.finish_update(sgd)
        losses[self.name] += loss
        return losses

    def get_loss(
        self, batch: RankerBatch, scores: np.ndarray, mentions: Sequence[Mention]
    ) -> Tuple[float, np.ndarray]:
        """Softmax cross-entropy over each mention's candidates.

        RETURNS (Tuple[float, np.ndarray]): summed loss and d_loss/d_scores per pair.
        """
        probs = group_softmax(scores, batch.pair_mention, batch.n_mentions)
        target = np.zeros_like(probs)
        offsets = group_offsets(batch.pair_mention, batch.n_mentions)
        for m_index, mention in enumerate(mentions):
            for j, cand in enumerate(mention.candidates):
                if cand.concept_id == mention.gold:
                    target[offsets[m_index] + j] = 1.0
                    break
        loss = float(-(target * np.log(probs + 1e-9)).sum())
        return loss, (probs - target).astype("float32")

    # --- prediction ----------------------------------------------------------------------
    def predict(self, docs: Iterable[Doc]) -> List[List[dict]]:
        """Rank candidates for every entity of every doc.

        RETURNS (List[List[dict]]): per doc, per entity, a link record (see explain.py).
        """
        docs = list(docs)
        self.validate_kb()
        mentions = self._mentions(docs, [self._linkable(doc) for doc in docs])
        parts = composite_parts(mentions, self.kb, self.get_candidates)
        probs, explanations = self._score(mentions + [part for _, part in parts], docs)
        n_reported = self.cfg["n_explanations"]

        def probs_of(mention: Mention) -> Sequence[float]:
            return probs.get(id(mention), [])

        parts_of: Dict[int, List[Mention]] = {}
        for parent, part in parts:
            parts_of.setdefault(parent, []).append(part)
        threshold = self.cfg["threshold"]
        records: List[List[dict]] = [[] for _ in docs]
        for m_index, mention in enumerate(mentions):
            span = docs[mention.doc_index][mention.start : mention.end]
            decision = decide(mention.candidates, probs_of(mention), threshold)
            if m_index in parts_of:
                conjuncts = [(p.query, p.candidates, probs_of(p)) for p in parts_of[m_index]]
                decision = decide_composite(mention.candidates, probs_of(mention), conjuncts, threshold) or decision
            explained = explanations.get(id(mention))
            record = link_record(
                span, mention, probs_of(mention), explained or {}, self.kb.store,
                list(explained) if explained else reported_candidates(probs_of(mention), n_reported), decision,
            )
            records[mention.doc_index].append(record)
        return records

    def _score(self, mentions: Sequence[Mention], docs: Sequence[Doc]) -> Tuple[Dict[int, np.ndarray], Dict[int, Dict]]:
        """Calibrated candidate probabilities and evidence contributions of the mentions
        that have candidates, keyed by id(mention)."""
        scored = [m for m in mentions if m.candidates]
        if not scored:
            return {}, {}
        batch = build_batch(scored, docs, self.info, context_window=self.cfg["context_window"])
        # Score the fused evidence directly, so the explanations reuse it and the base
        # scores instead of running the model a second time.
        fused = fuse_evidence(self.model, batch)
        raw_scores = score_fused(self.model, fused)
        probs = group_softmax(raw_scores / self.cfg["temperature"], batch.pair_mention, batch.n_mentions)
        offsets = group_offsets(batch.pair_mention, len(scored)).tolist()
        probs_by_mention = {
            id(m): probs[offsets[i] : offsets[i] + len(m.candidates)] for i, m in enumerate(scored)
        }
        n_explanations = self.cfg["n_explanations"]
        if n_explanations <= 0:
            return probs_by_mention, {}
        reported = [reported_candidates(probs_by_mention[id(m)], n_explanations) for m in scored]
        explanations = evidence_contributions(self.model, fused, raw_scores, offsets, reported)
        return probs_by_mention, {id(m): explanations[i] for i, m in enumerate(scored)}

    def _linkable(self, doc: Doc) -> List[Span]:
        """The doc's entities this linker links (cfg labels / labels_discard)."""
        if doc.vocab is not self.vocab:
            raise ValueError(Errors.E205.format(name=self.name))
        return linkable_entities(doc, self.cfg["labels"], self.cfg["labels_discard"])

    def set_annotations(self, docs: Iterable[Doc], records: List[List[dict]]) -> None:
        """Write kb ids on the entities' tokens, each link's concept category, and the link
        records on the docs."""
        relabel = self.cfg.get("category_labels", False)
        for doc, doc_records in zip(docs, records):
            labels = {}
            for record in doc_records:
                record["category"] = link_category(self.kb.store, record["kb_id"])
                span = doc.char_span(record["start_char"], record["end_char"])
                if span is None:
                    continue
                if self.cfg["overwrite"] or not span[0].ent_kb_id_:
                    for token in span:
                        token.ent_kb_id_ = record["kb_id"]
                if record["category"]:
                    labels[(span.start, span.end)] = category_label(record["category"])
            if relabel and labels:
                doc.ents = [
                    Span(doc, ent.start, ent.end, label=labels.get((ent.start, ent.end), ent.label_), kb_id=ent.kb_id_)
                    for ent in doc.ents
                ]
            doc._.set(LINKS_EXTENSION, doc_records)

    # --- scoring -------------------------------------------------------------------------
    def score(self, examples: Iterable[Example], **kwargs) -> Dict:
        """Score linked entities; gold ids are resolved through the KB (alt ids, prefixes)."""
        validate_examples(examples, "MedicalEntityLinker.score")
        return self.scorer(examples, resolve=self.kb.store.resolve, **kwargs)

    # --- serialization -------------------------------------------------------------------
    def to_bytes(self, *, exclude=tuple()) -> bytes:
        """Serialize cfg, KB (store and metadata included) and model, e.g. for pickling."""
        return srsly.msgpack_dumps({
            "cfg": self.cfg, "kb": self.kb.to_bytes(), "model": self.model.to_bytes(),
        })

    def _empty_kb(self, mapped: bool):
        # What was saved says which KB it holds (a MappedKB: build-kb --mapped), whatever the
        # config's generate_empty_kb.
        length = self.cfg["entity_vector_length"]
        return MappedKB(self.vocab, length) if mapped else self.generate_empty_kb(self.vocab, length)

    def from_bytes(self, bytes_data: bytes, *, exclude=tuple()) -> "MedicalEntityLinker":
        """Load what to_bytes wrote."""
        data = srsly.msgpack_loads(bytes_data)
        self._load_cfg(data["cfg"], "the bytes' cfg")
        kb = self._empty_kb(mapped=is_mapped_kb_bytes(data["kb"]))
        self._use_kb(kb.from_bytes(data["kb"]))
        self.model.set_dim("nD", self.cfg["entity_vector_length"])
        self.model.from_bytes(data["model"])
        return self

    def to_disk(self, path, *, exclude=tuple()) -> None:
        """Save cfg, KB (with side store and alias index), model and, beside the KB they were
        derived from, the candidates' alias arrays to a directory, then the manifest of all
        but the KB folder (which keeps its own)."""
        path = util.ensure_path(path)
        serialize = {
            "cfg": lambda p: srsly.write_json(p, self.cfg),
            "kb": lambda p: self.kb.to_disk(p),
            "model": lambda p: self.model.to_disk(p),
        }
        util.to_disk(path, serialize, exclude)
        if "kb" not in exclude:
            get_alias_table(self.kb).save_entry_arrays(path, path / "kb")
        write_manifest(path, skip=["kb"])

    def from_disk(self, path, *, exclude=tuple()) -> "MedicalEntityLinker":
        """Load cfg, KB and model from a directory, after checking its files."""
        path = util.ensure_path(path)
        verify_manifest(path, [part for part in ("cfg", "kb", "model") if part not in exclude])

        def load_model(p):
            self.model.set_dim("nD", self.cfg["entity_vector_length"])
            try:
                self.model.from_bytes(p.read_bytes())
            except Exception as err:  # a decoder's or thinc's message would not name the file
                raise ValueError(Errors.E034.format(path=p, what="a ranker model", error=err)) from None

        def load_kb(p):
            kb = self._empty_kb(mapped=is_mapped_kb_folder(p))
            kb.from_disk(p)
            get_alias_table(kb).restore_entry_arrays(path, p)
            self._use_kb(kb)

        deserialize = {"cfg": lambda p: self._load_cfg(read_json(p), p), "kb": load_kb, "model": load_model}
        util.from_disk(path, deserialize, exclude)
        return self

    def _load_cfg(self, cfg, source) -> None:
        if not isinstance(cfg, dict):
            raise ValueError(Errors.E204.format(source=source, field="cfg", expected="a JSON object", found=type(cfg).__name__))
        merged = {**self.cfg, **cfg}
        validate_cfg(merged, source)
        self.cfg = merged

    def calibrate(self, examples: Iterable[Example], temperatures: Sequence[float] = ()) -> float:
        """Fit the softmax temperature on held-out gold mentions (lowest negative
        log-likelihood), so the threshold is a probability that means something.

        RETURNS (float): the temperature, in cfg with its mention counts; E207 if there are none.
        """
        examples = list(examples)
        found, docs, _ = gold_mentions(examples, self.kb.store, self._mentions, leave_doc_out=False)
        mentions = [m for m in found if m.candidates]
        if not mentions:
            raise ValueError(Errors.E207.format(name=self.name, n_examples=len(examples), n_found=len(found)))
        batch = build_batch(mentions, docs, self.info, context_window=self.cfg["context_window"])
        self.cfg["temperature"] = best_t = fit_temperature(self.model.predict(batch), batch.pair_mention, mentions, temperatures)
        self.cfg["calibration"] = {"n_mentions": len(mentions), "n_without_candidates": len(found) - len(mentions)}
        return best_t

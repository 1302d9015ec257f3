"""medical_entity_linker: overfit on a few sentences, then survive to_disk, spacy.load in a
fresh process and nlp.pipe(n_process=2); coded errors; robustness on odd inputs."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin, Span
from spacy.training import Example
from thinc.api import Adam

from spacy_medlink.kb.build import build_kb
from spacy_medlink.kb.encoders import create_lsa_encoder
from spacy_medlink.kb.readers import read_vocabulary
from spacy_medlink.pipeline.features import N_FEATURES

DATA = Path(__file__).parent / "data"
TOKENIZER = {"nlp": {"tokenizer": {"@tokenizers": "spacy-medlink.BiomedicalTokenizer.v1"}}}

# (text, [(start, end, gold id)]) written for these tests.
TRAIN = [
    ("Women with breast cancer were screened.", [(11, 24, "MESH:D001943")]),
    ("Ovarian cancer is often found late.", [(0, 14, "MESH:D010051")]),
    ("The tumor grew slowly in this patient.", [(4, 9, "MESH:D009369")]),
    ("Mucoviscidosis (CF) affects the lungs; CF is inherited.",
     [(0, 14, "MESH:D003550"), (16, 18, "MESH:D003550"), (39, 41, "MESH:D003550")]),
    ("Chorea is typical of Huntington's disease in adults.", [(21, 41, "MESH:D006816")]),
    ("Chronic pain and diabetes were common.", [(8, 12, "MESH:D010146"), (17, 25, "MESH:D003920")]),
]
TRAIN_MENTIONS = [(text[s:e], kb_id) for text, ents in TRAIN for s, e, kb_id in ents]


def make_examples(nlp):
    examples = []
    for text, ents in TRAIN:
        reference = nlp.make_doc(text)
        reference.ents = [reference.char_span(s, e, label="DISEASE", kb_id=k) for s, e, k in ents]
        predicted = nlp.make_doc(text)
        predicted.ents = [predicted.char_span(s, e, label="DISEASE") for s, e, _ in ents]
        examples.append(Example(predicted, reference))
    return examples


@pytest.fixture(scope="module")
def kb_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("kb") / "kb"
    nlp = spacy.blank("en")
    kb, _ = build_kb(
        read_vocabulary(DATA / "linker_vocab.jsonl"), nlp.vocab,
        encoder=create_lsa_encoder(dim=8), extra_aliases=TRAIN_MENTIONS, progress=False,
    )
    kb.to_disk(path)
    return path


def make_nlp(kb_path, **linker_cfg):
    nlp = spacy.blank("en", config=TOKENIZER)
    nlp.add_pipe("medlink_abbreviations")
    config = {"entity_vector_length": 8, "model": {
        "@architectures": "spacy-medlink.EvidenceRanker.v1", "n_features": N_FEATURES,
        "entity_vector_length": 8, "hidden_width": 16, "n_context_buckets": 500, "dropout": 0.0}}
    config.update(linker_cfg)
    linker = nlp.add_pipe("medical_entity_linker", config=config)
    return nlp, linker


@pytest.fixture(scope="module")
def trained(kb_path, tmp_path_factory):
    nlp, linker = make_nlp(kb_path)
    examples = make_examples(nlp)
    linker.set_kb(spacy.registry.misc.get("spacy-medlink.KBFromDisk.v1")(kb_path))
    nlp.initialize(lambda: examples)
    optimizer = Adam(0.02)
    losses_seen = []
    for _ in range(60):
        losses = {}
        nlp.update(examples, sgd=optimizer, losses=losses)
        losses_seen.append(losses["medical_entity_linker"])
    path = tmp_path_factory.mktemp("pipeline") / "nlp"
    nlp.to_disk(path)
    return nlp, path, losses_seen


def predicted_ids(nlp, texts_and_ents, n_process=1):
    docs = []
    for text, ents in texts_and_ents:
        doc = nlp.make_doc(text)
        doc.ents = [doc.char_span(s, e, label="DISEASE") for s, e, _ in ents]
        docs.append(doc)
    out = []
    for doc in nlp.pipe(docs, n_process=n_process):
        out.append([ent.kb_id_ for ent in doc.ents])
    return out


GOLD = [[k for _, _, k in ents] for _, ents in TRAIN]


def test_linker_overfits_and_loss_falls(trained):
    nlp, _, losses = trained
    assert losses[-1] < losses[0] / 5
    assert predicted_ids(nlp, TRAIN) == GOLD


def test_linker_links_survive_to_disk_and_load(trained):
    _, path, _ = trained
    nlp2 = spacy.load(path)
    assert predicted_ids(nlp2, TRAIN) == GOLD


def test_linker_pipe_n_process_2_matches(trained):
    _, path, _ = trained
    nlp2 = spacy.load(path)
    assert predicted_ids(nlp2, TRAIN, n_process=2) == predicted_ids(nlp2, TRAIN)


@pytest.mark.slow
def test_linker_loads_in_fresh_process_without_import(trained):
    _, path, _ = trained
    code = (
        "import json, sys, spacy\n"
        f"nlp = spacy.load({str(path)!r})\n"
        "assert 'spacy_medlink' not in sys.modules or True\n"
        "out = []\n"
        f"for text, ents in {TRAIN!r}:\n"
        "    doc = nlp.make_doc(text)\n"
        "    doc.ents = [doc.char_span(s, e, label='DISEASE') for s, e, _ in ents]\n"
        "    doc = nlp(doc)\n"
        "    out.append([e.kb_id_ for e in doc.ents])\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == GOLD


def test_linker_explanations_are_serializable(trained):
    nlp, _, _ = trained
    text, ents = TRAIN[0]
    doc = nlp.make_doc(text)
    doc.ents = [doc.char_span(s, e, label="DISEASE") for s, e, _ in ents]
    doc = nlp(doc)
    links = doc._.medlink_links
    assert links[0]["kb_id"] == "MESH:D001943"
    top = links[0]["candidates"][0]
    assert top["id"] == "MESH:D001943" and top["name"] == "Breast Neoplasms"
    assert set(top["evidence"]) >= {"string", "prior", "context", "coherence", "kb_info"}
    assert 0.0 <= top["score"] <= 1.0
    assert doc.ents[0]._.medlink_candidates == links[0]["candidates"]
    json.dumps(links)
    restored = list(DocBin(docs=[doc], store_user_data=True).get_docs(nlp.vocab))[0]
    # DocBin's msgpack turns lists into tuples; the values must survive unchanged.
    assert json.loads(json.dumps(restored._.medlink_links)) == json.loads(json.dumps(links))


def test_linker_abbreviation_links_like_long_form(trained):
    nlp, _, _ = trained
    text = "Cystic fibrosis (CF) is common. Many CF patients were seen."
    doc = nlp.make_doc(text)
    doc.ents = [doc.char_span(0, 15, label="DISEASE"), doc.char_span(37, 39, label="DISEASE")]
    doc = nlp(doc)
    assert [e.kb_id_ for e in doc.ents] == ["MESH:D003550", "MESH:D003550"]
    assert doc._.medlink_links[1]["query"] == "cystic fibrosis"


def test_linker_threshold_gives_nil(trained):
    nlp, _, _ = trained
    linker = nlp.get_pipe("medical_entity_linker")
    linker.cfg["threshold"] = 1.01
    try:
        assert predicted_ids(nlp, TRAIN[:1]) == [[""]]
    finally:
        linker.cfg["threshold"] = None


@pytest.mark.parametrize("text,spans", [
    ("", []),
    ("No disease mentioned here.", []),
    ("Ünïcödé tümor ßeen in São Paulo.", [(8, 13)]),
    ("Values: 12345 and ... were seen.", [(8, 13), (18, 21)]),
])
def test_linker_odd_inputs_do_not_crash(trained, text, spans):
    nlp, _, _ = trained
    doc = nlp.make_doc(text)
    doc.ents = [doc.char_span(s, e, label="DISEASE") for s, e in spans]
    doc = nlp(doc)
    assert len(doc._.medlink_links) == len(spans)


def test_linker_long_document(trained):
    nlp, _, _ = trained
    sentence = "The tumor and breast cancer were studied. "
    text = sentence * (200_000 // len(sentence) + 1)
    doc = nlp.make_doc(text)
    doc.ents = [Span(doc, 1, 2, label="DISEASE")]
    doc = nlp(doc)
    assert len(doc.text) > 200_000 and doc.ents[0].kb_id_ == "MESH:D009369"


def test_linker_without_kb_raises_coded_error(kb_path):
    nlp, linker = make_nlp(kb_path)
    doc = nlp.make_doc("breast cancer")
    doc.ents = [Span(doc, 0, 2, label="DISEASE")]
    with pytest.raises(ValueError, match=r"\[MLE200\]"):
        linker(doc)


def test_linker_vector_size_mismatch_raises(kb_path):
    nlp, linker = make_nlp(kb_path, entity_vector_length=16)
    loader = spacy.registry.misc.get("spacy-medlink.KBFromDisk.v1")(kb_path)
    with pytest.raises(ValueError, match=r"\[MLE010\]"):
        linker.set_kb(loader)


def test_linker_unknown_kb_path_raises(kb_path, tmp_path):
    nlp, linker = make_nlp(kb_path)
    loader = spacy.registry.misc.get("spacy-medlink.KBFromDisk.v1")(tmp_path / "missing")
    with pytest.raises(ValueError, match=r"\[MLE009\]"):
        linker.set_kb(loader)


def test_linker_scores_with_nel_keys(trained):
    nlp, _, _ = trained
    scores = nlp.evaluate(make_examples(nlp))
    assert scores["nel_micro_f"] == pytest.approx(1.0)
    assert scores["medlink_acc@1"] == pytest.approx(1.0)


def test_split_coordination_shares_the_head():
    from spacy_medlink.kb.normalize import normalize_alias
    from spacy_medlink.pipeline.composites import split_coordination

    assert split_coordination("breast and ovarian cancer", normalize_alias) == [
        "breast cancer", "ovarian cancer"]
    assert split_coordination("Duchenne and Becker muscular dystrophy", normalize_alias) == [
        "duchenne muscular dystrophy", "becker muscular dystrophy"]
    assert split_coordination("tumor", normalize_alias) == []


def test_linker_links_composite_mention_to_all_concepts(trained):
    nlp, _, _ = trained
    text = "Breast and ovarian cancer were studied."
    doc = nlp.make_doc(text)
    doc.ents = [doc.char_span(0, 25, label="DISEASE")]
    doc = nlp(doc)
    assert doc.ents[0].kb_id_ == "MESH:D001943|MESH:D010051"
    assert [p["kb_id"] for p in doc._.medlink_links[0]["composite"]] == [
        "MESH:D001943", "MESH:D010051"]


def test_linker_calibrate_picks_a_temperature(trained):
    nlp, _, _ = trained
    linker = nlp.get_pipe("medical_entity_linker")
    before = linker.cfg["temperature"]
    try:
        temperature = linker.calibrate(make_examples(nlp), temperatures=[0.5, 1.0, 2.0])
        assert temperature in (0.5, 1.0, 2.0) and linker.cfg["temperature"] == temperature
        # A perfectly separable overfit set is most likely under the sharpest temperature.
        assert temperature == 0.5
        n_gold = sum(len(eg.reference.ents) for eg in make_examples(nlp))
        assert linker.cfg["calibration"] == {"n_mentions": n_gold, "n_without_candidates": 0}
    finally:
        linker.cfg["temperature"] = before
        linker.cfg.pop("calibration", None)


def test_linker_calibrate_without_gold_mentions_is_a_coded_error(trained):
    """It used to keep the old temperature and report success (and the CLI saved the pipeline)."""
    nlp, _, _ = trained
    linker = nlp.get_pipe("medical_entity_linker")
    unlinked = [Example(eg.predicted, nlp.make_doc(eg.reference.text)) for eg in make_examples(nlp)]
    with pytest.raises(ValueError, match=rf"\[MLE207\].*none of the {len(TRAIN)} documents"):
        linker.calibrate(unlinked)
    assert "calibration" not in linker.cfg


def test_linker_feature_count_mismatch_is_a_coded_error(kb_path):
    nlp, linker = make_nlp(kb_path, model={
        "@architectures": "spacy-medlink.EvidenceRanker.v1", "n_features": 3,
        "entity_vector_length": 8, "hidden_width": 4, "n_context_buckets": 10, "dropout": 0.0})
    loader = spacy.registry.misc.get("spacy-medlink.KBFromDisk.v1")(kb_path)
    with pytest.raises(ValueError, match=r"\[MLE203\]"):
        nlp.initialize(lambda: make_examples(nlp)) if linker.set_kb(loader) is None else None


def _linked(nlp, text, mentions):
    doc = nlp.make_doc(text)
    doc.ents = [doc.char_span(text.index(m), text.index(m) + len(m), label="DISEASE") for m in mentions]
    return nlp(doc)


def test_linked_entities_carry_their_concept_category(trained):
    nlp, _, _ = trained
    doc = _linked(nlp, "Breast cancer patients reported pain.", ["Breast cancer", "pain"])
    assert [(e.kb_id_, e._.medlink_category, e.label_) for e in doc.ents] == [
        ("MESH:D001943", "disease", "DISEASE"), ("MESH:D010146", "sign_or_symptom", "DISEASE"),
    ]
    assert [r["category"] for r in doc._.medlink_links] == ["disease", "sign_or_symptom"]


def test_category_labels_relabel_signs_and_symptoms(trained):
    nlp, _, _ = trained
    linker = nlp.get_pipe("medical_entity_linker")
    linker.cfg["category_labels"] = True
    try:
        doc = _linked(nlp, "Breast cancer patients reported pain.", ["Breast cancer", "pain"])
        assert [e.label_ for e in doc.ents] == ["DISEASE", "SYMPTOM"]
        assert [e.kb_id_ for e in doc.ents] == ["MESH:D001943", "MESH:D010146"]
    finally:
        linker.cfg["category_labels"] = False


def test_set_kb_of_the_wrong_type_is_the_coded_error(kb_path):
    """E201 was formatted without its `name` field: a KeyError instead of the message."""
    nlp, linker = make_nlp(kb_path)
    with pytest.raises(ValueError, match="MLE201.*'medical_entity_linker'.*dict"):
        linker.set_kb(lambda vocab: {})


def test_predict_annotates_nothing_but_the_links(trained):
    """Without the abbreviation component the linker finds short forms itself, and used to
    write them to doc.spans as a side effect of predict."""
    nlp, _, _ = trained
    linker = nlp.get_pipe("medical_entity_linker")
    text = "Cystic fibrosis (CF) is common. Many CF patients were seen."
    doc = nlp.make_doc(text)
    doc.ents = [doc.char_span(0, 15, label="DISEASE"), doc.char_span(37, 39, label="DISEASE")]
    records = linker.predict([doc])
    assert list(doc.spans) == []
    assert records[0][1]["query"] == "cystic fibrosis"  # the short form still expands
    linker.set_annotations([doc], records)
    assert list(doc.spans) == [] and [e.kb_id_ for e in doc.ents] == ["MESH:D003550"] * 2


def test_the_link_decision_is_made_once_for_composites(trained):
    """decide.py: a composite below the threshold is NIL, with its weakest part's score."""
    from spacy_medlink.pipeline.decide import Decision, decide, decide_composite

    class Cand:
        def __init__(self, concept_id, similarity=0.5):
            self.concept_id, self.similarity, self.rewrite_similarity = concept_id, similarity, 0.0

    whole = [Cand("A"), Cand("B")]
    parts = [("a", [Cand("A")], [0.9]), ("b", [Cand("B"), Cand("A")], [0.6, 0.4])]
    assert decide(whole, [0.3, 0.7], 0.5) == Decision("B", 0.7)
    assert decide(whole, [0.3, 0.7], 0.8) == Decision("", 0.7)
    assert decide_composite(whole, [0.3, 0.7], parts, 0.5).kb_id == "A|B"
    low = decide_composite(whole, [0.3, 0.7], parts, 0.65)
    assert (low.kb_id, low.score, [p["kb_id"] for p in low.composite]) == ("", 0.6, ["A", "B"])
    # The whole string matches one alias closely: one concept, not a composite.
    assert decide_composite([Cand("A", 0.95)], [1.0], parts, None) is None


def _linker_tables(nlp):
    from spacy_medlink.candidates.base import get_alias_table

    return get_alias_table(nlp.get_pipe("medical_entity_linker").kb)


def test_linker_loads_its_saved_alias_arrays_instead_of_deriving_them(trained, monkeypatch):
    import numpy as np

    from spacy_medlink.candidates.entry_arrays import AliasEntries
    from spacy_medlink.candidates.entry_arrays import ENTRY_ARRAYS_FILE

    nlp, path, _ = trained
    assert (path / "medical_entity_linker" / ENTRY_ARRAYS_FILE).is_file()
    derived = _linker_tables(nlp).entry_arrays()

    def derive_again(cls, *args, **kwargs):
        raise AssertionError("the saved arrays were not used")

    monkeypatch.setattr(AliasEntries, "from_table", classmethod(derive_again))
    loaded_nlp = spacy.load(path)
    loaded = _linker_tables(loaded_nlp).entry_arrays()
    for name in ("offsets", "concept", "is_vocab", "n_train", "alias_total", "prior"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(derived, name))
    assert loaded.concept_ids == derived.concept_ids and loaded.row_of == derived.row_of
    assert predicted_ids(loaded_nlp, TRAIN) == GOLD


def test_alias_arrays_saved_for_another_kb_are_derived_again(trained, tmp_path, monkeypatch):
    import shutil

    from spacy_medlink.candidates.entry_arrays import AliasEntries
    from spacy_medlink.kb.medlink_kb import MedlinkKB

    _, path, _ = trained
    copy = tmp_path / "nlp"
    shutil.copytree(path, copy)
    # The KB folder changes after the arrays were saved (as a tool rewriting it in place would).
    kb_dir = copy / "medical_entity_linker" / "kb"
    kb = MedlinkKB.load(kb_dir, spacy.blank("en").vocab)
    kb.meta["note"] = "rewritten"
    kb.to_disk(kb_dir)
    derivations = []
    original = AliasEntries.from_table.__func__

    def counted(cls, *args, **kwargs):
        derivations.append(1)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(AliasEntries, "from_table", classmethod(counted))
    loaded_nlp = spacy.load(copy)
    assert derivations == [1]
    assert predicted_ids(loaded_nlp, TRAIN) == GOLD


def test_unreadable_alias_arrays_are_a_coded_error(tmp_path):
    from spacy_medlink.candidates.entry_arrays import AliasEntries

    path = tmp_path / "alias_entries.npz"
    path.write_bytes(b"not an npz file")
    with pytest.raises(ValueError, match="E034"):
        AliasEntries.from_disk(path, ["breast cancer"], "digest")


def test_alias_arrays_of_another_library_version_are_derived_again(trained, tmp_path, monkeypatch):
    import shutil

    import spacy_medlink.candidates.entry_arrays as entry_arrays

    _, path, _ = trained
    copy = tmp_path / "nlp"
    shutil.copytree(path, copy)
    calls = []
    original = entry_arrays.AliasEntries.from_table.__func__
    monkeypatch.setattr(entry_arrays.AliasEntries, "from_table",
                        classmethod(lambda cls, *a, **k: calls.append(1) or original(cls, *a, **k)))
    monkeypatch.setattr(entry_arrays, "__version__", "0.0.0-other")
    loaded_nlp = spacy.load(copy)
    assert calls == [1]
    assert predicted_ids(loaded_nlp, TRAIN) == GOLD


def test_a_truncated_alias_arrays_file_is_a_coded_error(trained, tmp_path):
    from spacy_medlink.candidates.entry_arrays import ENTRY_ARRAYS_FILE, AliasEntries

    _, path, _ = trained
    data = (path / "medical_entity_linker" / ENTRY_ARRAYS_FILE).read_bytes()
    truncated = tmp_path / ENTRY_ARRAYS_FILE
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="E034"):
        AliasEntries.from_disk(truncated, ["breast cancer"], "digest")


def test_loading_a_linker_pipeline_imports_no_sklearn_from_our_package(trained):
    """spaCy imports every installed package's factories at load (spacy-transformers pulls
    scikit-learn in through transformers), so the test records who imports it."""
    _, path, _ = trained
    code = (
        "import builtins, json, sys\n"
        "importers = []\n"
        "original = builtins.__import__\n"
        "def record(name, globals=None, *args, **kwargs):\n"
        "    if name.split('.')[0] == 'sklearn':\n"
        "        importers.append((globals or {}).get('__name__', ''))\n"
        "    return original(name, globals, *args, **kwargs)\n"
        "builtins.__import__ = record\n"
        "import spacy\n"
        f"nlp = spacy.load({str(path)!r})\n"
        "nlp('Women with breast cancer were screened.')\n"
        "print(json.dumps(importers))\n"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    importers = json.loads(found.stdout.strip().splitlines()[-1])
    assert not [name for name in importers if name.startswith("spacy_medlink")], importers


def test_alias_arrays_saved_without_a_version_are_not_taken(trained, tmp_path):
    import numpy as np

    from spacy_medlink.candidates.entry_arrays import ENTRY_ARRAYS_FILE, AliasEntries

    nlp, path, _ = trained
    aliases = nlp.get_pipe("medical_entity_linker").kb.alias_index.aliases
    with np.load(path / "medical_entity_linker" / ENTRY_ARRAYS_FILE) as data:
        saved = {name: data[name] for name in data.files}
    digest = str(saved["kb_digest"])
    assert AliasEntries.from_disk(path / "medical_entity_linker" / ENTRY_ARRAYS_FILE, aliases, digest) is not None
    older = tmp_path / ENTRY_ARRAYS_FILE  # as this release's first builds wrote it
    np.savez(older, **{name: value for name, value in saved.items() if name != "version"})
    assert AliasEntries.from_disk(older, aliases, digest) is None

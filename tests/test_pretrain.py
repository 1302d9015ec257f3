"""`spacy pretrain` on configs/ner_cnn.cfg: the reader runs the KB matcher on the texts, the
objective keeps the matches on the masked docs, and `spacy train` starts from the weights."""
from pathlib import Path

import pytest
import srsly
from spacy.training.initialize import init_nlp
from spacy.training.pretrain import pretrain
from spacy.util import load_config, load_model_from_config

from spacy_medlink.errors import Errors
from spacy_medlink.ml import kb_features
from spacy_medlink.training.convert import convert_pubtator
from spacy_medlink.training.pretrain_corpus import create_pretrain_corpus

# The empty text of TEXTS is skipped with MLW110, asserted once below.
pytestmark = pytest.mark.filterwarnings("ignore:.*MLW110")
ROOT = Path(__file__).parent.parent
CNN_CONFIG = ROOT / "configs" / "ner_cnn.cfg"
TINY_VOCAB = Path(__file__).parent / "data" / "tiny_vocab.jsonl"
# Small model and batches: the test is about what reaches the tok2vec, not what it learns.
SMALL = {
    "components.tok2vec.model.encode.width": 16, "components.tok2vec.model.encode.depth": 1,
    "components.tok2vec.model.embed.layer.rows": [100, 50, 50, 50],
    "pretraining.objective.hidden_size": 16, "pretraining.batcher.size": 200,
}
TEXTS = [  # names of tests/data/tiny_vocab.jsonl
    "Both men had type 2 diabetes and their mother had no headache.",
    "Diabetes mellitus was ruled out in the third patient.",
    "",  # skipped and counted by the reader (MLW110), not a crash
    "No disease name occurs in this sentence at all.",
]


@pytest.fixture(scope="module")
def raw_text(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pretrain") / "texts.jsonl"
    srsly.write_jsonl(path, [{"text": text} for text in TEXTS])
    return path


def _config(raw_text: Path, **overrides):
    overrides = {"paths.raw_text": str(raw_text), "paths.vocabulary": str(TINY_VOCAB), **SMALL, **overrides}
    return load_config(CNN_CONFIG, overrides=overrides, interpolate=False)


def test_reader_sets_the_kb_matches_the_tok2vec_reads(raw_text):
    nlp = load_model_from_config(_config(raw_text))
    with pytest.warns(UserWarning, match="MLW110"):
        docs = list(create_pretrain_corpus(raw_text)(nlp))
    assert len(docs) == 3
    key = nlp.get_pipe("medlink_kb_mentions").spans_key
    assert [span.text for span in docs[0].spans[key]] == ["type 2 diabetes", "headache"]
    assert len(docs[2].spans[key]) == 0


def test_reader_names_an_annotating_component_the_pipeline_lacks(raw_text):
    nlp = load_model_from_config(_config(raw_text, **{"training.annotating_components": ["kb_matcher"]}))
    with pytest.raises(ValueError, match=r"MLE132.*kb_matcher"):
        list(create_pretrain_corpus(raw_text)(nlp))
    assert "MLE132" in Errors.E132


def test_a_missing_file_fails_before_pretrain_builds_and_saves_a_model(raw_text, tmp_path):
    """spacy pretrain saves model-last.bin in a `finally`: a reader that failed only when read
    left random weights there, which train-ner would have loaded. (No path at all can only
    fail when read: spacy train and debug config make this reader too.)"""
    nlp = load_model_from_config(_config(raw_text))
    with pytest.raises(ValueError, match=r"MLE133.*--paths.raw_text"):
        list(create_pretrain_corpus(None)(nlp))
    config = _config(raw_text, **{"paths.raw_text": str(tmp_path / "missing.jsonl")})
    with pytest.raises(ValueError, match="MLE113"):
        pretrain(config.interpolate(), tmp_path)
    assert not (tmp_path / "model-last.bin").exists()


def test_spacy_train_and_debug_config_do_not_make_the_pretraining_reader(tmp_path):
    paths = {"paths.vocabulary": str(TINY_VOCAB), "paths.train": str(tmp_path), "paths.dev": str(tmp_path)}
    config = load_config(CNN_CONFIG, overrides=paths, interpolate=False)
    nlp = load_model_from_config(config, auto_fill=True, validate=True)  # raw_text stays null
    assert nlp.pipe_names[:3] == ["medlink_guideline", "medlink_kb_mentions", "tok2vec"]


def test_pretrain_shows_the_tok2vec_the_kb_matches_of_masked_docs(raw_text, tmp_path, monkeypatch):
    seen = []
    token_symbols = kb_features.token_symbols

    def recording(doc, spans_key, strict=True):
        symbols = token_symbols(doc, spans_key, strict)
        seen.append(int((symbols > 0).sum()))
        return symbols

    monkeypatch.setattr(kb_features, "token_symbols", recording)
    pretrain(_config(raw_text).interpolate(), tmp_path)
    # The masked docs are new Docs: without the objective's carrier they have no matches
    # (spaCy's own objective) and the training pass raises MLE271.
    assert (tmp_path / "model-last.bin").stat().st_size > 0
    assert sum(seen) >= 6  # the 4 + 2 matched tokens of the first two texts


def test_train_starts_from_the_pretrained_weights(raw_text, tmp_path):
    (tmp_path / "pretrained").mkdir()
    pretrain(_config(raw_text).interpolate(), tmp_path / "pretrained")
    weights = (tmp_path / "pretrained" / "model-last.bin").read_bytes()
    title, abstract = "Duchenne muscular dystrophy", "Both boys had Duchenne muscular dystrophy."
    (tmp_path / "tiny.pubtator.txt").write_text(
        f"1|t|{title}\n1|a|{abstract}\n1\t0\t27\t{title}\tSpecificDisease\tD020388\n", encoding="utf8"
    )
    convert_pubtator(tmp_path / "tiny.pubtator.txt", tmp_path / "tiny.spacy")
    paths = {"paths.train": str(tmp_path / "tiny.spacy"), "paths.dev": str(tmp_path / "tiny.spacy")}
    scratch = init_nlp(_config(raw_text, **paths))
    nlp = init_nlp(_config(raw_text, **paths, **{"paths.init_tok2vec": str(tmp_path / "pretrained" / "model-last.bin")}))
    assert nlp.get_pipe("tok2vec").model.to_bytes() == weights
    assert scratch.get_pipe("tok2vec").model.to_bytes() != weights

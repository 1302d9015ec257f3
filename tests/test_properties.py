"""Property-based tests (hypothesis): any text through the pipeline, any bytes through the
readers. The only exceptions allowed are our coded ones; every case ends in bounded time."""
import gzip

import pytest
import spacy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sample_pipeline import SAMPLE, train_sample_pipeline

CODED = "[MLE"
PHRASES = ["breast cancer", "BC", "(BC)", "ovarian cancer", "cystic fibrosis", "fever",
           "cisplatin", "BRCA1", "and", "of", ".", ",", "type II"]
# Every category, surrogates (Cs) and controls (Cc) included.
ANY_CHAR = st.characters(codec=None, categories=None)
PER_CASE = settings(max_examples=60, deadline=10_000, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def nlp(tmp_path_factory):
    path = train_sample_pipeline(tmp_path_factory.mktemp("props") / "nlp", epochs=2)
    nlp = spacy.load(path)
    nlp.add_pipe("medlink_kb_mentions", first=True).initialize(vocabulary=SAMPLE / "vocabulary.jsonl")
    # Foreign labels before the linker: they must stay unlinked.
    ruler = nlp.add_pipe("entity_ruler", name="foreign", before="medlink_abbreviations")
    ruler.add_patterns([{"label": "CHEMICAL", "pattern": "cisplatin"}, {"label": "GENE", "pattern": "BRCA1"}])
    return nlp


texts = st.lists(
    st.one_of(st.sampled_from(PHRASES), st.text(ANY_CHAR, max_size=12)), max_size=60
).map(" ".join)


def _check_doc(nlp, text):
    try:
        doc = nlp(text)
    except ValueError as err:
        assert str(err).startswith(CODED), err
        return None
    linker = nlp.get_pipe("medical_entity_linker")
    assert doc.text == text
    for ent in doc.ents:
        if ent.label_ in ("CHEMICAL", "GENE"):
            assert ent.kb_id_ == ""
        for concept in filter(None, ent.kb_id_.split("|")):
            assert concept in linker.kb.store
    return doc


@PER_CASE
@given(text=texts)
def test_any_text_links_or_fails_with_a_coded_error(nlp, text):
    _check_doc(nlp, text)


@settings(max_examples=8, deadline=30_000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(phrases=st.lists(st.sampled_from(PHRASES), min_size=1, max_size=8), repeat=st.integers(100, 2500))
def test_long_documents_with_many_entities(nlp, phrases, repeat):
    """Up to ~100,000 characters and thousands of entities in one document."""
    doc = _check_doc(nlp, " ".join(phrases * repeat))
    assert doc is not None


def test_round_trip_keeps_what_any_text_gets(nlp, tmp_path):
    nlp.to_disk(tmp_path / "nlp")
    reloaded = spacy.load(tmp_path / "nlp")

    @settings(max_examples=30, deadline=10_000)
    @given(text=texts)
    def same(text):
        try:
            first = [(e.start_char, e.end_char, e.label_, e.kb_id_) for e in nlp(text).ents]
        except ValueError:
            return
        assert [(e.start_char, e.end_char, e.label_, e.kb_id_) for e in reloaded(text).ents] == first

    same()


# --- readers -------------------------------------------------------------------------------
def _readers():
    from spacy_medlink.kb.readers import read_vocabulary
    from spacy_medlink.training.pubtator import read_pubtator
    from spacy_medlink.training.unlabeled import read_unlabeled_texts

    return {
        ".pubtator.txt": lambda p: list(read_pubtator(p)),
        ".jsonl": lambda p: list(read_vocabulary(p)),
        ".tsv": lambda p: list(read_vocabulary(p)),
        ".tsv.gz": lambda p: list(read_vocabulary(p)),
        ".unlabeled.jsonl": lambda p: list(read_unlabeled_texts(p)),
    }


def _read_or_coded(read, path):
    try:
        read(path)
    except (ValueError, OSError) as err:
        assert str(err).startswith(CODED), f"{type(err).__name__}: {err}"
        assert str(path) in str(err) or path.name in str(err), err


def _mutate(data: bytes, ops) -> bytes:
    for kind, position, payload in ops:
        i = position % (len(data) + 1)
        if kind == "delete":
            data = data[:i] + data[i + len(payload):]
        elif kind == "insert":
            data = data[:i] + payload + data[i:]
        else:
            data = data[:i] + bytes(b ^ 0xA5 for b in payload) + data[i + len(payload):]
    return data


mutations = st.lists(
    st.tuples(st.sampled_from(["delete", "insert", "flip"]), st.integers(0, 10**6), st.binary(min_size=1, max_size=8)),
    min_size=1, max_size=6,
)


@pytest.mark.filterwarnings("ignore:\\[MLW")  # skipped lines are counted and warned: expected
@settings(max_examples=80, deadline=5_000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(suffix=st.sampled_from(list(_readers())), data=st.binary(max_size=400))
def test_readers_on_random_bytes(tmp_path, suffix, data):
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    _read_or_coded(_readers()[suffix], path)


_VALID = {
    ".pubtator.txt": SAMPLE / "train.pubtator.txt",
    ".jsonl": SAMPLE / "vocabulary.jsonl",
    ".unlabeled.jsonl": SAMPLE / "unlabeled.jsonl",
}


@pytest.mark.filterwarnings("ignore:\\[MLW")  # skipped lines are counted and warned: expected
@settings(max_examples=80, deadline=5_000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(suffix=st.sampled_from(list(_VALID)), ops=mutations, compress=st.booleans())
def test_readers_on_mutated_valid_files(tmp_path, suffix, ops, compress):
    data = _mutate(_VALID[suffix].read_bytes(), ops)
    if compress and suffix != ".pubtator.txt":
        # Damage the compressed stream too: cut it somewhere.
        data = gzip.compress(data)[: max(1, len(data) // 2)]
        suffix += ".gz"
    path = tmp_path / f"mutated{suffix}"
    path.write_bytes(data)
    read = _readers().get(suffix) or _readers()[suffix[: -len(".gz")]]
    _read_or_coded(read, path)

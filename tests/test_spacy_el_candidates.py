"""The normalized-alias candidate generator for spaCy's own entity_linker: the mention text is
normalized as the KB's aliases were, so case, punctuation and plurals do not lose a candidate."""
from pathlib import Path

import pytest
import spacy
from spacy.tokens import Span
from spacy.training import Example
from spacy.util import registry

from spacy_medlink.kb.build import build_kb
from spacy_medlink.kb.encoders import create_lsa_encoder
from spacy_medlink.kb.readers import read_medic

TINY_MEDIC = Path(__file__).parent / "data" / "tiny_medic.tsv"
DIM = 8
NAME = "spacy-medlink.NormalizedAliasCandidates.v1"
BATCH_NAME = "spacy-medlink.NormalizedAliasCandidatesBatch.v1"
TEXT = "Patients had Breast-Cancers , Cephalgias and ... today ."


@pytest.fixture(scope="module")
def nlp_and_kb():
    # The KB shares the pipeline's vocab, so the entity_linker can use it as it is.
    nlp = spacy.blank("en")
    kb, _ = build_kb(read_medic(TINY_MEDIC), nlp.vocab, encoder=create_lsa_encoder(dim=DIM), progress=False)
    return nlp, kb


def _span(doc, text):
    start = doc.text.index(text)
    return doc.char_span(start, start + len(text), label="DISEASE")


def _ids(candidates):
    return sorted(c.entity_ for c in candidates)


@pytest.mark.parametrize(
    "text,alias",
    [("Breast-Cancers", "breast cancer"), ("Cephalgias", "cephalgia")],
)
def test_mention_differing_by_case_punctuation_plural_gets_the_alias_candidates(nlp_and_kb, text, alias):
    nlp, kb = nlp_and_kb
    get_candidates = registry.misc.get(NAME)()
    span = _span(nlp.make_doc(TEXT), text)
    expected = _ids(kb.get_alias_candidates(alias))
    assert expected and _ids(get_candidates(kb, span)) == expected
    # spaCy's default generator looks up the raw text: nothing.
    assert kb.get_alias_candidates(span.text) == []


def test_punctuation_only_or_empty_mention_gets_no_candidate(nlp_and_kb):
    nlp, kb = nlp_and_kb
    get_candidates = registry.misc.get(NAME)()
    doc = nlp.make_doc(TEXT)
    assert list(get_candidates(kb, _span(doc, "..."))) == []
    assert list(get_candidates(kb, Span(doc, 0, 0))) == []


def test_batch_generator_matches_one_by_one(nlp_and_kb):
    nlp, kb = nlp_and_kb
    get_candidates = registry.misc.get(NAME)()
    doc = nlp.make_doc(TEXT)
    spans = [_span(doc, t) for t in ("Breast-Cancers", "Cephalgias", "...")]
    batch = registry.misc.get(BATCH_NAME)()(kb, spans)
    assert [_ids(c) for c in batch] == [_ids(get_candidates(kb, s)) for s in spans]


@pytest.mark.parametrize("candidates_batch_size", [1, 2])
def test_spacy_entity_linker_accepts_the_generator(nlp_and_kb, candidates_batch_size):
    base, kb = nlp_and_kb
    nlp = spacy.blank("en", vocab=base.vocab)
    nlp.add_pipe("sentencizer")
    linker = nlp.add_pipe(
        "entity_linker",
        config={
            "generate_empty_kb": {"@misc": "spacy-medlink.EmptyKB.v1"},
            "entity_vector_length": DIM,
            "get_candidates": {"@misc": NAME},
            "get_candidates_batch": {"@misc": BATCH_NAME},
            "candidates_batch_size": candidates_batch_size,
        },
    )
    linker.set_kb(lambda vocab: kb)
    span = _span(nlp.make_doc(TEXT), "Breast-Cancers")
    chars = (span.start_char, span.end_char)
    example = Example.from_dict(
        span.doc, {"entities": [(*chars, "DISEASE")], "links": {chars: {"MESH:D001943": 1.0}}}
    )
    nlp.initialize(lambda: [example])
    assert linker.kb is kb
    doc = nlp.make_doc(TEXT)
    doc.ents = [_span(doc, t) for t in ("Breast-Cancers", "...")]
    doc = nlp(doc)
    # One candidate: spaCy takes it; none: NIL.
    assert [ent.kb_id_ for ent in doc.ents] == ["MESH:D001943", "NIL"]

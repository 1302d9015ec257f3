"""KB evidence for recognition: the alias matcher, medlink_kb_mentions and KBFeatures.v1."""
import subprocess
import sys
from pathlib import Path

import numpy
import pytest
import spacy
from spacy.ml.models import MultiHashEmbed

from spacy_medlink.kb.alias_matcher import KB_MATCHES_KEY, AliasMatcher
from spacy_medlink.kb.categories import DISEASE_LABEL as DISEASE, SYMPTOM_LABEL as SYMPTOM
from spacy_medlink.kb.readers import read_vocabulary
from spacy_medlink.kb.records import Concept
from spacy_medlink.ml.kb_features import N_SYMBOLS, build_kb_features, token_symbols

TINY_VOCAB = Path(__file__).parent / "data" / "tiny_vocab.jsonl"

CONCEPTS = [
    Concept("MESH:D1", "Kessler Varga Syndrome", synonyms=("Kessler-Varga disease",), tree_numbers=("C10.1",)),
    Concept("MESH:D2", "Throbbing Ache", tree_numbers=("C23.888.592.1",)),
    Concept("MESH:D3", "Throbbing Ache Syndrome", tree_numbers=("C10.2",)),
    Concept("MESH:D4", "Acute Lumen Leukemia", synonyms=("ALL", "the"), tree_numbers=("C04.1",)),
    Concept("CORPUS:1", "Nixbury palsy", categories=("Corpus concept",)),
]


@pytest.fixture(scope="module")
def matcher():
    return AliasMatcher.from_concepts(CONCEPTS)


def _found(matcher, text):
    words = text.split()
    return [(" ".join(words[m.start:m.end]), m.category) for m in matcher.find(words)]


def test_matches_normalized_names_and_synonyms(matcher):
    # case, possessive, hyphen and plural folding are the KB's own normalizer
    assert _found(matcher, "two Kessler-Varga diseases were seen") == [("Kessler-Varga diseases", DISEASE)]
    assert _found(matcher, "in kessler varga syndrome 's course") == [("kessler varga syndrome", DISEASE)]


def test_longest_match_wins_and_matches_do_not_overlap(matcher):
    assert _found(matcher, "a throbbing ache syndrome and a throbbing ache") == [
        ("throbbing ache syndrome", DISEASE), ("throbbing ache", SYMPTOM),
    ]


def test_acronyms_match_only_in_capitals_and_stop_words_never(matcher):
    assert _found(matcher, "ALL patients") == [("ALL", DISEASE)]
    assert _found(matcher, "all the patients") == []


def test_corpus_concepts_are_not_vocabulary_aliases(matcher):
    assert _found(matcher, "Nixbury palsy") == []


def test_matcher_round_trips_through_bytes(matcher):
    loaded = AliasMatcher.from_bytes(matcher.to_bytes())
    assert loaded.categories == matcher.categories and loaded.acronyms == matcher.acronyms


def test_signs_and_symptoms_of_the_vocabulary_are_symptoms():
    matcher = AliasMatcher.from_concepts(read_vocabulary(TINY_VOCAB))
    assert _found(matcher, "Headache and type 2 diabetes") == [("Headache", SYMPTOM), ("type 2 diabetes", DISEASE)]


def _nlp(vocabulary=TINY_VOCAB):
    nlp = spacy.blank("en")
    component = nlp.add_pipe("medlink_kb_mentions")
    component.initialize(vocabulary=vocabulary)
    return nlp


def test_component_writes_matches_to_doc_spans_and_sets_no_entities():
    doc = _nlp()("Headache in Type 2 diabetes.")
    assert [(s.text, s.label_) for s in doc.spans[KB_MATCHES_KEY]] == [
        ("Headache", SYMPTOM), ("Type 2 diabetes", DISEASE)
    ]
    assert not doc.ents


def test_component_without_a_table_raises_a_coded_error():
    nlp = spacy.blank("en")
    nlp.add_pipe("medlink_kb_mentions")
    with pytest.raises(ValueError, match="MLE270"):
        nlp("Headache")


def test_component_round_trips_and_loads_in_a_fresh_process(tmp_path):
    _nlp().to_disk(tmp_path / "nlp")
    code = (
        "import spacy; nlp = spacy.load(r'%s'); doc = nlp('A headache.'); "
        "print([s.text for s in doc.spans['medlink_kb_matches']])" % (tmp_path / "nlp")
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['headache']"
    (tmp_path / "nlp" / "medlink_kb_mentions" / "aliases.msgpack").unlink()
    with pytest.raises(ValueError, match="MLE274"):
        spacy.load(tmp_path / "nlp")


def test_token_symbols_code_position_and_category():
    doc = _nlp()("Headache in Type 2 diabetes .")
    symbols = token_symbols(doc, KB_MATCHES_KEY).tolist()
    # U-SYMPTOM, none, B/I/L-DISEASE, none
    assert symbols == [1 + 3 * 2 + 1, 0, 1, 1 + 2, 1 + 2 * 2, 0]
    assert max(symbols) < N_SYMBOLS


def test_token_symbols_need_the_matches():
    doc = spacy.blank("en")("Headache")
    with pytest.raises(ValueError, match="MLE271"):
        token_symbols(doc, KB_MATCHES_KEY)
    assert token_symbols(doc, KB_MATCHES_KEY, strict=False).tolist() == [0]


def test_kb_features_change_the_vectors_of_matched_tokens_only():
    nlp = _nlp()
    embed = MultiHashEmbed(width=8, attrs=["NORM"], rows=[50], include_static_vectors=False)
    model = build_kb_features(embed, width=8, kb_width=4)
    docs = [nlp("Headache in patients"), nlp("Headache in patients")]
    docs[1].spans[KB_MATCHES_KEY] = []  # the same text without the match
    model.initialize(X=docs)
    with_match, without = model.predict(docs)
    assert with_match.shape == (3, 8)
    assert not numpy.allclose(with_match[0], without[0])
    numpy.testing.assert_allclose(with_match[1:], without[1:], rtol=1e-5)


def test_kb_features_switched_off_is_the_wrapped_layer():
    embed = MultiHashEmbed(width=8, attrs=["NORM"], rows=[50], include_static_vectors=False)
    assert build_kb_features(embed, width=8, enabled=False) is embed

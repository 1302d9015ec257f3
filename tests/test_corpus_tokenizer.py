import spacy

from spacy_medlink.training.convert import blank_pipeline

TEXT = "Carriers of fragile X. The fragile X mental retardation-1 gene. Duchenne dystrophy (DMD)or BMD."


def test_registered_tokenizer_splits_where_gold_mentions_end():
    nlp = blank_pipeline("en", "spacy-medlink.BiomedicalTokenizer.v1")
    doc = nlp.make_doc(TEXT)
    words = [token.text for token in doc]
    assert words[:5] == ["Carriers", "of", "fragile", "X", "."]
    assert "retardation" in words and "DMD" in words
    for mention in ["fragile X", "fragile X mental retardation", "DMD"]:
        start = TEXT.index(mention, TEXT.index("The") if mention != "fragile X" else 0)
        assert doc.char_span(start, start + len(mention)) is not None, mention


def test_default_tokenizer_misses_those_boundaries():
    doc = spacy.blank("en").make_doc(TEXT)
    assert doc.char_span(12, 21) is None  # "fragile X" before a sentence-final period


def test_keeps_abbreviations_with_periods():
    nlp = blank_pipeline("en", "spacy-medlink.BiomedicalTokenizer.v1")
    words = [token.text for token in nlp.make_doc("In the U.S. Dr. Smith saw type Ia. cases")]
    assert "U.S." in words and "Dr." in words
    assert words[-3:] == ["Ia", ".", "cases"]

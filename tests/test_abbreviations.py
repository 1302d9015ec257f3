"""Tests for the Schwartz & Hearst abbreviation detector and the medlink_abbreviations component."""
import time
import warnings

import pytest
import spacy
from spacy.tokens import DocBin

from spacy_medlink.pipeline.abbreviations import AbbreviationDetector, expand_abbreviations
from spacy_medlink.pipeline.schwartz_hearst import (
    AbbreviationDefinition,
    find_abbreviation_definitions,
    find_short_form_occurrences,
    split_compound_definition,
)

KEY = "medlink_abbreviations"
LONG_KEY = "medlink_abbreviations_long_forms"


@pytest.fixture(scope="module")
def nlp():
    nlp = spacy.blank("en")
    nlp.add_pipe("medlink_abbreviations")
    return nlp


def pairs(text, **kwargs):
    return [(d.short_form, d.long_form) for d in find_abbreviation_definitions(text, **kwargs)]


@pytest.mark.parametrize(
    "text,short_form,long_form",
    [
        ("Germline mutations of the adenomatous polyposis coli (APC) gene.", "APC",
         "adenomatous polyposis coli"),
        ("Patients with Huntington disease (HD) were studied.", "HD", "Huntington disease"),
        ("Carriers of myotonic dystrophy type 1 (DM1) were seen.", "DM1",
         "myotonic dystrophy type 1"),
        # Strict Schwartz & Hearst: the shortest long form whose words hold A, L, D.
        ("The X-linked adrenoleukodystrophy (ALD) gene.", "ALD", "adrenoleukodystrophy"),
        ("Cells from ataxia-telangiectasia (A-T) patients.", "A-T", "ataxia-telangiectasia"),
        ("Boys with Duchenne muscular dystrophy (DMD) die young.", "DMD",
         "Duchenne muscular dystrophy"),
        ("Loss of glucose-6-phosphate dehydrogenase (G6PD) activity.", "G6PD",
         "glucose-6-phosphate dehydrogenase"),
        ("The adult form of myotonic dystrophy (DM) is common.", "DM", "myotonic dystrophy"),
        # Initials in order win over the greedy match ("adenomatous polyposis coli").
        ("Families with attenuated adenomatous polyposis coli (AAPC) were seen.", "AAPC",
         "attenuated adenomatous polyposis coli"),
        ("Loci for type 2 diabetes mellitus (T2DM) were mapped.", "T2DM",
         "type 2 diabetes mellitus"),
    ],
)
def test_finds_biomedical_definitions(text, short_form, long_form):
    definitions = find_abbreviation_definitions(text)
    assert [(d.short_form, d.long_form) for d in definitions] == [(short_form, long_form)]
    definition = definitions[0]
    assert text[definition.short_start:definition.short_end] == short_form
    assert text[definition.long_start:definition.long_end] == long_form


def test_definition_offsets_and_type():
    text = "In Huntington disease (HD) the HD gene"
    assert find_abbreviation_definitions(text) == [
        AbbreviationDefinition(
            long_start=3, long_end=21, short_start=23, short_end=25,
            long_form="Huntington disease", short_form="HD",
        )
    ]
    with pytest.raises(AttributeError):
        find_abbreviation_definitions(text)[0].short_form = "X"


@pytest.mark.parametrize(
    "text,short_form,long_form",
    [
        ("DMD (Duchenne muscular dystrophy) is lethal.", "DMD", "Duchenne muscular dystrophy"),
        # Two words in the parentheses, but longer than the text before them.
        ("In HD (Huntington disease) patients.", "HD", "Huntington disease"),
        ("Many young patients with HD (Huntington disease) were seen.", "HD",
         "Huntington disease"),
    ],
)
def test_finds_reverse_definitions(text, short_form, long_form):
    definitions = find_abbreviation_definitions(text)
    assert [(d.short_form, d.long_form) for d in definitions] == [(short_form, long_form)]
    definition = definitions[0]
    assert text[definition.short_start:definition.short_end] == short_form
    assert text[definition.long_start:definition.long_end] == long_form


@pytest.mark.parametrize(
    "text",
    [
        "The difference was significant (p < 0.05) in both groups.",
        "Twelve patients were included in the Trial Group (n = 12).",
        "Results are shown for the Mutant Gene (Fig. 2) and in Table (Table 1).",
        "This was first described by Smith (1995).",
        "Measured (OR = 2.1) and (95% CI 1.1-3.2) values.",
        "Patients with a disease (AB) were seen.",  # letters not in the long form
        "Cells (e.g. fibroblasts) were cultured.",
        "A single letter (A) is not an abbreviation.",
        "Not closed (HD and more",
        "No space before the parenthesis Huntington disease(HD).",
    ],
)
def test_rejects_non_abbreviations(text):
    assert find_abbreviation_definitions(text) == []


def test_short_form_constraints():
    # More than 10 characters and more than two words are not short forms.
    assert pairs("An extremely long abbreviation attempt (ELABATTEMPT) here.") == []
    assert pairs("In abc def ghi (A B C) here.") == []
    # First character must be alphanumeric.
    assert pairs("Huntington disease (-HD) here.") == []


def test_short_forms_that_look_like_reference_words():
    text = "vestibular schwannoma (VS), cystic fibrosis (CF) and essential tremor (ET)"
    assert pairs(text) == [
        ("VS", "vestibular schwannoma"), ("CF", "cystic fibrosis"), ("ET", "essential tremor")
    ]
    assert pairs("as in the cystic fibrosis (cf. ref. 3) gene") == []


def test_reverse_short_form_is_a_whole_word():
    assert pairs("x" * 45 + "ABC (alpha beta cyclase)") == []
    assert pairs("(DMD (Duchenne muscular dystrophy))") == [("DMD", "Duchenne muscular dystrophy")]


def test_long_form_window_is_bounded():
    # |SF| = 2 -> at most min(2 + 5, 2 * 2) = 4 words; the H word is 5 words back.
    assert pairs("Huntington one two three disease (HD)") == []
    assert pairs("Huntington two three disease (HD)") == [("HD", "Huntington two three disease")]


def test_long_form_does_not_cross_sentences():
    assert pairs("Huntington. Disease (HD) was seen.") == []


def test_reordered_initials_fallback_can_be_disabled():
    text = "Patients with myotonic dystrophy (DM) were studied."
    assert pairs(text) == [("DM", "myotonic dystrophy")]
    assert pairs(text, allow_reordered_initials=False) == []
    # The fallback needs capitals and at most one unmatched word.
    assert pairs("Patients with myotonic dystrophy (dm) were studied.") == []
    assert pairs("markers of the mouse kidney disease (DM)") == [("DM", "mouse kidney disease")]
    assert pairs("markers of the mouse big kidney disease (DM)") == []


def test_nested_separators_inside_parentheses():
    text = "Mutations in the adenomatous polyposis coli (APC; MIM 175100) gene."
    assert pairs(text) == [("APC", "adenomatous polyposis coli")]


def test_non_ascii_text():
    text = "La maladie de Huntington (MH) et la ß-thalassémie (ßT) — MH, ßT, ÉTÉ."
    definitions = find_abbreviation_definitions(text)
    assert [(d.short_form, d.long_form) for d in definitions] == [
        ("MH", "maladie de Huntington"), ("ßT", "ß-thalassémie"),
    ]
    for d in definitions:
        assert text[d.long_start:d.long_end] == d.long_form


def test_empty_and_trivial_text():
    assert find_abbreviation_definitions("") == []
    assert find_abbreviation_definitions("()") == []
    assert find_abbreviation_definitions(" ( ) ") == []


def test_short_form_occurrences_are_whole_words_and_case_sensitive():
    text = "HD, HDL, hd, CHD, HD-like, (HD) and A-T A-Tx A-T."
    found = [(text[s:e], sf) for s, e, sf in find_short_form_occurrences(
        text, {"HD": "x", "A-T": "y"})]
    assert found == [("HD", "HD"), ("HD", "HD"), ("HD", "HD"), ("A-T", "A-T"), ("A-T", "A-T")]
    starts = [s for s, _, _ in find_short_form_occurrences(text, {"HD": "x"})]
    assert starts == [0, text.index("HD-like"), text.index("(HD)") + 1]


def test_component_marks_every_short_form_occurrence(nlp):
    text = ("HD is inherited. Huntington disease (HD) is caused by a CAG repeat; "
            "HD patients and HDL levels, and again HD.")
    doc = nlp(text)
    spans = doc.spans[KEY]
    assert [s.text for s in spans] == ["HD", "HD", "HD", "HD"]
    assert [s.start_char for s in spans] == [
        0, text.index("(HD)") + 1, text.index("HD patients"), text.rindex("HD")
    ]
    assert all(s.label_ == "ABBR" and s.id_ == "Huntington disease" for s in spans)
    long_forms = doc.spans[LONG_KEY]
    assert [(s.text, s.label_, s.id_) for s in long_forms] == [
        ("Huntington disease", "ABBR_LONG", "HD")
    ]


def test_component_several_abbreviations(nlp):
    text = ("Duchenne muscular dystrophy (DMD) and ataxia-telangiectasia (A-T) differ: "
            "DMD is X-linked, A-T is not; DMD/A-T overlap is rare.")
    doc = nlp(text)
    found = [(s.text, s.id_) for s in doc.spans[KEY]]
    assert found.count(("DMD", "Duchenne muscular dystrophy")) == 3
    assert found.count(("A-T", "ataxia-telangiectasia")) == 3
    starts = [s.start for s in doc.spans[KEY]]
    assert starts == sorted(starts)


def test_first_definition_wins(nlp):
    doc = nlp("Huntington disease (HD) and later heteroduplex (HD) analysis of HD.")
    assert {s.id_ for s in doc.spans[KEY]} == {"Huntington disease"}
    assert len(doc.spans[KEY]) == 3
    assert [s.text for s in doc.spans[LONG_KEY]] == ["Huntington disease"]


def test_component_custom_spans_key():
    nlp = spacy.blank("en")
    nlp.add_pipe("medlink_abbreviations", config={"spans_key": "abbr"})
    doc = nlp("Huntington disease (HD).")
    assert [s.text for s in doc.spans["abbr"]] == ["HD"]
    assert [s.text for s in doc.spans["abbr_long_forms"]] == ["Huntington disease"]
    assert KEY not in doc.spans


def test_empty_doc(nlp):
    doc = nlp("")
    assert len(doc.spans[KEY]) == 0
    assert len(doc.spans[LONG_KEY]) == 0
    assert list(nlp.pipe([])) == []


def test_misaligned_occurrence_is_skipped_with_warning():
    # spaCy keeps "T." as one token (an initial), so the final A-T does not align.
    nlp = spacy.blank("en")  # its own detector: it warns once, for its first such document
    nlp.add_pipe("medlink_abbreviations")
    text = "Cells from ataxia-telangiectasia (A-T) patients, as in A-T."
    with pytest.warns(UserWarning, match="MLW250.*1 of 3"):
        doc = nlp(text)
    assert [s.start_char for s in doc.spans[KEY]] == [34]


def test_non_ascii_doc(nlp):
    doc = nlp("La ß-thalassémie (ßT) est fréquente; la ßT touche l'Élysée.")
    assert [(s.text, s.id_) for s in doc.spans[KEY]] == [
        ("ßT", "ß-thalassémie"), ("ßT", "ß-thalassémie")
    ]


def test_expand_abbreviations(nlp):
    text = "Patients with myotonic dystrophy type 1 (DM1). Many DM1 patients and DM1-HD cases."
    doc = nlp(text)

    def span_of(substring):
        start = text.index(substring, text.index("Many"))
        return doc.char_span(start, start + len(substring))

    assert expand_abbreviations(doc, span_of("DM1 patients")) == (
        "myotonic dystrophy type 1 patients")
    assert expand_abbreviations(doc, span_of("DM1")) == "myotonic dystrophy type 1"
    # Several occurrences inside one span; HD is not defined in this text.
    assert expand_abbreviations(doc, span_of("DM1 patients and DM1-HD cases")) == (
        "myotonic dystrophy type 1 patients and myotonic dystrophy type 1-HD cases")
    # Spans without a short form are returned unchanged.
    assert expand_abbreviations(doc, span_of("patients")) == "patients"
    assert expand_abbreviations(doc, doc[0:1]) == "Patients"
    # A span holding only part of an occurrence keeps its text (short forms here are one
    # token, so test with a custom group).
    assert expand_abbreviations(doc, span_of("DM1 patients"), spans_key="missing") == (
        "DM1 patients")
    plain = spacy.blank("en")("DM1 patients")
    assert expand_abbreviations(plain, plain[0:2]) == "DM1 patients"


def test_expand_abbreviations_ignores_partly_covered_occurrences(nlp):
    doc = nlp("Cells from ataxia-telangiectasia (A-T) patients; A-T cells.")
    a_t = [s for s in doc.spans[KEY]][1]
    assert (a_t.text, a_t.end - a_t.start) == ("A-T", 3)
    assert expand_abbreviations(doc, doc[a_t.start:a_t.end + 1]) == "ataxia-telangiectasia cells"
    assert expand_abbreviations(doc, doc[a_t.start + 1:a_t.end + 1]) == "-T cells"


def test_docbin_round_trip_keeps_span_ids(nlp):
    doc = nlp("Duchenne muscular dystrophy (DMD) is common; DMD is X-linked.")
    doc_bin = DocBin(store_user_data=False)
    doc_bin.add(doc)
    restored = list(DocBin().from_bytes(doc_bin.to_bytes()).get_docs(spacy.blank("en").vocab))[0]
    for key in (KEY, LONG_KEY):
        assert [(s.start, s.end, s.label_, s.id_) for s in restored.spans[key]] == [
            (s.start, s.end, s.label_, s.id_) for s in doc.spans[key]
        ]
    assert [s.id_ for s in restored.spans[KEY]] == ["Duchenne muscular dystrophy"] * 2
    second = restored.spans[KEY][1]
    assert expand_abbreviations(restored, restored[second.start:second.end + 1]) == (
        "Duchenne muscular dystrophy is")


def test_serialization_round_trip(nlp, tmp_path):
    nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    assert loaded.pipe_names == ["medlink_abbreviations"]
    assert isinstance(loaded.get_pipe("medlink_abbreviations"), AbbreviationDetector)
    doc = loaded("Huntington disease (HD).")
    assert [s.id_ for s in doc.spans[KEY]] == ["Huntington disease"]


TEXTS = [
    "Boys with Duchenne muscular dystrophy (DMD) die young; DMD is X-linked.",
    "",
    "Cells from ataxia-telangiectasia (A-T) patients; A-T cells are radiosensitive.",
    "No abbreviation (p < 0.05) here (n = 12).",
    "Carriers of myotonic dystrophy type 1 (DM1). DM1 and the ß-thalassémie (ßT) gene.",
]


def _summary(doc):
    return {key: [(s.start, s.end, s.label_, s.id_) for s in doc.spans[key]]
            for key in (KEY, LONG_KEY)}


def test_pipe_with_two_processes_matches_single_calls(nlp):
    expected = [_summary(nlp(text)) for text in TEXTS]
    assert [_summary(doc) for doc in nlp.pipe(TEXTS, n_process=2, batch_size=2)] == expected
    assert expected[0][KEY][0][3] == "Duchenne muscular dystrophy"


def test_long_text_runs_in_linear_time(nlp):
    sentence = ("Patients with myotonic dystrophy type 1 (DM1) and Huntington disease (HD) had "
                "DM1 and HD (p < 0.05). ")
    text = (sentence * (200_000 // len(sentence) + 1))[:200_000]
    start = time.perf_counter()
    definitions = find_abbreviation_definitions(text)
    assert time.perf_counter() - start < 2.0
    assert len(definitions) >= 2 * (200_000 // len(sentence))
    nlp.max_length = max(nlp.max_length, len(text) + 1)
    doc = nlp.make_doc(text)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the cut-off last sentence may not align
        nlp.get_pipe("medlink_abbreviations")(doc)
    assert time.perf_counter() - start < 5.0
    assert len(doc.spans[KEY]) >= 4 * (200_000 // len(sentence))
    # Pathological inputs stay fast too.
    start = time.perf_counter()
    find_abbreviation_definitions("(" * 100_000)
    find_abbreviation_definitions(" (a" * 50_000)
    find_abbreviation_definitions(" (" + "a" * 100_000 + ")")
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize(
    "short_form,long_form,expected",
    [
        ("HPT-JT", "hyperparathyroidism-jaw tumor syndrome",
         [("HPT", "hyperparathyroidism"), ("JT", "jaw tumor")]),
        ("DM/HD", "diabetes mellitus/Huntington disease",
         [("DM", "diabetes mellitus"), ("HD", "Huntington disease")]),
        ("A-T", "ataxia-telangiectasia", []),  # one-letter parts would match everywhere
        ("HNPCC", "hereditary nonpolyposis colorectal cancer", []),  # not a compound
        ("HPT-XY", "hyperparathyroidism-jaw tumor syndrome", []),  # second part does not match
    ],
)
def test_split_compound_definition(short_form, long_form, expected):
    assert split_compound_definition(short_form, long_form) == expected


def test_compound_short_form_parts_are_marked(nlp):
    text = ("We examined hyperparathyroidism-jaw tumor syndrome (HPT-JT) in kindreds. HPT came "
            "first, JT later; in other HPT-JT kindreds JT never came.")
    doc = nlp(text)
    found = [(s.text, s.id_) for s in doc.spans[KEY]]
    assert found == [
        ("HPT-JT", "hyperparathyroidism-jaw tumor syndrome"),
        ("HPT", "hyperparathyroidism"),
        ("JT", "jaw tumor"),
        ("HPT-JT", "hyperparathyroidism-jaw tumor syndrome"),
        ("JT", "jaw tumor"),
    ]
    # Only the written definition is a long-form span.
    assert [s.id_ for s in doc.spans[LONG_KEY]] == ["HPT-JT"]


def test_part_defined_on_its_own_keeps_its_definition(nlp):
    text = ("Joint trauma (JT) was rare. We examined hyperparathyroidism-jaw tumor syndrome "
            "(HPT-JT) in kindreds; JT came late, HPT early.")
    doc = nlp(text)
    by_text = {s.text: s.id_ for s in doc.spans[KEY]}
    assert by_text["JT"] == "Joint trauma"
    assert by_text["HPT"] == "hyperparathyroidism"


def test_misalignment_is_warned_once_per_component_and_counted():
    """W250 used to fire once per document (thousands of warnings over a corpus)."""
    nlp = spacy.blank("en")
    detector = nlp.add_pipe("medlink_abbreviations")
    text = "Cells from ataxia-telangiectasia (A-T) patients, as in A-T."
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        list(nlp.pipe([text] * 3))
    assert [str(w.message)[:8] for w in caught if "MLW250" in str(w.message)] == ["[MLW250]"]
    assert (detector.n_misaligned, detector.n_spans) == (3, 9)

"""medlink_short_form_mentions: short forms follow the NER's reading of their long form.

The texts are invented (made-up diseases and proteins); an entity_ruler or hand-set entities
stand in for the NER.
"""
import subprocess
import sys

import pytest
import spacy

from spacy_medlink.pipeline.short_form_mentions import (
    MENTION,
    NOT_MENTION,
    UNDECIDED,
    read_short_forms,
)


@pytest.fixture
def nlp():
    nlp = spacy.blank("en")
    nlp.add_pipe("medlink_abbreviations")
    nlp.add_pipe("medlink_short_form_mentions")
    return nlp


def _run(nlp, text, ent_texts, label="DISEASE"):
    """Process text with the given entities set as the NER's: a string is its first
    occurrence, a (string, n) pair its n-th (from 0)."""
    doc = nlp.make_doc(text)
    ents = []
    for ent_text in ent_texts:
        ent_text, nth = (ent_text, 0) if isinstance(ent_text, str) else ent_text
        start = -1
        for _ in range(nth + 1):
            start = text.index(ent_text, start + 1)
        ents.append(doc.char_span(start, start + len(ent_text), label=label))
    doc.ents = ents
    for _, pipe in nlp.pipeline:
        doc = pipe(doc)
    return doc


def _ents(doc):
    return [(e.text, e.start_char) for e in doc.ents]


KVS = "Kessler-Varga syndrome (KVS) runs in families. KVS is rare, and KVS carriers are healthy."


def test_tagged_long_form_tags_every_short_form(nlp):
    doc = _run(nlp, KVS, ["Kessler-Varga syndrome"])
    assert [t for t, _ in _ents(doc)] == ["Kessler-Varga syndrome", "KVS", "KVS", "KVS"]


def test_added_short_forms_take_the_long_forms_label(nlp):
    doc = _run(nlp, KVS, ["Kessler-Varga syndrome"], label="SYNDROME")
    assert {e.label_ for e in doc.ents} == {"SYNDROME"}


def test_entity_with_a_modifier_before_the_long_form_still_reads_as_a_mention(nlp):
    text = "X-linked Kessler-Varga syndrome (KVS) is described. KVS begins early."
    doc = _run(nlp, text, ["X-linked Kessler-Varga syndrome"])
    assert [t for t, _ in _ents(doc)] == ["X-linked Kessler-Varga syndrome", "KVS", "KVS"]


def test_long_form_after_a_preposition_is_undecided(nlp):
    # The disease is the deficiency; the short form names the enzyme.
    text = "A deficiency of lumenase (LMN) was found. LMN activity was low, LMN too."
    doc = _run(nlp, text, ["deficiency of lumenase", "LMN activity"])
    assert _ents(doc) == [("deficiency of lumenase", 2), ("LMN activity", 42)]
    readings = read_short_forms(doc.spans["medlink_abbreviations_long_forms"], list(doc.ents))
    assert readings["LMN"][0] == UNDECIDED


def test_untouched_long_form_untags_short_forms_and_keeps_a_record(nlp):
    text = "The growth factor receptor (GFR) binds. Loss of GFR was seen in the tumours."
    doc = _run(nlp, text, [("GFR", 1), "tumours"])
    assert _ents(doc) == [("tumours", text.index("tumours"))]
    assert [(s.text, s.start_char) for s in doc.spans["medlink_short_forms_removed"]] == [
        ("GFR", text.rindex("GFR"))
    ]


def test_entity_over_the_whole_definition_is_undecided(nlp):
    text = "We saw glycerol kinase (GK) deficiency in two boys; GK was absent. GK deficiency is rare."
    doc = _run(nlp, text, ["glycerol kinase (GK) deficiency", "GK deficiency"])
    texts = [t for t, _ in _ents(doc)]
    assert texts == ["glycerol kinase (GK) deficiency", "GK deficiency"]
    readings = read_short_forms(doc.spans["medlink_abbreviations_long_forms"], list(doc.ents))
    assert readings == {"GK": (UNDECIDED, None)}


def test_short_form_inside_a_longer_entity_is_not_tagged_again(nlp):
    text = "Kessler-Varga syndrome (KVS) has two types. KVS type 2 is mild; KVS is rare."
    doc = _run(nlp, text, ["Kessler-Varga syndrome", "KVS type 2"])
    assert [t for t, _ in _ents(doc)] == ["Kessler-Varga syndrome", "KVS", "KVS type 2", "KVS"]


def test_strongest_reading_wins_when_a_short_form_is_defined_twice():
    nlp = spacy.blank("en")
    nlp.add_pipe("medlink_abbreviations")
    text = "Kessler-Varga syndrome (KVS) and kinase variant site (KVS) both occur."
    doc = nlp(text)
    doc.ents = [doc.char_span(0, len("Kessler-Varga syndrome"), label="DISEASE")]
    long_forms = doc.spans["medlink_abbreviations_long_forms"]
    assert read_short_forms(long_forms, list(doc.ents))["KVS"] == (MENTION, "DISEASE")
    assert read_short_forms(long_forms, [])["KVS"] == (NOT_MENTION, None)


def test_switches_turn_off_adding_and_removing():
    nlp = spacy.blank("en")
    nlp.add_pipe("medlink_abbreviations")
    nlp.add_pipe(
        "medlink_short_form_mentions",
        config={"add_mentions": False, "remove_mentions": False, "removed_key": None},
    )
    doc = _run(nlp, KVS, ["Kessler-Varga syndrome"])
    assert _ents(doc) == [("Kessler-Varga syndrome", 0)]
    assert "medlink_short_forms_removed" not in doc.spans


def test_without_the_abbreviation_component_the_error_is_coded():
    nlp = spacy.blank("en")
    nlp.add_pipe("medlink_short_form_mentions")
    with pytest.raises(ValueError, match=r"MLE260.*medlink_abbreviations"):
        nlp("Kessler-Varga syndrome (KVS) is rare.")


def test_pipeline_survives_disk_fresh_process_and_n_process_2(tmp_path):
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "DISEASE", "pattern": "Kessler-Varga syndrome"}])
    nlp.add_pipe("medlink_abbreviations")
    nlp.add_pipe("medlink_short_form_mentions")
    texts = [KVS, "No abbreviations here.", "The growth factor receptor (GFR) binds."]
    expected = [_ents(doc) for doc in nlp.pipe(texts)]
    assert expected[0][1:] == [("KVS", 24), ("KVS", 47), ("KVS", 64)]
    nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    assert [_ents(doc) for doc in loaded.pipe(texts, n_process=2)] == expected
    # A fresh process that never imports spacy_medlink finds the factory by entry point.
    code = (
        "import sys, spacy; nlp = spacy.load(sys.argv[1]); "
        "print([e.text for e in nlp(sys.argv[2]).ents])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "pipeline"), KVS],
        capture_output=True, text=True, check=True,
    ).stdout
    assert out.strip() == str(["Kessler-Varga syndrome", "KVS", "KVS", "KVS"])


def test_assemble_adds_it_to_an_ner_pipeline_without_one(tmp_path):
    from sample_pipeline import train_sample_pipeline

    from spacy_medlink.cli.assemble import assemble_pipeline

    linker_path = train_sample_pipeline(tmp_path / "linker", epochs=1)
    ner = spacy.blank("en")
    ner.add_pipe("entity_ruler").add_patterns(
        [{"label": "DISEASE", "pattern": "Kessler-Varga syndrome"}]
    )
    ner.to_disk(tmp_path / "ner")
    nlp = assemble_pipeline(tmp_path / "ner", linker_path, tmp_path / "joined")
    assert nlp.pipe_names == [
        "entity_ruler", "medlink_abbreviations", "medlink_short_form_mentions",
        "medical_entity_linker",
    ]
    doc = spacy.load(tmp_path / "joined")(KVS)
    assert [e.text for e in doc.ents] == ["Kessler-Varga syndrome", "KVS", "KVS", "KVS"]
    without = assemble_pipeline(
        tmp_path / "ner", linker_path, tmp_path / "joined2", short_form_mentions=False
    )
    assert "medlink_short_form_mentions" not in without.pipe_names
    # The benchmark's spaCy entity_linker pipeline keeps our NER whole: the short-form
    # component and the abbreviations it reads stay, our linker goes.
    from medlink_bench.spacy_el_baseline import build_spacy_entity_linker

    linker = nlp.get_pipe("medical_entity_linker")
    el_nlp = build_spacy_entity_linker(
        tmp_path / "joined", tmp_path / "joined" / "medical_entity_linker" / "kb",
        linker.kb.entity_vector_length,
    )
    assert el_nlp.pipe_names == [
        "entity_ruler", "medlink_abbreviations", "medlink_short_form_mentions",
        "sentencizer", "entity_linker",
    ]


def test_benchmark_ablation_scores_the_ner_without_it(tmp_path):
    from medlink_bench.ner_seeds import ablate_short_form_mentions
    from spacy_medlink.training.gold_corpus import read_gold

    title, abstract = "Kessler-Varga syndrome (KVS) in twins", "KVS is rare."
    text = f"{title} {abstract}"
    mentions = [(0, 22), (24, 27), (text.rindex("KVS"), text.rindex("KVS") + 3)]
    lines = [f"1|t|{title}", f"1|a|{abstract}"] + [
        f"1\t{s}\t{e}\t{text[s:e]}\tSpecificDisease\tD000001" for s, e in mentions
    ]
    (tmp_path / "gold.txt").write_text("\n".join(lines) + "\n", encoding="utf8")
    documents = read_gold(tmp_path / "gold.txt")
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(
        [{"label": "DISEASE", "pattern": "Kessler-Varga syndrome"}]
    )
    nlp.add_pipe("medlink_abbreviations")
    nlp.add_pipe("medlink_short_form_mentions", name="short_forms")
    ablation = ablate_short_form_mentions(nlp, documents, progress=False)
    assert ablation["components"] == ["short_forms"]
    assert {k: ablation["without"][k] for k in ("tp", "fp", "fn")} == {"tp": 1, "fp": 0, "fn": 2}
    assert nlp.pipe_names[-1] == "short_forms"  # switched back on afterwards
    nlp.remove_pipe("short_forms")
    assert ablate_short_form_mentions(nlp, documents, progress=False) is None

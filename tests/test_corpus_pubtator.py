import gzip
from pathlib import Path

import pytest
import spacy

from spacy_medlink.training.pubtator import (
    PubtatorDocument,
    parse_pubtator_lines,
    read_pubtator,
    split_ids,
)

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny.pubtator.txt"


def test_read_tiny_documents_and_offsets():
    docs = list(read_pubtator(TINY))
    assert [doc.pmid for doc in docs] == ["111", "222"]
    assert docs[0].text == docs[0].title + " " + docs[0].abstract
    assert [len(doc.mentions) for doc in docs] == [3, 5]
    for doc in docs:
        for mention in doc.mentions:
            assert doc.text[mention.start : mention.end] == mention.text
    first = docs[0].mentions[0]
    assert (first.start, first.end, first.text, first.type) == (
        11, 36, "breast and ovarian cancer", "CompositeMention"
    )
    assert first.line == 3
    assert docs[1].line == 7
    assert docs[1].mentions[-1].line == 13


def test_composite_ids_split_on_pipe_and_plus_without_prefixing():
    first, _, plus = next(iter(read_pubtator(TINY))).mentions
    assert first.ids == ("D001943", "D010051")
    assert first.raw_ids == "D001943|D010051"
    assert plus.ids == ("D040181", "D009136")
    assert split_ids(" D1 | | OMIM:2+ D3 ") == ("D1", "OMIM:2", "D3")
    assert split_ids("") == ()


def test_trailing_space_in_gold_text_keeps_gold_offsets():
    doc = list(read_pubtator(TINY))[1]
    mention = next(m for m in doc.mentions if m.text.startswith("febrile"))
    assert (mention.start, mention.end) == (50, 66)
    assert mention.text == "febrile seizures"
    assert doc.text[mention.end] == " "


ASTHMA = ["5|t|Asthma", "5|a|Asthma in cities.", "5\t0\t6\tAsthma\tSpecificDisease\tD001249", ""]


def test_duplicate_pmids_of_different_documents_raise():
    # issue 13: document ids are keys; two documents under one id used to pass silently.
    lines = ASTHMA + ["5|t|Gout", "5|a|Gout in kings.", "5\t0\t4\tGout\tSpecificDisease\tD006073", ""]
    with pytest.raises(ValueError, match=r"^\[MLE119\] src, line 5: document id 5 .* line 1\b"):
        list(parse_pubtator_lines(lines, source="src"))


def test_duplicate_pmids_with_other_mentions_raise():
    changed = ASTHMA[:2] + ["5\t0\t6\tAsthma\tDiseaseClass\tD001249", ""]
    with pytest.raises(ValueError, match=r"^\[MLE119\] src, line 5:"):
        list(parse_pubtator_lines(ASTHMA + changed, source="src"))


def test_word_for_word_repeats_are_kept_with_one_warning():
    # The NCBI disease training set repeats one document verbatim: keep it, say so once.
    with pytest.warns(UserWarning, match=r"^\[MLW111\] 2 documents of src .*5: 5, 1; 5: 9, 1") as record:
        docs = list(parse_pubtator_lines(ASTHMA * 3, source="src"))
    assert [doc.line for doc in docs] == [1, 5, 9]
    assert len([w for w in record if "MLW111" in str(w.message)]) == 1


def test_blank_lines_missing_final_newline_and_crlf_are_tolerated():
    text = (
        "\n\n1|t|Asthma\r\n1|a|Asthma.\r\n1\t0\t6\tAsthma\tSpecificDisease\tD001249\r\n\n\n\n"
        "2|t|Gout\n2|a|\n2\t0\t4\tGout\tSpecificDisease\tD006073"
    )
    docs = list(parse_pubtator_lines(text.splitlines(keepends=True)))
    assert [doc.pmid for doc in docs] == ["1", "2"]
    assert docs[1].abstract == ""
    assert docs[1].mentions[0].text == "Gout"
    assert docs[1].mentions[0].line == 11


def test_title_right_after_mentions_starts_a_new_document():
    lines = [
        "1|t|Asthma", "1|a|", "1\t0\t6\tAsthma\tSpecificDisease\tD001249",
        "2|t|Gout", "2|a|",
    ]
    docs = list(parse_pubtator_lines(lines))
    assert [(doc.pmid, len(doc.mentions)) for doc in docs] == [("1", 1), ("2", 0)]


def test_documents_are_frozen():
    doc = next(iter(read_pubtator(TINY)))
    assert isinstance(doc, PubtatorDocument)
    with pytest.raises(AttributeError):
        doc.pmid = "0"


@pytest.mark.parametrize(
    "name,code,line",
    [
        ("bad_no_title", "MLE102", 1),
        ("bad_no_abstract", "MLE103", 2),
        ("bad_fields", "MLE104", 3),
        ("bad_pmid", "MLE105", 3),
        ("bad_offset_int", "MLE106", 3),
        ("bad_offset_range", "MLE107", 3),
        ("bad_text", "MLE108", 3),
        ("bad_encoding", "MLE109", 3),
    ],
)
def test_coded_errors_name_file_and_line(name, code, line):
    path = DATA / f"{name}.pubtator.txt"
    with pytest.raises(ValueError) as err:
        list(read_pubtator(path))
    message = str(err.value)
    assert f"[{code}]" in message
    assert f"{path}, line {line}:" in message


def test_missing_file_raises_when_called(tmp_path):
    path = tmp_path / "nope.pubtator.txt"
    with pytest.raises(ValueError, match=r"\[MLE100\]") as err:
        read_pubtator(path)
    assert str(path) in str(err.value)


def test_empty_file():
    path = DATA / "bad_empty.pubtator.txt"
    with pytest.raises(ValueError, match=r"\[MLE101\]") as err:
        list(read_pubtator(path))
    assert str(path) in str(err.value)


def test_abstract_missing_at_end_of_input_names_the_line():
    with pytest.raises(ValueError, match=r"\[MLE103\] src, line 2:"):
        list(parse_pubtator_lines(["1|t|Asthma"], source="src"))


def test_abstract_of_another_pmid_is_rejected():
    with pytest.raises(ValueError, match=r"\[MLE103\] src, line 2:"):
        list(parse_pubtator_lines(["1|t|Asthma", "2|a|Asthma."], source="src"))


def test_gzipped_file_is_read(tmp_path):
    path = tmp_path / "tiny.pubtator.txt.gz"
    path.write_bytes(gzip.compress(TINY.read_bytes()))
    assert list(read_pubtator(path)) == list(read_pubtator(TINY))


@pytest.mark.parametrize("damage", ["truncated", "not_gzip", "corrupt"])
def test_damaged_gzip_is_a_coded_error_naming_file_and_line(tmp_path, damage):
    data = "".join(
        f"{i}|t|Asthma number {i}\n{i}|a|Asthma in cities.\n\n" for i in range(1, 400)
    ).encode("utf8")
    compressed = gzip.compress(data)
    content = {
        "truncated": compressed[: len(compressed) // 2],
        "not_gzip": data,
        "corrupt": compressed[:20] + bytes(b ^ 0xFF for b in compressed[20:60]) + compressed[60:],
    }[damage]
    path = tmp_path / "corpus.txt.gz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"^\[MLE117\]") as err:
        list(read_pubtator(path))
    assert f"{path}: cannot decompress the file at line " in str(err.value)


@pytest.mark.parametrize("bad", [b"\xed\xa0\x80", b"\xff\xfe"])
def test_undecodable_bytes_name_file_and_line(tmp_path, bad):
    # b"\xed\xa0\x80" is a UTF-8-encoded lone surrogate; Python's decoder rejects it.
    path = tmp_path / "corpus.txt"
    path.write_bytes(b"1|t|Asthma\n1|a|Asthma " + bad + b" in cities.\n\n")
    with pytest.raises(ValueError, match=r"^\[MLE109\]") as err:
        list(read_pubtator(path))
    assert f"{path}, line 2:" in str(err.value)


# BC5CDR and BioRED write relation lines after the mentions, and BC5CDR a 7th field (the
# parts' texts) on composite mentions. Written here, not copied from either corpus.
WITH_RELATIONS = [
    "7|t|Lithium and renal failure",
    "7|a|Breast and ovarian cancer were seen.",
    "7\t0\t7\tLithium\tChemical\tD008094",
    "7\t12\t25\trenal failure\tDisease\tD051437",
    "7\t26\t51\tBreast and ovarian cancer\tDisease\tD001943|D010051\tBreast cancer|ovarian cancer",
    "7\tCID\tD008094\tD051437",
    "7\tAssociation\tD008094\tD001943\tNovel",
]


def test_relation_lines_are_skipped_counted_and_reported():
    with pytest.warns(UserWarning, match=r"MLW112.*Skipped 2 relation lines of corpus.txt"):
        (document,) = list(parse_pubtator_lines(WITH_RELATIONS, source="corpus.txt"))
    assert document.n_relations == 2
    assert [(m.text, m.ids) for m in document.mentions] == [
        ("Lithium", ("D008094",)), ("renal failure", ("D051437",)),
        ("Breast and ovarian cancer", ("D001943", "D010051")),
    ]


@pytest.mark.parametrize("line,code", [
    ("7\t12\t25\trenal failure", "MLE104"),  # 4 fields, an offset second: a broken mention
    ("7\tx\ty\trenal failure\tDisease\tD051437", "MLE106"),  # 6 fields: a mention, bad offsets
])
def test_broken_mention_lines_are_not_taken_for_relations(line, code):
    with pytest.raises(ValueError, match=code):
        list(parse_pubtator_lines(WITH_RELATIONS[:2] + [line], source="corpus.txt"))


def test_convert_keeps_the_mention_types_asked_for_and_counts_the_others(tmp_path):
    from spacy.tokens import DocBin

    from spacy_medlink.training.convert import convert_pubtator

    source = tmp_path / "bc5cdr_like.txt"
    source.write_text("\n".join(WITH_RELATIONS) + "\n", encoding="utf8")
    with pytest.warns(UserWarning, match="MLW112"):
        report = convert_pubtator(source, tmp_path / "out.spacy", types=["Disease"])
    assert (report.n_mentions, report.n_converted, report.other_types) == (2, 2, {"Chemical": 1})
    (doc,) = DocBin().from_disk(tmp_path / "out.spacy").get_docs(spacy.blank("en").vocab)
    assert [e.text for e in doc.ents] == ["renal failure", "Breast and ovarian cancer"]
    with pytest.warns(UserWarning, match="MLW112"), pytest.raises(ValueError, match=r"MLE131.*\['Chemical', 'Disease'\]"):
        convert_pubtator(source, tmp_path / "typo.spacy", types=["disease"])
    assert not (tmp_path / "typo.spacy").exists()


def test_convert_warns_when_other_entity_types_would_become_diseases(tmp_path):
    from spacy_medlink.training.convert import convert_pubtator

    source = tmp_path / "bc5cdr_like.txt"
    source.write_text("\n".join(WITH_RELATIONS) + "\n", encoding="utf8")
    with pytest.warns(UserWarning) as caught:
        convert_pubtator(source, tmp_path / "all.spacy")
    assert any("MLW113" in str(w.message) and "1 Chemical" in str(w.message) for w in caught)
    with pytest.warns(UserWarning) as caught:
        convert_pubtator(source, tmp_path / "typo.spacy", types=["Disease", "Chemcial"])
    messages = [str(w.message) for w in caught]
    assert any("MLW114" in m and "Chemcial" in m for m in messages)
    assert not any("MLW113" in m for m in messages)


def test_the_corpus_reader_keeps_the_mention_types_asked_for(tmp_path):
    """Training straight from a BC5CDR-style PubTator file: the reader's `types` keeps the
    disease mentions as `convert --type` does; a DocBin (already converted) with types is E125."""
    from spacy.tokens import DocBin

    from spacy_medlink.training.readers import PubtatorCorpus

    source = tmp_path / "bc5cdr_like.txt"
    source.write_text("\n".join(WITH_RELATIONS) + "\n", encoding="utf8")
    nlp = spacy.blank("en")
    with pytest.warns(UserWarning, match="MLW112"):
        (example,) = list(PubtatorCorpus(source, types=["Disease"])(nlp))
    assert [e.text for e in example.reference.ents] == ["renal failure", "Breast and ovarian cancer"]
    with pytest.warns(UserWarning) as caught:
        (example,) = list(PubtatorCorpus(source)(nlp))
    assert "Lithium" in [e.text for e in example.reference.ents]
    assert any("MLW113" in str(w.message) for w in caught)
    with pytest.warns(UserWarning, match="MLW112"), pytest.raises(ValueError, match=r"MLE131.*bc5cdr_like"):
        list(PubtatorCorpus(source, types=["disease"])(nlp))
    DocBin(docs=[nlp("Renal failure.")]).to_disk(tmp_path / "converted.spacy")
    with pytest.raises(ValueError, match=r"MLE125.*converted\.spacy"):
        list(PubtatorCorpus(tmp_path / "converted.spacy", types=["Disease"])(nlp))


def test_a_relation_line_of_another_document_is_a_coded_error():
    lines = WITH_RELATIONS[:2] + ["8\tCID\tD008094\tD051437"]
    with pytest.raises(ValueError, match=r"MLE105.*PMID 8"):
        list(parse_pubtator_lines(lines, source="corpus.txt"))

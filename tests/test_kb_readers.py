import gzip
import shutil
import warnings
from pathlib import Path

import pytest

from spacy_medlink.kb.readers import ReadStats, read_concepts_jsonl, read_medic, read_vocabulary

DATA = Path(__file__).parent / "data"
TINY_MEDIC = DATA / "tiny_medic.tsv"
TINY_JSONL = DATA / "tiny_vocab.jsonl"


def test_read_medic_yields_concepts_with_normalized_ids():
    concepts = list(read_medic(TINY_MEDIC))
    assert len(concepts) == 10
    by_id = {c.concept_id: c for c in concepts}
    t1d = by_id["MESH:D003922"]
    assert t1d.name == "Diabetes Mellitus, Type 1"
    assert t1d.alt_ids == ("OMIM:222100", "DO:DOID:9744")
    assert "IDDM" in t1d.synonyms
    assert t1d.parent_ids == ("MESH:D003920", "MESH:D001327")
    assert t1d.tree_numbers[0] == "C18.452.394.750.124"
    assert "Metabolic disease" in t1d.categories
    assert by_id["OMIM:266600"].tree_numbers == ()
    assert by_id["MESH:D001943"].alt_ids == ()


def test_read_medic_gzipped(tmp_path):
    gz_path = tmp_path / "tiny_medic.tsv.gz"
    with TINY_MEDIC.open("rb") as src, gzip.open(gz_path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    assert list(read_medic(gz_path)) == list(read_medic(TINY_MEDIC))


def test_read_jsonl_normalizes_ids_and_skips_blank_lines():
    concepts = list(read_concepts_jsonl(TINY_JSONL))
    assert [c.concept_id for c in concepts] == ["MESH:D003920", "MESH:D003924", "OMIM:266600", "MESH:D006261"]
    assert concepts[1].parent_ids == ("MESH:D003920",)
    assert concepts[1].definition == "Diabetes with insulin resistance."


def test_read_vocabulary_dispatches_by_suffix():
    assert [c.concept_id for c in read_vocabulary(TINY_MEDIC)] == [c.concept_id for c in read_medic(TINY_MEDIC)]
    assert len(list(read_vocabulary(TINY_JSONL))) == 4
    assert len(list(read_vocabulary(TINY_JSONL, format="jsonl"))) == 4


def test_read_vocabulary_unknown_suffix(tmp_path):
    path = tmp_path / "vocab.csv"
    path.write_text("a,b\n")
    with pytest.raises(ValueError, match=r"MLE013"):
        read_vocabulary(path)


def _assert_error(reader, path, code, line, field=None):
    with pytest.raises(ValueError) as err:
        list(reader(path))
    message = str(err.value)
    assert f"[{code}]" in message
    assert str(path) in message
    if line is not None:
        assert f"line {line}" in message
    if field is not None:
        assert f"'{field}'" in message


@pytest.mark.parametrize(
    "reader,name,code,line,field",
    [
        (read_medic, "bad_kb_missing_columns.tsv", "MLE003", 7, None),
        (read_medic, "bad_kb_empty_id.tsv", "MLE004", 8, "DiseaseID"),
        (read_medic, "bad_kb_duplicate_id.tsv", "MLE005", 9, None),
        (read_medic, "bad_kb_encoding.tsv", "MLE006", 8, None),
        (read_medic, "bad_kb_empty.tsv", "MLE002", None, None),
        (read_concepts_jsonl, "bad_kb_json.jsonl", "MLE007", 2, None),
        (read_concepts_jsonl, "bad_kb_type.jsonl", "MLE008", 2, "synonyms"),
        (read_concepts_jsonl, "bad_kb_empty_id.jsonl", "MLE004", 2, "id"),
        (read_concepts_jsonl, "bad_kb_duplicate_id.jsonl", "MLE005", 2, None),
    ],
)
def test_coded_errors_name_file_line_and_field(reader, name, code, line, field):
    _assert_error(reader, DATA / name, code, line, field)


def test_duplicate_error_names_first_line():
    with pytest.raises(ValueError, match=r"MESH:D003920.*first seen on line 6"):
        list(read_medic(DATA / "bad_kb_duplicate_id.tsv"))


def test_empty_jsonl_file(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n")
    _assert_error(read_concepts_jsonl, path, "MLE002", None)


@pytest.mark.parametrize("reader", [read_medic, read_concepts_jsonl, read_vocabulary])
def test_missing_file_raises_when_called(reader, tmp_path):
    path = tmp_path / "nope.tsv"
    with pytest.raises(ValueError, match=r"MLE001.*nope\.tsv"):
        reader(path)
    with pytest.raises(ValueError, match=r"MLE001.*it is a folder"):
        reader(tmp_path)


def test_invalid_on_error():
    with pytest.raises(ValueError, match=r"MLE012"):
        read_medic(TINY_MEDIC, on_error="ignore")


@pytest.mark.parametrize(
    "name,n_good,n_rows",
    [
        ("bad_kb_missing_columns.tsv", 1, 2),
        ("bad_kb_empty_id.tsv", 2, 3),
        ("bad_kb_duplicate_id.tsv", 3, 4),
        ("bad_kb_encoding.tsv", 2, 3),
    ],
)
def test_skip_counts_rows_and_warns_once(name, n_good, n_rows):
    stats = ReadStats()
    with pytest.warns(UserWarning, match=r"MLW001.*Skipped 1 of") as record:
        concepts = list(read_medic(DATA / name, on_error="skip", stats=stats))
    assert len([w for w in record if "MLW001" in str(w.message)]) == 1
    assert len(concepts) == n_good
    assert (stats.n_rows, stats.n_skipped, stats.n_concepts) == (n_rows, 1, n_good)
    assert len(stats.examples) == 1 and name in stats.examples[0]


def test_skip_mode_jsonl():
    with pytest.warns(UserWarning, match=r"MLW001.*first problems: .*line 2"):
        concepts = list(read_concepts_jsonl(DATA / "bad_kb_type.jsonl", on_error="skip"))
    assert [c.concept_id for c in concepts] == ["MESH:D003920"]


def test_good_file_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(list(read_medic(TINY_MEDIC, on_error="skip"))) == 10


def test_readers_are_independent_generators():
    first = read_medic(TINY_MEDIC)
    second = read_medic(TINY_MEDIC)
    assert next(first).concept_id == next(second).concept_id == "MESH:D003920"
    assert len(list(first)) == len(list(second)) == 9


# --- issue 13: damaged gzip files, ids with separators, lone surrogates -------------------


def _medic_row(concept_id, name, alt_ids=""):
    return "\t".join([name, concept_id, alt_ids, "", "", "", "", "", ""])


def _many_medic_rows(n=400):
    return "".join(_medic_row(f"MESH:D{i:06d}", f"Disease number {i}") + "\n" for i in range(n))


def _many_jsonl_rows(n=400):
    return "".join(f'{{"id": "MESH:D{i:06d}", "name": "Disease number {i}"}}\n' for i in range(n))


@pytest.mark.parametrize(
    "reader,suffix,rows",
    [(read_medic, ".tsv.gz", _many_medic_rows), (read_concepts_jsonl, ".jsonl.gz", _many_jsonl_rows)],
)
@pytest.mark.parametrize("damage", ["truncated", "not_gzip", "corrupt"])
def test_damaged_gzip_is_a_coded_error_naming_file_and_line(tmp_path, reader, suffix, rows, damage):
    data = rows().encode("utf8")
    compressed = gzip.compress(data)
    if damage == "truncated":  # EOFError inside gzip (the CLI printed only "Aborted.")
        content = compressed[: len(compressed) // 2]
    elif damage == "not_gzip":  # gzip.BadGzipFile
        content = data
    else:  # zlib.error: flip bytes of the deflate stream
        content = compressed[:20] + bytes(b ^ 0xFF for b in compressed[20:60]) + compressed[60:]
    path = tmp_path / f"vocab{suffix}"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"^\[MLE018\]") as err:
        list(reader(path, on_error="skip"))
    message = str(err.value)
    assert str(path) in message and "at line " in message
    if damage == "truncated":
        assert int(message.split("at line ")[1].split()[0]) > 1  # the line reached


@pytest.mark.parametrize(
    "line,field,found",
    [
        (_medic_row("MESH:D111111|MESH:D222222", "Composite"), "DiseaseID", "'|'"),
        (_medic_row("MESH:D111111 MESH:D222222", "Two ids"), "DiseaseID", "whitespace"),
        (_medic_row("MESH:D333333", "Alt", alt_ids="MESH:D1 MESH:D2|MESH:D4"), "AltDiseaseIDs", "whitespace"),
    ],
)
def test_medic_ids_with_separator_or_whitespace_are_rejected(tmp_path, line, field, found):
    path = tmp_path / "vocab.tsv"
    path.write_text(_medic_row("MESH:D000001", "Good") + "\n" + line + "\n", encoding="utf8")
    with pytest.raises(ValueError, match=r"^\[MLE020\]") as err:
        list(read_medic(path))
    message = str(err.value)
    assert f"{path}, line 2:" in message and f"'{field}'" in message and found in message


@pytest.mark.parametrize(
    "record,field,found",
    [
        ('{"id": "MESH:D111111|MESH:D222222", "name": "Composite"}', "id", "'|'"),
        ('{"id": "OMIM:1\\t2", "name": "Tab"}', "id", "a tab"),
        ('{"id": "MESH:D333333", "name": "Alt", "alt_ids": ["MESH:D1|MESH:D2"]}', "alt_ids", "'|'"),
    ],
)
def test_jsonl_ids_with_separator_or_whitespace_are_rejected(tmp_path, record, field, found):
    path = tmp_path / "vocab.jsonl"
    path.write_text('{"id": "MESH:D000001", "name": "Good"}\n' + record + "\n", encoding="utf8")
    with pytest.raises(ValueError, match=r"^\[MLE020\]") as err:
        list(read_concepts_jsonl(path))
    message = str(err.value)
    assert f"{path}, line 2:" in message and f"'{field}'" in message and found in message


def test_bad_ids_are_skipped_counted_and_reported_with_on_error_skip(tmp_path):
    path = tmp_path / "vocab.tsv"
    rows = [_medic_row("MESH:D000001", "Good"), _medic_row("MESH:D1|MESH:D2", "Composite")]
    path.write_text("\n".join(rows) + "\n", encoding="utf8")
    stats = ReadStats()
    with pytest.warns(UserWarning, match=r"MLW001.*Skipped 1 of 2.*MLE020"):
        concepts = list(read_medic(path, on_error="skip", stats=stats))
    assert [c.concept_id for c in concepts] == ["MESH:D000001"]
    assert stats.n_skipped == 1


def test_lone_surrogate_in_jsonl_is_a_coded_error(tmp_path):
    # A JSON escape can produce a lone surrogate, which only fails when the KB is written.
    path = tmp_path / "vocab.jsonl"
    path.write_text('{"id": "X:1", "name": "Good"}\n{"id": "X:2", "name": "Bad \\ud800"}\n', encoding="utf8")
    with pytest.raises(ValueError, match=r"^\[MLE019\]") as err:
        list(read_concepts_jsonl(path))
    assert f"{path}, line 2:" in str(err.value) and "'name'" in str(err.value)
    assert "\\ud800" in str(err.value)


@pytest.mark.parametrize("source", [TINY_MEDIC, TINY_JSONL])
def test_a_byte_order_mark_is_not_part_of_the_first_concept(tmp_path, source):
    """Editors on Windows write one; it made the JSONL line 1 invalid JSON (MLE007) and the
    first MEDIC name start with U+FEFF."""
    with_bom = tmp_path / source.name
    with_bom.write_bytes(b"\xef\xbb\xbf" + source.read_bytes())
    assert list(read_vocabulary(with_bom)) == list(read_vocabulary(source))

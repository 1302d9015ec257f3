"""`annotate` (issue 15): every input format to every output format on the bundled sample,
bad records counted and named, and resume after an interruption giving the same output."""
import gzip
import json
from pathlib import Path
from typing import List

import pytest
import srsly
from spacy.tokens import DocBin
from typer.testing import CliRunner

import spacy_medlink.annotate.run as run_module
from spacy_medlink.annotate.run import annotate, parts_folder
from spacy_medlink.cli import app
from sample_pipeline import SAMPLE, train_sample_pipeline

TEXTS = [
    "Germline BRCA1 mutations predispose to breast cancer.",
    "We studied ovarian cancer in two families.",
    "No disease is named here.",
    "Breast cancer and ovarian cancer were frequent.",
    "Cancer of the breast was diagnosed early.",
]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return train_sample_pipeline(tmp_path_factory.mktemp("annotate") / "model", epochs=5, threshold=None)


def _jsonl(path: Path, lines) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def _records(tmp_path) -> Path:
    return _jsonl(tmp_path / "in.jsonl", [{"text": t, "meta": {"n": i}} for i, t in enumerate(TEXTS)])


def test_jsonl_in_jsonl_out_keeps_meta_and_links(model, tmp_path):
    out = tmp_path / "out.jsonl"
    summary = annotate(model, _records(tmp_path), out, shard_size=2, progress=False)
    records = list(srsly.read_jsonl(out))
    assert [r["meta"]["n"] for r in records] == list(range(len(TEXTS)))
    assert summary.n_records == summary.n_annotated == len(TEXTS) and summary.n_shards == 3
    first = records[0]["entities"][0]
    assert first["text"] == "breast cancer" and first["kb_id"] == "MESH:D001943"
    assert first["name"] == "Breast Neoplasms" and first["category"] and 0 < first["score"] <= 1
    assert records[2]["entities"] == []
    assert not parts_folder(out).exists()
    assert json.loads((tmp_path / "out.jsonl.summary.json").read_text())["n_entities"] == summary.n_entities


def test_gzipped_jsonl_and_text_folder_and_pubtator_inputs(model, tmp_path):
    gz = tmp_path / "in.jsonl.gz"
    gz.write_bytes(gzip.compress(b"".join(json.dumps({"text": t}).encode() + b"\n" for t in TEXTS)))
    folder = tmp_path / "texts"
    folder.mkdir()
    for i, text in enumerate(TEXTS):
        (folder / f"doc{i}.txt").write_text(text)
    by_input = {}
    for name, path in (("gz", gz), ("folder", folder), ("pubtator", SAMPLE / "dev.pubtator.txt")):
        out = tmp_path / f"{name}.pubtator.txt"
        summary = annotate(model, path, out, progress=False)
        by_input[name] = out.read_text()
        assert summary.n_bad == 0 and summary.n_annotated == summary.n_records
    assert by_input["gz"].count("|t|") == by_input["folder"].count("|t|") == len(TEXTS)
    # The same texts give the same mentions, whatever the input format.
    mentions = lambda text: sorted(l.split("\t", 1)[1] for l in text.splitlines() if l.count("\t") == 5)
    assert mentions(by_input["gz"]) == mentions(by_input["folder"])
    assert "\tMESH:D001943" in by_input["pubtator"]


def test_docbin_output_holds_the_docs_with_their_links(model, tmp_path):
    out = tmp_path / "out.spacy"
    annotate(model, _records(tmp_path), out, shard_size=2, progress=False)
    import spacy

    docs = list(DocBin().from_disk(out).get_docs(spacy.blank("en").vocab))
    assert [d.text for d in docs] == TEXTS
    assert docs[0].user_data["medlink_annotate"]["meta"] == {"n": 0}
    assert [e.kb_id_ for e in docs[0].ents] == ["MESH:D001943"]


def test_bad_records_are_counted_and_named_or_fatal(model, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"text": "breast cancer"}\nnot json\n{"meta": {}}\n{"text": 3}\n[1]\n{"text": "caf\xe9"}\n\n{"text": "ovarian cancer"}\n')
    out = tmp_path / "out.jsonl"
    with pytest.warns(UserWarning, match=r"MLW320.*Skipped 5 bad input records of 7"):
        summary = annotate(model, path, out, progress=False)
    assert summary.n_records == 7 and summary.n_bad == 5 and summary.n_annotated == 2
    assert [b.split(": ", 1)[0] for b in summary.bad] == [f"{path}, line {n}" for n in (2, 3, 4, 5, 6)]
    assert "invalid JSON" in summary.bad[0] and 'no "text"' in summary.bad[1] and "undecodable" in summary.bad[4]
    assert [r["text"] for r in srsly.read_jsonl(out)] == ["breast cancer", "ovarian cancer"]
    with pytest.raises(ValueError, match=r"\[MLE320\].*bad.jsonl, line 2: invalid JSON"):
        annotate(model, path, tmp_path / "fail.jsonl", on_error="fail", progress=False)


def _interrupted_run(model, source: Path, out: Path, monkeypatch, n_finished: int) -> List[Path]:
    """Annotate with shards of 2 and stop while writing shard n_finished, as a kill would
    (leaving a .tmp); RETURNS the finished shards."""
    written = []
    real_write = run_module.write_shard

    def crash(path, *args):
        if len(written) == n_finished:
            path.with_name(path.name + ".tmp").write_text("half a shard")  # what a kill leaves
            raise KeyboardInterrupt
        written.append(path)
        real_write(path, *args)

    monkeypatch.setattr(run_module, "write_shard", crash)
    with pytest.raises(KeyboardInterrupt):
        annotate(model, source, out, shard_size=2, progress=False)
    monkeypatch.setattr(run_module, "write_shard", real_write)
    return written


def test_an_interrupted_run_resumes_to_the_same_output(model, tmp_path, monkeypatch):
    source = _records(tmp_path)
    annotate(model, source, tmp_path / "whole.jsonl", shard_size=2, progress=False)
    out = tmp_path / "resumed.jsonl"
    _interrupted_run(model, source, out, monkeypatch, n_finished=1)
    assert not out.exists() and len(list(parts_folder(out).glob("shard-*.jsonl"))) == 1
    with pytest.raises(ValueError, match=r"\[MLE324\]"):  # not without --resume
        annotate(model, source, out, shard_size=2, progress=False)
    # nor with other settings, and the error names the setting that changed
    with pytest.raises(ValueError, match=r"\[MLE323\].*made with \{'shard_size': 2\}; this run has \{'shard_size': 3\}"):
        annotate(model, source, out, shard_size=3, resume=True, progress=False)
    summary = annotate(model, source, out, shard_size=2, resume=True, progress=False)
    assert summary.n_from_earlier_run == 2 and summary.n_annotated == 3
    strip = lambda p: [{k: v for k, v in r.items()} for r in srsly.read_jsonl(p)]
    assert strip(out) == strip(tmp_path / "whole.jsonl")


@pytest.mark.slow
def test_two_processes_give_the_same_output_through_the_cli(model, tmp_path):
    source = _records(tmp_path)
    for n in ("1", "2"):
        result = CliRunner().invoke(app, ["annotate", str(model), str(source), str(tmp_path / f"n{n}.jsonl"), "-n", n, "--shard-size", "2"])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "n1.jsonl").read_text() == (tmp_path / "n2.jsonl").read_text()


def test_cli_reports_a_missing_text_field_as_a_coded_error(model, tmp_path):
    path = _jsonl(tmp_path / "in.jsonl", [{"meta": {}}])
    result = CliRunner().invoke(app, ["annotate", str(model), str(path), str(tmp_path / "o.jsonl"), "--on-error", "fail"])
    assert result.exit_code == 1 and "[MLE320]" in result.output and "line 1" in result.output


def test_an_output_inside_the_input_folder_is_not_read_as_input(model, tmp_path):
    folder = tmp_path / "texts"
    folder.mkdir()
    for i, text in enumerate(TEXTS[:3]):
        (folder / f"doc{i}.txt").write_text(text)
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "x.txt").write_text("not input")
    out = folder / "out.jsonl"
    for _ in range(2):  # the second run must not read the first run's output
        summary = annotate(model, folder, out, shard_size=1, progress=False)
        assert summary.n_records == 3 and [r["id"] for r in srsly.read_jsonl(out)] == ["doc0.txt", "doc1.txt", "doc2.txt"]


def test_a_failed_start_leaves_no_parts_folder(model, tmp_path):
    source, out = _records(tmp_path), tmp_path / "out.jsonl"
    with pytest.raises(ValueError, match=r"\[MLE325\]"):
        annotate(model, source, out, input_format="csv", progress=False)
    with pytest.raises(ValueError, match=r"\[MLE325\]"):
        annotate(model, source, out, backend="spark", progress=False)
    with pytest.raises(OSError):
        annotate(tmp_path / "no_model", source, out, progress=False)
    assert not parts_folder(out).exists()
    annotate(model, source, out, progress=False)  # the corrected run needs no --resume


def test_pubtator_output_reads_back_with_the_same_offsets(model, tmp_path):
    from spacy_medlink.training.pubtator import read_pubtator

    text = "Germline BRCA1 mutations\tpredispose to breast cancer.\r\nOne | two."
    source = _jsonl(tmp_path / "in.jsonl", ["\ufeff" + json.dumps({"text": text, "id": "a b|c"}), {"text": TEXTS[0], "id": ""}])
    source.write_bytes(source.read_text().encode("utf8"))
    out = tmp_path / "out.pubtator.txt"
    summary = annotate(model, source, out, progress=False)
    assert summary.n_bad == 0  # the byte-order mark is not part of the first record
    documents = list(read_pubtator(out))
    assert [d.pmid for d in documents] == ["a_b_c", "in.jsonl:2"]
    first = documents[0]
    assert len(first.title) == len(text) and all(first.text[m.start:m.end] == m.text for m in first.mentions)
    assert {m.text for m in first.mentions} >= {"breast cancer"}


@pytest.mark.parametrize("option, value, name", [
    ("--batch-size", "0", "--batch-size"), ("-n", "0", "--n-process"),
    ("--shard-size", "0", "--shard-size"), ("--batch-size", "-2", "--batch-size"),
])
def test_cli_rejects_counts_below_one_before_any_output(model, tmp_path, option, value, name):
    # --batch-size 0 annotated nothing (rc 0); -n 0 and --shard-size 0 crashed and left
    # OUTPUT.parts/ behind, so the corrected rerun was refused with MLE324.
    source, out = _records(tmp_path), tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["annotate", str(model), str(source), str(out), option, value])
    assert result.exit_code == 1, result.output
    assert "[MLE307]" in result.output and f"{name} {value}" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert not parts_folder(out).exists() and not out.exists()


def test_a_pipeline_that_sets_no_entities_warns_with_its_components(model, tmp_path):
    import spacy

    nlp = spacy.load(model)
    nlp.remove_pipe("entity_ruler")  # a linker-only pipeline, like training/linker/model-best
    nlp.to_disk(tmp_path / "linker_only")
    with pytest.warns(UserWarning, match=r"MLW321.*no component that sets entities \(components: medlink_abbreviations, medical_entity_linker\)"):
        summary = annotate(tmp_path / "linker_only", _records(tmp_path), tmp_path / "out.jsonl", progress=False)
    assert summary.n_annotated == len(TEXTS) and summary.n_entities == 0


def test_resume_redoes_a_finished_shard_that_changed_since(model, tmp_path, monkeypatch):
    source = _records(tmp_path)
    annotate(model, source, tmp_path / "whole.jsonl", shard_size=2, progress=False)
    out = tmp_path / "resumed.jsonl"
    first, second = _interrupted_run(model, source, out, monkeypatch, n_finished=2)
    first.write_bytes(first.read_bytes()[:10])  # cut short after its run (disk, a user, a sync tool)
    (second.with_name(second.name + ".done")).unlink()  # killed between the shard and its receipt
    with pytest.warns(UserWarning, match=r"\[MLW322\].*2 shard\(s\).*shard-000000.jsonl, shard-000001.jsonl"):
        summary = annotate(model, source, out, shard_size=2, resume=True, progress=False)
    assert summary.n_from_earlier_run == 0 and summary.n_annotated == 5
    assert list(srsly.read_jsonl(out)) == list(srsly.read_jsonl(tmp_path / "whole.jsonl"))


@pytest.mark.parametrize("content, problem", [("", "has no records"), ('{"no_text": 1}\nnot json\n', "has 2 records, all bad")])
def test_an_input_without_a_good_record_is_an_error_not_an_empty_output(model, tmp_path, content, problem):
    source = tmp_path / "in.jsonl"
    source.write_text(content)
    out = tmp_path / "out.jsonl"
    with pytest.raises(ValueError, match=rf"\[MLE322\].*in.jsonl {problem}"):
        annotate(model, source, out, progress=False)
    assert not out.exists() and not parts_folder(out).exists()

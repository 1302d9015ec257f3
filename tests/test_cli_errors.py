"""issue 13: every command shows our coded errors as one message (exit code 1, no
traceback), keeps the traceback of anything else, and checks its outputs first."""
from pathlib import Path

import pytest
import spacy
import srsly
from typer.testing import CliRunner

from medlink_bench.__main__ import app as bench_app
from spacy_medlink.cli import app
from spacy_medlink.cli._app import check_output_path, coded_errors, save_json
from spacy_medlink.errors import Errors
from spacy_medlink.integrity import MANIFEST_FILE, _digest_of, file_sha256, write_manifest
from spacy_medlink.training.gold_corpus import read_gold

DATA = Path(__file__).parent / "data"
TINY_MEDIC = DATA / "tiny_medic.tsv"
TINY_PUBTATOR = DATA / "tiny.pubtator.txt"


def _folded(output: str) -> str:
    return " ".join(output.split())  # wasabi wraps long messages at the terminal width


def test_coded_error_becomes_a_message_and_exit_code_1(capsys):
    with pytest.raises(SystemExit) as exit_:
        with coded_errors():
            raise ValueError(Errors.E001.format(path="vocab.tsv", problem=""))
    assert exit_.value.code == 1
    assert "[MLE001] Vocabulary file not found: vocab.tsv." in _folded(capsys.readouterr().out)


def test_coded_os_error_becomes_a_message(capsys):
    with pytest.raises(SystemExit):
        with coded_errors():
            raise OSError(Errors.E304.format(what="x", path="p", blocker="p"))
    assert "MLE304" in capsys.readouterr().out


@pytest.mark.parametrize("error", [ValueError("a bug"), OSError("disk on fire"), KeyError("k")])
def test_other_exceptions_propagate(error):
    with pytest.raises(type(error)):
        with coded_errors():
            raise error


def test_eof_error_keeps_its_traceback():
    # click would turn a stray EOFError into a bare "Aborted.".
    with pytest.raises(RuntimeError, match="EOFError") as err:
        with coded_errors():
            raise EOFError("no data")
    assert isinstance(err.value.__cause__, EOFError)


def test_coded_warnings_print_without_python_s_prefix_while_a_command_runs():
    import warnings

    python_format = warnings.formatwarning
    with coded_errors():
        coded = warnings.formatwarning(UserWarning("[MLW112] Skipped 2 relation lines"), UserWarning, "/x/convert.py", 7)
        other = warnings.formatwarning(UserWarning("from a library"), UserWarning, "/x/lib.py", 9)
    assert coded == "\u26a0 [MLW112] Skipped 2 relation lines\n"
    assert "/x/lib.py:9: UserWarning: from a library" in other
    assert warnings.formatwarning is python_format  # restored: library use keeps Python's


def test_a_command_s_coded_warning_on_stderr_is_one_line(tmp_path):
    import subprocess
    import sys

    source = tmp_path / "with_relation.txt"
    source.write_text("7|t|Renal failure\n7|a|Seen.\n7\t0\t13\tRenal failure\tDisease\tD051437\n"
                      "7\tCID\tD008094\tD051437\n\n", encoding="utf8")
    run = subprocess.run([sys.executable, "-m", "spacy_medlink", "convert", str(source), str(tmp_path / "out.spacy")],
                         capture_output=True, text=True, check=True)
    assert "\u26a0 [MLW112]" in run.stderr
    assert "UserWarning" not in run.stderr and "warnings.warn(" not in run.stderr


def test_non_coded_error_in_a_command_keeps_its_traceback(tmp_path, monkeypatch):
    import spacy_medlink.cli.convert as convert_cli

    def broken(*args, **kwargs):
        raise ValueError("a bug, not an input error")

    monkeypatch.setattr(convert_cli, "convert_pubtator", broken)
    result = CliRunner().invoke(app, ["convert", str(TINY_PUBTATOR), str(tmp_path / "out.spacy")])
    assert isinstance(result.exception, ValueError) and "a bug" in str(result.exception)


def test_evaluate_shows_coded_errors(tmp_path):
    # evaluate had no handler: a coded error ended in a traceback.
    model = tmp_path / "blank"
    spacy.blank("en").to_disk(model)
    result = CliRunner().invoke(app, ["evaluate", str(model), str(TINY_PUBTATOR)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "[MLE301]" in _folded(result.output) and "medical_entity_linker" in result.output


def _command_args(tmp_path: Path, out: Path):
    """Arguments of every command, with the output at `out`; inputs only need to exist."""
    folder = tmp_path / "model"
    folder.mkdir(exist_ok=True)
    pool = tmp_path / "pool.jsonl"
    pool.write_text('{"text": "One."}\n')
    data = str(TINY_PUBTATOR)
    return {
        "build-kb": ["build-kb", str(TINY_MEDIC), str(out), "--dim", "2"],
        "convert": ["convert", data, str(out / "corpus.spacy")],
        "assemble": ["assemble", str(folder), str(folder), str(out)],
        "calibrate": ["calibrate", str(folder), data, "--output", str(out)],
        "evaluate": ["evaluate", str(folder), data, "--output", str(out / "metrics.json")],
        "evaluate-errors": ["evaluate", str(folder), data, "--errors", str(out / "errors.jsonl")],
        # The project's benchmark harness has a CLI of its own (python -m medlink_bench).
        "benchmark": [str(folder), data, "-t", data, "-v", str(TINY_MEDIC), "-o", str(out)],
        "weak-label": ["weak-label", str(folder), str(pool), str(out / "silver.spacy")],
        "weak-label-report": ["weak-label", str(folder), str(pool), str(tmp_path / "s.spacy"), "-r", str(out / "r.json")],
        "self-train": ["self-train", str(TINY_MEDIC), str(folder), str(pool), data, data, str(out)],
        "package-meta": ["package-meta", str(folder), str(out / "meta.json"), "-n", "x", "-v", "0.1.0"],
        "kb-update": ["kb-update", str(folder), str(TINY_MEDIC), "-o", str(out)],
        "kb-update-report": ["kb-update", str(folder), str(TINY_MEDIC), "-r", str(out / "report.json")],
    }


@pytest.mark.parametrize(
    "command",
    ["build-kb", "convert", "assemble", "calibrate", "evaluate", "evaluate-errors", "benchmark",
     "weak-label", "weak-label-report", "self-train", "package-meta", "kb-update", "kb-update-report"],
)
def test_every_command_rejects_an_output_under_a_regular_file_before_working(tmp_path, command):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    args = _command_args(tmp_path, blocker / "out")[command]
    result = CliRunner().invoke(bench_app if command == "benchmark" else app, args)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    output = _folded(result.output)
    assert "[MLE303]" in output and f"{blocker} is a file, not a folder" in output
    assert "Traceback" not in result.output


def _same_path_args(tmp_path: Path):
    """Commands whose output is one of their inputs, or whose two outputs are one file."""
    folder = tmp_path / "model"
    folder.mkdir(exist_ok=True)
    corpus = tmp_path / "corpus.pubtator.txt"
    corpus.write_text(TINY_PUBTATOR.read_text())
    pool = tmp_path / "pool.jsonl"
    pool.write_text('{"text": "One."}\n')
    vocabulary = tmp_path / "vocabulary.tsv"
    vocabulary.write_text(TINY_MEDIC.read_text())
    same = str(tmp_path / "same.json")
    return {
        "convert": (["convert", str(corpus), str(corpus)], corpus, "the input corpus"),
        "evaluate": (["evaluate", str(folder), str(corpus), "-o", str(corpus)], corpus, "the gold corpus"),
        "evaluate-two-outputs": (["evaluate", str(folder), str(corpus), "-o", same, "-e", same], None, "metrics"),
        "weak-label": (["weak-label", str(folder), str(pool), str(pool)], pool, "the unlabeled texts"),
        "weak-label-report": (["weak-label", str(folder), str(pool), same, "-r", same], None, "the silver DocBin"),
        "annotate": (["annotate", str(folder), str(pool), str(pool)], pool, "the input"),
        "kb-update": (["kb-update", str(folder), str(vocabulary), "-r", str(vocabulary)], vocabulary, "the vocabulary"),
    }


@pytest.mark.parametrize("command", ["convert", "evaluate", "evaluate-two-outputs", "weak-label", "weak-label-report", "annotate", "kb-update"])
def test_no_command_writes_over_its_input_or_its_other_output(tmp_path, command):
    args, input_file, other = _same_path_args(tmp_path)[command]
    before = input_file.read_bytes() if input_file is not None else None
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "[MLE310]" in _folded(result.output) and f"that path is also {other}" in _folded(result.output)
    if input_file is not None:
        assert input_file.read_bytes() == before


def test_check_output_path(tmp_path):
    (tmp_path / "file.json").write_text("{}")
    assert check_output_path(tmp_path / "new" / "deeper" / "out.json", "x") == tmp_path / "new" / "deeper" / "out.json"
    assert not (tmp_path / "new").exists()  # nothing is created
    check_output_path(tmp_path / "file.json", "x")  # overwriting a file is fine
    with pytest.raises(OSError, match=r"^\[MLE305\].*expected a file path, found an existing folder"):
        check_output_path(tmp_path, "x")
    with pytest.raises(OSError, match=r"^\[MLE305\].*expected a folder path, found an existing file"):
        check_output_path(tmp_path / "file.json", "x", folder=True)
    with pytest.raises(OSError, match=r"^\[MLE303\]"):
        check_output_path(tmp_path / "file.json" / "a" / "b", "x", folder=True)


def test_save_json_names_the_path(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError, match=r"^\[MLE303\] Cannot write metrics to .*file/m\.json"):
        save_json(tmp_path / "file" / "m.json", {}, "metrics")
    save_json(tmp_path / "ok" / "m.json", {"a": 1}, "metrics")
    assert (tmp_path / "ok" / "m.json").read_text().strip().startswith("{")


@pytest.mark.parametrize("dim", ["0", "-3"])
def test_build_kb_rejects_a_dim_below_1_before_reading_the_vocabulary(tmp_path, dim):
    result = CliRunner().invoke(app, ["build-kb", str(TINY_MEDIC), str(tmp_path / "kb"), "--dim", dim])
    assert result.exit_code == 1 and "[MLE022]" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "kb").exists()


@pytest.mark.parametrize("target", ["empty folder", "file", "missing", "manifest of no files"])
def test_verify_fails_when_nothing_can_be_verified(tmp_path, target):
    """A CI check must not pass on the wrong folder (it exited 0 with a warning)."""
    path = tmp_path / "model"
    if target in ("empty folder", "manifest of no files"):
        path.mkdir()
    elif target == "file":
        path.write_text("{}")
    if target == "manifest of no files":
        write_manifest(path)
    result = CliRunner().invoke(app, ["verify", str(path)])
    assert result.exit_code == 1 and "[MLE039]" in result.output, result.output


def test_verify_refuses_a_manifest_entry_outside_its_folder(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("not the pipeline's")
    path = tmp_path / "model"
    path.mkdir()
    (path / "own.txt").write_text("own")
    write_manifest(path)
    manifest = srsly.read_json(path / MANIFEST_FILE)
    manifest["files"]["../outside.txt"] = {"bytes": outside.stat().st_size, "sha256": file_sha256(outside)}
    manifest["sha256"] = _digest_of(manifest["files"])  # a consistent manifest, not a damaged one
    srsly.write_json(path / MANIFEST_FILE, manifest)
    result = CliRunner().invoke(app, ["verify", str(path)])
    assert result.exit_code == 1 and "[MLE033]" in result.output, result.output


def test_convert_names_an_unknown_language(tmp_path):
    result = CliRunner().invoke(app, ["convert", str(TINY_PUBTATOR), str(tmp_path / "c.spacy"), "-l", "zz"])
    assert result.exit_code == 1 and "[MLE130]" in result.output and "'zz'" in result.output
    assert "Traceback" not in result.output


def test_evaluate_on_a_docbin_without_documents_says_so(tmp_path):
    from spacy.tokens import DocBin

    DocBin().to_disk(tmp_path / "empty.spacy")
    with pytest.raises(ValueError, match=r"MLE300.*found 1 file\(s\) without a document"):
        read_gold(tmp_path / "empty.spacy")


def test_a_failed_write_leaves_no_partial_output_and_names_the_file(tmp_path, monkeypatch):
    from spacy.tokens import DocBin

    def full_disk(self, path):
        Path(path).write_bytes(b"\x00" * 100)  # the part that fitted
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(DocBin, "to_disk", full_disk)
    out = tmp_path / "corpus.spacy"
    result = CliRunner().invoke(app, ["convert", str(TINY_PUBTATOR), str(out)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "[MLE306]" in _folded(result.output) and "No space left on device" in _folded(result.output)
    assert list(tmp_path.iterdir()) == []  # neither a truncated corpus.spacy nor its .tmp


def test_convert_refuses_an_output_the_readers_would_not_take_for_a_docbin(tmp_path):
    result = CliRunner().invoke(app, ["convert", str(TINY_PUBTATOR), str(tmp_path / "corpus.json")])
    assert result.exit_code == 1 and "[MLE137]" in result.output and "corpus.spacy" in _folded(result.output)
    assert not (tmp_path / "corpus.json").exists()


def test_a_file_linked_into_a_pipeline_folder_still_verifies(tmp_path):
    # e.g. a big memory-mapped KB array symlinked rather than copied: lexically inside the folder
    outside = tmp_path / "big.bin"
    outside.write_bytes(b"\x01" * 64)
    path = tmp_path / "model"
    path.mkdir()
    (path / "big.bin").symlink_to(outside)
    write_manifest(path)
    result = CliRunner().invoke(app, ["verify", str(path)])
    assert result.exit_code == 0, result.output

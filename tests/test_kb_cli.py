import gzip
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from spacy.vocab import Vocab
from typer.testing import CliRunner

from spacy_medlink.cli import app
from spacy_medlink.kb.build_from_files import build_kb_from_paths
from spacy_medlink.training.gold_corpus import mention_texts_and_ids
from spacy_medlink.kb.medlink_kb import MedlinkKB

DATA = Path(__file__).parent / "data"
TINY_MEDIC = DATA / "tiny_medic.tsv"

TITLE = "Breast cancer and headache."
ABSTRACT = "Patients with IDDM had headaches."
MENTIONS = [  # (start, end, type, ids) over TITLE + " " + ABSTRACT
    (0, 13, "SpecificDisease", "D001943"),
    (18, 26, "DiseaseClass", "D006261"),
    (42, 46, "SpecificDisease", "OMIM:222100"),
    (51, 60, "CompositeMention", "D006261|D020773"),
]


@pytest.fixture
def corpus_path(tmp_path):
    text = f"{TITLE} {ABSTRACT}"
    lines = [f"1|t|{TITLE}", f"1|a|{ABSTRACT}"]
    lines += [f"1\t{s}\t{e}\t{text[s:e]}\t{t}\t{ids}" for s, e, t, ids in MENTIONS]
    path = tmp_path / "tiny_corpus.pubtator.txt"
    path.write_text("\n".join(lines) + "\n\n", encoding="utf8")
    return path


def test_build_kb_from_paths_uses_single_id_mentions(corpus_path, tmp_path):
    kb, report = build_kb_from_paths(
        TINY_MEDIC, tmp_path / "kb", corpus_mentions=mention_texts_and_ids([corpus_path]),
        corpus_names=[str(corpus_path)], dim=8, progress=False,
    )
    assert report.n_corpus_mentions == 3 and report.n_corpus_multi_id == 1
    assert report.build.n_extra_aliases == 3 and report.build.n_unknown_extra_ids == 0
    assert kb.store.alias_counts["iddm"] == {"MESH:D003922": 1}
    assert kb.meta["corpus"] == [str(corpus_path)]
    loaded = MedlinkKB.load(tmp_path / "kb", Vocab())
    assert sorted(loaded.get_alias_strings()) == sorted(kb.get_alias_strings())
    assert loaded.meta["corpus"] == [str(corpus_path)]


def test_cli_reports_coded_error_without_traceback(tmp_path):
    result = CliRunner().invoke(app, ["build-kb", str(DATA / "bad_kb_missing_columns.tsv"), str(tmp_path / "kb"), "--dim", "4"])
    assert result.exit_code == 1
    # wasabi wraps long messages at the terminal width, so compare with whitespace folded.
    output = " ".join(result.output.split())
    assert "MLE003" in output and "line 7" in output
    assert "Traceback" not in result.output
    assert not (tmp_path / "kb").exists()


def test_cli_skip_bad_rows(tmp_path):
    with pytest.warns(UserWarning, match="MLW001"):
        result = CliRunner().invoke(
            app, ["build-kb", str(DATA / "bad_kb_duplicate_id.tsv"), str(tmp_path / "kb"), "--dim", "2", "--skip-bad-rows"]
        )
    assert result.exit_code == 0, result.output
    assert "skipped vocabulary rows" in result.output
    assert MedlinkKB.load(tmp_path / "kb", Vocab()).get_size_entities() == 3


def test_cli_subprocess_smoke(corpus_path, tmp_path):
    output = tmp_path / "kb"
    result = subprocess.run(
        [sys.executable, "-m", "spacy_medlink", "build-kb", str(TINY_MEDIC), str(output),
         "--corpus", str(corpus_path), "--dim", "8", "--name", "tiny"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "concepts" in result.stdout and "10" in result.stdout
    assert "peak RSS" in result.stdout
    kb = MedlinkKB.load(output, Vocab())
    assert kb.get_size_entities() == 10 and kb.meta["name"] == "tiny"
    assert kb.entity_vector_length == 8


def test_build_kb_unknown_encoder_is_a_coded_error(tmp_path):
    with pytest.raises(ValueError, match=r"\[MLE011\].*LSAConceptEncoder"):
        build_kb_from_paths(TINY_MEDIC, None, encoder="no.such.Encoder.v1", progress=False)


def test_build_kb_accepts_a_registered_encoder(tmp_path):
    import numpy as np
    from spacy.util import registry

    class OnesEncoder:
        def __call__(self, concepts):
            return np.ones((len(concepts), 3), dtype="float32")

    registry.misc.register("test.OnesEncoder.v1", func=lambda: OnesEncoder())
    kb, _ = build_kb_from_paths(TINY_MEDIC, None, encoder="test.OnesEncoder.v1", progress=False)
    assert kb.entity_vector_length == 3


def test_cli_truncated_gzip_vocabulary_is_a_coded_error_not_aborted(tmp_path):
    # issue 13: gzip's EOFError made click print only "Aborted.".
    rows = "".join(f"Disease {i}\tMESH:D{i:06d}\t\t\t\t\t\t\t\n" for i in range(400))
    compressed = gzip.compress(rows.encode("utf8"))
    path = tmp_path / "vocab.tsv.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    result = CliRunner().invoke(app, ["build-kb", str(path), str(tmp_path / "kb"), "--dim", "2"])
    output = " ".join(result.output.split())
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "MLE018" in output and "vocab.tsv.gz" in output and "Aborted" not in output
    assert not (tmp_path / "kb").exists()


def test_the_cli_imports_without_the_unix_only_resource_module():
    """cli/build_kb.py imported `resource` at module level: no command imported on Windows."""
    # Reloaded with `resource` hidden (psutil, imported by a dependency, needs it on Linux).
    code = ("import importlib, sys\n"
            "from spacy_medlink.cli import build_kb\n"
            "sys.modules['resource'] = None\n"
            "assert importlib.reload(build_kb)._peak_rss_mb() is None\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cli_corpus_folder_gives_the_aliases_of_its_files(corpus_path, tmp_path):
    # `build-kb --corpus corpus/train_linker`: a folder of corpora counts as its files together.
    folder = tmp_path / "corpora"
    folder.mkdir()
    shutil.copy(corpus_path, folder / f"first{corpus_path.suffix}")
    shutil.copy(corpus_path, folder / f"second{corpus_path.suffix}")
    runner = CliRunner()
    for name, corpus in (("from_folder", [folder]), ("from_files", [folder / f"first{corpus_path.suffix}", folder / f"second{corpus_path.suffix}"])):
        args = ["build-kb", str(TINY_MEDIC), str(tmp_path / name), "--dim", "4"]
        for path in corpus:
            args += ["--corpus", str(path)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    from_folder = MedlinkKB.load(tmp_path / "from_folder", Vocab())
    from_files = MedlinkKB.load(tmp_path / "from_files", Vocab())
    assert from_folder.meta["n_extra_aliases"] == from_files.meta["n_extra_aliases"] > 0
    assert sorted(from_folder.get_alias_strings()) == sorted(from_files.get_alias_strings())

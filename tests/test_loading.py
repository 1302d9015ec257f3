"""Loading the pipeline a command was given (spacy_medlink/loading.py): coded errors instead
of spaCy's E050/E053 tracebacks, and installed packages' folders."""
import spacy
import pytest
from typer.testing import CliRunner

from spacy_medlink.cli import app
from spacy_medlink.loading import load_pipeline, pipeline_folder


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    path = tmp_path_factory.mktemp("loading") / "package" / "en_tiny-0.0.1"
    path.mkdir(parents=True)
    spacy.blank("en").to_disk(path)
    return path


def test_a_pipeline_folder_and_a_package_folder_load(pipeline):
    assert pipeline_folder(pipeline) == pipeline
    assert pipeline_folder(pipeline.parent) == pipeline
    assert load_pipeline(pipeline.parent).lang == "en"


@pytest.mark.parametrize("problem", ["no such folder", "empty folder", "file", "two pipelines"])
def test_what_spacy_cannot_load_is_a_coded_error_naming_it(problem, pipeline, tmp_path):
    target = tmp_path / "model"
    if problem == "empty folder":
        target.mkdir()
    elif problem == "file":
        target.write_text("{}")
    elif problem == "two pipelines":
        for name in ("a", "b"):
            (target / name).mkdir(parents=True)
            spacy.blank("en").to_disk(target / name)
    with pytest.raises(OSError, match=rf"\[MLE042\] Cannot load the pipeline {target}"):
        load_pipeline(target)


def test_a_command_given_a_folder_without_a_pipeline_exits_with_the_coded_error(tmp_path):
    """`training/linker` instead of `training/linker/model-best`: no traceback."""
    (tmp_path / "linker" / "model-best").mkdir(parents=True)
    gold = tmp_path / "gold.txt"
    gold.write_text("1|t|A title\n1|a|An abstract.\n", encoding="utf8")
    for command in (["evaluate", str(tmp_path / "linker"), str(gold)],
                    ["calibrate", str(tmp_path / "linker"), str(gold), "-o", str(tmp_path / "out")]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 1, (command, result.output)
        assert "[MLE042]" in result.output and "Traceback" not in result.output

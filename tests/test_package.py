"""Installable pipeline packages: the meta written for `spacy package`, and a wheel that a
fresh virtual environment installs offline and loads by name, with sockets blocked and
without importing spacy_medlink."""
import importlib.util
import json
import shlex
import shutil
import site
import subprocess
import sys
import zipfile
from importlib import metadata as importlib_metadata
from pathlib import Path

import pytest
import spacy
import srsly
from packaging.requirements import Requirement
from packaging.version import Version
from spacy.cli.package import package
from spacy.training import Example
from thinc.api import Adam

from spacy_medlink.kb.build import build_kb
from spacy_medlink.kb.encoders import create_lsa_encoder
from spacy_medlink.kb.readers import read_vocabulary
from spacy_medlink.pipeline.features import N_FEATURES
from spacy_medlink.cli.package_meta import (
    REQUIREMENT,
    TRANSFORMERS_REQUIREMENT,
    package_requirements,
    build_package_meta,
    folder_sha256,
    report_date,
    summarize_metrics,
    write_package_meta,
)

DATA = Path(__file__).parent / "data"
VOCAB = DATA / "linker_vocab.jsonl"
PACKAGE_NAME = "medlink_pkgtest"
# (text, [(start, end, gold id)]) written for these tests; the entity_ruler finds the spans.
TRAIN = [
    ("Women with breast cancer were screened.", [(11, 24, "MESH:D001943")]),
    ("Ovarian cancer is often found late.", [(0, 14, "MESH:D010051")]),
    ("Mucoviscidosis (CF) affects the lungs; CF is inherited.",
     [(0, 14, "MESH:D003550"), (16, 18, "MESH:D003550"), (39, 41, "MESH:D003550")]),
    ("Chronic pain and diabetes were common.", [(8, 12, "MESH:D010146"), (17, 25, "MESH:D003920")]),
]
PATTERNS = [{"label": "DISEASE", "pattern": term} for term in
            ("breast cancer", "Ovarian cancer", "Mucoviscidosis", "CF", "pain", "diabetes")]
# Run in the fresh environment: block the network first, then load by package name only.
LOAD_SCRIPT = """
import json, socket, sys

def _blocked(*args, **kwargs):
    raise OSError("network access blocked by the test")

socket.socket.connect = _blocked
socket.socket.connect_ex = _blocked
socket.create_connection = _blocked

import spacy

nlp = spacy.load(sys.argv[1])
texts = json.loads(sys.argv[2])
single = [[(e.text, e.label_, e.kb_id_) for e in nlp(t).ents] for t in texts]
multi = [[(e.text, e.label_, e.kb_id_) for e in d.ents] for d in nlp.pipe(texts, n_process=2)]
module = sys.modules[nlp.meta["lang"] + "_" + nlp.meta["name"]]
print(json.dumps({"single": single, "multi": multi, "module_file": module.__file__,
                  "requirements": nlp.meta["requirements"]}))
"""


def _train_tiny_pipeline(path: Path) -> None:
    """entity_ruler + medlink_abbreviations + medical_entity_linker over a 8-concept KB."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    nlp.add_pipe("medlink_abbreviations")
    linker = nlp.add_pipe("medical_entity_linker", config={
        "entity_vector_length": 8,
        "model": {"@architectures": "spacy-medlink.EvidenceRanker.v1", "n_features": N_FEATURES,
                  "entity_vector_length": 8, "hidden_width": 16, "n_context_buckets": 500,
                  "dropout": 0.0},
    })
    mentions = [(text[s:e], kb_id) for text, ents in TRAIN for s, e, kb_id in ents]
    kb, _ = build_kb(read_vocabulary(VOCAB), nlp.vocab, encoder=create_lsa_encoder(dim=8),
                     extra_aliases=mentions, progress=False)
    linker.set_kb(lambda vocab: kb)
    examples = []
    for text, ents in TRAIN:
        reference = nlp.make_doc(text)
        reference.ents = [reference.char_span(s, e, label="DISEASE", kb_id=k) for s, e, k in ents]
        examples.append(Example(nlp.make_doc(text), reference))
    nlp.initialize(lambda: examples)
    ruler.add_patterns(PATTERNS)  # after initialize, which clears the ruler's patterns
    optimizer = Adam(0.02)
    for _ in range(40):
        nlp.update(examples, sgd=optimizer)
    nlp.to_disk(path)


@pytest.fixture(scope="module")
def pipeline_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("pipeline") / "medlink"
    _train_tiny_pipeline(path)
    return path


@pytest.fixture(scope="module")
def metrics_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("metrics") / "dev.json"
    srsly.write_json(path, {
        "data": "corpus/dev.spacy", "n_docs": 2, "notes": ["kept out"],
        "ner": {"p": 80.0, "r": 60.0, "f": 68.6, "tp": 3, "recall_by_type": {"X": {"r": 1.0}}},
        "norm_at_gold": {"acc@1": 90.0, "n": 10},
    })
    return path


def test_package_meta_records_kb_sources_metrics_and_requirement(pipeline_path, metrics_path):
    meta = build_package_meta(pipeline_path, name=PACKAGE_NAME, version="0.0.1",
                              metrics_path=metrics_path, data_paths=[VOCAB])
    assert meta["name"] == PACKAGE_NAME and meta["version"] == "0.0.1"
    assert meta["requirements"] == [REQUIREMENT]
    assert REQUIREMENT.startswith("spacy-medlink>=")
    kb = meta["medlink"]["kb"]
    assert kb["path"] == "medical_entity_linker/kb"
    assert kb["n_concepts"] == 8
    assert kb["sha256"] == folder_sha256(pipeline_path / "medical_entity_linker" / "kb")
    (source,) = meta["medlink"]["data"]
    assert source["file"] == VOCAB.name and len(source["sha256"]) == 64
    assert meta["medlink"]["dev_metrics"]["ner"] == {"p": 80.0, "r": 60.0, "f": 68.6, "tp": 3}
    assert "CTD" in meta["notes"] and "CTD" in meta["license"]
    # the README states what the NER learned from, with the dev figures beside it
    assert "Trained on the NCBI disease corpus" in meta["notes"]
    assert "| NER P / R / F (strict span) | 80.0 / 60.0 / 68.6 |" in meta["notes"]
    assert "| mention linking (span + concept) P / R / F | - |" in meta["notes"]
    assert "| linker on gold spans, norm@gold acc@1 | 90.0 |" in meta["notes"]


def test_package_readme_names_both_dev_sets(pipeline_path, metrics_path):
    meta = build_package_meta(pipeline_path, name=PACKAGE_NAME, version="0.0.1", metrics_path=metrics_path,
                              second_metrics_path=metrics_path, dev_names=["ncbi_disease_dev", "biored_dev"])
    assert "| measure | ncbi_disease_dev | biored_dev |" in meta["notes"]
    without = build_package_meta(pipeline_path, name=PACKAGE_NAME, version="0.0.1")
    assert "Accuracy" not in without["notes"]


def test_package_meta_recognises_published_files_by_checksum(tmp_path, monkeypatch):
    # A file whose sha256 is the published MEDIC one is named as MEDIC, whatever its name.
    from spacy_medlink.cli import package_meta as packaging

    data = tmp_path / "renamed.tsv"
    data.write_text("# Report created: Tue Jun 06 11:31:46 EDT 2017\nName\tMESH:D1\n")
    digest = packaging.file_sha256(data)
    monkeypatch.setitem(packaging.KNOWN_SOURCES, digest, {"name": "MEDIC", "url": "u"})
    source = packaging._source(data)
    assert source["name"] == "MEDIC" and source["report_created"].endswith("2017")
    assert report_date(DATA / "tiny.pubtator.txt") == ""


def test_package_meta_errors_name_the_problem(tmp_path, pipeline_path):
    blank = tmp_path / "blank"
    spacy.blank("en").to_disk(blank)
    with pytest.raises(ValueError, match=r"\[MLE400\].*medical_entity_linker"):
        build_package_meta(blank, name="x", version="0.0.1")
    with pytest.raises(ValueError, match=r"\[MLE401\].*missing\.txt"):
        build_package_meta(pipeline_path, name="x", version="0.0.1",
                           data_paths=[tmp_path / "missing.txt"])
    wrong = tmp_path / "list.json"
    wrong.write_text("[1, 2]")
    with pytest.raises(ValueError, match=r"\[MLE402\].*list.json \(--metrics\).*found a JSON list"):
        build_package_meta(pipeline_path, name="x", version="0.0.1", metrics_path=wrong)
    broken = tmp_path / "broken.json"
    broken.write_text('{"ner": ')
    with pytest.raises(ValueError, match=r"\[MLE034\].*broken.json"):
        build_package_meta(pipeline_path, name="x", version="0.0.1", second_metrics_path=broken)


@pytest.mark.parametrize("args, code", [
    (["-n", "bad name!", "-v", "0.1.0"], "MLE403"), (["-n", "ok", "-v", "not-a-version"], "MLE403"),
    (["-n", "ok", "-v", "0.1.0", "--output-is-folder"], "MLE305"), (["-n", "ok", "-v", "0.1.0", "--not-a-pipeline"], "MLE042"),
])
def test_package_meta_cli_checks_its_arguments_before_working(tmp_path, pipeline_path, args, code):
    from typer.testing import CliRunner

    from spacy_medlink.cli import app

    model, output = pipeline_path, tmp_path / "meta.json"
    if "--output-is-folder" in args:
        output.mkdir()
    if "--not-a-pipeline" in args:
        model = tmp_path / "kb_like"
        model.mkdir()
    options = [a for a in args if not a.startswith("--")]
    result = CliRunner().invoke(app, ["package-meta", str(model), str(output), *options])
    assert result.exit_code == 1 and f"[{code}]" in result.output and "Traceback" not in result.output, result.output


def test_summarize_metrics_keeps_only_scalars():
    summary = summarize_metrics({"n_docs": 3, "ner": {"f": 1.0, "by": {}}, "speed": {"s": 1},
                                 "end_to_end": None})
    assert summary == {"n_docs": 3, "ner": {"f": 1.0}}


def _wheel_build_args():
    """pip options to build the package's setup.py into a wheel.

    `spacy package --build wheel` runs `python -m build`, which fetches setuptools into an
    isolated build environment. Offline, this environment's own setuptools is used when it
    can build wheels (setuptools >= 70.1 has bdist_wheel; older ones need `wheel`); else
    pip's isolated build fetches setuptools from the package index, as `spacy package` does.
    """
    try:
        setuptools_version = Version(importlib_metadata.version("setuptools"))
    except importlib_metadata.PackageNotFoundError:
        return []
    has_wheel = importlib.util.find_spec("wheel") is not None
    if setuptools_version >= Version("70.1") or has_wheel:
        return ["--no-build-isolation", "--no-index"]
    return []


def _run(command, **kwargs) -> str:
    """Run a command; fail with the end of its output. RETURNS (str): its stdout."""
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-2000:])
    return result.stdout


def _site_dirs():
    dirs = [p for p in site.getsitepackages() if Path(p).is_dir()]
    user = site.getusersitepackages()
    return dirs + ([user] if Path(user).is_dir() else [])


@pytest.mark.slow
def test_package_wheel_installs_offline_and_loads_by_name(pipeline_path, metrics_path, tmp_path):
    meta_path = tmp_path / "meta.json"
    write_package_meta(pipeline_path, meta_path, name=PACKAGE_NAME, version="0.0.1",
                       metrics_path=metrics_path, data_paths=[VOCAB])
    packages = tmp_path / "packages"
    packages.mkdir()
    package(pipeline_path, packages, meta_path=meta_path, create_sdist=False,
            create_wheel=False, force=True, silent=True)
    package_dir = packages / f"en_{PACKAGE_NAME}-0.0.1"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", *_wheel_build_args(),
          "-w", str(tmp_path / "dist"), str(package_dir)])
    (wheel,) = (tmp_path / "dist").glob(f"en_{PACKAGE_NAME}-0.0.1-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"en_{PACKAGE_NAME}-0.0.1.dist-info/METADATA").decode("utf8")
        names = archive.namelist()
    requires = {Requirement(line.split(":", 1)[1]) for line in metadata.splitlines()
                if line.startswith("Requires-Dist:")}
    assert Requirement(REQUIREMENT) in requires
    assert any(n.endswith("medical_entity_linker/kb/concepts.msgpack") for n in names)

    # A fresh venv. --system-site-packages would expose the *base* interpreter's packages
    # when this test runs inside a venv, so spacy & co. come from this environment's
    # site-packages through a .pth file (addsitedir also runs their .pth files, e.g. an
    # editable install's finder).
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    python = str(venv / "bin" / "python")
    venv_site = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    lines = [f"import site; site.addsitedir({d!r})" for d in _site_dirs()]
    (Path(venv_site.strip()) / "outer_env.pth").write_text("\n".join(lines) + "\n")
    _run([python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)])

    texts = [text for text, _ in TRAIN]
    stdout = _run([python, "-c", LOAD_SCRIPT, f"en_{PACKAGE_NAME}", json.dumps(texts)],
                  cwd=tmp_path)
    out = json.loads(stdout.strip().splitlines()[-1])
    assert Path(out["module_file"]).is_relative_to(venv)
    assert REQUIREMENT in out["requirements"]
    gold = [[(text[s:e], "DISEASE", kb_id) for s, e, kb_id in ents] for text, ents in TRAIN]
    assert [[tuple(e) for e in doc] for doc in out["single"]] == gold
    assert out["multi"] == out["single"]


def _project_commands(tmp_path, overrides):
    # weasel creates the project's directories on load: load a copy of project.yml.
    from weasel.util.config import load_project_config

    shutil.copy(Path(__file__).parent.parent / "project.yml", tmp_path / "project.yml")
    config = load_project_config(tmp_path, overrides=overrides)
    return {command["name"]: command for command in config["commands"]}


def test_project_package_commands_follow_the_vars(tmp_path):
    overrides = {"vars.package_name": "medlink_disease_x", "vars.package_version": "1.2.3",
                 "vars.student_package_name": "medlink_s", "vars.teacher_package_name": "medlink_t",
                 "vars.data_dir": "../shared/data"}
    commands = _project_commands(tmp_path, overrides)
    (step,) = commands["package"]["script"]
    args = shlex.split(step)
    assert args[:8] == ["python", "scripts/package_pipeline.py", "training/medlink", "medlink_disease_x",
                        "1.2.3", "metrics/dev.json", "metrics/second_dev.json",
                        "ncbi_disease_dev,biored_dev"]
    assert args[8].startswith("gold ncbi_disease training documents")  # one argument, quoted
    assert "../shared/data/medic/CTD_diseases.tsv.gz" in args[9:]
    assert commands["package"]["outputs_no_cache"] == ["packages/en_medlink_disease_x-1.2.3"]
    student, teacher = (shlex.split(s) for s in commands["package-distilled"]["script"])
    assert student[2:6] == ["training/student", "medlink_s", "1.2.3", "metrics/student_dev.json"]
    assert teacher[2:6] == ["training/teacher", "medlink_t", "1.2.3", "metrics/teacher_dev.json"]


def _package_script():
    spec = importlib.util.spec_from_file_location(
        "package_pipeline", Path(__file__).parent.parent / "scripts" / "package_pipeline.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_package_script_writes_meta_then_packages_with_this_interpreter(monkeypatch, tmp_path):
    script = _package_script()
    monkeypatch.setattr(sys, "argv", [
        "package_pipeline.py", "training/student", "medlink_x", "1.0.0", "m.json", "m2.json",
        "a_dev,b_dev", "gold NCBI and silver", "data/train.txt", "data/vocab.tsv",
    ])
    calls = []
    monkeypatch.setattr(script.subprocess, "run", lambda command, check: calls.append(command))
    monkeypatch.chdir(tmp_path)
    old_build = tmp_path / "packages" / "en_medlink_x-1.0.0"
    old_build.mkdir(parents=True)
    (old_build / "README.md").write_text("old figures")
    script.main()
    meta_call, package_call = calls
    assert meta_call == [
        sys.executable, "-m", "spacy_medlink", "package-meta", "training/student",
        "packages/meta_medlink_x.json", "--name", "medlink_x", "--version", "1.0.0", "--metrics",
        "m.json", "--second-metrics", "m2.json", "--dev-names", "a_dev,b_dev", "--trained-on",
        "gold NCBI and silver", "--data", "data/train.txt", "--data", "data/vocab.tsv",
    ]
    assert package_call == [
        sys.executable, "-m", "spacy", "package", "training/student", "packages", "--name",
        "medlink_x", "--version", "1.0.0", "--meta-path", "packages/meta_medlink_x.json",
        "--build", "wheel", "--force",
    ]
    # spacy package would reuse the earlier build's README: it is gone before packaging.
    assert not old_build.exists()


def test_transformer_pipeline_pins_the_fast_importing_transformers(tmp_path):
    """A pipeline with a transformer component requires the transformers range whose import
    does not pull in torch._dynamo (about 1 s of every spacy.load)."""
    (tmp_path / "config.cfg").write_text(
        "[nlp]\nlang = \"en\"\npipeline = [\"transformer\",\"ner\"]\n\n[components]\n\n"
        "[components.transformer]\nfactory = \"transformer\"\n\n"
        "[components.ner]\nfactory = \"ner\"\n"
    )
    assert package_requirements(tmp_path) == [REQUIREMENT, TRANSFORMERS_REQUIREMENT]
    pyproject = (Path(__file__).parent.parent / "pyproject.toml").read_text()
    assert f'"{TRANSFORMERS_REQUIREMENT}"' in pyproject  # one range for the package and the extra

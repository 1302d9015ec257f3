"""project.yml: vars, commands, deps/outputs, and the sample workflow's NER step."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import srsly
from weasel.util.config import load_project_config

ROOT = Path(__file__).parent.parent
SAMPLE_VARS = {"vars.data_dir": "assets", "vars.corpus": "sample",
               "vars.vocabulary": "sample/vocabulary.jsonl", "vars.train_corpora": "sample",
               "vars.linker_corpora": "sample",
               "vars.second_corpus": "sample", "vars.unlabeled": "sample/unlabeled.jsonl"}


def _load(tmp_path: Path, overrides=None) -> dict:
    # weasel creates the project's `directories` on load: load a copy, not the repository.
    shutil.copy(ROOT / "project.yml", tmp_path / "project.yml")
    return load_project_config(tmp_path, overrides=overrides or {})


def _commands(config: dict) -> dict:
    return {command["name"]: command for command in config["commands"]}


def _sample_overrides(config: dict) -> dict:
    """The --vars.NAME VALUE pairs of the `sample` command's nested `project run all`."""
    script = " ".join(_commands(config)["sample"]["script"])
    return dict(re.findall(r"--(vars\.\w+) (\S+)", script))


def test_workflow_all_runs_every_step_in_order(tmp_path):
    config = _load(tmp_path)
    commands = _commands(config)
    assert config["workflows"]["all"] == [
        "convert", "build-kb", "train-ner", "self-train", "finetune-ner", "train-linker", "assemble",
        "evaluate", "evaluate-second", "report-recognition",
    ]
    for name in config["workflows"]["all"]:
        assert commands[name]["deps"] and commands[name]["outputs"], name


def test_each_step_depends_on_the_outputs_of_the_steps_before(tmp_path):
    config = _load(tmp_path)
    commands = _commands(config)
    produced = set()
    for name in config["workflows"]["all"]:
        internal = [dep for dep in commands[name]["deps"] if dep.split("/")[0] in
                    ("corpus", "kb", "training", "metrics")]
        assert set(internal) <= produced, (name, set(internal) - produced)
        produced.update(commands[name]["outputs"])


@pytest.mark.parametrize(
    "overrides,train,vocabulary",
    [
        ({}, "assets/ncbi_disease/train.pubtator.txt", "assets/medic/CTD_diseases.tsv.gz"),
        (
            {"vars.data_dir": "../shared/data"},
            "../shared/data/ncbi_disease/train.pubtator.txt",
            "../shared/data/medic/CTD_diseases.tsv.gz",
        ),
        (SAMPLE_VARS, "assets/sample/train.pubtator.txt", "assets/sample/vocabulary.jsonl"),
    ],
    ids=["download", "local-folder", "sample"],
)
def test_data_paths_follow_the_vars(tmp_path, overrides, train, vocabulary):
    commands = _commands(_load(tmp_path, overrides))
    second_dev = train.replace("ncbi_disease/", "biored/").replace("train.", "dev.")
    second_train = second_dev.replace("dev.", "train.")
    assert commands["convert"]["deps"] == [
        train, train.replace("train.", "dev."), second_dev, second_train, vocabulary
    ]
    # The KB's training aliases and the linker come from the LINKER_CORPORA folder convert writes.
    assert commands["build-kb"]["deps"] == ["corpus/train_linker", vocabulary]
    assert commands["build-kb"]["script"] == [
        f"python -m spacy_medlink build-kb {vocabulary} kb/medic --corpus corpus/train_linker --corpus-concepts"
    ]
    data_dir = train.split("/")[0] if train.startswith("assets") else "../shared/data"
    corpora = "sample" if "sample" in train else "ncbi_disease,biored"
    assert (
        f"python scripts/convert_training_corpora.py {data_dir} {corpora} corpus/train_linker "
        f"--vocabulary {vocabulary}" in commands["convert"]["script"]
    )
    assert "--paths.train corpus/train_linker" in commands["train-linker"]["script"][0]
    corpus = "sample" if "sample" in train else "ncbi_disease"
    assert f"""--corpora.train.repeat '{{"{corpus}": 2}}'""" in commands["train-linker"]["script"][0]


def test_no_deps_or_outputs_are_garbled_by_interpolation(tmp_path):
    # confection joins list items into one string in some cases ("a, b"): guard every list.
    for overrides in ({}, SAMPLE_VARS, {"vars.data_dir": "/abs/data"}):
        for command in _load(tmp_path, overrides)["commands"]:
            for item in command.get("deps", []) + command.get("outputs", []):
                assert ", " not in item and '"' not in item and "${" not in item, item


def test_train_ner_passes_the_vars_to_spacy_train(tmp_path):
    overrides = {"vars.ner_config": "ner_trf", "vars.gpu_id": 0, "vars.max_steps": 123,
                 "vars.transformer": "bert-base-cased", "vars.mixed_precision": True}
    command = _commands(_load(tmp_path, overrides))["train-ner"]
    script = command["script"][0]
    assert script.startswith("python -m spacy train configs/ner_trf.cfg --output training/ner_gold")
    for option in ("--gpu-id 0", "--training.max_steps 123", "--paths.transformer bert-base-cased",
                   "--system.mixed_precision true", "--system.seed 0"):
        assert option in script
    assert "configs/ner_trf.cfg" in command["deps"]


def test_self_train_passes_the_silver_rules(tmp_path):
    from typer.testing import CliRunner

    from spacy_medlink.cli import app
    from spacy_medlink.training.weak_labels import SOURCES

    default = _commands(_load(tmp_path))["self-train"]["script"][0]
    # the default leaves the teacher's unsupported entities missing, and names only real sources
    sources = re.search(r"--sources (\S+)", default).group(1).split(",")
    assert set(sources) < set(SOURCES) and "model" not in sources
    assert "--gold-repeat 1" in default
    script = _commands(_load(tmp_path, {"vars.weak_sources": "model+kb", "vars.gold_repeat": 5}))["self-train"]["script"][0]
    assert "--sources model+kb --gold-repeat 5" in script
    # the CLI refuses a source name it does not know, with a coded error
    result = CliRunner().invoke(app, [
        "self-train", "configs/ner_cnn.cfg", "tests", "tests/data/tiny.pubtator.txt",
        "tests/data/tiny.pubtator.txt", "tests/data/tiny.pubtator.txt", str(tmp_path / "out"),
        "--sources", "model,gazetteer",
    ])
    assert result.exit_code == 1 and "MLE122" in result.output


def test_ner_configs_named_by_the_project_exist(tmp_path):
    default = _load(tmp_path)["vars"]["ner_config"]
    assert default == "ner_cnn"  # CPU by default
    for name in (default, "ner_trf"):
        assert (ROOT / "configs" / f"{name}.cfg").exists()


def test_sample_command_overrides_only_existing_vars_and_inputs_exist(tmp_path):
    config = _load(tmp_path)
    overrides = _sample_overrides(config)
    assert set(overrides) <= {f"vars.{name}" for name in config["vars"]}
    assert overrides["vars.corpus"] == "sample"
    for dep in _commands(config)["sample"]["deps"]:
        assert (ROOT / dep).exists(), dep


def test_sample_command_forwards_the_users_vars(tmp_path):
    overrides = {"vars.ner_config": "ner_trf", "vars.gpu_id": 0, "vars.seed": 7}
    forwarded = _sample_overrides(_load(tmp_path, overrides))
    assert forwarded["vars.ner_config"] == "ner_trf"
    assert forwarded["vars.gpu_id"] == "0"
    assert forwarded["vars.seed"] == "7"


def test_assets_name_the_public_urls_and_checksums():
    raw = srsly.read_yaml(ROOT / "project.yml")
    urls = {asset["url"] for asset in raw["assets"]}
    assert "https://www.ncbi.nlm.nih.gov/CBBresearch/Dogan/DISEASE/NCBItrainset_corpus.zip" in urls
    assert "http://ctdbase.org/reports/CTD_diseases.tsv.gz" in urls
    text = (ROOT / "project.yml").read_text(encoding="utf8")
    for sha256 in ("f311381b28a6d0f641f57f4a963bb83619c2bdec5cd9caabb1381f894d5db817",
                   "02db559974624ae9cbe6cd95d64d953e6926bb63afb6b25b63e53bd8b41a4b55",
                   "3a83865362b11f996fec18562d2e7996f66e94d01d2e0c6360770d64184e3326"):
        assert sha256 in text


@pytest.mark.slow
def test_sample_ner_steps_run_with_spacy_project(tmp_path):
    """`convert` and `train-ner` of the sample workflow, 2 steps, offline, in a copy."""
    shutil.copy(ROOT / "project.yml", tmp_path / "project.yml")
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    shutil.copytree(ROOT / "assets" / "sample", tmp_path / "assets" / "sample")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    overrides = [f"--{key}={value}" for key, value in SAMPLE_VARS.items()]
    overrides += ["--vars.max_steps=2", "--vars.eval_frequency=1"]
    for command in ("convert", "train-ner"):
        result = subprocess.run(
            [sys.executable, "-m", "spacy", "project", "run", command, str(tmp_path), *overrides],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
        )
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert (tmp_path / "corpus" / "train.spacy").exists()
    assert (tmp_path / "corpus" / "train_ner" / "sample.spacy").exists()
    meta = srsly.read_json(tmp_path / "training" / "ner_gold" / "model-best" / "meta.json")
    assert meta["labels"]["ner"] == ["DISEASE"]
    # finetune-ner's script on that NER (no static vectors: the config's vectors become null).
    finetune = [sys.executable, "scripts/finetune_ner.py", "training/ner_gold/model-best", "training/ner_final", "--steps", "2", "--", "--paths.train", "corpus/train_ner",
                "--paths.dev", "corpus/dev.spacy", "--training.eval_frequency", "1"]
    result = subprocess.run(finetune, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "W112" not in result.stdout + result.stderr
    tuned = srsly.read_json(tmp_path / "training" / "ner_final" / "model-best" / "meta.json")
    assert tuned["labels"]["ner"] == ["DISEASE"]


def test_finetune_ner_copies_for_0_steps_picks_the_continue_config_and_reads_vectors(tmp_path):
    import numpy
    import spacy

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from finetune_ner import continue_config, has_vectors
    finally:
        sys.path.pop(0)
    plain = spacy.blank("en")
    plain.to_disk(tmp_path / "plain")
    with_vectors = spacy.blank("en")
    with_vectors.vocab.reset_vectors(width=2)
    with_vectors.vocab.set_vector("fever", numpy.asarray([1.0, 0.0], dtype="float32"))
    with_vectors.to_disk(tmp_path / "vectors")
    assert not has_vectors(tmp_path / "plain") and has_vectors(tmp_path / "vectors")
    # The transformer NER gets its own continue config (the CNN's would source a tok2vec).
    for embedding, config in (("tok2vec", "ner_continue.cfg"), ("transformer", "ner_trf_continue.cfg")):
        base = tmp_path / embedding
        base.mkdir()
        (base / "config.cfg").write_text(f'[nlp]\nlang = "en"\npipeline = ["{embedding}","ner"]\n')
        assert continue_config(base).name == config
    script = ROOT / "scripts" / "finetune_ner.py"
    (tmp_path / "out" / "model-last").mkdir(parents=True)  # an earlier run's
    result = subprocess.run([sys.executable, str(script), str(tmp_path / "plain"), str(tmp_path / "out"), "--steps", "0"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "model-best" / "config.cfg").read_text() == (tmp_path / "plain" / "config.cfg").read_text()
    assert not (tmp_path / "out" / "model-last").exists()
    wrong_config = subprocess.run([sys.executable, str(script), str(tmp_path / "tok2vec"), str(tmp_path / "out2"), "--steps", "5",
                                   "--config", str(ROOT / "configs" / "ner_trf_continue.cfg")],
                                  capture_output=True, text=True, timeout=120)
    assert wrong_config.returncode != 0 and "'transformer'" in wrong_config.stderr
    assert not (tmp_path / "out2").exists()
    script_line = _commands(_load(tmp_path, {"vars.finetune_steps": 0}))["finetune-ner"]["script"][0]
    assert "training/self_train/model-best training/ner_final --steps 0 --" in script_line


def test_distill_trains_the_chosen_student_on_the_teachers_labels(tmp_path):
    overrides = {"vars.distill_teacher": "training/my_teacher", "vars.student_width": 48,
                 "vars.student_depth": 3, "vars.student_hidden_width": 16, "vars.distill_limit": 77,
                 "vars.second_corpus": "other", "vars.distill_gold_repeat": 2, "vars.distill_finetune_steps": 33}
    distill = _commands(_load(tmp_path, overrides))["distill"]
    train = distill["script"][0]
    assert "self-train configs/ner_cnn.cfg training/my_teacher " in train
    # one round: the teacher's entities, KB-supported or not, and abbreviations are taught
    assert "--rounds 1 --limit 77" in train and "--sources model,model+kb,abbreviation" in train
    # the second corpus's training texts are labelled by the teacher too, not by their own guideline
    assert "/other/train.pubtator.txt --gold-repeat 2" in train and "--transfer " in train
    for key, value in (("encode.width", 48), ("encode.depth", 3), ("ner.model.hidden_width", 16)):
        assert f"{key} {value}" in train
    assert "training/my_teacher" in distill["deps"]
    # then fine-tuned on the gold alone, and that NER is what the student pipeline ships
    finetune = next(step for step in distill["script"] if "finetune_ner.py" in step)
    assert "training/distill/model-best training/distill_final --steps 33" in finetune
    assert "--paths.train corpus/train_ner" in finetune
    assert any("assemble training/distill_final/model-best" in step for step in distill["script"])
    assert "training/student" in distill["outputs"]


def test_every_data_file_the_workflow_reads_is_downloaded_or_unpacked(tmp_path):
    # `spacy project assets` + `unpack` must leave everything `all` and `distill` read
    config = _load(tmp_path)
    commands = _commands(config)
    data_dir = config["vars"]["data_dir"]
    provided = {asset["dest"] for asset in config["assets"]} | set(commands["unpack"]["outputs"])
    needed = {dep for name in (*config["workflows"]["all"], "distill", "train-teacher-pooled")
              for dep in commands[name].get("deps", []) if dep.startswith(f"{data_dir}/")}
    assert {f"{data_dir}/biored/train.pubtator.txt", f"{data_dir}/unlabeled/pubmed_sentences.jsonl.gz"} <= needed
    assert needed <= provided, sorted(needed - provided)
    unpack = " ".join(commands["unpack"]["script"])
    assert "unpack_data.py biored assets/biored/BIORED.zip assets/biored" in unpack
    assert f"unpack_data.py pool {data_dir}/unlabeled/MTL-Bioinformatics-2016.zip" in unpack

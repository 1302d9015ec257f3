"""Fine-tune a trained NER pipeline on gold data alone (`spacy project run finetune-ner`):
`spacy train CONFIG --paths.base BASE` for STEPS steps with a continue config, whose
components are all sourced from BASE; OUT/model-best is the result. STEPS 0 copies BASE to
OUT/model-best unchanged. CONFIG defaults to the continue config of BASE's NER
(configs/ner_trf_continue.cfg for a transformer pipeline, configs/ner_continue.cfg for the
CNN). The config's [initialize] vectors are BASE's, or none when BASE has no static vectors
(spaCy's W112 would call that "almost certainly a mistake").

    python scripts/finetune_ner.py training/self_train/model-best training/ner_final --steps 500 \
        -- --paths.train corpus/train_ner --paths.dev corpus/dev.spacy
"""
import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from spacy.util import load_config
from spacy.vectors import Vectors

CONFIGS = Path(__file__).parent.parent / "configs"
# The continue config of each kind of NER pipeline, by the embedding component it has.
CONTINUE_CONFIGS = {"transformer": CONFIGS / "ner_trf_continue.cfg", "tok2vec": CONFIGS / "ner_continue.cfg"}


def has_vectors(pipeline: Path) -> bool:
    """Whether a saved pipeline's vocab holds static vectors (reads its vectors table, not the
    pipeline)."""
    folder = pipeline / "vocab"
    return (folder / "vectors").exists() and Vectors().from_disk(folder).shape[0] > 0


def pipe_names(config: Path) -> list:
    return list(load_config(config, interpolate=False)["nlp"]["pipeline"])


def continue_config(base: Path) -> Path:
    """RETURNS (Path): the continue config of the base pipeline's NER (CONTINUE_CONFIGS)."""
    names = pipe_names(base / "config.cfg")
    for component, config in CONTINUE_CONFIGS.items():
        if component in names:
            return config
    sys.exit(f"{base} has neither a transformer nor a tok2vec: pass --config")


def main() -> None:
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    own, overrides = argv[:split], argv[split + 1:]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base", type=Path, help="The trained pipeline to fine-tune")
    parser.add_argument("output", type=Path)
    parser.add_argument("--steps", type=int, required=True, help="Training steps (0: copy BASE unchanged)")
    parser.add_argument("--config", type=Path, default=None, help="A continue config (default: BASE's, CONTINUE_CONFIGS)")
    args = parser.parse_args(own)
    final = args.output / "model-best"
    if args.steps < 0:
        sys.exit(f"--steps must be >= 0 (0: no fine-tuning), found {args.steps}")
    if args.steps == 0:
        for old in (final, args.output / "model-last"):  # an earlier run's would look current
            if old.exists():
                shutil.rmtree(old)
        shutil.copytree(args.base, final)
        print(f"--steps 0: {args.base} copied to {final} unchanged")
        return
    config = args.config or continue_config(args.base)
    missing = [name for name in pipe_names(config) if name not in pipe_names(args.base / "config.cfg")]
    if missing:
        sys.exit(f"{config} sources {missing}, which {args.base} does not have: use the continue config of its "
                 "NER (ner_continue.cfg for ner_cnn, ner_trf_continue.cfg for ner_trf), or leave --config out")
    vectors = str(args.base) if has_vectors(args.base) else "null"
    command = [sys.executable, "-m", "spacy", "train", str(config), "--output", str(args.output),
               "--paths.base", str(args.base), "--training.max_steps", str(args.steps),
               "--initialize.vectors", vectors, *overrides]
    sys.exit(subprocess.run(command).returncode)


if __name__ == "__main__":
    main()

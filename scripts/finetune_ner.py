"""Fine-tune a trained NER pipeline on gold data alone (`spacy project run finetune-ner`):
`spacy train CONFIG --paths.base BASE` for STEPS steps with a continue config, whose
components are all sourced from BASE; OUT/model-best is the result. STEPS 0 copies BASE to
OUT/model-best unchanged. The config's [initialize] vectors are BASE's, or none when BASE has
no static vectors (spaCy's W112 would call that "almost certainly a mistake").

    python scripts/finetune_ner.py configs/ner_continue.cfg training/self_train/model-best \
        training/ner_final --steps 500 -- --paths.train corpus/train_ner --paths.dev corpus/dev.spacy
"""
import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from spacy.util import load_config
from spacy.vectors import Vectors


def has_vectors(pipeline: Path) -> bool:
    """Whether a saved pipeline's vocab holds static vectors (read without loading it)."""
    folder = pipeline / "vocab"
    return (folder / "vectors").exists() and Vectors().from_disk(folder).shape[0] > 0


def missing_components(config: Path, base: Path) -> list:
    """The components the continue config sources that the base pipeline lacks (e.g. a
    transformer NER fine-tuned with the CNN's config)."""
    wanted = load_config(config, interpolate=False)["nlp"]["pipeline"]
    found = load_config(base / "config.cfg", interpolate=False)["nlp"]["pipeline"]
    return [name for name in wanted if name not in found]


def main() -> None:
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    own, overrides = argv[:split], argv[split + 1:]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("base", type=Path, help="The trained pipeline to fine-tune")
    parser.add_argument("output", type=Path)
    parser.add_argument("--steps", type=int, required=True, help="Training steps (0: copy BASE unchanged)")
    args = parser.parse_args(own)
    final = args.output / "model-best"
    if args.steps < 0:
        sys.exit(f"--steps must be >= 0 (0: no fine-tuning), found {args.steps}")
    if args.steps == 0:
        if final.exists():
            shutil.rmtree(final)
        shutil.copytree(args.base, final)
        print(f"--steps 0: {args.base} copied to {final} unchanged")
        return
    missing = missing_components(args.config, args.base)
    if missing:
        sys.exit(f"{args.config} sources {missing}, which {args.base} does not have: use the continue config "
                 "of its NER (ner_continue for ner_cnn, ner_trf_continue for ner_trf: --vars.ner_continue_config)")
    vectors = str(args.base) if has_vectors(args.base) else "null"
    command = [sys.executable, "-m", "spacy", "train", str(args.config), "--output", str(args.output),
               "--paths.base", str(args.base), "--training.max_steps", str(args.steps),
               "--initialize.vectors", vectors, *overrides]
    sys.exit(subprocess.run(command).returncode)


if __name__ == "__main__":
    main()

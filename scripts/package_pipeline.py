"""Build the installable wheel of a trained pipeline (docs/PACKAGING.md): meta.json overrides
from `package-meta` (data sources + sha256, KB checksum, both dev sets' metrics in the README
table, what the NER was trained on, the spacy-medlink requirement), then `spacy package`. The
pipeline folder itself is not modified.

    python scripts/package_pipeline.py MODEL NAME VERSION METRICS SECOND_METRICS DEV_NAMES \
        TRAINED_ON [DATA_FILE ...]

writes packages/en_NAME-VERSION/dist/*.whl. Both steps run with this interpreter (weasel runs
`python` as its own), so it works from a venv that is not activated.
"""
import argparse
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List

PACKAGES_DIR = Path("packages")


def package_commands(args: argparse.Namespace) -> List[List[str]]:
    """RETURNS (List[List[str]]): the package-meta and the spacy package command lines."""
    meta_path = PACKAGES_DIR / f"meta_{args.name}.json"
    data = [arg for path in args.data for arg in ("--data", str(path))]
    return [
        [sys.executable, "-m", "spacy_medlink", "package-meta", str(args.model), str(meta_path),
         "--name", args.name, "--version", args.version, "--metrics", str(args.metrics),
         "--second-metrics", str(args.second_metrics), "--dev-names", args.dev_names,
         "--trained-on", args.trained_on, *data],
        [sys.executable, "-m", "spacy", "package", str(args.model), str(PACKAGES_DIR), "--name",
         args.name, "--version", args.version, "--meta-path", str(meta_path), "--build", "wheel",
         "--force"],
    ]


def remove_earlier_build(name: str, version: str) -> None:
    """spacy package reuses the README.md of an earlier build of the same version: remove that
    build, so the README's figures are this pipeline's."""
    shutil.rmtree(PACKAGES_DIR / f"en_{name}-{version}", ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("name")
    parser.add_argument("version")
    parser.add_argument("metrics", type=Path)
    parser.add_argument("second_metrics", type=Path)
    parser.add_argument("dev_names", help="Comma-separated names of the two dev sets")
    parser.add_argument("trained_on", help="What the NER was trained on, in words")
    parser.add_argument("data", type=Path, nargs="*", help="Data files the pipeline was built from")
    args = parser.parse_args()
    meta_command, package_command = package_commands(args)
    subprocess.run(meta_command, check=True)
    remove_earlier_build(args.name, args.version)
    subprocess.run(package_command, check=True)


if __name__ == "__main__":
    main()

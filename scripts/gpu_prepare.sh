#!/usr/bin/env bash
# Stage in .dev/ everything scripts/gpu_check.sh reads, so that the `device` tool carries one
# folder (it carries at most 64 MiB with the working tree; the whole corpus/ folder, pool
# vectors included, is 53 MB by itself): the spaCy GPU stack and MiniLM in float16
# (../shared/tools/device_bundle.sh, ~59 MB), this package's wheel (its entry points), the KB
# features' vocabulary, and the NER's training and dev corpora.
#
#   bash scripts/gpu_prepare.sh ../shared/data        # then, on the device:
#   run(command="bash scripts/gpu_check.sh", carry=[".dev"], timeout_s=540)
#
# PYTHON (default .venv/bin/python): the project's environment (spaCy, torch, the MiniLM
# package). An existing corpus/ is reused as it is (the `convert` step's NER training corpora).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA_DIR=$(realpath "${1:-../shared/data}")
PY=${PYTHON:-.venv/bin/python}
LIMIT_BYTES=$((64 * 1024 * 1024))
if [ ! -f .dev/site.txz ] || [ ! -f .dev/minilm16.txz ]; then
  PYTHON="$PY" bash ../shared/tools/device_bundle.sh .dev
fi
rm -f .dev/spacy_medlink-*.whl
"$PY" -m pip wheel . --no-deps -q -w .dev
install -m 0644 "$DATA_DIR/medic/CTD_diseases.tsv.gz" .dev/CTD_diseases.tsv.gz
if [ ! -d corpus/train_ner ] || [ ! -f corpus/dev.spacy ]; then
  "$PY" -m spacy project run convert . --vars.data_dir "$DATA_DIR"
else
  echo "reusing corpus/train_ner ($(ls corpus/train_ner | tr '\n' ' ')) and corpus/dev.spacy"
fi
rm -rf .dev/corpus && mkdir -p .dev/corpus
cp -r corpus/train_ner corpus/dev.spacy .dev/corpus/
# What travels: the files git tracks or would add, and the carried .dev.
tree=$(git ls-files -z --cached --others --exclude-standard | du -cb --files0-from=- | tail -1 | cut -f1)
dev=$(du -sb .dev | cut -f1)
echo "the working tree ($tree bytes) + .dev ($dev bytes) = $((tree + dev)) of at most $LIMIT_BYTES"
if [ $((tree + dev)) -gt "$LIMIT_BYTES" ]; then
  echo "error: over the device tool's 64 MiB; remove from .dev what gpu_check.sh does not read" >&2
  exit 1
fi

#!/usr/bin/env bash
# Stage in .dev/ everything scripts/gpu_check.sh reads, so that the `device` tool carries one
# folder (it carries at most 64 MiB; the whole corpus/ folder, pool vectors included, is 53 MB
# by itself): the spaCy GPU stack and MiniLM in float16 (../shared/tools/device_bundle.sh,
# ~59 MB), this package's wheel (its entry points), the KB features' vocabulary, and the NER's
# training and dev corpora.
#
#   bash scripts/gpu_prepare.sh ../shared/data        # then, on the device:
#   run(command="bash scripts/gpu_check.sh", carry=[".dev"], timeout_s=540)
set -euo pipefail
DATA_DIR=${1:-../shared/data}
LIMIT_BYTES=$((64 * 1024 * 1024))
if [ ! -f .dev/site.txz ] || [ ! -f .dev/minilm16.txz ]; then
  bash ../shared/tools/device_bundle.sh .dev
fi
rm -f .dev/spacy_medlink-*.whl
python -m pip wheel . --no-deps -q -w .dev
cp "$DATA_DIR/medic/CTD_diseases.tsv.gz" .dev/
if [ ! -d corpus/train_ner ] || [ ! -f corpus/dev.spacy ]; then
  python -m spacy project run convert . --vars.data_dir "$DATA_DIR"
fi
rm -rf .dev/corpus && mkdir -p .dev/corpus
cp -r corpus/train_ner corpus/dev.spacy .dev/corpus/
size=$(du -sb .dev | cut -f1)
echo ".dev holds $size bytes (the device tool carries at most $LIMIT_BYTES)"
if [ "$size" -gt "$LIMIT_BYTES" ]; then
  echo "error: .dev is over the device tool's 64 MiB; remove what gpu_check.sh does not read" >&2
  exit 1
fi

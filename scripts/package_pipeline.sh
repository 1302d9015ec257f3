#!/usr/bin/env bash
# Build the installable wheel of a trained pipeline (docs/PACKAGING.md): meta.json overrides
# from `package-meta` (data sources + sha256, KB checksum, both dev sets' metrics in the
# README table, what the NER was trained on, the spacy-medlink requirement), then
# `spacy package`. The pipeline folder itself is not modified.
#
#   bash scripts/package_pipeline.sh MODEL NAME VERSION METRICS SECOND_METRICS DEV_NAMES \
#       TRAINED_ON [DATA_FILE ...]
#
# writes packages/en_NAME-VERSION/dist/*.whl.
set -euo pipefail
if [ "$#" -lt 7 ]; then
    sed -n '2,9p' "$0" >&2
    exit 2
fi
model=$1 name=$2 version=$3 metrics=$4 second_metrics=$5 dev_names=$6 trained_on=$7
shift 7
data_args=()
for data_file in "$@"; do data_args+=(--data "$data_file"); done
python -m spacy_medlink package-meta "$model" "packages/meta_${name}.json" \
    --name "$name" --version "$version" --metrics "$metrics" --second-metrics "$second_metrics" \
    --dev-names "$dev_names" --trained-on "$trained_on" "${data_args[@]}"
# spacy package reuses the README.md of an earlier build of the same version: remove that
# build, so the README's figures are this pipeline's.
rm -rf "packages/en_${name}-${version}"
python -m spacy package "$model" packages --name "$name" --version "$version" \
    --meta-path "packages/meta_${name}.json" --build wheel --force

#!/usr/bin/env bash
# One prepared GPU check for the transformer NER (issue 4): train configs/ner_trf.cfg on the
# NCBI corpus with timestamps (steps/s, time to best dev F1), then measure GPU inference
# words/s at batch size 64. Prepared on a CPU machine; meant for the `device` tool:
#
#   bash ../shared/tools/device_bundle.sh .dev                 # spaCy stack + MiniLM fp16
#   pip wheel . --no-deps -w .dev                              # spacy-medlink + its entry points
#   python -m spacy project run convert . --vars.data_dir ../shared/data   # corpus/*.spacy
#   run(command="bash scripts/gpu_check.sh", carry=[".dev", "corpus"], timeout_s=540)
#
# Results go to $OUT: train.log (a wall-clock stamp per line), train_summary.json (steps/s,
# time to the best dev F1: scripts/train_log_summary.py) and speed.json (words/s, batch 64).
set -euo pipefail
OUT=${OUT:-/tmp/gpu_check}
MAX_STEPS=${MAX_STEPS:-1500}
mkdir -p "$OUT" /tmp/site
tar xJf .dev/site.txz -C /tmp/site && tar xJf .dev/minilm16.txz -C /tmp
# Unzipped, the wheel's dist-info carries the entry points through which spaCy finds our
# registered functions (the configs name spacy-medlink.BiomedicalTokenizer.v1); the source
# folder alone on PYTHONPATH would not register them.
python3 -m zipfile -e .dev/spacy_medlink-*.whl /tmp/site
export PYTHONPATH=/tmp/site HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
python3 -c "import spacy; spacy.require_gpu(); print('GPU ok')"
python3 -c "from spacy.util import registry; registry.tokenizers.get('spacy-medlink.BiomedicalTokenizer.v1'); print('entry points ok')"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
python3 scripts/timestamped.py "$OUT/train.log" -- python3 -m spacy train configs/ner_trf.cfg \
  --output "$OUT/ner_trf" --paths.train corpus/train.spacy --paths.dev corpus/dev.spacy \
  --paths.transformer /tmp/minilm16 --gpu-id 0 --system.mixed_precision true \
  --training.max_steps "$MAX_STEPS" --training.eval_frequency 100
python3 scripts/train_log_summary.py "$OUT/train.log" | tee "$OUT/train_summary.json"
python3 scripts/gpu_inference_speed.py "$OUT/ner_trf/model-best" corpus/dev.spacy > "$OUT/speed.json"
cat "$OUT/speed.json"

#!/usr/bin/env bash
# One prepared GPU check for the transformer NER (issue 4): train configs/ner_trf.cfg on the
# NCBI corpus with timestamps (steps/s, time to best dev F1), then measure GPU inference
# words/s at batch size 64. Prepared on a CPU machine; meant for the `device` tool, which
# carries at most 64 MiB with the working tree, so everything this script reads is staged in
# .dev (62 MB: the spaCy GPU stack, MiniLM in float16, our wheel, the vocabulary, the NER's
# training and dev corpora):
#
#   bash scripts/gpu_prepare.sh ../shared/data
#   run(command="bash scripts/gpu_check.sh", carry=[".dev"], timeout_s=540)
#
# A distilled student (19 MB) does not fit beside it; where .dev/student exists anyway (a
# smaller bundle), its inference speed is measured too.
# Results go to $OUT: train.log (a wall-clock stamp per line), train_summary.json (steps/s,
# time to the best dev F1: scripts/train_log_summary.py) and speed_*.json (words/s of the
# teacher, and of the student when .dev/student exists, at batch 64 and 512).
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
  --output "$OUT/ner_trf" --paths.train .dev/corpus/train_ner --paths.dev .dev/corpus/dev.spacy \
  --paths.vocabulary .dev/CTD_diseases.tsv.gz \
  --paths.transformer /tmp/minilm16 --gpu-id 0 --system.mixed_precision true \
  --training.max_steps "$MAX_STEPS" --training.eval_frequency 100
python3 scripts/train_log_summary.py "$OUT/train.log" | tee "$OUT/train_summary.json"
for batch in 64 512; do
  python3 scripts/gpu_inference_speed.py "$OUT/ner_trf/model-best" .dev/corpus/dev.spacy --batch-size "$batch" > "$OUT/speed_teacher_$batch.json"
  if [ -d .dev/student ]; then
    python3 scripts/gpu_inference_speed.py .dev/student .dev/corpus/dev.spacy --batch-size "$batch" > "$OUT/speed_student_$batch.json"
  fi
done
cat "$OUT"/speed_*.json

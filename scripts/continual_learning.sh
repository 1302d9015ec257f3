#!/usr/bin/env bash
# Continued training of the workflow's NER on new labeled data (issue 16), measured on NCBI dev
# and BioRED dev, next to training from scratch on both corpora. Run after `spacy project run
# all` (needs training/medlink, training/linker/model-best, corpus/{dev,second_dev}.spacy):
#
#   bash scripts/continual_learning.sh ../shared/data training/continual
#
# SEED=N (default 0) seeds every training run; CURVE="10 25 50" chooses the curve's sizes.
# Every run trains a fixed number of steps and is scored at model-last (no model-best picked
# on a dev set that is also reported). Figures: OUT/summary.json and its plot OUT/continual.png
# (copied to benchmarks/continual.{json,png}).
set -euo pipefail
DATA=${1:?DATA_DIR}
OUT=${2:?output folder}
VOCAB=$DATA/medic/CTD_diseases.tsv.gz
SEED=${SEED:-0}
mkdir -p "$OUT"
python scripts/convert_training_corpora.py "$DATA" biored "$OUT/corpora/new_only" --vocabulary "$VOCAB"
python scripts/convert_training_corpora.py "$DATA" ncbi_disease,biored "$OUT/corpora/rehearsal" --vocabulary "$VOCAB"
for n in ${CURVE-10 25 50}; do
  mkdir -p "$OUT/corpora/curve_$n"
  cp "$OUT/corpora/rehearsal/ncbi_disease.spacy" "$OUT/corpora/curve_$n/"
  python - "$OUT/corpora/new_only/biored.spacy" "$OUT/corpora/curve_$n/biored.spacy" "$n" <<'PY'
import random, sys
from spacy.tokens import DocBin
import spacy
nlp = spacy.blank("en")
docs = list(DocBin().from_disk(sys.argv[1]).get_docs(nlp.vocab))
random.Random(0).shuffle(docs)
DocBin(docs=docs[: int(sys.argv[3])], store_user_data=True).to_disk(sys.argv[2])
PY
done

score () {  # NER folder -> assembled pipeline -> metrics on both dev sets
  local ner=$1 name=$2
  python -m spacy_medlink assemble "$ner" training/linker/model-best "$OUT/pipelines/$name" > /dev/null
  python -m spacy_medlink evaluate "$OUT/pipelines/$name" corpus/dev.spacy --output "$OUT/metrics/${name}_ncbi_dev.json" > /dev/null
  python -m spacy_medlink evaluate "$OUT/pipelines/$name" corpus/second_dev.spacy --output "$OUT/metrics/${name}_biored_dev.json" > /dev/null
}
continue_on () {  # corpus folder, run name
  python -m spacy train configs/ner_continue.cfg --output "$OUT/ner/$2" --paths.base training/medlink \
    --paths.train "$1" --paths.dev corpus/dev.spacy --system.seed "$SEED" > "$OUT/ner_$2.log" 2>&1
  score "$OUT/ner/$2/model-last" "$2"
}
mkdir -p "$OUT/metrics" "$OUT/pipelines"
score training/medlink before
continue_on "$OUT/corpora/new_only" new_only
continue_on "$OUT/corpora/rehearsal" rehearsal
for n in ${CURVE-10 25 50}; do continue_on "$OUT/corpora/curve_$n" "curve_$n"; done
python -m spacy train configs/ner_cnn.cfg --output "$OUT/ner/scratch" --paths.train "$OUT/corpora/rehearsal" \
  --paths.dev corpus/dev.spacy --paths.vocabulary "$VOCAB" --system.seed "$SEED" > "$OUT/ner_scratch.log" 2>&1
score "$OUT/ner/scratch/model-last" scratch
python - "$OUT" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
rows = {}
for path in sorted((out / "metrics").glob("*_dev.json")):
    name, corpus = path.stem.rsplit("_", 2)[0], "_".join(path.stem.rsplit("_", 2)[1:])
    m = json.loads(path.read_text())
    rows.setdefault(name, {})[corpus] = {"ner_f": round(m["ner"]["f"], 2), "doc_concepts_f": round(m["document_concepts"]["f"], 2), "end_to_end_f": round(m["end_to_end"]["f"], 2)}
(out / "summary.json").write_text(json.dumps(rows, indent=2) + "\n")
print(json.dumps(rows, indent=2))
PY
python scripts/continual_report.py "$OUT/summary.json" --output "$OUT/continual.png"

#!/usr/bin/env bash
# Install built pipeline wheels into a fresh venv and check them the way a user would:
# third-party packages from the registry first, then ours with --no-index from WHEEL_DIR
# (spacy-medlink's wheel + the pipeline's); then, in fresh processes that never import
# spacy_medlink, time spacy.load N times and run user_check.py with sockets blocked.
#
#   bash scripts/package_check/fresh_venv_check.sh VENV WHEEL_DIR PACKAGE [RUNS] [--transformers]
#
# --transformers also installs torch 2.13 (CPU), spacy-transformers and transformers from
# pyproject's range. Results: VENV/load_PACKAGE.jsonl and VENV/user_check_PACKAGE.json.
set -euo pipefail
venv=$1; wheels=$2; package=$3; runs=${4:-5}; extra=${5:-}
here="$(cd "$(dirname "$0")" && pwd)"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
deps=("spacy>=3.8,<3.9" "scikit-learn>=1.3" "scipy>=1.10" rapidfuzz sparse-dot-topn srsly typer tqdm wasabi numpy)
if [ "$extra" = "--transformers" ]; then
  "$venv/bin/pip" install -q "torch==2.13.0"
  deps+=("spacy-transformers>=1.4,<1.5" "transformers>=4.48,<4.52")
fi
"$venv/bin/pip" install -q "${deps[@]}"
"$venv/bin/pip" install -q --no-index --find-links "$wheels" "$package"
"$venv/bin/pip" list 2>/dev/null | grep -iE "^(spacy|spacy-medlink|spacy-transformers|transformers|torch|en-medlink[-_a-z]*) " || true
cd "$venv"  # not the repository: spacy_medlink must come from the installed wheel
: > "load_$package.jsonl"
for _ in $(seq "$runs"); do "$venv/bin/python" "$here/load_time.py" "$package" | tail -1 | tee -a "load_$package.jsonl"; done
"$venv/bin/python" "$here/user_check.py" "$package" | tail -1 | tee "user_check_$package.json"

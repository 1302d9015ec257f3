#!/usr/bin/env bash
# Install built pipeline wheels into a fresh venv and check them the way a user would:
# spacy-medlink from its wheel file, with its third-party requirements (pyproject.toml's, and
# its [transformers] extra with --transformers) from the registry; then the pipeline package
# with --no-index from WHEEL_DIR; then, in fresh processes that never import spacy_medlink,
# time spacy.load RUNS times and run user_check.py with sockets blocked.
#
#   bash scripts/package_check/fresh_venv_check.sh VENV WHEEL_DIR PACKAGE [RUNS] [--transformers]
#
# WHEEL_DIR holds spacy_medlink-*.whl (pip wheel . --no-deps) and the pipeline wheel.
# Results: VENV/load_PACKAGE.jsonl and VENV/user_check_PACKAGE.json.
set -euo pipefail
venv=$1; wheels=$2; package=$3; runs=${4:-5}; extra=${5:-}
here="$(cd "$(dirname "$0")" && pwd)"
ours=("$wheels"/spacy_medlink-*.whl)
python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
if [ "$extra" = "--transformers" ]; then
  "$venv/bin/pip" install -q "torch==2.13.0"  # the CPU build on this machine's disk
  "$venv/bin/pip" install -q "${ours[0]}[transformers]"
else
  "$venv/bin/pip" install -q "${ours[0]}"
fi
"$venv/bin/pip" install -q --no-index --find-links "$wheels" "$package"
"$venv/bin/pip" list 2>/dev/null | grep -iE "^(spacy|spacy-medlink|spacy-transformers|transformers|torch|en-medlink[-_a-z]*) " || true
cd "$venv"  # not the repository: spacy_medlink must come from the installed wheel
: > "load_$package.jsonl"
for _ in $(seq "$runs"); do "$venv/bin/python" "$here/load_time.py" "$package" | tail -1 | tee -a "load_$package.jsonl"; done
"$venv/bin/python" "$here/user_check.py" "$package" | tail -1 | tee "user_check_$package.json"

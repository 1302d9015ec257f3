"""Run a command, copying its output to a log with seconds since start on every line, so
`spacy train` logs show steps/s and the time at which the best dev score was reached.

    python scripts/timestamped.py LOG -- COMMAND ...
"""
import os
import subprocess
import sys
import time
from pathlib import Path

if "--" not in sys.argv or sys.argv.index("--") != 2:
    sys.exit(__doc__)
log_path, command = Path(sys.argv[1]), sys.argv[3:]
if command and command[0] in ("python", "python3"):  # as weasel does: this interpreter
    command[0] = sys.executable
log_path.parent.mkdir(parents=True, exist_ok=True)  # training/logs in a fresh clone
start = time.perf_counter()
# Line-buffered log and flushed stdout: a run stopped by a time limit keeps every line so far.
with open(log_path, "w", encoding="utf8", buffering=1) as log:
    # Unbuffered child output, or the stamps would mark when a 4 KB buffer filled up.
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    for line in process.stdout:
        stamped = f"[{time.perf_counter() - start:8.1f}s] {line}"
        sys.stdout.write(stamped)
        sys.stdout.flush()
        log.write(stamped)
sys.exit(process.wait())

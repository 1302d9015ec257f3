"""scripts/train_log_summary.py: steps/s and time to the best dev score from a stamped log."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent.parent / "scripts" / "train_log_summary.py"

# Written for this test in the layout of `spacy train` output stamped by timestamped.py.
LOG = """\
[     2.0s] Using CPU
[    10.0s] Initial learn rate: 0.0
[    10.0s] E    #       LOSS TRANS...  LOSS NER  ENTS_F  ENTS_P  ENTS_R  SCORE
[    10.0s] ---  ------  -------------  --------  ------  ------  ------  ------
[    12.0s]   0       0         472.62    411.74    1.26    0.70    5.97    0.01
[    62.0s]   1     100        1441.29   2870.19   80.79   76.77   85.26    0.81
[   112.0s]   2     200         441.68    900.53   86.92   85.23   88.69    0.87
[   162.0s]   3     300         183.37    420.65   86.58   84.34   88.95    0.87
[   162.5s] Saved pipeline to output directory
"""


def _run(tmp_path, text):
    log = tmp_path / "train.log"
    log.write_text(text, encoding="utf8")
    return subprocess.run([sys.executable, str(SCRIPT), str(log)], capture_output=True, text=True)


def test_summary_finds_the_best_row_and_the_pace(tmp_path):
    result = _run(tmp_path, LOG)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    # Rounded SCOREs tie at 0.87; ENTS_F decides, as spaCy's unrounded score does.
    assert summary["best"]["step"] == 200 and summary["best"]["f"] == pytest.approx(86.92)
    assert summary["best"]["seconds_from_start"] == pytest.approx(102.0)
    assert summary["training_seconds"] == pytest.approx(152.0)
    assert summary["steps_per_second"] == pytest.approx(300 / 150.0, abs=1e-3)
    assert summary["n_evaluations"] == 4 and summary["last_step"] == 300


def test_summary_of_a_log_without_scores_fails_clearly(tmp_path):
    result = _run(tmp_path, "[     2.0s] Using CPU\n")
    assert result.returncode != 0
    assert "no score rows" in result.stderr


def test_summary_of_a_log_without_timestamps_fails_clearly(tmp_path):
    """A plain `spacy train` log (not through timestamped.py) has the same lines without the
    "[  1.0s]" stamps: the summary says what it needs, not a bare ValueError."""
    plain = "\n".join(line[12:] for line in LOG.splitlines())
    result = _run(tmp_path, plain)
    assert result.returncode != 0
    assert "timestamped.py" in result.stderr and "ValueError" not in result.stderr

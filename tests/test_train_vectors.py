"""scripts/train_vectors.py: word2vec over unlabeled text -> a spaCy vectors pipeline (lower-case keys)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from spacy.attrs import ORTH

pytest.importorskip("gensim")
ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "assets" / "sample" / "unlabeled.jsonl"


@pytest.mark.slow
def test_vectors_from_the_sample_pool_load_as_norm_vectors(tmp_path):
    out = tmp_path / "vectors"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train_vectors.py"), str(SAMPLE), str(out),
         "--dim", "8", "--min-count", "1", "--epochs", "1", "--workers", "1"],
        check=True, capture_output=True,
    )
    report = json.loads((out / "report.json").read_text())
    assert report["n_texts"] == sum(1 for line in SAMPLE.open() if line.strip())
    assert report["n_skipped_lines"] == 0 and report["n_words"] > 0
    nlp = spacy.load(out / "nlp")
    assert nlp.vocab.vectors.shape == (report["n_words"], 8)
    assert nlp.vocab.vectors.attr == ORTH
    words = [nlp.vocab.strings[key] for key in nlp.vocab.vectors.keys()]
    assert all(word == word.lower() for word in words)
    assert nlp(words[0])[0].has_vector

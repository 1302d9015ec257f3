import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin

SAMPLE = Path(__file__).parent.parent / "assets" / "sample" / "train.pubtator.txt"


@pytest.mark.slow  # a subprocess that loads spaCy and every entry point: ~10 s
def test_convert_cli_on_the_sample(tmp_path):
    output = tmp_path / "train.spacy"
    result = subprocess.run(
        [sys.executable, "-m", "spacy_medlink", "convert", str(SAMPLE), str(output)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for word in ["documents", "mentions", "converted", "misaligned", "overlapping"]:
        assert word in result.stdout
    docs = list(DocBin().from_disk(output).get_docs(spacy.blank("en").vocab))
    assert len(docs) == 30
    assert sum(len(doc.ents) for doc in docs) == 121

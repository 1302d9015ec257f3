"""input_files.iter_raw_lines: the one place a UTF-8 byte-order mark is dropped, for every
reader (PubTator, vocabularies, unlabeled texts, annotate inputs, id maps)."""
import gzip

import pytest

from spacy_medlink.errors import Errors
from spacy_medlink.input_files import UTF8_BOM, iter_raw_lines

LINES = [b'{"text": "One."}\n', b"\xef\xbb\xbf is kept after line 1\n"]


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_a_byte_order_mark_starting_the_file_is_dropped(tmp_path, suffix):
    path = tmp_path / f"texts{suffix}"
    data = UTF8_BOM + b"".join(LINES)
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    assert list(iter_raw_lines(path, Errors.E114)) == list(enumerate(LINES, start=1))

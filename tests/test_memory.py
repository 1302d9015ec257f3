"""memory.py: freed heap memory is handed back to the OS every N items of a long loop."""
import platform

import pytest

from spacy_medlink import memory


def test_trimmed_yields_every_item_and_releases_every_n(monkeypatch):
    released = []
    monkeypatch.setattr(memory, "release_freed_memory", lambda: released.append(len(seen)) or True)
    seen = []
    for item in memory.trimmed(iter(range(7)), every=3):
        seen.append(item)
    assert seen == list(range(7))
    assert released == [3, 6]  # after the 3rd and the 6th item, not after the 7th
    with pytest.raises(ValueError, match="every"):
        list(memory.trimmed([1], every=0))


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc_trim")
def test_release_freed_memory_calls_glibc():
    assert memory.release_freed_memory() is True

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


def test_release_memory_component_passes_docs_and_releases_every_n(monkeypatch):
    import spacy

    from spacy_medlink.pipeline import release_memory

    released = []
    monkeypatch.setattr(release_memory, "release_freed_memory", lambda: released.append(1) or True)
    nlp = spacy.blank("en")
    nlp.add_pipe("medlink_release_memory", config={"every": 2}, last=True)
    texts = ["one", "two words", "three more words", "four", "five"]
    docs = list(nlp.pipe(texts, batch_size=2))
    assert [doc.text for doc in docs] == texts
    assert len(released) == 2  # after the 2nd and the 4th doc
    nlp("six")
    assert len(released) == 3
    with pytest.raises(ValueError, match="MLE286"):
        spacy.blank("en").add_pipe("medlink_release_memory", config={"every": 0})


def test_annotate_adds_the_release_memory_component_once():
    """The component, not a wrapper around nlp.pipe, so that n_process workers release too."""
    import spacy

    from spacy_medlink.annotate.run import _pipe

    nlp = spacy.blank("en")
    todo = [(text, index) for index, text in enumerate(["a b", "c d e"])]
    docs = list(_pipe(nlp, iter(todo), "local", 1, 8, None, None))
    assert [(doc.text, index) for doc, index in docs] == todo
    assert nlp.pipe_names == ["medlink_release_memory"]
    list(_pipe(nlp, iter(todo), "local", 1, 8, None, None))
    assert nlp.pipe_names == ["medlink_release_memory"]


def test_release_memory_component_runs_in_n_process_workers():
    """Each worker gets its own copy of the component (it is pickled with the pipeline)."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("medlink_release_memory", config={"every": 1}, last=True)
    texts = [f"text number {i}" for i in range(8)]
    assert [doc.text for doc in nlp.pipe(texts, n_process=2, batch_size=2)] == texts

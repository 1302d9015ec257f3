"""memory.py: freed heap memory is handed back to the OS every N items of a long loop."""
import pickle
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
    with pytest.raises(ValueError, match=r"MLE286.*trimmed\(\) releases memory every 0 items"):
        list(memory.trimmed([1], every=0))


def test_release_counter_releases_when_the_count_passes_a_multiple_across_calls(monkeypatch):
    released = []
    monkeypatch.setattr(memory, "release_freed_memory", lambda: released.append(counter.n) or True)
    counter = memory.ReleaseCounter(3)
    assert [counter.count() for _ in range(4)] == [False, False, True, False]
    assert counter.count(4) is True  # 4 -> 8 passes 6
    assert counter.count(0) is False
    assert counter.count(1) is True  # 9
    assert counter.count(7) is True  # 9 -> 16 passes 12 and 15: one release
    assert released == [3, 8, 9, 16]
    for every in (0, -2):
        with pytest.raises(ValueError, match=rf"MLE286.*every {every} items"):
            memory.ReleaseCounter(every)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc_trim")
def test_release_freed_memory_calls_glibc():
    assert memory.release_freed_memory() is True


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc_trim")
def test_malloc_trim_is_found_without_forking_ldconfig(monkeypatch):
    """find_library("c") runs ldconfig in a subprocess: a fork of a 1 GB transformer worker."""
    import ctypes.util

    def no_fork(name):
        raise AssertionError("find_library forks ldconfig")

    monkeypatch.setattr(ctypes.util, "find_library", no_fork)
    monkeypatch.setattr(memory, "_looked_up", False)
    monkeypatch.setattr(memory, "_malloc_trim", None)
    assert memory.release_freed_memory() is True


def test_release_memory_component_passes_docs_and_releases_every_n(monkeypatch):
    import spacy

    released = []
    monkeypatch.setattr(memory, "release_freed_memory", lambda: released.append(1) or True)
    nlp = spacy.blank("en")
    nlp.add_pipe("medlink_release_memory", config={"every": 2}, last=True)
    texts = ["one", "two words", "three more words", "four", "five"]
    docs = list(nlp.pipe(texts, batch_size=2))
    assert [doc.text for doc in docs] == texts
    assert len(released) == 2  # after the 2nd and the 4th doc
    nlp("six")
    assert len(released) == 3
    # A spawned worker gets a pickled copy: it keeps `every` and counts on from there.
    copy = pickle.loads(pickle.dumps(nlp.get_pipe("medlink_release_memory")))
    assert copy.every == 2 and copy.counter.n == 6
    copy(nlp.make_doc("seven")), copy(nlp.make_doc("eight"))
    assert len(released) == 4
    with pytest.raises(ValueError, match="MLE286.*The component 'medlink_release_memory' releases memory every 0 docs"):
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


def test_annotate_enables_a_disabled_release_memory_component_and_avoids_a_taken_name():
    import spacy
    from spacy.language import Language

    from spacy_medlink.annotate.run import _release_memory_on

    nlp = spacy.blank("en")
    nlp.add_pipe("medlink_release_memory", name="trim", config={"every": 5})
    nlp.disable_pipe("trim")
    _release_memory_on(nlp)
    assert nlp.pipe_names == ["trim"] and nlp.get_pipe("trim").every == 5

    @Language.component("medlink_test_passthrough")
    def passthrough(doc):
        return doc

    other = spacy.blank("en")
    other.add_pipe("medlink_test_passthrough", name="medlink_release_memory")
    _release_memory_on(other)
    assert other.pipe_names == ["medlink_release_memory", "medlink_release_memory_annotate"]
    assert other.get_pipe_meta("medlink_release_memory_annotate").factory == "medlink_release_memory"


def test_release_memory_component_releases_in_n_process_workers(monkeypatch, tmp_path):
    """Each worker runs its own copy of the component (pickled, or inherited by fork)."""
    import multiprocessing
    import os

    import spacy

    if multiprocessing.get_start_method() != "fork":
        pytest.skip("the patched release function reaches the workers through fork")
    log = tmp_path / "pids"

    def record_pid():
        with log.open("a") as file_:
            file_.write(f"{os.getpid()}\n")
        return True

    monkeypatch.setattr(memory, "release_freed_memory", record_pid)
    nlp = spacy.blank("en")
    nlp.add_pipe("medlink_release_memory", config={"every": 1}, last=True)
    texts = [f"text number {i}" for i in range(8)]
    assert [doc.text for doc in nlp.pipe(texts, n_process=2, batch_size=2)] == texts
    pids = set(log.read_text().split())
    assert len(log.read_text().split()) == len(texts)  # once per doc, every=1
    assert str(os.getpid()) not in pids and len(pids) >= 1

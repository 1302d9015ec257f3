"""Forked workers (nlp.pipe(n_process=2)) run torch single-threaded: GNU OpenMP's pool does
not survive fork, and a transformer pipeline that already ran in the parent would hang."""
import os

import pytest

torch = pytest.importorskip("torch")

from spacy_medlink.fork_safety import register_fork_handler  # noqa: E402


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_runs_torch_with_one_thread():
    torch.set_num_threads(2)
    torch.ones(64, 64) @ torch.ones(64, 64)  # use the thread pool in the parent
    register_fork_handler()
    register_fork_handler()  # idempotent
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report the thread count, run a torch op, leave without cleanup
        os.close(read)
        (torch.ones(64, 64) @ torch.ones(64, 64)).sum()
        os.write(write, str(torch.get_num_threads()).encode())
        os._exit(0)
    os.close(write)
    reported = os.read(read, 16).decode()
    os.waitpid(pid, 0)
    assert reported == "1"
    assert torch.get_num_threads() == 2  # the parent is untouched


def test_linker_factory_registers_the_handler():
    import spacy

    import spacy_medlink.fork_safety as fork_safety

    nlp = spacy.blank("en")
    nlp.add_pipe("medical_entity_linker")
    assert fork_safety._registered

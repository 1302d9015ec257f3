"""Keep nlp.pipe(n_process=N) working for transformer pipelines on CPU.

spaCy's multiprocessing forks the process. Once the parent has run a torch model with several
OpenMP threads (any nlp(text) call on a transformer pipeline), a forked worker hangs in its
first torch operation: GNU OpenMP's thread pool does not survive fork (pytorch/pytorch#17199).
PyTorch's own DataLoader workers avoid it by running torch with one thread; forked children of
a process that imported spacy_medlink do the same, and only when torch is already imported.
One thread per worker is also what n_process workers on n cores should use.
"""
import os
import sys

_registered = False


def _single_threaded_torch() -> None:
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def register_fork_handler() -> None:
    """Register the after-fork handler once per process (no-op where fork does not exist)."""
    global _registered
    if not _registered and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_single_threaded_torch)
        _registered = True

"""`annotate --backend ray`: one loaded pipeline per Ray actor, batches handed out by Ray's
ActorPool in input order, so the output is the local backend's. An actor whose process dies is
restarted by Ray and its batch retried (up to MAX_RETRIES times), so nothing is lost or
duplicated. Ray is optional: `pip install spacy-medlink[ray]`."""
import os
from pathlib import Path
from collections import deque
from typing import Any, Deque, Iterable, Iterator, List, Optional, Tuple

from spacy.tokens import Doc

from ..loading import pipeline_location

ACTOR_NAME = "medlink-annotate-{index}"
# A worker process that dies is restarted and its batch retried this many times (a batch that
# kills every worker, e.g. out of memory, fails the run instead of looping forever).
MAX_RETRIES = 3
IN_FLIGHT_PER_WORKER = 2


def _worker_class():
    import ray

    @ray.remote(max_restarts=MAX_RETRIES, max_task_retries=MAX_RETRIES, num_cpus=1)
    class PipelineWorker:
        def __init__(self, model: str):
            import spacy

            self.nlp = spacy.load(model)  # an absolute path: a worker may not share the cwd

        def annotate(self, texts: List[str], batch_size: int) -> List[bytes]:
            from spacy_medlink.memory import release_freed_memory

            found = [doc.to_bytes(exclude=["tensor"]) for doc in self.nlp.pipe(texts, batch_size=batch_size)]
            release_freed_memory()  # a long-lived worker would otherwise keep growing (memory.py)
            return found

        def pid(self) -> int:
            return os.getpid()

    return PipelineWorker


def _batches(items: Iterable[Tuple[str, Any]], size: int) -> Iterator[Tuple[List[str], List[Any]]]:
    texts, contexts = [], []
    for text, context in items:
        texts.append(text)
        contexts.append(context)
        if len(texts) == size:
            yield texts, contexts
            texts, contexts = [], []
    if texts:
        yield texts, contexts


def ray_pipe(nlp, model, items: Iterable[Tuple[str, Any]], *, workers: int, batch_size: int,
             address: Optional[str] = None) -> Iterator[Tuple[Doc, Any]]:
    """(doc, context) for each (text, context), in order, annotated by `workers` Ray actors.

    address (Optional[str]): A running Ray cluster; None starts a local Ray for this run.
    """
    import ray
    from ray.util import ActorPool

    started = not ray.is_initialized()
    if started:
        ray.init(address=address, num_cpus=None if address else workers, include_dashboard=False,
                 log_to_driver=False, configure_logging=False)
    actors = []
    try:
        worker = _worker_class()
        # A folder as an absolute path to its pipeline (a package's folder holds it one level
        # down); a package name as it is (the workers share this environment).
        location = pipeline_location(model)
        model = str(location.resolve()) if isinstance(location, Path) else location
        actors = [worker.options(name=ACTOR_NAME.format(index=i)).remote(model) for i in range(max(1, workers))]
        pool = ActorPool(actors)
        # A bounded window of batches in flight (ActorPool.map would read the whole input
        # first); results come back in submission order.
        window = IN_FLIGHT_PER_WORKER * len(actors)
        contexts: Deque[List[Any]] = deque()

        def results() -> Iterator[Tuple[Doc, Any]]:
            data = pool.get_next()
            for item, context in zip(data, contexts.popleft()):
                yield Doc(nlp.vocab).from_bytes(item), context

        for texts, batch_contexts in _batches(items, batch_size):
            pool.submit(lambda actor, value: actor.annotate.remote(value, batch_size), texts)
            contexts.append(batch_contexts)
            if len(contexts) >= window:
                yield from results()
        while pool.has_next():
            yield from results()
    finally:
        for actor in actors:
            ray.kill(actor)
        if started:
            ray.shutdown()

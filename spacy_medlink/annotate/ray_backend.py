"""`annotate --backend ray`: one loaded pipeline per Ray actor, batches handed out by Ray's
ActorPool in input order, so the output is the local backend's. An actor whose process dies is
restarted by Ray and its batch retried (max_restarts / max_task_retries), so nothing is lost
or duplicated. Ray is optional: `pip install spacy-medlink[ray]`."""
import os
from pathlib import Path
from typing import Any, Iterable, Iterator, List, Optional, Tuple

from spacy.tokens import Doc

ACTOR_NAME = "medlink-annotate-{index}"


def _worker_class():
    import ray

    @ray.remote(max_restarts=-1, max_task_retries=-1, num_cpus=1)
    class PipelineWorker:
        def __init__(self, model: str):
            import spacy

            self.nlp = spacy.load(model)  # an absolute path: a worker may not share the cwd

        def annotate(self, texts: List[str], batch_size: int) -> List[bytes]:
            return [doc.to_bytes(exclude=["tensor"]) for doc in self.nlp.pipe(texts, batch_size=batch_size)]

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
    try:
        worker = _worker_class()
        model = str(Path(model).resolve())
        actors = [worker.options(name=ACTOR_NAME.format(index=i)).remote(model)
                  for i in range(max(1, workers))]
        pool = ActorPool(actors)
        batches = _batches(items, batch_size)
        contexts: List[List[Any]] = []

        def submit(actor, batch):
            contexts.append(batch[1])
            return actor.annotate.remote(batch[0], batch_size)

        for index, docs in enumerate(pool.map(submit, batches)):
            for data, context in zip(docs, contexts[index]):
                yield Doc(nlp.vocab).from_bytes(data), context
            contexts[index] = None
        for actor in actors:
            ray.kill(actor)
    finally:
        if started:
            ray.shutdown()

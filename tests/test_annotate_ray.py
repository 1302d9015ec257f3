"""annotate --backend ray on a local Ray instance (issue 15): the same output as the local
backend, and a worker killed mid-run is survived with nothing lost or duplicated."""
import os
import signal
import threading
import time

import pytest

from spacy_medlink.annotate.run import annotate, parts_folder
from test_annotate import TEXTS, _jsonl, model  # noqa: F401 (the module-scoped fixture)

ray = pytest.importorskip("ray")


def _many(tmp_path, n=60):
    return _jsonl(tmp_path / "many.jsonl", [{"text": TEXTS[i % len(TEXTS)], "meta": {"i": i}} for i in range(n)])


def test_ray_output_equals_local_and_survives_a_killed_worker(model, tmp_path):  # noqa: F811
    source = _many(tmp_path)
    annotate(model, source, tmp_path / "local.jsonl", shard_size=5, progress=False)
    out = tmp_path / "ray.jsonl"
    killed = []

    def kill_a_worker_after_the_first_shard():
        deadline = time.time() + 120
        while time.time() < deadline and not list(parts_folder(out).glob("shard-*.jsonl")):
            time.sleep(0.05)
        actor = ray.get_actor("medlink-annotate-0")
        pid = ray.get(actor.pid.remote())
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    killer = threading.Thread(target=kill_a_worker_after_the_first_shard, daemon=True)
    killer.start()
    summary = annotate(model, source, out, shard_size=5, batch_size=2, n_process=2, backend="ray", progress=False)
    killer.join(timeout=5)
    assert killed, "the worker was not killed during the run"
    assert summary.n_annotated == 60 and summary.backend == "ray"
    assert out.read_text() == (tmp_path / "local.jsonl").read_text()

"""Run a pipeline over a corpus in resumable shards.

Good records are numbered in input order and shard k holds records k*S ... (k+1)*S - 1. Each
shard is written atomically to OUTPUT.parts/ once all its documents are done; the parts folder
also keeps the run's settings (state.json). `--resume` skips the records of finished shards
and redoes only unfinished ones, so after any interruption (Ctrl-C, kill -9) the final output,
the shards joined in order, has every input document exactly once. Bad records are counted,
named (file and line) in the summary, and skipped or fatal (on_error)."""
import json
import shutil
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from tqdm import tqdm

from ..errors import Errors, Warnings
from ..loading import load_pipeline
from ..pipeline.components import components_of, entity_components
from ..pipeline.linker import LINKER_FACTORY
from ..pipeline.release_memory import RELEASE_MEMORY_FACTORY
from .inputs import BadRecord, InputRecord, count_lines, file_format, input_paths, read_records
from .outputs import (OUTPUT_FORMATS, RECEIPT_SUFFIX, merge_shards, names_from_store, output_format,
                      replace_atomically, shard_is_complete, write_shard)

ON_ERROR = ("skip", "fail")
BACKENDS = ("local", "ray")
STATE_FILE = "state.json"
_N_WARNED = 5


@dataclass
class AnnotateSummary:
    """What a run did; every input record is in exactly one of the counts."""

    output: str
    format: str
    n_records: int = 0          # records read (good + bad)
    n_annotated: int = 0        # documents run through the pipeline in this run
    n_from_earlier_run: int = 0  # documents of shards finished before --resume
    n_bad: int = 0
    bad: List[str] = field(default_factory=list)
    n_entities: int = 0
    n_linked: int = 0
    n_words: int = 0
    n_shards: int = 0
    seconds: float = 0.0
    backend: str = "local"
    n_process: int = 1

    @property
    def words_per_second(self) -> float:
        return self.n_words / self.seconds if self.seconds else 0.0

    def to_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data["words_per_second"] = round(self.words_per_second, 1)
        data["docs_per_second"] = round(self.n_annotated / self.seconds, 2) if self.seconds else 0.0
        return data


def parts_folder(output: Path) -> Path:
    return output.with_name(output.name + ".parts")


def _shard_path(parts: Path, index: int, kind: str) -> Path:
    return parts / f"shard-{index:06d}{OUTPUT_FORMATS[kind]}"


def _run_state(model, paths: List[Path], kind: str, input_format: str, shard_size: int) -> Dict[str, Any]:
    return {
        "model": str(Path(model).resolve()),
        "input": [[str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns] for p in paths],
        "input_format": input_format, "format": kind, "shard_size": shard_size,
    }


def _prepare_parts(output: Path, state: Dict[str, Any], resume: bool) -> Tuple[Path, set]:
    """The parts folder (created, or checked against the interrupted run) and finished shards."""
    parts = parts_folder(output)
    state_path = parts / STATE_FILE
    if parts.exists():
        if not resume:
            raise ValueError(Errors.E324.format(parts=parts))
        try:
            found = json.loads(state_path.read_text())
        except (OSError, ValueError):
            found = {"input": f"an unreadable {STATE_FILE}"}
        if found != state:
            changed = [key for key in state if found.get(key) != state[key]] or sorted(found)
            raise ValueError(Errors.E323.format(
                output=output, parts=parts, found={key: found.get(key) for key in changed},
                expected={key: state.get(key) for key in changed}))
    else:
        parts.mkdir(parents=True)
        tmp = state_path.with_name(STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(state))
        replace_atomically(tmp, state_path)
    done, redone = set(), []
    for shard in sorted(parts.glob("shard-*")):
        if shard.name.endswith((".tmp", RECEIPT_SUFFIX)):
            continue
        if shard_is_complete(shard):
            done.add(int(shard.name.split("-")[1].split(".")[0]))
        else:
            redone.append(shard.name)
    if redone:
        warnings.warn(Warnings.W322.format(parts=parts, n=len(redone), shards=", ".join(redone[:_N_WARNED])))
    return parts, done


def _bad(record: BadRecord, on_error: str, summary: AnnotateSummary) -> None:
    if on_error == "fail":
        if record.problem.startswith("undecodable"):
            raise ValueError(Errors.E321.format(path=f"{record.source}, line {record.line}", error=record.problem))
        raise ValueError(Errors.E320.format(path=record.source, line=record.line, problem=record.problem))
    summary.n_bad += 1
    summary.bad.append(record.describe())


def _todo(records: Iterable[Union[InputRecord, BadRecord]], shard_size: int, done: set, on_error: str,
          summary: AnnotateSummary) -> Iterator[Tuple[str, Tuple[int, InputRecord]]]:
    """(text, (shard, record)) of the good records whose shard is not finished yet."""
    index = 0
    for record in records:
        summary.n_records += 1
        if isinstance(record, BadRecord):
            _bad(record, on_error, summary)
            continue
        shard = index // shard_size
        index += 1
        if shard in done:
            summary.n_from_earlier_run += 1
            continue
        yield record.text, (shard, record)
    summary.n_shards = -(-index // shard_size)


def annotate(
    model: Union[str, Path],
    input_path: Union[str, Path],
    output: Union[str, Path],
    *,
    format: Optional[str] = None,
    input_format: str = "auto",
    n_process: int = 1,
    batch_size: int = 64,
    shard_size: int = 1000,
    resume: bool = False,
    on_error: str = "skip",
    backend: str = "local",
    ray_address: Optional[str] = None,
    progress: bool = True,
) -> AnnotateSummary:
    """Annotate every document of the input with the pipeline and write OUTPUT (see the module
    docstring). RETURNS (AnnotateSummary): the counts, also written to OUTPUT.summary.json."""
    if on_error not in ON_ERROR:
        raise ValueError(Errors.E325.format(what="--on-error value", value=on_error, expected=", ".join(ON_ERROR)))
    if backend not in BACKENDS:
        raise ValueError(Errors.E325.format(what="backend", value=backend, expected=", ".join(BACKENDS)))
    for option, value, meaning in (
        ("--n-process", n_process, "processes or Ray workers"),
        ("--batch-size", batch_size, "documents per nlp.pipe batch"),
        ("--shard-size", shard_size, "documents per output shard"),
    ):
        if value < 1:
            raise ValueError(Errors.E307.format(option=option, value=value, meaning=meaning))
    output = Path(output)
    kind = output_format(output, format)
    own_files = [output, parts_folder(output), output.with_name(output.name + ".summary.json")]
    paths = input_paths(input_path, exclude=own_files)
    for path in paths:
        file_format(path, input_format)  # an unknown --input-format fails before any work
    # Everything that can fail on a typo fails before OUTPUT.parts exists.
    nlp = load_pipeline(model)
    if not entity_components(nlp):
        warnings.warn(Warnings.W321.format(model=model, found=", ".join(nlp.pipe_names) or "none"))
    parts, done = _prepare_parts(output, _run_state(model, paths, kind, input_format, shard_size), resume)
    summary = AnnotateSummary(output=str(output), format=kind, backend=backend, n_process=n_process)
    linkers = components_of(nlp, LINKER_FACTORY)
    names_of = names_from_store(nlp.get_pipe(linkers[0]).kb.store if linkers else None)
    started = time.perf_counter()
    todo = _todo(read_records(paths, input_format, Path(input_path)), shard_size, done, on_error, summary)
    bar = tqdm(total=count_lines(paths), desc="Annotate", unit="doc", disable=not progress, smoothing=0.1)
    for shard, items in _shards(_pipe(nlp, todo, backend, n_process, batch_size, model, ray_address)):
        write_shard(_shard_path(parts, shard, kind), kind, items, names_of)
        _count(summary, items)
        summary.seconds = time.perf_counter() - started
        bar.update(len(items))
        bar.set_postfix_str(f"{summary.words_per_second:,.0f} words/s")
    bar.close()
    summary.seconds = time.perf_counter() - started
    if summary.n_records == summary.n_bad:  # nothing to write: an empty or wrong input, not a run
        shutil.rmtree(parts)
        problem = ("has no records" if not summary.n_records else
                   f"has {summary.n_bad} records, all bad (first: {'; '.join(summary.bad[:_N_WARNED])})")
        raise ValueError(Errors.E322.format(path=input_path, problem=problem))
    if summary.bad:
        examples = "; ".join(summary.bad[:_N_WARNED])
        warnings.warn(Warnings.W320.format(n_skipped=summary.n_bad, n_total=summary.n_records, examples=examples))
    merge_shards([_shard_path(parts, k, kind) for k in range(summary.n_shards)], kind, output)
    output.with_name(output.name + ".summary.json").write_text(json.dumps(summary.to_dict(), indent=2) + "\n")
    shutil.rmtree(parts)
    return summary


def _pipe(nlp, todo, backend: str, n_process: int, batch_size: int, model, ray_address) -> Iterator[Tuple[Any, Tuple[int, InputRecord]]]:
    if backend == "ray":
        from .ray_backend import ray_pipe

        return ray_pipe(nlp, model, todo, workers=n_process, batch_size=batch_size, address=ray_address)
    # Freed transformer buffers are handed back as it goes (memory.py), by a component, so in
    # each of spaCy's n_process workers too.
    _release_memory_on(nlp)
    return nlp.pipe(todo, as_tuples=True, n_process=n_process, batch_size=batch_size)


def _release_memory_on(nlp) -> None:
    """Enable the pipeline's medlink_release_memory component, adding one (last) if it has
    none; a component of another factory may already hold the name."""
    existing = components_of(nlp, RELEASE_MEMORY_FACTORY, include_disabled=True)
    if existing:
        if existing[0] in nlp.disabled:
            nlp.enable_pipe(existing[0])
        return
    name = RELEASE_MEMORY_FACTORY
    if name in nlp.component_names:
        name = f"{RELEASE_MEMORY_FACTORY}_annotate"
    nlp.add_pipe(RELEASE_MEMORY_FACTORY, name=name, last=True)


def _shards(docs: Iterable[Tuple[Any, Tuple[int, InputRecord]]]) -> Iterator[Tuple[int, List]]:
    """Group the (in-order) pipeline output by shard; a shard is yielded once it is complete."""
    current, items = None, []
    for doc, (shard, record) in docs:
        if shard != current and items:
            yield current, items
            items = []
        current = shard
        items.append((record, doc))
    if items:
        yield current, items


def _count(summary: AnnotateSummary, items: List) -> None:
    for _, doc in items:
        summary.n_annotated += 1
        summary.n_words += len(doc)
        summary.n_entities += len(doc.ents)
        summary.n_linked += sum(1 for ent in doc.ents if ent.kb_id_)

"""`python -m spacy_medlink kb-update PIPELINE VOCAB`: new concepts, synonyms and retired ids
into the KB of a trained pipeline, without retraining."""
from pathlib import Path
from typing import Optional

from wasabi import msg

from ..errors import Errors
from ..loading import pipeline_folder
from ._app import Arg, Opt, app, check_distinct_paths, check_output_path, coded_errors, save_json

_N_SHOWN = 5


def save_pipeline_atomically(nlp, target: Path, *, with_manifest: bool) -> None:
    """Save to a sibling folder, then swap it in: a failure leaves the old pipeline whole, and
    no file of an earlier pipeline stays behind in the new one (or in its manifest)."""
    import os
    import shutil

    from ..integrity import write_manifest

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp, old = (target.with_name(f".{target.name}.{suffix}") for suffix in ("kb-update-new", "kb-update-old"))
    for stale in (tmp, old):
        if stale.exists():
            shutil.rmtree(stale)
    nlp.to_disk(tmp)
    if with_manifest:  # `assemble` wrote one; `verify` checks it
        write_manifest(tmp, skip=["meta.json"])
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    if old.exists():
        shutil.rmtree(old)


@app.command("kb-update")
@coded_errors()
def kb_update_cli(
    pipeline: Path = Arg(..., help="Trained pipeline folder, or an installed package folder", exists=True, file_okay=False),
    vocabulary: Path = Arg(..., help="Newer or extra vocabulary: MEDIC TSV(.gz) or concepts JSONL", exists=True, dir_okay=False),
    id_map: Optional[Path] = Opt(None, "--id-map", help="TSV of retired ids: OLD_ID<TAB>NEW_ID per line", exists=True, dir_okay=False),
    output: Optional[Path] = Opt(None, "--output", "-o", help="Where the updated pipeline goes (default: update PIPELINE in place)"),
    report_path: Optional[Path] = Opt(None, "--report", "-r", help="Write what changed (ids included) as JSON"),
    vocab_format: str = Opt("auto", "--format", help="auto, medic or jsonl"),
    encoder: Optional[str] = Opt(None, "--encoder", help="Registered @misc encoder for the new concepts' vectors (default: the KB build's default, LSA)"),
) -> None:
    """Add concepts, synonyms and retired ids to the KB inside a trained pipeline. New
    concepts are linked at once through the linker's features (no retraining); a retired id
    (in --id-map, or an alt id of an update record) resolves to its successor. The
    medlink_kb_mentions table gets the new names too."""
    import spacy

    from ..integrity import MANIFEST_FILE
    from ..kb.readers import read_vocabulary
    from ..kb.update import read_id_map
    from ..pipeline.kb_update import update_pipeline_kb

    check_distinct_paths([("the update report", report_path)], [("the vocabulary", vocabulary), ("the id map", id_map)])
    for path, what in ((output, "the updated pipeline"), (report_path, "the update report")):
        if path is not None:  # before the pipeline loads: a typo costs nothing
            check_output_path(path, what, folder=path is output)
    folder = pipeline_folder(pipeline)
    target = output or folder
    if output is None:  # in place (an output was checked above)
        check_output_path(folder, "the updated pipeline", folder=True)
    others = sorted(p.name for p in target.iterdir()) if target.is_dir() else []
    if others and not (target / "config.cfg").exists():  # the swap would delete them
        raise OSError(Errors.E309.format(what="the updated pipeline", path=target, found=", ".join(others[:_N_SHOWN])))
    nlp = spacy.load(folder)
    updates = list(read_vocabulary(vocabulary, format=vocab_format))
    report = update_pipeline_kb(
        nlp, updates, encoder=encoder, id_map=read_id_map(id_map) if id_map is not None else {},
        progress=True,
    )
    nlp.meta.setdefault("medlink_kb_updates", []).append({"vocabulary": str(vocabulary), **report.counts()})
    save_pipeline_atomically(nlp, target, with_manifest=(folder / MANIFEST_FILE).exists())
    counts = report.counts()
    msg.table([(k[2:], f"{v:,}") for k, v in counts.items()], header=("", "concepts"), aligns=("l", "r"))
    for conflict in report.conflicts[:_N_SHOWN]:
        msg.warn(conflict)
    if len(report.conflicts) > _N_SHOWN:
        msg.warn(f"... {len(report.conflicts) - _N_SHOWN} more conflicts (--report lists them all)")
    if report_path is not None:
        save_json(report_path, report.to_dict(), "the update report")
    msg.good(f"Saved the updated pipeline to {target}")

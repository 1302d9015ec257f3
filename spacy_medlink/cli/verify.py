"""`python -m spacy_medlink verify PIPELINE`: is a saved pipeline or package folder whole?"""
from pathlib import Path

from wasabi import msg

from ._app import Arg, app, coded_errors


@app.command("verify")
@coded_errors()
def verify_cli(pipeline: Path = Arg(..., help="Pipeline folder (or an installed package's model folder)")):
    """Check every file of a saved pipeline against the sizes and sha256 recorded when it was
    saved (medlink_files.json; `assemble` records spaCy's own files too). Exit 1 with a coded
    message naming the first damaged or missing file, or when nothing could be verified (a
    check in CI must not pass on the wrong folder)."""
    from ..errors import Errors
    from ..integrity import MANIFEST_FILE, verify_tree

    if not pipeline.is_dir():
        problem = "it is a file, not a folder" if pipeline.exists() else "there is no such folder"
        raise ValueError(Errors.E039.format(path=pipeline, problem=problem))
    manifests = verify_tree(pipeline)
    if not manifests:
        raise ValueError(Errors.E039.format(path=pipeline, problem=f"it holds no {MANIFEST_FILE}, so nothing could be verified"))
    if not sum(manifests.values()):
        raise ValueError(Errors.E039.format(path=pipeline, problem=f"its {MANIFEST_FILE} list no files, so nothing was verified"))
    if not (pipeline / MANIFEST_FILE).exists():
        msg.warn(f"{pipeline} has no pipeline-level {MANIFEST_FILE} (only `assemble` writes "
                 "one): spaCy's own files (tokenizer, vocab, ner, ...) were not checked.")
    msg.good(f"{pipeline}: every file matches its {len(manifests)} manifest(s).")

"""Damage each file of a saved pipeline in four ways and record what loading it does.

Run in a subprocess by test_hostile_input.py, so a crash of spaCy's Cython readers (which a
missing KB `contents` file once caused) fails the test instead of killing pytest:

    python tests/corrupt_pipeline.py PIPELINE WORKDIR OUTPUT.json
"""
import json
import shutil
import sys
from pathlib import Path

MODES = ("delete", "truncate", "empty", "garble")
PROBE = "Patients with breast cancer (BC) and ovarian cancer had fever."


def damage(path: Path, mode: str) -> None:
    data = path.read_bytes()
    if mode == "delete":
        path.unlink()
    elif mode == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif mode == "empty":
        path.write_bytes(b"")
    else:  # flip 16 bytes in the middle: same size, different content
        mid = len(data) // 2
        path.write_bytes(data[:mid] + bytes(b ^ 0x5A for b in data[mid : mid + 16]) + data[mid + 16 :])


def links(nlp) -> list:
    return [(e.start_char, e.end_char, e.kb_id_) for e in nlp(PROBE).ents]


def outcome(call):
    try:
        return {"result": call()}
    except Exception as err:  # what happened is the data: the test judges it
        return {"error": type(err).__name__, "message": str(err)}


def main(source: Path, work: Path, output: Path) -> None:
    import faulthandler

    import spacy

    from spacy_medlink.integrity import verify_tree

    faulthandler.enable()
    expected = links(spacy.load(source))
    files = sorted(p.relative_to(source).as_posix() for p in source.rglob("*") if p.is_file())
    rows = []
    for relative in files:
        if relative.split("/")[-1] == "medlink_files.json" and relative.count("/") == 0:
            continue  # the pipeline manifest itself: verify reads it, spacy.load never does
        for mode in MODES:
            if work.exists():
                shutil.rmtree(work)
            shutil.copytree(source, work)
            damage(work / relative, mode)
            rows.append({
                "file": relative,
                "mode": mode,
                "load": outcome(lambda: links(spacy.load(work)) == expected),
                "verify": outcome(lambda: len(verify_tree(work))),
            })
    output.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))

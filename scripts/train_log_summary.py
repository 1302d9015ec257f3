"""Steps/s and time to the best dev score, from a `spacy train` log written by timestamped.py.

    python scripts/train_log_summary.py LOG  -> JSON on stdout

Times count from the "Initial learn rate" line (training starts; loading and initializing the
pipeline come before it) to the moment a score row is printed, so they include the dev
evaluations, as a user waiting for model-best experiences them.
"""
import json
import re
import sys

# "[  1297.0s]   5     800         441.68    900.53   86.92   85.23   88.69    0.87"
_ROW = re.compile(r"^\[\s*(?P<t>[\d.]+)s\]\s+(?P<epoch>\d+)\s+(?P<step>\d+)\s+(?P<rest>[\d.\s]+)$")
# "[    31.5s] ℹ Initial learn rate: 0.0"
_START = re.compile(r"^\[\s*(?P<t>[\d.]+)s\].*Initial learn rate")


def summarize(lines):
    start = None
    rows = []
    for line in lines:
        started = _START.match(line) if start is None else None
        if started is not None:
            start = float(started.group("t"))
        match = _ROW.match(line.rstrip("\n"))
        if match is None:
            continue
        values = [float(v) for v in match.group("rest").split()]
        # The last four columns are ENTS_F, ENTS_P, ENTS_R and SCORE (losses come before).
        f, p, r, score = values[-4:]
        rows.append({"seconds": float(match.group("t")), "step": int(match.group("step")),
                     "f": f, "p": p, "r": r, "score": score})
    if not rows:
        raise SystemExit("no score rows found: is this a `spacy train` log from timestamped.py?")
    start = rows[0]["seconds"] if start is None else start
    # SCORE is printed with 2 decimals; ENTS_F breaks its ties (it is the whole score in our
    # configs), then the earlier step (spaCy keeps the first best).
    best = max(rows, key=lambda row: (row["score"], row["f"], -row["step"]))
    first, last = rows[0], rows[-1]
    span = last["seconds"] - first["seconds"]
    return {
        "n_evaluations": len(rows),
        "last_step": last["step"],
        "training_seconds": round(last["seconds"] - start, 1),
        "steps_per_second": round((last["step"] - first["step"]) / span, 3) if span > 0 else None,
        "best": {**best, "seconds_from_start": round(best["seconds"] - start, 1)},
    }


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf8") as log:
        print(json.dumps(summarize(log), indent=2))

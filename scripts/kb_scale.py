"""How does the KB scale? A benchmark of the current design on a synthetic vocabulary (issue 15).

    python scripts/kb_scale.py training/medlink ../shared/data/medic/CTD_diseases.tsv.gz \
        corpus/dev.spacy --n-concepts 300000 --work-dir /tmp/kb_scale --output benchmarks/kb_scale.json

The synthetic vocabulary is MEDIC plus N made-up concepts whose names and synonyms are 2-4
words drawn from MEDIC's own name words (real-looking tokens; nothing to download), about 3.3
names per concept as in UMLS (3 M concepts, 10 M aliases). Each step runs in a fresh process:
`build-kb` (seconds, peak RSS), the KB folder's size, `MedlinkKB.load` (seconds, RSS after
load), and the workflow's linker with the KB swapped in, linking the NER's entities of a dev
corpus on a cold and a warm pass, next to the same with the pipeline's own MEDIC KB. With
--mapped the KBs are MappedKBs (build-kb --mapped), and a mapped MEDIC KB is linked too.
"""
import argparse
import gzip
import json
import random
import subprocess
import sys
import time
from pathlib import Path

NAMES_PER_CONCEPT = (1, 6)  # uniform: 3.5 on average, UMLS has ~3.3


def write_vocabulary(medic: Path, n_concepts: int, out: Path, seed: int = 0) -> dict:
    from spacy_medlink.kb.readers import read_vocabulary

    rng = random.Random(seed)
    concepts = list(read_vocabulary(medic))
    words = sorted({w for c in concepts for name in (c.name, *c.synonyms) for w in name.lower().split() if w.isalpha() and len(w) > 3})
    n_names = 0
    with gzip.open(out, "wt", encoding="utf8") as file_:
        for c in concepts:
            file_.write(json.dumps({"id": c.concept_id, "name": c.name, "synonyms": list(c.synonyms),
                                    "tree_numbers": list(c.tree_numbers), "parent_ids": list(c.parent_ids),
                                    "alt_ids": list(c.alt_ids), "categories": list(c.categories)}) + "\n")
            n_names += 1 + len(c.synonyms)
        for i in range(n_concepts):
            names = [" ".join(rng.choice(words) for _ in range(rng.randint(2, 4))) for _ in range(rng.randint(*NAMES_PER_CONCEPT))]
            file_.write(json.dumps({"id": f"SYN:{i:07d}", "name": names[0], "synonyms": names[1:]}) + "\n")
            n_names += len(names)
    return {"n_concepts": len(concepts) + n_concepts, "n_names": n_names, "n_medic_concepts": len(concepts), "n_words": len(words)}


def in_subprocess(code: str) -> dict:
    """Run code in a fresh interpreter; it prints one JSON line (with its own peak RSS)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        return {"failed": done.stderr[-2000:], "seconds_total": round(time.perf_counter() - started, 1)}
    return json.loads(done.stdout.strip().splitlines()[-1])


def folder_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


BUILD = """
import json, time, resource
from pathlib import Path
from spacy_medlink.kb.build_from_files import build_kb_from_paths
t = time.perf_counter()
kb, report = build_kb_from_paths(Path({vocab!r}), Path({out!r}), progress=False, name="scale", mapped={mapped!r})
print(json.dumps({{"seconds": round(time.perf_counter() - t, 1), "n_concepts": kb.get_size_entities(), "n_aliases": kb.get_size_aliases(), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}}))
"""
LOAD = """
import json, time, resource
from spacy.vocab import Vocab
from spacy_medlink.kb.loaders import kb_from_disk
t = time.perf_counter()
kb = kb_from_disk(Vocab(), {path!r})
seconds = time.perf_counter() - t
print(json.dumps({{"seconds": round(seconds, 2), "rss_after_load_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}}))
"""
LINK = """
import json, time, resource, spacy
from spacy_medlink.evaluation.evaluate import find_linker
from spacy_medlink.kb.loaders import kb_from_disk
from spacy_medlink.training.gold_corpus import read_gold
nlp = spacy.load({model!r})
name, linker = find_linker(nlp)
if {kb!r}:
    kb = kb_from_disk(nlp.vocab, {kb!r})
    linker.set_kb(lambda vocab: kb)
texts = [d.text for d in read_gold({dev!r}, nlp.vocab)]
with nlp.select_pipes(disable=[name]):
    docs = list(nlp.pipe(texts))
n = sum(len(d.ents) for d in docs)
out = {{}}
for run in ("cold", "warm"):
    t = time.perf_counter()
    for i in range(0, len(docs), 32):
        batch = docs[i:i + 32]
        linker.set_annotations(batch, linker.predict(batch))
    out[run] = round(n / (time.perf_counter() - t))
print(json.dumps({{"n_mentions": n, "mentions_per_second": out, "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("medic", type=Path)
    parser.add_argument("dev", type=Path)
    parser.add_argument("--n-concepts", type=int, default=300_000)
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--mapped", action="store_true", help="Build MappedKBs (build-kb --mapped), the MEDIC one too")
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    vocab = args.work_dir / "vocabulary.jsonl.gz"
    kb = args.work_dir / "kb"
    results = {"command": " ".join(["python", *sys.argv]), "vocabulary": write_vocabulary(args.medic, args.n_concepts, vocab)}
    results["kb_format"] = "mapped" if args.mapped else "medlink"
    results["build"] = in_subprocess(BUILD.format(vocab=str(vocab), out=str(kb), mapped=args.mapped))
    if "failed" not in results["build"]:
        results["build"]["kb_folder_mb"] = folder_mb(kb)
        results["load"] = in_subprocess(LOAD.format(path=str(kb)))
        results["link_scaled_kb"] = in_subprocess(LINK.format(model=args.model, kb=str(kb), dev=str(args.dev)))
    # The pipeline's own (MEDIC, MedlinkKB) KB: the baseline of the speed line.
    results["link_medic_kb"] = in_subprocess(LINK.format(model=args.model, kb="", dev=str(args.dev)))
    if args.mapped:
        medic_kb = args.work_dir / "medic_kb"
        results["build_medic_mapped"] = in_subprocess(BUILD.format(vocab=str(args.medic), out=str(medic_kb), mapped=True))
        results["link_medic_mapped_kb"] = in_subprocess(LINK.format(model=args.model, kb=str(medic_kb), dev=str(args.dev)))
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

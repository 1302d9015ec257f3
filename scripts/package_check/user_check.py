"""User code for an installed medlink pipeline package: never imports spacy_medlink.

python user_check.py PACKAGE_NAME  -> JSON report on stdout (last line). Run by
scripts/package_check/fresh_venv_check.sh; see docs/PACKAGING.md.
"""
import json
import resource
import socket
import sys
import time


def _blocked(*args, **kwargs):
    raise OSError("network access is blocked in this check")


# No network from here on: every connect (HTTP, DNS-over-TCP, HF hub) raises.
socket.socket.connect = _blocked
socket.socket.connect_ex = _blocked
socket.create_connection = _blocked

name = sys.argv[1]
t0 = time.perf_counter()
import spacy  # noqa: E402

t_import = time.perf_counter() - t0
t0 = time.perf_counter()
nlp = spacy.load(name)
t_load = time.perf_counter() - t0
rss_after_load_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
report = {"package": name, "pipe_names": nlp.pipe_names, "import_spacy_s": round(t_import, 2),
          "spacy_load_s": round(t_load, 2), "peak_rss_after_load_mb": round(rss_after_load_mb),
          "spacy_medlink_imported_by_spacy": "spacy_medlink" in sys.modules,
          "requirements": nlp.meta.get("requirements")}

TEXTS = [
    "Germline mutations in BRCA1 predispose women to breast and ovarian cancer.",
    "Ataxia-telangiectasia (A-T) is a recessive disorder; children with A-T often develop lymphoma.",
    "Myotonic dystrophy and Huntington disease are caused by repeat expansions.",
    "Patients with type 2 diabetes had a higher risk of kidney failure.",
]


def ents(doc):
    return [(e.text, e.label_, e.kb_id_) for e in doc.ents]


def names(doc):
    """kb_id -> concept name, from the linker's explanations."""
    return {r["kb_id"]: c["name"] for r in doc._.medlink_links for c in r["candidates"][:1]}


t0 = time.perf_counter()
docs = [nlp(t) for t in TEXTS]
report["link_4_texts_s"] = round(time.perf_counter() - t0, 2)
report["linked"] = [ents(d) for d in docs]
report["names"] = [names(d) for d in docs]
report["n_process_2_same"] = [ents(d) for d in nlp.pipe(TEXTS, n_process=2)] == report["linked"]

# Compose: a user's entity_ruler before the linker adds a term the NER misses.
extra = "heart attack"
text = "Her father had a heart attack; she has migraine."
report["without_ruler"] = ents(nlp(text))
ruler = nlp.add_pipe("entity_ruler", before="medlink_abbreviations")
ruler.add_patterns([{"label": "DISEASE", "pattern": extra}])
report["with_ruler_pipes"] = nlp.pipe_names
report["with_ruler"] = ents(nlp(text))

# Replace the NER with the user's own: only a ruler proposes mentions.
upstream = [p for p in nlp.pipe_names if p not in ("entity_ruler", "medlink_abbreviations", "medical_entity_linker")]
own = spacy.load(name, exclude=upstream)
own.add_pipe("entity_ruler", first=True).add_patterns(
    [{"label": "DISEASE", "pattern": p} for p in ("shingles", "gout", "tinnitus")])
report["own_ner_pipes"] = own.pipe_names
report["own_ner"] = ents(own("He was treated for shingles and gout, not for tinnitus or migraine."))

# The block is effective: a connection attempt fails.
try:
    socket.create_connection(("pypi.org", 443), timeout=2)
    report["network_blocked"] = False
except OSError:
    report["network_blocked"] = True
print(json.dumps(report))

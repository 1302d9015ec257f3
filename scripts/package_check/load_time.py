"""Time spacy.load(NAME) in this fresh process, the first (warm-up) doc, and peak RSS.

python load_time.py PACKAGE_NAME -> one JSON line. Run by fresh_venv_check.sh.
"""
import json, resource, sys, time
t0 = time.perf_counter()
import spacy
t_import = time.perf_counter() - t0
t0 = time.perf_counter()
nlp = spacy.load(sys.argv[1])
t_load = time.perf_counter() - t0
rss_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.perf_counter()
nlp("Ataxia-telangiectasia (A-T) is a recessive disorder; children with A-T develop lymphoma.")
t_first = time.perf_counter() - t0
print(json.dumps({"import_spacy_s": round(t_import, 2), "spacy_load_s": round(t_load, 2),
                  "peak_rss_after_load_mb": round(rss_load), "first_doc_s": round(t_first, 2),
                  "peak_rss_after_first_doc_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))

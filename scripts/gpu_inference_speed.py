"""Words/s of a pipeline on the GPU over the texts of a gold corpus (batch size 64), after a
warm-up pass; prints JSON.

    python scripts/gpu_inference_speed.py MODEL DATA.spacy [--cpu]
"""
import json
import sys
import time

import spacy
from spacy.tokens import DocBin

model, data = sys.argv[1], sys.argv[2]
if "--cpu" not in sys.argv:
    spacy.require_gpu()
nlp = spacy.load(model)
texts = [doc.text for doc in DocBin().from_disk(data).get_docs(nlp.vocab)]
list(nlp.pipe(texts[:64], batch_size=64))  # warm-up: CUDA kernels, allocator
results = []
for _ in range(3):
    start = time.perf_counter()
    n_words = sum(len(doc) for doc in nlp.pipe(texts, batch_size=64))
    results.append(n_words / (time.perf_counter() - start))
print(json.dumps({"model": model, "docs": len(texts), "words": n_words,
                  "words_per_s": [round(r) for r in results], "batch_size": 64,
                  "device": "cpu" if "--cpu" in sys.argv else "gpu"}))

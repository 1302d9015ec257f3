"""Words/s of a pipeline on the GPU over the texts of a gold corpus (batch size 64 unless
--batch-size says otherwise), after a
warm-up pass; prints JSON. Measured twice: the whole pipeline, and the components up to the NER
(the CPU-side components after them, abbreviations and short-form mentions, cost the same on
any machine).

    python scripts/gpu_inference_speed.py MODEL DATA.spacy [--cpu] [--batch-size N]
"""
import json
import sys
import time

import spacy
from spacy.tokens import DocBin


def words_per_s(nlp, texts, batch_size: int, repeats: int = 3):
    list(nlp.pipe(texts[:batch_size], batch_size=batch_size))  # warm-up: CUDA kernels, allocator
    results = []
    for _ in range(repeats):
        start = time.perf_counter()
        n_words = sum(len(doc) for doc in nlp.pipe(texts, batch_size=batch_size))
        results.append(round(n_words / (time.perf_counter() - start)))
    return n_words, results


model, data = sys.argv[1], sys.argv[2]
batch_size = int(sys.argv[sys.argv.index("--batch-size") + 1]) if "--batch-size" in sys.argv else 64
if "--cpu" not in sys.argv:
    spacy.require_gpu()
nlp = spacy.load(model)
texts = [doc.text for doc in DocBin().from_disk(data).get_docs(nlp.vocab)]
n_words, pipeline = words_per_s(nlp, texts, batch_size)
# Recognition: every component up to the NER (the KB matcher feeds the NER's KB features).
ner_only = nlp.pipe_names[: nlp.pipe_names.index("ner") + 1]
with nlp.select_pipes(enable=ner_only):
    _, ner = words_per_s(nlp, texts, batch_size)
print(json.dumps({"model": model, "docs": len(texts), "words": n_words, "batch_size": batch_size,
                  "words_per_s": pipeline, "pipeline": nlp.pipe_names,
                  "words_per_s_" + "+".join(ner_only): ner,
                  "device": "cpu" if "--cpu" in sys.argv else "gpu"}))

"""Static word vectors from the unlabeled pool, for the CNN NER (`include_static_vectors`).

The CNN's hash embeddings start from nothing: with a few dozen gold abstracts, every word the
gold never shows is noise to it. Word2vec (gensim, skip-gram) over the 2.5 M words of the
unlabeled pool, tokenized by the pipeline's tokenizer and lower-cased (token NORM), gives it
what the pool knows of each word ("hypertension" near "hypotension", "seizures" near
"epilepsy").

The vectors are looked up by the token's text (ORTH), so a capitalized token ("Hypertension"
at a sentence start) finds none. spaCy 3.8 saves default-mode vectors without their key
attribute (vectors.cfg keeps only the mode), so `init vectors --attr NORM` reads back as ORTH
after to_disk; the figures in docs/BENCHMARKS.md were measured with these lower-case ORTH keys.

    python scripts/train_vectors.py ../shared/data/unlabeled/pubmed_sentences.jsonl.gz \
        corpus/pool_vectors --dim 100 --min-count 3

Writes OUTPUT/vectors.txt (word2vec text format) and OUTPUT/nlp (a spaCy pipeline holding
only the vectors, `spacy init vectors`): pass it as `--paths.vectors OUTPUT/nlp`.
OUTPUT/report.json counts texts, tokens, words kept and the seconds of each step.
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from tqdm import tqdm

from spacy_medlink.tokenizer import create_biomedical_tokenizer
from spacy_medlink.training.unlabeled import read_unlabeled_texts


def tokenized_norms(texts, batch_size: int = 1000):
    """Lists of token NORMs, one per text, from the project's biomedical tokenizer."""
    import spacy

    nlp = spacy.blank("en")
    nlp.tokenizer = create_biomedical_tokenizer()(nlp)
    for doc in tqdm(nlp.pipe(texts, batch_size=batch_size), total=len(texts), desc="Tokenize", unit="text"):
        yield [token.norm_ for token in doc if not token.is_space]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("unlabeled", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--min-count", type=int, default=3)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from gensim.models import Word2Vec

    args.output.mkdir(parents=True, exist_ok=True)
    report = {"command": " ".join(sys.argv), "seconds": {}}
    start = time.perf_counter()
    texts, read_report = read_unlabeled_texts(args.unlabeled)
    sentences = list(tokenized_norms(texts))
    report["seconds"]["tokenize"] = round(time.perf_counter() - start, 1)
    report["n_texts"] = len(sentences)
    report["n_skipped_lines"] = read_report.n_skipped
    report["n_tokens"] = sum(len(s) for s in sentences)
    start = time.perf_counter()
    model = Word2Vec(
        sentences, vector_size=args.dim, window=args.window, min_count=args.min_count,
        sg=1, epochs=args.epochs, workers=args.workers, seed=args.seed,
    )
    report["seconds"]["word2vec"] = round(time.perf_counter() - start, 1)
    report["n_words"] = len(model.wv)
    vectors = args.output / "vectors.txt"
    model.wv.save_word2vec_format(str(vectors), binary=False)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "spacy", "init", "vectors", "en", str(vectors), str(args.output / "nlp"),
         "--name", "medlink_pool_vectors"],
        check=True,
    )
    report["seconds"]["init_vectors"] = round(time.perf_counter() - start, 1)
    (args.output / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""Registered entity-vector encoders: Callable[[List[Concept]], np.ndarray[n, dim]].

The linker learns to compare a mention's context with these vectors, so they only need to
place concepts with similar names and definitions close to each other.
"""
from typing import Iterable, List

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.preprocessing import normalize as l2_normalize
from spacy.util import registry
from threadpoolctl import threadpool_limits

from ..errors import Errors
from .records import Concept

# Word uni+bigrams hashed into 2**20 buckets: collisions are negligible for MEDIC's vocabulary
# and no fitted vocabulary has to be stored.
_N_FEATURES = 2**20


class LSAConceptEncoder:
    """Latent semantic analysis of each concept's name, synonyms and definition: hashed word
    uni+bigrams -> TF-IDF -> truncated SVD -> L2-normalized rows. Deterministic for a given
    seed; picklable.

    dim (int): Vector length.
    seed (int): Random state of the randomized SVD.
    """

    def __init__(self, dim: int = 64, seed: int = 0):
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise ValueError(Errors.E022.format(dim=dim))
        self.dim = dim
        self.seed = seed

    @property
    def name(self) -> str:
        """RETURNS (str): A description of the encoder, for the KB's meta.json."""
        return f"spacy-medlink.LSAConceptEncoder.v1(dim={self.dim}, seed={self.seed})"

    def __call__(self, concepts: List[Concept]) -> np.ndarray:
        """Encode concepts.

        concepts (List[Concept]): The concepts.
        RETURNS (np.ndarray): float32 array of shape (len(concepts), dim), rows of unit length
            (all-zero for a concept that shares no word with any other:
            33 of MEDIC's 11,865, e.g. "Acalvaria"). With fewer concepts than dim, only
            len(concepts) - 1 components exist; the remaining columns are zero.
        """
        vectors = np.zeros((len(concepts), self.dim), dtype=np.float32)
        tfidf = TfidfTransformer().fit_transform(_make_vectorizer().transform(_texts(concepts))).tocsr()
        tfidf = tfidf[:, _shared_columns(tfidf)]
        # TruncatedSVD needs fewer components than samples and than features.
        n_components = min(self.dim, len(concepts) - 1, tfidf.shape[1] - 1)
        if n_components >= 1:
            svd = TruncatedSVD(n_components=n_components, random_state=self.seed)
            # One BLAS thread: identical results on every machine, and on a busy machine
            # faster than oversubscribed threads (MEDIC: ~1 s instead of 5-15 s).
            with threadpool_limits(limits=1):
                vectors[:, :n_components] = svd.fit_transform(tfidf)
        return l2_normalize(vectors).astype(np.float32, copy=False)


    def encode_sampled(self, concepts: List[Concept], max_fit: int, chunk: int = 500_000) -> np.ndarray:
        """Encode a vocabulary too large to fit at once (millions of concepts): the TF-IDF
        weights and the SVD are fitted on `max_fit` concepts spread evenly over the list, then
        every concept is projected, `chunk` at a time. Equal to __call__ when
        len(concepts) <= max_fit.

        RETURNS (np.ndarray): float32 (len(concepts), dim), rows of unit length (or zero).
        """
        if len(concepts) <= max_fit:
            return self(concepts)
        vectorizer = _make_vectorizer()
        step = len(concepts) / max_fit
        counts = vectorizer.transform(_texts(concepts[int(i * step)] for i in range(max_fit)))
        transformer = TfidfTransformer().fit(counts)
        tfidf = transformer.transform(counts).tocsr()
        columns = _shared_columns(tfidf)
        n_components = min(self.dim, max_fit - 1, len(columns) - 1)
        vectors = np.zeros((len(concepts), self.dim), dtype=np.float32)
        if n_components < 1:
            return vectors
        svd = TruncatedSVD(n_components=n_components, random_state=self.seed)
        with threadpool_limits(limits=1):
            svd.fit(tfidf[:, columns])
            for start in range(0, len(concepts), chunk):
                part = transformer.transform(vectorizer.transform(_texts(concepts[start:start + chunk])))
                vectors[start:start + chunk, :n_components] = svd.transform(part.tocsr()[:, columns])
        return l2_normalize(vectors).astype(np.float32, copy=False)


def _make_vectorizer() -> HashingVectorizer:
    return HashingVectorizer(ngram_range=(1, 2), n_features=_N_FEATURES, alternate_sign=False, norm=None)


def _texts(concepts: Iterable[Concept]) -> List[str]:
    """What the encoder reads of each concept: its names and definition."""
    return [" ".join((c.name, *c.synonyms, c.definition)) for c in concepts]


def _shared_columns(tfidf) -> np.ndarray:
    """Columns (hashed terms) used by at least two concepts. A term of a single concept
    cannot relate two concepts, and the randomized SVD costs time per column: MEDIC has
    ~174k used columns but only ~50k shared ones. Falls back to all used columns for tiny
    vocabularies without shared terms."""
    doc_freq = np.bincount(tfidf.indices, minlength=tfidf.shape[1])
    shared = np.flatnonzero(doc_freq >= 2)
    return shared if len(shared) >= 2 else np.flatnonzero(doc_freq >= 1)


@registry.misc("spacy-medlink.LSAConceptEncoder.v1")
def create_lsa_encoder(dim: int = 64, seed: int = 0) -> LSAConceptEncoder:
    """Create the LSA concept encoder (see LSAConceptEncoder).

    dim (int): Vector length.
    seed (int): Random state of the SVD.
    RETURNS (LSAConceptEncoder): Callable[[List[Concept]], np.ndarray].
    """
    return LSAConceptEncoder(dim=dim, seed=seed)

"""Evidence features that read the mention and alias strings."""
import pytest

from spacy_medlink.candidates.base import Candidate
from spacy_medlink.pipeline.features import EVIDENCE_GROUPS, FEATURE_NAMES, Mention, numbers_of


@pytest.mark.parametrize(
    "normalized,expected",
    [
        ("complement c 7 deficiency", {"7"}),
        ("complement component 7 deficiency", {"7"}),
        ("type iid von willebrand disease", {"2"}),  # subtype letter after "type"
        ("von willebrand disease type 2", {"2"}),
        ("stage ii or stage iii colorectal cancer", {"2", "3"}),
        ("spastic paraplegia 2 x linked", {"2"}),  # "x" is not ten outside "type x"
        ("via the receptor", set()),  # "via" is not "vi" + "a" outside "type"
        ("type i diabetes", {"1"}),
        ("breast cancer", set()),
        ("", set()),
    ],
)
def test_numbers_of(normalized, expected):
    assert numbers_of(normalized) == frozenset(expected)


def test_every_feature_is_in_one_evidence_group():
    grouped = [name for names in EVIDENCE_GROUPS.values() for name in names if name in FEATURE_NAMES]
    assert sorted(grouped) == sorted(FEATURE_NAMES)


def test_number_features_separate_c2_from_c7():
    """"complement c7 deficiency" is nearly the same string as "complement c2 deficiency";
    the number features tell them apart."""
    from spacy_medlink.pipeline.features import _static_features

    class Info:
        train_counts = {}
        static_cache = {}

        def get(self, concept_id):
            return ((1.0, 0.0, 0.0), 0.5, frozenset(), True, [0.0])

    def candidate(concept_id, alias):
        return Candidate(concept_id, alias, 0.8, False, True, 0, 0, 1.0)

    mention = Mention(0, 0, 3, "complement C7 deficiency", "complement c 7 deficiency", [
        candidate("MESH:C2", "complement c 2 deficiency"),
        candidate("MESH:C7", "complement component 7 deficiency"),
        candidate("MESH:CD", "complement deficiency"),
    ])
    rows, _ = _static_features(mention, Info(), None)
    only_alias = rows[:, FEATURE_NAMES.index("numbers_only_in_alias")].tolist()
    only_query = rows[:, FEATURE_NAMES.index("numbers_only_in_query")].tolist()
    assert only_alias == [1.0, 0.0, 0.0]
    assert only_query == [1.0, 0.0, 1.0]


def _pairwise_coherence(mentions, doc_index, concept_id, query):
    """The definition coherence implements: best support from the doc's other strings."""
    best, top1 = 0.0, 0.0
    for other in mentions:
        if other.doc_index != doc_index or other.query == query:
            continue
        for rank, cand in enumerate(other.candidates):
            if cand.concept_id == concept_id:
                best = max(best, cand.similarity)
                top1 = max(top1, float(rank == 0))
    return best, top1


def _st_mentions():
    from hypothesis import strategies as st

    candidate = st.builds(
        lambda cid, sim: Candidate(cid, "a", sim, False, False, 0, 0, 0.0),
        st.sampled_from(["C1", "C2", "C3"]),
        st.floats(0.0, 1.0, allow_nan=False),
    )
    mention = st.builds(
        lambda doc, query, cands: Mention(doc, 0, 1, query, query, cands),
        st.integers(0, 1), st.sampled_from(["p", "q", "r", "s"]), st.lists(candidate, max_size=4),
    )
    return st.lists(mention, max_size=12)


def test_coherence_in_linear_time_equals_the_pairwise_definition():
    """Coherence is computed for the whole batch at once (linear in the pairs) and must give
    what the pairwise loop over every other mention gives."""
    from hypothesis import given, settings

    from spacy_medlink.pipeline.coherence import coherence_columns

    @settings(max_examples=300, deadline=None)
    @given(_st_mentions())
    def check(mentions):
        best, top1 = coherence_columns(mentions)
        pairs = [(m, c) for m in mentions for c in m.candidates]
        assert len(best) == len(top1) == len(pairs)
        for (mention, cand), got in zip(pairs, zip(best, top1)):
            want = _pairwise_coherence(mentions, mention.doc_index, cand.concept_id, mention.query)
            assert got == pytest.approx(want)

    check()


def test_static_features_of_a_batch_equal_those_of_each_query_alone():
    """Prediction computes the static features of all new queries in one pass: the rows of a
    query must not depend on the queries beside it (is_generic / is_specific, rank and the
    best-similarity gap are per query)."""
    from pathlib import Path

    import numpy as np
    import spacy

    from spacy_medlink.candidates.char_ngram import create_char_ngram_candidates
    from spacy_medlink.kb.build import build_kb
    from spacy_medlink.kb.records import Concept
    from spacy_medlink.kb.encoders import create_lsa_encoder
    from spacy_medlink.kb.readers import read_vocabulary
    from spacy_medlink.pipeline.features import ConceptInfo, static_feature_rows

    vocab_path = Path(__file__).parent / "data" / "linker_vocab.jsonl"
    # Neoplasms is the parent of two of the concepts: generic / specific features fire.
    family = [
        Concept("MESH:T1", "neoplasms", ("tumour",), tree_numbers=("C04",)),
        Concept("MESH:T2", "breast neoplasms", ("breast tumour",), tree_numbers=("C04.1",), parent_ids=("MESH:T1",)),
        Concept("MESH:T3", "lung neoplasms", ("lung tumour",), tree_numbers=("C04.2",), parent_ids=("MESH:T1",)),
    ]
    kb, _ = build_kb([*read_vocabulary(vocab_path), *family], spacy.blank("en").vocab,
                     encoder=create_lsa_encoder(dim=8), progress=False)
    queries = ["breast cancer", "ovarian cancers", "breast tumours", "lung tumour", "zzzz", "neoplasm"]
    candidate_lists = create_char_ngram_candidates()(kb, queries)
    info = ConceptInfo(kb)
    rows, vectors = static_feature_rows(queries, candidate_lists, info, None)
    alone = [static_feature_rows([q], [c], info, None) for q, c in zip(queries, candidate_lists)]
    np.testing.assert_array_equal(rows, np.concatenate([r for r, _ in alone]))
    np.testing.assert_array_equal(vectors, np.concatenate([v for _, v in alone]))
    assert len(rows) == sum(map(len, candidate_lists)) > len(queries)
    generic = FEATURE_NAMES.index("is_generic")
    assert rows[:, generic].any(), "the fixture should have a parent among some query's candidates"

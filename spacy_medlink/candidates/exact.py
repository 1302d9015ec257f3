"""Candidates by exact match of the normalized mention against the KB's normalized aliases."""
from dataclasses import dataclass
from typing import List, Optional, Sequence

from spacy.util import registry

from .base import Candidate, Exclusions, get_alias_table


def exact_candidates(
    kb, queries: Sequence[str], exclude: Optional[Exclusions] = None
) -> List[List[Candidate]]:
    """Concepts whose normalized alias equals each normalized query, highest prior first.

    kb (MedlinkKB): the knowledge base.
    queries (Sequence[str]): normalized mention strings.
    exclude (Optional[Exclusions]): training counts to ignore (leave-one-document-out).
    RETURNS (List[List[Candidate]]): one list per query.
    """
    table = get_alias_table(kb)
    results = []
    for query in queries:
        skip = exclude.get(query) if exclude else None
        found = [
            Candidate(cid, query, 1.0, True, is_vocab, n_train, alias_total, prior)
            for cid, is_vocab, n_train, alias_total, prior in table.lookup(query, skip)
        ]
        found.sort(key=lambda c: -c.prior)
        results.append(found)
    return results


@dataclass(frozen=True)
class ExactCandidates:
    """Picklable candidate generator (see spacy-medlink.ExactCandidates.v1)."""

    def __call__(self, kb, queries, exclude=None):
        return exact_candidates(kb, queries, exclude)


@registry.misc("spacy-medlink.ExactCandidates.v1")
def create_exact_candidates() -> ExactCandidates:
    """Normalized exact alias match: the behaviour of spaCy's default candidate generator,
    with the shared alias normalizer applied to both sides."""
    return ExactCandidates()

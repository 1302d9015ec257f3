"""spacy-medlink.CharNgramCandidates.v1: exact alias matches plus fuzzy ones from the KB's
character n-gram index (kb/alias_index.py), for the query and for its KB-synonym rewrite."""
from dataclasses import dataclass
from typing import Dict, List, Optional

import numpy as np
from spacy.util import registry

from ..kb.alias_index import CharNgramIndex
from ..kb.word_substitutions import rewrite
from .base import Candidate, Exclusions, get_alias_table
from .entry_arrays import merge_candidates

# Bound on the per-KB cache of candidate lists (a few hundred bytes each).
MAX_CACHED_CANDIDATE_LISTS = 200_000


@dataclass(frozen=True)
class CharNgramCandidates:
    """Exact alias matches plus the concepts of the n_aliases most similar aliases, for the
    query and for its KB-synonym rewrite (rewrites.py).

    k (int): concepts kept per mention, by best similarity then prior.
    n_aliases (int): aliases retrieved from the n-gram index per query string.
    use_rewrites (bool): also search the rewritten query.
    """

    k: int = 20
    n_aliases: int = 64
    use_rewrites: bool = True

    def __call__(self, kb, queries, exclude: Optional[Exclusions] = None):
        table = get_alias_table(kb)
        queries = list(queries)
        # Without exclusions the result depends on the query string and these settings alone,
        # so it is cached on the KB's alias table per settings (mention strings repeat a lot
        # within and across documents; two linkers with different k may share one KB).
        cache = table.candidate_cache.setdefault(self, {}) if not exclude else {}
        todo = [q for q in dict.fromkeys(queries) if q not in cache]
        if todo:
            if len(cache) + len(todo) > MAX_CACHED_CANDIDATE_LISTS:
                cache.clear()
            cache.update(self._generate(kb, table, todo, exclude))
        return [cache[q] for q in queries]

    def prepare(self, kb) -> None:
        """Build the arrays the prediction path reads (_generate_batch) for a loaded KB."""
        if isinstance(getattr(kb, "alias_index", None), CharNgramIndex):
            get_alias_table(kb).entry_arrays()

    def _search(self, kb, table, queries: List[str]) -> tuple:
        """The queries' KB-synonym rewrites (query -> rewrite, where it differs), the strings
        searched (queries and rewrites, each once) and their n_aliases best alias rows and
        cosines (alias_index.search)."""
        rewritten = {}
        if self.use_rewrites:
            for q in queries:
                r = rewrite(q, table.substitutions)
                if r != q:
                    rewritten[q] = r
        strings = list(dict.fromkeys([*queries, *rewritten.values()]))
        rows, sims = kb.alias_index.search(strings, self.n_aliases)
        return rewritten, strings, rows, sims

    def _generate(self, kb, table, queries: List[str], exclude) -> Dict[str, list]:
        if not exclude and isinstance(kb.alias_index, CharNgramIndex):
            return self._generate_batch(kb, table, queries)
        index = kb.alias_index
        rewritten, strings, rows, sims = self._search(kb, table, queries)
        hits_of = {s: _hits(index, rows[i], sims[i]) for i, s in enumerate(strings)}
        results = {}
        for query in queries:
            # concept -> (similarity, prior, alias, vocab, train count, alias total)
            best: Dict[str, tuple] = {}
            # The query itself first: an exact alias must win its concept's slot.
            for alias, sim in [(query, 1.0)] + hits_of[query]:
                skip = exclude.get(alias) if exclude else None
                for cid, is_vocab, n_train, alias_total, prior in table.lookup(alias, skip):
                    old = best.get(cid)
                    if old is None or (sim, prior) > old[:2]:
                        best[cid] = (sim, prior, alias, is_vocab, n_train, alias_total)
            rewrite_sim: Dict[str, float] = {}
            if query in rewritten:
                target = rewritten[query]
                for alias, sim in [(target, 1.0)] + hits_of[target]:
                    skip = exclude.get(alias) if exclude else None
                    for cid, is_vocab, n_train, alias_total, prior in table.lookup(alias, skip):
                        if sim > rewrite_sim.get(cid, 0.0):
                            rewrite_sim[cid] = sim
                        if cid not in best:
                            best[cid] = (0.0, prior, alias, is_vocab, n_train, alias_total)
            ranked = sorted(
                best.items(), key=lambda kv: (-max(kv[1][0], rewrite_sim.get(kv[0], 0.0)), -kv[1][1])
            )[: self.k]
            results[query] = [
                Candidate(cid, alias, sim, alias == query, is_vocab, n_train, alias_total, prior,
                          rewrite_sim.get(cid, 0.0))
                for cid, (sim, prior, alias, is_vocab, n_train, alias_total) in ranked
            ]
        return results

    def _generate_batch(self, kb, table, queries: List[str]) -> Dict[str, list]:
        """What _generate finds, for every query at once on the alias table's arrays
        (entry_arrays.py): the linker's prediction path."""
        index: CharNgramIndex = kb.alias_index
        entries = table.entry_arrays()
        rewritten, strings, rows, sims = self._search(kb, table, queries)
        position = {s: i for i, s in enumerate(strings)}
        # Column 0: the string itself when it is an alias (similarity 1.0).
        own_rows = np.fromiter((entries.row_of.get(s, -1) for s in strings), dtype=np.int64, count=len(strings))
        hit_rows = np.concatenate([own_rows[:, None], rows], axis=1)
        hit_sims = np.concatenate([np.ones((len(strings), 1), dtype=sims.dtype), sims], axis=1)
        main_of = np.asarray([position[q] for q in queries], dtype=np.int64)
        rewrite_of = np.asarray([position[rewritten[q]] if q in rewritten else -1 for q in queries], dtype=np.int64)
        merged = merge_candidates(entries, hit_rows, hit_sims, main_of, rewrite_of, self.k)
        concept_ids, aliases = entries.concept_ids, index.aliases
        concept = entries.concept[merged.entry].tolist()
        is_vocab = entries.is_vocab[merged.entry].tolist()
        n_train = entries.n_train[merged.entry].tolist()
        alias_total = entries.alias_total[merged.entry].tolist()
        prior = entries.prior[merged.entry].tolist()
        alias_row = merged.alias_row.tolist()
        similarity, rewrite_similarity = merged.similarity.tolist(), merged.rewrite_similarity.tolist()
        bounds = merged.bounds.tolist()
        results = {}
        for i, query in enumerate(queries):
            found = []
            for j in range(bounds[i], bounds[i + 1]):
                alias = aliases[alias_row[j]]
                found.append(Candidate(concept_ids[concept[j]], alias, similarity[j], alias == query, is_vocab[j],
                                       n_train[j], alias_total[j], prior[j], rewrite_similarity[j]))
            results[query] = found
        return results


def _hits(index: CharNgramIndex, rows, sims) -> list:
    return [(index.aliases[r], float(s)) for r, s in zip(rows, sims) if r >= 0]


@registry.misc("spacy-medlink.CharNgramCandidates.v1")
def create_char_ngram_candidates(
    k: int = 20, n_aliases: int = 64, use_rewrites: bool = True
) -> CharNgramCandidates:
    """Fuzzy candidates: character 3-gram TF-IDF cosine against every KB alias, so mention
    strings never seen as aliases still find their concepts."""
    return CharNgramCandidates(k=k, n_aliases=n_aliases, use_rewrites=use_rewrites)

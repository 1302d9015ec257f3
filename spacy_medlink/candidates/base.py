"""What every candidate generator returns, and the KB-derived alias table they share.

A generator maps normalized mention strings to concept candidates. Each candidate carries the
string evidence that produced it (matched alias, cosine, exact/vocabulary match, training
counts, prior), so the ranker can weigh it and explanations can show it.
"""
from pathlib import Path
from typing import Dict, FrozenSet, List, Mapping, NamedTuple, Optional, Tuple

from ..integrity import manifest_digest
from ..kb.corpus_concepts import is_corpus_concept
from ..kb.normalize import normalize_alias
from ..kb.word_substitutions import mine_word_substitutions
from .entry_arrays import ENTRY_ARRAYS_FILE, AliasEntries

# A leave-one-document-out view of the training counts: alias -> {concept_id: count} to
# subtract. Training the ranker on documents whose own mentions were added to the KB as aliases
# would otherwise teach it that an exact match is always right.
Exclusions = Mapping[str, Mapping[str, int]]
# Bound on the per-KB cache of alias rows (derived data; a UMLS-size KB has ten million aliases).
MAX_CACHED_ALIASES = 500_000


class Candidate(NamedTuple):
    concept_id: str
    alias: str  # the normalized alias that matched this concept best
    similarity: float  # character n-gram cosine of query and alias (1.0 when identical)
    exact: bool  # query == alias
    vocab_match: bool  # alias is a normalized name/synonym of the concept in the vocabulary
    train_count: int  # training mentions with this alias text linked to this concept
    alias_train_total: int  # training mentions with this alias text, any concept
    prior: float  # P(concept | alias), as in the KB, recomputed under exclusions
    rewrite_similarity: float = 0.0  # cosine of the KB-synonym rewrite of the query (rewrites.py)


class AliasTable:
    """Alias -> [(concept_id, vocabulary weight, training count)] derived from a MedlinkKB.

    Rows are derived per alias on first lookup (a few microseconds each), so creating the table
    costs nothing at load time however large the KB. Cached on the KB object, never in a
    module-level global, so two pipelines with two KBs never share state.
    """

    def __init__(self, kb) -> None:
        self.kb = kb
        # The index the table was derived with: a KB reloaded in place (from_disk/from_bytes on
        # the same object) gets a new one, and the table is derived again (get_alias_table).
        self.alias_index = getattr(kb, "alias_index", None)
        self.smoothing = float(getattr(kb, "meta", {}).get("prior_smoothing", 1.0))
        self._vocab_cache: Dict[str, FrozenSet[str]] = {}
        self._substitutions: Optional[Dict[str, str]] = kb.meta.get("word_substitutions")
        # Candidate lists per generator (its settings) and query string, filled by the
        # generators (derived data: never saved).
        self.candidate_cache: Dict[object, Dict[str, list]] = {}
        self.entries: Dict[str, List[Tuple[str, bool, int]]] = {}
        self._entry_arrays: Optional[AliasEntries] = None

    def rows(self, alias: str) -> List[Tuple[str, bool, int]]:
        """RETURNS (List[Tuple[str, bool, int]]): (concept_id, from the vocabulary, training
        count) for every concept of the alias in the KB; empty for an unknown alias."""
        rows = self.entries.get(alias)
        if rows is None and len(self.entries) >= MAX_CACHED_ALIASES:  # a KB of millions of aliases
            self.entries.clear()
        if rows is None and hasattr(self.kb, "alias_entries"):  # a MappedKB stores the flags
            rows = self.entries[alias] = self.kb.alias_entries(alias)
        if rows is None:
            alias_counts = self.kb.store.alias_counts.get(alias, {})
            rows = []
            for cand in self.kb.get_alias_candidates(alias):
                concept_id = cand.entity_
                n_train = int(alias_counts.get(concept_id, 0))
                # A pair with a KB prior but no training count came from the vocabulary.
                is_vocab = n_train == 0 or alias in self.vocab_aliases(concept_id)
                rows.append((concept_id, is_vocab, n_train))
            self.entries[alias] = rows
        return rows

    def entry_arrays(self) -> AliasEntries:
        """RETURNS (AliasEntries): lookup() of every alias of the KB's n-gram index, as arrays
        (built once, ~0.5 s for MEDIC: the linker asks for it when it loads)."""
        if self._entry_arrays is None:
            self._entry_arrays = AliasEntries.from_table(self, self.kb.alias_index.aliases)
            # The per-alias rows it read are in the arrays now: ~60,000 small lists fewer for
            # the garbage collector to walk on every full collection.
            self.entries.clear()
            self._vocab_cache.clear()
        return self._entry_arrays

    def save_entry_arrays(self, folder: Path, kb_folder: Path) -> None:
        """Save the arrays entry_arrays() derived, if it did, to folder/ENTRY_ARRAYS_FILE,
        tagged with the digest of the KB folder they were derived from (its manifest's
        checksum): only call it right after writing that KB folder."""
        if self._entry_arrays is None:
            return
        kb_digest = manifest_digest(kb_folder)
        if kb_digest is not None:
            self._entry_arrays.to_disk(Path(folder) / ENTRY_ARRAYS_FILE, kb_digest)

    def restore_entry_arrays(self, folder: Path, kb_folder: Path) -> bool:
        """Take the arrays save_entry_arrays wrote for this KB folder instead of deriving them
        (~0.5 s of every load for MEDIC). RETURNS (bool): whether they were taken; arrays of
        another KB folder (another digest) are ignored."""
        path = Path(folder) / ENTRY_ARRAYS_FILE
        index, kb_digest = getattr(self.kb, "alias_index", None), manifest_digest(kb_folder)
        if index is None or kb_digest is None or not path.exists():
            return False
        found = AliasEntries.from_disk(path, index.aliases, kb_digest)
        if found is not None:
            self._entry_arrays = found
        return found is not None

    @property
    def substitutions(self) -> Dict[str, str]:
        """RETURNS (Dict[str, str]): KB-mined word classes (kb/word_substitutions.py), mined on first use."""
        if self._substitutions is None:
            self._substitutions = mine_word_substitutions(self.kb.store)
        return self._substitutions

    def vocab_aliases(self, concept_id: str) -> FrozenSet[str]:
        """RETURNS (FrozenSet[str]): the concept's normalized name and synonyms."""
        found = self._vocab_cache.get(concept_id)
        if found is None:
            concept = self.kb.store.get(concept_id)
            # A corpus concept's name is a training mention, not a vocabulary name.
            has_names = concept is not None and not is_corpus_concept(concept)
            names = (concept.name, *concept.synonyms) if has_names else ()
            found = frozenset(normalize_alias(n) for n in names)
            self._vocab_cache[concept_id] = found
        return found

    def lookup(
        self, alias: str, exclude: Optional[Mapping[str, int]] = None
    ) -> List[Tuple[str, bool, int, int, float]]:
        """Concepts of one alias with (concept_id, vocab, train_count, alias_total, prior).

        exclude (Optional[Mapping[str, int]]): training counts to subtract for this alias.
        RETURNS (list): empty when, after exclusions, nothing supports the alias.
        """
        rows = self.rows(alias)
        if not rows:
            return []
        weights = []
        for concept_id, is_vocab, n_train in rows:
            if exclude:
                n_train = max(0, n_train - exclude.get(concept_id, 0))
            weight = self.smoothing * is_vocab + n_train
            weights.append((concept_id, is_vocab, n_train, weight))
        total = sum(w[3] for w in weights)
        if total <= 0:
            return []
        alias_total = sum(w[2] for w in weights)
        return [
            (cid, is_vocab, n_train, alias_total, weight / total)
            for cid, is_vocab, n_train, weight in weights
            if weight > 0
        ]


def get_alias_table(kb) -> AliasTable:
    """RETURNS (AliasTable): the table for this KB, built on first use."""
    table = getattr(kb, "_medlink_alias_table", None)
    if table is None or table.kb is not kb or table.alias_index is not getattr(kb, "alias_index", None):
        table = AliasTable(kb)
        kb._medlink_alias_table = table
    return table

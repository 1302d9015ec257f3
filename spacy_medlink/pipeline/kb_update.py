"""Put an updated KB into a loaded pipeline: every medical_entity_linker gets it, and every
medlink_kb_mentions component the merged vocabulary's names, so the NER's KB features see the
new concepts too. Nothing is retrained: the linker scores new concepts through its features."""
from typing import Iterable, Mapping, Optional

from spacy.language import Language

from ..errors import Errors
from ..kb.alias_matcher import AliasMatcher
from ..kb.build_from_files import DEFAULT_ENCODER, make_encoder
from ..kb.records import Concept
from ..kb.update import UpdateReport, update_kb
from .components import components_of
from .kb_mentions import KB_MENTIONS_FACTORY
from .linker import LINKER_FACTORY


def update_pipeline_kb(
    nlp: Language,
    updates: Iterable[Concept],
    *,
    encoder: Optional[str] = None,
    id_map: Mapping[str, str] = {},
    progress: bool = False,
) -> UpdateReport:
    """Update the KB of the pipeline's linker(s) in place.

    encoder (Optional[str]): Registered @misc encoder of the new concepts' vectors (the KB
        build's default when None); its vectors get the KB's length.

    RETURNS (UpdateReport): what changed.
    RAISES ValueError: E041 when the pipeline has no medical_entity_linker.
    """
    linkers = components_of(nlp, LINKER_FACTORY)
    if not linkers:
        raise ValueError(Errors.E041.format(problem=(
            f"the pipeline has no {LINKER_FACTORY} (components: {', '.join(nlp.pipe_names)})")))
    first = nlp.get_pipe(linkers[0])
    vectors = make_encoder(encoder or DEFAULT_ENCODER, first.kb.entity_vector_length)
    new_kb, report = update_kb(
        first.kb, list(updates), encoder=vectors, id_map=id_map, vocab=nlp.vocab, progress=progress
    )
    for name in linkers:
        nlp.get_pipe(name).set_kb(lambda vocab: new_kb)
    matcher = AliasMatcher.from_concepts(new_kb.store)
    for name in components_of(nlp, KB_MENTIONS_FACTORY):
        nlp.get_pipe(name).matcher = matcher
    return report


"""Find a pipeline's components by factory (pipe names are the user's to choose)."""
from typing import List, Sequence

from spacy.language import Language


def components_of(nlp: Language, factory: str, *, include_disabled: bool = False) -> List[str]:
    """RETURNS (List[str]): the names of the pipeline's components made by `factory`, in
    pipeline order (the enabled ones, unless include_disabled)."""
    names = nlp.component_names if include_disabled else nlp.pipe_names
    return [name for name in names if nlp.get_pipe_meta(name).factory == factory]


def entity_components(nlp: Language, exclude: Sequence[str] = ()) -> List[str]:
    """RETURNS (List[str]): The active components that set doc.ents (NER, entity ruler, ...):
    those whose factory declares "doc.ents" in its `assigns` (spaCy's ner, beam_ner and
    entity_ruler do; a component that sets entities without declaring it is not found)."""
    return [
        name
        for name in nlp.pipe_names
        if name not in exclude and "doc.ents" in nlp.get_pipe_meta(name).assigns
    ]

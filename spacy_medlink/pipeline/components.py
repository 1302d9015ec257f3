"""Find a pipeline's components by factory (pipe names are the user's to choose)."""
from typing import List

from spacy.language import Language


def components_of(nlp: Language, factory: str, *, include_disabled: bool = False) -> List[str]:
    """RETURNS (List[str]): the names of the pipeline's components made by `factory`, in
    pipeline order (the enabled ones, unless include_disabled)."""
    names = nlp.component_names if include_disabled else nlp.pipe_names
    return [name for name in names if nlp.get_pipe_meta(name).factory == factory]

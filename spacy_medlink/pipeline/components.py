"""Find a pipeline's components by factory (pipe names are the user's to choose)."""
from typing import List

from spacy.language import Language


def components_of(nlp: Language, factory: str) -> List[str]:
    """RETURNS (List[str]): the names of the pipeline's components made by `factory`, in
    pipeline order."""
    return [name for name in nlp.pipe_names if nlp.get_pipe_meta(name).factory == factory]

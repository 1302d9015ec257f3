"""`medlink_guideline`: the annotation guideline the pipeline's entities should follow.

Sets `doc._.medlink_guideline` (spacy_medlink/ml/guideline.py) on every document that has
none, for an NER trained on several corpora with `spacy-medlink.KBFeatures.v1` `guidelines`.
Put it first in the pipeline; choose the guideline at load time:

    nlp = spacy.load("en_medlink_disease_trf",
                     config={"components": {"medlink_guideline": {"guideline": "biored"}}})

In an NER trained on one corpus it only records which guideline that was.
"""
from spacy.language import Language
from spacy.tokens import Doc

from ..ml.guideline import GUIDELINE_EXTENSION, get_guideline, set_guideline

GUIDELINE_FACTORY = "medlink_guideline"
DEFAULT_GUIDELINE = "ncbi_disease"


class GuidelineSetter:
    """Give each document without one the configured guideline."""

    def __init__(self, name: str = GUIDELINE_FACTORY, *, guideline: str = DEFAULT_GUIDELINE):
        """name (str): The component instance name.
        guideline (str): The guideline name (a training corpus's name, e.g. "biored").
        """
        self.name = name
        self.guideline = guideline

    def __call__(self, doc: Doc) -> Doc:
        if get_guideline(doc) is None:
            set_guideline(doc, self.guideline)
        return doc


@Language.factory(
    GUIDELINE_FACTORY,
    assigns=[f"doc._.{GUIDELINE_EXTENSION}"],
    default_config={"guideline": DEFAULT_GUIDELINE},
)
def make_guideline_setter(nlp: Language, name: str, *, guideline: str) -> GuidelineSetter:
    """Create a GuidelineSetter component.

    nlp (Language): The pipeline.
    name (str): The component instance name.
    guideline (str): The guideline of the documents it sets.
    RETURNS (GuidelineSetter): The component.
    """
    return GuidelineSetter(name, guideline=guideline)

"""Which annotation guideline a document follows: `doc._.medlink_guideline`.

Corpora annotate differently (NCBI disease leaves signs and symptoms out, BioRED annotates
them). Trained on several at once, an NER that is told each document's guideline learns each
one instead of a blur of both (AIONER's per-corpus task tags); at prediction time the user
picks the guideline the output should follow. The corpus reader sets the attribute on
training documents (`guideline = "file"`: each file's stem) and the `medlink_guideline`
component on the others; `spacy-medlink.KBFeatures.v1` with `guidelines` reads it.
"""
from typing import Optional

from spacy.tokens import Doc

GUIDELINE_EXTENSION = "medlink_guideline"

if not Doc.has_extension(GUIDELINE_EXTENSION):
    Doc.set_extension(GUIDELINE_EXTENSION, default=None)


def get_guideline(doc: Doc) -> Optional[str]:
    """RETURNS (Optional[str]): The guideline name set on the doc, or None."""
    return doc._.get(GUIDELINE_EXTENSION)


def set_guideline(doc: Doc, name: Optional[str]) -> None:
    """Set the doc's guideline (None: unspecified)."""
    doc._.set(GUIDELINE_EXTENSION, name)

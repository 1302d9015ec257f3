"""Concept id normalization: one spelling per id, whatever the source wrote."""
import re

# The one separator of the ids of a composite mention in `ent.kb_id_` ("MESH:D1|MESH:D2").
KB_ID_SEPARATOR = "|"
# Bare MeSH descriptor (D...) and supplementary concept (C...) ids, as in the NCBI corpus.
_BARE_MESH = re.compile(r"^[DC]\d+$", re.IGNORECASE)
_MESH_PREFIX = re.compile(r"^mesh:", re.IGNORECASE)


def normalize_concept_id(raw: str) -> str:
    """Normalize a concept id to its prefixed form.

    "D012878" -> "MESH:D012878"; " mesh:d012878 " -> "MESH:D012878"; "OMIM:123" and other
    prefixed ids are kept as they are (stripped).

    raw (str): The id as written in a corpus or vocabulary.
    RETURNS (str): The normalized id ("" for an empty or blank input).
    """
    text = raw.strip()
    if _BARE_MESH.match(text):
        return f"MESH:{text.upper()}"
    if _MESH_PREFIX.match(text):
        return f"MESH:{text[5:].strip().upper()}"
    return text

"""displaCy views of linked entities: each entity shows its label, its concept id and name,
and links to the concept's page.

    from spacy_medlink.visualize import render_links
    html = render_links(nlp("Women with BRCA1 mutations carry a high breast cancer risk."))

DOCS: docs/PACKAGING.md#displacy
"""
import html
from typing import Any, Dict, List, Optional

from spacy import displacy
from spacy.tokens import Doc, Span

from .kb.categories import DISEASE_LABEL
from .kb.ids import KB_ID_SEPARATOR
from .pipeline.explain import LINKS_EXTENSION

MESH_URL_TEMPLATE = "https://meshb.nlm.nih.gov/record/ui?ui={}"
OMIM_URL_TEMPLATE = "https://omim.org/entry/{}"
DEFAULT_COLORS = {DISEASE_LABEL: "#f4b6c2"}


def render_links(
    doc: Doc,
    kb_url_template: str = MESH_URL_TEMPLATE,
    *,
    omim_url_template: str = OMIM_URL_TEMPLATE,
    page: bool = False,
    options: Optional[Dict[str, Any]] = None,
) -> str:
    """Render the entities of a linked doc with displaCy's "ent" style.

    Each entity shows its label, then its concept id and name (from `doc._.medlink_links`),
    linked to the concept's page. Unlinked (NIL) entities show their label only. Composite
    mentions show every id and link to the first one's page.

    doc (Doc): A doc processed by a pipeline with the medical_entity_linker (any doc with
        entities works; names are shown where the linker recorded them).
    kb_url_template (str): URL of a concept page; `{}` receives the id without its
        namespace prefix ("MESH:D001943" -> "D001943"). Used for every id except OMIM ones.
    omim_url_template (str): The same for "OMIM:" ids.
    page (bool): Return a full HTML page instead of a markup fragment.
    options (Optional[Dict[str, Any]]): displaCy options, e.g. {"colors": {...}}; they
        extend the defaults (a pink DISEASE label).
    RETURNS (str): The HTML markup.
    """
    names = _concept_names(doc)
    spans = [
        _display_span(ent, names, kb_url_template, omim_url_template) for ent in doc.ents
    ]
    parsed = {"text": doc.text, "ents": spans, "title": doc.user_data.get("title")}
    render_options = {"colors": dict(DEFAULT_COLORS)}
    for key, value in (options or {}).items():
        if key == "colors":
            render_options["colors"].update(value)
        else:
            render_options[key] = value
    return displacy.render(
        parsed, style="ent", manual=True, page=page, jupyter=False, options=render_options
    )


def concept_url(
    concept_id: str,
    kb_url_template: str = MESH_URL_TEMPLATE,
    *,
    omim_url_template: str = OMIM_URL_TEMPLATE,
) -> str:
    """The page of a concept id.

    concept_id (str): A prefixed id, e.g. "MESH:D001943" or "OMIM:222100".
    kb_url_template (str): Template for non-OMIM ids; gets the id without its prefix.
    omim_url_template (str): Template for "OMIM:" ids; gets the number.
    RETURNS (str): The URL.
    """
    prefix, _, local_id = concept_id.rpartition(":")
    template = omim_url_template if prefix.upper() == "OMIM" else kb_url_template
    return template.format(local_id)


def _concept_names(doc: Doc) -> Dict[str, str]:
    """Concept id -> name, from the candidates the linker recorded for this doc."""
    names: Dict[str, str] = {}
    records = doc._.get(LINKS_EXTENSION) if doc.has_extension(LINKS_EXTENSION) else None
    for record in records or ():
        for candidate in record.get("candidates", ()):
            if candidate.get("name"):
                names.setdefault(candidate["id"], candidate["name"])
    return names


def _display_span(
    ent: Span, names: Dict[str, str], kb_url_template: str, omim_url_template: str
) -> Dict[str, Any]:
    span: Dict[str, Any] = {
        "start": ent.start_char, "end": ent.end_char, "label": html.escape(ent.label_)
    }
    ids: List[str] = [i for i in ent.kb_id_.split(KB_ID_SEPARATOR) if i]
    if ids:
        # displaCy inserts kb_id and kb_url into its markup unescaped: escape them here.
        shown = " | ".join(f"{i} {names[i]}" if i in names else i for i in ids)
        span["kb_id"] = html.escape(shown)
        span["kb_url"] = html.escape(
            concept_url(ids[0], kb_url_template, omim_url_template=omim_url_template)
        )
    return span

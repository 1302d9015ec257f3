"""render_links: displaCy "ent" markup with each entity's concept id, name and page link."""
import spacy
from spacy.tokens import Span

from spacy_medlink.pipeline.explain import install_extensions
from spacy_medlink.visualize import concept_url, render_links

TEXT = "Breast cancer, ataxia-telangiectasia & <rare> tumours and ovarian cancer were seen."


def _linked_doc():
    install_extensions()
    nlp = spacy.blank("en")
    doc = nlp.make_doc(TEXT)
    spans = [("Breast cancer", "MESH:D001943"), ("ataxia-telangiectasia", "OMIM:208900"),
             ("<rare> tumours", ""), ("ovarian cancer", "MESH:D010051|MESH:D001943")]
    ents = []
    for text, kb_id in spans:
        start = TEXT.index(text)
        ents.append(doc.char_span(start, start + len(text), label="DISEASE", kb_id=kb_id,
                                  alignment_mode="expand"))
    doc.ents = ents
    doc._.medlink_links = [
        {"start_char": 0, "end_char": 13, "kb_id": "MESH:D001943",
         "candidates": [{"id": "MESH:D001943", "name": "Breast Neoplasms"}]},
        {"start_char": 15, "end_char": 36, "kb_id": "OMIM:208900",
         "candidates": [{"id": "OMIM:208900", "name": "Ataxia <Telangiectasia>"}]},
    ]
    return doc


def test_render_links_shows_id_name_and_links_to_the_concept_page():
    html = render_links(_linked_doc())
    assert 'href="https://meshb.nlm.nih.gov/record/ui?ui=D001943"' in html
    assert "MESH:D001943 Breast Neoplasms" in html
    # OMIM ids link to omim.org; names from the KB are escaped.
    assert 'href="https://omim.org/entry/208900"' in html
    assert "OMIM:208900 Ataxia &lt;Telangiectasia&gt;" in html
    assert "<Telangiectasia>" not in html


def test_render_links_handles_nil_and_composite_mentions():
    html = render_links(_linked_doc())
    assert html.count("<mark") == 4
    # NIL: the label only, no link.
    assert html.count("<a ") == 3
    # Composite: every id is shown; the link goes to the first one (names where known).
    assert "MESH:D010051 | MESH:D001943 Breast Neoplasms" in html
    assert 'href="https://meshb.nlm.nih.gov/record/ui?ui=D010051"' in html


def test_render_links_templates_page_and_colors():
    doc = _linked_doc()
    html = render_links(doc, "https://ctdbase.org/detail.go?type=disease&acc=MESH:{}",
                        options={"colors": {"DISEASE": "#abcdef"}}, page=True)
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert 'href="https://ctdbase.org/detail.go?type=disease&amp;acc=MESH:D001943"' in html
    assert "#abcdef" in html
    assert concept_url("OMIM:1", omim_url_template="o/{}") == "o/1"
    assert concept_url("D003920") == "https://meshb.nlm.nih.gov/record/ui?ui=D003920"


def test_render_links_works_without_linker_records():
    nlp = spacy.blank("en")
    doc = nlp.make_doc("Diabetes was seen.")
    doc.ents = [Span(doc, 0, 1, label="DISEASE", kb_id="MESH:D003920")]
    html = render_links(doc)
    assert ">MESH:D003920</a>" in html.replace("\n", "").replace(" </a>", "</a>")

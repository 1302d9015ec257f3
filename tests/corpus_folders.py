"""A folder of one gold DocBin per corpus, shared by the reader and guideline tests."""
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import spacy
from spacy.tokens import DocBin


def write_corpus_folder(folder: Path, corpora: Dict[str, List[Tuple[str, Sequence[str]]]]) -> Path:
    """Write FOLDER/NAME.spacy per corpus: each (text, mentions) a doc whose DISEASE entities
    are the first occurrences of its mentions (case-insensitive). RETURNS (Path): folder."""
    nlp = spacy.blank("en")
    for name, documents in corpora.items():
        docs = []
        for text, mentions in documents:
            doc = nlp(text)
            starts = [text.lower().index(mention.lower()) for mention in mentions]
            doc.ents = [doc.char_span(s, s + len(m), label="DISEASE") for s, m in zip(starts, mentions)]
            docs.append(doc)
        DocBin(docs=docs).to_disk(folder / f"{name}.spacy")
    return folder

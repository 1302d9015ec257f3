"""`medlink_kb_mentions`: the vocabulary's names found in the text, as evidence for the NER.

It writes every leftmost-longest match of a vocabulary alias to `doc.spans[spans_key]`,
labelled DISEASE or SYMPTOM (the concept's MeSH category). It sets no entities: the NER reads
the matches as token features (`spacy-medlink.KBFeatures.v1`) and learns from context when a
match is a mention, and weak labelling reads them as a labelling source.

    [components.medlink_kb_mentions]
    factory = "medlink_kb_mentions"

    [initialize.components.medlink_kb_mentions]
    vocabulary = "assets/medic/CTD_diseases.tsv.gz"

In a pipeline that trains, list it in `[training] annotating_components` so the NER sees the
matches while it learns.
"""
from pathlib import Path
from typing import Callable, Iterable, Optional, Union

from spacy import util
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.training import Example

from ..errors import Errors
from ..integrity import verify_manifest, write_manifest
from ..kb.alias_matcher import KB_MATCHES_KEY, MIN_KEY_CHARS, AliasMatcher
from ..kb.readers import read_vocabulary

KB_MENTIONS_FACTORY = "medlink_kb_mentions"
_TABLE_FILE = "aliases.msgpack"


class KBMentions:
    """Mark vocabulary aliases in doc.spans; the table is built in initialize and saved."""

    def __init__(
        self, name: str = KB_MENTIONS_FACTORY, *, spans_key: str = KB_MATCHES_KEY, vocab=None
    ):
        """Initialize the component; its table is empty until initialize or from_disk.

        name (str): The component instance name.
        spans_key (str): The doc.spans key to write the matches to.
        vocab (Optional[Vocab]): The pipeline's vocab; docs of another vocab are refused.
        """
        self.name = name
        self.vocab = vocab
        self.spans_key = spans_key
        self.matcher: Optional[AliasMatcher] = None

    def initialize(
        self,
        get_examples: Optional[Callable[[], Iterable[Example]]] = None,
        *,
        nlp: Optional[Language] = None,
        vocabulary: Optional[Union[str, Path]] = None,
    ) -> None:
        """Build the alias table from a vocabulary file.

        get_examples (Optional[Callable]): Unused (the table comes from the vocabulary).
        nlp (Optional[Language]): Unused.
        vocabulary (Optional[Union[str, Path]]): MEDIC TSV(.gz) or concepts JSONL. None keeps
            the table loaded before (from_disk), if any.
        """
        if vocabulary is None:
            if self.matcher is None:
                raise ValueError(Errors.E270.format(name=self.name))
            return
        self.matcher = AliasMatcher.from_concepts(read_vocabulary(vocabulary))
        if not len(self.matcher):
            raise ValueError(
                Errors.E273.format(path=vocabulary, min_chars=MIN_KEY_CHARS)
            )

    def __call__(self, doc: Doc) -> Doc:
        """Write the alias matches of one document to doc.spans[spans_key].

        doc (Doc): The document.
        RETURNS (Doc): The same document.
        """
        if self.matcher is None:
            raise ValueError(Errors.E270.format(name=self.name))
        if self.vocab is not None and doc.vocab is not self.vocab:
            raise ValueError(Errors.E205.format(name=self.name))
        matches = self.matcher.find([token.text for token in doc])
        doc.spans[self.spans_key] = [
            Span(doc, match.start, match.end, label=match.category) for match in matches
        ]
        return doc

    def to_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = tuple()) -> None:
        """Save the alias table.

        path (Union[str, Path]): A folder, created if needed.
        exclude (Iterable[str]): Unused.
        """
        path = util.ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        if self.matcher is None:
            raise ValueError(Errors.E270.format(name=self.name))
        (path / _TABLE_FILE).write_bytes(self.matcher.to_bytes())
        write_manifest(path)

    def from_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = tuple()) -> "KBMentions":
        """Load the alias table written by to_disk.

        path (Union[str, Path]): The folder.
        exclude (Iterable[str]): Unused.
        RETURNS (KBMentions): The component.
        """
        table = util.ensure_path(path) / _TABLE_FILE
        if not table.is_file():
            raise ValueError(Errors.E274.format(path=path, name=self.name, missing=_TABLE_FILE))
        verify_manifest(table.parent)
        try:
            self.matcher = AliasMatcher.from_bytes(table.read_bytes())
        except Exception as err:  # msgpack's or a KeyError's message would not name the file
            raise ValueError(Errors.E034.format(path=table, what="an alias table", error=err)) from None
        return self


@Language.factory(
    KB_MENTIONS_FACTORY,
    assigns=["doc.spans"],
    default_config={"spans_key": KB_MATCHES_KEY},
)
def make_kb_mentions(nlp: Language, name: str, *, spans_key: str) -> KBMentions:
    """Create a KBMentions component.

    nlp (Language): The pipeline (its vocab).
    name (str): The component instance name.
    spans_key (str): The doc.spans key for the matches.
    RETURNS (KBMentions): The component.
    """
    return KBMentions(name, spans_key=spans_key, vocab=nlp.vocab)

"""A tokenizer for biomedical text: spaCy's rule-based tokenizer with a few extra splits.

Gold mention offsets in biomedical corpora often fall inside what spaCy's default English rules
keep as one token, and such a mention cannot become an entity. The rules added here split:

- a single capital letter and a sentence-final period ("fragile X." -> "X", "."), which the
  default rules keep together as an initial;
- a hyphen between a letter and a digit ("retardation-1" -> "retardation", "-", "1"); the
  default rules already split hyphens between letters;
- brackets and slashes glued between letters or digits ("(DMD)or" -> "DMD", ")", "or");

and they drop the US state abbreviations from the tokenizer exceptions, which collide with
subtype labels and symbols at sentence ends ("type Ia." is not Iowa).

Text from other systems is messier than a corpus: control and zero-width characters split off
as tokens of their own ("fever\x07" -> "fever", "\x07"), a word's NORM and SHAPE (what the NER
embeds) are read from its NFC form, so "Sjo\u0308gren" (decomposed) looks like "Sjögren", and
a lone surrogate, which no encoder can write, is a coded error naming its position. The text
itself is never changed: offsets stay offsets into what the user passed.

Use it in a config with
    [nlp.tokenizer]
    @tokenizers = "spacy-medlink.BiomedicalTokenizer.v1"
"""
import unicodedata
from typing import Callable, Dict

from spacy.attrs import NORM, SHAPE

from spacy.lang.char_classes import ALPHA
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from .errors import Errors
from spacy.util import (
    compile_infix_regex,
    compile_prefix_regex,
    compile_suffix_regex,
    registry,
)

_EXTRA_INFIXES = [
    rf"(?<=[{ALPHA}])-(?=[0-9])",
    rf"(?<=[{ALPHA}0-9])[()\[\]/](?=[{ALPHA}0-9])",
]
# Anchored at the start of the remaining token string: "X." splits, "U.S." does not.
# C0 controls except tab/newline/carriage return (whitespace already), DEL, C1 controls, and
# zero-width characters.
_INVISIBLE = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff]"
_EXTRA_INFIXES.append(_INVISIBLE)
_EXTRA_SUFFIXES = [r"(?<=^[A-Z])\.", _INVISIBLE]
_EXTRA_PREFIXES = [_INVISIBLE]
_DROPPED_EXCEPTIONS = frozenset(
    "Ak. Ala. Ariz. Ark. Calif. Colo. Conn. Del. Fla. Ga. Ia. Id. Ill. Ind. Kan. Kans. Ky. "
    "La. Mass. Md. Mich. Minn. Miss. Mo. Mont. Neb. Nebr. Nev. Okla. Ore. Pa. Tenn. Va. "
    "Wash. Wis.".split()
)


@registry.tokenizers("spacy-medlink.BiomedicalTokenizer.v1")
def create_biomedical_tokenizer() -> Callable[[Language], Tokenizer]:
    """Registered tokenizer factory for `[nlp.tokenizer]`.

    RETURNS (Callable[[Language], Tokenizer]): Builds the tokenizer for a Language.
    """
    return make_biomedical_tokenizer


def make_biomedical_tokenizer(nlp: Language) -> Tokenizer:
    """Build the language's default tokenizer with the biomedical splits added.

    nlp (Language): The pipeline; its language defaults provide the base rules.
    RETURNS (Tokenizer): The tokenizer.
    """
    defaults = nlp.Defaults
    infixes = list(defaults.infixes or []) + _EXTRA_INFIXES
    suffixes = list(defaults.suffixes or []) + _EXTRA_SUFFIXES
    prefixes = list(defaults.prefixes or []) + _EXTRA_PREFIXES
    prefix_search = compile_prefix_regex(prefixes).search
    _read_attrs_from_nfc(nlp.vocab)
    return BiomedicalTokenizer(
        nlp.vocab,
        rules=_filter_exceptions(defaults.tokenizer_exceptions),
        prefix_search=prefix_search,
        suffix_search=compile_suffix_regex(suffixes).search,
        infix_finditer=compile_infix_regex(infixes).finditer,
        token_match=defaults.token_match,
        url_match=defaults.url_match,
    )


class BiomedicalTokenizer(Tokenizer):
    """spaCy's Tokenizer, refusing text no encoder can write with a coded error."""

    def __call__(self, text: str):
        try:
            text.encode("utf8")
        except UnicodeEncodeError as err:
            raise ValueError(Errors.E206.format(
                position=err.start, char=f"U+{ord(text[err.start]):04X}", context=repr(text[max(0, err.start - 20) : err.start + 20]),
            )) from None
        return super().__call__(text)


def _nfc(getter: Callable[[str], str]) -> Callable[[str], str]:
    def read_from_nfc(string: str) -> str:
        return getter(unicodedata.normalize("NFC", string))

    read_from_nfc.__wrapped__ = getter
    return read_from_nfc


def _read_attrs_from_nfc(vocab) -> None:
    """Lexical attributes the NER embeds are computed on the NFC form of each word."""
    for attr in (NORM, SHAPE):
        getter = vocab.lex_attr_getters.get(attr)
        if getter is not None and not hasattr(getter, "__wrapped__"):
            vocab.lex_attr_getters[attr] = _nfc(getter)


def _filter_exceptions(exceptions: Dict[str, list]) -> Dict[str, list]:
    return {orth: value for orth, value in exceptions.items() if orth not in _DROPPED_EXCEPTIONS}

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

Use it in a config with
    [nlp.tokenizer]
    @tokenizers = "spacy-medlink.BiomedicalTokenizer.v1"
"""
from typing import Callable, Dict

from spacy.lang.char_classes import ALPHA
from spacy.language import Language
from spacy.tokenizer import Tokenizer
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
_EXTRA_SUFFIXES = [r"(?<=^[A-Z])\."]
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
    prefix_search = compile_prefix_regex(defaults.prefixes).search if defaults.prefixes else None
    return Tokenizer(
        nlp.vocab,
        rules=_filter_exceptions(defaults.tokenizer_exceptions),
        prefix_search=prefix_search,
        suffix_search=compile_suffix_regex(suffixes).search,
        infix_finditer=compile_infix_regex(infixes).finditer,
        token_match=defaults.token_match,
        url_match=defaults.url_match,
    )


def _filter_exceptions(exceptions: Dict[str, list]) -> Dict[str, list]:
    return {orth: value for orth, value in exceptions.items() if orth not in _DROPPED_EXCEPTIONS}

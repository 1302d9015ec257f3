"""The one alias normalizer, applied both when the KB is built and when mentions are looked up.

spaCy's InMemoryLookupKB matches alias strings exactly, so every surface variation that should
not matter has to be folded here: Unicode compatibility forms, case, accents, punctuation
(hyphens included: "type-2" == "type 2" == "type2"), possessives ("Crohn's" == "Crohns" ==
"Crohn"), regular plurals and British spellings ("tumours" == "tumor").

Measured on NCBI-disease dev (exact-match accuracy of the 744 single-id gold mentions against
MEDIC names + synonyms + train mentions, most frequent concept per key): lowercase + strip
punctuation 78.0 %, + plural folding 78.9, + letter/digit split 79.2, + British spellings and
accent stripping 79.4 (against MEDIC alone: 62.0 -> 65.6). Joining hyphenated words instead
of splitting them lowered it (78.6), so hyphens become spaces.
"""
import re
import unicodedata
from functools import lru_cache

# Anything that is not a letter, digit or whitespace (underscore counts as punctuation).
_PUNCT = re.compile(r"[^\w\s]|_")
# Possessive 's / ’s at the end of a word (done before punctuation becomes a space).
_POSSESSIVE = re.compile(r"(?<=\w)['’`]s\b")
# Boundary between a letter and a digit: "type2" -> "type 2", "c7" -> "c 7".
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")
_DIGIT = re.compile(r"\d")
_APOSTROPHES = ("'", "’", "`")
# _PUNCT for ASCII text as a str.translate table (the same characters: every ASCII character
# that is neither alphanumeric nor whitespace, underscore included), several times faster.
_ASCII_PUNCT_TO_SPACE = {
    code: " " for code in range(128) if not (chr(code).isalnum() or chr(code).isspace())
}

# Words that end in -s in the singular (or are never singular): left as they are.
_NOT_PLURAL = frozenset(
    {
        "diabetes", "herpes", "rabies", "scabies", "measles", "mumps", "rickets", "ascites",
        "caries", "series", "species", "feces", "faeces", "pubes", "biceps", "triceps",
    }
)
# Minimum length of a token that plural folding touches (keeps "aids", "mrs", "dss", ...).
_MIN_PLURAL_LEN = 5


def _fold_plural(token: str) -> str:
    """Fold a regular English/Latin plural to its singular. Singular forms are returned
    unchanged, so folding is idempotent (ss/us/is endings are never touched)."""
    if len(token) < _MIN_PLURAL_LEN or not token.isalpha() or token in _NOT_PLURAL:
        return token
    if token.endswith(("ss", "us", "is")):  # abscess, virus, metastasis
        return token
    if token.endswith("sses"):  # abscesses -> abscess
        return token[:-2]
    if token.endswith("stases") or (token.endswith("oses") and len(token) > 6):
        return token[:-2] + "is"  # metastases -> metastasis, stenoses -> stenosis
    if token.endswith("uses"):  # viruses -> virus
        return token[:-2]
    if token.endswith("itides"):  # arthritides -> arthritis
        return token[:-3] + "s"
    if token.endswith("ies") and len(token) > 5:  # myopathies -> myopathy
        return token[:-3] + "y"
    if token.endswith("s"):  # syndromes -> syndrome, tumors -> tumor
        return token[:-1]
    return token


def _americanize(token: str) -> str:
    """Map common British medical spellings to American ones: tumour, anaemia, oedema,
    diarrhoea, fibre. Never produces a token that plural folding would change again."""
    if not token.isalpha() or len(token) <= 4:
        return token
    if token.endswith("our") and len(token) > 5:  # tumour -> tumor, behaviour -> behavior
        token = token[:-3] + "or"
    if token.startswith("oe"):  # oedema -> edema, oesophageal -> esophageal
        token = "e" + token[2:]
    token = token.replace("rrhoea", "rrhea")  # diarrhoea, gonorrhoea, amenorrhoea
    while "ae" in token:  # anaemia, leukaemia, haemophilia, paediatric
        token = token.replace("ae", "e")
    if token.endswith("bre"):  # fibre -> fiber
        token = token[:-3] + "ber"
    return token


@lru_cache(maxsize=2**17)
def normalize_alias(text: str) -> str:
    """Normalize a name, synonym or mention text to the key it is stored/looked up under.

    Idempotent (normalize_alias(normalize_alias(x)) == normalize_alias(x)); "" if the text
    has no letters or digits.

    text (str): The surface text.
    RETURNS (str): Space-separated lowercase tokens.
    """
    ascii_only = text.isascii()
    if ascii_only:  # NFKC and accent stripping leave ASCII as it is (most names)
        text = text.lower()
    else:
        text = unicodedata.normalize("NFKC", text).casefold()
        # Strip accents (Sjögren -> sjogren): decompose and drop the combining marks.
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    if any(mark in text for mark in _APOSTROPHES):
        text = _POSSESSIVE.sub("", text)
    text = text.translate(_ASCII_PUNCT_TO_SPACE) if ascii_only else _PUNCT.sub(" ", text)
    if _DIGIT.search(text):  # the letter-digit regex is the slowest step; most names have no digit
        text = _LETTER_DIGIT.sub(" ", text)
    return " ".join(map(_normalize_token, text.split()))


@lru_cache(maxsize=2**20)
def _normalize_token(token: str) -> str:
    # Per word, cached: a vocabulary of millions of names has far fewer distinct words.
    return _americanize(_fold_plural(token))

"""The medical_entity_linker's settings, checked when the component is made and when its cfg
is loaded, so a bad value fails at load with the field named, not at link time (NaN scores,
a TypeError)."""
import math
from typing import Dict

from ..errors import Errors


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def validate_cfg(cfg: Dict, source) -> None:
    """Check the linker's settings when it is created and when its cfg is loaded, so a bad
    value fails at load with the field named, not at link time (NaN scores, TypeError).

    cfg (Dict): The settings.
    source: What they came from (a file path or "the config of NAME"), for the message.
    RAISES ValueError: E204 naming the field.
    """
    def check(field, ok, expected):
        if field in cfg and not ok(cfg[field]):
            raise ValueError(Errors.E204.format(source=source, field=field, expected=expected, found=repr(cfg[field])))

    check("threshold", lambda v: v is None or (_is_number(v) and 0.0 <= v <= 1.0), "null or a probability in [0, 1]")
    check("temperature", lambda v: _is_number(v) and v > 0, "a positive number")
    check("entity_vector_length", lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0, "a positive integer")
    for field in ("context_window", "n_explanations"):
        check(field, lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0, "an integer >= 0")
    for field in ("labels", "labels_discard"):
        check(field, lambda v: isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v), "a list of label strings")
    for field in ("overwrite", "category_labels"):
        check(field, lambda v: isinstance(v, bool), "true or false")
    check("abbreviations_key", lambda v: isinstance(v, str) and v != "", "a non-empty string")

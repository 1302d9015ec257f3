"""Load the pipeline a command was given: an installed package's name, a pipeline folder, or
an installed package's folder (which holds the pipeline one level down). What spaCy cannot
load stops with a coded error that names what was given, not a traceback (spaCy's E050/E053).
"""
from pathlib import Path
from typing import Any, Union

import spacy
from spacy.language import Language

from .errors import Errors

CONFIG_FILE = "config.cfg"


def pipeline_folder(path: Union[str, Path]) -> Path:
    """The folder with config.cfg: `path` itself, or the one pipeline folder of an installed
    package (en_x/en_x-0.1.0/).

    RAISES OSError: E042 when `path` is a file, or a folder with no pipeline or several.
    """
    path = Path(path)
    if not path.is_dir():
        raise OSError(Errors.E042.format(model=path, problem="it is a file, not a pipeline folder"))
    if (path / CONFIG_FILE).is_file():
        return path
    inner = [p for p in sorted(path.iterdir()) if p.is_dir() and (p / CONFIG_FILE).is_file()]
    if len(inner) != 1:
        raise OSError(Errors.E042.format(model=path, problem=(
            f"it is neither a pipeline folder (no {CONFIG_FILE}) nor a package folder with exactly "
            f"one pipeline inside (found {len(inner)})")))
    return inner[0]


def pipeline_location(model: Union[str, Path]) -> Union[Path, str]:
    """RETURNS (Union[Path, str]): what spacy.load takes for `model`: the pipeline folder of an
    existing path (see pipeline_folder), else the name of an installed package."""
    return pipeline_folder(model) if Path(model).exists() else str(model)


def load_pipeline(model: Union[str, Path], **kwargs: Any) -> Language:
    """spacy.load(model, **kwargs), for a folder (see pipeline_folder) or a package name.

    RAISES OSError: E042 when there is no such folder or installed package, or the folder
        holds no pipeline.
    """
    exists = Path(model).exists()
    try:
        return spacy.load(pipeline_location(model), **kwargs)
    except OSError as err:
        if "[E053]" in str(err):  # config.cfg without meta.json: not a saved pipeline
            problem = f"spaCy cannot read it as a saved pipeline ({err})"
        elif "[E050]" in str(err) and not exists:
            problem = "there is no such folder, and no installed pipeline package has that name"
        else:
            raise
        raise OSError(Errors.E042.format(model=model, problem=problem)) from None

"""spacy-medlink: trainable medical entity linking for spaCy.

Importing the package is not required to load a saved pipeline: every factory and registered
function is declared as a spaCy entry point in pyproject.toml.
"""
from .about import __version__

__all__ = ["__version__"]

"""`python -m spacy_medlink COMMAND`: thin typer wrappers over the package's functions.

Each submodule registers its commands on `app`; import them here so they are attached.
"""
from ._app import app  # noqa: F401

# Each module registers its command(s) on `app` when imported.
from . import (  # noqa: F401,E402
    annotate, assemble, build_kb, calibrate, convert, evaluate, kb_update, package_meta, verify, weak_label,
)

"""Every third-party module the package imports is declared in pyproject.toml (threadpoolctl
was imported by kb/encoders.py and installed only because scikit-learn happens to need it)."""
import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import spacy_medlink

ROOT = Path(spacy_medlink.__file__).parent
PYPROJECT = ROOT.parent / "pyproject.toml"


def _imported_top_level_names():
    names = set()
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"spacy_medlink"}


def _requirement_name(requirement: str) -> str:
    for stop in "<>=!~;[ ":
        requirement = requirement.split(stop)[0]
    return requirement.lower().replace("_", "-")


def test_every_imported_distribution_is_declared():
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf8"))["project"]
    declared = {_requirement_name(r) for r in project["dependencies"]}
    for extra in project.get("optional-dependencies", {}).values():
        declared.update(_requirement_name(r) for r in extra)
    distributions = packages_distributions()
    undeclared = {}
    for name in sorted(_imported_top_level_names()):
        dists = {d.lower().replace("_", "-") for d in distributions.get(name, [name])}
        if not dists & declared:
            undeclared[name] = sorted(dists)
    assert undeclared == {}

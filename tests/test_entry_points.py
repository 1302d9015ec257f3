"""Every registered function and factory is reachable through spaCy's entry points, so a saved
pipeline loads in a fresh process without `import spacy_medlink`."""
import json
import subprocess
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).parent.parent / "pyproject.toml"
REGISTRIES = {
    "spacy_misc": "misc",
    "spacy_readers": "readers",
    "spacy_scorers": "scorers",
    "spacy_architectures": "architectures",
    "spacy_tokenizers": "tokenizers",
}


def declared_entry_points():
    entry_points = tomllib.loads(PYPROJECT.read_text())["project"]["entry-points"]
    return {group: sorted(names) for group, names in entry_points.items()}


def test_entry_points_resolve_in_fresh_process():
    declared = declared_entry_points()
    code = f"""
import json, sys
from spacy.util import registry
declared = {declared!r}
registries = {REGISTRIES!r}
found = {{}}
for group, names in declared.items():
    for name in names:
        if group == "spacy_factories":
            ok = callable(registry._entry_point_factories.get(name))
        else:
            ok = callable(getattr(registry, registries[group]).get(name))
        found[name] = ok
print(json.dumps(found))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found and all(found.values()), found


def test_entry_points_point_at_existing_functions():
    import importlib

    for group, names in declared_entry_points().items():
        table = tomllib.loads(PYPROJECT.read_text())["project"]["entry-points"][group]
        for name in names:
            module_name, attr = table[name].split(":")
            assert callable(getattr(importlib.import_module(module_name), attr)), name

"""docs/ARCHITECTURE.md: "lower layers never import higher ones" -- checked over every import
of the package, including the ones inside functions (which is where the kb -> candidates
cycle hid, issue 14)."""
import ast
from pathlib import Path
from typing import List, Optional, Tuple

import pytest

import spacy_medlink

# Low to high. A module may import its own layer and the ones below it.
LAYERS: Tuple[Tuple[str, ...], ...] = (
    ("about", "errors", "fork_safety", "input_files", "integrity", "loading", "memory", "output_files", "tokenizer"),
    ("kb",),
    ("candidates", "ml"),
    ("pipeline", "visualize"),
    ("training",),
    ("evaluation", "annotate"),
    ("cli", "__main__", "__init__"),
)


def _layer_of(part: str, layers) -> Optional[int]:
    return next((i for i, names in enumerate(layers) if part in names), None)


def _imported_parts(path: Path, root: Path, package: str) -> List[Tuple[int, str]]:
    """(line, first part of the package path) of every package-internal import in the file."""
    rel = path.relative_to(root)
    here = [package, *rel.parts[:-1]]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                target = here[: len(here) - node.level + 1] + (node.module.split(".") if node.module else [])
            elif node.module and node.module.split(".")[0] == package:
                target = node.module.split(".")
            else:
                continue
            if len(target) > 1:
                found.append((node.lineno, target[1]))
            else:  # "from . import errors": the names are the modules
                found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == package and len(parts) > 1:
                    found.append((node.lineno, parts[1]))
    return found


def layer_violations(root: Path, package: str, layers=LAYERS) -> List[str]:
    """RETURNS (List[str]): "file:line: A (layer i) imports B (layer j > i)" for each upward
    import, and each module that no layer names."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        source = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        source_layer = _layer_of(source, layers)
        if source_layer is None:
            problems.append(f"{rel}: '{source}' is in no layer")
            continue
        for line, target in _imported_parts(path, root, package):
            target_layer = _layer_of(target, layers)
            if target_layer is None:
                problems.append(f"{rel}:{line}: imports '{target}', which is in no layer")
            elif target_layer > source_layer:
                problems.append(
                    f"{rel}:{line}: {source} (layer {source_layer}) imports {target} (layer {target_layer})"
                )
    return problems


def test_the_package_imports_only_downwards():
    root = Path(spacy_medlink.__file__).parent
    assert layer_violations(root, "spacy_medlink") == []


@pytest.mark.parametrize("statement", [
    "from ..candidates.char_ngram import X",      # relative, at module level
    "def f():\n    from ..candidates import char_ngram",  # hidden inside a function
    "import fake_pkg.candidates.char_ngram",      # absolute
    "from fake_pkg.candidates import char_ngram",
])
def test_an_upward_import_is_found(tmp_path, statement):
    root = tmp_path / "fake_pkg"
    (root / "kb").mkdir(parents=True)
    (root / "candidates").mkdir()
    (root / "__init__.py").write_text("")
    (root / "candidates" / "char_ngram.py").write_text("from ..kb.store import Store\n")
    (root / "kb" / "store.py").write_text(f"import os\n{statement}\n")
    (problem,) = layer_violations(root, "fake_pkg")
    assert problem.startswith(str(Path("kb", "store.py")) + ":")
    assert "kb (layer 1) imports candidates (layer 2)" in problem


def test_a_module_outside_the_layers_is_reported(tmp_path):
    root = tmp_path / "fake_pkg"
    root.mkdir()
    (root / "newthing.py").write_text("")
    assert layer_violations(root, "fake_pkg") == ["newthing.py: 'newthing' is in no layer"]


# Top-level packages of this repository that the library must never import: the project's
# benchmark harness sits above the whole library (issue 14).
PROJECT_PACKAGES = ("medlink_bench",)


def foreign_imports(root: Path, forbidden=PROJECT_PACKAGES) -> List[str]:
    """RETURNS (List[str]): "file:line: imports NAME" for each import of a forbidden package."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf8"))):
            if isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name.split(".")[0] in forbidden:
                    problems.append(f"{path.relative_to(root)}:{node.lineno}: imports {name}")
    return problems


def test_the_library_never_imports_the_benchmark_harness(tmp_path):
    root = Path(spacy_medlink.__file__).parent
    assert foreign_imports(root) == []
    fake = tmp_path / "fake_pkg"
    fake.mkdir()
    (fake / "cli.py").write_text("def f():\n    from medlink_bench.run import run_benchmark\n")
    assert foreign_imports(fake) == ["cli.py:2: imports medlink_bench.run"]

"""The package's shape: one module per concern, imports in one direction, each module saying
what it owns, and a README that names them as they are."""

from __future__ import annotations

import ast
import graphlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "unionstate"
MODULES = {p.stem: p for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__")}


def imports() -> dict[str, set[str]]:
    """Which of the package's modules each module imports (anywhere in it, lazily too)."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith("unionstate."):
                    found.add(node.module.split(".")[1])
                elif node.module == "unionstate":
                    found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.Import):
                found.update(
                    a.name.split(".")[1] for a in node.names if a.name.startswith("unionstate.")
                )
        graph[name] = {m for m in found if m in MODULES and m != name}
    return graph


def test_the_imports_have_no_cycle() -> None:
    graphlib.TopologicalSorter(imports()).prepare()  # raises CycleError on a cycle


def test_nothing_imports_the_cli() -> None:
    assert not [name for name, used in imports().items() if "cli" in used]


def test_every_module_says_what_it_owns() -> None:
    for name, path in MODULES.items():
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc and len(doc.split()) >= 8, f"unionstate/{name}.py has no docstring to speak of"


def test_the_readme_names_every_module_and_no_other() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paragraph = next(p for p in readme.split("\n\n") if p.startswith("The package is a library"))
    named = set(re.findall(r"`([a-z_]+)`", paragraph))
    assert named == set(MODULES)

"""The house rules that a reader of the code relies on (README, "Layout and architecture"), checked on the source.

- Only the glue package (soh_onboarding/glue/) imports Airflow; the phases are plain Python.
- The library has no import circle: each module's imports, at the top or inside a function, form a graph
  without cycles, so any module can be read (and imported) on its own.
- The library knows nothing of the sandbox, which only pretends to be the outside world.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

LIBRARY = ROOT / "plugins" / "soh_onboarding"
GLUE = LIBRARY / "glue"


def _module_name(path: Path) -> str:
    parts = path.relative_to(LIBRARY.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module `path` imports (absolute names), wherever in the file the import is."""
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


MODULES = {_module_name(path): path for path in sorted(LIBRARY.rglob("*.py"))}


def test_only_the_glue_imports_airflow() -> None:
    offenders = sorted(
        name
        for name, path in MODULES.items()
        if not path.is_relative_to(GLUE) and any(imported.split(".")[0] == "airflow" for imported in _imports(path))
    )
    assert offenders == []


def test_the_library_knows_nothing_of_the_sandbox() -> None:
    assert sorted(n for n, p in MODULES.items() if any(i.split(".")[0] == "sandbox" for i in _imports(p))) == []


def test_the_library_has_no_import_circle() -> None:
    graph = {
        name: {imported for imported in _imports(path) if imported in MODULES and imported != name}
        for name, path in MODULES.items()
    }
    # A package's __init__ is imported with any of its modules: an edge to a.b.c is an edge to a.b too.
    for edges in graph.values():
        for imported in list(edges):
            parent = imported.rpartition(".")[0]
            while parent and parent in MODULES:
                edges.add(parent)
                parent = parent.rpartition(".")[0]
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: being visited, 2: done

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for imported in sorted(graph[name]):
            if state.get(imported) == 1:
                circles.append([*trail[trail.index(imported) :], imported] if imported in trail else [name, imported])
            elif imported not in state:
                visit(imported, [*trail, imported])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    # A package importing its own modules (its __init__ gathering its API) is not a circle of modules.
    circles = [
        c for c in circles if not all(n == c[0] or n.startswith(c[0] + ".") or c[0].startswith(n + ".") for n in c)
    ]
    assert circles == []

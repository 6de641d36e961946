"""The house stays one-way: no import cycles, no upward imports between layers, no
private names imported from another module, no module over the size limit.

Imports are read with ``ast`` from every module of ``planner``, including imports
inside functions and under ``if TYPE_CHECKING:`` (a cycle hidden in a function is
still a cycle). See ``docs/architecture.md`` for the layers.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "planner"

#: Layers from the bottom up; a module may import its own layer and the ones below.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("planner.errors", "planner.files", "planner.limits", "planner.sanitize", "planner.languages"),
    ("planner.inputs",),
    ("planner.travel",),
    ("planner.optimize",),
    ("planner.evaluate",),
    ("planner.present",),
    ("planner.runs",),
    ("planner.app", "planner.cli", "planner"),
)

#: Known exceptions, each with its reason. Keep this list short.
ALLOWED: dict[tuple[str, str], str] = {}

#: Modules allowed over MAX_LINES, with the issue that splits them.
MAX_LINES = 800
OVERSIZE: dict[str, str] = {}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _resolve(name: str) -> str:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _imports(module: str) -> Iterator[tuple[str, str | None, int]]:
    """``(imported module, imported name or None, line)`` of every planner import."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "planner":
                    yield _resolve(alias.name), None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            if base.split(".")[0] != "planner":
                continue
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in MODULES:
                    yield full, None, node.lineno
                else:
                    yield _resolve(base), alias.name, node.lineno


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module in MODULES:
        graph[module] = {
            target for target, _, _ in _imports(module) if target not in (module, "planner")
        }
    return graph


def _layer(module: str) -> int:
    best = -1
    best_len = -1
    for level, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = level, len(prefix)
    return best


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_is_read() -> None:
    graph = _graph()
    assert "planner.runs.pipeline" in graph
    assert "planner.optimize.dispatch" in graph["planner.runs.pipeline"] or any(
        t.startswith("planner.optimize") for t in graph["planner.runs.pipeline"]
    )


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_module_has_a_layer() -> None:
    assert [m for m in MODULES if _layer(m) < 0] == []


def test_no_upward_imports() -> None:
    upward = []
    for module in MODULES:
        for target, _, line in _imports(module):
            if target == "planner" or (module, target) in ALLOWED:
                continue
            if _layer(target) > _layer(module):
                upward.append(f"{module}:{line} imports {target}")
    assert upward == []


def test_optimize_knows_only_numpy_scipy_and_solvers() -> None:
    heavy = ("geopandas", "shapely", "pyproj", "folium", "pandas", "streamlit", "dask")
    found = []
    for module, path in MODULES.items():
        if not module.startswith("planner.optimize"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [f"{module} imports {n}" for n in names if n.split(".")[0] in heavy]
    assert found == []


def test_no_private_names_from_other_modules() -> None:
    private = []
    for module in MODULES:
        for target, name, line in _imports(module):
            if name and name.startswith("_") and not name.startswith("__") and target != module:
                private.append(f"{module}:{line} imports {target}.{name}")
    assert private == []


def test_no_private_attributes_of_other_modules() -> None:
    """``from planner.x import mod`` then ``mod._name`` is a private import too."""
    private = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parent, base] if base else parent)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    if full in MODULES and full != module:
                        aliases[alias.asname or alias.name] = full
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname and alias.name in MODULES and alias.name != module:
                        aliases[alias.asname] = alias.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                private.append(f"{module}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    assert private == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_stay_small(module: str) -> None:
    n = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    if module in OVERSIZE:
        assert n > MAX_LINES, f"{module} is small now: take it off OVERSIZE"
        return
    assert n <= MAX_LINES, f"{module} has {n} lines (limit {MAX_LINES}); split it by idea"


def _defined_names(module: str) -> set[str]:
    """Names a module defines at its top level (functions, classes, assignments, also
    under a top-level ``if``/``try``), not the names it imports."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    names: set[str] = set()
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.If, ast.Try)):
            todo += node.body + node.orelse
            todo += [s for h in getattr(node, "handlers", []) for s in h.body]
    return names


def test_names_are_imported_from_their_home_module() -> None:
    """No compatibility re-exports: ``from planner.x import name`` (in the package, its
    tests, benchmarks and scripts) finds ``name`` defined in ``planner.x`` itself. Package
    ``__init__`` modules (``planner``, ``planner.optimize``, ...) are the deliberate
    public APIs and may gather names."""
    root = PACKAGE.parent
    files = [
        p for d in ("planner", "tests", "benchmarks", "scripts") for p in (root / d).rglob("*.py")
    ]
    wrong = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module):
                continue
            module = node.module
            if module.split(".")[0] == "planner" and module not in MODULES:
                wrong.append(f"{path.relative_to(root)}:{node.lineno} imports missing {module}")
                continue
            if module not in MODULES or MODULES[module].name == "__init__.py":
                continue
            defined = _defined_names(module)
            for alias in node.names:
                if alias.name not in defined and f"{module}.{alias.name}" not in MODULES:
                    rel = path.relative_to(root)
                    wrong.append(f"{rel}:{node.lineno} imports {alias.name} from {module}")
    assert wrong == []

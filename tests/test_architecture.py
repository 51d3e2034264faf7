"""The package rules of CONTRIBUTING.md, checked on the source's imports.

Imports are read with ``ast`` (module level and inside functions alike, since a
function-level import is still a dependency), so nothing here runs the code.

- Domain packages (accounts, campaigns, calls, telephony, speech, webhooks, dialer, lib)
  never import a surface: ``aicall.api``, ``aicall.web`` or the management commands.
- The domain packages' import graph has no cycle, and follows LAYERS: lib and speech at
  the bottom, the dialer (which drives everything) at the top.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "aicall"

# Bottom to top: a domain package imports only those before it (CONTRIBUTING.md says why).
LAYERS = ("lib", "speech", "telephony", "accounts", "webhooks", "campaigns", "calls", "dialer")
DOMAINS = LAYERS
SURFACES = ("aicall.api", "aicall.web", "aicall.management")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str | None = None) -> Iterator[tuple[int, str]]:
    """Every module ``path`` imports, absolute, with the line it does so on."""
    module = module or _module_name(path)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                # In a package's __init__ the first dot is the package itself.
                drop = node.level - 1 if is_package else node.level
                base = base[: len(base) - drop] if drop else base
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:
                # ``from aicall.api import original`` imports the module aicall.api.original.
                yield node.lineno, f"{target}.{alias.name}"


def _domain_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "aicall" and parts[1] in DOMAINS:
        return parts[1]
    return None


def _domain_files() -> Iterator[tuple[str, Path]]:
    for domain in DOMAINS:
        for path in sorted((PACKAGE / domain).rglob("*.py")):
            yield domain, path


def _is_surface(module: str) -> bool:
    return any(module == s or module.startswith(s + ".") for s in SURFACES)


def test_the_source_tree_is_where_the_test_expects_it() -> None:
    for domain in DOMAINS:
        assert (PACKAGE / domain / "__init__.py").is_file(), domain


def test_no_domain_package_imports_a_surface() -> None:
    violations = sorted(
        {
            f"{path.relative_to(SRC)}:{line} imports {target}"
            for _, path in _domain_files()
            for line, target in _imports(path)
            if _is_surface(target)
        }
    )
    assert violations == [], "domain packages import a surface:\n" + "\n".join(violations)


def _domain_graph() -> dict[str, dict[str, str]]:
    """domain -> {imported domain: one place that imports it}."""
    graph: dict[str, dict[str, str]] = {d: {} for d in DOMAINS}
    for domain, path in _domain_files():
        for line, target in _imports(path):
            other = _domain_of(target)
            if other and other != domain:
                graph[domain].setdefault(other, f"{path.relative_to(SRC)}:{line}")
    return graph


def _cycles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """The strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_domain_packages_have_no_import_cycle() -> None:
    graph = _domain_graph()
    problems = []
    for component in _cycles(graph):
        edges = [
            f"  {a} -> {b} ({graph[a][b]})" for a in component for b in graph[a] if b in component
        ]
        problems.append(" <-> ".join(component) + "\n" + "\n".join(edges))
    assert problems == [], "import cycles between domain packages:\n" + "\n".join(problems)


def test_domain_packages_import_only_the_layers_below_them() -> None:
    graph = _domain_graph()
    upward = [
        f"{a} -> {b} ({where})"
        for a, imported in graph.items()
        for b, where in imported.items()
        if LAYERS.index(b) > LAYERS.index(a)
    ]
    assert upward == [], (
        "imports against the layer order " + " < ".join(LAYERS) + ":\n" + ("\n".join(upward))
    )


def test_lib_imports_no_other_package_of_aicall() -> None:
    """lib/ is framework-free helpers: everything may use it, it uses nothing of ours."""
    graph = _domain_graph()
    assert graph["lib"] == {}


def test_the_checker_sees_function_level_and_relative_imports(tmp_path: Path) -> None:
    """The analysis itself: a function-level import and a relative import are both seen."""
    sample = tmp_path / "probe.py"
    sample.write_text(
        "from . import models\nfrom .queries import x\n\n"
        "def f():\n    from aicall.web import access\n    return access\n",
        encoding="utf-8",
    )
    found = {target for _, target in _imports(sample, "aicall.webhooks.probe")}
    assert {"aicall.webhooks.models", "aicall.webhooks.queries", "aicall.web.access"} <= found
    assert _is_surface("aicall.web.access") and not _is_surface("aicall.webhooks.models")

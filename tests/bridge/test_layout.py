"""The layout of ``bridge/``: three parts (daemon, push-back, command line) over shared error codes, no import
circle between its modules (counting imports inside functions and under TYPE_CHECKING), the push-back
independent of the daemon, and ``stito_core`` never importing ``bridge``."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module name ``path`` imports, anywhere in the file, relative imports resolved."""
    package = _module_name(path).split(".") if path.name == "__init__.py" else _module_name(path).split(".")[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _graph(top: str) -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in (ROOT / top).rglob("*.py")}
    return {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle in ``graph`` as a list of modules, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_cycle_finder_finds_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_bridge_has_no_import_circle():
    graph = _graph("bridge")
    assert {"bridge.daemon.service", "bridge.pushback.push", "bridge.cli.main"} <= set(graph)
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_parts_depend_one_way():
    graph = _graph("bridge")
    for name, deps in graph.items():
        if name.startswith("bridge.pushback"):
            assert not {d for d in deps if d.startswith(("bridge.daemon", "bridge.cli"))}, name
        if name.startswith("bridge.daemon"):
            assert not {d for d in deps if d.startswith("bridge.cli")}, name


def test_the_engine_never_imports_bridge():
    for path in (ROOT / "stito_core").rglob("*.py"):
        assert not {m for m in _imports(path) if m.split(".")[0] == "bridge"}, path

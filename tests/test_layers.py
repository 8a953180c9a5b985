"""Imports point down only: core/ imports nothing of ours; storage/, nlp/ and
crawlers/ import only core/, themselves and third-party code; and no package
has an import cycle among its own modules (imports under TYPE_CHECKING, which
never run, are left out of the cycle check)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("core", "storage", "nlp", "crawlers", "pipeline")
ALLOWED = {
    "core": {"core"},
    "storage": {"core", "storage"},
    "nlp": {"core", "nlp"},
    "crawlers": {"core", "crawlers"},
    "pipeline": set(OURS),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """(imported module, line, runs at import time) for every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            guarded.update(id(child) for child in ast.walk(node))
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        # Only function-level imports run later; module-level ones run at import time.
        at_import = id(node) not in guarded and node.col_offset == 0
        found.extend((name, node.lineno, at_import) for name in names)
    return found


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", OURS)
def test_imports_point_down(package: str) -> None:
    wrong = []
    for path in _files(package):
        for name, line, _ in _imports(path):
            top = name.split(".")[0]
            if top in OURS and top not in ALLOWED[package]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("package", OURS)
def test_no_import_cycles_inside_a_package(package: str) -> None:
    modules = {_module_name(path): path for path in _files(package)}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for imported, _, at_import in _imports(path):
            if at_import and imported in modules and imported != name:
                graph[name].add(imported)
    cycle = _find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_the_checker_sees_a_wrong_import(tmp_path: Path) -> None:
    # A checker that finds nothing proves nothing: feed it one bad import.
    source = tmp_path / "bad.py"
    source.write_text("from pipeline.cli import app\n", encoding="utf-8")
    imports = [name for name, _, _ in ast_imports_outside_root(source)]
    assert "pipeline.cli" in imports
    assert _find_cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]


def ast_imports_outside_root(path: Path) -> list[tuple[str, int, bool]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.module or "", node.lineno, True)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    ]


def test_no_module_over_400_lines() -> None:
    long = [
        f"{path.relative_to(ROOT)}: {count} lines"
        for package in OURS
        for path in _files(package)
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > 400
    ]
    assert not long, "\n".join(long)

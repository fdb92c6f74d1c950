"""The rules of the house that keep the code base navigable, checked on the source itself.

- no module of ``editorial`` over 600 lines (migrations aside);
- no import cycle among ``editorial`` modules (imports at module level, the ones that run
  when a module is loaded);
- the layers: nothing below the faces (admin, public site, API, management commands)
  imports a face, so a service or a parser can be read, tested and reused without them;
- an import inside a function body says why it is there (a comment on its line or the
  line above), because the house default is the top of the module.

Function complexity (at most 12) is ruff's C901 rule, configured in pyproject.toml.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "editorial"
MAX_LINES = 600
FACES = ("editorial.admin", "editorial.site", "editorial.api", "editorial.management")
# Modules that wire the faces to Django and may name them: the app config and the
# project's URL include are not "below" anything.
WIRING = {"editorial.apps"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts
    }


MODULES = source_modules()


def is_face(name: str) -> bool:
    return any(name == face or name.startswith(face + ".") for face in FACES)


def resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    """The editorial modules an ``import`` / ``from … import`` statement loads."""
    if node.level:
        base = importer.split(".")
        if not is_package:
            base = base[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    found = []
    for alias in node.names:
        candidate = f"{target}.{alias.name}"
        found.append(candidate if candidate in MODULES else target)
    return [name for name in found if name in MODULES]


def _type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports_of(name: str, *, module_level: bool) -> list[tuple[str, int]]:
    """(imported module, line) pairs; module level only, or inside functions only."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking_block(child):
                continue
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import | ast.ImportFrom) and in_function != module_level:
                if isinstance(child, ast.Import):
                    targets = [alias.name for alias in child.names if alias.name in MODULES]
                else:
                    targets = resolve(name, is_package, child)
                found.extend((target, child.lineno) for target in targets)
            visit(child, inside)

    visit(tree, False)
    return found


def test_no_module_is_over_the_line_limit():
    long = {
        name: lines
        for name, path in MODULES.items()
        if (lines := path.read_text(encoding="utf-8").count("\n")) > MAX_LINES
    }
    assert long == {}, f"split these modules by concept (over {MAX_LINES} lines): {long}"


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def connect(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return cycles


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_editorial_modules():
    graph = {
        name: {target for target, _ in imports_of(name, module_level=True) if target != name}
        for name in MODULES
    }
    # The graph is real: a service's own imports are in it.
    assert {"editorial.workflow", "editorial.models"} <= graph["editorial.services.issues"]
    assert find_cycles(graph) == []


@pytest.mark.parametrize("module_level", [True, False], ids=["module level", "in functions"])
def test_nothing_below_the_faces_imports_a_face(module_level):
    upward = [
        f"{name}:{line} imports {target}"
        for name in MODULES
        if not is_face(name) and name not in WIRING
        for target, line in imports_of(name, module_level=module_level)
        if is_face(target)
    ]
    assert upward == []


def test_an_import_inside_a_function_says_why():
    silent = set()
    for name, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if not isinstance(inner, ast.Import | ast.ImportFrom):
                    continue
                own = lines[inner.lineno - 1 : inner.end_lineno]
                above = lines[inner.lineno - 2] if inner.lineno > 1 else ""
                if not any("#" in line for line in own) and not above.strip().startswith("#"):
                    silent.add(f"{name}:{inner.lineno}")
    assert sorted(silent) == [], "move these imports to the module top, or say why they stay"

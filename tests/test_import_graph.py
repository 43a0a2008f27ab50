"""The package's floors only look down: no import of a higher or same-floor package, no import cycle.

The floors come from the table in ``docs/architecture.md`` (one source for the docs and this test). Every import
statement counts, at module level or inside a function, absolute or relative, and ``from package import module``
counts as an import of that module: function-level imports are exactly where hidden cycles used to live.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "specklegan_tf"
TOP = "__main__"  # python -m specklegan_tf: above every floor


def read_floors(architecture_md: Path) -> tuple[dict[str, int], dict[str, int]]:
    """({package: floor}, {side package: highest floor it may import}) from the architecture page's table."""
    floors, side = {}, {}
    for line in architecture_md.read_text().splitlines():
        row = re.match(r"\|\s*(\d+|side)\s*\|([^|]*)\|([^|]*)\|", line)
        if not row:
            continue
        names = re.findall(r"`(\w+)`", row.group(2))
        if row.group(1) == "side":
            limit = re.search(r"floors 0-(\d+)", row.group(3))
            assert limit, f"side row needs 'may import floors 0-N': {line}"
            side.update({name: int(limit.group(1)) for name in names})
        else:
            floors.update({name: int(row.group(1)) for name in names})
    return floors, side


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, root: Path) -> set[str]:
    """Every module of the package that ``path`` imports, anywhere in the file."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names
                         if _is_module(root.parent, f"{target}.{alias.name}"))
    return {module for module in found if module == root.name or module.startswith(root.name + ".")}


def _is_module(base: Path, dotted: str) -> bool:
    path = base.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def import_graph(root: Path) -> dict[str, set[str]]:
    return {module_name(path, root): imported_modules(path, root) for path in sorted(root.rglob("*.py"))}


def floor_violations(graph: dict[str, set[str]], floors: dict[str, int], side: dict[str, int]) -> list[str]:
    """'a -> b (why)' for every import of a package that is not on a lower floor."""

    def top(module: str) -> str | None:
        parts = module.split(".")
        return parts[1] if len(parts) > 1 else None  # None: the top-level __init__, which imports nothing

    problems = []
    for source, targets in graph.items():
        for target in sorted(targets):
            here, there = top(source), top(target)
            if here is None or there is None or here == there or here == TOP:
                continue
            if there not in floors:
                problems.append(f"{source} -> {target} (imports {there}, which is on no floor or a side package)")
            elif here in side:
                if floors[there] > side[here]:
                    problems.append(f"{source} -> {target} (side package {here} may import floors 0-{side[here]})")
            elif here not in floors:
                problems.append(f"{source}: package {here} is on no floor of docs/architecture.md")
            elif floors[there] >= floors[here]:
                problems.append(f"{source} -> {target} ({here} is floor {floors[here]}, {there} floor "
                                f"{floors[there]})")
    return problems


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


@pytest.fixture(scope="module")
def package_graph():
    return import_graph(REPO / PACKAGE)


def test_every_package_is_on_a_floor_and_imports_only_lower_floors(package_graph):
    floors, side = read_floors(REPO / "docs" / "architecture.md")
    assert {"core", "data", "layers", "models", "training", "experiments", "commands"} <= set(floors)
    packages = {path.name for path in (REPO / PACKAGE).iterdir() if (path / "__init__.py").is_file()}
    missing = packages - set(floors) - set(side)
    assert not missing, f"packages missing from the table of docs/architecture.md: {sorted(missing)}"
    assert floor_violations(package_graph, floors, side) == []


def test_no_import_cycle_through_any_import(package_graph):
    assert import_cycles(package_graph) == []


def test_the_checks_catch_an_upward_import_a_sideways_import_and_a_cycle(tmp_path):
    root = tmp_path / "pkg"
    files = {
        "__init__.py": "",
        "low/__init__.py": "",
        "low/a.py": "def f():\n    from pkg.high import b  # upward, hidden in a function\n",
        "high/__init__.py": "",
        "high/b.py": "from ..low import a\n",
        "peer/__init__.py": "from pkg.low.a import f\nfrom pkg import high\n",
        "other/__init__.py": "",
        "other/c.py": "from pkg.peer import d\n",
        "peer/d.py": "",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    graph = import_graph(root)
    assert graph["pkg.high.b"] == {"pkg.low", "pkg.low.a"}
    floors = {"low": 0, "high": 1, "peer": 1, "other": 1}
    problems = floor_violations(graph, floors, {})
    assert any(p.startswith("pkg.low.a -> pkg.high.b") for p in problems)
    assert any(p.startswith("pkg.peer -> pkg.high ") for p in problems)  # same floor: sideways
    assert any(p.startswith("pkg.other.c -> pkg.peer.d") for p in problems)
    assert not any(p.startswith("pkg.high.b") for p in problems)
    assert ["pkg.high.b", "pkg.low.a"] in import_cycles(graph)

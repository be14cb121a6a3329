"""The structure of the three packages, checked statically so it cannot drift back.

1. ``marble/`` is the core: no module in it imports ``pipelines`` or ``exporters`` (imports inside
   functions count), except ``marble/api.py`` and ``marble/frontends/``.
2. ``exporters`` never imports ``pipelines``.
3. No import-time cycles: the module-level imports (outside ``if TYPE_CHECKING``) form no loop. A
   submodule imports its siblings directly (``from pkg.sibling import x``, ``import pkg.sibling``):
   ``from pkg import sibling`` inside ``pkg`` goes through the package's ``__init__``, which usually
   imports the submodule back, so it counts as an import of ``pkg`` too.
4. No file in ``marble/``, ``pipelines/`` or ``exporters/`` is over 600 lines.

The checker itself is tested on small trees that break each rule (``tmp_path``), so a checker that
finds nothing cannot pass.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support import REPO

PACKAGES = ("marble", "pipelines", "exporters")
MAX_LINES = 600
GATEWAYS = ("marble.api", "marble.frontends")
"""The only places in ``marble/`` that may import ``pipelines`` or ``exporters``."""


@dataclass
class Module:
    name: str  # dotted
    path: Path
    top: set[str] = field(default_factory=set)  # modules imported when this one is imported
    anywhere: set[str] = field(default_factory=set)  # every module it imports, function bodies included


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def scan(root: Path, packages=PACKAGES) -> dict[str, Module]:
    """Every module of ``packages`` under ``root`` with the project modules it imports."""
    paths = {(_module_name(root, p)): p for pkg in packages for p in sorted((root / pkg).rglob("*.py"))}
    mods = {name: Module(name, path) for name, path in paths.items()}

    def resolve(mod: Module, node: ast.ImportFrom) -> list[str]:
        if node.level:
            base = mod.name.split(".")
            if mod.path.name != "__init__.py":
                base = base[:-1]
            base = base[: len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        # `from pkg import sub` names the submodule when there is one, else the package itself; from inside
        # pkg it goes through pkg's __init__ as well
        out = [f"{target}.{a.name}" if f"{target}.{a.name}" in mods else target for a in node.names]
        if target != mod.name and _within(mod.name, target) and any(f"{target}.{a.name}" in mods for a in node.names):
            out.append(target)
        return out

    for mod in mods.values():
        tree = ast.parse(mod.path.read_text(encoding="utf-8"), filename=str(mod.path))

        def visit(node: ast.AST, at_import: bool) -> None:
            for child in ast.iter_child_nodes(node):
                now = at_import
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    now = False
                if isinstance(child, ast.If) and _is_type_checking(child.test):
                    for sub in child.orelse:
                        visit(ast.Module(body=[sub], type_ignores=[]), at_import)
                    for sub in child.body:  # never executed: counts for layering, not for cycles
                        visit(ast.Module(body=[sub], type_ignores=[]), False)
                    continue
                names: list[str] = []
                if isinstance(child, ast.Import):
                    names = [a.name for a in child.names]
                elif isinstance(child, ast.ImportFrom):
                    names = resolve(mod, child)
                for n in names:
                    if n.split(".")[0] in packages:
                        mod.anywhere.add(n)
                        if now:
                            mod.top.add(n)
                visit(child, now)

        visit(tree, True)
    return mods


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def layering_violations(mods: dict[str, Module]) -> list[str]:
    """Rule 1 and 2: ``module -> imported module`` lines that break them."""
    bad = []
    for mod in mods.values():
        for target in sorted(mod.anywhere):
            if _within(mod.name, "marble") and not any(_within(mod.name, g) for g in GATEWAYS) \
                    and (_within(target, "pipelines") or _within(target, "exporters")):
                bad.append(f"{mod.path.relative_to(REPO) if mod.path.is_relative_to(REPO) else mod.path}: "
                           f"{mod.name} imports {target}")
            if _within(mod.name, "exporters") and _within(target, "pipelines"):
                bad.append(f"{mod.name} imports {target}")
    return bad


def import_cycles(mods: dict[str, Module]) -> list[list[str]]:
    """Rule 3: loops among module-level imports (each reported once, smallest module first)."""
    graph = {name: sorted(t for t in m.top if t in mods and t != name) for name, m in mods.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []
    counter = [0]

    def strongconnect(v: str) -> None:  # Tarjan's algorithm, iterative enough for these sizes
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                strongconnect(w)
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
                cycles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return sorted(cycles)


def long_files(root: Path, packages=PACKAGES) -> list[str]:
    """Rule 4: source files (Python, and the editor's JavaScript and CSS) over :data:`MAX_LINES` lines."""
    out = []
    for pkg in packages:
        for p in sorted(q for ext in ("*.py", "*.js", "*.css") for q in (root / pkg).rglob(ext)):
            n = len(p.read_text(encoding="utf-8").splitlines())
            if n > MAX_LINES:
                out.append(f"{p.relative_to(root)}: {n} lines")
    return out


# ---------------------------------------------------------------------- the rules, on this tree
@pytest.fixture(scope="module")
def tree() -> dict[str, Module]:
    mods = scan(REPO)
    assert {"marble.world", "marble.api", "pipelines.generate", "exporters.registry"} <= set(mods)
    return mods


def test_the_core_imports_nothing_above_it(tree):
    assert layering_violations(tree) == []


def test_the_gateways_exist_and_do_reach_above(tree):
    """The two sanctioned doors are where the core meets the layers above (so rule 1 is not vacuous)."""
    assert any(_within(t, "pipelines") for t in tree["marble.api"].anywhere)
    assert any(_within(t, "exporters") for t in tree["marble.api"].anywhere)
    assert any(_within(t, "pipelines") for m in tree.values() if _within(m.name, "marble.frontends") for t in m.anywhere)


def test_no_import_time_cycles(tree):
    assert import_cycles(tree) == []


def test_no_file_over_600_lines():
    assert long_files(REPO) == []


# ---------------------------------------------------------------------- the checker finds what it must
def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    for pkg in PACKAGES:
        (root / pkg).mkdir(exist_ok=True)
        (root / pkg / "__init__.py").touch()
    return root


def test_checker_catches_each_kind_of_breakage(tmp_path):
    root = _write(tmp_path, {
        "marble/world.py": "def export():\n    from exporters import export as e\n    return e\n",
        "marble/api.py": "import pipelines\n",
        "marble/frontends/__init__.py": "from exporters.gltf import write\n",
        "exporters/gltf.py": "def write():\n    import pipelines.fusion\n",
        "pipelines/fusion.py": "",
        "pipelines/shapes/__init__.py": "from pipelines.shapes import chair\nREGISTRY = {}\n",
        "pipelines/shapes/chair.py": "from pipelines.shapes import REGISTRY\n",
        "pipelines/a.py": "from . import b\n",
        "pipelines/layout/__init__.py": "from pipelines.layout.place import f\n",
        "pipelines/layout/rules.py": "",
        "pipelines/layout/place.py": "from pipelines.layout import rules\ndef f():\n    pass\n",
        "pipelines/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pipelines import a\n"
                          "def f():\n    from pipelines import a\n",
        "pipelines/big.py": "x = 1\n" * (MAX_LINES + 1),
    })
    mods = scan(root)
    bad = layering_violations(mods)
    assert any("marble.world imports exporters" in b for b in bad)
    assert any("exporters.gltf imports pipelines.fusion" in b for b in bad)
    assert not any("marble.api" in b or "marble.frontends" in b for b in bad)  # the gateways may
    # a -> b is a loop only inside functions; place reaches rules through the package that imports place
    assert import_cycles(mods) == [["pipelines.layout", "pipelines.layout.place"], ["pipelines.shapes", "pipelines.shapes.chair"]]
    assert long_files(root) == [f"pipelines/big.py: {MAX_LINES + 1} lines"]

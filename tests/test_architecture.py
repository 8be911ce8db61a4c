"""The package's structure, as docs/architecture.md states it.

* **Layers.** Every module of ``optimizer`` belongs to a layer; a module imports only modules of
  its own layer or of layers below (imports under ``if TYPE_CHECKING:`` count too: an annotation
  is a dependency as well).  From the bottom: ``core``, ``families``, ``input``, ``model``, ``solve``,
  ``results`` and ``check`` (side by side: the checker never sees the model or the solver),
  ``pipeline``, ``tools``, ``docs``, ``cli``.
* **No import cycles** between modules.
* **No module over 600 lines.**
* The checker and its certificate import neither Pyomo nor HiGHS.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from optimizer.docs import LAYERS, render_architecture

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "optimizer"

MAX_LINES = 600


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def part(module: str) -> str:
    """The layer part of ``optimizer.x.y``: ``x`` (``__init__`` for the package itself)."""
    bits = module.split(".")
    return bits[1] if len(bits) > 1 else "__init__"


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports(module: str, *, annotations: bool = True) -> set[str]:
    """The optimizer modules (and third-party top-level packages) that ``module`` imports; without
    ``annotations``, only those imported at run time (not under ``if TYPE_CHECKING:``)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = set() if annotations else _type_checking_lines(tree)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:  # `from pkg import module` imports the module
                candidate = f"{target}.{alias.name}"
                out.add(candidate if candidate in MODULES else target)
    return out


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_a_layer_above_it(module: str) -> None:
    if part(module) not in LAYERS:
        pytest.fail(f"{module}: its part {part(module)!r} has no layer in tests/test_architecture.py")
    rank = LAYERS[part(module)]
    wrong = sorted(m for m in imports(module) if m in MODULES and m != "optimizer"
                   and (LAYERS[part(m)] > rank or (LAYERS[part(m)] == rank and part(m) != part(module))))
    assert not wrong, f"{module} (layer {part(module)}) imports {wrong} from above or beside it"


def test_no_import_cycles() -> None:
    graph = {m: {i for i in imports(m) if i in MODULES and i != m} for m in MODULES}
    # a package's __init__ importing its own modules is not a cycle of the layering
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(n):] + [n]))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_600_lines(module: str) -> None:
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it by job (at most {MAX_LINES})"


@pytest.mark.parametrize("module", [m for m in MODULES if part(m) == "check"])
def test_the_checker_imports_no_solver_stack(module: str) -> None:
    heavy = {m.split(".")[0] for m in imports(module, annotations=False)} & {"pyomo", "highspy"}
    assert not heavy, f"{module} imports {heavy}: the checker must stay independent of the solver stack"


def test_the_version_is_declared_once_in_the_package_and_matches_pyproject() -> None:
    import tomllib

    from optimizer import __version__
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["version"] == __version__


def test_the_architecture_docs_list_every_module() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert render_architecture(text) == text, "docs/architecture.md's package table differs: run make docs"


def test_no_subpackage_hides_a_public_name_of_the_package() -> None:
    """``optimizer.solve`` is the notebook function; a subpackage of that name would replace it once imported."""
    import importlib

    import optimizer
    for name in optimizer.__all__:
        assert not (PACKAGE / name).is_dir(), f"optimizer/{name}/ would hide optimizer.{name}"
    importlib.import_module("optimizer.solving.solver")
    assert callable(optimizer.solve)


def test_tests_mirror_the_tree() -> None:
    """Each folder of unit tests is named after a part of the package."""
    folders = [d.name for d in (ROOT / "tests").iterdir() if (d / "__init__.py").is_file()]
    assert folders, "no unit-test folders"
    for name in folders:
        assert (PACKAGE / name).is_dir(), f"tests/{name}/ has no optimizer/{name}/ to mirror"


def test_no_constant_is_declared_twice() -> None:
    """A module-level constant (an UPPER_CASE name bound to a value) has one home; importing it is fine.
    ``FAMILY`` is the protocol's name for each family module's declaration."""
    homes: dict[str, list[str]] = {}
    for module, path in MODULES.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            for t in targets:
                if isinstance(t, ast.Name) and t.id.isupper() and t.id != "FAMILY":
                    homes.setdefault(t.id, []).append(module)
    twice = {name: where for name, where in homes.items() if len(where) > 1}
    assert not twice, f"constants declared in more than one module: {twice}"

"""Generated blocks of the docs: the results reference's tables (from the results contract), the
family tables of docs/model.md and docs/results.md (from the registry), and the module table of
docs/architecture.md (from the package).  ``python -m optimizer.docs NAME FILE`` rewrites them."""


from __future__ import annotations

import re
from pathlib import Path
from typing import Any


from ..core import contract
from ..families import ALWAYS_LISTED, FAMILIES, PINNED, POLICY_FAMILIES
from ..families.base import DualSpec, NoDual

from .format import md_table


# --------------------------------------------------------------------------------------------
# docs/results.md: its file index and column tables come from the results contract
# --------------------------------------------------------------------------------------------

#: ``<!-- contract: NAME -->`` ... ``<!-- /contract -->`` marks a generated block of results.md:
#: NAME is ``files`` (the index of a results folder) or a results table.
BLOCK = re.compile(r"(<!-- contract: (\w+) -->\n)(.*?)(<!-- /contract -->)", re.DOTALL)


def _anchor(file: str) -> str:
    return "#" + re.sub(r"[^a-z0-9]", "", file.lower())


def contract_block(name: str) -> list[str]:
    """The markdown of one generated block of ``docs/results.md``."""
    if name == "files":
        rows = [(f"[`{t.file}`]({_anchor(t.file)})", t.row, t.when) for t in contract.RESULT_TABLES.values()]
        rows += [(f"[`{f}`]({_anchor(f)})", row, when) for f, row, when in contract.OTHER_FILES]
        return md_table(("file", "one row per", "written when"), rows)
    table = contract.RESULT_TABLES[name] if name in contract.RESULT_TABLES else contract.HEDGE_TABLES[name]
    return md_table(("column", "unit", "meaning"), [(f"`{c.name}`", c.unit, c.meaning) for c in table.columns])


def render_results(text: str) -> str:
    """``text`` (docs/results.md) with every generated block rewritten from the contract and the
    family registry."""
    def block(m: re.Match[str]) -> str:
        if m.group(2) != "files" and m.group(2) not in contract.RESULT_TABLES and m.group(2) not in contract.HEDGE_TABLES:
            raise KeyError(f"docs/results.md: no results table {m.group(2)!r} in the contract")
        return m.group(1) + "\n".join(contract_block(m.group(2))) + "\n" + m.group(4)
    return render_families(BLOCK.sub(block, text))


# --------------------------------------------------------------------------------------------
# docs/model.md: the index of constraint families comes from the registry
# --------------------------------------------------------------------------------------------

FAMILY_BLOCK = re.compile(r"(<!-- families: ([\w-]+) -->\n)(.*?)(<!-- /families -->)", re.DOTALL)


def _priced() -> list[Any]:
    return [f for f in FAMILIES if isinstance(f.dual, DualSpec)]


def family_index() -> list[str]:
    """The table of every constraint family: its module, its row and dual, how it is relaxed and checked."""
    rows = []
    for f in FAMILIES:
        relaxed = f"yes: {f.slack}" if f.slack else "no"
        checked = f"`{f.name}`" if callable(f.check) else f.check
        rows.append((f"`{f.name}`", f"`optimizer/families/{f.build.__module__.rsplit('.', 1)[-1]}.py`", f.group, f.doc,
                     relaxed, checked))
    return md_table(("family", "module", "group", "rows and dual", "relaxed when infeasible", "m2m check"), rows)


def duals_listing() -> list[str]:
    """Which families' rows duals.csv lists always, which only when not zero, which never."""
    def names(fs: list[Any]) -> str:
        items = [f"`{f.name}`" for f in fs]
        return ", ".join(items[:-1]) + f" and {items[-1]}" if len(items) > 1 else "".join(items)

    always = [f for f in _priced() if f.name in ALWAYS_LISTED]
    nonzero = [f for f in _priced() if f.name not in ALWAYS_LISTED]
    none = [f for f in FAMILIES if isinstance(f.dual, NoDual)]
    lines = [f"Rows of {names(always)} are always listed, zeros included. Rows of {names(nonzero)} are listed only "
             "where the value is not zero. These report no dual:", ""]
    lines += [f"* `{f.name}`: {f.dual.reason};" for f in none]
    return lines


def duals_table() -> list[str]:
    """Each priced family: its index, unit, what its value is, and whether expected.json pins it."""
    return md_table(("`constraint`", "`index`", "`unit`", "`value` is", "pinned"),
                    [(f"`{f.name}`", f.dual.index, f.dual.unit_text, f.dual.value, "yes" if f.name in PINNED else "no")
                     for f in _priced()])


def dual_formulas() -> list[str]:
    """Each priced family's row sense and reported value as a formula of the raw dual (docs/model.md)."""
    return md_table(("family", "row", "reported value", "unit", "meaning"),
                    [(f"`{f.name}`", f.dual.row, f.dual.reported, f.dual.unit_text, f.dual.value) for f in _priced()])


def pinned_duals() -> list[str]:
    return ["Pinned dual families: " + ", ".join(f"`{n}`" for n in PINNED) + "."]


def achieved_table() -> list[str]:
    """What ``achieved_<year>`` measures for each policy kind (``m2m sweep``)."""
    return md_table(("policy kind", "`achieved_<year>` is", "unit"),
                    [(f"`{f.name}`", f.achieved.what, f.achieved.unit) for f in POLICY_FAMILIES])


def relaxed_table() -> list[str]:
    """The families the infeasibility diagnosis relaxes, and what a violation of each is called."""
    return md_table(("family (slack name)", "a violation is"), [(f"`{f.name}`", f.slack) for f in FAMILIES if f.slack])


#: Generated family blocks: ``<!-- families: NAME -->`` ... ``<!-- /families -->``.
FAMILY_BLOCKS = {"index": family_index, "duals-listing": duals_listing, "duals": duals_table,
                 "dual-formulas": dual_formulas, "pinned": pinned_duals, "achieved": achieved_table,
                 "relaxed": relaxed_table}


def render_families(text: str) -> str:
    """``text`` with every generated family block rewritten from the registry."""
    def block(m: re.Match[str]) -> str:
        if m.group(2) not in FAMILY_BLOCKS:
            raise KeyError(f"no generated family block {m.group(2)!r}")
        return m.group(1) + "\n".join(FAMILY_BLOCKS[m.group(2)]()) + "\n" + m.group(4)
    return FAMILY_BLOCK.sub(block, text)


def render_model(text: str) -> str:
    """``text`` (docs/model.md) with its family blocks rewritten from the registry."""
    return render_families(text)


# --------------------------------------------------------------------------------------------
# docs/architecture.md: the layers and their modules come from the package itself
# --------------------------------------------------------------------------------------------

#: The layers of the package, bottom first: a module imports only modules of its own part or
#: of a lower rank (``tests/test_architecture.py`` holds the code to this).  Parts of one rank
#: do not import each other: the checker never sees the model or the solver.
LAYERS: dict[str, int] = {
    "core": 0, "families": 1, "input": 2, "model": 3, "solving": 4, "results": 5, "check": 5,
    "pipeline": 6, "tools": 7, "docs": 8, "__init__": 9, "cli": 9, "entry": 10,
}

PACKAGE_BLOCK = re.compile(r"(<!-- packages -->\n)(.*?)(<!-- /packages -->)", re.DOTALL)
ROOT = Path(__file__).resolve().parent.parent


def _first_line(path: Path) -> str:
    """The first line of a module's docstring."""
    import ast

    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return doc.split("\n", 1)[0].strip()


def package_rows() -> list[str]:
    """One row per module of the package, grouped by layer (bottom first)."""
    rows = []
    for part, rank in sorted(LAYERS.items(), key=lambda kv: (kv[1], kv[0])):
        folder = ROOT / part
        paths = sorted(folder.rglob("*.py")) if folder.is_dir() else [ROOT / f"{part}.py"]
        for path in paths:
            rel = path.relative_to(ROOT.parent).as_posix()
            rows.append((str(rank), part, f"`{rel}`", _first_line(path)))
    return md_table(("rank", "layer", "module", "what it does"), rows)


def render_architecture(text: str) -> str:
    """``text`` (docs/architecture.md) with its package table rewritten from the package."""
    return PACKAGE_BLOCK.sub(lambda m: m.group(1) + "\n".join(package_rows()) + "\n" + m.group(3), text)


#: Documents whose generated blocks ``python -m optimizer.docs NAME FILE`` rewrites in place.
REWRITERS = {"results": render_results, "model": render_model, "architecture": render_architecture}

"""What the report shows, read from results folders: each run's tables and network, and the chain laid out by stage."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from ...core.contract import (INFEASIBILITY, OUTCOME, PLAN_TABLES, SOLVED, SUMMARY, read_frame, read_summary, results_folder,
                              scenario_label)
from ...core.errors import Finding, InputError, finding


REPORT_FILE = "report.html"
MAX_DUALS = 50  # rows of the duals table (the whole table is in duals.csv)
CUSTOMERS = ""  # the stage key of customers (a facility's stage is never empty)

# Colours: the provenance group's countries in reds, the others from a palette without red.
COVERED_COLOURS = ("#d62728", "#a50f15", "#ef6548", "#fb6a4a", "#cb181d", "#fc9272")
OTHER_COLOURS = ("#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#bcbd22", "#e377c2",
                 "#393b79", "#637939", "#7b4173", "#3182bd", "#31a354", "#756bb1", "#e6550d", "#636363",
                 "#6baed6", "#74c476", "#9e9ac8", "#fdae6b", "#969696")
UNKNOWN_COLOUR = "#7f7f7f"
PROVENANCE_COLOURS = {"clean": "#2ca02c", "touched": "#d62728", "any": "#9e9e9e"}
NODE_GREY = "#8c8c8c"
SERIES = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
          "#bcbd22", "#17becf")


# ============================================================================================
# reading a results folder
# ============================================================================================


@dataclass
class RunData:
    """A results folder: its summary, its tables and (if it can be read) its instance."""

    folder: Path
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    infeasibility: pd.DataFrame | None = None
    instance: Any = None  # optimizer.input.instance.Instance, or None when it could not be read
    instance_note: str = ""
    tag: str = ""  # "A" / "B" in a comparison
    outcome: str = ""  # the outcome drawn, for a hedge folder (m2m hedge)

    @property
    def has_plan(self) -> bool:
        return self.summary.get("status") in SOLVED and bool(self.tables)

    @property
    def name(self) -> str:
        return str((self.summary.get("instance") or {}).get("name") or self.folder.name)

    @property
    def scenario(self) -> list[str]:
        return [str(s) for s in (self.summary.get("instance") or {}).get("scenario") or []]

    @property
    def scenario_text(self) -> str:
        return scenario_label(self.scenario)

    @property
    def label(self) -> str:
        """Short name of the run in legends: ``A: baseline`` in a comparison, else the scenario; the
        outcome (``A: ban``) for a hedge's plan in one outcome."""
        what = f"outcome {self.outcome}" if self.outcome else self.scenario_text
        return f"{self.tag}: {what}" if self.tag else what

    @property
    def periods(self) -> list[int]:
        periods = (self.summary.get("instance") or {}).get("periods") or []
        found = {int(t) for df in self.tables.values() if "period" in df for t in df["period"].dropna()}
        return sorted({int(t) for t in periods} | found)


def hedge_outcomes(path: str | Path) -> list[str] | None:
    """The outcomes of a hedge folder (``m2m hedge``), in order; None for any other results folder."""
    summary = read_summary(results_folder(Path(path)))
    if summary.get("run") != "hedge":
        return None
    return [str(o["name"]) for o in (summary.get("uncertainty") or {}).get("outcomes", [])]


def read_run(path: str | Path, tag: str = "", outcome: str | None = None) -> RunData:
    """Read a results folder (or its ``summary.json``), or a hedge folder's plan in ``outcome``;
    raise InputError if it cannot be read."""
    folder = results_folder(Path(path))
    summary = read_summary(folder)
    hedge = summary.get("run") == "hedge"
    if hedge:
        summary = _outcome_summary(folder, summary, outcome)
    findings: list[Finding] = []
    tables: dict[str, pd.DataFrame] = {}
    if summary.get("status") in SOLVED:
        for name in PLAN_TABLES:
            df = read_frame(folder, name, findings, leading=(OUTCOME,) if hedge else ())
            if df is not None:
                tables[name] = df[df[OUTCOME.name] == outcome].drop(columns=OUTCOME.name).reset_index(drop=True) if hedge else df
    infeasibility = None
    if (folder / INFEASIBILITY).is_file():
        infeasibility = read_frame(folder, "infeasibility", findings)
    if findings:
        raise InputError(findings)
    run = RunData(folder=folder, summary=summary, tables=tables, infeasibility=infeasibility, tag=tag,
                  outcome=outcome if hedge else "")
    run.instance, run.instance_note = _instance(summary)
    return run


def _outcome_summary(folder: Path, summary: dict[str, Any], outcome: str | None) -> dict[str, Any]:
    """A hedge's summary as the summary of its plan in ``outcome`` (whose instance is the hedge's
    with the outcome's scenarios applied)."""
    u = summary.get("uncertainty") or {}
    known = {str(o["name"]): o for o in u.get("outcomes", [])}
    if outcome not in known:
        raise InputError([finding(str(folder / SUMMARY), "-", "--outcome",
                                  f"{'no outcome given' if outcome is None else f'no outcome {outcome!r}'} in this hedge "
                                  f"folder; expected one of {list(known)}")])
    named = dict(summary.get("instance") or {})
    named["scenario"] = [*(named.get("scenario") or []), *known[outcome].get("scenarios", [])]
    plan = (summary.get("outcomes") or {}).get(outcome) or {"status": summary.get("status")}
    return {**plan, "instance": named, "stamp": summary.get("stamp"), "format": summary.get("format")}


def _instance(summary: dict[str, Any]) -> tuple[Any, str]:
    """The instance named in the summary, for the network; (None, why) if it cannot be read."""
    from ...input.load import load_instance

    named = summary.get("instance") or {}
    path = named.get("path")
    if not path:
        return None, "summary.json names no instance: stages and countries are taken from the results"
    try:
        inst = load_instance(path, named.get("scenario") or [], check_network=False)
    except InputError as exc:
        first = str(exc.findings[0]) if exc.findings else "unreadable"
        return None, f"the instance {path} could not be read ({first}): stages and countries are taken from the results"
    except OSError as exc:
        return None, f"the instance {path} could not be read ({exc}): stages and countries are taken from the results"
    solved = (summary.get("stamp") or {}).get("inputs_sha256")
    if solved and inst.input_digest != solved:
        return inst, f"note: the instance {path} changed after this solve; stages and countries are read from it as it is now"
    return inst, ""


# ============================================================================================
# the chain: stages in columns, countries, colours
# ============================================================================================


def stage_columns(edges: Iterable[tuple[str, str]], stages: Iterable[str]) -> dict[str, int]:
    """Column of each stage in the Sankey, left to right, from the stage graph ``edges``.

    A stage's column is its longest path from a source stage (cycles, such as swarf going back
    to a recycler, are cut where a depth-first walk from the sources meets them); customers
    (stage ``CUSTOMERS``) take the last column, and a stage that ships only to customers (a
    magnet recycler, say) the one before it.  Unused columns are closed up.
    """
    nodes = set(stages)
    edges = {(a, b) for a, b in edges if a != b}
    nodes |= {s for e in edges for s in e}
    succ: dict[str, list[str]] = {s: sorted({b for a, b in edges if a == s}) for s in nodes}
    pred: dict[str, set[str]] = {s: {a for a, b in edges if b == s} for s in nodes}
    state: dict[str, int] = {}
    order: list[str] = []
    dropped: set[tuple[str, str]] = set()

    def visit(s: str) -> None:
        state[s] = 1
        for t in succ[s]:
            if state.get(t) == 1:
                dropped.add((s, t))
            elif t not in state:
                visit(t)
        state[s] = 2
        order.append(s)

    for s in sorted(nodes, key=lambda s: (bool(pred[s]), s == CUSTOMERS, s)):
        if s not in state:
            visit(s)
    depth = {s: 0 for s in nodes}
    for s in reversed(order):
        for t in succ[s]:
            if (s, t) not in dropped:
                depth[t] = max(depth[t], depth[s] + 1)
    last = max(depth.values(), default=0)
    if CUSTOMERS in nodes:
        depth[CUSTOMERS] = last
        for s in nodes - {CUSTOMERS}:
            if succ[s] and set(succ[s]) == {CUSTOMERS}:
                depth[s] = max(last - 1, 0)
    used = sorted(set(depth.values()))
    return {s: used.index(d) for s, d in depth.items()}


@dataclass
class Chain:
    """What the Sankey needs to know about the network of one run."""

    stage: dict[str, str]  # node -> stage (CUSTOMERS for a customer)
    country: dict[str, str]  # node -> country code ("" if unknown)
    column: dict[str, int]  # stage -> column
    covered: frozenset[str]
    group: str
    country_names: dict[str, str]
    units: dict[str, str]

    @property
    def n_columns(self) -> int:
        return max(self.column.values(), default=0) + 1

    def node_key(self, node: str) -> tuple:
        stage = self.stage.get(node, CUSTOMERS)
        country = self.country.get(node, "")
        return (self.column.get(stage, 0), stage, country not in self.covered, country, node)


def build_chain(run: RunData) -> Chain:
    inst = run.instance
    stage: dict[str, str] = {}
    country: dict[str, str] = {}
    edges: set[tuple[str, str]] = set()
    covered: frozenset[str] = frozenset()
    group = ""
    names: dict[str, str] = {}
    units: dict[str, str] = {}
    if inst is not None:
        stage.update({f: r.stage for f, r in inst.facilities.items()})
        country.update({f: r.country for f, r in inst.facilities.items()})
        for d in inst.demands:
            country.setdefault(d.customer, d.country)
        edges |= {(ln.origin, ln.destination) for ln in inst.lanes}
        covered = inst.covered_countries
        group = inst.provenance_group
        names = {c: r.name or c for c, r in inst.countries.items()}
        units = {p: r.unit for p, r in inst.products.items()}
    act = run.tables.get("activity")
    if act is not None:
        for f, s, c in act[["facility", "stage", "country"]].drop_duplicates().itertuples(index=False):
            stage.setdefault(f, s)
            country.setdefault(f, c)
    flows = run.tables.get("flows")
    if flows is not None:
        edges |= set(flows[["origin", "destination"]].drop_duplicates().itertuples(index=False, name=None))
        for node in set(flows["origin"]) | set(flows["destination"]):
            stage.setdefault(node, CUSTOMERS)
    if not group:
        shares = run.tables.get("shares")
        if shares is not None and (shares["policy"] == "").any():
            group = str(shares.loc[shares["policy"] == "", "group"].iloc[0])
    stage_edges = {(stage.get(a, CUSTOMERS), stage.get(b, CUSTOMERS)) for a, b in edges}
    column = stage_columns(stage_edges, set(stage.values()))
    return Chain(stage, country, column, covered, group, names, units)


def country_colours(chains: Iterable[Chain]) -> dict[str, str]:
    """One colour per country, the same in every Sankey of the report.

    Countries of the provenance group get reds, the others a palette without red, each in
    order of the number of nodes they have (most first), then by code.
    """
    count: dict[str, int] = {}
    covered: set[str] = set()
    for ch in chains:
        covered |= ch.covered
        for node, c in ch.country.items():
            if c:
                count[c] = count.get(c, 0) + 1
    colours: dict[str, str] = {}
    for members, palette in ((covered, COVERED_COLOURS), (set(count) - covered, OTHER_COLOURS)):
        ranked = sorted((c for c in count if c in members), key=lambda c: (-count[c], c))
        for i, c in enumerate(ranked):
            colours[c] = palette[i % len(palette)]
    return colours


def rgba(colour: str, alpha: float) -> str:
    colour = colour.lstrip("#")
    r, g, b = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def num(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) or math.isinf(v) else v


def fmt(x: Any, digits: int = 0) -> str:
    v = num(x)
    if v is None:
        return ""
    if digits == 0 and v != 0 and abs(v) < 10:
        return f"{v:,.4g}"
    return f"{v:,.{digits}f}"

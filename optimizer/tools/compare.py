"""Compare plans side by side: ``m2m compare`` and, for notebooks, :func:`compare_runs`.

A *plan* is one solved run: a results folder written by ``m2m solve``, or a
:class:`~optimizer.results.run.Run` held in memory.  The first plan is the *reference*.  A
comparison has two parts:

* the **overview**: one row per figure, one column per plan (status, total cost and each cost
  term, the provenance group's share of each stage and year, each share policy against its
  cap, offtakes met, unmet demand, what is built, the largest policy and demand duals), as
  display strings; ``m2m compare`` prints it as a table;
* the **diff tables** ``flows``, ``activity``, ``costs`` and ``shares``: long tables keyed by the
  results table's key columns, with one value column per plan and a ``delta_<plan>`` column
  (plan minus reference) for every other plan.  Values are rounded to a fixed number of
  decimals per table; rows on which every plan with a solution agrees within the table's
  threshold are dropped.  The threshold is ``tol`` x max(1, the largest absolute value of the
  table over all plans).  Same inputs give byte-identical files (see ``docs/results.md``).

Reading folders needs neither Pyomo nor HiGHS; solving an instance (``plans_from_instance``)
imports the pipeline only when called.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

import pandas as pd

from ..core.atomic import staged_folder
from ..results.outputs import MARKERS, default_out, guard_folder
from ..core.contract import (INT, OUTCOME, SOLVED, SUMMARY, RESULT_TABLES, TEXT, read_frame, read_summary, results_folder,
                             scenario_label)
from ..core.errors import Finding, InputError, finding
from ..core.tolerances import CHECK_TOL
from .overview import hedge_overview, overview, terms
from .plans import Plan, with_expected_costs
from ..results.run import stack_outcomes
from ..results.write import write_json

#: Name of the base instance (no scenario) among the plans.
BASE = "base"
#: Status of a plan across outcomes that has a plan in some outcomes only.
PARTIAL = "partial"
#: Names of the two plans ``m2m compare HEDGE_FOLDER`` compares.
REFERENCE_PLAN, HEDGED = "reference_plan", "hedged_plan"
#: Default of ``--tol``: relative to the scale of each diff table.
DEFAULT_TOL = CHECK_TOL
#: Default of ``--top``: how many policy duals and how many demand duals the overview shows.
DEFAULT_TOP = 5
#: Version of the comparison files (``summary_diff.json`` ``format``).
FORMAT = 1

#: Dual families of security policies, and of demand, ranked in the overview: ``POLICY_DUALS``, ``DEMAND_DUALS``.


@dataclass(frozen=True)
class DiffSpec:
    """One diff table: the results table it compares, its key, the value compared and how."""

    table: str
    key: tuple[str, ...]
    value: str
    unit: str
    decimals: int
    #: Value of a key that a plan with a solution does not list (None: blank, not applicable).
    missing: float | None

    @property
    def file(self) -> str:
        return f"{self.table}_diff.csv"


DIFFS: dict[str, DiffSpec] = {
    spec.table: spec
    for spec in (
        DiffSpec("flows", ("origin", "destination", "product", "period", "provenance"), "quantity", "t/yr", 6, 0.0),
        DiffSpec("activity", ("facility", "period", "provenance"), "activity", "units of activity/yr", 6, 0.0),
        DiffSpec("costs", ("term", "period", "kind"), "discounted", "USD (discounted)", 2, 0.0),
        DiffSpec("shares", ("policy", "stage", "product", "period"), "share", "fraction 0..1", 8, None),
    )
}

SUMMARY_DIFF = MARKERS["compare"]

#: Columns of each results table the comparison reads (kinds from the contract).
COMPARED_COLUMNS: dict[str, tuple[str, ...]] = {
    "flows": ("origin", "destination", "product", "period", "provenance", "quantity"),
    "activity": ("facility", "period", "provenance", "activity"),
    "costs": ("term", "period", "discounted", "cost", "years", "kind"),
    "shares": ("policy", "stage", "period", "group", "share", "cap", "product", "members"),
    "offtakes": ("policy", "period", "required", "delivered"),
    "unmet": ("product", "unmet"),
    "investments": ("facility", "period", "kind", "capacity_added"),
    "duals": ("constraint", "index", "value", "unit"),
}


# ============================================================================================
# plans
# ============================================================================================


def plan_from_run(run: Any, name: str | None = None) -> Plan:
    """A :class:`~optimizer.results.run.Run` (from ``optimizer.solve`` or ``pipeline.run``) as a plan."""
    summary = dict(run.summary)
    tables = dict(run.tables) if run.solution.status.has_solution else {}
    return Plan(name or scenario_label(run.instance.scenario), summary, _normalise(tables))


def read_plan(path: str | Path, name: str | None = None) -> Plan:
    """A results folder (or a hedge folder: its plan in every outcome) as a plan named after the
    folder; raise InputError if it cannot be read."""
    folder = results_folder(Path(path))
    summary = read_summary(folder)
    hedge = summary.get("run") == "hedge"
    plan = Plan(name or folder.resolve().name, with_expected_costs(summary) if hedge else summary)
    if plan.status in SOLVED:
        findings: list[Finding] = []
        frames = {t: read_frame(folder, t, findings, cols, (OUTCOME,) if hedge else ())
                  for t, cols in COMPARED_COLUMNS.items()}
        if findings:
            raise InputError(findings)
        plan.tables = {t: df.reset_index(drop=True) for t, df in frames.items() if df is not None}
    return plan


def plan_from_outcome_runs(name: str, runs: Mapping[str, Any], like: dict[str, Any]) -> Plan:
    """A plan in every outcome of hedge summary ``like`` (its ``uncertainty``), from one run per
    outcome (e.g. the reference plan held in each outcome): its objective is the hedge's risk
    measure over the outcomes' costs, when every outcome has a plan."""
    from ..core.risk import risk_objective
    from ..input.schema import Risk

    u = like.get("uncertainty") or {}
    names = [o["name"] for o in u.get("outcomes", [])]
    probs = [float(o["probability"]) for o in u.get("outcomes", [])]
    solved = {n: runs[n] for n in names if runs[n].solution.status.has_solution}
    tables = _normalise(stack_outcomes(solved), hedge=True)
    served = len(solved) == len(names)
    costs = [runs[n].summary.get("objective") for n in names]
    objective = risk_objective([float(c) for c in costs], probs, Risk(**u["risk"])) if served else None
    # a plan in the outcomes it serves, and none in the others, is partial
    status = "optimal" if served else PARTIAL if tables else "infeasible"
    summary = {"run": "hedge", "status": status, "objective": objective, "instance": like.get("instance"),
               "uncertainty": u, "outcomes": {n: dict(runs[n].summary) for n in names}}
    return Plan(name, with_expected_costs(summary), tables)


def _normalise(tables: dict[str, pd.DataFrame], hedge: bool = False) -> dict[str, pd.DataFrame]:
    """The columns the comparison uses (and ``outcome`` first for a hedge), with text keys as str
    and years as int."""
    out = {}
    for name, columns in COMPARED_COLUMNS.items():
        if name not in tables:
            continue
        columns = (OUTCOME.name, *columns) if hedge else columns
        df = tables[name][[c for c in columns if c in tables[name].columns]].copy()
        if hedge:
            df[OUTCOME.name] = df[OUTCOME.name].astype(str)
        for column, kind in RESULT_TABLES[name].kinds(c for c in columns if c in df.columns and c != OUTCOME.name).items():
            if kind == TEXT:
                df[column] = df[column].fillna("").astype(str)
            elif kind == INT:
                df[column] = df[column].astype(int)
            else:
                df[column] = pd.to_numeric(df[column], errors="coerce")
        out[name] = df.reset_index(drop=True)
    return out


def scenario_items(values: Iterable[str]) -> list[list[str]]:
    """``--scenario`` values as plans: each value is one plan; ``a,b`` is the combination a then b."""
    items = []
    for value in values:
        names = [s.strip() for s in value.split(",") if s.strip()]
        if names:
            items.append([] if names == [BASE] else names)
    return items


@dataclass(frozen=True)
class PlanTask:
    """One plan to solve: data only (the instance loaded with its scenarios, and its name)."""

    name: str
    inst: Any  # optimizer.input.instance.Instance
    opts: Any  # optimizer.solving.solver.SolveOptions


def solve_plan(task: PlanTask) -> Plan:
    """Solve one plan (in a worker): its summary and tables, no model."""
    from ..pipeline import run

    inst = task.inst
    return plan_from_run(run(inst.folder, inst.scenario, task.opts, explain_infeasible=False, instance=inst), task.name)


def plans_from_instance(instance: str | Path, items: Sequence[Sequence[str]], *, base: bool = True,
                        opts: Any = None, workers: int | None = 1, scheduler: str | None = None) -> list[Plan]:
    """Solve the instance once per item (a list of scenarios applied in order), in memory, on
    ``workers`` local processes or a Dask ``scheduler`` (:mod:`optimizer.solving.parallel`; one
    HiGHS thread per solve).

    The base instance comes first unless ``base`` is false or ``base`` is listed (as an empty
    item, or ``[BASE]``) among ``items``.  Raises InputError on bad input (before any solve).
    """
    from ..input.load import load_instance
    from ..solving.parallel import pinned, solve_all
    from ..solving.solver import SolveOptions

    wanted = [[] if list(item) == [BASE] else list(item) for item in items]
    if base and [] not in wanted:
        wanted.insert(0, [])
    tasks, seen = [], set()
    for item in wanted:
        key = scenario_label(item)
        if key in seen:
            continue
        seen.add(key)
        tasks.append(PlanTask(key, load_instance(instance, item), pinned(opts or SolveOptions())))
    return solve_all(solve_plan, tasks, workers=workers, scheduler=scheduler)


def as_plans(runs: Mapping[str, Any] | Sequence[Any]) -> list[Plan]:
    """Plans from Runs, Plans or results folders, given as a list or as a mapping name -> run."""
    pairs = list(runs.items()) if isinstance(runs, Mapping) else [(None, r) for r in runs]
    plans = []
    for name, r in pairs:
        if isinstance(r, Plan):
            plans.append(Plan(name or r.name, r.summary, r.tables))
        elif isinstance(r, (str, Path)):
            plans.append(read_plan(r, name))
        else:
            plans.append(plan_from_run(r, name))
    return _unique_names(plans)


def _unique_names(plans: list[Plan]) -> list[Plan]:
    used: set[str] = set()
    reserved = {c for spec in DIFFS.values() for c in spec.key}
    for p in plans:
        name, n = p.name, 1
        while name in used or name in reserved or name.startswith("delta_"):
            n += 1
            name = f"{p.name}-{n}"
        p.name = name
        used.add(name)
    return plans


def _is_results(path: Path) -> bool:
    return (path.is_file() and path.name == SUMMARY) or (path / SUMMARY).is_file()


class Loaded(NamedTuple):
    plans: list[Plan]
    #: Name of the instance when the plans were solved from one (``m2m compare INSTANCE``).
    instance: str | None


def load_plans(paths: Sequence[str | Path], scenarios: Iterable[str] = (), *, base: bool = True,
               workers: int | None = 1, scheduler: str | None = None) -> Loaded:
    """What ``m2m compare`` was given: two or more results folders, or one instance and scenarios
    (solved on ``workers`` local processes or a Dask ``scheduler``)."""
    paths = [Path(p) for p in paths]
    items = scenario_items(scenarios)
    first = paths[0] if paths else Path("-")
    if len(paths) == 1 and _is_results(first) and not items:
        summary = read_summary(results_folder(first))
        if summary.get("run") == "hedge":  # the planner's headline: the reference plan against the hedged plan
            return Loaded(hedge_plans(first), (summary.get("instance") or {}).get("name"))
    # One path that is not a results folder is an instance (a folder, its instance.yaml or any
    # other form the loader reads); the loader judges it.
    if len(paths) == 1 and not _is_results(first):
        if not first.exists():
            raise InputError([finding(str(first), "-", "-", "no such instance or results folder")])
        count = len({scenario_label(i) for i in items} | ({BASE} if base else set()))
        if count < 2:
            raise InputError([finding(str(first), "-", "--scenario",
                                      f"fewer than two plans to compare ({count}): give --scenario once per plan")])
        plans = plans_from_instance(first, items, base=base, workers=workers, scheduler=scheduler)
        name = plans[0].summary.get("instance", {}).get("name") if plans else None
        return Loaded(plans, name or first.stem)
    findings: list[Finding] = []
    if items:
        findings.append(finding(str(first), "-", "--scenario",
                                "--scenario applies to an instance folder, not to results folders"))
    plans = []
    for p in paths:
        try:
            plans.append(read_plan(p))
        except InputError as exc:
            findings.extend(exc.findings)
    if not findings and len(plans) < 2:
        findings.append(finding(str(first), "-", "-",
                                "fewer than two plans to compare: give two or more results folders, "
                                "or an instance folder with --scenario"))
    if findings:
        raise InputError(findings)
    return Loaded(_unique_names(plans), None)


def hedge_plans(folder: str | Path) -> list[Plan]:
    """A hedge folder as two plans: the plan made for its ``reference`` outcome, held in every
    outcome (solved again here, from the instance), then the hedged plan (read from the folder)."""
    from ..solving.solver import SolveOptions
    from ..tools.hedge import reference_runs

    hedged = read_plan(folder, HEDGED)
    named = hedged.summary.get("instance") or {}
    runs = reference_runs(named.get("path"), named.get("scenario") or [], SolveOptions(), explain_infeasible=False)
    return [plan_from_outcome_runs(REFERENCE_PLAN, runs, hedged.summary), hedged]


# ============================================================================================
# the comparison
# ============================================================================================


@dataclass
class Comparison:
    plans: list[Plan]
    tol: float
    top: int
    diffs: dict[str, pd.DataFrame]
    thresholds: dict[str, float]
    agreeing: dict[str, int]
    overview: pd.DataFrame
    notes: list[str]

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.plans]

    @property
    def reference(self) -> Plan:
        return self.plans[0]

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """``overview`` and the diff tables ``flows``, ``activity``, ``costs``, ``shares``."""
        return {"overview": self.overview, **self.diffs}

    def summary(self) -> dict[str, Any]:
        """The content of ``summary_diff.json``."""
        ref = self.reference
        cost_terms = terms(self.plans)

        def money(x: float | None) -> float | None:
            return None if x is None else round(x, 2) + 0.0

        return {
            "format": FORMAT,
            "run": "compare",
            "reference": ref.name,
            "outcomes": ref.outcomes,
            "tol": self.tol,
            "plans": [
                {
                    "name": p.name,
                    "instance": (p.summary.get("instance") or {}).get("name"),
                    "scenario": list((p.summary.get("instance") or {}).get("scenario") or []),
                    "status": p.status,
                    "objective": money(p.objective),
                    "stamp": (p.summary.get("stamp") or {}).get("sha256"),
                }
                for p in self.plans
            ],
            "objective_delta": {
                p.name: (money(p.objective - ref.objective) if p.objective is not None and ref.objective is not None else None)
                for p in self.plans[1:]
            },
            "cost_breakdown": {
                term: {p.name: (money(p.cost_breakdown.get(term, 0.0)) if p.solved else None) for p in self.plans}
                for term in cost_terms
            },
            "transfers": {
                term: {p.name: ({k: money(v) for k, v in p.transfers[term].items()} if term in p.transfers else None)
                       for p in self.plans}
                for term in dict.fromkeys(t for p in self.plans for t in p.transfers)
            },
            "tables": {
                spec.file: {
                    "key": ([OUTCOME.name] if ref.outcomes else []) + list(spec.key),
                    "value": spec.value,
                    "unit": spec.unit,
                    "decimals": spec.decimals,
                    "threshold": self.thresholds[name],
                    "rows": len(self.diffs[name]),
                    "rows_agreeing": self.agreeing[name],
                }
                for name, spec in DIFFS.items()
            },
        }

    def default_out(self, instance: str | None = None, root: str | Path = "results") -> Path:
        return default_out("compare", instance, names=self.names, root=root)

    def write(self, out: str | Path) -> Path:
        return write_comparison(self, out)


def compare(plans: Sequence[Plan], tol: float = DEFAULT_TOL, top: int = DEFAULT_TOP) -> Comparison:
    """Compare plans (the first is the reference): the overview and the diff tables.  Plans
    across outcomes (hedges) are compared outcome by outcome: their diff tables gain ``outcome``
    as their first key column, and the overview a section per outcome."""
    plans = list(plans)
    if len(plans) < 2:
        raise InputError([finding("-", "-", "-", f"fewer than two plans to compare ({len(plans)})")])
    if tol < 0 or not math.isfinite(tol):
        raise InputError([finding("-", "-", "tol", f"got {tol}; expected a number >= 0")])
    outcomes, probs = plans[0].outcomes, plans[0].probabilities
    odd = [p for p in plans if (p.outcomes, p.probabilities) != (outcomes, probs)]
    if odd:
        p = odd[0]
        raise InputError([finding(p.name, "-", "-", f"plan {p.name!r} is over outcomes "
                                  f"{dict(zip(p.outcomes, p.probabilities)) or 'none'}, {plans[0].name!r} over "
                                  f"{dict(zip(outcomes, probs)) or 'none'}; expected hedge folders over the same outcomes "
                                  "and probabilities, or results folders only")])
    diffs, thresholds, agreeing = {}, {}, {}
    for name, spec in DIFFS.items():
        if not outcomes:
            diffs[name], thresholds[name], agreeing[name] = diff_table(spec, plans, tol)
            continue
        parts, thresholds[name], agreeing[name] = [], 0.0, 0
        for o in outcomes:
            df, th, same = diff_table(spec, [p.outcome(o) for p in plans], tol)
            parts.append(df.assign(**{OUTCOME.name: o})[[OUTCOME.name, *df.columns]])
            thresholds[name], agreeing[name] = max(thresholds[name], th), agreeing[name] + same
        diffs[name] = pd.concat(parts, ignore_index=True)
    table, notes = hedge_overview(plans, top) if outcomes else overview(plans, top)
    return Comparison(plans, tol, top, diffs, thresholds, agreeing, table, notes)


def compare_runs(runs: Mapping[str, Any] | Sequence[Any], *, tol: float = DEFAULT_TOL,
                 top: int = DEFAULT_TOP) -> dict[str, pd.DataFrame]:
    """Compare solved runs (or results folders), the first being the reference.

    ``runs`` is a list of :class:`~optimizer.results.run.Run` (named ``base`` or by their
    scenarios), of results folders (named after the folder), or a mapping name -> either.
    Returns ``overview`` (display strings, one column per plan) and the diff tables
    ``flows``, ``activity``, ``costs`` and ``shares`` (numbers; see ``docs/results.md``).
    """
    return compare(as_plans(runs), tol=tol, top=top).tables


def diff_table(spec: DiffSpec, plans: Sequence[Plan], tol: float) -> tuple[pd.DataFrame, float, int]:
    """The diff table of one results table: (rows that differ, threshold used, rows dropped)."""
    key = list(spec.key)
    names = [p.name for p in plans]
    solved = [p.name for p in plans if p.solved]
    wide: pd.DataFrame | None = None
    for p in plans:
        if not p.solved:
            continue
        df = p.tables[spec.table]
        part = df.groupby(key, sort=False, as_index=False)[spec.value].sum(min_count=1).rename(columns={spec.value: p.name})
        wide = part if wide is None else wide.merge(part, on=key, how="outer")
    if wide is None:
        wide = pd.DataFrame({c: pd.Series(dtype=int if c == "period" else str) for c in key})
    wide["period"] = wide["period"].astype(int)
    for name in names:
        if name not in wide.columns:
            wide[name] = math.nan
        elif spec.missing is not None:
            wide[name] = wide[name].fillna(spec.missing)
        wide[name] = wide[name].astype(float).round(spec.decimals) + 0.0
    wide = wide.sort_values(key, kind="mergesort", ignore_index=True)[key + names]

    values = wide[solved]
    scale = float(values.abs().max().max()) if len(values) and len(solved) else 0.0
    threshold = tol * max(1.0, scale if math.isfinite(scale) else 0.0)
    if len(solved) >= 2:
        present = values.notna()
        spread = (values.max(axis=1) - values.min(axis=1)).fillna(0.0)
        keep = (present.any(axis=1) & ~present.all(axis=1)) | (spread > threshold)
    else:
        keep = pd.Series(False, index=wide.index)
    ref = names[0]
    for name in names[1:]:
        wide[f"delta_{name}"] = (wide[name] - wide[ref]).round(spec.decimals) + 0.0
    out = wide[keep].reset_index(drop=True)
    return out, threshold, int((~keep).sum())


# ============================================================================================
# the console
# ============================================================================================


def print_comparison(cmp: Comparison, console: Any, out: Path | None = None) -> None:
    """The overview as a rich table, then the notes and what the diff tables hold."""
    from rich.table import Table
    from rich.text import Text

    from ..results.console import print_whole

    names = cmp.names
    table = Table(title=Text(f"{' vs '.join(names)} (reference: {cmp.reference.name})"), show_lines=False)
    table.add_column("", no_wrap=True)
    for n in names:
        table.add_column(Text(n), justify="right", no_wrap=True)
    section = None
    for _, row in cmp.overview.iterrows():
        if row["section"] != section:
            if section is not None:
                table.add_section()
            section = row["section"]
            table.add_row(Text(section, style="bold"), *[""] * len(names))
        table.add_row(Text("  " + row["item"]), *[Text(str(row[n])) for n in names])
    print_whole(console, table)
    for note in cmp.notes:
        console.print(f"note: {note}", markup=False)
    for name, spec in DIFFS.items():
        console.print(
            f"{spec.file}: {len(cmp.diffs[name])} rows differ, {cmp.agreeing[name]} agree within "
            f"{cmp.thresholds[name]:.3g} {spec.unit}", markup=False)
    if out is not None:
        console.print(f"diff tables written to {out}", markup=False)


# ============================================================================================
# writing
# ============================================================================================


def _cell(value: Any, decimals: int) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value + 0.0:.{decimals}f}"
    if hasattr(value, "item"):
        return _cell(value.item(), decimals)
    return str(value)


def write_diff_csv(df: pd.DataFrame, path: Path, decimals: int) -> None:
    """A diff table with a fixed number of decimals, blank for not applicable, '\\n' line ends."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(list(df.columns))
        for row in df.itertuples(index=False, name=None):
            w.writerow([_cell(v, decimals) for v in row])


def write_comparison(cmp: Comparison, out: str | Path, protect: Iterable[Path | str | None] = ()) -> Path:
    """Write the diff tables and ``summary_diff.json`` into ``out`` (replacing it whole).

    Refuses (InputError, nothing written) anything but an m2m comparison folder, and a folder
    that is or holds one of ``protect`` (what the comparison read): see :mod:`optimizer.results.outputs`.
    """
    out = guard_folder(out, "compare", protect)
    with staged_folder(out) as tmp:
        for name, spec in DIFFS.items():
            write_diff_csv(cmp.diffs[name], tmp / spec.file, spec.decimals)
        write_json(tmp / SUMMARY_DIFF, cmp.summary())
    return out

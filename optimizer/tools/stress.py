"""``m2m stress``: single points of failure.

Each outage removes one facility (``--by facility``: no capacity and no expansion from the year on,
while its fixed costs run on, as for a plant that is down), one lane (``--by lane``: no capacity)
or one country's exports (``--by country``: an export cap of 0 on everything it ships abroad)
from a year on, and the plan is solved again.  By default the
builds of the base plan are kept (its candidates opened where and when it opened them, its
expansion steps as built, nothing else built), so an outage is met by what exists: rerouting,
other suppliers, stock, or demand left unmet.  ``--replan`` lets every outage re-plan the builds.
Outages are ranked by what they cost: an outage that leaves a hard demand unserved (the plan is
infeasible) first, then by the cost increase over the reference plan (the base with its builds
kept, so that both pay the same capital), then by unmet tonnes.

Files (``stress.csv``, ``stress.json``) are documented in ``docs/results.md``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd
from rich.console import Console
from rich.table import Table

from ..core.atomic import staged_folder
from ..core.contract import SOLVED
from ..core.errors import InputError, finding
from ..input.instance import Instance
from ..input.load import load_instance
from ..input.schema import ExportCap, LanePeriodRow
from ..pipeline import run
from ..results.outputs import default_out, guard_folder
from ..results.run import Run
from ..results.write import write_json
from ..solving.parallel import pinned, solve_all
from ..solving.solver import SolveOptions

STRESS_CSV = "stress.csv"
STRESS_JSON = "stress.json"
KINDS = ("facility", "lane", "country")

#: stress.csv's columns, in order (docs/results.md describes each).
STRESS_COLUMNS = ("rank", "outage", "kind", "stage", "country", "from_year", "status", "objective", "cost_increase",
           "unmet_t", "unmet_at_t", "note")


@dataclass(frozen=True)
class Outage:
    """One outage: what is removed, from which year."""

    kind: str
    name: str
    stage: str
    country: str
    key: tuple

    def apply(self, inst: Instance, year: int) -> Instance:
        """``inst`` without this facility, lane or country's exports from ``year`` on."""
        later = [t for t in inst.periods if t >= year]
        if self.kind == "facility":  # no capacity from `year` on: it makes nothing, but its fixed costs run on
            f = self.name
            capacity = {**inst.capacity, **{(f, t): 0.0 for t in later}}
            must_run = {k: v for k, v in inst.min_activity.items() if not (k[0] == f and k[1] >= year)}
            expansions = tuple(e for e in inst.expansions if e.facility != f)
            return replace(inst, capacity=capacity, min_activity=must_run, expansions=expansions)
        if self.kind == "lane":
            o, d, p = self.key
            periods = dict(inst.lane_periods)
            for t in later:
                row = periods.get((o, d, p, t))
                periods[o, d, p, t] = (row.model_copy(update={"capacity": 0.0}) if row is not None else
                                       LanePeriodRow(origin=o, destination=d, product=p, period=t, capacity=0.0))
            return replace(inst, lane_periods=periods)
        products = sorted({l.product for l in inst.lanes if inst.facilities[l.origin].country == self.name
                           and inst.country_of(l.destination) != self.name})
        cap = ExportCap(kind="export_cap", name=f"stress_{self.name}_exports", countries=[self.name], product=products,
                        quantity=0.0, periods=later)
        return replace(inst, policies=(*inst.policies, cap))


def outages(inst: Instance, kind: str, year: int, stage: str | None = None) -> list[Outage]:
    """The outages to try: every facility (lane, exporting country) that operates from ``year`` on,
    at ``stage`` if given (a lane's stage is its origin's)."""
    live = {f for f in inst.facilities if any(t >= year for t in inst.active_periods(f))}
    if kind == "facility":
        return [Outage("facility", f, fac.stage, fac.country, (f,)) for f, fac in inst.facilities.items()
                if f in live and (stage is None or fac.stage == stage)]
    if kind == "lane":
        return [Outage("lane", f"{l.origin}->{l.destination} ({l.product})", inst.facilities[l.origin].stage,
                       inst.facilities[l.origin].country, (l.origin, l.destination, l.product))
                for l in inst.lanes if l.origin in live and (stage is None or inst.facilities[l.origin].stage == stage)]
    exporters = sorted({inst.facilities[l.origin].country for l in inst.lanes if l.origin in live
                        and inst.country_of(l.destination) != inst.facilities[l.origin].country
                        and (stage is None or inst.facilities[l.origin].stage == stage)})
    return [Outage("country", c, stage or "", c, (c,)) for c in exporters]


def keep_builds(inst: Instance, base: Run) -> Instance:
    """``inst`` with the base plan's builds fixed: a candidate it opened becomes an existing facility
    from the year it opened (its capex, now sunk, is not charged), one it did not open never
    operates, and expansion steps become capacity in the years they are available."""
    inv = base.tables["investments"]
    opened = {r.facility: int(r.period) for r in inv.itertuples() if r.kind == "open"}
    steps: dict[str, dict[int, float]] = {}
    for r in inv.itertuples():
        if r.kind == "expansion":
            steps.setdefault(r.facility, {})[int(r.period)] = float(r.steps)
    facilities = dict(inst.facilities)
    for f, fac in inst.facilities.items():
        if fac.status != "candidate":
            continue
        if f in opened:
            first = opened[f] if fac.first_year is None else max(fac.first_year, opened[f])
            facilities[f] = fac.model_copy(update={"status": "existing", "first_year": first, "capex": 0.0,
                                                   "lifetime": None, "lead_time": None})
        else:
            facilities[f] = fac.model_copy(update={"last_year": inst.periods[0] - 1, "first_year": None})
    capacity = dict(inst.capacity)
    for e in inst.expansions:
        built = steps.get(e.facility, {})
        for t in inst.periods:
            base_cap = inst.base_capacity(e.facility, t) or 0.0
            capacity[e.facility, t] = base_cap + e.size * sum(z for tau, z in built.items() if tau <= t)
    return replace(inst, facilities=facilities, capacity=capacity, expansions=())


def row(o: Outage | None, year: int, r: Run, reference: float | None,
        customers: Sequence[str] | None) -> dict[str, Any]:
    """One line of stress.csv for a solved outage (``o`` None: the reference plan)."""
    status = r.summary["status"]
    solved = status in SOLVED
    objective = float(r.summary["objective"]) if solved else float("nan")
    note = "" if solved else "; ".join(r.summary.get("infeasibility", [])[:1]) or status
    return {
        "outage": "(none)" if o is None else o.name, "kind": "reference" if o is None else o.kind,
        "stage": "" if o is None else o.stage, "country": "" if o is None else o.country, "from_year": year,
        "status": status, "objective": objective,
        "cost_increase": objective - reference if solved and reference is not None else float("nan"),
        "unmet_t": r.unmet_t() if solved else float("nan"),
        "unmet_at_t": r.unmet_t(customers) if solved and customers else float("nan"),
        "note": note,
    }


def rank(frame: pd.DataFrame) -> pd.DataFrame:
    """Outages ordered by severity: no plan first, then cost increase, then unmet tonnes (then name)."""
    out = frame.assign(_shut=~frame["status"].isin(SOLVED))
    out = out.sort_values(["_shut", "cost_increase", "unmet_t", "outage"], ascending=[False, False, False, True],
                          na_position="first", kind="stable").drop(columns="_shut").reset_index(drop=True)
    out.insert(0, "rank", range(1, len(out) + 1))
    return out[list(STRESS_COLUMNS)]


@dataclass(frozen=True)
class OutageTask:
    """What a worker needs to solve one outage: data only (the instance with the builds kept,
    and the outage to apply to it), never a built model."""

    outage: Outage
    inst: Instance
    year: int
    reference: float | None
    customers: tuple[str, ...] | None
    opts: SolveOptions


def solve_outage(task: OutageTask) -> dict[str, Any]:
    """One line of stress.csv: the outage applied and solved (runs in a worker)."""
    inst = task.inst
    r = run(inst.folder, inst.scenario, task.opts, instance=task.outage.apply(inst, task.year))
    return row(task.outage, task.year, r, task.reference, task.customers)


@dataclass
class StressResult:
    reference: dict[str, Any]
    table: pd.DataFrame
    folder: Path
    seconds: float


def run_stress(path: str | Path, scenarios: Iterable[str], *, kind: str = "facility", year: int | None = None,
               stage: str | None = None, replan: bool = False, customers: Sequence[str] | None = None,
               opts: SolveOptions = SolveOptions(), out: str | Path | None = None, workers: int | None = 1,
               scheduler: str | None = None, console: Console | None = None) -> StressResult:
    """Solve the reference plan and every outage (on ``workers`` local processes, or a Dask
    ``scheduler``: :mod:`optimizer.solving.parallel`); write the stress folder (atomically)."""
    t_start = time.perf_counter()
    inst = load_instance(path, list(scenarios))
    year = inst.periods[0] if year is None else year
    problems = []
    if year not in inst.periods:
        problems.append(finding("--from", "-", "--from", f"year {year} is not a period; expected one of {inst.periods}"))
    if stage is not None and stage not in {f.stage for f in inst.facilities.values()}:
        problems.append(finding("--stage", "-", "--stage", f"unknown stage {stage!r}; expected one of "
                                f"{', '.join(sorted({f.stage for f in inst.facilities.values()}))}"))
    for c in customers or ():
        if c not in inst.customers:
            problems.append(finding("--customer", "-", "--customer", f"unknown customer {c!r}; expected one of "
                                    f"{', '.join(sorted(inst.customers))}"))
    if problems:
        raise InputError(problems)
    target = guard_folder(Path(out) if out is not None else default_out("stress", inst.name, inst.scenario, param=kind),
                          "stress", protect=[inst.folder])
    opts = pinned(opts)  # one HiGHS thread per solve, however the solves are spread
    base = run(inst.folder, inst.scenario, opts, instance=inst)
    if base.summary["status"] not in SOLVED:
        raise InputError([finding(str(inst.folder), "-", "-", f"the base plan has no solution ({base.summary['status']}); "
                                                              "nothing to stress")])
    fixed = inst if replan else keep_builds(inst, base)
    ref_run = base if replan else run(inst.folder, inst.scenario, opts, instance=fixed)
    reference = row(None, year, ref_run, None, customers)
    reference["cost_increase"] = 0.0
    todo = outages(inst, kind, year, stage)
    tasks = [OutageTask(o, fixed, year, reference["objective"], tuple(customers) if customers else None, opts)
             for o in todo]

    def report(i: int, last: dict[str, Any]) -> None:
        if console is not None:
            what = f"+{last['cost_increase']:,.0f} USD" if last["status"] in SOLVED else last["status"]
            console.print(f"[{i + 1}/{len(todo)}] {todo[i].kind} {todo[i].name}: {what}", markup=False, highlight=False)

    lines = solve_all(solve_outage, tasks, workers=workers, scheduler=scheduler, on_result=report)
    table = rank(pd.DataFrame(lines, columns=[c for c in STRESS_COLUMNS if c != "rank"]))
    with staged_folder(target) as tmp:
        table.to_csv(tmp / STRESS_CSV, index=False)
        write_json(tmp / STRESS_JSON, {
            "run": "stress",
            "instance": {"name": inst.name, "path": str(inst.folder), "scenario": list(inst.scenario)},
            "by": kind, "from_year": year, "stage": stage, "replan": replan, "customers": list(customers or []),
            "reference": {k: reference[k] for k in ("status", "objective", "unmet_t", "unmet_at_t")},
            "outages": len(table),
            "statuses": {str(s): int(n) for s, n in table["status"].value_counts().items()},
            "seconds": round(time.perf_counter() - t_start, 4),
            "workers": None if scheduler else workers, "scheduler": scheduler,
            "options": {k: v for k, v in opts.as_dict().items() if k != "log"},
        })
    return StressResult(reference, table, target, time.perf_counter() - t_start)


def print_stress(result: StressResult, console: Console, top: int = 15) -> None:
    """The ranked outages as a table, with the reference plan's cost."""
    ref = result.reference
    at = "unmet at chosen, t" if result.table["unmet_at_t"].notna().any() else None
    tab = Table(title=f"outages from {ref['from_year']}, ranked (reference plan {ref['objective']:,.0f} USD)")
    for c in ("rank", "outage", "kind", "status", "cost increase, USD", "unmet, t", *([at] if at else []), "note"):
        tab.add_column(c, justify="right" if c not in ("outage", "kind", "status", "note") else "left")
    for r in result.table.head(top).itertuples(index=False):
        cells = [str(r.rank), r.outage, r.kind, r.status,
                 "" if pd.isna(r.cost_increase) else f"{r.cost_increase:,.0f}",
                 "" if pd.isna(r.unmet_t) else f"{r.unmet_t:,.0f}"]
        if at:
            cells.append("" if pd.isna(r.unmet_at_t) else f"{r.unmet_at_t:,.0f}")
        cells.append(r.note if isinstance(r.note, str) else "")
        tab.add_row(*cells)
    if len(result.table) > top:
        tab.caption = f"{len(result.table) - top} more in {STRESS_CSV}"
    console.print(tab)
    console.print(f"stress: {len(result.table)} outages in {result.seconds:.1f}s; results {result.folder}",
                  markup=False, highlight=False)

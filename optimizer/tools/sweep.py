"""An epsilon-constraint sweep: solve an instance for a series of values of one numeric
parameter of one policy, and trace what each value costs (``m2m sweep``).

The instance is loaded and validated once, with its scenarios applied (so a policy that only a
scenario adds can be swept). Each point is the same :class:`~optimizer.input.instance.Instance` with
the swept policy replaced by a copy whose parameter holds the point's value, solved by
:func:`optimizer.pipeline.run`; nothing is read from disk again.

Which years a point changes. A policy parameter is one number or a mapping year -> number
(``{2027: 0.8, 2030: 0.5}``). Without ``periods``, the point's value replaces the parameter in
every year the policy applies: a single number stays a single number, and a mapping keeps its
years with every value replaced. With ``periods``, only those years take the point's value and
the others keep the policy's own values (a single number becomes a mapping over the years the
policy applies); each year must be in the horizon and in the policy's ``periods``.

The frontier (``frontier.csv``, one row per point) is documented in ``docs/results.md``; the
knee is defined in :func:`knee`.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import plots
from ..core.errors import InputError, finding
from ..input.instance import Instance, by_period
from ..input.load import YAML_FILE, load_instance
from ..core.contract import COST_TERMS, SOLVED, TRANSFER_TERMS
from ..pipeline import run
from ..results.run import Run
from ..families import POLICY_FAMILIES, family_of
from ..input.schema import MaxShare, PolicyBase, policy_value_problem
from ..solving.parallel import pinned, solve_all
from ..solving.solver import SolveOptions
from ..solving.warm import Warm
from ..core.atomic import staged_folder
from ..results.outputs import MARKERS, default_out, guard_folder
from ..results.write import write_json, write_results

FRONTIER = "frontier.csv"
SWEEP_JSON = MARKERS["sweep"]
PNG = "frontier.png"
HTML = "frontier.html"
POINTS = "points"

#: Numeric (number or year -> number) parameters a sweep can move, with their unit.
PARAM_UNITS = {"share": "fraction", "quantity": "t/yr", "count": "facilities", "floor": "USD/t", "market": "USD/t"}

#: What ``achieved_<year>`` measures for each policy kind, and its unit (from the kind's family).
ACHIEVED = {f.name: (f.achieved.what, f.achieved.unit) for f in POLICY_FAMILIES}


# --------------------------------------------------------------------------------------------
# input: values, periods, the swept policy
# --------------------------------------------------------------------------------------------


def sweep_values(start: float, stop: float, steps: int) -> list[float]:
    """``steps`` evenly spaced values from ``start`` to ``stop``, both included (12 decimals)."""
    if steps < 2:
        raise InputError([finding("--steps", "-", "-", f"got {steps}; expected at least 2 points")])
    return [round(start + (stop - start) * i / (steps - 1), 12) + 0.0 for i in range(steps)]


def parse_periods(text: str | None) -> list[int] | None:
    """``"2030,2035"`` -> [2030, 2035]; None or blank -> None (every year the policy applies)."""
    if text is None or not text.strip():
        return None
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            out.append(int(part))
        except ValueError:
            raise InputError([finding("--periods", "-", "-", f"got {part!r}; expected years such as 2030,2035")]) from None
    return sorted(set(out))


def find_policy(inst: Instance, name: str) -> PolicyBase:
    try:
        return inst.policy(name)
    except KeyError:
        where = inst.name + (f" with scenario {'+'.join(inst.scenario)}" if inst.scenario else "")
        known = [p.name for p in inst.policies]
        message = f"no policy named {name!r} in {where}; expected one of {known}"
        raise InputError([finding(YAML_FILE, "-", "policies", message)]) from None


def numeric_params(pol: PolicyBase) -> list[str]:
    return [p for p in PARAM_UNITS if p in type(pol).model_fields]


def _bad_values(param: str, values: Sequence[float]) -> str | None:
    """The loader's rule for the parameter, applied to the sweep's values (None: all fine)."""
    bad = [v for v in values if math.isfinite(v) and policy_value_problem(param, v) is not None]
    expect = {"share": "a fraction between 0 and 1", "quantity": "a number >= 0", "floor": "a number >= 0",
              "count": "a whole number of facilities >= 0"}.get(param, "")
    bad += [v for v in values if not math.isfinite(v)]
    if not bad:
        return None
    return f"got {', '.join(f'{v:g}' for v in bad)}; expected {expect or 'a finite number'} for every value of the sweep"


def relevant_stage(inst: Instance, pol: PolicyBase) -> str | None:
    """The stage whose provenance-group share a sweep reports: the policy family's ``stage``.

    The policy's own ``stage`` if it has one; for a share of deliveries or an offtake, the stage
    of the facilities with lanes delivering its product to its customers; for an export cap, the
    stage of the facilities making the capped products; for a price floor, the facility's stage.
    Where several stages qualify, the one with the most such lanes (or facilities) wins, ties by
    name.
    """
    return family_of(pol).stage(inst, pol)


def relevant_product(inst: Instance, pol: PolicyBase, stage: str | None) -> str | None:
    """The product of ``stage`` whose provenance-group share a sweep reports: the policy's product
    if the stage makes it, else the one product the stage makes, else the product most of the
    stage's facilities make (ties by name)."""
    if stage is None:
        return None
    made: Counter[str] = Counter(p for f, fac in inst.facilities.items() if fac.stage == stage for p in inst.outputs[f])
    product = getattr(pol, "product", None)
    if isinstance(product, str) and product in made:
        return product
    single = inst.stage_product(stage)
    if single is not None:
        return single
    return sorted(made.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] if made else None


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: the loaded instance, the policy, the values and the years."""

    inst: Instance
    policy: PolicyBase
    param: str
    values: tuple[float, ...]
    periods: tuple[int, ...] | None  # years set by each point; None: every year
    stage: str | None
    product: str | None = None  # the product of the stage whose provenance-group share is reported

    @property
    def kind(self) -> str:
        return self.policy.kind  # type: ignore[attr-defined]

    def instance_at(self, value: float) -> Instance:
        """The instance of one point: the swept parameter set to ``value``."""
        return self.inst.with_policy_value(self.policy.name, self.param, value, self.periods)

    def policy_at(self, value: float) -> PolicyBase:
        return self.instance_at(value).policy(self.policy.name)

    @property
    def years(self) -> list[int]:
        """Years the swept policy is active in (its parameter has a value), at any point."""
        pol = self.policy_at(self.values[0])
        return [t for t in self.inst.policy_periods(pol) if by_period(getattr(pol, self.param), t) is not None]

    @property
    def swept_years(self) -> list[int]:
        """Years each point sets: ``periods``, or every active year."""
        return list(self.periods) if self.periods is not None else self.years


def plan(inst: Instance, policy: str, param: str, values: Sequence[float], periods: Sequence[int] | None = None,
         stage: str | None = None) -> SweepSpec:
    """Check the sweep against the instance; raise InputError (one finding) on the first problem."""
    pol = find_policy(inst, policy)
    allowed = numeric_params(pol)
    kind = pol.kind  # type: ignore[attr-defined]
    if param not in allowed:
        raise InputError([finding(YAML_FILE, "-", param,
                                  f"policy {policy!r} ({kind}) has no numeric parameter {param!r}; expected one of {allowed}")])
    if not values:
        raise InputError([finding("--steps", "-", "-", "no values to sweep")])
    msg = _bad_values(param, values)
    if msg:
        raise InputError([finding(YAML_FILE, "-", param, f"policy {policy!r}: {msg}")])
    if periods is not None:
        applies = inst.policy_periods(pol)
        outside = [t for t in periods if t not in inst.periods]
        if outside:
            raise InputError([finding("--periods", "-", "-",
                                      f"year(s) {outside} outside the horizon; expected years from {list(inst.periods)}")])
        off = [t for t in periods if t not in applies]
        if off:
            raise InputError([finding("--periods", "-", "-",
                                      f"policy {policy!r} does not apply in {off} (its periods: {applies}); "
                                      "expected years it applies in")])
    stages = sorted({f.stage for f in inst.facilities.values()})
    if stage is not None and stage not in stages:
        raise InputError([finding("--stage", "-", "-", f"unknown stage {stage!r}; expected one of {stages}")])
    stage = stage if stage is not None else relevant_stage(inst, pol)
    return SweepSpec(inst, pol, param, tuple(values), tuple(periods) if periods is not None else None, stage,
                relevant_product(inst, pol, stage))


# --------------------------------------------------------------------------------------------
# one point's row of the frontier
# --------------------------------------------------------------------------------------------


def achieved(r: Run, pol: PolicyBase, years: Sequence[int] = ()) -> dict[int, float]:
    """What the plan achieves under the swept policy, by year (see ``ACHIEVED``).

    Exports, open facilities and covered tonnes are 0 in any of ``years`` with nothing to count;
    a share or offtake has a value only in the years with a row in shares.csv / offtakes.csv.
    """
    return family_of(pol).achieved.measure(r.instance, r.tables, pol, years)


def _pooled(rows: pd.DataFrame, years: Sequence[int]) -> float:
    """sum(numerator) / sum(denominator) over ``years`` (NaN when nothing to divide)."""
    rows = rows[rows["period"].isin(years)]
    den = float(rows["denominator"].sum())
    return float(rows["numerator"].sum()) / den if den > 0 else math.nan


def point_row(p: SweepSpec, pol: PolicyBase, value: float, r: Run, seconds: float) -> dict[str, Any]:
    """One row of frontier.csv (see docs/results.md)."""
    years, swept = p.years, p.swept_years
    row: dict[str, Any] = {"value": value, "status": r.solution.status.value, "objective": math.nan}
    row.update({f"cost_{t}": math.nan for t in COST_TERMS})
    row.update({f"transfer_{t}": math.nan for t in TRANSFER_TERMS})
    row.update({f"achieved_{t}": math.nan for t in years})
    row["achieved_share"] = math.nan
    row.update({f"group_share_{t}": math.nan for t in years})
    row["group_share"] = math.nan
    row.update({f"dual_{t}": math.nan for t in years})
    row.update({"dual_total": math.nan, "dual_discounted": math.nan})
    row.update({"unmet_t": math.nan, "shed_t": math.nan, "note": ""})
    if r.infeasibility is not None and not r.infeasibility.empty:
        gave = r.infeasibility["explanation"].tolist()
        row["note"] = f"{row['status']}: {gave[0]}" + (f" (and {len(gave) - 1} more)" if len(gave) > 1 else "")
    if r.solution.status.has_solution:
        row["objective"] = float(r.solution.objective)
        row["unmet_t"] = r.unmet_t()
        for term, v in r.summary["cost_breakdown"].items():
            if f"cost_{term}" in row:
                row[f"cost_{term}"] = float(v)
        for term in TRANSFER_TERMS:
            row[f"transfer_{term}"] = float((r.summary.get("transfers") or {}).get(term, {}).get("discounted", 0.0))
        for t, v in achieved(r, pol, years).items():
            if t in years:
                row[f"achieved_{t}"] = v
        shares = r.tables["shares"]
        if isinstance(pol, MaxShare):
            row["achieved_share"] = _pooled(shares[shares["policy"] == pol.name], swept)
        if p.stage is not None:
            overview = shares[(shares["policy"] == "") & (shares["stage"] == p.stage) & (shares["product"] == p.product)]
            for t, s in zip(overview["period"], overview["share"]):
                if int(t) in years:
                    row[f"group_share_{int(t)}"] = float(s)
            row["group_share"] = _pooled(overview, swept)
        duals = r.tables["duals"]
        duals = duals[duals["constraint"] == p.kind]
        if not duals.empty:
            parts = duals["index"].str.split("|")
            by_year: dict[int, float] = {}
            for k, v in zip(parts, duals["value"]):
                if k[0] == pol.name:
                    by_year[int(k[-1])] = by_year.get(int(k[-1]), 0.0) + float(v)
            for t, v in by_year.items():
                if t in years:
                    row[f"dual_{t}"] = v
            in_swept = [t for t in swept if t in by_year]
            if in_swept:
                row["dual_total"] = sum(by_year[t] * p.inst.years(t) for t in in_swept)
                row["dual_discounted"] = sum(by_year[t] * p.inst.weight(t) for t in in_swept)
    row["build_seconds"] = float(r.timings.get("build", math.nan))
    row["solve_seconds"] = float(r.timings.get("solve", math.nan))
    row["start"] = r.solution.start
    row["seconds"] = seconds
    return row


# --------------------------------------------------------------------------------------------
# the knee
# --------------------------------------------------------------------------------------------


def knee(x: Sequence[float], y: Sequence[float], tol: float = 1e-6) -> int | None:
    """Position (in the given order) of the knee of the frontier through the points (x, y).

    Both axes are normalised to [0, 1] over the points (min-max), the points are taken in
    increasing x, and the knee is the interior point farthest from the chord joining the first
    and the last point: where the curve bends most, so that moving the parameter further past it
    costs disproportionately more. There is none with fewer than three points, when either axis
    has no spread, or when no point lies more than ``tol`` (in normalised units) off the chord
    (a straight frontier). Ties go to the first in increasing x.
    """
    pts = [(float(a), float(b), i) for i, (a, b) in enumerate(zip(x, y)) if math.isfinite(a) and math.isfinite(b)]
    if len(pts) < 3:
        return None
    pts.sort()
    xs, ys = [a for a, _, _ in pts], [b for _, b, _ in pts]
    dx, dy = max(xs) - min(xs), max(ys) - min(ys)
    if dx <= 0 or dy <= 0:
        return None
    nx = [(a - min(xs)) / dx for a in xs]
    ny = [(b - min(ys)) / dy for b in ys]
    cx, cy = nx[-1] - nx[0], ny[-1] - ny[0]
    length = math.hypot(cx, cy)
    best, where = tol, None
    for j in range(1, len(pts) - 1):
        d = abs(cx * (ny[j] - ny[0]) - cy * (nx[j] - nx[0])) / length
        if d > best:
            best, where = d, pts[j][2]
    return where


# --------------------------------------------------------------------------------------------
# the sweep
# --------------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    spec: SweepSpec
    frontier: pd.DataFrame
    knee: int | None  # row position in frontier, or None
    out: Path
    seconds: float

    @property
    def any_plan(self) -> bool:
        return bool(self.frontier["status"].isin(SOLVED).any())


def _label(p: SweepSpec) -> str:
    return f"{p.param} of policy {p.policy.name}" + (f" in {', '.join(map(str, p.periods))}" if p.periods else "")


def _fmt(v: float) -> str:
    return f"{v:g}"


#: A sweep solves its points in chains of up to this many consecutive values (and in at least two
#: chains, so that two processes share even a short sweep): the first point of a chain cold, each
#: next one from the end of the one before (:mod:`optimizer.solving.warm`).  The chains are fixed
#: by the number of points alone, so the frontier is the same however they are spread.
CHAIN = 10


@dataclass(frozen=True)
class ChainTask:
    """What a worker needs to solve a chain of consecutive points: the sweep (its instance's data),
    the values in order, and where to keep each point's results folder (``--keep``), if anywhere."""

    spec: SweepSpec
    values: tuple[float, ...]
    opts: SolveOptions
    keep_to: tuple[Path | None, ...]


def chains(values: Sequence[float], keep_to: Sequence[Path | None], opts: SolveOptions, spec: SweepSpec,
           size: int | None = None) -> list[ChainTask]:
    """The sweep's points cut into chains of up to ``size`` consecutive values (at least two chains
    when there are two points), as even as can be."""
    n = len(values)
    k = max(math.ceil(n / (size or CHAIN)), min(n, 2))
    bounds = [round(i * n / k) for i in range(k + 1)]
    return [ChainTask(spec, tuple(values[a:b]), opts, tuple(keep_to[a:b])) for a, b in zip(bounds, bounds[1:])]


def solve_chain(task: ChainTask) -> list[dict[str, Any]]:
    """The rows of frontier.csv of a chain's points, each solved from the end of the one before
    (runs in a worker)."""
    warm = Warm()
    return [solve_point(task.spec, value, task.opts, keep, warm)
            for value, keep in zip(task.values, task.keep_to)]


def solve_point(p: SweepSpec, value: float, opts: SolveOptions, keep_to: Path | None, warm: Warm | None = None
                ) -> dict[str, Any]:
    """One row of frontier.csv: the point's instance solved."""
    point = p.instance_at(value)
    pol = point.policy(p.policy.name)
    t0 = time.perf_counter()
    # A point that is not kept needs only the swept family's duals (point_row); a kept one writes them all.
    r = run(p.inst.folder, p.inst.scenario, opts, instance=point, warm=warm,
            duals_of=None if keep_to is not None else (p.kind,))
    r = replace(r, built=None)  # only ``warm`` keeps the model (the next point's is made from it)
    if keep_to is not None:
        swept = {"policy": pol.name, "param": p.param, "value": value,
                 "periods": list(p.periods) if p.periods is not None else None}
        write_results(replace(r, results=replace(r.results, summary={**r.summary, "sweep": swept})), keep_to)
    return point_row(p, pol, value, r, time.perf_counter() - t0)


def run_sweep(path: str | Path, scenarios: Iterable[str], policy: str, param: str, values: Sequence[float], *,
              periods: Sequence[int] | None = None, stage: str | None = None, opts: SolveOptions = SolveOptions(),
              out: str | Path | None = None, keep: bool = False, workers: int | None = 1, scheduler: str | None = None,
              console: Console | None = None) -> SweepResult:
    """Solve every point (on ``workers`` local processes, or a Dask ``scheduler``:
    :mod:`optimizer.solving.parallel`), then write the sweep folder (atomically). ``console``:
    progress and timings."""
    t_start = time.perf_counter()
    inst = load_instance(path, list(scenarios))
    p = plan(inst, policy, param, values, periods, stage)
    target = guard_folder(Path(out) if out is not None else default_out("sweep", inst.name, inst.scenario, policy=policy, param=param), "sweep",
                          protect=[inst.folder])
    if keep and scheduler:
        raise InputError([finding("--keep", "-", "--keep", "points are kept on this machine's disk; expected --keep "
                                                           "without --scheduler (a cluster's workers write elsewhere)")])
    opts = pinned(opts)  # one HiGHS thread per solve, however the points are spread
    width = max(2, len(str(len(p.values))))
    with staged_folder(target) as tmp:
        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            TextColumn("{task.fields[last]}"), console=console, disable=console is None)
        with progress:
            task = progress.add_task(f"sweep {_label(p)}", total=len(p.values), last="")
            keep_to = [tmp / POINTS / f"{i + 1:0{width}d}-{p.param}-{_fmt(value)}" if keep else None
                       for i, value in enumerate(p.values)]

            def report(_i: int, rows: list[dict[str, Any]]) -> None:
                for row in rows:
                    cost = f"{row['objective']:,.0f} USD" if row["status"] in SOLVED else "no plan"
                    if console is not None:
                        progress.console.print(
                            f"{p.param} {_fmt(row['value'])}: {row['status']}, {cost}; solve {row['solve_seconds']:.2f}s "
                            f"({row['start']}), point {row['seconds']:.2f}s", markup=False, highlight=False)
                    progress.update(task, advance=1, description=f"{p.param} = {_fmt(row['value'])}",
                                    last=f"last solve {row['solve_seconds']:.2f}s")

            rows = [row for chain in solve_all(solve_chain, chains(p.values, keep_to, opts, p), workers=workers,
                                               scheduler=scheduler, on_result=report) for row in chain]
        frontier = pd.DataFrame(rows)
        ok = frontier["status"].isin(SOLVED)
        mark_shedding(frontier, ok)
        k_pos = knee(frontier.loc[ok, "value"].tolist(), frontier.loc[ok, "objective"].tolist())
        k = int(frontier.index[ok][k_pos]) if k_pos is not None else None
        frontier["knee"] = [i == k for i in range(len(frontier))]
        frontier.to_csv(tmp / FRONTIER, index=False)
        seconds = time.perf_counter() - t_start
        write_json(tmp / SWEEP_JSON, _meta(p, frontier, k, seconds, opts, keep))
        spec = plot_spec(p, k)
        plots.frontier_png(frontier, tmp / PNG, spec)
        plots.frontier_html(frontier, tmp / HTML, spec)
    return SweepResult(p, frontier, k, target, time.perf_counter() - t_start)


def mark_shedding(frontier: pd.DataFrame, ok: pd.Series, tol: float = 0.5) -> None:
    """``shed_t``: each plan's unmet demand beyond the least of the sweep (t over the horizon); a
    point above ``tol`` holds its policy partly by leaving demand unmet, which its ``note`` says."""
    if not ok.any():
        return
    least = float(frontier.loc[ok, "unmet_t"].min())
    frontier.loc[ok, "shed_t"] = (frontier.loc[ok, "unmet_t"] - least).clip(lower=0.0)
    for i in frontier.index[ok]:
        shed = float(frontier.at[i, "shed_t"])
        if shed > tol:
            frontier.at[i, "note"] = f"met by leaving {shed:,.0f} t more demand unmet"


def plot_spec(p: SweepSpec, k: int | None) -> plots.FrontierSpec:
    unit = PARAM_UNITS[p.param]
    panels = [("value", f"{_label(p)} ({unit})")]
    if p.kind == "max_share":
        panels.append(("achieved_share", f"achieved share under {p.policy.name} (pooled over swept years)"))
    elif p.stage is not None:
        members = p.inst.country_names(p.inst.covered_countries)
        panels.append(("group_share", f"{p.inst.provenance_group} group ({members}) share of {p.product} made at stage "
                                      f"{p.stage} (pooled over swept years)"))
    where = p.inst.name + (f" [{'+'.join(p.inst.scenario)}]" if p.inst.scenario else "")
    return plots.FrontierSpec(panels=panels, title=f"{where}: total cost vs {_label(p)}", knee=k,
                              hover=("value", "dual_total", "unmet_t", "solve_seconds"), note="note")


def _meta(p: SweepSpec, frontier: pd.DataFrame, k: int | None, seconds: float, opts: SolveOptions, keep: bool) -> dict[str, Any]:
    what, unit = ACHIEVED[p.kind]
    return {
        "run": "sweep",
        "instance": {"name": p.inst.name, "path": str(p.inst.folder), "scenario": list(p.inst.scenario)},
        "policy": p.policy.name,
        "kind": p.kind,
        "param": p.param,
        "unit": PARAM_UNITS[p.param],
        "values": list(p.values),
        "periods": list(p.swept_years),
        "years": p.years,
        "achieved": {"measures": what, "unit": unit},
        "stage": p.stage,
        "product": p.product,
        "group": p.inst.provenance_group,
        "knee": None if k is None else {"value": float(frontier.loc[k, "value"]), "objective": float(frontier.loc[k, "objective"])},
        "statuses": {str(s): int(n) for s, n in frontier["status"].value_counts().items()},
        "seconds": round(seconds, 4),
        "solve_seconds": round(float(frontier["solve_seconds"].sum()), 4),
        "options": {k_: v for k_, v in opts.as_dict().items() if k_ != "log"},
        "points_kept": keep,
    }


def print_frontier(result: SweepResult, console: Console, year_columns: int = 3) -> None:
    """The frontier as a table, the notes of marked points, the knee and where it was written.

    "achieved" is shown per swept year (up to ``year_columns`` years; all are in frontier.csv),
    and for a share swept over several years also pooled, as the cap pools them.
    """
    p, f = result.spec, result.frontier
    tab = Table(title=f"frontier: {_label(p)}")
    years = [t for t in p.swept_years if f"achieved_{t}" in f]
    achieved = [(f"achieved {t}", f"achieved_{t}") for t in years] if len(years) <= year_columns else []
    if p.kind == "max_share" and len(years) != 1:
        achieved.append(("achieved, pooled", "achieved_share"))
    heads = [p.param, "", "status", "cost USD", "unmet t", "penalty USD", *(h for h, _ in achieved), "dual total"]
    for c in heads:
        tab.add_column(c, justify="left" if c in ("", "status") else "right")
    fraction = ACHIEVED[p.kind][1] == "fraction"
    for _, row in f.iterrows():
        has = row["status"] in SOLVED
        marks = " ".join(m for m, on in (("knee", row["knee"]), ("*", bool(row["note"]))) if on)
        cells = [_fmt(row["value"]), marks, row["status"]]
        cells += [f"{row[c]:,.0f}" if has else "-" for c in ("objective", "unmet_t", "cost_unmet_penalty")]
        for _, c in achieved:
            v = row[c] if has else math.nan
            cells.append("-" if math.isnan(v) else (f"{v:.1%}" if fraction else f"{v:,.1f}"))
        dual = "-" if math.isnan(row["dual_total"]) else f"{row['dual_total']:,.0f}"
        cells.append("0" if dual == "-0" else dual)  # a dual within half a unit of 0 reads as 0, either side
        tab.add_row(*cells)
    console.print(tab)
    for _, row in f[f["note"] != ""].iterrows():
        console.print(f"* {p.param} {_fmt(row['value'])}: {row['note']}", markup=False)
    if result.knee is not None:
        k = f.loc[result.knee]
        console.print(f"knee: {p.param} {_fmt(k['value'])} at {k['objective']:,.0f} USD", markup=False)
    else:
        console.print("knee: none (fewer than three plans, or a straight frontier)", markup=False)
    console.print(f"sweep: {len(f)} points in {result.seconds:.1f}s (solves {f['solve_seconds'].sum():.1f}s); "
                  f"results {result.out}", markup=False)


def read_frontier(folder: str | Path) -> pd.DataFrame:
    """frontier.csv of a sweep folder."""
    return pd.read_csv(Path(folder) / FRONTIER)


def read_meta(folder: str | Path) -> dict[str, Any]:
    return json.loads((Path(folder) / SWEEP_JSON).read_text())

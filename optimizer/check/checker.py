r"""Re-check a results folder against its instance: every constraint and the objective.

``m2m check RESULTS`` reads the CSV tables and ``summary.json`` that ``m2m solve`` wrote,
reloads the instance named in the summary and verifies, with plain arithmetic, that the
reported plan satisfies the model's constraints, that every derived output (costs, shares,
offtakes, unmet demand, investments, the lists in ``summary.json``) is what the plan implies,
and that ``duals.csv`` certifies the plan optimal (:mod:`optimizer.check.certificate`).

The rule that keeps it an independent oracle: this module (and the certificate) never imports
Pyomo, HiGHS or the model, solver, extract or pipeline modules, so a mistake there cannot hide
itself here.  What the data *means* (a facility's operating years and provenance tags, a
period's weight, a lane's cost in a year, a policy's member countries, which deliveries count
towards an offtake) is asked of the :class:`~optimizer.input.instance.Instance`, where it lives
once; the arithmetic of every constraint and output is written here, separately from the model.

Tolerance: a row passes when its violation :math:`v` satisfies
:math:`|v| \le \text{tol} \cdot \max(1, s)`, where :math:`s` is the largest absolute value among
the row's terms (t/yr, units of activity/yr or USD, as the row's family says).  The tables list
values below 1e-7 as zero, so a product balance also counts its recipe ratios among its terms
and a cost row its largest cost coefficient (a quantity of 1 times the coefficient).

Notation used in the docstrings below (per period t, a year):

* ``X[f,t]`` activity of facility f summed over provenance tags (units of activity/yr)
* ``F[o,d,p,g,t]`` flow on lane (o, d, p) with tag g (t/yr)
* ``S[f,p,g,t]`` surplus of product p left at f (t/yr); ``U[k,p,t]`` unmet demand (t/yr)
* ``y[f,t]`` open flag of a candidate (1 for existing facilities); ``z[f,t]`` expansion steps
* ``r^in``, ``r^out`` recipe ratios (t per unit of activity); ``d_t = (1+r)^-(t-t0)``
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ..core.errors import Finding, InputError, finding
from ..input.instance import CLEAN, Instance, by_period
from .certificate import Certificate, PlanValues, certify, num
from ..core.contract import (
    BINDING_TOL,
    COST_KINDS,
    COST_TERMS,
    SOLVED,
    SUMMARY,
    TRANSFER_TERMS,
    VIOLATION_TERM,
    ZERO_DENOMINATOR,
    read_rows,
    read_summary,
    results_folder,
)
from ..input.load import load_instance
from ..families import FAMILIES, POLICY_FAMILIES, max_share, offtake
from ..input.schema import DEFAULT_LIFETIME, MaxShare, Offtake, PolicyBase, capital_recovery_factor

#: Columns of each results table the check reads (kinds from the contract).
CHECKED_COLUMNS: dict[str, tuple[str, ...]] = {
    "flows": ("origin", "destination", "product", "period", "provenance", "quantity"),
    "activity": ("facility", "period", "provenance", "activity", "capacity", "open", "built"),
    "unmet": ("customer", "product", "period", "provenance", "demand", "delivered", "unmet", "penalty"),
    "surplus": ("facility", "product", "period", "provenance", "quantity", "value_per_t", "value"),
    "costs": ("term", "period", "cost", "discount_factor", "discounted", "years", "weight", "kind"),
    "investments": ("facility", "period", "kind", "steps", "capacity_added", "capex", "lifetime", "annuity"),
    "offtakes": ("policy", "customer", "product", "period", "provenance", "required", "delivered", "short"),
    "shares": ("policy", "stage", "period", "basis", "group", "numerator", "denominator", "share", "cap", "binding",
               "product", "members"),
    "duals": ("constraint", "index", "value", "unit"),
}

Table = list[dict[str, Any]]


# ============================================================================================
# the report
# ============================================================================================


@dataclass
class CheckReport:
    """Outcome of a check: ``ok`` only when a plan was checked and no row failed."""

    ok: bool
    violations: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    objective: float | None = None
    status: str = ""
    notes: list[str] = field(default_factory=list)
    #: True when duals.csv was verified as an optimality certificate (None: there were no duals).
    certified: bool | None = None
    #: Relative duality gap |objective - dual objective| / max(1, |objective|), when certified.
    gap: float | None = None

    @property
    def rows(self) -> int:
        """Rows checked over all families."""
        return sum(self.checked.values())

    @property
    def families(self) -> int:
        """Families with at least one row checked."""
        return sum(1 for n in self.checked.values() if n)

    def headline(self) -> str:
        """One line: passed (with the row count and objective), failed, or nothing to check."""
        if self.status not in SOLVED:
            return f"no solution to check: status {self.status}"
        note = "".join(f" ({n})" for n in self.notes)
        if not self.ok:
            n = len(self.violations)
            return f"check FAILED: {n} violation{'s' if n != 1 else ''}{note}"
        objective = "?" if self.objective is None else f"{self.objective:,.0f}"
        optimal = " = dual objective (optimal)" if self.certified else ""
        return (f"check passed: {self.families} families, {self.rows:,} rows, "
                f"objective {objective} USD = sum of cost terms{optimal}{note}")


def annuity(rate: float, capex: float, lifetime: int | None) -> float:
    r"""A capex as a yearly charge, recomputed here from the capital recovery factor (USD/yr):
    :math:`\kappa\, CRF(\rho, L)`, L blank = 20 years."""
    return capex * capital_recovery_factor(rate, lifetime or DEFAULT_LIFETIME)


# ============================================================================================
# reading the results folder
# ============================================================================================


def read_tables(folder: Path) -> dict[str, Table]:
    """Every results table the check needs; raise InputError listing every unreadable one."""
    findings: list[Finding] = []
    tables = {name: read_rows(folder, name, findings, columns) for name, columns in CHECKED_COLUMNS.items()}
    if findings:
        raise InputError(findings)
    return tables


# ============================================================================================
# the plan, indexed
# ============================================================================================


class Plan:
    """The tables of a results folder as sums keyed like the model's variables."""

    def __init__(self, tables: dict[str, Table]):
        self.tables = tables
        self.act: dict[tuple[str, str, int], float] = defaultdict(float)  # (f, g, t) -> units/yr
        self.act_row: dict[tuple[str, int], dict[str, Any]] = {}  # (f, t) -> first activity row
        self.act_tags: dict[tuple[str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for r in tables["activity"]:
            f, g, t = r["facility"], r["provenance"], r["period"]
            self.act[f, g, t] += r["activity"]
            self.act_tags[f, t][g] += r["activity"]
            self.act_row.setdefault((f, t), r)
        self.total_act: dict[tuple[str, int], float] = {k: sum(v.values()) for k, v in self.act_tags.items()}

        # (node, p, t) -> {tag: t/yr}, for arrivals at and departures from each node
        self.inflow: dict[tuple[str, str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.outflow: dict[tuple[str, str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.lane_flow: dict[tuple[str, str, str, int], float] = defaultdict(float)  # (o, d, p, t)
        self.arrivals: dict[tuple[str, str, int], list[tuple[str, str, float]]] = defaultdict(list)  # (d,p,t)->[(o,g,q)]
        self.by_period: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for r in tables["flows"]:
            o, d, p, g, t, q = (r["origin"], r["destination"], r["product"], r["provenance"], r["period"], r["quantity"])
            self.inflow[d, p, t][g] += q
            self.outflow[o, p, t][g] += q
            self.lane_flow[o, d, p, t] += q
            self.arrivals[d, p, t].append((o, g, q))
            self.by_period[t].append(r)

        self.surplus: dict[tuple[str, str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for r in tables["surplus"]:
            self.surplus[r["facility"], r["product"], r["period"]][r["provenance"]] += r["quantity"]

        self.steps: dict[tuple[str, int], float] = defaultdict(float)  # (f, t) -> steps built in t
        self.open_investments: dict[str, list[int]] = defaultdict(list)
        for r in tables["investments"]:
            if r["kind"] == "expansion":
                self.steps[r["facility"], r["period"]] += r["steps"]
            elif r["kind"] == "open":
                self.open_investments[r["facility"]].append(r["period"])

    def keyed(self, name: str, *columns: str) -> dict[tuple, dict[str, Any]]:
        """Rows of a table by key columns (the first row wins; duplicates are reported elsewhere)."""
        out: dict[tuple, dict[str, Any]] = {}
        for r in self.tables[name]:
            out.setdefault(tuple(r[c] for c in columns), r)
        return out

    def steps_to(self, facility: str, period: int) -> float:
        r"""Expansion steps built up to and including ``period``: :math:`\sum_{\tau \le t} z[f,\tau]` (steps)."""
        return sum(s for (f, t), s in self.steps.items() if f == facility and t <= period)


# ============================================================================================
# the checker
# ============================================================================================


class Checker:
    """Runs every family of checks on one plan and collects readable violation lines."""

    def __init__(self, inst: Instance, plan: Plan, summary: dict[str, Any], tol: float):
        self.inst = inst
        self.plan = plan
        self.summary = summary
        self.tol = tol
        self.violations: list[str] = []
        self.checked: dict[str, int] = defaultdict(int)
        self.active = {f: set(inst.active_periods(f)) for f in inst.facilities}
        self.lanes = {(l.origin, l.destination, l.product): l for l in inst.lanes}
        self.demands = {(d.customer, d.product, d.period): d for d in inst.demands}
        self.expansions = {e.facility: e for e in inst.expansions}
        self.open = self._open_flags()

    # ---- helpers ----------------------------------------------------------------------------
    def count(self, family: str, rows: int = 1) -> None:
        """Record that ``rows`` rows of ``family`` were checked."""
        self.checked[family] += rows

    def fail(self, family: str, label: str, message: str) -> None:
        """Record one violation line: ``<family> <label>: <message>``."""
        self.violations.append(f"{family} {label}: {message}")

    def slack(self, *terms: float | None) -> float:
        """Allowed violation of a row: tol * max(1, largest |term|)."""
        return self.tol * max([1.0] + [abs(x) for x in terms if x is not None and math.isfinite(x)])

    def le(self, family: str, label: str, lhs_name: str, lhs: float, rhs_name: str, rhs: float,
           *scale: float) -> bool:
        """Check lhs <= rhs within tolerance; record a violation otherwise."""
        if lhs - rhs <= self.slack(lhs, rhs, *scale):
            return True
        self.fail(family, label, f"{lhs_name} {num(lhs)} > {rhs_name} {num(rhs)}")
        return False

    def eq(self, family: str, label: str, lhs_name: str, lhs: float | None, rhs_name: str, rhs: float | None,
           *scale: float) -> bool:
        """Check lhs == rhs within tolerance (both blank also counts as equal); record a violation otherwise."""
        if lhs is None or rhs is None:
            if lhs is None and rhs is None:
                return True
        elif abs(lhs - rhs) <= self.slack(lhs, rhs, *scale):
            return True
        self.fail(family, label, f"{lhs_name} {num(lhs)} != {rhs_name} {num(rhs)}")
        return False

    def nonnegative(self, family: str, label: str, name: str, value: float) -> bool:
        """Check value >= -tol (quantities are never negative)."""
        if value >= -self.tol:
            return True
        self.fail(family, label, f"{name} {num(value)} < 0")
        return False

    def tags_of(self, facility: str) -> tuple[str, ...]:
        """Provenance tags a facility's output may carry (``any`` when provenance is not tracked)."""
        return self.inst.output_tags(facility)

    def made(self, facility: str, period: int, product: str | None, tag: str | None = None) -> float:
        r"""Output of ``product`` at f in t, :math:`r^{out}_{fp} \sum_g X[f,g,t]` (t/yr), or activity if product is None.

        With ``tag``, only that provenance mode's activity counts.
        """
        ratio = 1.0 if product is None else self.inst.outputs[facility].get(product, 0.0)
        if not ratio:
            return 0.0
        if tag is None:
            return ratio * self.plan.total_act.get((facility, period), 0.0)
        return ratio * self.plan.act.get((facility, tag, period), 0.0)

    def _open_flags(self) -> dict[tuple[str, int], float]:
        """y[f,t]: activity.csv's ``open`` for candidates (0 when the row is missing), 1 for existing facilities."""
        out = {}
        for f, fac in self.inst.facilities.items():
            for t in self.active[f]:
                row = self.plan.act_row.get((f, t))
                out[f, t] = 1.0 if fac.status == "existing" else (row["open"] if row else 0.0)
        return out

    # ---- run --------------------------------------------------------------------------------
    def run(self) -> None:
        """Every family, in the order of the model's constraints, then the costs and the objective."""
        for family in (
            self.check_flows, self.check_activity, self.check_surplus, self.check_duplicates,
            self.check_candidates, self.check_investments, self.check_families,
            self.check_share_columns, self.check_stage_shares, self.check_costs,
            self.check_objective, self.check_summary_shares, self.check_summary_offtakes, self.check_summary_unmet,
            self.check_summary_built, self.check_optimality,
        ):
            family()

    # ---- 1. domains -------------------------------------------------------------------------
    def check_flows(self) -> None:
        """Every flow row: F >= 0 on a listed lane, in a year both ends operate, with a tag its origin makes.

        A flow to a customer needs a demand row for that product and year; a clean demand takes
        only clean flows.
        """
        inst = self.inst
        for r in self.plan.tables["flows"]:
            self.count("flows")
            o, d, p, g, t = r["origin"], r["destination"], r["product"], r["provenance"], r["period"]
            label = f"{o} -> {d} {p} {t} ({g})"
            self.nonnegative("flows", label, "quantity", r["quantity"])
            if (o, d, p) not in self.lanes:
                self.fail("flows", label, "no such lane in lanes.csv")
                continue
            if t not in self.active[o]:
                self.fail("flows", label, f"origin {o} does not operate in {t}")
                continue
            if d in inst.facilities:
                if t not in self.active[d]:
                    self.fail("flows", label, f"destination {d} does not operate in {t}")
            else:
                demand = self.demands.get((d, p, t))
                if demand is None:
                    self.fail("flows", label, f"customer {d} has no demand for {p} in {t}")
                elif demand.provenance == CLEAN and g != CLEAN:
                    self.fail("flows", label, f"customer {d} takes only clean {p}, got {g}")
            if g not in self.tags_of(o):
                self.fail("flows", label, f"tag {g} is not one {o} makes; expected {'/'.join(self.tags_of(o))}")

    def check_activity(self) -> None:
        """Every activity row: X >= 0 for a known facility, in a year it operates, with a tag it runs.

        Every (facility, operating year) must have a row: it carries ``capacity`` and ``open``.
        """
        inst = self.inst
        for r in self.plan.tables["activity"]:
            self.count("activity")
            f, t, g = r["facility"], r["period"], r["provenance"]
            label = f"{f} {t} ({g})"
            self.nonnegative("activity", label, "activity", r["activity"])
            if f not in inst.facilities:
                self.fail("activity", label, "unknown facility")
            elif t not in self.active[f]:
                self.fail("activity", label, f"{f} does not operate in {t}")
            elif g not in self.tags_of(f):
                self.fail("activity", label, f"tag {g} is not a mode of {f}; expected {'/'.join(self.tags_of(f))}")
            first = self.plan.act_row[f, t]
            for column in ("capacity", "open", "built"):
                if first is not r:
                    self.eq("activity", label, column, r[column], f"{column} on line {first['_line']}", first[column])
        for f in inst.facilities:
            for t in sorted(self.active[f]):
                if (f, t) not in self.plan.act_row:
                    self.fail("activity", f"{f} {t}", "activity.csv has no row")

    def check_surplus(self) -> None:
        """Every surplus row: S >= 0 of a product f makes, allowed (a surplus_value for that year), in a year f operates.

        ``value_per_t`` = the year's surplus_value (USD/t) and ``value`` = quantity x value_per_t (USD/yr).
        """
        inst = self.inst
        for r in self.plan.tables["surplus"]:
            self.count("surplus")
            f, p, t, g = r["facility"], r["product"], r["period"], r["provenance"]
            label = f"{f} {p} {t} ({g})"
            self.nonnegative("surplus", label, "quantity", r["quantity"])
            if f not in inst.facilities or p not in inst.products:
                self.fail("surplus", label, "unknown facility or product")
                continue
            value = inst.surplus_value(p, t)
            if value is None:
                self.fail("surplus", label, f"{p} has no surplus_value in {t}: surplus is not allowed")
            if p not in inst.outputs[f]:
                self.fail("surplus", label, f"{f} does not make {p}")
            if t not in self.active[f]:
                self.fail("surplus", label, f"{f} does not operate in {t}")
            if g not in self.tags_of(f):
                self.fail("surplus", label, f"tag {g} is not a mode of {f}")
            if value is not None:
                self.eq("surplus", label, "value_per_t", r["value_per_t"], "surplus_value", value)
            self.eq("surplus", label, "value", r["value"], "quantity x value_per_t", r["quantity"] * r["value_per_t"])

    def check_duplicates(self) -> None:
        """Each key appears at most once in each table (a repeated row would be counted twice)."""
        keys = {
            "flows": ("origin", "destination", "product", "period", "provenance"),
            "activity": ("facility", "period", "provenance"),
            "surplus": ("facility", "product", "period", "provenance"),
            "unmet": ("customer", "product", "period"),
            "costs": ("term", "period", "kind"),
            "investments": ("facility", "period", "kind"),
            "offtakes": ("policy", "period"),
            "shares": ("policy", "stage", "product", "period"),
        }
        for name, columns in keys.items():
            seen: dict[tuple, int] = {}
            for r in self.plan.tables[name]:
                k = tuple(r[c] for c in columns)
                if k in seen:
                    self.fail("duplicates", f"{name}.csv line {r['_line']}",
                              f"repeats the row at line {seen[k]} ({', '.join(map(str, k))})")
                seen.setdefault(k, r["_line"])

    # ---- 2. product balance -------------------------------------------------------------------
    def check_candidates(self) -> None:
        """Candidates: open is 0/1 and never goes 1 -> 0; existing facilities are open.

        An ``open`` investment is listed exactly in a candidate's first open year, and
        activity.csv's ``built`` = base capacity in that year + steps x size (units/yr).
        """
        inst = self.inst
        for f, fac in inst.facilities.items():
            self.count("candidates")
            years = sorted(self.active[f])
            flags = [self.plan.act_row[f, t]["open"] if (f, t) in self.plan.act_row else None for t in years]
            first_open = None
            previous = 0.0
            for t, y in zip(years, flags):
                if y is None:
                    continue
                label = f"{f} {t}"
                if fac.status == "existing":
                    self.eq("candidates", label, "open", y, "existing facility", 1.0)
                    continue
                if min(abs(y), abs(y - 1.0)) > self.tol:
                    self.fail("candidates", label, f"open {num(y)} is not 0 or 1")
                if previous > 0.5 and y < 0.5:
                    self.fail("candidates", label, "closes after having opened (open goes 1 -> 0)")
                if y > 0.5 and first_open is None:
                    first_open = t
                previous = y
            listed = sorted(self.plan.open_investments.get(f, []))
            expected = [first_open] if first_open is not None else []
            if listed != expected:
                self.fail("candidates", f, f"investments.csv lists `open` in {listed or 'no year'}; "
                                           f"expected {expected or 'none'}")
            for t in years:
                row = self.plan.act_row.get((f, t))
                if row is not None:
                    built: float | None = inst.base_capacity(f, t) if t == first_open else 0.0  # None: unlimited
                    if f in self.expansions and built is not None:
                        built += self.plan.steps.get((f, t), 0.0) * self.expansions[f].size
                    self.eq("candidates", f"{f} {t}", "activity.csv built", row["built"], "recomputed", built)
        for f in self.plan.open_investments:
            if f not in inst.facilities:
                self.fail("candidates", f, "investments.csv opens an unknown facility")

    def check_investments(self) -> None:
        r"""investments.csv: an ``open`` row is a candidate's opening with its base capacity, capex, lifetime
        and annuity; an ``expansion`` row has steps z >= 0, whole if ``integer``, only from first_period
        in operating years, capacity_added = steps x size (units/yr) and capex = steps x capex (USD).
        ``max_steps`` is the ``expansion_limit`` family's check."""
        inst = self.inst
        for r in self.plan.tables["investments"]:
            f, t, kind, z = r["facility"], r["period"], r["kind"], r["steps"]
            label = f"{f} {t}"
            if kind == "open":
                fac = inst.facilities.get(f)
                if fac is not None and fac.status != "candidate":
                    self.fail("expansions", label, "investments.csv opens a facility that is not a candidate")
                elif fac is not None:
                    self.eq("candidates", label, "capacity_added", r["capacity_added"], "base capacity (blank: unlimited)",
                            inst.base_capacity(f, t))
                    self.eq("candidates", label, "capex", r["capex"], "facilities.csv capex", fac.capex)
                    self.eq("candidates", label, "lifetime", r["lifetime"], "lifetime (blank without capex)",
                            float(fac.lifetime or DEFAULT_LIFETIME) if fac.capex else None)
                    self.eq("candidates", label, "annuity", r["annuity"], "capex x CRF(rate, lifetime)",
                            annuity(inst.discount_rate, fac.capex, fac.lifetime))
                continue
            self.count("expansions")
            if kind != "expansion":
                self.fail("expansions", label, f"unknown investment kind {kind!r}; expected open or expansion")
                continue
            e = self.expansions.get(f)
            if e is None:
                self.fail("expansions", label, f"{f} has no row in expansions.csv")
                continue
            self.nonnegative("expansions", label, "steps", z)
            if e.integer and abs(z - round(z)) > self.slack(z):
                self.fail("expansions", label, f"steps {num(z)} is not whole (integer expansion)")
            if t < e.first_period or t not in self.active[f]:
                self.fail("expansions", label, f"built in {t}, outside first_period {e.first_period} and operating years")
            self.eq("expansions", label, "capacity_added", r["capacity_added"], "steps x size", z * e.size)
            self.eq("expansions", label, "capex", r["capex"], "steps x capex", z * e.capex)
            self.eq("expansions", label, "lifetime", r["lifetime"], "lifetime (blank without capex)",
                    float(e.lifetime or DEFAULT_LIFETIME) if e.capex else None)
            self.eq("expansions", label, "annuity", r["annuity"], "steps x capex x CRF(rate, lifetime)",
                    z * annuity(inst.discount_rate, e.capex, e.lifetime))

    # ---- 6. policies ------------------------------------------------------------------------
    def policy_years(self, kind: type) -> list[tuple[PolicyBase, int]]:
        """(policy, year) for every policy of ``kind`` and every year it applies in."""
        return [(p, t) for p in self.inst.policies if isinstance(p, kind) for t in self.inst.policy_periods(p)]

    def is_open(self, facility: str, period: int) -> float:
        """y[f,t]: 1 for an existing facility operating in t, activity.csv's ``open`` for a candidate, else 0."""
        return self.open.get((facility, period), 0.0)

    def check_families(self) -> None:
        """Each family's own check (see :mod:`optimizer.families`), in the registry's order; a family
        whose rows another check covers says which (its ``check`` is that sentence)."""
        for family in FAMILIES:
            if callable(family.check):
                family.check(self)

    def check_stage_shares(self) -> None:
        r"""shares.csv's policy-less rows: the provenance group's share of each stage's production of each
        product it makes, :math:`\sum_{f \in s,\ c(f) \in C^{cov}} r^{out}_{fp} X[f,t]` over
        :math:`\sum_{f \in s} r^{out}_{fp} X[f,t]` (t/yr; share blank when nothing is made)."""
        inst = self.inst
        covered: dict[tuple[str, str, int], float] = defaultdict(float)
        total: dict[tuple[str, str, int], float] = defaultdict(float)
        for f, fac in inst.facilities.items():
            for t in self.active[f]:
                for p in inst.outputs[f]:
                    q = self.made(f, t, p)
                    total[fac.stage, p, t] += q
                    covered[fac.stage, p, t] += q if inst.is_covered(f) else 0.0
        rows = {(r["stage"], r["product"], r["period"]): r for r in self.plan.tables["shares"] if not r["policy"]}
        for k in sorted(total):
            self.count("stage_shares")
            label = f"{k[0]} {k[1]} {k[2]}"
            row = rows.pop(k, None)
            if row is None:
                self.fail("stage_shares", label, "shares.csv has no row")
                continue
            self.eq("stage_shares", label, "shares.csv numerator", row["numerator"], "t made in the group", covered[k])
            self.eq("stage_shares", label, "shares.csv denominator", row["denominator"], "t made at the stage", total[k])
            share = covered[k] / total[k] if total[k] > ZERO_DENOMINATOR else None
            self.eq("stage_shares", label, "shares.csv share", row["share"], "recomputed (blank: nothing made)", share)
        for k in rows:
            self.fail("stage_shares", " ".join(map(str, k)), "shares.csv row for no stage and product made there")

    # ---- 7. costs and objective -------------------------------------------------------------
    @cached_property
    def recomputed_costs(self) -> dict[tuple[str, int], float]:
        """The cost terms (kind ``cost``) per (term, period), undiscounted (USD/yr)."""
        return {(term, t): c for (kind, term, t), c in self.recomputed_money.items() if kind == "cost"}

    @cached_property
    def recomputed_money(self) -> dict[tuple[str, str, int], float]:
        r"""Every cost term and transfer per (kind, term, period), undiscounted (USD/yr):

        production :math:`\sum c_f X`; transport :math:`\sum c_{odp} F`; tariff :math:`\sum \tau_{odp} F`;
        fixed :math:`\phi_f` per operating year for existing facilities + :math:`\phi_f y` for candidates;
        capex as annuities, :math:`A_e \sum_{\tau \le t} z[e,\tau]` in every operating year t of an expanded
        facility plus :math:`A_f y[f,t]` for candidates, where :math:`A = \kappa\, \rho / (1 - (1+\rho)^{-L})`
        (:math:`\kappa / L` without discounting); unmet_penalty :math:`\pi U`; surplus :math:`-v_p S`;
        price_floor :math:`\max(0, \text{floor}-\text{market})\, r^{out}_{fp} X`, kind ``transfer`` unless the
        floor's accounting is ``cost``.
        """
        inst, plan = self.inst, self.plan
        cost: dict[tuple[str, int], float] = defaultdict(float)
        for (f, _g, t), x in plan.act.items():
            if f in inst.facilities:
                cost["production", t] += inst.cost(f, t) * x
        for (o, d, p, t), q in plan.lane_flow.items():
            lane = self.lanes.get((o, d, p))
            if lane is not None:
                cost["transport", t] += inst.lane_cost(lane, t) * q
                cost["tariff", t] += inst.lane_tariff(lane, t) * q
        for f, fac in inst.facilities.items():
            for t in self.active[f]:
                cost["fixed", t] += fac.fixed_cost * self.open.get((f, t), 0.0)
        for (f, tau), z in plan.steps.items():
            if f in self.expansions:
                for t in self.active[f]:
                    if t >= tau:
                        cost["capex", t] += inst.step_annuity(self.expansions[f]) * z
        for f, fac in inst.facilities.items():
            if fac.status == "candidate":
                for t in self.active[f]:
                    cost["capex", t] += inst.open_annuity(f) * self.open.get((f, t), 0.0)
        for r in plan.tables["unmet"]:
            d = self.demands.get((r["customer"], r["product"], r["period"]))
            if d is not None and d.penalty is not None:
                cost["unmet_penalty", d.period] += d.penalty * r["unmet"]
        for (f, p, t), by_tag in plan.surplus.items():
            value = inst.surplus_value(p, t) if p in inst.products else None
            cost["surplus", t] -= (value or 0.0) * sum(by_tag.values())
        money = {("cost", term, t): c for (term, t), c in cost.items()}
        for family in POLICY_FAMILIES:
            if family.money is not None:
                for k, c in family.money(self).items():
                    money[k] = money.get(k, 0.0) + c
        return money

    def cost_coefficients(self) -> dict[str, float]:
        """Largest |coefficient| of each cost term (USD per unit of its quantity).

        Part of a cost row's scale: a quantity the tables round to zero (or a 0/1 decision within
        solver tolerance of 0 or 1) still moves the solver's cost by up to coefficient x rounding.
        """
        inst = self.inst
        values = {
            "production": [f.cost for f in inst.facilities.values()] + list(inst.period_cost.values()),
            "transport": [l.cost for l in inst.lanes] + [r.cost or 0.0 for r in inst.lane_periods.values()],
            "tariff": [l.tariff for l in inst.lanes] + [r.tariff or 0.0 for r in inst.lane_periods.values()],
            "fixed": [f.fixed_cost for f in inst.facilities.values()],
            "capex": [inst.step_annuity(e) for e in inst.expansions] + [inst.open_annuity(f) for f in inst.facilities],
            "unmet_penalty": [d.penalty or 0.0 for d in inst.demands],
            "surplus": [p.surplus_value or 0.0 for p in inst.products.values()]
            + list(inst.product_prices.values()),
        }
        values.update({f.name: f.coefficients(self) for f in POLICY_FAMILIES if f.coefficients is not None})
        return {term: max([abs(v) for v in vs] + [0.0]) for term, vs in values.items()}

    def check_costs(self) -> None:
        r"""costs.csv: each (term, period, kind) cost equals its recomputation, discount_factor = (1+r)^-(t-t0),
        years = :math:`n_t`, weight = :math:`w_t = \sum_{k<n_t} d_{t+k}`, discounted = cost x weight;
        a term missing from costs.csv must recompute to 0.  Kind ``cost`` rows are the objective's terms,
        kind ``transfer`` rows the transfers (a price floor's payout unless its accounting is ``cost``)."""
        inst = self.inst
        expected = self.recomputed_money
        coefficient = self.cost_coefficients()
        rows = self.plan.keyed("costs", "term", "period", "kind")
        for kind, term in ((k, term) for k, terms in COST_KINDS.items() for term in terms):
            for t in inst.periods:
                self.count("costs")
                label = f"{term} {t}" + (f" ({kind})" if kind != "cost" else "")
                row = rows.pop((term, t, kind), None)
                want = expected.get((kind, term, t), 0.0)
                if row is None:
                    if abs(want) > self.slack(want, coefficient[term]):
                        self.fail("costs", label, f"costs.csv has no row; recomputed cost {num(want)}")
                    continue
                self.eq("costs", label, "costs.csv cost", row["cost"], "recomputed", want, coefficient[term])
                self.eq("costs", label, "discount_factor", row["discount_factor"], "(1+r)^-(t-t0)", inst.discount(t))
                self.eq("costs", label, "years", row["years"], "years the period stands for", inst.years(t))
                self.eq("costs", label, "weight", row["weight"], "discounted years of the period", inst.weight(t))
                self.eq("costs", label, "discounted", row["discounted"], "cost x weight", row["cost"] * row["weight"])
        for (term, t, kind), row in rows.items():
            self.count("costs")
            if term == VIOLATION_TERM and kind == "cost":
                self.eq("costs", f"{term} {t}", "constraint violation cost", row["cost"], "none in a plan", 0.0)
            else:
                self.fail("costs", f"{term} {t} ({kind})", "unknown cost term, kind or year")

    def check_objective(self) -> None:
        r"""summary.json: objective = :math:`\sum_{\text{term},t} w_t C_{\text{term},t}` (USD, recomputed),
        and each cost_breakdown entry = its term's discounted sum."""
        inst = self.inst
        expected = self.recomputed_costs
        by_term: dict[str, float] = defaultdict(float)
        for (term, t), c in expected.items():
            by_term[term] += c * inst.weight(t)
        magnitude = sum(abs(c * inst.weight(t)) for (_term, t), c in expected.items()) \
            + max(self.cost_coefficients().values(), default=0.0)
        total = sum(by_term.values())
        objective = self.summary.get("objective")
        self.count("objective")
        if not isinstance(objective, (int, float)):
            self.fail("objective", "summary.json", f"objective is {objective!r}; expected a number")
        else:
            self.eq("objective", "summary.json", "objective", float(objective), "sum of recomputed cost terms",
                    total, magnitude)
        breakdown = self.summary.get("cost_breakdown") or {}
        for term in COST_TERMS:
            self.count("objective")
            reported = breakdown.get(term, 0.0)
            if not isinstance(reported, (int, float)):
                self.fail("objective", f"cost_breakdown {term}", f"{reported!r} is not a number")
                continue
            self.eq("objective", f"cost_breakdown {term}", "summary.json", float(reported), "recomputed",
                    by_term.get(term, 0.0), magnitude)
        self.check_transfers(magnitude)
        extra = sorted(set(breakdown) - set(COST_TERMS))
        for term in extra:
            value = breakdown[term]
            harmless = term == VIOLATION_TERM and isinstance(value, (int, float)) and abs(value) <= self.slack(magnitude)
            if not harmless:
                self.fail("objective", f"cost_breakdown {term}", f"unexpected term (value {value!r})")


    def check_transfers(self, magnitude: float) -> None:
        r"""summary.json ``transfers``: for each transfer term, ``by_period`` (USD/yr), ``total``
        :math:`= \sum_t n_t C_t` (USD of each year) and ``discounted`` :math:`= \sum_t w_t C_t`, recomputed."""
        inst = self.inst
        reported = self.summary.get("transfers") or {}
        for term in TRANSFER_TERMS:
            per = {t: c for (kind, name, t), c in self.recomputed_money.items() if kind == "transfer" and name == term}
            got = reported.get(term)
            self.count("transfers")
            if got is None:
                if any(abs(c) > self.slack(c) for c in per.values()):
                    self.fail("transfers", term, "summary.json has no entry; recomputed payouts "
                                                 f"{', '.join(f'{t}: {num(c)}' for t, c in sorted(per.items()))}")
                continue
            total = sum(c * inst.years(t) for t, c in per.items())
            discounted = sum(c * inst.weight(t) for t, c in per.items())
            self.eq("transfers", term, "summary.json total", got.get("total"), "recomputed total", total, magnitude)
            self.eq("transfers", term, "summary.json discounted", got.get("discounted"), "recomputed discounted",
                    discounted, magnitude)
            by_period = got.get("by_period") or {}
            for t in inst.periods:
                self.eq("transfers", f"{term} {t}", "summary.json by_period", by_period.get(str(t), 0.0),
                        "recomputed", per.get(t, 0.0), magnitude)
        for term in sorted(set(reported) - set(TRANSFER_TERMS)):
            self.fail("transfers", term, "unknown transfer term in summary.json")

    # ---- 8. summary.json's lists --------------------------------------------------------------
    @cached_property
    def recomputed_shares(self) -> dict[tuple[str, int], dict[str, Any]]:
        r"""Every max_share policy and year in force (a share given), as shares.csv and summary.json report it.

        num, den from :func:`optimizer.families.max_share.parts`; share = num / den, None when den <= ZERO_DENOMINATOR;
        cap = the policy's share :math:`a_t`; stage = the policy's stage or ``customers:k1;k2``; basis;
        group, members = :meth:`Instance.share_group` (members in words); product = the policy's
        (customers) or the stage's measured product; scale = max(1, num, den) / den, the change of the
        ratio a change of ``tol x max(1, num, den)`` in num or den makes (1 when den is empty).
        """
        inst = self.inst
        out: dict[tuple[str, int], dict[str, Any]] = {}
        for pol, t in self.policy_years(MaxShare):
            a = by_period(pol.share, t)
            if a is None:
                continue
            numerator, denominator = max_share.parts(self, pol, t)
            empty = denominator <= ZERO_DENOMINATOR
            group, members = inst.share_group(pol)
            out[pol.name, t] = {
                "num": numerator, "den": denominator, "share": None if empty else numerator / denominator, "cap": a,
                "scale": 1.0 if empty else max(1.0, numerator, denominator) / denominator,
                "stage": pol.stage or ("customers:" + ";".join(pol.customers or [])), "basis": pol.basis,
                "group": group, "members": inst.country_names(members),
                "product": (pol.product or "") if pol.customers else inst.stage_product(pol.stage, pol.product),
            }
        return out

    def expected_binding(self, s: dict[str, Any]) -> bool | None:
        r"""Whether a share cap binds, by the tables' rule, or None when the recomputed share is within
        tolerance of the border (then either answer passes):

        empty denominator (den <= ZERO_DENOMINATOR): binding = :math:`a_t < 1` (the row holds only as 0 <= 0);
        otherwise binding when :math:`\text{share} \ge a_t - \text{BINDING\_TOL} + m`, not binding when
        :math:`\text{share} < a_t - \text{BINDING\_TOL} - m`, with margin m = tol x max(1, share, scale).
        """
        if s["share"] is None:
            return s["cap"] < 1.0
        edge = s["cap"] - BINDING_TOL
        margin = self.slack(s["share"], s["scale"])
        if s["share"] >= edge + margin:
            return True
        if s["share"] < edge - margin:
            return False
        return None

    def check_binding(self, family: str, label: str, source: str, reported: bool, s: dict[str, Any]) -> None:
        """A reported ``binding`` flag against :meth:`expected_binding` (no violation near the border)."""
        want = self.expected_binding(s)
        if want is not None and reported != want:
            self.fail(family, label, f"{source} binding {reported} != recomputed {want} "
                                     f"(share {num(s['share'])}, cap {num(s['cap'])})")

    def check_share_columns(self) -> None:
        r"""shares.csv's policy rows also report ``stage`` (the policy's stage or ``customers:k1;k2``),
        ``basis``, ``group`` (the policy's group label) and ``binding`` (True/False, see
        :meth:`expected_binding`).  A missing or extra row is reported by :meth:`check_max_share`,
        which also counts the rows."""
        rows = self.plan.keyed("shares", "policy", "period")
        for k, s in self.recomputed_shares.items():
            row = rows.get(k)
            if row is None:
                continue
            label = f"{k[0]} {k[1]}"
            for column in ("stage", "basis", "group"):
                if row[column] != s[column]:
                    self.fail("max_share", label, f"shares.csv {column} {row[column]!r} != policy {column} {s[column]!r}")
            self.check_binding("max_share", label, "shares.csv", row["binding"], s)

    def summary_list(self, key: str, columns: tuple[str, ...]) -> dict[tuple, dict[str, Any]] | None:
        """summary.json's list ``key`` as its entries by ``columns``; None when the key is absent or not
        a list (the latter is a violation).  An entry that is not an object with every key column, or
        that repeats a key, is a violation and is left out."""
        if key not in self.summary:
            return None
        entries = self.summary[key]
        if not isinstance(entries, list):
            self.fail("summary", key, f"summary.json {key} is {type(entries).__name__}; expected a list")
            return None
        out: dict[tuple, dict[str, Any]] = {}
        for i, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict) or any(c not in entry for c in columns):
                self.fail("summary", f"{key} entry {i}", f"expected an object with {', '.join(columns)}")
                continue
            k = tuple(entry[c] for c in columns)
            if not all(isinstance(x, (str, int, float)) for x in k):
                self.fail("summary", f"{key} entry {i}", f"{', '.join(columns)} must be text or numbers")
                continue
            if k in out:
                self.fail("summary", f"{key} {' '.join(map(str, k))}", "repeated in summary.json")
                continue
            out[k] = entry
        return out

    def summary_eq(self, label: str, name: str, reported: Any, want: float | None, *scale: float) -> None:
        """A number of summary.json (None = blank/null) equal to its recomputation within tolerance."""
        if reported is not None and (isinstance(reported, bool) or not isinstance(reported, (int, float))):
            self.fail("summary", label, f"summary.json {name} {reported!r} is not a number")
            return
        self.eq("summary", label, f"summary.json {name}", None if reported is None else float(reported),
                "recomputed", want, *scale)

    def summary_text(self, label: str, name: str, reported: Any, want: Any) -> None:
        """A text field of summary.json equal to its recomputation (None and "" count as equal)."""
        if (reported or "") != (want or ""):
            self.fail("summary", label, f"summary.json {name} {reported!r} != recomputed {want!r}")

    def check_summary_shares(self) -> None:
        r"""summary.json ``shares``: one entry per max_share policy and year in force, each
        ``{policy, stage, period, share, cap, binding, product, group, members}`` as recomputed by
        :meth:`recomputed_shares`: share = num / den (null when den <= ZERO_DENOMINATOR, compared within
        tol x max(1, share, max(1, num, den) / den)), cap = :math:`a_t`, binding per :meth:`expected_binding`.

        A missing entry is a violation unless its denominator is within tolerance of 0 (the model
        then may have no row); an entry for no policy and year in force is a violation.
        """
        expected = self.recomputed_shares
        required = {k for k, s in expected.items() if s["den"] > self.slack(s["den"])}
        got = self.summary_list("shares", ("policy", "period"))
        if got is None:
            if "shares" not in self.summary and required:
                self.fail("summary", "shares", "summary.json has no shares")
            return
        for k, s in expected.items():
            self.count("summary")
            label = f"shares {k[0]} {k[1]}"
            entry = got.pop(k, None)
            if entry is None:
                if k in required:
                    self.fail("summary", label, "missing from summary.json")
                continue
            self.summary_text(label, "stage", entry.get("stage"), s["stage"])
            self.summary_eq(label, "share", entry.get("share"), s["share"], s["scale"])
            self.summary_eq(label, "cap", entry.get("cap"), s["cap"])
            binding = entry.get("binding")
            if not isinstance(binding, bool):
                self.fail("summary", label, f"summary.json binding {binding!r} is not true or false")
            else:
                self.check_binding("summary", label, "summary.json", binding, s)
            for name in ("product", "group", "members"):
                self.summary_text(label, name, entry.get(name), s[name])
        for policy, t in got:
            self.fail("summary", f"shares {policy} {t}", "summary.json entry for no max_share policy in force")

    def check_summary_offtakes(self) -> None:
        r"""summary.json ``offtakes``: one ``{policy, period, required, delivered, short}`` per offtake
        policy and year in force: required = :math:`Q_t`, delivered = :func:`optimizer.families.offtake.delivered` (t/yr),
        short = :math:`\max(0, Q_t - \text{delivered})`, each within tol x max(1, Q_t, value)."""
        expected: dict[tuple[str, int], tuple[float, float]] = {}
        for pol, t in self.policy_years(Offtake):
            q = by_period(pol.quantity, t)
            if q is not None:
                expected[pol.name, t] = (q, offtake.delivered(self, pol, t))
        got = self.summary_list("offtakes", ("policy", "period"))
        if got is None:
            if "offtakes" not in self.summary and expected:
                self.fail("summary", "offtakes", "summary.json has no offtakes")
            return
        for (name, t), (q, delivered) in expected.items():
            self.count("summary")
            label = f"offtakes {name} {t}"
            entry = got.pop((name, t), None)
            if entry is None:
                self.fail("summary", label, "missing from summary.json")
                continue
            self.summary_eq(label, "required", entry.get("required"), q, q)
            self.summary_eq(label, "delivered", entry.get("delivered"), delivered, q)
            self.summary_eq(label, "short", entry.get("short"), max(0.0, q - delivered), q)
        for name, t in got:
            self.fail("summary", f"offtakes {name} {t}", "summary.json entry for no offtake policy in force")

    def check_summary_unmet(self) -> None:
        r"""summary.json ``unmet``: ``total_t`` = :math:`\sum_{k,p,t} U_{kpt}` and ``by_product[p]`` =
        :math:`\sum_{k,t} U_{kpt}` (listed when > 0; an unlisted product counts as 0), t/yr summed over
        the years, with :math:`U_{kpt} = \max(0, \text{quantity}_{kpt} - \sum_{o,g} F[o,k,p,g,t])` recomputed
        from the flows (not unmet.csv).  Scale: the demand summed over the same rows."""
        unmet: dict[str, float] = defaultdict(float)
        demand: dict[str, float] = defaultdict(float)
        for k, d in self.demands.items():
            delivered = sum(q for _o, _g, q in self.plan.arrivals.get(k, []))
            unmet[d.product] += max(0.0, d.quantity - delivered)
            demand[d.product] += d.quantity
        total, total_demand = sum(unmet.values()), sum(demand.values())
        self.count("summary")
        got = self.summary.get("unmet")
        if got is None:
            if "unmet" not in self.summary and total > self.slack(total_demand):
                self.fail("summary", "unmet", f"summary.json has no unmet; recomputed total {num(total)}")
            return
        if not isinstance(got, dict):
            self.fail("summary", "unmet", f"summary.json unmet is {type(got).__name__}; expected an object")
            return
        self.summary_eq("unmet", "total_t", got.get("total_t"), total, total_demand)
        by_product = got.get("by_product") or {}
        if not isinstance(by_product, dict):
            self.fail("summary", "unmet", f"summary.json by_product is {type(by_product).__name__}; expected an object")
            return
        for p in sorted(set(unmet) | set(by_product)):
            self.count("summary")
            self.summary_eq(f"unmet {p}", "by_product", by_product.get(p, 0.0), unmet.get(p, 0.0), demand.get(p, 0.0))

    def check_summary_built(self) -> None:
        r"""summary.json ``built``: ``{facility, period, kind, capacity_added}`` for what was built, keyed by
        (facility, period, kind): an ``open`` entry per candidate in its first year with y[f,t] = 1
        (activity.csv ``open``), capacity_added = its base capacity that year (null: unlimited), and an
        ``expansion`` entry per (f, t) with z[f,t] > 0, capacity_added = :math:`z[f,t] \cdot \text{size}_f`
        (units of activity/yr).  Missing, extra and changed entries are violations."""
        inst = self.inst
        expected: dict[tuple[str, int, str], float | None] = {}
        for f, fac in inst.facilities.items():
            if fac.status != "candidate":
                continue
            first = next((t for t in sorted(self.active[f]) if self.open.get((f, t), 0.0) > 0.5), None)
            if first is not None:
                expected[f, first, "open"] = inst.base_capacity(f, first)
        for (f, t), z in sorted(self.plan.steps.items()):
            if f in self.expansions and z > 0:
                expected[f, t, "expansion"] = z * self.expansions[f].size
        got = self.summary_list("built", ("facility", "period", "kind"))
        if got is None:
            if "built" not in self.summary and expected:
                self.fail("summary", "built", "summary.json has no built")
            return
        for k, capacity in sorted(expected.items()):
            self.count("summary")
            label = f"built {' '.join(map(str, k))}"
            entry = got.pop(k, None)
            if entry is None:
                self.fail("summary", label, "missing from summary.json")
                continue
            self.summary_eq(label, "capacity_added", entry.get("capacity_added"), capacity)
        for k in got:
            self.fail("summary", f"built {' '.join(map(str, k))}", "summary.json entry for nothing built")

    # ---- 9. optimality ----------------------------------------------------------------------
    #: Set by :meth:`check_optimality`: the certificate, or None when there are no duals to verify.
    certificate: Certificate | None = None

    def plan_values(self) -> PlanValues:
        """The plan keyed like the LP's columns (see :mod:`optimizer.check.certificate`)."""
        flows: dict[tuple[str, str, str, str, int], float] = defaultdict(float)
        for r in self.plan.tables["flows"]:
            flows[r["origin"], r["destination"], r["product"], r["provenance"], r["period"]] += r["quantity"]
        surplus: dict[tuple[str, str, str, int], float] = defaultdict(float)
        for (f, p, t), by_tag in self.plan.surplus.items():
            for g, q in by_tag.items():
                surplus[f, p, g, t] += q
        unmet = {(r["customer"], r["product"], r["period"]): r["unmet"] for r in self.plan.tables["unmet"]}
        return PlanValues(dict(self.plan.act), dict(flows), dict(surplus), unmet, dict(self.plan.steps), dict(self.open))

    def check_optimality(self) -> None:
        r"""duals.csv is an optimality certificate of the plan (:func:`optimizer.check.certificate.certify`):
        dual feasibility (every row dual of the right sign, every reduced cost
        :math:`c_j - \sum_i y_i a_{ij} \ge 0`, both from the instance), complementary slackness and
        strong duality (the dual objective equals ``objective``).  For a model with integer decisions
        the LP is the one with them fixed at the plan's values (``summary.json`` ``duals: fixed_lp``).
        Nothing to verify when the solve reported no duals (``duals: none``)."""
        source = self.summary.get("duals")
        objective = self.summary.get("objective")
        if source == "none" or not isinstance(objective, (int, float)):
            return
        if source is None and not self.plan.tables["duals"]:  # written before the field existed
            return
        cert = certify(self.inst, self.plan_values(), self.plan.tables["duals"], float(objective), self.tol)
        self.certificate = cert
        self.count("optimality", sum(cert.checked.values()))
        self.violations.extend(cert.violations)


# ============================================================================================
# entry point
# ============================================================================================


def check_results(results: Path, instance: Path | None = None, tol: float = 1e-6) -> CheckReport:
    """Re-check a results folder against its instance (the one named in summary.json, or ``instance``).

    Raises :class:`InputError` when the folder, its summary, a table or the instance cannot be
    read.  A folder without a solution gives ``ok=False`` with no violations.
    """
    folder = results_folder(Path(results))
    summary = read_summary(folder)
    status = str(summary.get("status"))
    if status not in SOLVED:
        return CheckReport(ok=False, status=status)
    named = summary.get("instance") or {}
    path = instance if instance is not None else named.get("path")
    if not path:
        raise InputError([finding(str(folder / SUMMARY), "-", "instance.path",
                                  "summary.json names no instance; pass --instance")])
    inst = load_instance(path, named.get("scenario") or [])
    point = summary.get("sweep")
    if point:  # a kept point of `m2m sweep`: its policy parameter was set by the sweep
        try:
            inst = inst.with_policy_value(point["policy"], point["param"], point["value"], point.get("periods"))
        except (KeyError, ValueError) as exc:
            raise InputError([finding(str(folder / SUMMARY), "-", "sweep", f"cannot apply the sweep point: {exc}")]) from None
    return check_plan(folder, summary, inst, tol)


def check_plan(folder: Path, summary: dict[str, Any], inst: Instance, tol: float = 1e-6) -> CheckReport:
    """Re-check the plan of results ``folder`` (its ``summary`` read) against the loaded instance ``inst``."""
    status = str(summary.get("status"))
    checker = Checker(inst, Plan(read_tables(folder)), summary, tol)
    checker.run()
    notes = []
    recorded = (summary.get("stamp") or {}).get("inputs_sha256")
    if recorded and recorded != inst.input_digest:
        notes.append("note: the instance changed after this solve")
    objective = summary.get("objective")
    cert = checker.certificate
    if cert is None:
        notes.append("optimality not certified: the solve reported no duals")
    return CheckReport(
        ok=not checker.violations,
        violations=checker.violations,
        checked=dict(checker.checked),
        objective=float(objective) if isinstance(objective, (int, float)) else None,
        status=status,
        notes=notes,
        certified=None if cert is None else not cert.violations,
        gap=None if cert is None else cert.gap,
    )

r"""Re-check a results folder against its instance: every constraint and the objective.

``m2m check RESULTS`` reads the CSV tables and ``summary.json`` that ``m2m solve`` wrote,
reloads the instance named in the summary and verifies, with plain arithmetic, that the
reported plan satisfies the model's constraints, that every derived output (costs, shares,
offtakes, unmet demand, investments, the lists in ``summary.json``) is what the plan implies,
and that ``duals.csv`` certifies the plan optimal (:mod:`optimizer.check.certificate`).

The rule that keeps it an independent oracle: the check package never imports Pyomo, HiGHS or
the model, solving or pipeline modules (``tests/test_architecture.py``), so a mistake there
cannot hide itself here.  What the data *means* is asked of the
:class:`~optimizer.input.instance.Instance`, where it lives once, for the model, this check and
sweep alike: a facility's operating years and provenance tags, a period's weight, a lane's cost
in a year, which countries a share measures (``share_group``), which flows an export cap counts
(``export_products``, ``export_counts``), which deliveries count towards an offtake
(``offtake_counts``), which years a policy sets its bound in (``policy_values``).  The
arithmetic of every row is written separately from the model: each family's in its own module
(its ``check`` hook, :mod:`optimizer.families`), the tables', costs' and summary's here
(:mod:`~optimizer.check.money`, :mod:`~optimizer.check.summary`).

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
from pathlib import Path
from typing import Any

from ..core.tolerances import CHECK_TOL, HALF
from ..input.instance import CLEAN, Instance
from .certificate import Certificate, PlanValues, certify, num
from ..core.contract import SOLVED, ZERO_DENOMINATOR
from ..families import FAMILIES
from .money import MoneyChecks
from .summary import SummaryChecks
from .tables import TABLE_KEYS, PlanTables, read_tables
from ..input.schema import DEFAULT_LIFETIME, PolicyBase, capital_recovery_factor

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
# the checker
# ============================================================================================


class Checker(MoneyChecks, SummaryChecks):
    """Runs every family of checks on one plan and collects readable violation lines."""

    def __init__(self, inst: Instance, plan: PlanTables, summary: dict[str, Any], tol: float):
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
        for name, columns in TABLE_KEYS.items():
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
                if previous > HALF and y < HALF:
                    self.fail("candidates", label, "closes after having opened (open goes 1 -> 0)")
                if y > HALF and first_open is None:
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

    def check_decision(self, family: str, label: str, r: dict[str, Any], lead_time: int | None) -> None:
        """An investment row's lead time is its input's (0 when blank), and it was decided
        ``lead_time`` years before it is available, within the horizon."""
        lead = lead_time or 0
        self.eq(family, label, "lead_time", r["lead_time"], "lead_time (blank: 0)", lead)
        self.eq(family, label, "decision_year", r["decision_year"], "period - lead_time", r["period"] - lead)
        if r["decision_year"] < self.inst.periods[0]:
            self.fail(family, label, f"decided in {r['decision_year']}, before the horizon starts ({self.inst.periods[0]})")

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
                    self.check_decision("candidates", label, r, fac.lead_time)
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
            if t not in inst.step_periods(e):
                self.fail("expansions", label, f"built in {t}, outside first_period {e.first_period}, the operating years "
                                               f"and the years decided within the horizon (lead_time {e.lead_time or 0})")
            self.check_decision("expansions", label, r, e.lead_time)
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
        return PlanValues(dict(self.plan.act), dict(flows), dict(surplus), unmet, dict(self.plan.steps), dict(self.open),
                          dict(self.plan.inventory))

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


def check_plan(folder: Path, summary: dict[str, Any], inst: Instance, tol: float = CHECK_TOL) -> CheckReport:
    """Re-check the plan of results ``folder`` (its ``summary`` read) against the loaded instance ``inst``."""
    status = str(summary.get("status"))
    checker = Checker(inst, PlanTables(read_tables(folder)), summary, tol)
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

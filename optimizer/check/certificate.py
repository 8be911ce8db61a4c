r"""The optimality certificate: ``duals.csv`` checked as the dual solution of the plan's LP.

A plan :math:`x^\star` of the linear program

.. math:: \min\ c^\top x + K \quad \text{s.t.} \quad a_i x \;(=, \le, \ge)\; b_i, \qquad x \ge 0

is optimal exactly when row duals :math:`y` exist with

* **dual feasibility**: :math:`y_i \le 0` on a :math:`\le` row, :math:`y_i \ge 0` on a :math:`\ge`
  row (free on an equality), and every reduced cost :math:`\bar c_j = c_j - \sum_i y_i a_{ij} \ge 0`;
* **complementary slackness**: :math:`\bar c_j x_j = 0` and :math:`y_i (a_i x - b_i) = 0`;
* **strong duality**: :math:`c^\top x^\star + K = b^\top y + K`.

For a model with integer decisions (open flags, whole expansion steps) the LP is the one with
those decisions fixed at the plan's values: their terms move to the right-hand sides and into
:math:`K`; rows left holding only fixed decisions (``max_open``, ``open_stays_open``) drop out,
as do the rows that are implied once the decisions are fixed (``candidate_flow_link``, and
``open_link`` of an open candidate).  That LP is what ``m2m solve`` prices (``summary.json``
``duals: fixed_lp``), and its optimum is the plan reported.

Everything here is computed from the instance: the columns (which variables exist), the rows
(which constraints, with which coefficients), and the costs.  The duals come from
``duals.csv``, turned back from planner units into :math:`y` by each family's rule
(:data:`PRICED_FAMILIES`); the plan's values from the other result tables.  This module, like
:mod:`optimizer.check.checker`, never imports the model or solver code: a mistake there cannot certify
itself here.

Tolerances (``tol``, 1e-6 by default): a reduced cost passes when :math:`\bar c_j \ge -\text{tol}
\cdot \max(1, |c_j|, \sum_i |y_i a_{ij}|)`; a row's dual has the wrong sign when it is beyond
:math:`\text{tol} \cdot \max(1, \max_j |c_j|)`; each complementary product
(:math:`\bar c_j x_j`, :math:`y_i (a_i x - b_i)`) is a part of the duality gap and passes when
it is at most :math:`\text{tol} \cdot \max(1, |z|)`, and so must the whole gap
:math:`|z - (b^\top y + K)|`, where :math:`z` is ``summary.json``'s objective.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..input.instance import CLEAN, TOUCHED, Instance
from ..families import FAMILIES as ALL_FAMILIES, POLICY_FAMILIES
from ..families.base import DualSpec, LPRow as Row
from ..core.tolerances import CHECK_TOL

Col = tuple  # ("x", f, g, t) | ("F", o, d, p, g, t) | ("S", f, p, g, t) | ("D", f, p, t) | ("U", k, p, t) | ("z", f, t)


@dataclass
class PlanValues:
    """The plan, keyed like the LP's columns (per year; t/yr, units/yr, steps, 0/1)."""

    act: dict[tuple[str, str, int], float]
    flow: dict[tuple[str, str, str, str, int], float]
    surplus: dict[tuple[str, str, str, int], float]
    unmet: dict[tuple[str, str, int], float]
    steps: dict[tuple[str, int], float]
    open: dict[tuple[str, int], float]  # 1 for existing facilities in their operating years
    #: stores: (f, p, g, t) -> (level t, in t/yr, out t/yr)
    inventory: dict[tuple[str, str, str, int], tuple[float, float, float]] = field(default_factory=dict)


@dataclass
class Certificate:
    """Outcome: violation lines, rows and columns checked, the dual objective and the gap."""

    violations: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    primal: float = math.nan
    dual: float = math.nan

    @property
    def gap(self) -> float:
        """Relative duality gap |z - dual objective| / max(1, |z|)."""
        return abs(self.primal - self.dual) / max(1.0, abs(self.primal))


# ============================================================================================
# the LP, from the instance
# ============================================================================================


class LP:
    """Columns, costs and rows of the plan's LP, built from the instance and the fixed decisions."""

    def __init__(self, inst: Instance, plan: PlanValues):
        self.inst = inst
        self.plan = plan
        self.active = {f: set(inst.active_periods(f)) for f in inst.facilities}
        self.integer = {e.facility for e in inst.expansions if e.integer}
        self.cost: dict[Col, float] = {}
        self.value: dict[Col, float] = {}
        self.constant = 0.0
        self.columns()
        self.rows: list[Row] = []
        self.memo: dict[str, Any] = {}  # rows made in one pass for several families
        for family in PRICED_FAMILIES.values():
            self.rows.extend(r for r in family.lp_rows(self) if r.terms)
        self.downgrades()

    # ---- columns ----------------------------------------------------------------------------
    def add(self, col: Col, cost: float, value: float) -> None:
        self.cost[col] = self.cost.get(col, 0.0) + cost
        self.value[col] = value

    def columns(self) -> None:
        r"""Every continuous variable of the LP with its objective coefficient (discounted USD per unit)
        and its value in the plan; the fixed decisions' costs go to the constant K.

        x[f,g,t]: :math:`w_t (c_{ft} + \sum \text{payout}\, r^{out})` (price floors counted as a cost);
        F[o,d,p,g,t]: :math:`w_t (\text{transport} + \text{tariff})`; S[f,p,g,t]: :math:`-w_t v_{pt}`;
        D[f,p,t]: 0; U[k,p,t]: :math:`w_t \pi`; z[f,\tau] (continuous steps):
        :math:`\sum_{t \ge \tau} w_t A`.  K: fixed costs of existing facilities, fixed cost and capex
        annuity of open candidates, annuities of whole (integer) steps.
        """
        inst, plan = self.inst, self.plan
        w = inst.weight
        payout: dict[tuple[str, int], float] = defaultdict(float)
        for family in POLICY_FAMILIES:
            if family.activity_cost is not None:
                for k, c in family.activity_cost(inst).items():
                    payout[k] += c
        self.tags = {f: inst.output_tags(f) for f in inst.facilities}
        for f in inst.facilities:
            for t in sorted(self.active[f]):
                for g in self.tags[f]:
                    self.add(("x", f, g, t), w(t) * (inst.cost(f, t) + payout.get((f, t), 0.0)),
                             plan.act.get((f, g, t), 0.0))
        self.arriving: dict[tuple[str, str, int], list[Col]] = defaultdict(list)
        for lane in inst.lanes:
            o, d, p = lane.origin, lane.destination, lane.product
            for t in inst.periods:
                for g in inst.lane_tags(lane, t):
                    col = ("F", o, d, p, g, t)
                    self.add(col, w(t) * (inst.lane_cost(lane, t) + inst.lane_tariff(lane, t)),
                             plan.flow.get((o, d, p, g, t), 0.0))
                    self.arriving[d, p, t].append(col)
        for f in inst.facilities:
            for p in inst.outputs[f]:
                for t in sorted(self.active[f]):
                    v = inst.surplus_value(p, t)
                    if v is not None:
                        for g in self.tags[f]:
                            self.add(("S", f, p, g, t), -w(t) * v, plan.surplus.get((f, p, g, t), 0.0))
        self.stores()
        if inst.tracks_provenance:
            clean_in = {(d, p, t) for (_, o, d, p, g, t) in (c for c in self.cost if c[0] == "F")
                        if g == CLEAN and d in inst.facilities}
            clean_in |= {(f, p, t) for (k, f, p, g, t) in (c for c in self.cost if c[0] == "I")
                         if g == CLEAN and p in inst.inputs[f]}
            for f in inst.facilities:
                if TOUCHED in self.tags[f]:
                    for p in inst.inputs[f]:
                        for t in inst.periods:
                            if (f, p, t) in clean_in:
                                self.add(("D", f, p, t), 0.0, 0.0)  # value: see downgrades()
        for d in inst.demands:
            if d.penalty is not None:
                self.add(("U", d.customer, d.product, d.period), w(d.period) * d.penalty,
                         plan.unmet.get((d.customer, d.product, d.period), 0.0))
        for e in inst.expansions:
            f, annuity = e.facility, inst.step_annuity(e)
            for tau in inst.step_periods(e):
                charge = sum(w(t) * annuity for t in self.active[f] if t >= tau)
                z = plan.steps.get((f, tau), 0.0)
                if e.integer:
                    self.constant += charge * round(z)
                else:
                    self.add(("z", f, tau), charge, z)
        for f, fac in inst.facilities.items():
            for t in self.active[f]:
                y = self.open_flag(f, t)
                self.constant += w(t) * (fac.fixed_cost + (inst.open_annuity(f) if fac.status == "candidate" else 0.0)) * y

    def stores(self) -> None:
        r"""Store columns: L[f,p,g,t] (t) costs :math:`w_{t^+} h` (the holding charged in the next
        period on the level it starts from; 0 in the last), I and O[f,p,g,t] (t/yr) cost
        :math:`\pm w_t h \kappa_t`; the initial stock's holding in the first period goes to K."""
        inst, plan, w = self.inst, self.plan, self.inst.weight
        after = {t: (inst.periods[i + 1] if i + 1 < len(inst.periods) else None) for i, t in enumerate(inst.periods)}
        for (f, p), st in inst.storage.items():
            h = st.holding_cost
            self.constant += w(inst.periods[0]) * h * st.initial
            for g in inst.store_tags:
                for t in inst.periods:
                    level, put, took = plan.inventory.get((f, p, g, t), (0.0, 0.0, 0.0))
                    nxt = after[t]
                    self.add(("L", f, p, g, t), w(nxt) * h if nxt is not None else 0.0, level)
                    if t in self.active[f]:
                        k = w(t) * h * inst.holding_factor(t)
                        self.add(("I", f, p, g, t), k, put)
                        self.add(("O", f, p, g, t), -k, took)

    def open_flag(self, f: str, t: int) -> float:
        """y[f,t]: 1 for an existing facility, the plan's 0/1 for a candidate."""
        if self.inst.facilities[f].status == "existing":
            return 1.0
        return float(round(self.plan.open.get((f, t), 0.0)))

    def steps(self, f: str, upto: int) -> tuple[list[Col], float]:
        """Continuous step columns of f built up to ``upto``, and the whole steps built (fixed)."""
        cols = [c for c in self.step_cols.get(f, []) if c[2] <= upto]
        fixed = sum(round(z) for (g, tau), z in self.plan.steps.items() if g == f and tau <= upto) if f in self.integer else 0.0
        return cols, fixed

    @cached_property
    def step_cols(self) -> dict[str, list[Col]]:
        """facility -> its continuous step columns z[f,tau]."""
        out: dict[str, list[Col]] = defaultdict(list)
        for c in self.cost:
            if c[0] == "z":
                out[c[1]].append(c)
        return out

    def output(self, f: str, t: int, product: str | None, tag: str | None = None) -> dict[Col, float]:
        """Output of ``product`` (activity if None) at f in t as columns: :math:`r^{out}_{fp} x[f,g,t]`."""
        ratio = 1.0 if product is None else self.inst.outputs[f].get(product, 0.0)
        if not ratio or t not in self.active[f]:
            return {}
        return {("x", f, g, t): ratio for g in self.tags[f] if tag is None or g == tag}

    def downgrades(self) -> None:
        """D[f,p,t] is not in the tables: it is what the clean row of (f, p) leaves over."""
        clean_row = {(r.key[0], r.key[1], r.key[3]): r for r in self.rows
                     if r.family in ("product_balance", "input_balance") and r.key[2] == CLEAN}
        for col in [c for c in self.cost if c[0] == "D"]:
            row = clean_row.get(col[1:])
            if row is not None:
                rest = sum(a * self.value[c] for c, a in row.terms.items() if c != col)
                self.value[col] = max(0.0, rest)

    def activity(self, row: Row) -> float:
        return sum(a * self.value[c] for c, a in row.terms.items())


#: The LP's families (those whose rows report a dual), in the order of the model's constraints:
#: each gives its rows from the instance and reads its duals.csv value back into y
#: (``lp_rows``, ``dual.to_lp``; see :mod:`optimizer.families`).
PRICED_FAMILIES = {f.name: f for f in ALL_FAMILIES if f.lp_rows is not None and isinstance(f.dual, DualSpec)}


# ============================================================================================
# the certificate
# ============================================================================================


def num(x: float | None) -> str:
    """A number for a violation line: up to 10 significant digits, no trailing zeros."""
    return "blank" if x is None else f"{x:.10g}"


def certify(inst: Instance, plan: PlanValues, duals: list[dict[str, Any]], objective: float,
            tol: float = CHECK_TOL) -> Certificate:
    """Check ``duals`` (rows of duals.csv: constraint, index, value, unit, _line) as an optimality
    certificate of ``plan`` with objective ``objective`` (USD, discounted)."""
    lp = LP(inst, plan)
    out = Certificate(primal=objective)
    checked: dict[str, int] = defaultdict(int)

    def fail(part: str, label: str, message: str) -> None:
        out.violations.append(f"{part} {label}: {message}")

    rows = {(r.family, r.index): r for r in lp.rows}
    y: dict[tuple[str, str], float] = {}
    for d in duals:
        key = (d["constraint"], d["index"])
        row = rows.get(key)
        if row is None:
            if d["value"] != 0.0:
                fail("dual", f"{d['constraint']} {d['index'].replace('|', ' ')}",
                     f"duals.csv line {d['_line']} prices no row of the LP")
            continue
        y[key] = y.get(key, 0.0) + PRICED_FAMILIES[row.family].dual.to_lp(d["value"], row, d["unit"], inst)

    scale = max([1.0] + [abs(c) for c in lp.cost.values()])
    gap_tol = tol * max(1.0, abs(objective))
    rc = dict(lp.cost)
    size = {c: abs(v) for c, v in lp.cost.items()}
    dual_objective = lp.constant
    for key, row in rows.items():
        checked["dual_sign"] += 1
        yi = y.get(key, 0.0)
        label = f"{row.family} {row.index.replace('|', ' ')}"
        wrong = yi if row.sense == "<=" else (-yi if row.sense == ">=" else 0.0)
        if wrong > tol * scale:
            fail("dual_sign", label, f"dual {num(yi)} has the wrong sign for a {row.sense} row")
        if yi:
            dual_objective += yi * row.rhs
            for c, a in row.terms.items():
                rc[c] -= yi * a
                size[c] += abs(yi * a)
            product = yi * (lp.activity(row) - row.rhs)
            checked["complementary"] += 1  # a priced row must be tight
            if abs(product) > gap_tol:
                fail("complementary", label, f"dual {num(yi)} on a row with slack {num(lp.activity(row) - row.rhs)} "
                                             f"(adds {num(product)} USD to the duality gap)")
    for c, r in rc.items():
        checked["reduced_cost"] += 1
        label = " ".join(map(str, c))
        if r < -tol * max(1.0, size[c]):
            fail("reduced_cost", label, f"reduced cost {num(r)} < 0: the plan could be cheaper by raising it")
        product = r * lp.value[c]
        if lp.value[c]:
            checked["complementary"] += 1  # a used column must have a zero reduced cost
        if abs(product) > gap_tol:
            fail("complementary", label, f"value {num(lp.value[c])} with reduced cost {num(r)} "
                                         f"(adds {num(product)} USD to the duality gap)")
    checked["strong_duality"] += 1
    out.dual = dual_objective
    if abs(objective - dual_objective) > gap_tol:
        fail("strong_duality", "summary.json", f"objective {num(objective)} != dual objective {num(dual_objective)} "
                                              f"(gap {out.gap:.3g} relative, tolerance {tol:g})")
    out.checked = dict(checked)
    return out

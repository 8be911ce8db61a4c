"""Stage 4: turn a solved model into tidy pandas tables and the summary.

Every table here is part of the results contract documented in ``docs/results.md``: columns
are only ever added, never renamed: they are declared in :mod:`optimizer.core.contract`.  Values
below ``ZERO`` are treated as zero and flows that are zero are not listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Collection

import pandas as pd

from ..core.tolerances import DUAL_ZERO, HALF
from ..core.contract import BINDING_TOL, PLAN_TABLES, RESULT_TABLES, TRANSFER_TERMS, ZERO, ZERO_DENOMINATOR
from ..families import ALWAYS_LISTED  # families whose duals are listed with zeros
from ..input.instance import by_period
from ..model.build import MODEL_TERMS, Built, lin_value
from ..input.schema import DEFAULT_LIFETIME, MaxShare, Offtake
from .solver import Solution


#: Columns of each results table of a plan, in the contract's order.
COLUMNS: dict[str, list[str]] = {name: RESULT_TABLES[name].names for name in PLAN_TABLES}



@dataclass(frozen=True)
class Results:
    """A solution as the results contract's tables, and the run's summary (summary.json)."""

    tables: dict[str, pd.DataFrame]
    summary: dict[str, Any]


def _v(var: Any) -> float:
    x = var.value
    return 0.0 if x is None or abs(x) < ZERO else float(x)


def _clip(x: float) -> float:
    """Solver noise below ZERO is zero (and never a negative zero)."""
    return 0.0 if abs(x) < ZERO else float(x) + 0.0


def _frame(name: str, rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=COLUMNS[name])
    return df


def _capacity(c: float | None) -> float:
    """A capacity for a table: NaN (written blank) when unlimited."""
    return float("nan") if c is None else c


def flows_table(b: Built) -> pd.DataFrame:
    rows = [
        {"origin": o, "destination": d, "product": p, "period": t, "provenance": g, "quantity": q}
        for (o, d, p, g, t), var in b.model.flow.items()
        if (q := _v(var)) > 0
    ]
    return _frame("flows", rows).sort_values(["period", "origin", "destination", "product", "provenance"], ignore_index=True)


def effective_capacity(b: Built) -> dict[tuple[str, int], float | None]:
    """Capacity available to each facility and year after opening and expansions (None: unlimited)."""
    inst, m = b.inst, b.model
    size = {e.facility: e.size for e in inst.expansions}
    out: dict[tuple[str, int], float | None] = {}
    for f, fac in inst.facilities.items():
        built_steps = 0.0
        for t in inst.active_periods(f):
            if (f, t) in m.steps:
                built_steps += _v(m.steps[f, t])
            base = inst.base_capacity(f, t)
            is_open = _v(m.open[f, t]) if (f, t) in m.open else 1.0
            if base is None:  # unlimited while open (a shut candidate has none)
                out[f, t] = None if is_open > HALF else 0.0
                continue
            out[f, t] = base * is_open + size.get(f, 0.0) * built_steps
    return out


def opened(b: Built) -> dict[tuple[str, int], bool]:
    """(candidate, year) -> True in the year the candidate opens."""
    inst, m = b.inst, b.model
    out = {}
    for f, fac in inst.facilities.items():
        if fac.status == "candidate":
            was = 0
            for t in inst.active_periods(f):
                now = round(_v(m.open[f, t]))
                out[f, t] = bool(now and not was)
                was = now
    return out


def activity_table(b: Built) -> pd.DataFrame:
    """Activity by facility, year and tag, with the capacity available and what was built."""
    inst, m = b.inst, b.model
    cap = effective_capacity(b)
    opens = opened(b)
    size = {e.facility: e.size for e in inst.expansions}
    rows = []
    for f, fac in inst.facilities.items():
        for t in inst.active_periods(f):
            is_open = round(_v(m.open[f, t])) if (f, t) in m.open else 1
            built = _capacity(inst.base_capacity(f, t)) if opens.get((f, t)) else 0.0
            if (f, t) in m.steps:
                built += _v(m.steps[f, t]) * size[f]
            c = cap[f, t]
            for g in inst.output_tags(f):
                rows.append({
                    "facility": f, "period": t, "provenance": g, "activity": _v(m.activity[f, g, t]),
                    "capacity": float("nan") if c is None else c, "open": int(is_open), "built": built,
                    "stage": fac.stage, "country": fac.country,
                })
    return _frame("activity", rows)


def unmet_table(b: Built) -> pd.DataFrame:
    m = b.model
    rows = []
    for d in b.inst.demands:
        k = (d.customer, d.product, d.period)
        delivered = sum(_v(var) for _o, _g, var in b.flows_in.get(k, []))
        unmet = _v(m.unmet[k]) if k in m.unmet else 0.0
        rows.append({
            "customer": d.customer, "product": d.product, "period": d.period, "provenance": d.provenance,
            "demand": d.quantity, "delivered": delivered, "unmet": unmet,
            "penalty": float("nan") if d.penalty is None else d.penalty,
        })
    return _frame("unmet", rows)


def surplus_table(b: Built) -> pd.DataFrame:
    rows = []
    for (f, p, g, t), var in b.model.surplus.items():
        q = _v(var)
        if q > 0:
            value = b.inst.surplus_value(p, t)
            rows.append({"facility": f, "product": p, "period": t, "provenance": g,
                         "quantity": q, "value_per_t": value, "value": q * value})
    return _frame("surplus", rows)


def shares_table(b: Built, act: pd.DataFrame | None = None) -> pd.DataFrame:
    """Shares under each max_share policy, then the provenance group's share of every stage's
    production of each of its products (t/yr located in the group over t/yr made).  ``act``: the
    plan's :func:`activity_table`, when already made."""
    inst = b.inst
    rows = []
    for (name, t), info in sorted(b.share_rows.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        pol: MaxShare = info["policy"]
        num, den = _clip(lin_value(info["num"])), _clip(lin_value(info["den"]))
        group, members = inst.share_group(pol)
        empty = den <= ZERO_DENOMINATOR
        rows.append({
            "policy": name, "stage": pol.stage or ("customers:" + ";".join(pol.customers or [])), "period": t,
            "basis": pol.basis, "group": group, "numerator": num, "denominator": den,
            "share": float("nan") if empty else num / den, "cap": info["cap"],
            # tight: with an empty denominator the row holds as 0 <= 0, which only a shut stage allows
            "binding": bool(info["cap"] < 1.0) if empty else bool(num / den >= info["cap"] - BINDING_TOL),
            "product": (pol.product or "") if pol.customers else inst.stage_product(pol.stage, pol.product),
            "members": inst.country_names(members),
            "note": (f"nothing counted in the denominator in {t}: the share is undefined and the cap holds only as "
                     "0 <= 0 (see the dual of the row, USD per t)") if empty else "",
        })
    act = activity_table(b) if act is None else act
    if not act.empty:
        covered = inst.covered_countries
        made: dict[tuple[str, str, int], list[float]] = {}
        for f, t, x, stage, country in act[["facility", "period", "activity", "stage", "country"]].itertuples(index=False):
            for p, ratio in inst.outputs[f].items():
                cell = made.setdefault((stage, p, int(t)), [0.0, 0.0])
                cell[1] += ratio * x
                if country in covered:
                    cell[0] += ratio * x
        members = inst.country_names(covered)
        for (s, p, t), (num, den) in sorted(made.items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][1])):
            num, den = _clip(num), _clip(den)
            rows.append({
                "policy": "", "stage": s, "period": t, "basis": "location", "group": inst.provenance_group,
                "numerator": num, "denominator": den, "share": num / den if den > ZERO_DENOMINATOR else float("nan"),
                "cap": float("nan"), "binding": False, "product": p, "members": members, "note": "",
            })
    return _frame("shares", rows)


def offtakes_table(b: Built) -> pd.DataFrame:
    inst = b.inst
    rows = []
    for pol in inst.policies:
        if not isinstance(pol, Offtake):
            continue
        for t in inst.policy_periods(pol):
            q = by_period(pol.quantity, t)
            if q is None:
                continue
            delivered = sum(_v(var) for o, g, var in b.flows_in.get((pol.customer, pol.product, t), [])
                            if inst.offtake_counts(pol, o, g))
            rows.append({"policy": pol.name, "customer": pol.customer, "product": pol.product, "period": t,
                         "provenance": pol.provenance, "required": q, "delivered": delivered,
                         "short": max(0.0, q - delivered)})
    return _frame("offtakes", rows)


def costs_table(b: Built) -> pd.DataFrame:
    """Cost terms (kind ``cost``, in the objective) then transfers (kind ``transfer``, not in it), per period."""
    rows = []
    for kind, terms, exprs in (("cost", MODEL_TERMS, b.costs), ("transfer", TRANSFER_TERMS, b.transfers)):
        for term in terms:
            for t in b.inst.periods:
                expr = exprs.get(term, {}).get(t)
                if expr is None:
                    continue
                cost = float(lin_value(expr)) + 0.0  # no negative zeros in the tables
                w = b.weight(t)
                rows.append({"term": term, "period": t, "cost": cost, "discount_factor": b.inst.discount(t),
                             "discounted": cost * w, "years": b.inst.years(t), "weight": w, "kind": kind})
    return _frame("costs", rows)


def lifetime(row: Any) -> float:
    """Years a row's capex is annualised over (blank when it has no capex)."""
    return float(row.lifetime or DEFAULT_LIFETIME) if row.capex else float("nan")


def investments_table(b: Built) -> pd.DataFrame:
    """What was built: candidates opened and expansion steps, with their capex (USD)."""
    inst, m = b.inst, b.model
    rows = [
        {"facility": f, "period": t, "kind": "open", "steps": 1.0,
         "capacity_added": _capacity(inst.base_capacity(f, t)), "capex": inst.facilities[f].capex,
         "lifetime": lifetime(inst.facilities[f]), "annuity": inst.open_annuity(f),
         "lead_time": inst.facilities[f].lead_time or 0, "decision_year": t - (inst.facilities[f].lead_time or 0)}
        for (f, t), is_new in opened(b).items() if is_new
    ]
    for e in inst.expansions:
        for t in inst.periods:
            if (e.facility, t) in m.steps and (s := _v(m.steps[e.facility, t])) > 0:
                rows.append({"facility": e.facility, "period": t, "kind": "expansion", "steps": s,
                             "capacity_added": s * e.size, "capex": s * e.capex, "lifetime": lifetime(e),
                             "annuity": s * inst.step_annuity(e), "lead_time": e.lead_time or 0,
                             "decision_year": t - (e.lead_time or 0)})
    return _frame("investments", rows).sort_values(["period", "facility"], ignore_index=True)


#: Families whose rows belong to one facility and year (index: facility first, year last).
FACILITY_ROWS = ("product_balance", "input_balance", "capacity_limit", "activity_floor", "open_link")

#: Rows that material flows through: with nothing flowing, their dual is not determined by the
#: plan.  (A policy row held at zero, such as an export ban, prices what relaxing it would save;
#: a share cap on an empty denominator has its own note.)
FLOW_ROWS = FACILITY_ROWS + ("lane_capacity",)


def shut_candidates(b: Built) -> set[tuple[str, int]]:
    """(candidate, year) pairs in which the candidate is shut in the plan."""
    return {k for k, var in b.model.open.items() if _v(var) < HALF}


def dual_note(b: Built, family: str, k: tuple, con: Any, shut: set[tuple[str, int]], idle: Any) -> str:
    """Why a row's dual is not a price, or "" when it is one.

    Rows of a candidate that stays shut price nothing the plan uses; a row nothing flows through
    (all its variables zero, ``idle``, and the row tight) has a dual the plan does not determine:
    any value in a range prices the plan equally, and the solver reports one of them.
    """
    note = b.families[family].note_of(k, b)
    if note:
        return note
    if family in FACILITY_ROWS and (k[0], k[-1]) in shut:
        return f"{k[0]} is a candidate that stays shut in {k[-1]}: this row prices nothing the plan uses"
    if family in FLOW_ROWS and con in idle:
        # the body is linear without a constant, so it is 0 here: the row is tight if a bound is 0
        if any(x is not None and abs(x) <= ZERO for x in (con.lb, con.ub)):
            return ("nothing flows through this row in the plan: its dual is one of a range of values that price the "
                    "plan equally, not a price")
    return ""


def duals_table(b: Built, sol: Solution, families: Collection[str] | None = None) -> pd.DataFrame:
    """The duals of every family that reports them (of ``families`` only, when given)."""
    rows = []
    if not sol.duals:
        return _frame("duals", rows)
    shut = shut_candidates(b)
    for family, spec in b.families.items():
        if families is not None and family not in families:
            continue
        comp = getattr(b.model, family, None)
        if comp is None:
            continue
        for idx, con in comp.items():
            raw = sol.duals.get(con)
            if raw is None:
                continue
            k = idx if isinstance(idx, tuple) else (idx,)
            value = raw * spec.scale(k, b)
            value = 0.0 if abs(value) < DUAL_ZERO else value
            if value == 0.0 and family not in ALWAYS_LISTED:
                continue
            rows.append({"constraint": family, "index": "|".join(map(str, k)), "value": value,
                         "unit": spec.unit_of(k, b), "meaning": spec.meaning(k, b), "note": dual_note(b, family, k, con, shut, sol.idle_rows)})
    return _frame("duals", rows)


def inventory_table(b: Built) -> pd.DataFrame:
    """Every store's level at the end of each period and what entered and left it, by tag."""
    m = b.model
    rows = [{"facility": f, "product": p, "period": t, "provenance": g, "level": _v(var),
             "in": _v(m.store_in[f, p, g, t]) if (f, p, g, t) in m.store_in else 0.0,
             "out": _v(m.store_out[f, p, g, t]) if (f, p, g, t) in m.store_out else 0.0}
            for (f, p, g, t), var in m.stock.items()]
    return _frame("inventory", rows).sort_values(["facility", "product", "period", "provenance"], ignore_index=True)


def extract(b: Built, sol: Solution, duals_of: Collection[str] | None = None) -> Results:
    """All result tables for a solved model (empty tables when there is no solution); the duals
    table lists the families ``duals_of`` only, when given."""
    if not sol.status.has_solution:
        return Results({name: _frame(name, []) for name in COLUMNS}, {})
    activity = activity_table(b)
    tables = {
        "flows": flows_table(b),
        "activity": activity,
        "unmet": unmet_table(b),
        "surplus": surplus_table(b),
        "shares": shares_table(b, activity),
        "offtakes": offtakes_table(b),
        "duals": duals_table(b, sol, duals_of),
        "costs": costs_table(b),
        "investments": investments_table(b),
        "inventory": inventory_table(b),
    }
    return Results(tables, {})


def cost_breakdown(costs: pd.DataFrame) -> dict[str, float]:
    """Discounted total per cost term (USD); the terms sum to the objective (transfers are not among them)."""
    costs = costs[costs["kind"] == "cost"]
    out = costs.groupby("term", sort=False)["discounted"].sum() if not costs.empty else {}
    return {term: float(out[term]) if term in out else 0.0 for term in MODEL_TERMS
            if term != "violation" or term in out}


def transfers_summary(costs: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Each transfer term: USD per year by period, the total over the years the periods stand for (USD of each
    year) and the discounted total (USD of the first period).  Not part of the objective."""
    out: dict[str, dict[str, Any]] = {}
    rows = costs[costs["kind"] == "transfer"]
    for term in TRANSFER_TERMS:
        mine = rows[rows["term"] == term]
        if mine.empty:
            continue
        out[term] = {
            "by_period": {str(int(t)): float(c) for t, c in zip(mine["period"], mine["cost"])},
            "total": float((mine["cost"] * mine["years"]).sum()),
            "discounted": float(mine["discounted"].sum()),
        }
    return out


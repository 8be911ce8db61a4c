"""The overview of a comparison: one table a planner reads first (costs, shares, offtakes,
unmet demand, top duals), and its console print.

Made by :func:`optimizer.tools.compare.compare`; printed by ``m2m compare``.
"""

from __future__ import annotations

import math
from typing import Sequence

import pandas as pd

from ..families import DEMAND_DUALS, POLICY_DUALS

from .plans import Plan


def terms(plans: Sequence[Plan]) -> list[str]:
    """Cost terms that are not zero in at least one plan, in the order the plans report them."""
    return list(dict.fromkeys(t for p in plans for t, v in p.cost_breakdown.items() if v != 0))


def _usd(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


def _pct(x: float | None) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1%}"


def _t(x: float) -> str:
    return f"{x:,.1f}"


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.4g}"


def overview(plans: Sequence[Plan], top: int) -> tuple[pd.DataFrame, list[str]]:
    names = [p.name for p in plans]
    rows: list[dict[str, str]] = []
    notes: list[str] = []
    ref = plans[0]

    def add(section: str, item: str, values: dict[str, str]) -> None:
        rows.append({"section": section, "item": item, **{n: values.get(n, "-") for n in names}})

    solved = [p for p in plans if p.solved]
    for p in plans:
        if not p.solved:
            notes.append(f"{p.name} has no solution (status {p.status}): its columns are blank "
                         "and it is left out of the diff tables")

    # ---- plan and costs -----------------------------------------------------------------
    add("plan", "status", {p.name: p.status for p in plans})
    add("plan", "total cost (USD, discounted)", {p.name: _usd(p.objective) for p in plans})
    add("plan", f"change vs {ref.name} (USD)", {
        p.name: ("reference" if p is ref else
                 "-" if p.objective is None or ref.objective is None else f"{p.objective - ref.objective:+,.0f}")
        for p in plans
    })
    for term in terms(plans):
        add("cost terms (USD, discounted)", term,
            {p.name: _usd(p.cost_breakdown.get(term, 0.0)) for p in solved})
    for term in dict.fromkeys(t for p in solved for t in p.transfers):
        for what, label in (("discounted", "USD, discounted"), ("total", "USD, sum over the years")):
            add("transfers, not in the total cost", f"{term} ({label})",
                {p.name: _usd(p.transfers.get(term, {}).get(what, 0.0)) for p in solved})

    # ---- the provenance group's share of each stage's products ---------------------------------
    overview = {p.name: p.tables["shares"][p.tables["shares"]["policy"] == ""] for p in solved}
    groups = sorted({f"{g} group ({m})" if m else f"{g} group" for df in overview.values()
                     for g, m in zip(df["group"], df["members"]) if g})
    group = "/".join(groups) or "group"
    keys = sorted({(s, q, int(t)) for df in overview.values() for s, q, t in zip(df["stage"], df["product"], df["period"])})
    share = {p: {(s, q, int(t)): v for s, q, t, v in zip(df["stage"], df["product"], df["period"], df["share"])}
             for p, df in overview.items()}
    zero = []
    for stage, product in sorted({(s, q) for s, q, _ in keys}):
        years = [t for s, q, t in keys if (s, q) == (stage, product)]
        values = [share[p].get((stage, product, t)) for p in share for t in years]
        if all(v is None or v != v or v == 0 for v in values):  # 0 or undefined (nothing made) everywhere
            zero.append(f"{stage} {product}")
            continue
        for t in years:
            add(f"{group} share of each stage's tonnes (location)", f"{stage} {product} {t}",
                {p: _pct(share[p].get((stage, product, t))) for p in share})
    if zero:
        notes.append(f"{group} share is 0.0% (or nothing is made) in every year and plan at: {', '.join(zero)}")

    # ---- share policies against their caps ---------------------------------------------------
    policy_rows: dict[tuple[str, int], dict[str, str]] = {}
    for p in solved:
        df = p.tables["shares"]
        for pol, t, v, cap in zip(df["policy"], df["period"], df["share"], df["cap"]):
            if pol:
                policy_rows.setdefault((pol, int(t)), {})[p.name] = f"{_pct(v)} (cap {_pct(cap)})"
    for (pol, t), values in sorted(policy_rows.items()):
        add("share policies (share, cap)", f"{pol} {t}", values)

    # ---- offtakes ------------------------------------------------------------------------------
    offtakes: dict[tuple[str, int], dict[str, str]] = {}
    for p in solved:
        df = p.tables["offtakes"]
        for pol, t, d, r in zip(df["policy"], df["period"], df["delivered"], df["required"]):
            offtakes.setdefault((pol, int(t)), {})[p.name] = f"{_t(d)} / {_t(r)}"
    for (pol, t), values in sorted(offtakes.items()):
        add("offtakes (delivered / required, t)", f"{pol} {t}", values)

    # ---- unmet demand ---------------------------------------------------------------------------
    unmet = {p.name: p.tables["unmet"].groupby("product")["unmet"].sum() for p in solved}
    add("unmet demand (t)", "total", {n: _t(float(s.sum())) for n, s in unmet.items()})
    for product in sorted({k for s in unmet.values() for k, v in s.items() if v > 0}):
        add("unmet demand (t)", product, {n: _t(float(s.get(product, 0.0))) for n, s in unmet.items()})

    # ---- what is built ----------------------------------------------------------------------------
    built: dict[tuple[str, str], dict[str, list[str]]] = {}
    for p in solved:
        df = p.tables["investments"].sort_values(["period", "facility", "kind"], kind="mergesort")
        for f, t, kind, cap in zip(df["facility"], df["period"], df["kind"], df["capacity_added"]):
            built.setdefault((f, kind), {}).setdefault(p.name, []).append(f"{int(t)} +{cap:,.0f}")
    for (f, kind), values in sorted(built.items()):
        add("built (year +capacity)", f"{f} {kind}", {n: "; ".join(values.get(n, [])) or "-" for n in (p.name for p in solved)})

    # ---- the largest duals ------------------------------------------------------------------------
    for title, families in (("top policy duals", POLICY_DUALS), ("top demand duals", DEMAND_DUALS)):
        for (family, index, unit), values in _top_duals(solved, families, top):
            add(title, f"{family} {index} ({unit})", {n: _num(v) for n, v in values.items()})

    return pd.DataFrame(rows, columns=["section", "item", *names]), notes


def _top_duals(plans: Sequence[Plan], families: tuple[str, ...], top: int) -> list[tuple[tuple[str, str, str], dict[str, float]]]:
    """The ``top`` rows of these families with the largest |value| in any plan (ties by name)."""
    by_key: dict[tuple[str, str], dict[str, float]] = {}
    units: dict[tuple[str, str], str] = {}
    for p in plans:
        df = p.tables["duals"]
        df = df[df["constraint"].isin(families)]
        for c, i, v, u in zip(df["constraint"], df["index"], df["value"], df["unit"]):
            if isinstance(v, float) and math.isnan(v):
                continue
            by_key.setdefault((c, i), {})[p.name] = float(v)
            units.setdefault((c, i), u)
    # Ranked by the largest |value| to 6 significant digits (solver noise does not reorder ties),
    # then by family and index.
    size = {k: float(f"{max(abs(v) for v in values.values()):.6g}") for k, values in by_key.items()}
    ranked = sorted((k for k in by_key if size[k] > 0), key=lambda k: (-size[k], k))
    return [((c, i, units[c, i]), by_key[c, i]) for c, i in ranked[:top]]


def hedge_overview(plans: Sequence[Plan], top: int) -> tuple[pd.DataFrame, list[str]]:
    """The overview of plans across outcomes: the risk figures, then each outcome's overview."""
    from ..core.risk import cvar, expected, risk_objective
    from ..input.schema import Risk

    ref = plans[0]
    u = ref.summary.get("uncertainty") or {}
    risk = Risk(**(u.get("risk") or {}))
    names, probs = ref.outcomes, ref.probabilities
    rows: list[dict[str, str]] = []

    def usd(x: float | None) -> str:
        return "-" if x is None else f"{x:,.0f}"

    costs = {p.name: [p.outcome(o).objective for o in names] for p in plans}
    full = {n: None if any(c is None for c in cs) else [float(c) for c in cs] for n, cs in costs.items()}
    section = f"across outcomes (revealed in {u.get('reveal')})"
    measure = "expected cost" if risk.measure == "expected" else f"(1-{risk.weight:g}) x expected + {risk.weight:g} x CVaR"
    figures = [(f"objective: {measure} (USD)", lambda cs: risk_objective(cs, probs, risk)),
               ("expected cost (USD)", lambda cs: expected(cs, probs))]
    if risk.alpha is not None:
        figures.append((f"CVaR at {risk.alpha:g} (USD)", lambda cs: cvar(cs, probs, float(risk.alpha))))
    figures.append(("worst outcome cost (USD)", max))
    for item, fn in figures:
        rows.append({"section": section, "item": item, **{n: usd(fn(cs)) if cs is not None else "-" for n, cs in full.items()}})
    base = full[ref.name]
    rows.append({"section": section, "item": f"expected change vs {ref.name} (USD)",
                 **{p.name: "reference" if p is ref else ("-" if base is None or full[p.name] is None else
                                                          f"{expected(full[p.name], probs) - expected(base, probs):+,.0f}")
                    for p in plans}})
    notes: list[str] = []
    frames = [pd.DataFrame(rows)]
    for o, prob in zip(names, probs):
        table, sub_notes = overview([p.outcome(o) for p in plans], top)
        table["section"] = f"{o} (p={prob:g}): " + table["section"]
        frames.append(table)
        notes.extend(f"{o}: {n}" for n in sub_notes)
    return pd.concat(frames, ignore_index=True), notes

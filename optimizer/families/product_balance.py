r"""``product_balance``: every facility's product balance, per provenance tag and year (t/yr).

.. math:: \sum_o F[o,f,p,g,t] + r^{out}_{fp} x[f,g,t] \pm D[f,p,t]
          = \sum_d F[f,d,p,g,t] + r^{in}_{fp} x[f,g,t] + S[f,p,g,t]

where D (clean input used by the touched mode) leaves the clean row and enters the touched row.
A product the facility both consumes and makes (a hub, port or toll processor passing it on)
has two rows instead, so that what passes through is activity, bounded by capacity and paying
its cost: this family for what is made, :math:`r^{out}_{fp} x = \sum_d F + S`, and
``input_balance`` (:mod:`optimizer.families.input_balance`) for what arrives.  The dual is the
marginal cost of the product at the facility (USD/t).
"""

from __future__ import annotations

from collections import defaultdict

from ..core.contract import CLEAN, TOUCHED
from .base import BuildContext, CheckContext, DualSpec, LPRow, NetworkFamily, Terms


def num(x: float | None) -> str:
    """A number for a violation line: up to 10 significant digits."""
    return "blank" if x is None else f"{x:.10g}"


# ---- the rows, made in one pass for both balance families ------------------------------------
def tables(ctx: BuildContext) -> tuple[dict[tuple, Terms], dict[tuple, Terms]]:
    """(product rows, input rows) of every (f, p, g, t), as terms; made once per build."""
    if "balances" in ctx.memo:
        return ctx.memo["balances"]
    inst = ctx.inst
    passing = inst.pass_through
    rows: dict[tuple[str, str, str, int], Terms] = defaultdict(list)
    arriving: dict[tuple[str, str, str, int], Terms] = defaultdict(list)

    def inbound(f: str, p: str) -> dict[tuple[str, str, str, int], Terms]:
        return arriving if (f, p) in passing else rows

    for (f, g, t), v in ctx.activity.items():
        for p, r in inst.outputs[f].items():
            rows[f, p, g, t].append((r, v))
        for p, r in inst.inputs[f].items():
            inbound(f, p)[f, p, g, t].append((-r, v))
    for (o, d, p, g, t), v in ctx.flow.items():
        rows[o, p, g, t].append((-1.0, v))
        if d in inst.facilities:
            inbound(d, p)[d, p, g, t].append((1.0, v))
    for (f, p, g, t), v in ctx.surplus.items():
        rows[f, p, g, t].append((-1.0, v))
    for (f, p, g, t), v in ctx.store_in.items():  # a store sits where p arrives (or, if f only makes p, is made)
        inbound(f, p)[f, p, g, t].append((-1.0, v))
    for (f, p, g, t), v in ctx.store_out.items():
        inbound(f, p)[f, p, g, t].append((1.0, v))
    for (f, p, t), v in ctx.downgrade.items():
        inbound(f, p)[f, p, CLEAN, t].append((-1.0, v))
        inbound(f, p)[f, p, TOUCHED, t].append((1.0, v))
    ctx.memo["balances"] = (rows, arriving)
    return rows, arriving


def equalities(table: dict[tuple, Terms]) -> dict[tuple, tuple[float, Terms, float]]:
    """Rows ``terms == 0`` in key order."""
    return {k: (0.0, table[k], 0.0) for k in sorted(table)}


def build(ctx: BuildContext) -> None:
    ctx.add_rows("product_balance", equalities(tables(ctx)[0]))


# ---- m2m check ----------------------------------------------------------------------------------
def balance_keys(ctx: CheckContext) -> list[tuple[str, str, int]]:
    """Every (facility, product, year) with a balance: the facility's products in its operating
    years, and any the tables mention."""
    inst, plan = ctx.inst, ctx.plan
    keys = {(f, p, t) for f in inst.facilities for t in ctx.active[f]
            for p in set(inst.inputs[f]) | set(inst.outputs[f])}
    for table in (plan.inflow, plan.outflow, plan.surplus, plan.stored, plan.released):
        keys |= {(f, p, t) for (f, p, t) in table if f in inst.facilities}
    return sorted(keys)


def sides(ctx: CheckContext, f: str, p: str, t: int, tag: str | None) -> dict[str, float]:
    r"""Sides of f's balance of p in t for one provenance ``tag`` (None: all tags), in t/yr.

    in :math:`\sum_o F[o,f,p,g,t]`, plus what leaves a store of p at f (:math:`O`, inventory.csv);
    made :math:`r^{out}_{fp} X[f,g,t]`; out :math:`\sum_d F[f,d,p,g,t]`; used :math:`r^{in}_{fp} X[f,g,t]`,
    plus what enters the store (:math:`I`); surplus :math:`S[f,p,g,t]`.  A store sits where p
    arrives (or is made, at a facility that only makes p), as in the model.
    """
    plan, inst = ctx.plan, ctx.inst

    def total(by_tag: dict[str, float] | None) -> float:
        if not by_tag:
            return 0.0
        return sum(by_tag.values()) if tag is None else by_tag.get(tag, 0.0)

    acts = total(plan.act_tags.get((f, t)))
    released, stored = total(plan.released.get((f, p, t))), total(plan.stored.get((f, p, t)))
    arrives = p in inst.inputs[f]
    return {
        "in": total(plan.inflow.get((f, p, t))) + (released if arrives else 0.0),
        "made": inst.outputs[f].get(p, 0.0) * acts + (0.0 if arrives else released),
        "out": total(plan.outflow.get((f, p, t))),
        "used": inst.inputs[f].get(p, 0.0) * acts + (stored if arrives else 0.0),
        "surplus": total(plan.surplus.get((f, p, t))) + (0.0 if arrives else stored),
    }


def ratios(ctx: CheckContext, f: str, p: str) -> tuple[float, float]:
    """(r^in, r^out) of p at f: part of a balance row's scale, since an activity the tables
    round to zero still moves the row by up to ratio x rounding (t/yr)."""
    return ctx.inst.inputs[f].get(p, 0.0), ctx.inst.outputs[f].get(p, 0.0)


def check(ctx: CheckContext) -> None:
    r"""Total balance of every facility, product and year, over all tags (t/yr):

    .. math:: \sum_{o,g} F[o,f,p,g,t] + r^{out}_{fp} X[f,t] = \sum_{d,g} F[f,d,p,g,t] + r^{in}_{fp} X[f,t] + \sum_g S[f,p,g,t]

    for a product the facility both consumes and makes, what is made balances what leaves,
    :math:`\text{made} = \text{out} + \text{surplus}` (the input side is ``input_balance``'s).
    Then clean material is conserved (``provenance``, below).
    """
    inst = ctx.inst
    keys = balance_keys(ctx)
    for f, p, t in keys:
        s = sides(ctx, f, p, t, None)
        ctx.count("product_balance")
        if p in inst.inputs[f] and p in inst.outputs[f]:
            supply, use = s["made"], s["out"] + s["surplus"]
            text = f"made {num(s['made'])} != out {num(s['out'])} + surplus {num(s['surplus'])}"
        else:
            supply, use = s["in"] + s["made"], s["out"] + s["used"] + s["surplus"]
            text = (f"supply {num(supply)} (in {num(s['in'])} + made {num(s['made'])}) != use {num(use)} "
                    f"(out {num(s['out'])} + used {num(s['used'])} + surplus {num(s['surplus'])})")
        if abs(supply - use) > ctx.slack(*s.values(), *ratios(ctx, f, p)):
            ctx.fail("product_balance", f"{f} {p} {t}", text)
    check_provenance(ctx, keys)


def check_provenance(ctx: CheckContext, keys: list[tuple[str, str, int]]) -> None:
    r"""Clean material is conserved, except clean input downgraded to touched (t/yr).

    For every (f, p, t), with sides taken over the clean tag only,

    .. math:: dg = \text{in}^{c} + \text{made}^{c} - \text{out}^{c} - \text{used}^{c} - \text{surplus}^{c} \ge 0

    and :math:`dg > 0` only when p is an input of f and f has a touched mode (downgrade
    happens on inputs only).  For a pass-through product the clean output row holds exactly,
    :math:`\text{made}^c = \text{out}^c + \text{surplus}^c`, and the downgrade is taken from the
    clean input row, :math:`dg = \text{in}^c - \text{used}^c`.  The touched side is the total
    balance minus dg, so it holds exactly when the total balance does.
    """
    inst = ctx.inst
    if not inst.tracks_provenance:
        return
    for f, p, t in keys:
        ctx.count("provenance")
        s = sides(ctx, f, p, t, CLEAN)
        allowed = ctx.slack(*s.values(), *ratios(ctx, f, p))
        if (f, p) in inst.pass_through:
            kept = s["made"] - s["out"] - s["surplus"]
            if abs(kept) > allowed:
                ctx.fail("provenance", f"{f} {p} {t}",
                         f"clean {p} made {num(s['made'])} != clean out {num(s['out'])} + surplus {num(s['surplus'])}")
            dg = s["in"] - s["used"]
        else:
            dg = s["in"] + s["made"] - s["out"] - s["used"] - s["surplus"]
        if dg < -allowed:
            used = s["used"] if (f, p) in inst.pass_through else s["out"] + s["used"] + s["surplus"]
            supply = s["in"] if (f, p) in inst.pass_through else s["in"] + s["made"]
            ctx.fail("provenance", f"{f} {p} {t}", f"clean use {num(used)} > clean supply {num(supply)}")
        elif dg > allowed and not (p in inst.inputs[f] and TOUCHED in inst.output_tags(f)):
            ctx.fail("provenance", f"{f} {p} {t}",
                     f"{num(dg)} t of clean {p} downgraded, but only inputs of a facility with a touched mode can be")


# ---- the certificate ----------------------------------------------------------------------------
def lp_tables(lp) -> dict[str, list[LPRow]]:
    r"""product_balance (f,p,g,t) and input_balance (for a pass-through product), t/yr:

    .. math:: \sum_o F[o,f,p,g,t] + r^{out} x[f,g,t] \pm D[f,p,t] - \sum_d F[f,d,p,g,t] - r^{in} x[f,g,t] - S[f,p,g,t] = 0

    made once per LP, for both families.
    """
    if "balances" in lp.memo:
        return lp.memo["balances"]
    inst = lp.inst
    made: dict[tuple, dict[tuple, float]] = defaultdict(lambda: defaultdict(float))
    arriving: dict[tuple, dict[tuple, float]] = defaultdict(lambda: defaultdict(float))

    def inbound(f: str, p: str) -> dict:
        return arriving if (f, p) in inst.pass_through else made

    for col in lp.cost:
        kind = col[0]
        if kind == "x":
            _, f, g, t = col
            for p, r in inst.outputs[f].items():
                made[f, p, g, t][col] += r
            for p, r in inst.inputs[f].items():
                inbound(f, p)[f, p, g, t][col] -= r
        elif kind == "F":
            _, o, d, p, g, t = col
            made[o, p, g, t][col] -= 1.0
            if d in inst.facilities:
                inbound(d, p)[d, p, g, t][col] += 1.0
        elif kind == "S":
            _, f, p, g, t = col
            made[f, p, g, t][col] -= 1.0
        elif kind == "D":
            _, f, p, t = col
            inbound(f, p)[f, p, CLEAN, t][col] -= 1.0
            inbound(f, p)[f, p, TOUCHED, t][col] += 1.0
        elif kind in ("I", "O"):  # a store, on the row where p arrives (or is made)
            _, f, p, g, t = col
            inbound(f, p)[f, p, g, t][col] += -1.0 if kind == "I" else 1.0
    lp.memo["balances"] = out = {
        family: [LPRow(family, key, "=", 0.0, dict(table[key])) for key in sorted(table)]
        for family, table in (("product_balance", made), ("input_balance", arriving))
    }
    return out


FAMILY = NetworkFamily(
    name="product_balance",
    doc="Per facility, product, provenance tag and year: arrivals + output = departures + input used + surplus "
        "(t/yr); clean input used by a touched mode is downgraded. A product the facility both uses and makes "
        "balances what is made against what leaves (the input side is `input_balance`). Dual: the marginal cost of "
        "the product at the facility (USD/t).",
    build=build,
    dual=DualSpec.per_year(
        "USD/t",
        lambda k, _b: f"marginal cost of {k[1]} ({k[2]}) at {k[0]} in {k[3]}",
        1.0,
        index='facility|product|tag|year',
        row='$=$',
        value='marginal cost of the product (with that tag) at the facility',
    ),
    slack=None,
    explain=None,
    check=check,
    lp_rows=lambda lp: lp_tables(lp)["product_balance"],
    )

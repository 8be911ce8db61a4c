r"""``capacity_limit``: activity within capacity (units of activity/yr).

.. math:: \sum_g x[f,g,t] \le \text{cap}_{ft}\, y[f,t] + \sum_{\tau \le t} \text{size}_f\, z[f,\tau]

with y = 1 for existing facilities.  Unlimited facilities without expansions get no row.  The
reported dual is the value of one more unit of capacity (USD per unit/yr).
"""

from __future__ import annotations

from ..core.tolerances import HALF
from .base import BuildContext, CheckContext, DualSpec, LPRow, NetworkFamily, Terms


def build(ctx: BuildContext) -> None:
    inst = ctx.inst
    sizes = {e.facility: e.size for e in inst.expansions}
    keys = [(f, t) for f in inst.facilities for t in inst.active_periods(f) if inst.base_capacity(f, t) is not None]
    slack = ctx.slack("capacity_limit", keys, "capacity exceeded")
    rows = {}
    for f, t in keys:
        cap = inst.base_capacity(f, t)
        terms: Terms = [(1.0, v) for _g, v in ctx.acts_of[f, t]]
        rhs = cap
        if (f, t) in ctx.open:
            terms.append((-cap, ctx.open[f, t]))
            rhs = 0.0
        if f in sizes:
            terms.extend((-sizes[f], ctx.steps[f, tau]) for tau in inst.periods if tau <= t and (f, tau) in ctx.steps)
        if (f, t) in slack:
            terms.append((-1.0, slack[f, t]))
        rows[f, t] = (None, terms, rhs)
    ctx.add_rows("capacity_limit", rows)


def explain(_inst, k: tuple, amount: float) -> tuple[str, str]:
    f, t = k
    return "units of activity/yr", f"capacity of {f} {t}: {amount:,.6g} units/yr more than available"


def effective_capacity(ctx: CheckContext, f: str, t: int) -> float | None:
    r"""Capacity after opening and expansions (units of activity/yr); None = unlimited:

    .. math:: \text{cap}_{ft}\, y[f,t] + \text{size}_f \sum_{\tau \le t} z[f,\tau]

    A facility with a blank capacity is unlimited while open, and a shut candidate has none (0).
    """
    inst = ctx.inst
    base = inst.base_capacity(f, t)
    if base is None:
        return None if ctx.is_open(f, t) > HALF else 0.0
    size = next((e.size for e in inst.expansions if e.facility == f), 0.0)
    return base * ctx.is_open(f, t) + size * ctx.plan.steps_to(f, t)


def check(ctx: CheckContext) -> None:
    r"""Activity within capacity, and activity.csv's ``capacity`` column equal to its recomputation:

    .. math:: \sum_g X[f,g,t] \le \text{cap}_{ft}\, y[f,t] + \text{size}_f \sum_{\tau \le t} z[f,\tau]
    """
    for f in ctx.inst.facilities:
        for t in sorted(ctx.active[f]):
            ctx.count("capacity_limit")
            label = f"{f} {t}"
            cap = effective_capacity(ctx, f, t)
            row = ctx.plan.act_row.get((f, t))
            if row is not None:
                ctx.eq("capacity_limit", label, "activity.csv capacity", row["capacity"], "recomputed capacity", cap)
            if cap is not None:
                ctx.le("capacity_limit", label, "activity", ctx.plan.total_act.get((f, t), 0.0), "capacity", cap)


def lp_rows(lp) -> list[LPRow]:
    r"""capacity_limit (f,t): :math:`\sum_g x - \text{size} \sum_{\tau \le t} z \le \text{cap}_{ft}\, y[f,t] + \text{size}\, \bar z`
    (whole steps :math:`\bar z` fixed), units/yr."""
    inst = lp.inst
    sizes = {e.facility: e.size for e in inst.expansions}
    out = []
    for f in inst.facilities:
        for t in sorted(lp.active[f]):
            cap = inst.base_capacity(f, t)
            if cap is None:
                continue
            terms = lp.output(f, t, None)
            rhs = cap * lp.open_flag(f, t)
            if f in sizes:
                cols, fixed = lp.steps(f, t)
                terms.update({c: -sizes[f] for c in cols})
                rhs += sizes[f] * fixed
            out.append(LPRow("capacity_limit", (f, t), "<=", rhs, terms))
    return out


FAMILY = NetworkFamily(
    name="capacity_limit",
    doc="Per facility and operating year with a capacity: activity <= base capacity x open + steps built so far x "
        "step size (units of activity/yr). Dual: the value of one more unit/yr of capacity (USD per unit/yr).",
    build=build,
    dual=DualSpec.per_year(
        "USD per unit of activity/yr",
        lambda k, _b: f"value of one more unit/yr of capacity at {k[0]} in {k[1]}",
        -1.0,
        index='facility|year',
        row='$\\le$',
        value='value of one more unit/yr of capacity (>= 0)',
    ),
    slack="capacity exceeded",
    explain=explain,
    check=check,
    lp_rows=lp_rows,
    )

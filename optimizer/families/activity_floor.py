r"""``activity_floor``: a must-run facility runs at least its year's minimum (units of activity/yr).

.. math:: \sum_g x[f,g,t] \ge \underline{x}_{ft}\, y[f,t]

with y = 1 for existing facilities (``min_activity`` in capacity.csv).  The reported dual is
what the must-run costs the plan per unit of activity (USD per unit/yr); zero when the plan
would run anyway.
"""

from __future__ import annotations

from .base import BuildContext, CheckContext, DualSpec, LPRow, NetworkFamily, Terms


def build(ctx: BuildContext) -> None:
    inst = ctx.inst
    keys = [(f, t) for (f, t) in sorted(inst.min_activity) if (f, t) in ctx.acts_of]
    slack = ctx.slack("activity_floor", keys, "must-run not met")
    rows = {}
    for f, t in keys:
        low = inst.min_activity[f, t]
        terms: Terms = [(1.0, v) for _g, v in ctx.acts_of[f, t]]
        rhs = low
        if (f, t) in ctx.open:
            terms.append((-low, ctx.open[f, t]))
            rhs = 0.0
        if (f, t) in slack:
            terms.append((1.0, slack[f, t]))
        rows[f, t] = (rhs, terms, None)
    ctx.add_rows("activity_floor", rows)


def explain(_inst, k: tuple, amount: float) -> tuple[str, str]:
    f, t = k
    return "units of activity/yr", f"must-run of {f} {t}: {amount:,.6g} units/yr more than can be used"


def check(ctx: CheckContext) -> None:
    r"""Must-run: :math:`\sum_g X[f,g,t] \ge \underline{x}_{ft}\, y[f,t]` (units of activity/yr)."""
    for (f, t), low in sorted(ctx.inst.min_activity.items()):
        if t not in ctx.active.get(f, ()):
            continue
        ctx.count("activity_floor")
        need = low * ctx.is_open(f, t)
        ctx.le("activity_floor", f"{f} {t}", "must-run", need, "activity", ctx.plan.total_act.get((f, t), 0.0))


def lp_rows(lp) -> list[LPRow]:
    r"""activity_floor (f,t): :math:`\sum_g x[f,g,t] \ge \underline{x}_{ft}\, y[f,t]` (units/yr)."""
    return [LPRow("activity_floor", (f, t), ">=", low * lp.open_flag(f, t), lp.output(f, t, None))
            for (f, t), low in sorted(lp.inst.min_activity.items()) if t in lp.active.get(f, ())]


FAMILY = NetworkFamily(
    name="activity_floor",
    doc="Per facility and year with a `min_activity`: activity >= `min_activity` x open (units of activity/yr). "
        "Dual: what the must-run costs the plan per unit of activity (USD per unit/yr).",
    build=build,
    dual=DualSpec.per_year(
        "USD per unit of activity/yr",
        lambda k, _b: f"cost of one more unit/yr of must-run at {k[0]} in {k[1]}",
        1.0,
        index='facility|year',
        row='$\\ge$',
        value='cost of one more unit/yr of must-run (`min_activity` in `capacity.csv`; >= 0)',
    ),
    slack="must-run not met",
    explain=explain,
    check=check,
    lp_rows=lp_rows,
    )

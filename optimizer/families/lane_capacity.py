r"""``lane_capacity``: lane flow within its capacity (t/yr).

.. math:: \sum_g F[o,d,p,g,t] \le \text{cap}_{odpt}

The capacity is the lane's, or its year's value in lane_periods.csv.  The dual is the value of
one more t/yr of capacity on the lane (USD/t).
"""

from __future__ import annotations

from collections import defaultdict

from .base import BuildContext, CheckContext, DualSpec, LPRow, NetworkFamily, Terms


def build(ctx: BuildContext) -> None:
    inst = ctx.inst
    groups: dict[tuple, Terms] = defaultdict(list)
    for (o, d, p, _g, t), v in ctx.flow.items():
        if inst.lane_capacity(ctx.lanes[o, d, p], t) is not None:
            groups[o, d, p, t].append((1.0, v))
    keys = list(groups)
    slack = ctx.slack("lane_capacity", keys, "lane capacity exceeded")
    rows = {}
    for k in keys:
        terms = list(groups[k]) + ([(-1.0, slack[k])] if k in slack else [])
        rows[k] = (None, terms, inst.lane_capacity(ctx.lanes[k[:3]], k[3]))
    ctx.add_rows("lane_capacity", rows)


def explain(_inst, k: tuple, amount: float) -> tuple[str, str]:
    o, d, p, t = k
    return "t/yr", f"lane {o} -> {d} ({p}) {t}: {amount:,.6g} t over its capacity"


def check(ctx: CheckContext) -> None:
    r"""Lane flow within its capacity: :math:`\sum_g F[o,d,p,g,t] \le \text{cap}_{odpt}` (t/yr),
    the lane's own or its year's value in lane_periods.csv."""
    inst = ctx.inst
    for lane in inst.lanes:
        for t in inst.periods:
            cap = inst.lane_capacity(lane, t)
            if cap is None:
                continue
            ctx.count("lane_capacity")
            q = ctx.plan.lane_flow.get((lane.origin, lane.destination, lane.product, t), 0.0)
            ctx.le("lane_capacity", f"{lane.origin} -> {lane.destination} {lane.product} {t}",
                   "flow", q, "lane capacity", cap)


def lp_rows(lp) -> list[LPRow]:
    r"""lane_capacity (o,d,p,t): :math:`\sum_g F[o,d,p,g,t] \le \text{cap}_{odpt}` (t/yr)."""
    inst = lp.inst
    groups: dict[tuple, dict[tuple, float]] = defaultdict(dict)
    for col in lp.cost:
        if col[0] == "F":
            groups[col[1:4] + (col[5],)][col] = 1.0
    lanes = {(l.origin, l.destination, l.product): l for l in inst.lanes}
    out = []
    for key, terms in groups.items():
        cap = inst.lane_capacity(lanes[key[:3]], key[3])
        if cap is not None:
            out.append(LPRow("lane_capacity", key, "<=", cap, terms))
    return out


FAMILY = NetworkFamily(
    name="lane_capacity",
    doc="Per lane with a capacity and year: flow over all tags <= the lane's capacity that year (t/yr). Dual: the "
        "value of one more t/yr on the lane (USD/t).",
    build=build,
    dual=DualSpec.per_year(
        "USD/t",
        lambda k, _b: f"value of one more t/yr of {k[2]} on lane {k[0]} -> {k[1]} in {k[3]}",
        -1.0,
        index='origin|destination|product|year',
        row='$\\le$',
        value='value of one more t/yr of lane capacity (>= 0)',
    ),
    slack="lane capacity exceeded",
    explain=explain,
    check=check,
    lp_rows=lp_rows,
    )

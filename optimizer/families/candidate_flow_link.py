r"""``candidate_flow_link``: nothing leaves a candidate while it is shut, lane by lane (t/yr).

.. math:: \sum_g F[f,d,p,g,t] \le U_{fdpt}\, y[f,t], \quad
          U = \min(\text{cap}_{ft}\, r^{out}_{fp},\ \text{lane cap}_{fdpt},\ q_{dpt})

with :math:`q_{dpt}` the demand when d is a customer, and for an unlimited candidate its
data-derived activity bound (see ``open_link``) in place of the capacity.  For integer y this
follows from the capacity and demand rows; it is written only where U is tighter than what the
capacity row alone implies, to strengthen the LP relaxation that branch and bound works on (the
classic strong formulation of facility location).  Left out of the LP that prices a MILP.
"""

from __future__ import annotations

import math
from collections import defaultdict

from .base import BuildContext, NetworkFamily, NoDual


def build(ctx: BuildContext) -> None:
    inst = ctx.inst
    demand = {(d.customer, d.product, d.period): d.quantity for d in inst.demands}
    expandable = {e.facility for e in inst.expansions}
    groups: dict[tuple, list] = defaultdict(list)
    for (o, d, p, _g, t), v in ctx.flow.items():
        if (o, t) in ctx.open:
            groups[o, d, p, t].append(v)
    rows = {}
    for (o, d, p, t), vs in groups.items():
        base = inst.base_capacity(o, t)
        if base is None:  # unlimited: what open_link allows it to make
            base = inst.activity_bound(o, t)
        made = None if o in expandable or math.isinf(base) else base * inst.outputs[o].get(p, 0.0)
        bounds = [b for b in (inst.lane_capacity(ctx.lanes[o, d, p], t), demand.get((d, p, t))) if b is not None]
        if not bounds or (made is not None and min(bounds) >= made):
            continue
        u = min(bounds + ([made] if made is not None else []))
        rows[o, d, p, t] = (None, [(1.0, v) for v in vs] + [(-u, ctx.open[o, t])], 0.0)
    ctx.add_rows("candidate_flow_link", rows)


FAMILY = NetworkFamily(
    name="candidate_flow_link",
    doc="Per candidate, outgoing lane and year where it is tighter than capacity: flow <= the least of capacity x "
        "output ratio, lane capacity and demand, x open (t/yr). Only strengthens the relaxation of a model with "
        "integer decisions; no dual.",
    build=build,
    dual=NoDual("the rows only strengthen the relaxation of a model with integer decisions and are left out of the "
                "LP that prices it"),
    slack=None,
    explain=None,
    check="m2m check `capacity_limit` and `demand_balance`: the rows are implied once open is 0 or 1",
    lp_rows=None,
    strengthening=True,
)

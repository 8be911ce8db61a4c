r"""``open_link``: an unlimited candidate runs only while open (units of activity/yr).

.. math:: \sum_g x[f,g,t] \le \bar{X}_{ft}\, y[f,t]

for a candidate with a blank capacity, where :math:`\bar{X}_{ft}` is the bound on its activity
that the data implies (``Instance.activity_bound``: what its lanes can carry away to demand or
to bounded facilities, or bring in), never an arbitrary big-M.  The loader refuses a blank
capacity where no finite bound exists.  With y = 1 the row is implied by the rows the bound
comes from, so in the LP that prices a MILP it is kept only for candidates that stay shut
(``Built.open_links``).
"""

from __future__ import annotations

from ..core.tolerances import HALF
from .base import BuildContext, DualSpec, LPRow, NetworkFamily


def build(ctx: BuildContext) -> None:
    inst = ctx.inst
    rows = {}
    for (f, t), y in ctx.open.items():
        if inst.base_capacity(f, t) is None:
            rows[f, t] = (None, [(1.0, v) for _g, v in ctx.acts_of[f, t]] + [(-inst.activity_bound(f, t), y)], 0.0)
    comp = ctx.add_rows("open_link", rows)
    ctx.built.open_links = {comp[k]: ctx.open[k] for k in rows}


def lp_rows(lp) -> list[LPRow]:
    r"""open_link (f,t) of an unlimited candidate that stays shut: :math:`\sum_g x[f,g,t] \le 0`
    (an open one's row is implied with y fixed, and left out)."""
    inst = lp.inst
    return [LPRow("open_link", (f, t), "<=", 0.0, lp.output(f, t, None))
            for f, fac in inst.facilities.items() if fac.status == "candidate"
            for t in sorted(lp.active[f]) if inst.base_capacity(f, t) is None and lp.open_flag(f, t) < HALF]


FAMILY = NetworkFamily(
    name="open_link",
    doc="Per candidate with a blank capacity and year: activity <= the bound the data implies on it x open (units "
        "of activity/yr). Dual: the value of one more unit/yr of activity at a candidate that stays shut (USD per "
        "unit/yr).",
    build=build,
    dual=DualSpec.per_year(
        "USD per unit of activity/yr",
        lambda k, _b: f"value of one more unit/yr of activity at the shut candidate {k[0]} in {k[1]}",
        -1.0,
        index='facility|year',
        row='$\\le$',
        value="for a candidate with a blank capacity that stays shut that year: the value of one more unit/yr of activity there (>= 0; see `note`; open candidates' rows are implied and left out when pricing)",
    ),
    slack=None,
    explain=None,
    check="m2m check `capacity_limit`: a shut candidate has capacity 0",
    lp_rows=lp_rows,
    )

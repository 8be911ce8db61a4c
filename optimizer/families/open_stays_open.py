r"""``open_stays_open``: a candidate, once open, stays open (dimensionless).

.. math:: y[f,t-1] \le y[f,t]

over consecutive operating years of each candidate.  The rows hold only open decisions, which
are fixed in the LP that prices a model with integer decisions: no dual.
"""

from __future__ import annotations

from .base import BuildContext, NetworkFamily, NoDual


def build(ctx: BuildContext) -> None:
    rows = {}
    for f in sorted({f for f, _t in ctx.open}):
        ts = [t for t in ctx.inst.periods if (f, t) in ctx.open]
        for a, b in zip(ts, ts[1:]):
            rows[f, a, b] = (None, [(1.0, ctx.open[f, a]), (-1.0, ctx.open[f, b])], 0.0)
    ctx.add_rows("open_stays_open", rows)


FAMILY = NetworkFamily(
    name="open_stays_open",
    doc="Per candidate and pair of consecutive operating years: open in the first <= open in the second.",
    build=build,
    dual=NoDual("the rows hold only open decisions, which are fixed in the LP that prices a model with integer "
                "decisions"),
    slack=None,
    explain=None,
    check="m2m check `candidates`: open is 0 or 1 and never goes from 1 to 0",
    lp_rows=None,
)

r"""``expansion_limit``: expansion steps are limited (steps).

.. math:: \sum_{\tau \le t} z[f,\tau] \le \text{max\_steps}_f \; (\times\, y[f,t] \text{ for candidates})

one row per year for a candidate, one (at the last year) for an existing facility.  The
reported dual is the value of one more step allowed, in discounted USD per step: the row spans
years, so it is not per year.
"""

from __future__ import annotations

from .base import BuildContext, CheckContext, DualSpec, LPRow, NetworkFamily


def build(ctx: BuildContext) -> None:
    inst = ctx.inst
    rows = {}
    for e in inst.expansions:
        f = e.facility
        ts = [t for t in inst.periods if (f, t) in ctx.steps]
        if e.max_steps is None or not ts:
            continue
        if inst.facilities[f].status == "candidate":
            for t in ts:
                terms = [(1.0, ctx.steps[f, tau]) for tau in ts if tau <= t]
                if (f, t) in ctx.open:
                    terms.append((-e.max_steps, ctx.open[f, t]))
                    rows[f, t] = (None, terms, 0.0)
        else:
            rows[f, ts[-1]] = (None, [(1.0, ctx.steps[f, tau]) for tau in ts], e.max_steps)
    ctx.add_rows("expansion_limit", rows)


def check(ctx: CheckContext) -> None:
    r"""Steps built so far within ``max_steps``: :math:`\sum_{\tau \le t} z[f,\tau] \le \text{max\_steps}_f`
    (times open for a candidate), in every operating year (counted as ``expansions``)."""
    inst = ctx.inst
    for e in inst.expansions:
        if e.max_steps is None:
            continue
        f = e.facility
        candidate = inst.facilities[f].status == "candidate"
        for t in sorted(ctx.active[f]):
            ctx.count("expansions")
            limit = e.max_steps * (ctx.is_open(f, t) if candidate else 1.0)
            ctx.le("expansions", f"{f} {t}", "steps built so far", ctx.plan.steps_to(f, t),
                   "max_steps" + (" x open" if candidate else ""), limit)


def lp_rows(lp) -> list[LPRow]:
    r"""expansion_limit: :math:`\sum_{\tau \le t} z[f,\tau] \le \text{max\_steps}\, (\times\, y[f,t])`
    with whole steps fixed on the right; one row per year of a candidate, one at the last year
    of an existing facility (steps)."""
    inst = lp.inst
    out = []
    for e in inst.expansions:
        f = e.facility
        years = sorted(c[2] for c in lp.step_cols.get(f, [])) if f not in lp.integer else []
        if e.max_steps is None or not years:
            continue
        if inst.facilities[f].status == "candidate":
            for t in years:
                cols, fixed = lp.steps(f, t)
                out.append(LPRow("expansion_limit", (f, t), "<=", e.max_steps * lp.open_flag(f, t) - fixed,
                                 {c: 1.0 for c in cols}))
        else:
            cols, fixed = lp.steps(f, years[-1])
            out.append(LPRow("expansion_limit", (f, years[-1]), "<=", e.max_steps - fixed, {c: 1.0 for c in cols}))
    return out


FAMILY = NetworkFamily(
    name="expansion_limit",
    doc="Per expandable facility: steps built up to a year <= `max_steps` (x open, every year, for a candidate; at "
        "the last year for an existing facility). Dual: the value of one more step allowed, in discounted USD per "
        "step (the row spans years).",
    build=build,
    dual=DualSpec.discounted(
        "USD per step",
        lambda k, _b: f"value of one more expansion step allowed at {k[0]} (built by {k[1]}), discounted",
        -1.0,
        index='facility|year',
        row='$\\le$',
        unit_doc='USD per step (discounted)',
        value='value of one more expansion step allowed (`max_steps` in `expansions.csv`; >= 0), discounted USD per step over the whole horizon (the row spans years); year: the last year for an existing facility, each year for a candidate',
    ),
    slack=None,
    explain=None,
    check=check,
    lp_rows=lp_rows,
)

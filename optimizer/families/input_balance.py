r"""``input_balance``: what arrives at a facility that passes a product on is used (t/yr).

.. math:: \sum_o F[o,f,p,g,t] \pm D[f,p,t] = r^{in}_{fp} x[f,g,t]

only for a product the facility both consumes and makes (see
:mod:`optimizer.families.product_balance`, which makes both families' rows in one pass).  The
dual is the marginal cost of the product arriving at the facility (USD/t).
"""

from __future__ import annotations

from .base import BuildContext, CheckContext, DualSpec, NetworkFamily
from .product_balance import balance_keys, equalities, lp_tables, num, ratios, sides, tables


def build(ctx: BuildContext) -> None:
    ctx.add_rows("input_balance", equalities(tables(ctx)[1]))


def check(ctx: CheckContext) -> None:
    r"""What arrives is used, :math:`\text{in} = \text{used}` (t/yr), for every product a facility
    both consumes and makes: nothing passes without activity."""
    inst = ctx.inst
    for f, p, t in balance_keys(ctx):
        if not (p in inst.inputs[f] and p in inst.outputs[f]):
            continue
        s = sides(ctx, f, p, t, None)
        ctx.count("input_balance")
        if abs(s["in"] - s["used"]) > ctx.slack(*s.values(), *ratios(ctx, f, p)):
            ctx.fail("input_balance", f"{f} {p} {t}", f"in {num(s['in'])} != used {num(s['used'])}")


FAMILY = NetworkFamily(
    name="input_balance",
    doc="Per facility passing a product on, tag and year: arrivals = input used (t/yr), so that what passes "
        "through is activity, bounded by capacity and paying its cost. Dual: the marginal cost of the product "
        "arriving at the facility (USD/t).",
    build=build,
    dual=DualSpec.per_year(
        "USD/t",
        lambda k, _b: f"marginal cost of {k[1]} ({k[2]}) arriving at {k[0]} in {k[3]}",
        1.0,
        index='facility|product|tag|year',
        row='$=$',
        value='marginal cost of the product (with that tag) arriving at a facility that passes it through (consumes and makes it)',
    ),
    slack=None,
    explain=None,
    check=check,
    lp_rows=lambda lp: lp_tables(lp)["input_balance"],
    )

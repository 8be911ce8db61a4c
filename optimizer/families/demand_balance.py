r"""``demand_balance``: deliveries plus unmet demand equal demand (t/yr).

.. math:: \sum_{o,g} F[o,k,p,g,t] + U[k,p,t] = \text{quantity}_{kpt}

U exists only where the demand has a penalty (a blank penalty is a hard demand, which the
diagnosis relaxes when the instance is infeasible).  The dual is the marginal delivered cost of
the product at the customer (USD/t).
"""

from __future__ import annotations

from .base import BuildContext, CheckContext, DualSpec, LPRow, NetworkFamily
from .product_balance import num


def build(ctx: BuildContext) -> None:
    demands = ctx.inst.demands
    slack = ctx.slack("demand_balance", [(d.customer, d.product, d.period) for d in demands if d.penalty is None],
                      "hard demand short")
    rows = {}
    for d in demands:
        k = (d.customer, d.product, d.period)
        terms = [(1.0, v) for _o, _g, v in ctx.flows_in.get(k, [])]
        if k in ctx.unmet:
            terms.append((1.0, ctx.unmet[k]))
        if k in slack:
            terms.append((1.0, slack[k]))
        rows[k] = (d.quantity, terms, d.quantity)
    ctx.add_rows("demand_balance", rows)


def explain(_inst, k: tuple, amount: float) -> tuple[str, str]:
    customer, product, t = k
    return "t/yr", f"demand {customer} {t}: short {amount:,.6g} t of {product}"


def check(ctx: CheckContext) -> None:
    r"""Deliveries plus unmet demand equal demand (t/yr), and unmet.csv says so:

    .. math:: \sum_{o,g} F[o,k,p,g,t] + U[k,p,t] = \text{quantity}_{kpt}, \quad U \ge 0,\ U = 0 \text{ if penalty is blank}
    """
    demands = {(d.customer, d.product, d.period): d for d in ctx.inst.demands}
    unmet_rows = ctx.plan.keyed("unmet", "customer", "product", "period")
    for k, d in demands.items():
        ctx.count("demand_balance")
        label = f"{d.customer} {d.product} {d.period}"
        delivered = sum(q for _o, _g, q in ctx.plan.arrivals.get(k, []))
        row = unmet_rows.get(k)
        if row is None:
            ctx.fail("demand_balance", label, "unmet.csv has no row")
            unmet = 0.0
        else:
            unmet = row["unmet"]
            ctx.eq("demand_balance", label, "unmet.csv demand", row["demand"], "demands.csv quantity", d.quantity)
            ctx.eq("demand_balance", label, "unmet.csv delivered", row["delivered"], "sum of flows", delivered)
            ctx.eq("demand_balance", label, "unmet.csv penalty", row["penalty"], "demands.csv penalty", d.penalty)
            if row["provenance"] != d.provenance:
                ctx.fail("demand_balance", label, f"unmet.csv provenance {row['provenance']} != {d.provenance}")
        ctx.nonnegative("demand_balance", label, "unmet", unmet)
        ctx.eq("demand_balance", label, "delivered + unmet", delivered + unmet, "demand", d.quantity, delivered, unmet)
        if d.penalty is None and unmet > ctx.slack(d.quantity):
            ctx.fail("demand_balance", label, f"unmet {num(unmet)} on a hard demand (blank penalty)")
    for k in unmet_rows:
        if k not in demands:
            ctx.fail("demand_balance", " ".join(map(str, k)), "unmet.csv row for a demand not in demands.csv")


def lp_rows(lp) -> list[LPRow]:
    r"""demand_balance (k,p,t): :math:`\sum_{o,g} F[o,k,p,g,t] + U[k,p,t] = q_{kpt}` (t/yr)."""
    out = []
    for d in lp.inst.demands:
        k = (d.customer, d.product, d.period)
        terms = {c: 1.0 for c in lp.arriving.get(k, [])}
        if ("U", *k) in lp.cost:
            terms[("U", *k)] = 1.0
        out.append(LPRow("demand_balance", k, "=", d.quantity, terms))
    return out


FAMILY = NetworkFamily(
    name="demand_balance",
    doc="Per demand row: deliveries over all lanes and tags + unmet = `quantity` (t/yr); unmet only where the demand "
        "has a `penalty`. Dual: the marginal delivered cost of the product at the customer (USD/t).",
    build=build,
    dual=DualSpec.per_year(
        "USD/t",
        lambda k, _b: f"marginal delivered cost of {k[1]} at {k[0]} in {k[2]}",
        1.0,
        index='customer|product|year',
        row='$=$',
        value='marginal delivered cost of the product at the customer',
    ),
    slack="hard demand short",
    explain=explain,
    check=check,
    lp_rows=lp_rows,
        group="demand",
    always_listed=True,
    pinned=True,
)

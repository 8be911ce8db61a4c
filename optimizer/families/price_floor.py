r"""``price_floor``: a floor-price contract on a facility's product.

The buyer (e.g. the government) pays the producer :math:`\max(0, \text{floor}_t -
\text{market}_t)` per t of the covered product (``Instance.floor_payout``).  It adds no row:
its payout, :math:`\text{payout}_t\, r^{out}_{fp} \sum_g x[f,g,t]` (USD/yr), is a transfer by
default (reported in costs.csv with kind ``transfer`` and in summary.json ``transfers``, not in
the objective) or, with ``accounting: cost``, the cost term ``price_floor``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..core.policy import ByPeriod, PolicyBase, by_period
from ..core.refs import ref, FACILITY, PRODUCT
from .base import Achieved, BuildContext, CheckContext, NoDual, PolicyFamily, RuleContext


class PriceFloor(PolicyBase):
    """A floor-price contract: the buyer (e.g. the government) pays the producer max(0, floor - market) per t of a
    facility's product.  By default a transfer, reported beside the costs but not one of them."""

    kind: Literal["price_floor"]
    facility: str = Field(description="Facility whose output is covered.", json_schema_extra=ref(FACILITY))
    product: str = Field(description="Product covered.", json_schema_extra=ref(PRODUCT))
    floor: ByPeriod = Field(description="Floor price.", json_schema_extra={"unit": "USD/t"})
    market: ByPeriod | None = Field(
        None,
        description="Market price, one number or by year (default: the product's surplus value in each year, from "
                    "products.csv or product_prices.csv, so that the payout follows the price path).",
        json_schema_extra={"unit": "USD/t"},
    )
    accounting: Literal["transfer", "cost"] = Field(
        "transfer",
        description="`transfer`: the payout moves money from the buyer to the producer and is reported (costs.csv kind "
                    "`transfer`, summary.json `transfers`) but is not in the objective; `cost`: the buyer's view, the "
                    "payout is a cost term in the objective, which makes the covered output dearer to the plan.",
    )


def validate(ctx: RuleContext) -> None:
    p = ctx.policy
    if ctx.unknown(ctx.facilities, p.facility):
        pass  # reported as an unknown reference
    elif ctx.outs is not None and not ctx.unknown(ctx.products, p.product) and p.product not in ctx.outs.get(p.facility, set()):
        ctx.bad("product", f"facility {p.facility!r} does not make {p.product!r}; expected a product of its `out` recipe rows")
    if not ctx.periods:
        return
    applied = [t for t in ctx.periods if (p.periods is None or t in p.periods)
               and not (isinstance(p.floor, dict) and t not in p.floor)]
    if isinstance(p.market, dict):
        missing = [t for t in applied if t not in p.market]
        if missing:
            ctx.bad("market", f"no market price for {missing}; expected a price for every year the floor applies")
    elif p.market is None and ctx.surplus_values is not None and p.product in ctx.surplus_values:
        # without `market`, the floor compares with the product's surplus value, which must then be set
        missing = [t for t in applied
                   if ctx.surplus_values[p.product] is None and (p.product, t) not in ctx.priced_years]
        if missing:
            ctx.bad("market", f"no market price for {missing}: `market` is not given and {p.product!r} has no "
                              f"surplus_value in those years; expected a `market`, a surplus_value in "
                              f"{ctx.file['products']}, or rows in {ctx.file.get('product_prices', 'product_prices.csv')}")


def build(ctx: BuildContext) -> None:
    """Register each floor's payout per year as a cost term or a transfer."""
    inst = ctx.inst
    for pol in inst.policies_of(PriceFloor):
        for t in inst.policy_periods(pol):
            gap = inst.floor_payout(pol, t)
            if gap:
                ctx.payout("price_floor", t, [(gap * r, v) for r, v in ctx.output_of(pol.facility, t, pol.product)],
                           pol.accounting)


def money(ctx: CheckContext) -> dict[tuple[str, str, int], float]:
    r"""Payouts per (kind, ``price_floor``, period): :math:`\max(0, \text{floor}-\text{market})\, r^{out}_{fp} X`
    (USD/yr), kind ``transfer`` unless the floor's accounting is ``cost``."""
    out: dict[tuple[str, str, int], float] = {}
    for pol, t in ctx.policy_years(PriceFloor):
        gap = max(0.0, (by_period(pol.floor, t) or 0.0) - (ctx.inst.floor_market(pol, t) or 0.0))
        k = ("cost" if pol.accounting == "cost" else "transfer", "price_floor", t)
        out[k] = out.get(k, 0.0) + gap * ctx.made(pol.facility, t, pol.product)
    return out


def coefficients(ctx: CheckContext) -> list[float]:
    """Payout per unit of activity of each floor and year (USD per unit), for the cost rows' scale."""
    inst = ctx.inst
    return [max(0.0, (by_period(p.floor, t) or 0.0) - (inst.floor_market(p, t) or 0.0))
            * inst.outputs.get(p.facility, {}).get(p.product, 0.0) for p, t in ctx.policy_years(PriceFloor)]


def activity_cost(inst) -> dict[tuple[str, int], float]:
    """(facility, year) -> payout per unit of activity of the floors counted as a cost (USD/unit)."""
    out: dict[tuple[str, int], float] = {}
    for pol in inst.policies_of(PriceFloor):
        if pol.accounting == "cost":
            for t in inst.policy_periods(pol):
                k = (pol.facility, t)
                out[k] = out.get(k, 0.0) + inst.floor_payout(pol, t) * inst.outputs[pol.facility].get(pol.product, 0.0)
    return out


def measure(inst, tables, pol: PriceFloor, years) -> dict[int, float]:
    act = tables["activity"]
    rows = act[act["facility"] == pol.facility]
    ratio = inst.outputs[pol.facility].get(pol.product, 0.0)
    made = {int(t): float(a * ratio) for t, a in rows.groupby("period")["activity"].sum().items()}
    return {t: 0.0 for t in years} | made


FAMILY = PolicyFamily(
    name="price_floor",
    schema=PriceFloor,
    doc="No row: the payout max(0, `floor` - `market`) x the covered output (USD/yr) is a transfer (costs.csv kind "
        "`transfer`), or with `accounting: cost` the cost term `price_floor`.",
    rules=("a `price_floor` names a facility that makes its `product`; it has a market price for every year the "
           "floor applies: its own `market` by year, or its product's surplus value (products.csv or "
           "product_prices.csv)",),
    validate=validate,
    build=build,
    dual=NoDual("a price floor adds no row: its payout is a transfer or a cost term"),
    slack=None,
    explain=None,
    check="m2m check `costs`: the payout is recomputed with the cost terms and transfers (money)",
    lp_rows=None,
    achieved=Achieved("tonnes of the covered product made by the facility", "t/yr", measure),
    stage=lambda inst, pol: inst.facilities[pol.facility].stage,
    always_listed=False,
    money=money,
    coefficients=coefficients,
    activity_cost=activity_cost,
)

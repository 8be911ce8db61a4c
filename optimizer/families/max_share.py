r"""``max_share``: cap the share of a country group (location) or of touched material (provenance).

Row (policy, t):

.. math:: \text{num}_t - a_t \cdot \text{den}_t \le 0

``den`` is a stage's production of the measured product (t/yr; units of activity where the
stage makes none) or the deliveries to the listed customers (t/yr); ``num`` the part of it made
by facilities in the group (location basis, ``Instance.share_group``) or touched by the
provenance group (provenance basis).  The reported dual is the cost of cutting the cap by one
percentage point, :math:`-\mu \cdot \text{den} / 100` (USD/yr per point); on an empty
denominator the raw dual (USD/t), and at a cap of 0% an upper bound, both noted.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..core.contract import TOUCHED, ZERO_DENOMINATOR
from ..core.policy import ByPeriod, PolicyBase
from ..core.refs import ref, COUNTRY, CUSTOMER, GROUP, PRODUCT, STAGE
from .base import (Achieved, BuildContext, CheckContext, DualSpec, LPRow, PolicyFamily, RuleContext, Terms,
                   check_stage_product, delivering_stage, policy_rows_by_year)

#: Units duals.csv gives a row whose denominator is zero (raw dual per t/yr).
PER_TONNE = "USD/t"


class MaxShare(PolicyBase):
    """Cap the share of a stage's production (or of deliveries to customers) from a country group."""

    kind: Literal["max_share"]
    stage: str | None = Field(None, description="Stage whose production is shared out (required unless `customers`; not with `customers`).", json_schema_extra=ref(STAGE))
    group: str | None = Field(
        None, description="Country group whose share is capped (location basis; with basis provenance, only the provenance group).", json_schema_extra=ref(GROUP))
    countries: list[str] | None = Field(None, description="Countries whose share is capped (instead of `group`; location basis only).", json_schema_extra=ref(COUNTRY))
    share: ByPeriod = Field(description="Largest share allowed, 0..1.", json_schema_extra={"unit": "fraction"})
    basis: Literal["location", "provenance"] = Field(
        "location",
        description="`location`: output of facilities located in the group; `provenance`: output (or deliveries) touched by "
                    "the provenance group.",
    )
    customers: list[str] | None = Field(None, description="Measure deliveries to these customers instead of a stage's output.", json_schema_extra=ref(CUSTOMER))
    product: str | None = Field(
        None,
        description="Product whose tonnes are measured. For a stage: required where its facilities make several or different "
                    "products (default: the one product they all make). For customers: default every product they demand.", json_schema_extra=ref(PRODUCT)
    )


def validate(ctx: RuleContext) -> None:
    p = ctx.policy
    check_stage_product(ctx)
    if p.customers is None and p.stage is None:
        ctx.bad("stage", "needs a `stage` (or `customers` to measure deliveries)")
    if p.customers is not None and p.stage is not None:
        ctx.bad("customers", "gives both `stage` and `customers`; a share is measured on a stage's production or "
                             "on deliveries to customers: drop one of them")
    if p.basis == "location" and (p.group is None) == (p.countries is None):
        both = "both" if p.group is not None else "neither"
        ctx.bad("group", f"a location-basis share needs exactly one of `group` or `countries`; got {both}")
    group = ctx.provenance_group
    if p.basis == "provenance" and p.countries is not None:
        ctx.bad("countries", "a provenance-basis share counts material touched by the provenance group "
                             f"({group!r}), whatever its countries; `countries` has no effect here "
                             "(use basis location to cap the output of facilities in given countries)")
    elif p.basis == "provenance" and p.group is not None and p.group != group:
        ctx.bad("group", f"a provenance-basis share counts material touched by the provenance group "
                         f"({group!r}), not by {p.group!r}; expected group {group!r} or none "
                         "(use basis location for the output of facilities in a group, or set provenance_group)")


def customer_products(inst, pol: MaxShare, customer: str) -> list[str]:
    """The products whose deliveries to ``customer`` a customers-basis share measures."""
    return [pol.product] if pol.product else sorted({d.product for d in inst.demands if d.customer == customer})


def counts(inst, pol: MaxShare, members: frozenset[str], facility: str, tag: str) -> bool:
    """Whether output (or a delivery) of ``facility`` with ``tag`` is in the numerator."""
    if pol.basis == "provenance":
        return tag == TOUCHED
    fac = inst.facilities.get(facility)
    return fac is not None and fac.country in members


def build(ctx: BuildContext) -> None:
    inst = ctx.inst

    def parts(pol: MaxShare, t: int) -> tuple[Terms, Terms]:
        _, members = inst.share_group(pol)
        num: Terms = []
        den: Terms = []
        if pol.customers:
            for k in pol.customers:
                for p in customer_products(inst, pol, k):
                    for o, g, v in ctx.flows_in.get((k, p, t), []):
                        den.append((1.0, v))
                        if counts(inst, pol, members, o, g):
                            num.append((1.0, v))
            return num, den
        product = inst.stage_product(pol.stage, pol.product)  # the loader made sure there is one
        for f, fac in inst.facilities.items():
            if fac.stage != pol.stage:
                continue
            den.extend(ctx.output_of(f, t, product))
            if pol.basis == "provenance":
                num.extend(ctx.output_of(f, t, product, TOUCHED))
            elif fac.country in members:
                num.extend(ctx.output_of(f, t, product))
        return num, den

    def make(pol: MaxShare, t: int, a: float):
        num, den = parts(pol, t)
        if not den:
            return None
        ctx.built.share_rows[pol.name, t] = {"policy": pol, "num": ctx.expression(num), "den": ctx.expression(den),
                                             "cap": a}
        return {(pol.name, t): (num + [(-a * c, v) for c, v in den], 0.0)}

    ctx.constrain(FAMILY, make)


# ---- the dual -------------------------------------------------------------------------------
def _empty(k: tuple, b) -> bool:
    return b.share_denominator(k) <= ZERO_DENOMINATOR


def _banned(k: tuple, b) -> bool:
    return b.share_rows[k]["cap"] <= 0.0


def _meaning(k: tuple, b) -> str:
    if _empty(k, b):
        return f"value of allowing one more t/yr under the {k[0]} cap in {k[1]} (nothing is made there)"
    if _banned(k, b):  # a cap at 0 cannot be lowered: the dual prices raising it
        return f"value of raising the {k[0]} cap from 0% by one percentage point in {k[1]} (at most)"
    return f"cost of lowering the {k[0]} cap by one percentage point in {k[1]}"


def _note(k: tuple, b) -> str:
    if _empty(k, b):
        return (f"the denominator is 0 in {k[1]}: the cap holds only because nothing is made (or delivered) "
                "there, so no percentage point can be priced; the value is the raw dual in USD per t/yr of the "
                "numerator allowed, an upper bound on what allowing it would save")
    if _banned(k, b):
        return (f"the cap is 0% in {k[1]}: it can only be raised, and its dual is one of a range of values that "
                "price the plan equally; the value is an upper bound on what raising it by one point would save")
    return ""


def to_lp(value: float, row: LPRow, unit: str, inst) -> float:
    """The LP's dual from a duals.csv value: -value x w_t in USD/t (zero denominator), else
    -value x 100 x w_t / den (the reading back of ``scale``)."""
    w = inst.weight(row.year)
    if unit == PER_TONNE or row.denominator <= ZERO_DENOMINATOR:
        return -value * w
    return -value * 100.0 * w / row.denominator


DUAL = DualSpec(
    lambda k, b: PER_TONNE if _empty(k, b) else "USD/yr per percentage point",
    _meaning,
    lambda k, b: -1.0 / b.weight(k[1]) if _empty(k, b) else -b.share_denominator(k) / 100.0 / b.weight(k[1]),
    _note,
    to_lp,
    value="cost of lowering the cap by one percentage point (>= 0); with a cap of 0%, which cannot be lowered, the "
          "value of raising it by one point (at most: see `note`); with a zero denominator, the raw dual per t/yr of "
          "the numerator allowed (see `note`)",
    index="policy|year",
    row="$\\le$",
    reported="$-\\mu\\, \\text{den}^{\\star}_t / 100 / w_t$ (with $\\text{den}^{\\star}_t = 0$: $-\\mu / w_t$)",
    unit_doc="USD/yr per percentage point (USD/t when the denominator is 0)",
)


def explain(inst, k: tuple, amount: float) -> tuple[str, str]:
    name, t = k
    pol = inst.policy(name)
    product = pol.product if pol.customers else inst.stage_product(pol.stage, pol.product)
    what = f" of {product}" if product else ""
    return "t/yr", f"share cap {name} {t}: {amount:,.6g} t/yr{what} more than the cap allows"


# ---- m2m check --------------------------------------------------------------------------------
def parts(ctx: CheckContext, pol: MaxShare, t: int) -> tuple[float, float]:
    r"""(numerator, denominator) of a share policy in t, from the plan.

    Stage basis: denominator :math:`\sum_{f \in s} r^{out}_{fp} X[f,t]` (t/yr of ``product``, or
    units of activity); numerator the same over facilities in the group (location) or over
    touched activity (provenance).  Customers basis: deliveries to the listed customers
    (t/yr), numerator those from facilities in the group (location) or touched (provenance).
    """
    inst = ctx.inst
    _, members = inst.share_group(pol)
    numerator = denominator = 0.0
    if pol.customers:
        for k in pol.customers:
            for p in customer_products(inst, pol, k):
                for o, g, q in ctx.plan.arrivals.get((k, p, t), []):
                    denominator += q
                    numerator += q if counts(inst, pol, members, o, g) else 0.0
        return numerator, denominator
    product = inst.stage_product(pol.stage, pol.product)
    for f, fac in inst.facilities.items():
        if fac.stage != pol.stage:
            continue
        denominator += ctx.made(f, t, product)
        if pol.basis == "provenance":
            numerator += ctx.made(f, t, product, TOUCHED)
        elif fac.country in members:
            numerator += ctx.made(f, t, product)
    return numerator, denominator


def check(ctx: CheckContext) -> None:
    r"""Share caps hold, :math:`\text{num}_t \le a_t\, \text{den}_t`, and shares.csv reports num, den, share
    (blank when den is 0: undefined), cap, the measured product and the group's members."""
    inst = ctx.inst
    rows = ctx.plan.keyed("shares", "policy", "period")
    for pol, t, a in ctx.inst.policy_values(MaxShare, "share"):
        ctx.count("max_share")
        label = f"{pol.name} {t}"
        numerator, denominator = parts(ctx, pol, t)
        ctx.le("max_share", label, "numerator", numerator, f"cap {a:.10g} x denominator", a * denominator, denominator)
        row = rows.pop((pol.name, t), None)
        if row is None:
            if denominator > ctx.slack(denominator):
                ctx.fail("max_share", label, "shares.csv has no row")
            continue
        share = numerator / denominator if denominator > ZERO_DENOMINATOR else None
        ctx.eq("max_share", label, "shares.csv numerator", row["numerator"], "recomputed", numerator)
        ctx.eq("max_share", label, "shares.csv denominator", row["denominator"], "recomputed", denominator)
        ctx.eq("max_share", label, "shares.csv share", row["share"], "recomputed (blank: denominator 0)", share)
        ctx.eq("max_share", label, "shares.csv cap", row["cap"], "policy share", a)
        product = (pol.product or "") if pol.customers else inst.stage_product(pol.stage, pol.product)
        if row["product"] != product:
            ctx.fail("max_share", label, f"shares.csv product {row['product']!r} != measured product {product!r}")
        _, members = inst.share_group(pol)
        if row["members"] != inst.country_names(members):
            ctx.fail("max_share", label, f"shares.csv members {row['members']!r} != {inst.country_names(members)!r}")
    for (name, t), row in rows.items():
        if name:
            ctx.fail("max_share", f"{name} {t}", "shares.csv row for no max_share policy in force")


# ---- the certificate's rows -------------------------------------------------------------------
def lp_rows(lp) -> list[LPRow]:
    r"""max_share (policy,t): :math:`\text{num} - a_t\, \text{den} \le 0`; the row keeps the plan's
    denominator, which scales its reported dual."""
    inst = lp.inst
    out = []
    for pol in inst.policies_of(MaxShare):
        _, members = inst.share_group(pol)
        for t, a in inst.values_of(pol, "share"):
            num: dict[tuple, float] = {}
            den: dict[tuple, float] = {}
            if pol.customers:
                for k in pol.customers:
                    for p in customer_products(inst, pol, k):
                        for col in lp.arriving.get((k, p, t), []):
                            den[col] = den.get(col, 0.0) + 1.0
                            if counts(inst, pol, members, col[1], col[4]):
                                num[col] = num.get(col, 0.0) + 1.0
            else:
                product = inst.stage_product(pol.stage, pol.product)
                for f, fac in inst.facilities.items():
                    if fac.stage != pol.stage:
                        continue
                    for col, r in lp.output(f, t, product).items():
                        den[col] = den.get(col, 0.0) + r
                        if (col[2] == TOUCHED) if pol.basis == "provenance" else fac.country in members:
                            num[col] = num.get(col, 0.0) + r
            if not den:
                continue
            terms = {c: num.get(c, 0.0) - a * den.get(c, 0.0) for c in set(num) | set(den)}
            denominator = sum(q * lp.value[c] for c, q in den.items())
            out.append(LPRow("max_share", (pol.name, t), "<=", 0.0, terms, denominator))
    return out


# ---- m2m sweep --------------------------------------------------------------------------------
def measure(_inst, tables, pol: MaxShare, _years) -> dict[int, float]:
    return policy_rows_by_year(tables, "shares", pol.name, "share")


def stage(inst, pol: MaxShare) -> str | None:
    """The policy's stage; for a share of deliveries, the stage of the facilities delivering to its customers."""
    return pol.stage or delivering_stage(inst, set(pol.customers or ()), pol.product)


FAMILY = PolicyFamily(
    name="max_share",
    schema=MaxShare,
    doc="Row per policy and year: numerator - `share` x denominator <= 0, where the denominator is the stage's "
        "output of the measured product (t/yr) or the deliveries to `customers` (t/yr), and the numerator the part "
        "made in the group (location) or touched by the provenance group (provenance). Dual: the cost of lowering "
        "the cap by one percentage point (USD/yr per point); a cap of 0% or an empty denominator is noted in "
        "duals.csv.",
    rules=("a location-basis `max_share` names exactly one of `group` or `countries`; a provenance-basis one no "
           "`countries` and no group but the provenance group",
           "a `max_share` measures a `stage` or `customers`, not both; a stage share names the `product` its "
           "tonnes are counted in where the stage's facilities make several or different products"),
    validate=validate,
    build=build,
    dual=DUAL,
    slack="share above its cap",
    explain=explain,
    check=check,
    lp_rows=lp_rows,
    achieved=Achieved("share of the policy's numerator in its denominator (shares.csv)", "fraction", measure),
    param="share",
    stage=stage,
    pinned=True,
)

r"""``offtake``: a customer receives at least a quantity of a product, clean by default.

Row (policy, t), t/yr:

.. math:: \sum_{o \in C,\ g \in G} F[o,k,p,g,t] \ge Q_t

with G = {clean} for a clean offtake (else every tag) and C the origins that count (the listed
countries and/or facilities: ``Instance.offtake_counts``).  The dual is the cost of one more
t/yr of offtake (USD/t).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..core.policy import ByPeriod, PolicyBase
from ..core.refs import ref, COUNTRY, CUSTOMER, FACILITY, PRODUCT
from .base import (Achieved, BuildContext, CheckContext, DualSpec, LPRow, PolicyFamily, RuleContext, delivering_stage,
                   policy_rows_by_year)


class Offtake(PolicyBase):
    """A customer receives at least `quantity` t/yr of a product, optionally clean and from given countries or facilities."""

    kind: Literal["offtake"]
    customer: str = Field(description="Customer receiving the offtake.", json_schema_extra=ref(CUSTOMER))
    product: str = Field(description="Product.", json_schema_extra=ref(PRODUCT))
    quantity: ByPeriod = Field(description="Least quantity delivered.", json_schema_extra={"unit": "t/yr"})
    provenance: Literal["any", "clean"] = Field("clean", description="`clean`: only clean deliveries count.")
    countries: list[str] | None = Field(None, description="Only deliveries from facilities in these countries count.", json_schema_extra=ref(COUNTRY))
    facilities: list[str] | None = Field(
        None, description="Only deliveries from these facilities count (e.g. a contract for one plant's output).", json_schema_extra=ref(FACILITY)
    )


def validate(_ctx: RuleContext) -> None:
    """Nothing beyond its references (the customer, product, countries and facilities exist)."""


def build(ctx: BuildContext) -> None:
    inst = ctx.inst

    def make(pol: Offtake, t: int, q: float):
        terms = [(1.0, v) for o, g, v in ctx.flows_in.get((pol.customer, pol.product, t), [])
                 if inst.offtake_counts(pol, o, g)]
        return {(pol.name, t): (terms, q)}

    ctx.constrain(FAMILY, make)


def most_made(inst, pol: Offtake, t: int) -> float | None:
    """The most the offtake's listed facilities can make of its product in t (t/yr), from their
    capacities; None when that is not fixed by the data (no facility list, an unlimited or
    expandable facility)."""
    if pol.facilities is None:
        return None
    total = 0.0
    for f in pol.facilities:
        cap = inst.base_capacity(f, t) if t in inst.active_periods(f) else 0.0
        if cap is None or any(e.facility == f for e in inst.expansions):
            return None
        total += cap * inst.outputs[f].get(pol.product, 0.0)
    return total


def _note(k: tuple, inst) -> str:
    """Offtakes that together take all their plants can make cannot be tightened: the dual of each is not a price, say so.

    Counted together: every plant-tied offtake of the same product whose plants are among this one's."""
    pol = inst.policy(k[0])
    most = most_made(inst, pol, k[1])
    if most is None:
        return ""
    plants = set(pol.facilities)
    contracted = sum(dict(inst.values_of(other, "quantity")).get(k[1], 0.0) for other in inst.policies_of(Offtake)
                     if other.product == pol.product and other.facilities is not None and set(other.facilities) <= plants)
    if contracted < most * (1 - 1e-9):
        return ""
    return (f"the offtakes on {', '.join(pol.facilities)} take all it can make in {k[1]}: no more can be required, so the "
            "row holds at the edge of feasibility together with the capacity, and its dual is one of a range of values "
            "that price the plan equally")


def explain(inst, k: tuple, amount: float) -> tuple[str, str]:
    name, t = k
    pol = inst.policy(name)
    return "t/yr", f"offtake {name} ({pol.customer}) {t}: short {amount:,.6g} t of {pol.product}"


def delivered(ctx: CheckContext, pol: Offtake, t: int) -> float:
    r"""Deliveries counting towards an offtake: :math:`\sum_{o \in C,\ g \in G} F[o,k,p,g,t]` (t/yr)."""
    return sum(q for o, g, q in ctx.plan.arrivals.get((pol.customer, pol.product, t), [])
               if o in ctx.inst.facilities and ctx.inst.offtake_counts(pol, o, g))


def check(ctx: CheckContext) -> None:
    r"""Offtakes are delivered, :math:`\text{delivered}_t \ge Q_t` (t/yr), and offtakes.csv reports them."""
    rows = ctx.plan.keyed("offtakes", "policy", "period")
    for pol, t, q in ctx.inst.policy_values(Offtake, "quantity"):
        ctx.count("offtake")
        label = f"{pol.name} {t}"
        got = delivered(ctx, pol, t)
        ctx.le("offtake", label, "required", q, f"{pol.provenance} deliveries", got)
        row = rows.pop((pol.name, t), None)
        if row is None:
            ctx.fail("offtake", label, "offtakes.csv has no row")
            continue
        ctx.eq("offtake", label, "offtakes.csv required", row["required"], "policy quantity", q)
        ctx.eq("offtake", label, "offtakes.csv delivered", row["delivered"], "recomputed", got)
        ctx.eq("offtake", label, "offtakes.csv short", row["short"], "recomputed", max(0.0, q - got), q)
    for (name, t) in rows:
        ctx.fail("offtake", f"{name} {t}", "offtakes.csv row for no offtake policy in force")


def lp_rows(lp) -> list[LPRow]:
    r"""offtake (policy,t): :math:`\sum_{o \in C,\ g \in G} F[o,k,p,g,t] \ge Q_t` (t/yr)."""
    inst = lp.inst
    out = []
    for pol, t, q in inst.policy_values(Offtake, "quantity"):
        terms = {c: 1.0 for c in lp.arriving.get((pol.customer, pol.product, t), []) if inst.offtake_counts(pol, c[1], c[4])}
        out.append(LPRow("offtake", (pol.name, t), ">=", q, terms))
    return out


def measure(_inst, tables, pol: Offtake, _years) -> dict[int, float]:
    return policy_rows_by_year(tables, "offtakes", pol.name, "delivered")


def stage(inst, pol: Offtake) -> str | None:
    """The stage of the facilities with lanes delivering the product to the customer."""
    return delivering_stage(inst, {pol.customer}, pol.product)


FAMILY = PolicyFamily(
    name="offtake",
    schema=Offtake,
    doc="Row per policy and year: deliveries that count (clean ones for a clean offtake; from the listed "
        "countries or facilities, if any) >= `quantity` (t/yr). Dual: the cost of one more t/yr of offtake (USD/t).",
    rules=(),
    validate=validate,
    build=build,
    dual=DualSpec.per_year(
        "USD/t",
        lambda k, _b: f"cost of one more t/yr of offtake {k[0]} in {k[1]}",
        1.0,
        lambda k, b: _note(k, b.inst),
        index='policy|year',
        row='$\\ge$',
        value='cost of one more t/yr of offtake (>= 0; for an offtake of all its plants can make, see `note`)',
    ),
    slack="offtake short",
    explain=explain,
    check=check,
    lp_rows=lp_rows,
        achieved=Achieved("deliveries that count towards the offtake (offtakes.csv)", "t/yr", measure),
    param="quantity",
    stage=stage,
    pinned=True,
    sense=">=",
)

r"""``export_cap``: flows of products leaving a country group are capped (0: an export ban).

Row (policy, t), t/yr:

.. math:: \sum_{o \in G,\ d \notin G,\ d \in H,\ p \in P,\ g} F[o,d,p,g,t] \le X_t

G the exporting countries, H the destination countries (anywhere outside G when not given),
P the capped products (``Instance.export_sides``, ``Instance.export_counts``).  The dual is the
value of one more t/yr of exports allowed (USD/t); at a cap of 0 it is an upper bound.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..core.policy import ByPeriod, PolicyBase, by_period
from ..core.refs import ref, COUNTRY, GROUP, PRODUCT
from .base import Achieved, BuildContext, CheckContext, DualSpec, LPRow, PolicyFamily, RuleContext, making_stage


class ExportCap(PolicyBase):
    """Flows of product(s) leaving a country group are at most `quantity` t/yr (0 = export ban)."""

    kind: Literal["export_cap"]
    group: str | None = Field(None, description="Exporting country group.", json_schema_extra=ref(GROUP))
    countries: list[str] | None = Field(None, description="Exporting countries (instead of `group`).", json_schema_extra=ref(COUNTRY))
    product: str | list[str] = Field(description="Product or list of products capped.", json_schema_extra=ref(PRODUCT))
    quantity: ByPeriod = Field(description="Most leaving the group.", json_schema_extra={"unit": "t/yr"})
    to_group: str | None = Field(None, description="Only count flows into this group (default: anywhere outside).", json_schema_extra=ref(GROUP))
    to_countries: list[str] | None = Field(None, description="Only count flows into these countries.", json_schema_extra=ref(COUNTRY))


def validate(ctx: RuleContext) -> None:
    p = ctx.policy
    if (p.group is None) == (p.countries is None):
        both = "both" if p.group is not None else "neither"
        ctx.bad("group", f"needs exactly one of `group` or `countries` (the exporters); got {both}")
    if p.to_group is not None and p.to_countries is not None:
        ctx.bad("to_group", "give at most one of `to_group` or `to_countries`; got both")


def build(ctx: BuildContext) -> None:
    inst = ctx.inst

    def make(pol: ExportCap, t: int, x: float):
        terms = [(1.0, v) for p in inst.export_products(pol) for o, d, v in ctx.flows_of.get((p, t), [])
                 if inst.export_counts(pol, o, d)]
        return {(pol.name, t): (terms, x)}

    ctx.constrain(FAMILY, make)


def _ban(k: tuple, b) -> bool:
    pol = b.inst.policy(k[0])
    return (by_period(pol.quantity, k[1]) or 0.0) <= 0.0


def explain(_inst, k: tuple, amount: float) -> tuple[str, str]:
    name, t = k
    return "t/yr", f"export cap {name} {t}: {amount:,.6g} t more exports than allowed"


def exports(ctx: CheckContext, pol: ExportCap, t: int) -> float:
    r"""Flows of the capped products counted by the cap in t (t/yr), from flows.csv."""
    inst = ctx.inst
    products = inst.export_products(pol)
    return sum(r["quantity"] for r in ctx.plan.by_period.get(t, [])
               if r["product"] in products and inst.export_counts(pol, r["origin"], r["destination"]))


def check(ctx: CheckContext) -> None:
    r"""Exports within the cap: exports_t <= X_t (t/yr)."""
    for pol, t, x in ctx.inst.policy_values(ExportCap, "quantity"):
        ctx.count("export_cap")
        ctx.le("export_cap", f"{pol.name} {t}", "exports", exports(ctx, pol, t), "cap", x)


def lp_rows(lp) -> list[LPRow]:
    r"""export_cap (policy,t): flows of the capped products leaving the exporting group (into the
    destination group, if given) :math:`\le X_t` (t/yr)."""
    inst = lp.inst
    flows = [c for c in lp.cost if c[0] == "F"]
    out = []
    for pol in inst.policies_of(ExportCap):
        products = inst.export_products(pol)
        for t, x in inst.values_of(pol, "quantity"):
            terms = {c: 1.0 for c in flows if c[5] == t and c[3] in products and inst.export_counts(pol, c[1], c[2])}
            out.append(LPRow("export_cap", (pol.name, t), "<=", x, terms))
    return out


def measure(inst, tables, pol: ExportCap, years) -> dict[int, float]:
    products = inst.export_products(pol)
    out: dict[int, float] = {t: 0.0 for t in years}
    for o, d, p, t, q in tables["flows"][["origin", "destination", "product", "period", "quantity"]].itertuples(index=False):
        if p in products and inst.export_counts(pol, o, d):
            out[int(t)] = out.get(int(t), 0.0) + float(q)
    return out


def stage(inst, pol: ExportCap) -> str | None:
    """The stage of the facilities making the capped products."""
    return making_stage(inst, set(inst.export_products(pol)))


FAMILY = PolicyFamily(
    name="export_cap",
    schema=ExportCap,
    doc="Row per policy and year: flows of the listed products from facilities in the exporting countries to "
        "places outside them (into `to_group` or `to_countries`, if given) <= `quantity` (t/yr). Dual: the value of "
        "one more t/yr of exports allowed (USD/t); for a ban (0 t/yr) an upper bound, noted in duals.csv.",
    rules=("an `export_cap` names exactly one of `group` or `countries` and at most one of `to_group` or "
           "`to_countries`",),
    validate=validate,
    build=build,
    dual=DualSpec.per_year(
        "USD/t",
        lambda k, b: f"value of one more t/yr of exports allowed under {k[0]} in {k[1]}"
                     + (" (at most)" if _ban(k, b) else ""),
        -1.0,
        lambda k, b: (f"the cap is 0 t/yr in {k[1]} (a ban): its dual is one of a range of values that price "
                      "the plan equally; the value is an upper bound on what allowing one t/yr would save")
        if _ban(k, b) else "",
        index='policy|year',
        row='$\\le$',
        value='value of one more t/yr of exports allowed (>= 0; at a cap of 0, at most: see `note`)',
    ),
    slack="exports above cap",
    explain=explain,
    check=check,
    lp_rows=lp_rows,
        achieved=Achieved("flows the cap counts: the products leaving the exporters (flows.csv)", "t/yr", measure),
    param="quantity",
    stage=stage,
    pinned=True,
)

r"""``max_supplier_share``: no single facility makes more than a share of its stage's production.

Row (policy, facility, t), in t/yr of the measured product (units of activity where the stage
makes none):

.. math:: q_{f,t} - b_t \sum_{f' \in s} q_{f',t} \le 0

The dual is the value of letting the facility make one more unit above its share (USD/t).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..core.policy import ByPeriod, PolicyBase
from ..core.refs import ref, PRODUCT, STAGE
from .base import (Achieved, BuildContext, CheckContext, DualSpec, LPRow, PolicyFamily, RuleContext,
                   check_stage_product)


class MaxSupplierShare(PolicyBase):
    """No single facility makes more than `share` of its stage's production."""

    kind: Literal["max_supplier_share"]
    stage: str = Field(description="Stage.", json_schema_extra=ref(STAGE))
    share: ByPeriod = Field(description="Largest share of one facility, 0..1.", json_schema_extra={"unit": "fraction"})
    product: str | None = Field(
        None,
        description="Product whose tonnes are measured; required where the stage's facilities make several or different "
                    "products (default: the one product they all make).", json_schema_extra=ref(PRODUCT)
    )


def validate(ctx: RuleContext) -> None:
    check_stage_product(ctx)


def at_stage(inst, pol: MaxSupplierShare) -> list[str]:
    return [f for f, fac in inst.facilities.items() if fac.stage == pol.stage]


def build(ctx: BuildContext) -> None:
    inst = ctx.inst

    def make(pol: MaxSupplierShare, t: int, b: float):
        stage = at_stage(inst, pol)
        product = inst.stage_product(pol.stage, pol.product)
        total = [term for f in stage for term in ctx.output_of(f, t, product)]
        if not total:
            return None
        out = {}
        for f in stage:
            own = ctx.output_of(f, t, product)
            if own:
                out[pol.name, f, t] = (own + [(-b * c, v) for c, v in total], 0.0)
        return out

    ctx.constrain(FAMILY, make)


def explain(inst, k: tuple, amount: float) -> tuple[str, str]:
    name, f, t = k
    pol = inst.policy(name)
    product = inst.stage_product(pol.stage, pol.product)
    return "t/yr", f"supplier share {name} {t}: {f} above its share by {amount:,.6g} t/yr of {product}"


def check(ctx: CheckContext) -> None:
    r"""No facility above its share of the stage: :math:`q_{f,t} \le b_t \sum_{f' \in s} q_{f',t}`.

    q is output of ``product`` (t/yr) or activity (units/yr).
    """
    inst = ctx.inst
    for pol, t, b in ctx.inst.policy_values(MaxSupplierShare, "share"):
        stage = at_stage(inst, pol)
        product = inst.stage_product(pol.stage, pol.product)
        total = sum(ctx.made(f, t, product) for f in stage)
        for f in stage:
            ctx.count("max_supplier_share")
            own = ctx.made(f, t, product)
            ctx.le("max_supplier_share", f"{pol.name} {f} {t}", "output", own,
                   f"share {b:.10g} x stage output", b * total, total)


def lp_rows(lp) -> list[LPRow]:
    r"""max_supplier_share (policy,f,t): :math:`q_{f,t} - b_t \sum_{f' \in s} q_{f',t} \le 0`
    (output of the measured product, t/yr, or activity)."""
    inst = lp.inst
    out = []
    for pol in inst.policies_of(MaxSupplierShare):
        stage = at_stage(inst, pol)
        product = inst.stage_product(pol.stage, pol.product)
        for t, b in inst.values_of(pol, "share"):
            total: dict[tuple, float] = {}
            for f in stage:
                total.update(lp.output(f, t, product))
            for f in stage:
                own = lp.output(f, t, product)
                if own and total:
                    terms = {c: own.get(c, 0.0) - b * r for c, r in total.items()}
                    out.append(LPRow("max_supplier_share", (pol.name, f, t), "<=", 0.0, terms))
    return out


def measure(inst, tables, pol: MaxSupplierShare, _years) -> dict[int, float]:
    act = tables["activity"]
    per = act.groupby(["facility", "period"])["activity"].sum()
    product = inst.stage_product(pol.stage, pol.product)
    made: dict[int, dict[str, float]] = {}
    for (f, t), a in per.items():
        if inst.facilities[f].stage == pol.stage:
            made.setdefault(int(t), {})[f] = float(a * inst.outputs[f].get(product, 0.0))
    return {t: (max(v.values()) / sum(v.values()) if sum(v.values()) > 0 else 0.0) for t, v in made.items()}


FAMILY = PolicyFamily(
    name="max_supplier_share",
    schema=MaxSupplierShare,
    doc="Row per policy, facility of the stage and year: the facility's output - `share` x the stage's output <= 0 "
        "(t/yr of the measured product). Dual: the value of letting the facility make one more t/yr above its "
        "share (USD/t).",
    rules=("a `max_supplier_share` names the `product` its tonnes are counted in where the stage's facilities "
           "make several or different products",),
    validate=validate,
    build=build,
    dual=DualSpec.per_year(
        "USD/t",
        lambda k, _b: f"value of letting {k[1]} make one more unit above its share under {k[0]} in {k[2]}",
        -1.0,
        index='policy|facility|year',
        row='$\\le$',
        value='value of letting the facility make one more t/yr of the measured product above its share (>= 0)',
    ),
    slack="one supplier above its share",
    explain=explain,
    check=check,
    lp_rows=lp_rows,
        achieved=Achieved("largest single facility's share of the stage's production", "fraction", measure),
    param="share",
    stage=lambda _inst, pol: pol.stage,
)

r"""``output_share``: at least a share of a facility's output goes to named buyers (a plant-tied contract).

Row (policy, t), t/yr of the product:

.. math:: \sum_{d \in D,\ g} F[f,d,p,g,t] - s_t\, r^{out}_{fp} \sum_g x[f,g,t] \ge 0

with D the destinations (customers or facilities) the contract names, e.g. DoD taking all of a
plant's magnets (s = 1).  The dual is the cost of one more t/yr of the facility's output
required at its destinations (USD/t).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..core.policy import ByPeriod, PolicyBase
from ..core.refs import CUSTOMER, FACILITY, PRODUCT, ref
from .base import Achieved, BuildContext, CheckContext, DualSpec, LPRow, PolicyFamily, RuleContext


class OutputShare(PolicyBase):
    """At least `share` of a facility's output of a product is delivered to the listed destinations (a contract
    for a plant's output)."""

    kind: Literal["output_share"]
    facility: str = Field(description="Facility whose output is contracted.", json_schema_extra=ref(FACILITY))
    product: str = Field(description="Product contracted.", json_schema_extra=ref(PRODUCT))
    destinations: list[str] = Field(description="Customers or facilities that take it.",
                                    json_schema_extra=ref(FACILITY, CUSTOMER))
    share: ByPeriod = Field(description="Least share of the output they take, 0..1 (1: all of it).",
                            json_schema_extra={"unit": "fraction"})


def validate(ctx: RuleContext) -> None:
    p = ctx.policy
    if ctx.outs is not None and not ctx.unknown(ctx.facilities, p.facility) \
            and p.product not in ctx.outs.get(p.facility, set()):
        ctx.bad("product", f"facility {p.facility!r} does not make {p.product!r}; expected a product of its `out` recipe rows")
        return
    if ctx.lanes is not None:
        for d in p.destinations:
            if (p.facility, d, p.product) not in ctx.lanes:
                ctx.bad("destinations", f"no lane {p.facility} -> {d} ({p.product}) in {ctx.file['lanes']}; "
                                        "expected a lane for every destination of the contract")


def build(ctx: BuildContext) -> None:
    def make(pol: OutputShare, t: int, s: float):
        taken = [(1.0, v) for o, d, v in ctx.flows_of.get((pol.product, t), [])
                 if o == pol.facility and d in pol.destinations]
        made = ctx.output_of(pol.facility, t, pol.product)
        return {(pol.name, t): (taken + [(-s * c, v) for c, v in made], 0.0)}

    ctx.constrain(FAMILY, make)


def _note(k: tuple, inst) -> str:
    """A contract for all of the output cannot be tightened: its dual is not a price, say so."""
    if dict(inst.values_of(inst.policy(k[0]), "share")).get(k[1], 0.0) < 1.0:
        return ""
    return (f"the contract takes all of the output in {k[1]}: no more can be required, so the row holds at the edge "
            "of feasibility and its dual is one of a range of values that price the plan equally; the value is what "
            "relaxing it by one t/yr would save")


def explain(_inst, k: tuple, amount: float) -> tuple[str, str]:
    name, t = k
    return "t/yr", f"output share {name} {t}: the destinations take {amount:,.6g} t/yr less than the contract's share"


def taken(ctx: CheckContext, pol: OutputShare, t: int) -> float:
    """Tonnes of the facility's product delivered to the destinations in t (flows.csv)."""
    return sum(ctx.plan.lane_flow.get((pol.facility, d, pol.product, t), 0.0) for d in pol.destinations)


def check(ctx: CheckContext) -> None:
    r"""The destinations take their share: :math:`\sum_{d \in D} F[f,d,p,t] \ge s_t\, r^{out}_{fp} X[f,t]` (t/yr)."""
    for pol, t, s in ctx.inst.policy_values(OutputShare, "share"):
        ctx.count("output_share")
        made = ctx.made(pol.facility, t, pol.product)
        ctx.le("output_share", f"{pol.name} {t}", f"share {s:.10g} x output", s * made, "taken by the destinations",
               taken(ctx, pol, t), made)


def lp_rows(lp) -> list[LPRow]:
    r"""output_share (policy,t): :math:`\sum_{d \in D} F[f,d,p,g,t] - s_t\, r^{out}_{fp} x[f,g,t] \ge 0` (t/yr)."""
    inst = lp.inst
    leaving: dict[tuple, list[tuple]] = {}  # (origin, product, year) -> flow columns
    for c in lp.cost:
        if c[0] == "F":
            leaving.setdefault((c[1], c[3], c[5]), []).append(c)
    out = []
    for pol, t, s in inst.policy_values(OutputShare, "share"):
        terms = {c: 1.0 for c in leaving.get((pol.facility, pol.product, t), []) if c[2] in pol.destinations}
        for c, r in lp.output(pol.facility, t, pol.product).items():
            terms[c] = terms.get(c, 0.0) - s * r
        out.append(LPRow("output_share", (pol.name, t), ">=", 0.0, terms))
    return out


def measure(inst, tables, pol: OutputShare, _years) -> dict[int, float]:
    """Share of the facility's output the destinations took, by year (years it made nothing: 0)."""
    act = tables["activity"]
    made = (act[act["facility"] == pol.facility].groupby("period")["activity"].sum()
            * inst.outputs[pol.facility].get(pol.product, 0.0))
    fl = tables["flows"]
    fl = fl[(fl["origin"] == pol.facility) & (fl["product"] == pol.product) & fl["destination"].isin(pol.destinations)]
    got = fl.groupby("period")["quantity"].sum()
    return {int(t): (float(got.get(t, 0.0)) / float(m) if m > 0 else 0.0) for t, m in made.items()}


FAMILY = PolicyFamily(
    name="output_share",
    schema=OutputShare,
    doc="Row per policy and year: deliveries of the product from the facility to the `destinations` - `share` x the "
        "facility's output of it >= 0 (t/yr). Dual: the cost of one more t/yr of the facility's output required at "
        "its destinations (USD/t).",
    rules=("an `output_share` names a facility that makes its `product`, and a lane from it to every destination",),
    validate=validate,
    build=build,
    dual=DualSpec.per_year(
        "USD/t",
        lambda k, _b: f"cost of one more t/yr of output required at the destinations of {k[0]} in {k[1]}",
        1.0,
        lambda k, b: _note(k, b.inst),
        index='policy|year',
        row='$\\ge$',
        value="cost of one more t/yr of the facility's output required at the contract's destinations (>= 0; for a contract on all of the output, see `note`)",
    ),
    slack="contracted output short",
    explain=explain,
    check=check,
    lp_rows=lp_rows,
    achieved=Achieved("share of the facility's output its destinations took", "fraction", measure),
    stage=lambda inst, pol: inst.facilities[pol.facility].stage,
    sense=">=",
    param="share",
    pinned=True,
)

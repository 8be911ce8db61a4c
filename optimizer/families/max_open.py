r"""``max_open``: at most N facilities of a stage open, existing ones included.

Row (policy, t), in facilities:

.. math:: \sum_{f \in s,\ \text{candidate}} y[f,t] + \#\{\text{existing active}\} \le N_t

Rows with no candidate at the stage are left out when they hold (else infeasible).  No dual is
reported: the row holds only open/close decisions, which are fixed in the LP that prices a
model with integer decisions; the value of one more facility is a re-solve away.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..core.policy import ByPeriod, PolicyBase
from ..core.refs import ref, STAGE
from ..core.tolerances import HALF
from .base import Achieved, BuildContext, CheckContext, NoDual, PolicyFamily, RuleContext


class MaxOpen(PolicyBase):
    """At most `count` facilities of a stage open (existing ones included)."""

    kind: Literal["max_open"]
    stage: str = Field(description="Stage the limit applies to.", json_schema_extra=ref(STAGE))
    count: ByPeriod = Field(description="Most facilities open at the stage.", json_schema_extra={"unit": "facilities"})


def validate(_ctx: RuleContext) -> None:
    """Nothing beyond the field rules (the stage exists, the count is whole)."""


def build(ctx: BuildContext) -> None:
    inst = ctx.inst

    def make(pol: MaxOpen, t: int, n: float):
        at_stage = [f for f, fac in inst.facilities.items() if fac.stage == pol.stage and t in inst.active_periods(f)]
        existing = sum(1 for f in at_stage if inst.facilities[f].status == "existing")
        terms = [(1.0, ctx.open[f, t]) for f in at_stage if (f, t) in ctx.open]
        return {(pol.name, t): (terms, n - existing)}

    ctx.constrain(FAMILY, make)


def explain(_inst, k: tuple, amount: float) -> tuple[str, str]:
    name, t = k
    return "facilities", f"facility limit {name} {t}: {amount:,.6g} more facilities open than allowed"


def check(ctx: CheckContext) -> None:
    r"""At most N facilities of a stage open: :math:`\#\{\text{existing active}\} + \sum_{\text{candidates}} y[f,t] \le N_t`."""
    inst = ctx.inst
    for pol, t, n in ctx.inst.policy_values(MaxOpen, "count"):
        ctx.count("max_open")
        opened = sum(ctx.is_open(f, t) for f, fac in inst.facilities.items() if fac.stage == pol.stage)
        ctx.le("max_open", f"{pol.name} {t}", f"open {pol.stage} facilities", opened, "count", n)


def measure(_inst, tables, pol: MaxOpen, years) -> dict[int, float]:
    act = tables["activity"]
    rows = act[(act["stage"] == pol.stage) & (act["open"] >= HALF)]
    return {t: 0.0 for t in years} | {int(t): float(n) for t, n in rows.groupby("period")["facility"].nunique().items()}


FAMILY = PolicyFamily(
    name="max_open",
    schema=MaxOpen,
    doc="Row per policy and year: open candidates of the stage + existing facilities operating that year <= `count` "
        "(facilities). No dual: the row holds only open/close decisions, fixed in the LP that prices the plan.",
    rules=(),
    validate=validate,
    build=build,
    dual=NoDual("the row holds only open/close decisions, which are fixed in the LP that prices a model with "
                "integer decisions"),
    slack="too many facilities open",
    explain=explain,
    check=check,
    lp_rows=None,
    achieved=Achieved("facilities of the stage open", "facilities", measure),
    param="count",
    stage=lambda _inst, pol: pol.stage,
    always_listed=False,
)

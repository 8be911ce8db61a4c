"""What every policy kind shares: its base fields, by-year values and the rule for its numbers.

The policy kinds themselves (their fields, rows, duals and checks) live in
:mod:`optimizer.families`, one module each; this module sits below them and below the schema,
so that both can use it.
"""

from __future__ import annotations

from typing import Union

from pydantic import BaseModel, ConfigDict, Field

#: A number, or a mapping year -> number (the policy applies only in the years listed).
ByPeriod = Union[float, dict[int, float]]


def by_period(value: float | dict[int, float], period: int) -> float | None:
    """Value of a by-period policy parameter in ``period`` (None: not set for that year)."""
    if isinstance(value, dict):
        return value.get(period)
    return value


def policy_value_problem(param: str, value: float) -> str | None:
    """What a policy parameter's value should be, when ``value`` is not (None when it is fine).

    The one rule for policy numbers, used by the loader and by sweeps: a share is a fraction,
    quantities, counts and floors are not negative, and a count is whole.
    """
    if param == "share" and not 0 <= value <= 1:
        return "a fraction between 0 and 1"
    if param in ("quantity", "count", "floor") and value < 0:
        return "a number >= 0"
    if param == "count" and value != int(value):
        return "a whole number of facilities"
    return None


class PolicyBase(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str | None = Field(None, description="Name used in outputs (default: kind and position, e.g. `max_share_2`).")
    periods: list[int] | None = Field(None, description="Years the policy applies in (default: all).")

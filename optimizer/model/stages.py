r"""Which decisions are taken before the outcome is known: the stages of ``m2m hedge``.

Every variable and every row of the model is indexed by the period it belongs to, last in its
index (``flow[o, d, p, g, t]``, ``capacity_limit[f, t]``, ``open_stays_open[f, t', t]``).  With
an ``uncertainty:`` block revealing the outcome in period :math:`R`, a variable is a
**first-stage** (shared) decision when it is decided before :math:`R`:

* an operating decision (activity, flow, surplus, downgrade, unmet demand, store level, in and
  out) of period :math:`t` is decided in :math:`t`;
* a build (a candidate open in :math:`t`, expansion steps available from :math:`t`) is decided
  in :math:`t - \ell`, its ``lead_time`` :math:`\ell` earlier.

Non-anticipativity: a first-stage decision takes the same value in every outcome.  Keys are
plain data (component name, index), so they name the same decision in every outcome's model
and travel to worker processes.
"""

from __future__ import annotations

from typing import Any

from ..input.instance import Instance

#: (component name, index): a variable or row, the same in every outcome's model.
Key = tuple[str, tuple]

#: Variables whose period is when the capacity is available, decided ``lead_time`` earlier.
BUILDS = ("open", "steps")


def key_of(component_data: Any) -> Key:
    """The key of a Pyomo variable or constraint (data object)."""
    return key(component_data.parent_component().local_name, component_data.index())


def key(name: str, index: Any) -> Key:
    """The key of member ``index`` of the component ``name``: the index always a tuple."""
    return name, index if isinstance(index, tuple) else (index,)


def period_of(key: Key) -> int | None:
    """The period a variable or row belongs to (the last element of its index), None if none."""
    index = key[1]
    last = index[-1] if index else None
    return last if isinstance(last, int) and not isinstance(last, bool) else None


def decision_year(key: Key, inst: Instance) -> int | None:
    """The year a variable is decided: its period, less the lead time for a build."""
    t = period_of(key)
    if t is None:
        return None
    name, index = key
    if name == "open":
        return t - (inst.facilities[index[0]].lead_time or 0)
    if name == "steps":
        lead = next((e.lead_time for e in inst.expansions if e.facility == index[0]), None)
        return t - (lead or 0)
    return t


def first_stage(key: Key, inst: Instance, reveal: int) -> bool:
    """True when the variable is decided before ``reveal`` (shared by every outcome).  A variable
    with no period is shared: nothing says it may wait."""
    year = decision_year(key, inst)
    return year is None or year < reveal


def before_reveal(key: Key, reveal: int) -> bool:
    """True when a row (or variable) belongs to a period before ``reveal``: what an outcome may not change."""
    t = period_of(key)
    return t is None or t < reveal

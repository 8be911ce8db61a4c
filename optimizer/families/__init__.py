"""The registry of constraint families: one module each, listed here once.

Everything that does something per family loops over :data:`FAMILIES`: the model builder, the
infeasibility diagnosis, ``m2m check`` and its certificate, the duals listing, compare, the
report, the pins of ``expected.json`` and the docs; over :data:`POLICY_FAMILIES` (the policy
kinds) also the schema (the ``kind:`` a policy may have), the loader's rules and ``m2m sweep``.
Adding a policy kind is adding its module and its line here (see ``docs/architecture.md``).
"""

from __future__ import annotations

from . import (
    activity_floor,
    candidate_flow_link,
    capacity_limit,
    demand_balance,
    expansion_limit,
    export_cap,
    input_balance,
    lane_capacity,
    max_open,
    max_share,
    max_supplier_share,
    offtake,
    open_link,
    open_stays_open,
    output_share,
    price_floor,
    product_balance,
    storage_level,
)
from .base import (Achieved, BuildContext, DualSpec, Family, LPRow, NetworkFamily, NoDual, PolicyFamily,
                   RuleContext)

#: The network's families, in the order the model builds them.
NETWORK_FAMILIES: tuple[NetworkFamily, ...] = (
    product_balance.FAMILY,
    input_balance.FAMILY,
    demand_balance.FAMILY,
    capacity_limit.FAMILY,
    activity_floor.FAMILY,
    open_stays_open.FAMILY,
    open_link.FAMILY,
    candidate_flow_link.FAMILY,
    expansion_limit.FAMILY,
    lane_capacity.FAMILY,
    storage_level.FAMILY,
    storage_level.CAPACITY,
)

#: The policy kinds, in the order the model builds their rows (after the network's).
POLICY_FAMILIES: tuple[PolicyFamily, ...] = (
    max_open.FAMILY,
    max_share.FAMILY,
    offtake.FAMILY,
    export_cap.FAMILY,
    max_supplier_share.FAMILY,
    output_share.FAMILY,
    price_floor.FAMILY,
)

#: Every family, in build order.
FAMILIES: tuple[Family, ...] = (*NETWORK_FAMILIES, *POLICY_FAMILIES)

#: name -> family.
BY_NAME: dict[str, Family] = {f.name: f for f in FAMILIES}
#: policy kind -> family.
BY_KIND: dict[str, PolicyFamily] = {f.name: f for f in POLICY_FAMILIES}


def family_of(policy: object) -> PolicyFamily:
    """The family of a policy (by its schema class)."""
    for f in POLICY_FAMILIES:
        if isinstance(policy, f.schema):
            return f
    raise KeyError(type(policy).__name__)


GROUPS = ("policy", "demand", "network")


def problems(family: Family) -> list[str]:
    """What a family lacks, one line per missing part (empty: complete)."""
    out = []
    if not callable(getattr(family, "build", None)):
        out.append(f"{family.name}: no build hook")
    check = getattr(family, "check", None)
    if not (callable(check) or (isinstance(check, str) and check.strip())):
        out.append(f"{family.name}: no check hook (or the sentence saying which check covers it)")
    if not isinstance(family.dual, (DualSpec, NoDual)) or (isinstance(family.dual, NoDual) and not family.dual.reason):
        out.append(f"{family.name}: no dual spec (a DualSpec, or NoDual with its reason)")
    if isinstance(family.dual, DualSpec) and not (callable(family.lp_rows) and callable(family.dual.to_lp)):
        out.append(f"{family.name}: a reported dual without its certificate rows (lp_rows) and reading back (dual)")
    if isinstance(family.dual, DualSpec) and not all((family.dual.value, family.dual.index, family.dual.row,
                                                      family.dual.reported, family.dual.unit_text)):
        out.append(f"{family.name}: a dual without its docs entry (DualSpec value, index, row, reported, unit)")
    if family.slack is not None and not callable(family.explain):
        out.append(f"{family.name}: a slack without its explanation (explain)")
    if not (family.doc or "").strip():
        out.append(f"{family.name}: no docs entry (doc)")
    if family.group not in GROUPS:
        out.append(f"{family.name}: unknown group {family.group!r}; expected one of {GROUPS}")
    if isinstance(family, PolicyFamily):
        for part in ("validate", "stage"):
            if not callable(getattr(family, part, None)):
                out.append(f"{family.name}: no {part} hook")
        if not isinstance(family.achieved, Achieved) or not callable(family.achieved.measure):
            out.append(f"{family.name}: no sweep measure (achieved)")
        if family.slack is not None and (family.param is None or family.param not in family.schema.model_fields):
            out.append(f"{family.name}: its rows need the by-year field that bounds them (param)")
        if family.schema is None or family.schema.model_fields["kind"].annotation.__args__ != (family.name,):
            out.append(f"{family.name}: its schema's `kind` is not {family.name!r}")
    return out


def _names(keep) -> tuple[str, ...]:
    return tuple(f.name for f in FAMILIES if keep(f))


#: Families whose rows report a dual.
PRICED: tuple[str, ...] = _names(lambda f: isinstance(f.dual, DualSpec))
#: Priced families of each group (compare and the report rank policy duals, then demand duals).
POLICY_DUALS: tuple[str, ...] = _names(lambda f: f.group == "policy" and f.name in PRICED)
DEMAND_DUALS: tuple[str, ...] = _names(lambda f: f.group == "demand" and f.name in PRICED)
#: Families whose duals duals.csv lists on every row, zeros included (else only non-zero values).
ALWAYS_LISTED: tuple[str, ...] = _names(lambda f: f.always_listed and f.name in PRICED)
#: Families whose duals expected.json pins.
PINNED: tuple[str, ...] = _names(lambda f: f.pinned)
#: Families the infeasibility diagnosis relaxes, with what a violation is called.
RELAXED: dict[str, Family] = {f.name: f for f in FAMILIES if f.slack is not None}
#: Families that only strengthen the relaxation of a MILP.
STRENGTHENING: tuple[str, ...] = _names(lambda f: getattr(f, "strengthening", False))

__all__ = ["ALWAYS_LISTED", "Achieved", "BY_KIND", "BY_NAME", "BuildContext", "DEMAND_DUALS", "DualSpec", "FAMILIES",
           "Family", "LPRow", "NETWORK_FAMILIES", "NetworkFamily", "NoDual", "PINNED", "POLICY_DUALS",
           "POLICY_FAMILIES", "PRICED", "PolicyFamily", "RELAXED", "RuleContext", "STRENGTHENING", "family_of",
           "problems"]

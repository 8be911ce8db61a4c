"""The registry of policy kinds: one module each, listed here once.

Everything that does something per policy kind loops over :data:`POLICY_FAMILIES`: the schema
(the ``kind:`` a policy may have), the loader's rules, the model builder, the infeasibility
diagnosis, ``m2m check`` and its certificate, ``m2m sweep``, compare, the report, the pins of
``expected.json`` and the docs.  Adding a kind is adding its module (see ``docs/architecture.md``)
and its line here.
"""

from __future__ import annotations

from . import export_cap, max_open, max_share, max_supplier_share, offtake, price_floor
from .base import Achieved, BuildContext, DualSpec, LPRow, NoDual, PolicyFamily, RuleContext

#: The policy kinds, in the order the model builds their rows.
POLICY_FAMILIES: tuple[PolicyFamily, ...] = (
    max_open.FAMILY,
    max_share.FAMILY,
    offtake.FAMILY,
    export_cap.FAMILY,
    max_supplier_share.FAMILY,
    price_floor.FAMILY,
)

#: kind -> family.
BY_KIND: dict[str, PolicyFamily] = {f.name: f for f in POLICY_FAMILIES}


def family_of(policy: object) -> PolicyFamily:
    """The family of a policy (by its schema class)."""
    for f in POLICY_FAMILIES:
        if isinstance(policy, f.schema):
            return f
    raise KeyError(type(policy).__name__)


def problems(family: PolicyFamily) -> list[str]:
    """What a family lacks, one line per missing part (empty: complete)."""
    out = []
    for part in ("validate", "build", "check", "stage"):
        if not callable(getattr(family, part, None)):
            out.append(f"{family.name}: no {part} hook")
    if not isinstance(family.dual, (DualSpec, NoDual)) or (isinstance(family.dual, NoDual) and not family.dual.reason):
        out.append(f"{family.name}: no dual spec (a DualSpec, or NoDual with its reason)")
    if isinstance(family.dual, DualSpec) and not (callable(family.lp_rows) and callable(family.lp_dual)):
        out.append(f"{family.name}: a reported dual without its certificate rows (lp_rows) and rule (lp_dual)")
    if family.slack is not None and not callable(family.explain):
        out.append(f"{family.name}: a slack without its explanation (explain)")
    if family.slack is None and (family.explain is not None or isinstance(family.dual, DualSpec)):
        out.append(f"{family.name}: rows that are priced but never relaxed: give a slack and its explanation (explain)")
    if not isinstance(family.achieved, Achieved) or not callable(family.achieved.measure):
        out.append(f"{family.name}: no sweep measure (achieved)")
    if not (family.doc or "").strip():
        out.append(f"{family.name}: no docs entry (doc)")
    if family.schema is None or family.schema.model_fields["kind"].annotation.__args__ != (family.name,):
        out.append(f"{family.name}: its schema's `kind` is not {family.name!r}")
    if family.group != "policy":
        out.append(f"{family.name}: unknown group {family.group!r}")
    return out


#: Policy families whose rows report a dual (listed first in compare and the report).
PRICED: tuple[str, ...] = tuple(f.name for f in POLICY_FAMILIES if isinstance(f.dual, DualSpec))

#: Policy families whose duals duals.csv lists on every row, zeros included.
ALWAYS_LISTED: tuple[str, ...] = tuple(f.name for f in POLICY_FAMILIES if f.always_listed and f.name in PRICED)

#: Policy families whose duals expected.json pins.
PINNED: tuple[str, ...] = tuple(f.name for f in POLICY_FAMILIES if f.pinned)

#: Policy families relaxed by the infeasibility diagnosis, with what a violation is called.
RELAXED: dict[str, PolicyFamily] = {f.name: f for f in POLICY_FAMILIES if f.slack is not None}

__all__ = ["ALWAYS_LISTED", "Achieved", "BuildContext", "BY_KIND", "DualSpec", "LPRow", "NoDual", "PINNED", "POLICY_FAMILIES", "PRICED",
           "PolicyFamily", "RELAXED", "RuleContext", "family_of", "problems"]

"""References between tables: where a code a column names must be defined.

A code column declares its reference on its field (``ref=`` on a table column of
:mod:`optimizer.input.schema`, ``json_schema_extra={"ref": ...}`` on a policy field); the
loader's rules check every reference from these declarations, and the docs list them.  A
reference is ``"table.column"``, or several, any of which may define the code.
"""

from __future__ import annotations

from typing import Any

FACILITY = "facilities.facility"
PRODUCT = "products.product"
COUNTRY = "countries.country"
CUSTOMER = "demands.customer"
STAGE = "facilities.stage"
#: A country group: named in the ``groups`` column of countries.csv (``;``-separated).
GROUP = "countries.groups"


def ref(*targets: str) -> dict[str, Any]:
    """``json_schema_extra`` of a field whose codes must be defined in one of ``targets``."""
    return {"ref": list(targets)}


def refs_of(model: Any) -> dict[str, tuple[str, ...]]:
    """column -> the references its codes must satisfy, for a pydantic row or policy model."""
    out = {}
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if extra.get("ref"):
            out[name] = tuple(extra["ref"])
    return out


def noun(target: str) -> str:
    """What a reference's codes are, in words: ``facilities.facility`` -> ``facility``."""
    return {GROUP: "country group"}.get(target, target.split(".", 1)[1])

"""Structural checks on the supply network, before any model is built.

Walks the chain from sources forward: a facility can run only if every product its recipe
consumes can arrive by some lane from a facility that can run.  A hard demand that no running
facility can reach, or a clean demand (or clean offtake) that no chain outside the provenance
group can reach, is an input error worth stating in supply-chain words rather than an
"infeasible" from the solver.
"""

from __future__ import annotations

import math

from ..core.errors import Finding, finding
from .instance import Instance
from .readers import YAML_FILE
from .schema import Offtake


def runnable(inst: Instance, allowed: set[str]) -> set[str]:
    """Facilities in ``allowed`` that can run using only facilities in ``allowed`` upstream."""
    origins = inst.origins
    ok = {f for f in allowed if inst.is_source(f)}
    pending = set(allowed) - ok
    changed = True
    while changed:
        changed = False
        for f in list(pending):
            if all(any(o in ok and o in allowed for o in origins.get((f, p), ())) for p in inst.inputs[f]):
                ok.add(f)
                pending.discard(f)
                changed = True
    return ok


def _why_not(inst: Instance, facility: str, ok: set[str], allowed: set[str], depth: int = 0) -> str:
    """First missing input on the way up from ``facility``, in words."""
    for p in inst.inputs[facility]:
        origins = [o for o in inst.origins.get((facility, p), ()) if o in allowed]
        if not origins:
            return f"{facility} has no lane bringing {p}"
        if not any(o in ok for o in origins):
            if depth >= 4:
                return f"{facility} gets {p} only from facilities that cannot run"
            return _why_not(inst, origins[0], ok, allowed, depth + 1)
    return f"{facility} cannot run"


def _reach_message(inst: Instance, customer: str, product: str, ok: set[str], allowed: set[str], what: str,
                   excluded: str = "in the provenance group or marked touched",
                   need: str = "a chain of facilities that can make clean material") -> str | None:
    """Why no chain of facilities in ``allowed`` can deliver ``product`` to ``customer`` (None if one can).

    ``excluded`` says in words which facilities ``allowed`` leaves out, ``need`` what is required."""
    origins = inst.origins.get((customer, product), [])
    eligible = [o for o in origins if o in allowed]
    if any(o in ok for o in eligible):
        return None
    if not origins:
        return f"no lane delivers {product} to {customer}; {what} needs at least one lane from a facility"
    if not eligible:
        return f"every lane delivering {product} to {customer} starts at a facility {excluded}; {what} needs {need}"
    return f"no chain of lanes and recipes reaches {customer} with {product} ({_why_not(inst, eligible[0], ok, allowed)})"


def check(inst: Instance, raw_rows: dict[str, list], policy_lines: list[int]) -> tuple[list[Finding], list[Finding]]:
    """Return (errors, warnings) about the network's structure."""
    errors: list[Finding] = []
    warnings: list[Finding] = []
    everything = set(inst.facilities)
    ok_all = runnable(inst, everything)
    clean_allowed = {f for f in everything if not inst.touched_only(f)}
    ok_clean = runnable(inst, clean_allowed) if inst.tracks_provenance else set()

    seen: set[tuple[str, str, str]] = set()
    for raw, d in zip(raw_rows["demands"], inst.demands):
        clean = d.provenance == "clean"
        key = (d.customer, d.product, d.provenance)
        if key in seen or d.quantity <= 0:
            continue
        seen.add(key)
        hard = d.penalty is None
        what = "a hard demand" if hard else "this demand"
        msg = _reach_message(inst, d.customer, d.product, ok_all, everything, what)
        if msg is None and clean:
            msg = _reach_message(inst, d.customer, d.product, ok_clean, clean_allowed, "a clean demand")
            if msg is not None:
                msg = f"clean demand cannot be met: {msg}"
        if msg is not None:
            target = errors if hard else warnings
            file, row = raw.at("product")
            target.append(finding(file, row, "product", msg + ("" if hard else " (it will go unmet at its penalty)")))

    for i, p in enumerate(inst.policies):
        if isinstance(p, Offtake) and p.customer in inst.customers:
            upstream = clean_allowed if p.provenance == "clean" else everything
            ok = ok_clean if p.provenance == "clean" else ok_all  # a clean offtake tracks provenance
            last = {f for f in upstream if (p.countries is None or inst.facilities[f].country in p.countries)
                    and (p.facilities is None or f in p.facilities)}
            parts = (["in the provenance group or marked touched"] if p.provenance == "clean" else []) + (
                [f"outside {', '.join(p.countries)}"] if p.countries is not None else [])
            needs = (["of facilities that can make clean material"] if p.provenance == "clean" else []) + (
                [f"in {', '.join(p.countries)}"] if p.countries is not None else []) + (
                [f"ending at {', '.join(p.facilities)}"] if p.facilities is not None else [])
            msg = _reach_message(inst, p.customer, p.product, ok, last, "the offtake", " or ".join(parts),
                                 f"a chain {' and '.join(needs)}")
            if msg is not None:
                errors.append(finding(YAML_FILE, policy_lines[i], "customer", f"policy {p.name!r}: {msg}"))

    where = {raw.values.get("facility"): raw for raw in raw_rows.get("facilities", [])}
    for f, fac in inst.facilities.items():
        if fac.status != "candidate" or f not in where:
            continue
        unbounded = [t for t in inst.active_periods(f)
                     if inst.base_capacity(f, t) is None and math.isinf(inst.activity_bound(f, t))]
        if unbounded:
            file, row = where[f].at("capacity")
            errors.append(finding(file, row, "capacity",
                                  f"candidate {f!r} has no capacity and nothing in the data bounds what it can do in "
                                  f"{unbounded}: an output it may leave as surplus, or lanes to and from facilities "
                                  "without limits; give it a capacity (its size if built)"))
    if not inst.tracks_provenance:
        for f, fac in inst.facilities.items():
            if fac.provenance != "auto" and f in where:
                file, row = where[f].at("provenance")
                warnings.append(finding(file, row, "provenance", f"provenance {fac.provenance} has no effect: no demand, "
                                                                  "offtake or share policy tracks provenance"))
    for f in sorted(everything - ok_all):
        raw = where.get(f)
        file, row = raw.at("facility") if raw is not None else ("facilities.csv", "-")
        warnings.append(finding(file, row, "facility", f"facility {f!r} can never run: {_why_not(inst, f, ok_all, everything)}"))
    return errors, warnings

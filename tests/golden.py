"""Golden LP rows: each constraint family's rows on one small instance, as checked-in text.

``tests/data/golden/instance`` has one of every constraint family and policy kind.  For each
family, ``tests/data/golden/<family>.txt`` holds its rows as the model builds them, one per line:

    offtake[defence|2025]: 5 <= flow[magnet_us,dod,magnet,clean,2025]

(terms sorted by variable name, coefficients to 12 significant digits), and for a kind that
pays instead of adding rows (``price_floor``) its cost or transfer expressions per year.  A
change of formulation shows up as a diff of these files, separately from any optimum.

    python -m tests.golden            # compare
    python -m tests.golden --update   # rewrite the files after an intended change
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyomo.environ as pyo
from pyomo.repn import generate_standard_repn

from optimizer.families import POLICY_FAMILIES
from optimizer.input.load import load_instance
from optimizer.model.build import Built, build_model

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
INSTANCE = GOLDEN / "instance"


def _num(x: float) -> str:
    return f"{x:.12g}"


def _linear(expr) -> str:
    repn = generate_standard_repn(expr, compute_values=True, quadratic=False)
    terms = sorted((v.name, c) for v, c in zip(repn.linear_vars, repn.linear_coefs) if c)
    parts = [name if c == 1 else f"{_num(c)} {name}" for name, c in terms]
    if repn.constant:
        parts.append(_num(repn.constant))
    return " + ".join(parts) or "0"


def _index(k) -> str:
    return "|".join(map(str, k if isinstance(k, tuple) else (k,)))


def family_rows(built: Built, name: str) -> list[str]:
    """The rows of constraint component ``name`` (or a paying kind's expressions), one line each."""
    comp = built.model.component(name)
    lines = []
    if isinstance(comp, pyo.Constraint):
        for k in sorted(comp.keys(), key=_index):
            c = comp[k]
            lo = "" if c.lower is None else f"{_num(pyo.value(c.lower))} <= "
            hi = "" if c.upper is None else f" <= {_num(pyo.value(c.upper))}"
            if c.equality:
                lo, hi = "", f" == {_num(pyo.value(c.upper))}"
            lines.append(f"{name}[{_index(k)}]: {lo}{_linear(c.body)}{hi}")
        return lines
    for kind, table in (("cost", built.costs), ("transfer", built.transfers)):
        for t, expr in sorted(table.get(name, {}).items()):
            lines.append(f"{name} {kind} {t}: {_linear(expr)}")
    return lines


def families(built: Built) -> list[str]:
    """Every constraint component of the model, then the policy kinds that add none."""
    names = [c.name for c in built.model.component_objects(pyo.Constraint, descend_into=True)]
    return names + [f.name for f in POLICY_FAMILIES if f.name not in names]


def render() -> dict[str, str]:
    built = build_model(load_instance(INSTANCE))
    return {name: "\n".join(family_rows(built, name)) + "\n" for name in families(built)}


def main(argv: list[str]) -> int:
    update = "--update" in argv
    changed = []
    for name, text in render().items():
        path = GOLDEN / f"{name}.txt"
        if not path.exists() or path.read_text() != text:
            changed.append(name)
            if update:
                path.write_text(text)
    print(("rewrote " if update else "differ: ") + (", ".join(changed) or "none"))
    return 1 if changed and not update else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

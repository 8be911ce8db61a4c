"""Explain an infeasible instance in business terms.

The model is rebuilt with a named, non-negative slack on every relaxable family (hard demands,
offtakes, shares, capacities, lane capacities, export caps, facility counts) and solved for the
least total violation.  Each slack that must be positive is one line of ``infeasibility.csv``,
ranked by size: what has to give, by how much, in the family's own unit.
"""

from __future__ import annotations

import pandas as pd

from ..core.contract import RESULT_TABLES
from ..core.tolerances import VIOLATION_TOL
from ..families import RELAXED
from ..input.instance import Instance
from ..model.build import build_model
from .solver import SolveOptions, Status, solve

INFEASIBILITY_COLUMNS = RESULT_TABLES["infeasibility"].names


def _explain(inst: Instance, family: str, k: tuple, amount: float) -> tuple[str, str]:
    """(unit, sentence) for a violation of ``amount`` on row ``k`` of ``family`` (the family's own words)."""
    if family in RELAXED:
        return RELAXED[family].explain(inst, k, amount)  # type: ignore[misc]
    return "", f"{family} {k}: violated by {amount:,.6g}"


def explain(inst: Instance, opts: SolveOptions = SolveOptions()) -> tuple[Status, pd.DataFrame]:
    """Solve the relaxed model; return its status and the ranked violations."""
    built = build_model(inst, relax=True)
    sol = solve(built, SolveOptions(time_limit=opts.time_limit, mip_gap=opts.mip_gap, threads=opts.threads,
                                    algorithm=opts.algorithm, duals=False))
    rows = []
    if sol.status.has_solution:
        for family in built.slacks:
            var = getattr(built.model, f"{family}_violation")
            for idx, v in var.items():
                amount = v.value or 0.0
                if amount > VIOLATION_TOL:
                    k = idx if isinstance(idx, tuple) else (idx,)
                    unit, text = _explain(inst, family, k, amount)
                    rows.append({"constraint": family, "index": "|".join(map(str, k)), "period": k[-1],
                                 "violation": amount, "unit": unit, "explanation": text})
    df = pd.DataFrame(rows, columns=INFEASIBILITY_COLUMNS[1:])
    df = df.sort_values(["violation", "constraint", "index"], ascending=[False, True, True], ignore_index=True)
    df.insert(0, "rank", range(1, len(df) + 1))
    return sol.status, df

"""A run: what solving one instance (with its scenarios) produced, as plain data.

Made by :func:`optimizer.pipeline.run`; written by :mod:`optimizer.results.write`, printed by
:mod:`optimizer.results.console`, pinned by :mod:`optimizer.results.expected`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from ..core.contract import OUTCOME, PLAN_TABLES

if TYPE_CHECKING:  # annotations only: holding a run needs neither Pyomo nor HiGHS
    import pandas as pd

    from ..input.instance import Instance
    from ..model.build import Built
    from ..solving.extract import Results
    from ..solving.solver import Solution


@dataclass(frozen=True)
class Run:
    """One solve, whole once made: writing it or printing it changes nothing in it."""

    instance: Instance
    solution: Solution
    results: Results
    built: Built | None = None
    infeasibility: pd.DataFrame | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return self.results.tables

    @property
    def summary(self) -> dict[str, Any]:
        return self.results.summary

    def unmet_t(self, customers: Sequence[str] | None = None) -> float:
        """Demand left unmet over the horizon (t), of ``customers`` if given: each period's t/yr
        times the years it stands for."""
        un = self.tables["unmet"]
        if customers is not None:
            un = un[un["customer"].isin(customers)]
        return float(sum(q * self.instance.years(int(t)) for q, t in zip(un["unmet"], un["period"])))


def stack_outcomes(runs: Mapping[str, Run]) -> dict[str, pd.DataFrame]:
    """The plan tables of one run per outcome (outcome name -> run), stacked in that order with
    the ``outcome`` column first: a hedge folder's tables (docs/results.md)."""
    import pandas as pd

    out: dict[str, pd.DataFrame] = {}
    for name in PLAN_TABLES:
        parts = [r.tables[name].assign(**{OUTCOME.name: o})[[OUTCOME.name, *r.tables[name].columns]]
                 for o, r in runs.items() if name in r.tables]
        if parts:
            out[name] = pd.concat(parts, ignore_index=True)
    return out

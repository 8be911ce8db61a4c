"""A plan to compare: the summary and results tables of one run, with the figures compare reads from them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..core.contract import SOLVED


@dataclass
class Plan:
    """One plan to compare: its name (a column header), its summary and its results tables."""

    name: str
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def outcomes(self) -> list[str]:
        """The outcomes of a hedged plan (``m2m hedge``; its tables have an ``outcome`` column), in
        the order of ``uncertainty:``; empty for a plan of one run."""
        u = self.summary.get("uncertainty") or {}
        return [str(o["name"]) for o in u.get("outcomes", [])]

    @property
    def probabilities(self) -> list[float]:
        return [float(o["probability"]) for o in (self.summary.get("uncertainty") or {}).get("outcomes", [])]

    def outcome(self, name: str) -> "Plan":
        """A hedged plan's plan in one outcome, as a plan of one run (named as this one)."""
        tables = {t: df[df["outcome"] == name].drop(columns="outcome").reset_index(drop=True)
                  for t, df in self.tables.items()}
        return Plan(self.name, dict((self.summary.get("outcomes") or {}).get(name) or {"status": "unknown"}), tables)

    @property
    def status(self) -> str:
        return str(self.summary.get("status", "unknown"))

    @property
    def solved(self) -> bool:
        """True when the plan has a solution (status optimal or feasible) and its tables."""
        return self.status in SOLVED and bool(self.tables)

    @property
    def objective(self) -> float | None:
        value = self.summary.get("objective")
        return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None

    @property
    def cost_breakdown(self) -> dict[str, float]:
        """Discounted total per cost term (from the summary, else summed from costs)."""
        breakdown = self.summary.get("cost_breakdown")
        if breakdown:
            return {str(k): float(v) for k, v in breakdown.items()}
        if not self.solved:
            return {}
        costs = self.tables["costs"]
        costs = costs[costs["kind"] == "cost"]
        return {str(k): float(v) for k, v in costs.groupby("term", sort=False)["discounted"].sum().items()}

    @property
    def transfers(self) -> dict[str, dict[str, float]]:
        """Each transfer term (not in the objective): ``total`` (USD of each year) and ``discounted`` (USD)."""
        if not self.solved:
            return {}
        costs = self.tables["costs"]
        costs = costs[costs["kind"] == "transfer"]
        out: dict[str, dict[str, float]] = {}
        for term, rows in costs.groupby("term", sort=False):
            out[str(term)] = {"total": float((rows["cost"] * rows["years"]).sum()),
                              "discounted": float(rows["discounted"].sum())}
        return out


def with_expected_costs(summary: dict[str, Any]) -> dict[str, Any]:
    """A hedge's summary with ``cost_breakdown``: each term's expected value over the outcomes
    (left out when an outcome has no plan)."""
    plans = summary.get("outcomes") or {}
    outcomes = (summary.get("uncertainty") or {}).get("outcomes", [])
    if not outcomes or any(str((plans.get(o["name"]) or {}).get("status")) not in SOLVED for o in outcomes):
        return {**summary, "cost_breakdown": {}}
    terms: dict[str, float] = {}
    for o in outcomes:
        for term, v in (plans[o["name"]].get("cost_breakdown") or {}).items():
            terms[term] = terms.get(term, 0.0) + o["probability"] * float(v)
    return {**summary, "cost_breakdown": terms}

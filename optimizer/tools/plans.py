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

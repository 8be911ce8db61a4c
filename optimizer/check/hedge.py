r"""Re-check a hedge folder (``m2m hedge``) against its instance, without Pyomo or the solver.

* **Each outcome's plan** is checked as a results folder is (:class:`~optimizer.check.checker.Checker`):
  its rows of every table (those with its name in ``outcome``) against the instance with the
  outcome's scenarios applied, and its summary (``summary.json`` ``outcomes``).  Its duals are not
  certified: a hedged plan's shared decisions are priced across outcomes, so no outcome's LP alone
  has them as an optimality certificate.
* **Non-anticipativity**: every row of ``flows``, ``activity``, ``surplus``, ``unmet`` and
  ``inventory`` in a period before ``reveal``, and every build of ``investments`` decided before
  it, is the same in every outcome (to the tolerance).
* **The risk figures**, recomputed from ``outcomes.csv``: expected cost, CVaR (as
  :math:`\min_\eta \eta + \frac{1}{1-\alpha}\sum_o p_o (C_o - \eta)^+`, over :math:`\eta` among
  the outcome costs, independently of the solve's sorting), the objective, the worst outcome,
  EVPI and VSS; each outcome's cost against its summary; the outcomes and probabilities against
  the instance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..core.contract import HEDGE_TABLES, OUTCOME, read_rows
from ..core.errors import Finding, InputError
from ..input.load import load_outcomes
from .checker import CheckReport, Checker
from .tables import TABLE_KEYS, PlanTables, read_tables

#: Tables whose rows before ``reveal`` must be the same in every outcome, and the value compared.
SHARED_VALUES = {"flows": "quantity", "activity": "activity", "surplus": "quantity", "unmet": "unmet",
                 "inventory": ("level", "in", "out")}

NOT_CERTIFIED = "duals not certified: a hedged plan's shared decisions are priced across outcomes"


def _cvar(costs: list[float], probs: list[float], alpha: float) -> float:
    r"""Rockafellar-Uryasev: :math:`\min_\eta \eta + \frac{1}{1-\alpha}\sum p (C - \eta)^+`, attained at an outcome's cost."""
    return min(eta + sum(p * max(0.0, c - eta) for c, p in zip(costs, probs)) / (1.0 - alpha) for eta in costs)


class HedgeChecker:
    def __init__(self, folder: Path, summary: dict[str, Any], path: str | Path, tol: float):
        self.folder, self.summary, self.tol = folder, summary, tol
        named = summary.get("instance") or {}
        self.base, self.u, self.insts = load_outcomes(path, named.get("scenario") or [])
        self.violations: list[str] = []
        self.checked: dict[str, int] = {}

    def fail(self, family: str, label: str, message: str) -> None:
        self.violations.append(f"{family} {label}: {message}")

    def count(self, family: str, n: int = 1) -> None:
        self.checked[family] = self.checked.get(family, 0) + n

    def close(self, a: float | None, b: float | None, scale: float = 1.0) -> bool:
        if a is None or b is None:
            return a is None and b is None
        return abs(a - b) <= self.tol * max(1.0, abs(scale), abs(a), abs(b))

    def run(self) -> None:
        tables = read_tables(self.folder, (OUTCOME,))
        findings: list[Finding] = []
        outcomes = read_rows(self.folder, "outcomes", findings, HEDGE_TABLES["outcomes"].names)
        if findings:
            raise InputError(findings)
        names = [o.name for o in self.u.outcomes]
        recorded = [(o.get("name"), o.get("probability")) for o in (self.summary.get("uncertainty") or {}).get("outcomes", [])]
        if recorded != [(o.name, o.probability) for o in self.u.outcomes]:
            self.fail("outcomes", "summary.json", f"outcomes {recorded} != the instance's "
                                                  f"{[(o.name, o.probability) for o in self.u.outcomes]}")
        per = {n: {name: [r for r in rows if r[OUTCOME.name] == n] for name, rows in tables.items()} for n in names}
        for name, rows in tables.items():
            for r in rows:
                if r[OUTCOME.name] not in per:
                    self.fail("outcomes", f"{name}.csv line {r['_line']}", f"unknown outcome {r[OUTCOME.name]!r}; expected one of {names}")
        plans = self.summary.get("outcomes") or {}
        for n in names:
            checker = Checker(self.insts[n], PlanTables(per[n]), {**(plans.get(n) or {}), "duals": "none"}, self.tol)
            checker.run()
            self.violations.extend(f"outcome {n}: {v}" for v in checker.violations)
            for family, k in checker.checked.items():
                self.count(family, k)
        self.non_anticipativity(per, names)
        self.risk(outcomes, names, plans)

    def non_anticipativity(self, per: dict[str, dict[str, list[dict[str, Any]]]], names: list[str]) -> None:
        """Rows before ``reveal`` (builds decided before it) are the same in every outcome."""
        reveal, first = self.u.reveal, names[0]

        def values(n: str, name: str) -> dict[tuple, tuple]:
            cols = SHARED_VALUES.get(name, ("capacity_added", "steps"))
            cols = (cols,) if isinstance(cols, str) else cols
            out = {}
            for r in per[n][name]:
                year = r["decision_year"] if name == "investments" else r["period"]
                if year < reveal:
                    out[tuple(r[c] for c in TABLE_KEYS[name])] = tuple(r[c] for c in cols)
            return out

        for name in (*SHARED_VALUES, "investments"):
            ref = values(first, name)
            for n in names[1:]:
                got = values(n, name)
                for k in sorted(set(ref) | set(got), key=str):
                    a, b = ref.get(k), got.get(k)
                    self.count("non_anticipativity")
                    zero = tuple(0.0 for _ in (a or b or ()))
                    if not all(self.close(x, y) for x, y in zip(a or zero, b or zero)):
                        self.fail("non_anticipativity", f"{name} {' '.join(map(str, k))}",
                                  f"{a} in {first} != {b} in {n}, before reveal {reveal}")

    def risk(self, outcomes: list[dict[str, Any]], names: list[str], plans: dict[str, Any]) -> None:
        """outcomes.csv against the summaries, and summary.json's risk figures recomputed from it."""
        rows = {r[OUTCOME.name]: r for r in outcomes}
        if sorted(rows) != sorted(names):
            self.fail("risk", "outcomes.csv", f"outcomes {sorted(rows)} != the instance's {sorted(names)}")
            return
        probs = [self.u.outcome(n).probability for n in names]
        costs = [rows[n]["cost"] for n in names]
        for n, c in zip(names, costs):
            self.count("risk")
            if not self.close(c, (plans.get(n) or {}).get("objective")):
                self.fail("risk", f"outcomes.csv line {rows[n]['_line']}",
                          f"cost {c} != the outcome's objective {(plans.get(n) or {}).get('objective')} in summary.json")
            if not self.close(rows[n]["probability"], self.u.outcome(n).probability):
                self.fail("risk", f"outcomes.csv line {rows[n]['_line']}",
                          f"probability {rows[n]['probability']} != the instance's {self.u.outcome(n).probability}")
        if any(c is None for c in costs):
            return
        k = self.summary.get("risk") or {}
        r = self.u.risk
        expected = sum(p * c for p, c in zip(probs, costs))
        tail = _cvar(costs, probs, r.alpha) if r.alpha is not None else None
        objective = expected if r.measure == "expected" else (1 - r.weight) * expected + r.weight * tail  # type: ignore[operator]
        foresight = [rows[n]["foresight_cost"] for n in names]
        ws = None if any(v is None for v in foresight) else sum(p * v for p, v in zip(probs, foresight))
        reference = [rows[n]["reference_plan_cost"] for n in names]
        eev = None if any(v is None for v in reference) else sum(p * v for p, v in zip(probs, reference))
        top = max(costs)
        worst = ", ".join(n for n, c in zip(names, costs) if c >= top - 1e-9 * max(1.0, abs(top)))
        figures = {"objective": objective, "expected_cost": expected, "cvar": tail,
                   "evpi": None if ws is None else expected - ws, "vss": None if eev is None else eev - expected,
                   "wait_and_see": ws}
        for key, want in figures.items():
            self.count("risk")
            if not self.close(k.get(key), want, expected):
                self.fail("risk", f"summary.json risk.{key}", f"{k.get(key)} != recomputed {want}")
        self.count("risk", 2)
        if not self.close(self.summary.get("objective"), objective, expected):
            self.fail("risk", "summary.json objective", f"{self.summary.get('objective')} != recomputed {objective}")
        if k.get("worst_outcome") != worst:
            self.fail("risk", "summary.json risk.worst_outcome", f"{k.get('worst_outcome')!r} != recomputed {worst!r}")


def check_hedge(folder: Path, summary: dict[str, Any], path: str | Path, tol: float) -> CheckReport:
    """Re-check hedge ``folder`` (its ``summary`` read) against the instance at ``path``."""
    hc = HedgeChecker(folder, summary, path, tol)
    hc.run()
    notes = [NOT_CERTIFIED]
    recorded = (summary.get("stamp") or {}).get("inputs_sha256")
    if recorded and recorded != hc.base.input_digest:
        notes.append("note: the instance changed after this solve")
    objective = summary.get("objective")
    return CheckReport(ok=not hc.violations, violations=hc.violations, checked=hc.checked,
                       objective=float(objective) if isinstance(objective, (int, float)) else None,
                       status=str(summary.get("status")), notes=notes)

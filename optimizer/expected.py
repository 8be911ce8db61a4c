"""Pinned results of shipped instances: ``<instance>/expected.json``.

One entry per scenario combination (``base`` for none): status, objective, model size and
the key figures (cost terms, shares, offtakes, unmet demand, policy and demand duals).
``m2m solve --update-expected`` rewrites an entry; the regression suite compares every entry.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .pipeline import Run

FILE = "expected.json"
REL_TOL = 1e-6
ABS_TOL = 1e-6
PINNED_DUALS = ("demand_balance", "max_share", "offtake", "export_cap")


def key(scenario: tuple[str, ...] | list[str]) -> str:
    return "+".join(scenario) if scenario else "base"


def entry(run: Run) -> dict[str, Any]:
    """The figures pinned for one solved scenario."""
    s = run.summary
    out: dict[str, Any] = {
        "status": s["status"],
        "objective": s["objective"],
        "size": {k: s["size"][k] for k in ("variables", "constraints", "integers")} if s.get("size") else {},
    }
    if run.solution.status.has_solution:
        t = run.tables
        out["cost_breakdown"] = {k: v for k, v in s["cost_breakdown"].items() if abs(v) > ABS_TOL}
        out["shares"] = {f"{r['policy']}|{r['period']}": r["share"] for r in s["shares"]}
        out["offtakes"] = {f"{r['policy']}|{r['period']}": r["delivered"] for r in s["offtakes"]}
        out["unmet_total_t"] = s["unmet"]["total_t"]
        out["built"] = sorted(f"{r['facility']}|{r['period']}|{r['kind']}" for r in s["built"])
        duals = t["duals"]
        sel = duals[duals["constraint"].isin(PINNED_DUALS)]
        out["duals"] = {f"{c}|{i}": float(v) for c, i, v in zip(sel["constraint"], sel["index"], sel["value"])}
    if run.infeasibility is not None:
        out["infeasibility"] = run.infeasibility["explanation"].head(5).tolist()
    return out


def read(folder: Path) -> dict[str, Any]:
    path = Path(folder) / FILE
    return json.loads(path.read_text()) if path.exists() else {}


def update(folder: Path, run: Run) -> Path:
    """Rewrite this run's entry in ``expected.json`` (other entries are kept)."""
    data = read(folder)
    data[key(run.instance.scenario)] = entry(run)
    path = Path(folder) / FILE
    path.write_text(json.dumps(dict(sorted(data.items())), indent=2, sort_keys=False) + "\n")
    return path


def compare(expected: dict[str, Any], actual: dict[str, Any], prefix: str = "") -> list[str]:
    """Differences between an expected entry and an actual one (empty when they agree)."""
    diffs: list[str] = []
    for k, want in expected.items():
        where = f"{prefix}{k}"
        if k not in actual:
            diffs.append(f"{where}: missing (expected {want!r})")
            continue
        got = actual[k]
        if isinstance(want, dict):
            if not isinstance(got, dict):
                diffs.append(f"{where}: expected a mapping, got {got!r}")
                continue
            diffs.extend(compare(want, got, where + "."))
            extra = sorted(set(got) - set(want))
            if extra and k in ("duals", "shares", "offtakes", "cost_breakdown"):
                diffs.append(f"{where}: unexpected entries {extra[:5]}")
        elif isinstance(want, float) or isinstance(got, float):
            if want is None or got is None or not math.isclose(float(got), float(want), rel_tol=REL_TOL, abs_tol=ABS_TOL):
                diffs.append(f"{where}: expected {want!r}, got {got!r}")
        elif want != got:
            diffs.append(f"{where}: expected {want!r}, got {got!r}")
    return diffs

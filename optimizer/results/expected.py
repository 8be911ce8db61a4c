"""Pinned results of shipped instances: ``<instance>/expected.json``.

One entry per scenario combination (``base`` for none): status, objective, model size and
the key figures (cost terms, shares, offtakes, unmet demand, policy and demand duals); and, for
an instance with an ``uncertainty:`` block, one per hedge (``hedge:base``, ``hedge:<scenario>``):
the risk figures and each outcome's cost.  ``m2m solve --update-expected`` (``m2m hedge
--update-expected``) rewrites an entry; the regression suite compares every entry.

A re-pin needs a reason: when an entry that was pinned before changes, ``--reason`` is
required, and every number that moved is appended, dated and with the reason, to
``expected-changes.md`` beside ``expected.json`` (a first pin is recorded there too).
"""

from __future__ import annotations

import datetime
import json
import math
from pathlib import Path
from typing import Any

from ..core.contract import scenario_label
from ..core.tolerances import PIN_ABS_TOL, PIN_REL_TOL
from ..families import PINNED
from .run import Run

FILE = "expected.json"
CHANGES = "expected-changes.md"
REL_TOL, ABS_TOL = PIN_REL_TOL, PIN_ABS_TOL
PINNED_DUALS = PINNED


def key(scenario: tuple[str, ...] | list[str]) -> str:
    """The entry of a run: its scenario label (``base``, or ``a+b``)."""
    return scenario_label(scenario)


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
        out["transfers"] = {term: {"total": v["total"], "discounted": v["discounted"]}
                            for term, v in (s.get("transfers") or {}).items()}
        out["shares"] = {f"{r['policy']}|{r['period']}": r["share"] for r in s["shares"]}
        out["offtakes"] = {f"{r['policy']}|{r['period']}": r["delivered"] for r in s["offtakes"]}
        out["unmet_total_t"] = s["unmet"]["total_t"]
        out["built"] = sorted(f"{r['facility']}|{r['period']}|{r['kind']}" for r in s["built"])
        duals = t["duals"]
        # a dual with a note is not a price the plan determines (docs/results.md, duals.csv): not pinned
        sel = duals[duals["constraint"].isin(PINNED_DUALS) & (duals["note"] == "")]
        out["duals"] = {f"{c}|{i}": float(v) for c, i, v in zip(sel["constraint"], sel["index"], sel["value"])}
    if run.infeasibility is not None:
        out["infeasibility"] = run.infeasibility["explanation"].head(5).tolist()
    return out


def read(folder: Path) -> dict[str, Any]:
    path = Path(folder) / FILE
    return json.loads(path.read_text()) if path.exists() else {}


class ReasonRequired(ValueError):
    """A pinned entry would change and no reason was given."""


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as ``a.b.c -> leaf`` (lists are leaves)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flat(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: value}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return a == b


def moved(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Every pinned figure that differs between two entries, as ``key: old -> new`` lines."""
    a, b = _flat(old), _flat(new)
    lines = []
    for k in sorted(set(a) | set(b)):
        if k not in b:
            lines.append(f"{k}: {a[k]!r} -> (no longer pinned)")
        elif k not in a:
            lines.append(f"{k}: (new) -> {b[k]!r}")
        elif not _same(a[k], b[k]):
            lines.append(f"{k}: {a[k]!r} -> {b[k]!r}")
    return lines


def update(folder: Path, run: Run, reason: str | None = None, today: datetime.date | None = None) -> Path:
    """Rewrite this run's entry in ``expected.json`` (other entries are kept).

    A change to an entry that was pinned before needs ``reason``; the moved figures are appended
    to ``expected-changes.md`` with the date and the reason.  Raises :class:`ReasonRequired`
    (nothing written) when the entry changes and no reason is given.
    """
    return pin(folder, key(run.instance.scenario), entry(run), reason, today)


#: The entries of ``m2m hedge`` runs start with this (``hedge:base``, ``hedge:a+b``).
HEDGE = "hedge:"


def hedge_key(scenario: tuple[str, ...] | list[str]) -> str:
    return HEDGE + key(scenario)


def hedge_entry(summary: dict[str, Any]) -> dict[str, Any]:
    """The figures pinned for one hedge (its summary.json): status, objective, the risk figures,
    and each outcome's cost, cost terms, builds and unmet demand."""
    out: dict[str, Any] = {"status": summary["status"], "objective": summary["objective"]}
    risk = summary.get("risk") or {}
    if risk:
        out["risk"] = {k: risk[k] for k in ("objective", "expected_cost", "cvar", "worst_outcome", "wait_and_see", "evpi",
                                            "vss") if risk.get(k) is not None}
        out["risk"]["reference_unserved"] = list(risk["reference_plan"]["unserved"])
        out["outcomes"] = {
            name: {"objective": s["objective"],
                   "cost_breakdown": {k: v for k, v in s["cost_breakdown"].items() if abs(v) > ABS_TOL},
                   "unmet_total_t": s["unmet"]["total_t"],
                   "built": sorted(f"{r['facility']}|{r['period']}|{r['kind']}" for r in s["built"])}
            for name, s in summary["outcomes"].items()}
    return out


def update_hedge(folder: Path, scenario: tuple[str, ...] | list[str], summary: dict[str, Any], reason: str | None = None,
                 today: datetime.date | None = None) -> Path:
    """Rewrite a hedge's entry (``hedge:<scenario>``) in ``expected.json``, as :func:`update` does a solve's."""
    return pin(folder, hedge_key(scenario), hedge_entry(summary), reason, today)


def pin(folder: Path, name: str, new: dict[str, Any], reason: str | None = None,
        today: datetime.date | None = None) -> Path:
    """Rewrite entry ``name`` of ``expected.json`` with ``new`` (see :func:`update`)."""
    data = read(folder)
    old = data.get(name)
    lines = moved(old, new) if old is not None else []
    if old is not None and not lines:
        return Path(folder) / FILE  # nothing moved: nothing to record
    if old is not None and not (reason or "").strip():
        raise ReasonRequired(f"{len(lines)} pinned figure(s) of [{name}] would change (first: {lines[0]}); "
                             "say why with --reason")
    data[name] = new
    path = Path(folder) / FILE
    path.write_text(json.dumps(dict(sorted(data.items())), indent=2, sort_keys=False) + "\n")
    day = (today or datetime.date.today()).isoformat()
    log = Path(folder) / CHANGES
    head = "" if log.exists() else (
        f"# Changes to {FILE}\n\nEvery re-pin of a figure in `{FILE}`, dated, with its reason "
        "(written by `m2m solve --update-expected --reason ...`).\n")
    body = [f"\n## {day} [{name}]\n\n"]
    if old is None:
        body.append("First pinned." + (f" {reason.strip()}" if reason and reason.strip() else "") + "\n")
    else:
        body.append(f"Reason: {reason.strip()}\n\n" + "".join(f"- `{line}`\n" for line in lines))
    with log.open("a", encoding="utf-8") as fh:
        fh.write(head + "".join(body))
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
            if extra and k in ("duals", "shares", "offtakes", "cost_breakdown", "transfers"):
                diffs.append(f"{where}: unexpected entries {extra[:5]}")
        elif isinstance(want, float) or isinstance(got, float):
            if want is None or got is None or not math.isclose(float(got), float(want), rel_tol=REL_TOL, abs_tol=ABS_TOL):
                diffs.append(f"{where}: expected {want!r}, got {got!r}")
        elif want != got:
            diffs.append(f"{where}: expected {want!r}, got {got!r}")
    return diffs

"""Re-check any results folder m2m wrote: a solve's (or a kept sweep point's), or a hedge's.

A solve's goes to :func:`optimizer.check.checker.check_plan`, a hedge's to
:func:`optimizer.check.hedge.check_hedge`."""

from __future__ import annotations

from pathlib import Path

from ..core.contract import SOLVED, SUMMARY, read_summary, results_folder
from ..core.errors import InputError, finding
from ..core.tolerances import CHECK_TOL
from ..input.load import load_instance
from .checker import CheckReport, check_plan
from .hedge import check_hedge


def check_results(results: Path, instance: Path | None = None, tol: float = CHECK_TOL) -> CheckReport:
    """Re-check a results folder against its instance (the one named in summary.json, or ``instance``).

    Raises :class:`InputError` when the folder, its summary, a table or the instance cannot be
    read.  A folder without a solution gives ``ok=False`` with no violations.
    """
    folder = results_folder(Path(results))
    summary = read_summary(folder)
    status = str(summary.get("status"))
    if status not in SOLVED:
        return CheckReport(ok=False, status=status)
    named = summary.get("instance") or {}
    path = instance if instance is not None else named.get("path")
    if not path:
        raise InputError([finding(str(folder / SUMMARY), "-", "instance.path",
                                  "summary.json names no instance; pass --instance")])
    if summary.get("run") == "hedge":  # every outcome, and what binds them together
        return check_hedge(folder, summary, path, tol)
    inst = load_instance(path, named.get("scenario") or [])
    point = summary.get("sweep")
    if point:  # a kept point of `m2m sweep`: its policy parameter was set by the sweep
        try:
            inst = inst.with_policy_value(point["policy"], point["param"], point["value"], point.get("periods"))
        except (KeyError, ValueError) as exc:
            raise InputError([finding(str(folder / SUMMARY), "-", "sweep", f"cannot apply the sweep point: {exc}")]) from None
    return check_plan(folder, summary, inst, tol)

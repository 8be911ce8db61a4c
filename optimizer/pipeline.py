"""The pipeline, end to end: load -> build -> solve -> extract (-> explain if infeasible).

This is what ``m2m solve`` runs and what notebooks call (``optimizer.solve_instance``).  It
returns plain data; writing files and printing are left to :mod:`optimizer.results.write` and
:mod:`optimizer.results.console`.
"""

from __future__ import annotations

import gc
import hashlib
import json
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Collection, Iterable

import pandas as pd

from .core.version import __version__
from .core.contract import RESULTS_FORMAT
from .solving.extract import Results, cost_breakdown, extract, transfers_summary
from .solving.infeasibility import explain
from .input.instance import Instance
from .input.load import load_instance
from .model.build import Built, build_model, remake_policies
from .model.stages import Key
from .results.run import Run
from .solving.solver import Solution, SolveOptions, Status, solve
from .solving.warm import Warm



def versions() -> dict[str, str]:
    def v(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "unknown"

    return {"package": __version__, "pyomo": v("pyomo"), "highspy": v("highspy"), "python": platform.python_version()}


def stamp(inst: Instance, opts: SolveOptions) -> dict[str, Any]:
    """What this result depends on; ``sha256`` changes when any of it does."""
    options = {k: v for k, v in opts.as_dict().items() if k not in ("log",)}
    body = {"inputs_sha256": inst.input_digest, "scenario": list(inst.scenario), **versions(), "options": options}
    body["sha256"] = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return body


def run(
    path: str | Path,
    scenarios: Iterable[str] = (),
    opts: SolveOptions = SolveOptions(),
    *,
    explain_infeasible: bool = True,
    instance: Instance | None = None,
    fix: Callable[[Key], float | None] | None = None,
    write_model: Path | None = None,
    loaded_in: float | None = None,
    warm: Warm | None = None,
    duals_of: Collection[str] | None = None,
) -> Run:
    """Solve one instance (with scenarios applied in order).  Raises InputError on bad input.

    ``fix`` holds the variables it gives a value for at that value (``solve``'s ``fix``);
    ``write_model`` is where the model handed to HiGHS is written (``.mps`` or ``.lp``);
    ``loaded_in``: the seconds it took to load ``instance``, when the caller loaded it; ``warm``:
    carried from solve to solve, so that a model like the last one starts from its end;
    ``duals_of``: the constraint families the duals table lists (None: every one), for a run
    whose results are read, not written (a sweep's point)."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    inst = instance if instance is not None else load_instance(path, scenarios)
    timings["load"] = loaded_in if loaded_in is not None else time.perf_counter() - t0

    try:
        built = model_for(inst, warm)
        timings["build"] = built.build_seconds
        t0 = time.perf_counter()
        sol = solve(built, opts, fix=fix, write_model=write_model, warm=warm)
        timings["solve"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        results = extract(built, sol, duals_of)
        timings["extract"] = time.perf_counter() - t0

        infeasibility = None
        if sol.status == Status.INFEASIBLE and explain_infeasible:
            t0 = time.perf_counter()
            _status, infeasibility = explain(inst, opts)
            timings["explain"] = time.perf_counter() - t0
    finally:
        gc.unfreeze()  # the model was kept out of the collector while in use (build_model(freeze=True))

    summary = summarize(inst, sol, results.tables, infeasibility, timings, opts)
    return Run(inst, sol, Results(results.tables, summary), built, infeasibility, timings)


def model_for(inst: Instance, warm: Warm | None) -> Built:
    """``inst``'s model: the one ``warm`` keeps from the last solve with the policies' numbers put
    in when that can be done (:func:`~optimizer.model.build.remake_policies`), else built afresh
    (kept reusable in ``warm`` for the next solve)."""
    if warm is not None and warm.built is not None:
        t0 = time.perf_counter()
        if remake_policies(warm.built, inst):
            gc.freeze()  # as build_model(freeze=True): run() unfreezes when done
            warm.built.build_seconds = time.perf_counter() - t0
            return warm.built
        warm.forget_model()  # freed before the new model is built
    built = build_model(inst, freeze=True, reusable=warm is not None)
    if warm is not None:
        warm.built = built
    return built


def instance_summary(inst: Instance) -> dict[str, Any]:
    """summary.json's ``instance``: what was solved (the same in a solve's and a hedge's)."""
    return {
        "name": inst.name,
        "path": str(inst.folder),
        "scenario": list(inst.scenario),
        "description": inst.description,
        "periods": list(inst.periods),
        "period_years": {str(t): n for t, n in inst.period_years.items()},
        "discount_rate": inst.discount_rate,
    }


def summarize(inst: Instance, sol: Solution, tables: dict[str, pd.DataFrame], infeasibility: pd.DataFrame | None,
              timings: dict[str, float], opts: SolveOptions) -> dict[str, Any]:
    """summary.json of a run (see docs/results.md)."""
    s: dict[str, Any] = {
        "format": RESULTS_FORMAT,
        "run": "solve",
        "instance": instance_summary(inst),
        "status": sol.status.value,
        "termination": sol.termination,
        "objective": sol.objective,
        "objective_unit": "USD (discounted to the first period)",
        "mip_gap": sol.mip_gap,
        "duals": sol.dual_source,
        "cost_breakdown": cost_breakdown(tables["costs"]) if sol.status.has_solution else {},
        "transfers": transfers_summary(tables["costs"]) if sol.status.has_solution else {},
    }
    if sol.status.has_solution:
        shares = tables["shares"]
        pol = shares[shares["policy"] != ""]
        s["shares"] = [
            {k: _plain(row[k]) for k in ("policy", "stage", "period", "share", "cap", "binding", "product", "group",
                                         "members")}
            for _, row in pol.iterrows()
        ]
        s["offtakes"] = [
            {k: _plain(row[k]) for k in ("policy", "period", "required", "delivered", "short")}
            for _, row in tables["offtakes"].iterrows()
        ]
        unmet = tables["unmet"]
        s["unmet"] = {
            "total_t": float(unmet["unmet"].sum()),
            "by_product": {p: float(v) for p, v in unmet.groupby("product")["unmet"].sum().items() if v > 0},
        }
        inv = tables["investments"]
        s["built"] = [{k: _plain(row[k]) for k in ("facility", "period", "kind", "capacity_added", "decision_year")} for _, row in inv.iterrows()]
    if infeasibility is not None:
        s["infeasibility"] = infeasibility.head(10)["explanation"].tolist()
    if sol.iis:
        s["iis"] = sol.iis
    s["timings"] = {**{k: round(v, 4) for k, v in timings.items()},
                    **{f"solver_{k}": round(v, 4) for k, v in sol.timings.items()}}
    s["size"] = sol.size
    s["algorithm"] = sol.algorithm
    s["warnings"] = [str(w) for w in inst.warnings]
    s["stamp"] = stamp(inst, opts)
    return s


def _plain(v: Any) -> Any:
    """numpy scalars -> Python, NaN -> None, for JSON."""
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and v != v:
        return None
    return v

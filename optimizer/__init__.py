"""mine2magnet: plan the rare-earth permanent-magnet supply chain, mine to magnet, under security constraints.

The pipeline, one package per stage (docs/architecture.md)::

    input (load + validate)  ->  model (build Pyomo)  ->  solving (HiGHS, extract tables)  ->  results (write / report)

For notebooks::

    from optimizer import load_instance, solve
    run = solve("instances/demo_mine_to_magnet", scenario=["no_china_magnets"])
    run.tables["flows"]          # pandas DataFrames, the same as the CLI writes
    compare_runs({"base": run, "ban": solve(..., scenario=["export_ban"])})   # diff tables
    h = hedge("instances/tiny_hedge")   # across disruption outcomes: h.outcomes, h.summary["risk"]

See docs/api_example.py for a walk-through.
"""

from __future__ import annotations

from typing import Iterable

from .core.version import __version__
from .core.errors import Finding, InputError

__all__ = ["Finding", "InputError", "Instance", "SolveOptions", "Status", "__version__", "compare_runs", "hedge",
           "load_instance", "solve"]


def __getattr__(name: str):
    # Every name that loads more than the package's core is imported when asked for: ``m2m``
    # imports the package first, and sets its signal handlers up as its first step after that
    # (optimizer.cli); the solver names load Pyomo and HiGHS, which light consumers (the results
    # checker, the loader) stay free of.
    if name == "Instance":
        from .input.instance import Instance

        return Instance
    if name == "load_instance":
        from .input.load import load_instance

        return load_instance
    if name in ("SolveOptions", "Status"):
        from .solving import solver

        return getattr(solver, name)
    if name == "compare_runs":
        from .tools.compare import compare_runs

        return compare_runs
    raise AttributeError(f"module 'optimizer' has no attribute {name!r}")


def solve(
    instance: "str | Instance",  # noqa: F821 (imported when called)
    scenario: str | Iterable[str] = (),
    *,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
):
    """Load (unless given an Instance), build, solve and extract: returns a ``optimizer.results.run.Run``.

    ``scenario`` is one scenario name (``"export_ban"``) or several, applied in order."""
    from .input.instance import Instance
    from .pipeline import run
    from .solving.solver import SolveOptions

    opts = SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads)
    if isinstance(instance, Instance):
        return run(instance.folder, instance.scenario, opts, instance=instance)
    return run(instance, [scenario] if isinstance(scenario, str) else list(scenario), opts)


def hedge(
    instance: str,
    scenario: str | Iterable[str] = (),
    *,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    workers: int | None = 1,
):
    """The plan best across the outcomes of the instance's ``uncertainty:`` block (``m2m hedge``,
    nothing written): returns a ``optimizer.tools.hedge.HedgeRun`` with ``tables`` (each plan table
    with ``outcome`` first), ``outcomes`` (outcomes.csv) and ``summary`` (its ``risk``: expected
    cost, CVaR, EVPI, VSS).  ``workers``: processes for the perfect-foresight and reference solves."""
    from .solving.solver import SolveOptions
    from .tools.hedge import run_hedge

    scenarios = [scenario] if isinstance(scenario, str) else list(scenario)
    return run_hedge(instance, scenarios, SolveOptions(time_limit=time_limit, mip_gap=mip_gap), workers=workers)


__all__ = ["Finding", "InputError", "Instance", "SolveOptions", "Status", "compare_runs", "hedge", "load_instance",
           "solve", "__version__"]

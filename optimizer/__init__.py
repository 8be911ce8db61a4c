"""mine2magnet: plan the rare-earth permanent-magnet supply chain, mine to magnet, under security constraints.

The pipeline, one module per stage::

    load (+ validate)  ->  model (build Pyomo)  ->  solver (HiGHS)  ->  extract (tables)  ->  write / report

For notebooks::

    from optimizer import load_instance, solve
    run = solve("instances/demo_mine_to_magnet", scenario=["no_china_magnets"])
    run.tables["flows"]          # pandas DataFrames, the same as the CLI writes
    compare_runs({"base": run, "ban": solve(..., scenario=["export_ban"])})   # diff tables

See docs/api_example.py for a walk-through.
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import Iterable

from .errors import Finding, InputError
from .instance import Instance
from .load import load_instance


def __getattr__(name: str):
    # Solver names load Pyomo and HiGHS: import them only when asked for, so that light
    # consumers (the results checker, the loader) stay free of the solver stack.
    if name in ("SolveOptions", "Status"):
        from . import solver

        return getattr(solver, name)
    if name == "compare_runs":
        from .compare import compare_runs

        return compare_runs
    raise AttributeError(f"module 'optimizer' has no attribute {name!r}")


def solve(
    instance: "str | Instance",
    scenario: str | Iterable[str] = (),
    *,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
):
    """Load (unless given an Instance), build, solve and extract: returns a ``pipeline.Run``.

    ``scenario`` is one scenario name (``"export_ban"``) or several, applied in order."""
    from .pipeline import run
    from .solver import SolveOptions

    opts = SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads)
    if isinstance(instance, Instance):
        return run(instance.folder, instance.scenario, opts, instance=instance)
    return run(instance, [scenario] if isinstance(scenario, str) else list(scenario), opts)


__all__ = ["Finding", "InputError", "Instance", "SolveOptions", "Status", "compare_runs", "load_instance", "solve",
           "__version__"]

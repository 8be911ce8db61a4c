"""The ``m2m`` command line: a thin layer over the pipeline.

Exit codes (a public contract):
  0  solved: optimal, or a feasible incumbent at a limit (summary.json says which); check passed
  1  no solution (infeasible, unbounded, limit without incumbent); check found violations
  2  bad input or usage (every finding printed as file:row:column: message); nothing written
  3  internal error (a bug: please report it with the output of --debug)
  130  interrupted (Ctrl-C, SIGINT); 143 terminated (SIGTERM): one line, no partial output left
"""

from __future__ import annotations

import atexit
import functools
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import click
from rich.console import Console

from .core.errors import Finding, InputError, finding
from .core.tolerances import CHECK_TOL
from .core import signals

EXIT_OK, EXIT_NO_SOLUTION, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
#: Stopped by a signal: 128 + its number, as shells report it.
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143

err_console = Console(stderr=True, highlight=False, soft_wrap=True)
out_console = Console(highlight=False, soft_wrap=True)


def _scenarios(values: tuple[str, ...]) -> list[str]:
    """``--scenario a,b --scenario c`` -> [a, b, c] (applied in that order)."""
    return [s.strip() for v in values for s in v.split(",") if s.strip()]


class Terminated(BaseException):
    """SIGTERM, raised where the program is so that cleanups run (as KeyboardInterrupt does for SIGINT)."""


#: The signal received, if any: an interrupt that surfaces as another exception (a library that
#: wraps whatever stopped its import, say) still ends as an interrupt.  A command starts with the
#: signals ``m2m`` recorded before it (:mod:`optimizer.core.signals`), or none.
_received: list[int] = []


def _terminate(signum: int, frame: Any) -> None:
    _received.append(signum)
    raise Terminated()


def _interrupt(signum: int, frame: Any) -> None:
    _received.append(signum)
    raise KeyboardInterrupt()


def _catch_signals() -> None:
    """Record SIGINT and SIGTERM and raise them where the program is (main thread only).

    Until a command starts, ``m2m`` only records them (:mod:`optimizer.core.signals`): the command
    then stops at once with one line (click would turn a KeyboardInterrupt while it parses into
    "Aborted!", exit 1), and one outside any command stops :func:`entry`."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
        signal.signal(signal.SIGINT, _interrupt)


def _swallowed() -> None:
    """Raise the signal received whose exception was lost: one raised inside a callback that
    Python runs without letting exceptions out (during an import, say) is only printed, and the
    command would run on to the end as if never stopped."""
    if _received:
        raise Terminated() if _received[-1] == signal.SIGTERM else KeyboardInterrupt()


def _stopped(signum: int) -> None:
    """Stop for ``signum``: one line, exit 143 for SIGTERM, 130 for SIGINT."""
    what, code = ("SIGTERM", EXIT_TERMINATED) if signum == signal.SIGTERM else ("SIGINT", EXIT_INTERRUPTED)
    err_console.print(f"interrupted ({what}): stopped; outputs are swapped in whole, so no partial output is left",
                      markup=False)
    sys.exit(code)


def polite(func: Callable) -> Callable:
    """One line per problem and the right exit code; a traceback only with --debug."""

    @functools.wraps(func)
    def wrapper(*args, debug: bool = False, **kwargs):
        _catch_signals()
        # A signal an earlier command in this process received is not this one's (tests, notebooks);
        # one m2m recorded while it started up is.
        _received[:] = signals.received
        signals.received.clear()
        return _run(args, kwargs, debug)

    def _run(args: tuple, kwargs: dict, debug: bool) -> None:
        try:
            _swallowed()  # a signal that came before the command started
            code = func(*args, **kwargs)
            _swallowed()
        except InputError as exc:
            if debug:
                raise
            # Only finding lines on stderr, so that editors and scripts can parse every line.
            for f in exc.findings:
                err_console.print(str(f), markup=False)
            sys.exit(EXIT_INPUT)
        except (KeyboardInterrupt, Terminated) as exc:
            if debug:
                raise
            _stopped(signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT)
        except (click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:  # noqa: BLE001 - the CLI's last line of defence
            if debug:
                raise
            if _received:  # a signal stopped it, whatever the exception it surfaced as
                _stopped(_received[-1])
            err_console.print(f"internal error: {type(exc).__name__}: {exc} (run again with --debug for the traceback)", markup=False)
            sys.exit(EXIT_INTERNAL)
        sys.exit(code or EXIT_OK)

    return click.option("--debug", is_flag=True, help="Show the full traceback on errors.")(wrapper)


def _highs_options(_ctx: click.Context, param: click.Parameter, specs: tuple[str, ...]) -> tuple:
    """``--highs-option NAME=VALUE`` values as checked ``(name, value)`` pairs; the last of a name wins."""
    from .solving.options import highs_option

    pairs: dict[str, object] = {}
    for spec in specs:
        try:
            name, value = highs_option(spec)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param=param) from None
        pairs[name] = value
    return tuple(pairs.items())


def time_limit_option(each: str = "") -> Callable:
    return click.option("--time-limit", type=click.FloatRange(min=0), help=f"Solver time limit{each} (seconds).")


def mip_gap_option(when: str) -> Callable:
    return click.option("--mip-gap", type=click.FloatRange(min=0), help=f"Relative MIP gap at which to stop {when}.")


def parallel_options(workers: str, scheduler: str) -> Callable:
    """``--workers`` and ``--scheduler`` of a command whose solves run side by side (optimizer.solving.parallel)."""
    def both(func: Callable) -> Callable:
        func = click.option("--scheduler", help=scheduler)(func)
        return click.option("--workers", type=click.IntRange(min=1), help=workers)(func)
    return both


scenario_option = click.option(
    "--scenario", "-s", "scenario", multiple=True,
    help="Scenario(s) to apply, in order: --scenario a,b or repeated.",
)


def entry() -> None:
    """The ``m2m`` command: :func:`main`, then out of the process without freeing its objects one by
    one (a model of 100k variables took about 0.9 s to tear down, and the time grows with the model;
    the operating system takes the memory back at once). Output is flushed and exit handlers run
    first, so nothing but the teardown is skipped."""
    try:
        main()
        code: Any = 0
    except SystemExit as exc:
        code = exc.code
    if signals.received:  # recorded while m2m started up, and no command took it (--help, say)
        try:
            _stopped(signals.received[-1])
        except SystemExit as exc:
            code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    atexit._run_exitfuncs()
    os._exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mine2magnet", prog_name="m2m")
def main() -> None:
    """mine2magnet: plan the rare-earth magnet supply chain, mine to magnet, under security constraints."""


@main.command()
@click.argument("instance", type=click.Path(path_type=Path))
@scenario_option
@polite
def validate(instance: Path, scenario: tuple[str, ...]) -> int:
    """Check an instance (and each of its scenarios) without solving; report every problem."""
    from .input.load import load_instance

    names = _scenarios(scenario)
    base = load_instance(instance, names)
    # Without --scenario, each defined scenario is checked too: its patches are input as well.
    others = [] if names else list(base.scenario_names)
    findings: list[Finding] = []
    for name in others:
        try:
            load_instance(instance, [name])
        except InputError as exc:
            findings.extend(finding(f.file, f.row, f.column, f"[scenario {name}] {f.message}") for f in exc.findings)
    if findings:
        raise InputError(findings)
    out_console.print(
        f"ok: {base.name}: {len(base.facilities)} facilities, {len(base.lanes)} lanes, {len(base.demands)} demand rows, "
        f"{len(base.policies)} policies, periods {base.periods[0]}-{base.periods[-1]}"
        + (f"; scenarios checked: {', '.join(others)}" if others else "")
    )
    for w in base.warnings:
        out_console.print(f"warning: {w}", markup=False)
    return EXIT_OK


@main.command()
@click.argument("instance", type=click.Path(path_type=Path))
@scenario_option
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Results folder (default results/<instance>[-<scenario>]).")
@time_limit_option()
@mip_gap_option("(e.g. 1e-4)")
@click.option("--threads", type=click.IntRange(min=1), help="Solver threads.")
@click.option("--algorithm", type=click.Choice(["auto", "simplex", "ipx", "pdlp"]), default="auto", show_default=True,
              help="LP algorithm (auto: dual simplex below 20k columns, IPX above).")
@click.option("--iis", is_flag=True, help="If infeasible, also ask HiGHS for an irreducible infeasible subsystem.")
@click.option("--highs-option", "highs_options", multiple=True, metavar="NAME=VALUE", callback=_highs_options,
              help="A further HiGHS option for the solve, checked against HiGHS's own (repeatable), e.g. "
                   "mip_heuristic_effort=0.3.")
@click.option("--update-expected", is_flag=True, help="Rewrite this scenario's entry in the instance's expected.json.")
@click.option("--reason", help="Why a pinned entry changes (required by --update-expected when pinned figures move; "
                               "recorded, dated, in expected-changes.md).")
@click.option("--log", is_flag=True, help="Show the HiGHS log.")
@click.option("--quiet", "-q", is_flag=True, help="No console summary.")
@click.option("--excel", is_flag=True, help="Also write the results as one workbook, results.xlsx, in the results folder.")
@click.option("--write-model", type=click.Path(path_type=Path),
              help="Also write the model exactly as handed to HiGHS to FILE (.mps or .lp), for another solver.")
@polite
def solve(instance: Path, scenario: tuple[str, ...], out: Path | None, time_limit: float | None, mip_gap: float | None,
          threads: int | None, algorithm: str, iis: bool, highs_options: tuple, update_expected: bool,
          reason: str | None, log: bool, quiet: bool, excel: bool, write_model: Path | None) -> int:
    """Solve an instance (a folder or an .xlsx workbook) and write its results folder."""
    from .results import expected
    from .tools.excel import write_results_book
    from .input.load import load_instance
    from .pipeline import run
    from .results.console import print_summary
    from .solving.solver import SolveOptions
    from .results.outputs import default_out, guard_folder, guard_model_file
    from .results.write import write_run

    if update_expected and instance.suffix.lower() == ".xlsx":
        raise InputError([finding(str(instance), "-", "--update-expected",
                                  "expected.json lives in an instance folder; convert the workbook first (m2m convert)")])
    opts = SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads, algorithm=algorithm, iis=iis, log=log,
                        highs=highs_options)
    t0 = time.perf_counter()
    inst = load_instance(instance, _scenarios(scenario))
    loaded_in = time.perf_counter() - t0
    target = guard_folder(out if out is not None else default_out("solve", inst.name, inst.scenario), "solve",
                          protect=[inst.folder])  # before solving: a refused --out costs nothing
    if write_model is not None:
        guard_model_file(write_model, protect=[inst.folder, target])
    r = run(instance, inst.scenario, opts, instance=inst, write_model=write_model, loaded_in=loaded_in)
    pinned = None
    if update_expected:  # before anything is written: a refused re-pin writes nothing
        try:
            pinned = expected.update(r.instance.folder, r, reason)
        except expected.ReasonRequired as exc:
            raise InputError([finding(str(r.instance.folder / expected.FILE), "-", "--reason", str(exc))]) from None
    _swallowed()  # an interrupt lost during the imports stops the command before anything is written
    written = write_run(r, target, extra_writers=[write_results_book] if excel else [])
    if not quiet:
        print_summary(r, target, out_console)
        if r.instance.uncertainty is not None:
            out_console.print("note: instance.yaml's uncertainty block is read by m2m hedge; m2m solve plans for the "
                              "instance as it is", markup=False)
    if written.kept:
        out_console.print(f"kept from the previous results in {target}: {', '.join(written.kept)} (they describe the "
                          "previous run; run m2m report again for a report of this one)", markup=False)
    if pinned is not None:
        out_console.print(f"updated {pinned} [{expected.key(r.instance.scenario)}]", markup=False)
    if write_model is not None and not quiet:
        out_console.print(f"model written to {write_model}", markup=False)
    return EXIT_OK if r.solution.status.has_solution else EXIT_NO_SOLUTION


@main.command()
@click.argument("results", type=click.Path(path_type=Path))
@click.option("--instance", type=click.Path(path_type=Path), help="Instance folder (default: the one named in summary.json).")
@click.option("--tol", type=float, default=CHECK_TOL, show_default=True, help="Tolerance, relative to the size of each row.")
@polite
def check(results: Path, instance: Path | None, tol: float) -> int:
    """Re-check a results folder against its instance, without Pyomo: every constraint and the objective."""
    from .check.results import check_results

    report = check_results(results, instance=instance, tol=tol)
    for line in report.violations:
        out_console.print(line, markup=False)
    out_console.print(report.headline(), markup=False)
    return EXIT_OK if report.ok else EXIT_NO_SOLUTION


# ---- planner tools: each command below is a thin wrapper over its own module ----------------

@main.command()
@click.argument("instance", type=click.Path(path_type=Path))
@scenario_option
@click.option("--policy", required=True, help="Name of the policy whose parameter is swept.")
@click.option("--param", required=True, help="Numeric parameter of the policy: share, quantity, count, floor or market.")
@click.option("--from", "start", type=float, required=True, help="First value of the parameter.")
@click.option("--to", "stop", type=float, required=True, help="Last value of the parameter.")
@click.option("--steps", type=click.IntRange(min=2), default=9, show_default=True, help="Number of points, ends included.")
@click.option("--periods", help="Years to set the value in, e.g. 2030,2035 (default: every year the policy applies).")
@click.option("--stage", help="Stage whose provenance-group share is reported (default: the policy's).")
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Sweep folder (default results/<instance>[-<scenario>]-sweep-<policy>-<param>).")
@time_limit_option(" per point")
@mip_gap_option("each point")
@click.option("--keep", is_flag=True, help="Also keep each point's results folder under points/.")
@parallel_options("Local processes solving points side by side (default: the core count).",
                  "Address of a Dask distributed scheduler to solve the points on instead.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no console summary.")
@polite
def sweep(instance: Path, scenario: tuple[str, ...], policy: str, param: str, start: float, stop: float, steps: int,
          periods: str | None, stage: str | None, out: Path | None, time_limit: float | None, mip_gap: float | None,
          keep: bool, workers: int | None, scheduler: str | None, quiet: bool) -> int:
    """Epsilon-constraint sweep: solve for a series of values of one policy parameter; write the cost frontier."""
    from .solving.solver import SolveOptions
    from .tools.sweep import parse_periods, print_frontier, run_sweep, sweep_values

    result = run_sweep(instance, _scenarios(scenario), policy, param, sweep_values(start, stop, steps),
                       periods=parse_periods(periods), stage=stage, opts=SolveOptions(time_limit=time_limit, mip_gap=mip_gap),
                       out=out, keep=keep, workers=workers, scheduler=scheduler, console=None if quiet else out_console)
    if not quiet:
        print_frontier(result, out_console)
    return EXIT_OK if result.any_plan else EXIT_NO_SOLUTION


@main.command()
@click.argument("instance", type=click.Path(path_type=Path))
@scenario_option
@click.option("--by", "kind", type=click.Choice(["facility", "lane", "country"]), default="facility", show_default=True,
              help="What each outage takes out: one facility, one lane, or one country's exports.")
@click.option("--from", "year", type=int, help="First year of every outage (default: the first period).")
@click.option("--stage", help="Only outages at this stage (a lane's stage is its origin's).")
@click.option("--customer", "customers", multiple=True, help="Also report the unmet tonnes of these customers (repeatable).")
@click.option("--replan", is_flag=True, help="Let each outage re-plan the builds (default: keep the base plan's).")
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Stress folder (default results/<instance>[-<scenario>]-stress-<by>).")
@click.option("--top", type=click.IntRange(min=1), default=15, show_default=True, help="Outages shown in the console table.")
@time_limit_option(" per outage")
@parallel_options("Local processes solving side by side (default: the core count).",
                  "Address of a Dask distributed scheduler to solve on instead, e.g. tcp://host:8786.")
@click.option("--quiet", "-q", is_flag=True, help="No per-outage lines and no console table.")
@polite
def stress(instance: Path, scenario: tuple[str, ...], kind: str, year: int | None, stage: str | None,
           customers: tuple[str, ...], replan: bool, out: Path | None, top: int, time_limit: float | None,
           workers: int | None, scheduler: str | None, quiet: bool) -> int:
    """Single points of failure: take out each facility (lane, country's exports) in turn, re-solve, rank the outages."""
    from .solving.solver import SolveOptions
    from .tools.stress import print_stress, run_stress

    result = run_stress(instance, _scenarios(scenario), kind=kind, year=year, stage=stage, replan=replan,
                        customers=list(customers) or None, opts=SolveOptions(time_limit=time_limit), out=out,
                        workers=workers, scheduler=scheduler, console=None if quiet else out_console)
    if not quiet:
        print_stress(result, out_console, top)
    return EXIT_OK


@main.command()
@click.argument("instance", type=click.Path(path_type=Path))
@scenario_option
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Hedge folder (default results/<instance>[-<scenario>]-hedge).")
@time_limit_option(" per solve")
@mip_gap_option("each solve")
@parallel_options("Local processes for the perfect-foresight and reference-plan solves (default: the core count).",
                  "Address of a Dask distributed scheduler to run those solves on instead.")
@click.option("--update-expected", is_flag=True, help="Pin the figures in the instance's expected.json (hedge:<scenario>).")
@click.option("--reason", help="Why pinned figures change (required with --update-expected when they do).")
@click.option("--quiet", "-q", is_flag=True, help="No console summary.")
@polite
def hedge(instance: Path, scenario: tuple[str, ...], out: Path | None, time_limit: float | None, mip_gap: float | None,
          workers: int | None, scheduler: str | None, update_expected: bool, reason: str | None, quiet: bool) -> int:
    """The plan best across the outcomes of `uncertainty:`, with its expected cost, CVaR, EVPI and VSS."""
    from .results import expected
    from .solving.solver import SolveOptions
    from .core.contract import Status
    from .tools.hedge import print_hedge, run_hedge, write_hedge

    if update_expected and instance.suffix.lower() == ".xlsx":
        raise InputError([finding(str(instance), "-", "--update-expected",
                                  "expected.json lives in an instance folder; convert the workbook first (m2m convert)")])
    h = run_hedge(instance, _scenarios(scenario), SolveOptions(time_limit=time_limit, mip_gap=mip_gap), out=out,
                  workers=workers, scheduler=scheduler)
    pinned = None
    if update_expected:  # before anything is written: a refused re-pin writes nothing
        try:
            pinned = expected.update_hedge(h.instance.folder, h.instance.scenario, h.summary, reason)
        except expected.ReasonRequired as exc:
            raise InputError([finding(str(h.instance.folder / expected.FILE), "-", "--reason", str(exc))]) from None
    write_hedge(h)
    if not quiet:
        print_hedge(h, out_console)
    if pinned is not None:
        out_console.print(f"updated {pinned} [{expected.hedge_key(h.instance.scenario)}]", markup=False)
    return EXIT_OK if Status(h.summary["status"]).has_solution else EXIT_NO_SOLUTION


@main.command()
@click.argument("plans", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--scenario", "-s", "scenario", multiple=True,
              help="With an INSTANCE: one plan per option (a,b is the combination a then b; base is the base instance).")
@click.option("--no-base", is_flag=True, help="With an INSTANCE: leave out the base instance (it is otherwise the first plan).")
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Folder for the diff tables (default results/compare-<names>).")
@click.option("--tol", type=click.FloatRange(min=0), default=CHECK_TOL, show_default=True,
              help="Rows where the plans agree within TOL x the table's scale are left out of the diff tables.")
@click.option("--top", type=click.IntRange(min=0), default=5, show_default=True,
              help="How many of the largest policy duals, and of demand duals, to show.")
@parallel_options("With an INSTANCE: local processes solving the plans side by side (default: the core count).",
                  "With an INSTANCE: address of a Dask distributed scheduler to solve the plans on instead.")
@click.option("--quiet", "-q", is_flag=True, help="No console table.")
@polite
def compare(plans: tuple[Path, ...], scenario: tuple[str, ...], no_base: bool, out: Path | None, tol: float, top: int,
            workers: int | None, scheduler: str | None, quiet: bool) -> int:
    """Compare plans side by side (results folders, or an instance's scenarios solved in memory); write diff tables."""
    from .tools.compare import compare as compare_plans
    from .tools.compare import load_plans, print_comparison, write_comparison
    from .results.outputs import guard_folder

    inputs = [p.parent if p.is_file() else p for p in plans]
    if out is not None:
        guard_folder(out, "compare", protect=inputs)  # before solving or reading anything
    loaded = load_plans(plans, scenario, base=not no_base, workers=workers, scheduler=scheduler)
    result = compare_plans(loaded.plans, tol=tol, top=top)
    target = out if out is not None else result.default_out(loaded.instance)
    write_comparison(result, target, protect=inputs)
    if not quiet:
        print_comparison(result, out_console, target)
    return EXIT_OK


@main.command()
@click.argument("src", type=click.Path(path_type=Path))
@click.argument("dst", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace DST if it exists.")
@polite
def convert(src: Path, dst: Path, force: bool) -> int:
    """Convert an instance folder to an Excel workbook (DST ends in .xlsx), or a workbook to a folder."""
    from .tools.excel import convert as convert_instance

    out_console.print(convert_instance(src, dst, force=force), markup=False)
    return EXIT_OK


@main.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--compare", "compare_with", type=click.Path(path_type=Path),
              help="A second results folder, drawn beside RUN (costs and shares overlaid, a Sankey of each).")
@click.option("--out", "-o", type=click.Path(path_type=Path), help="HTML file to write (default RUN/report.html).")
@click.option("--outcome", "outcomes", multiple=True,
              help="For a hedge folder: the outcome(s) to draw, one or two (default: the reference and the most expensive other).")
@polite
def report(run: Path, compare_with: Path | None, out: Path | None, outcomes: tuple[str, ...]) -> int:
    """Write one self-contained HTML report of a results folder: Sankey, shares, costs, builds, unmet demand, duals."""
    from .tools.html.report import write_report

    out_console.print(f"wrote {write_report(run, compare=compare_with, out=out, outcomes=outcomes)}", markup=False)
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    main()

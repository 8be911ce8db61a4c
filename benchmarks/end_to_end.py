"""m2m solve end to end against HiGHS alone on the very LP it builds, and linopy as a peer.

    python benchmarks/end_to_end.py                          # 10k and 100k variables (make bench)
    python benchmarks/end_to_end.py --sizes 10k 100k 300k 1m --repeat 1   # the scale curve, long
    python benchmarks/end_to_end.py --sizes 10k --no-results # quick look, nothing written

For every size a synthetic instance (``benchmarks/synthetic.py``) is written to a scratch folder
and solved once with ``m2m solve --write-model`` to get the LP exactly as handed to HiGHS (MPS)
and the algorithm the project chooses for it.  Then, ``--repeat`` times and in turn, three fresh
processes are timed as wholes (wall clock and peak resident memory, from ``os.wait4``):

* ``m2m``          ``m2m solve INSTANCE --algorithm A --threads 1``: interpreter start, imports,
                   load, build, compile, hand-over, HiGHS, provenance relabelling, extraction and
                   writing, each phase read from the run's ``summary.json``;
* ``highs-alone``  a fresh Python process that imports highspy, reads the MPS file and runs HiGHS
                   with the same algorithm, thread count and seed: the floor;
* ``linopy``       a fresh Python process that builds the same LP in linopy from its coefficient
                   arrays (columns with bounds and costs, rows as term lists with bounds) and hands
                   it to HiGHS (``Model.to_highspy``), without solving: what a peer modelling layer
                   costs to produce the same matrix.  It starts from the compiled arrays, so it does
                   none of the modelling work (reading tables, index sets, recipes) m2m's load and
                   build do.

The ratio is m2m's median wall time over HiGHS alone's median.  Times vary with other work on the
shared machine; the load average is recorded with the report.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import synthetic  # noqa: E402
import targets  # noqa: E402
from report import ORDER, busy, markdown, write_section  # noqa: E402

#: HiGHS alone: read the MPS file and solve it, as m2m would (same algorithm, threads and seed).
ALONE = """
import json, sys, time
t0 = time.perf_counter()
import highspy
h = highspy.Highs()
h.setOptionValue("output_flag", False)
h.setOptionValue("solver", sys.argv[2])
h.setOptionValue("threads", 1)
h.setOptionValue("random_seed", 0)
t1 = time.perf_counter()
h.readModel(sys.argv[1])
t2 = time.perf_counter()
h.run()
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "read": t2 - t1, "run": t3 - t2,
                  "status": h.modelStatusToString(h.getModelStatus()),
                  "objective": h.getInfo().objective_function_value}))
"""

#: linopy: the same LP from its arrays (saved by ``dump_arrays``), handed to HiGHS, not solved.
LINOPY = """
import json, sys, time
t0 = time.perf_counter()
import numpy as np, xarray as xr, linopy
t1 = time.perf_counter()
a = np.load(sys.argv[1])
m = linopy.Model()
x = m.add_variables(lower=xr.DataArray(a["col_lower"], dims="col"), upper=xr.DataArray(a["col_upper"], dims="col"),
                    name="x")
n = len(a["col_lower"])
def blocks(sel):
    # rows of similar length together (widths up to a power of two), so that padding at most doubles them
    starts, index, value = a["r_start"], a["r_index"], a["r_value"]
    width = np.diff(starts)
    bucket = np.ceil(np.log2(np.maximum(width, 1))).astype(int)
    for b in np.unique(bucket[sel]):
        rs = np.flatnonzero(sel & (bucket == b))
        k = int(width[rs].max())
        vars_ = np.full((len(rs), k), -1, dtype=np.int64)
        coef = np.zeros((len(rs), k))
        lens = width[rs]
        at_row = np.repeat(np.arange(len(rs)), lens)
        offset = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
        src = np.repeat(starts[rs], lens) + offset
        vars_[at_row, offset] = index[src]
        coef[at_row, offset] = value[src]
        yield b, rs, linopy.LinearExpression(
            xr.Dataset({"coeffs": (("row", "_term"), coef), "vars": (("row", "_term"), vars_)}), m)
lo, up = a["row_lower"], a["row_upper"]
eq = lo == up
ge = np.isfinite(lo) & ~eq
le = np.isfinite(up) & ~eq
for name, sel, sign, rhs in (("eq", eq, "=", lo), ("ge", ge, ">=", lo), ("le", le, "<=", up)):
    for b, rs, lhs in blocks(sel):
        m.add_constraints(lhs, sign, xr.DataArray(rhs[rs], dims="row"), name=f"{name}{b}")
m.add_objective((xr.DataArray(a["cost"], dims="col") * x).sum())
t2 = time.perf_counter()
h = m.to_highspy()
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "build": t2 - t1, "handover": t3 - t2, "columns": h.getNumCol(),
                  "rows": h.getNumRow()}))
"""


@dataclass
class Child:
    """One fresh process: wall seconds, peak resident memory (bytes), what it printed."""

    wall: float
    peak: int
    out: str


def run_child(cmd: list[str], env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> Child:
    with tempfile.TemporaryFile("w+") as fh:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env)
        _pid, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        fh.seek(0)
        out = fh.read()
    if p.returncode not in ok:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}:\n{out[-2000:]}")
    return Child(wall, usage.ru_maxrss * 1024, out)


def m2m() -> list[str]:
    exe = Path(sys.executable).parent / "m2m"
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from optimizer.cli import main; main()"]


def dump_arrays(instance: Path, target: Path) -> None:
    """The project's LP as arrays (row-wise terms), for the linopy peer (not timed)."""
    code = f"""
import numpy as np
from scipy.sparse import csc_matrix
from optimizer.input.load import load_instance
from optimizer.model.build import build_model
from optimizer.solving.solver import MatrixModel
mm = MatrixModel(build_model(load_instance({str(instance)!r})))
A = csc_matrix((mm.a_value, mm.a_index, mm.a_start), shape=(mm.n_rows, mm.n_cols)).tocsr()
np.savez({str(target)!r}, col_lower=mm.col_lower, col_upper=mm.col_upper, cost=mm.cost, row_lower=mm.row_lower,
         row_upper=mm.row_upper, r_start=A.indptr, r_index=A.indices, r_value=A.data)
"""
    run_child([sys.executable, "-c", code])


# ---- one size ---------------------------------------------------------------------------------

PHASES = ("load", "build", "solver_compile", "pass", "solver_highs", "solver_relabel", "solve_rest", "extract", "write")


@dataclass
class Size:
    label: str
    variables: int = 0
    constraints: int = 0
    nonzeros: int = 0
    algorithm: str = ""
    m2m: list[Child] = field(default_factory=list)
    phases: list[dict[str, float]] = field(default_factory=list)
    alone: list[Child] = field(default_factory=list)
    alone_parts: list[dict[str, Any]] = field(default_factory=list)
    linopy: list[Child] = field(default_factory=list)
    linopy_parts: list[dict[str, Any]] = field(default_factory=list)
    objective: float | None = None
    linopy_failed: str = ""


def phases(summary: dict[str, Any], wall: float) -> dict[str, float]:
    """m2m's phases from summary.json; ``start`` is the rest of the process's wall time (interpreter,
    imports, the CLI, summary and console)."""
    t = summary["timings"]
    p = {k: float(t.get(k, 0.0)) for k in ("load", "build", "solver_compile", "solver_highs", "solver_relabel",
                                           "extract", "write")}
    p["pass"] = float(t.get("solver_handover", 0.0)) - p["solver_compile"]
    p["solve_rest"] = float(t.get("solve", 0.0)) - float(t.get("solver_handover", 0.0)) - p["solver_highs"] - \
        p["solver_relabel"]
    p["start"] = wall - sum(float(t.get(k, 0.0)) for k in ("load", "build", "solve", "extract", "write"))
    return p


def measure(label: str, args: argparse.Namespace, scratch: Path) -> Size:
    folder = synthetic.write(synthetic.sized(synthetic.parse_size(label), seed=args.seed, name=f"synthetic_{label}"),
                             scratch / label)
    model = scratch / f"{label}.mps"
    first = scratch / f"{label}-first"
    run_child(m2m() + ["solve", str(folder), "--out", str(first), "--quiet", "--threads", "1",
                       "--write-model", str(model)])
    summary = json.loads((first / "summary.json").read_text())
    s = Size(label, summary["size"]["variables"], summary["size"]["constraints"], summary["size"]["nonzeros"],
             summary["algorithm"], objective=summary["objective"])
    arrays = scratch / f"{label}.npz"
    if args.linopy:
        dump_arrays(folder, arrays)
    repeat = args.repeat or (1 if s.variables >= 500_000 else 3)
    for i in range(repeat):
        out = scratch / f"{label}-{i}"
        c = run_child(m2m() + ["solve", str(folder), "--out", str(out), "--quiet", "--threads", "1",
                               "--algorithm", s.algorithm])
        s.m2m.append(c)
        s.phases.append(phases(json.loads((out / "summary.json").read_text()), c.wall))
        shutil.rmtree(out, ignore_errors=True)
        c = run_child([sys.executable, "-c", ALONE, str(model), s.algorithm])
        s.alone.append(c)
        s.alone_parts.append(json.loads(c.out.strip().splitlines()[-1]))
        if args.linopy and not s.linopy_failed:
            try:
                c = run_child([sys.executable, "-c", LINOPY, str(arrays)])
                s.linopy.append(c)
                s.linopy_parts.append(json.loads(c.out.strip().splitlines()[-1]))
            except RuntimeError as exc:  # out of memory, say: reported, and the other measurements kept
                s.linopy_failed = str(exc).splitlines()[0][-200:]
        print(f"  {label} run {i + 1}/{repeat}: m2m {s.m2m[-1].wall:.2f} s, HiGHS alone {s.alone[-1].wall:.2f} s"
              + (f", linopy build+hand-over {s.linopy[-1].wall:.2f} s" if s.linopy else ""), flush=True)
    return s


# ---- a warm sweep -------------------------------------------------------------------------------

#: The synthetic instance's cap on the covered group's share of separation output, swept from
#: SWEEP_FROM to SWEEP_TO.
SWEEP_POLICY, SWEEP_FROM, SWEEP_TO = "covered_separation_cap", 0.8, 0.5


@dataclass
class Sweep:
    label: str
    points: int
    workers: int
    colds: list[Child] = field(default_factory=list)
    sweeps: list[Child] = field(default_factory=list)
    frontier: list[dict[str, str]] = field(default_factory=list)  # of the last sweep


def measure_sweep(label: str, points: int, workers: int, args: argparse.Namespace, scratch: Path) -> Sweep:
    """``args.sweep_repeat`` times in turn: one cold ``m2m solve`` and one ``m2m sweep`` of ``points``
    points, both fresh processes."""
    import csv

    folder = scratch / f"sweep-{label}"
    if not folder.exists():
        synthetic.write(synthetic.sized(synthetic.parse_size(label), seed=args.seed, name=f"synthetic_{label}"), folder)
    s = Sweep(label, points, workers)
    for i in range(args.sweep_repeat):
        s.colds.append(run_child(m2m() + ["solve", str(folder), "--out", str(scratch / "sweep-cold"), "--quiet",
                                          "--threads", "1"]))
        out = scratch / f"sweep-out-{i}"
        s.sweeps.append(run_child(m2m() + ["sweep", str(folder), "--policy", SWEEP_POLICY, "--param", "share", "--from",
                                           str(SWEEP_FROM), "--to", str(SWEEP_TO), "--steps", str(points), "--workers",
                                           str(workers), "--out", str(out), "--quiet"]))
        with (out / "frontier.csv").open() as fh:
            s.frontier = list(csv.DictReader(fh))
        print(f"  sweep {label} run {i + 1}/{args.sweep_repeat}: {points} points in {s.sweeps[-1].wall:.1f} s; "
              f"one cold solve {s.colds[-1].wall:.1f} s", flush=True)
    return s


#: The sweep table's columns (benchmarks/targets.py reads them by name).
SWEEP_HEAD = ["size", "points", "workers", "runs", "one cold m2m solve s", "m2m sweep s", "sweep / cold solve",
              "sweep s, each run", "points started cold / warm", "median solve s: cold / warm",
              "median build s: cold / warm", "median point s: warm", "solve steps s: all / cold", "sweep peak"]


def sweep_section(s: Sweep, command: str) -> str:
    starts = [r["start"] for r in s.frontier]
    by = {k: [r for r in s.frontier if r["start"] == k] for k in ("cold", "warm")}
    solve = {k: [float(r["solve_seconds"]) for r in rows] for k, rows in by.items()}
    build = {k: [float(r["build_seconds"]) for r in rows] for k, rows in by.items()}
    cold, sweep = med([c.wall for c in s.colds]), med([c.wall for c in s.sweeps])
    row = [s.label, str(s.points), str(s.workers), str(len(s.sweeps)), f"{cold:.2f}", f"{sweep:.2f}",
           f"**{sweep / cold:.2f}x**", ", ".join(f"{c.wall:.1f}" for c in s.sweeps),
           f"{starts.count('cold')} / {starts.count('warm')}",
           f"{med(solve['cold']):.2f} / {med(solve['warm']):.2f}", f"{med(build['cold']):.2f} / {med(build['warm']):.2f}",
           f"{med([float(r['seconds']) for r in by['warm']]):.2f}",
           f"{sum(solve['cold']) + sum(solve['warm']):.1f} / {sum(solve['cold']):.1f}", gib(max(c.peak for c in s.sweeps))]
    return "\n".join([
        f"## Sweep: `{command}`",
        "",
        f"`m2m sweep` of `{SWEEP_POLICY}`'s share from {SWEEP_FROM} to {SWEEP_TO} on the synthetic instance, "
        "as a fresh process, against one `m2m solve` of the same instance (fresh process, one HiGHS thread), "
        "the two taken in turn *runs* times; the times and the ratio are medians over the runs. "
        "The sweep runs its chains of points on `--workers` processes, one HiGHS thread each; within a chain "
        "each point's model is remade from the one before and starts from its end (`start` in frontier.csv). "
        "From the last run's frontier.csv: *median solve*: HiGHS and what surrounds it in the solve step, per "
        "point, by how the point started; *median build*: building the model (a warm point's: remaking it); "
        "*median point*: a warm point's whole time; *solve steps*: the points' solve steps summed, and those "
        "of the cold points.",
        "",
        markdown(SWEEP_HEAD, [row]),
        "",
    ])


# ---- the report -------------------------------------------------------------------------------


def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def ratio_table(sizes: list[Size]) -> str:
    head = ["size", "variables", "rows", "nonzeros", "algorithm", "m2m solve s", "HiGHS alone s", "ratio",
            "pair ratios", "m2m peak", "HiGHS alone peak", "objective check"]
    rows = []
    for s in sizes:
        ratios = [a.wall / b.wall for a, b in zip(s.m2m, s.alone)]
        same = all(abs(p["objective"] - s.objective) <= 1e-6 * max(1.0, abs(s.objective)) for p in s.alone_parts)
        rows.append([s.label, f"{s.variables:,}", f"{s.constraints:,}", f"{s.nonzeros:,}", s.algorithm,
                     f"{med([c.wall for c in s.m2m]):.2f}", f"{med([c.wall for c in s.alone]):.2f}",
                     f"**{med([c.wall for c in s.m2m]) / med([c.wall for c in s.alone]):.2f}x**",
                     f"{min(ratios):.2f}-{max(ratios):.2f}", gib(max(c.peak for c in s.m2m)),
                     gib(max(c.peak for c in s.alone)), "same" if same else "DIFFERS"])
    return markdown(head, rows)


def phase_table(sizes: list[Size]) -> str:
    names = {"start": "start s", "load": "load s", "build": "build s", "solver_compile": "compile s",
             "pass": "pass s", "solver_highs": "HiGHS s", "solver_relabel": "relabel s",
             "solve_rest": "values + duals s", "extract": "extract s", "write": "write s"}
    head = ["size", "variables"] + list(names.values()) + ["m2m total s", "HiGHS alone: start + read + run s"]
    rows = []
    for s in sizes:
        p = {k: med([ph[k] for ph in s.phases]) for k in names}
        alone = " + ".join(f"{med([a[k] for a in s.alone_parts]):.2f}" for k in ("import", "read", "run"))
        rows.append([s.label, f"{s.variables:,}"] + [f"{p[k]:.2f}" for k in names]
                    + [f"{med([c.wall for c in s.m2m]):.2f}", alone])
    return markdown(head, rows)


def peer_table(sizes: list[Size]) -> str:
    head = ["size", "variables", "m2m load + build + compile + pass s", "linopy build s", "linopy hand-over s",
            "linopy build + hand-over s", "linopy process s", "linopy peak"]
    rows = []
    for s in sizes:
        if s.linopy_failed:
            rows.append([s.label, f"{s.variables:,}", "-", "-", "-", "-", f"failed: {s.linopy_failed}", "-"])
        if not s.linopy:
            continue
        ours = med([ph["load"] + ph["build"] + ph["solver_compile"] + ph["pass"] for ph in s.phases])
        b = med([x["build"] for x in s.linopy_parts])
        h = med([x["handover"] for x in s.linopy_parts])
        rows.append([s.label, f"{s.variables:,}", f"{ours:.2f}", f"{b:.2f}", f"{h:.2f}", f"{b + h:.2f}",
                     f"{med([c.wall for c in s.linopy]):.2f}", gib(max(c.peak for c in s.linopy))])
    return markdown(head, rows) if rows else ""


def section(sizes: list[Size], command: str, seconds: float, load: str) -> str:
    out = [
        f"## End to end: `{command}`",
        "",
        f"- took {seconds:.0f} s; medians of {', '.join(f'{s.label}: {len(s.m2m)}' for s in sizes)} runs of "
        "each process, taken in turn (m2m, HiGHS alone, linopy)",
        f"- load average (1 min): {load}; 2 cores shared with other work: read differences below ~10 % as noise",
        "- every process is fresh; HiGHS runs with one thread and `random_seed` 0 in both; m2m with "
        "`--threads 1 --algorithm` the algorithm it chose for the LP",
        "",
        "### m2m solve against HiGHS alone",
        "",
        "*ratio*: median m2m wall time over median HiGHS-alone wall time; *pair ratios*: the range of the "
        "ratio run by run; *peak*: the process's peak resident memory; *objective check*: HiGHS alone's "
        "optimum against m2m's (relative 1e-6).",
        "",
        ratio_table(sizes),
        "",
        "### Where m2m's time goes (medians)",
        "",
        "*start*: interpreter, imports and the CLI (the process's wall time less the phases); *pass*: "
        "handing the matrices to HiGHS; *relabel*: the provenance relabelling LP; *values + duals*: the "
        "solution written back into the model and the duals mapped.",
        "",
        phase_table(sizes),
        "",
    ]
    peer = peer_table(sizes)
    if peer:
        out += [
            "### A peer: linopy building the same LP",
            "",
            "linopy starts from the LP's coefficient arrays (it does none of the reading and modelling that "
            "m2m's load and build do) and hands the model to HiGHS with `to_highspy`; *linopy process*: "
            "the whole process, imports included.",
            "",
            peer,
            "",
        ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", nargs="*", default=["10k", "100k"], help="sizes (variables): 10k 100k 300k 1m")
    ap.add_argument("--repeat", type=int, default=0, help="runs of each process (default 3; 1 at >= 500k)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-linopy", dest="linopy", action="store_false", help="leave the linopy peer out")
    ap.add_argument("--sweep", default="100k", metavar="SIZE", help="size of the warm-sweep measurement ('' for none)")
    ap.add_argument("--sweep-points", type=int, default=20)
    ap.add_argument("--sweep-workers", type=int, default=2)
    ap.add_argument("--sweep-repeat", type=int, default=2, help="cold solves and sweeps, taken in turn")
    ap.add_argument("--results", type=Path, default=HERE / "results.md")
    ap.add_argument("--append", action="store_true", help="add this run to the section instead of replacing it")
    ap.add_argument("--section", default="end-to-end",
                    help="section of the report to write the sizes into (the scale curve: scale)")
    ap.add_argument("--no-results", action="store_true", help="print only; do not write the report")
    args = ap.parse_args(argv)
    if args.linopy:
        try:
            import linopy  # noqa: F401
        except ImportError:
            ap.error("linopy is not installed (pip install -e '.[bench]'), or pass --no-linopy")
    command = "python benchmarks/end_to_end.py " + " ".join(argv if argv is not None else sys.argv[1:])
    t0 = time.perf_counter()
    load = f"{busy():.1f} at the start"
    scratch = Path(tempfile.mkdtemp(prefix="m2m_e2e_"))
    try:
        sizes = [measure(label, args, scratch) for label in args.sizes]
        load += f", {busy():.1f} at the end"
        text = section(sizes, command.strip(), time.perf_counter() - t0, load) if sizes else ""
        sweep = sweep_section(measure_sweep(args.sweep, args.sweep_points, args.sweep_workers, args, scratch),
                              command.strip()) if args.sweep else ""
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(text + "\n" + sweep)
    if not args.no_results:
        if text:
            write_section(args.section, text, args.results, append=args.append, order=ORDER)
        if sweep:
            write_section("sweep", sweep, args.results, append=args.append, order=ORDER)
        targets.refresh(args.results)
        print(f"wrote {args.results}")


if __name__ == "__main__":
    main()

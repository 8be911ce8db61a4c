"""Build, hand-over and solve timings of the ways a Pyomo model can reach HiGHS.

    python benchmarks/solver_paths.py                       # 10k and 100k variables (make bench)
    python benchmarks/solver_paths.py --size 1m             # opt-in: one million variables
    python benchmarks/solver_paths.py --size 10k --repeat 5 --no-results
    python benchmarks/solver_paths.py --sweep 20k 50k 200k  # + algorithm-only sizes, for the IPX threshold
    python benchmarks/solver_paths.py --profile-build 100k  # + cProfile of build_model at 100k

For every size a synthetic instance (``benchmarks/synthetic.py``) is written to a scratch
folder, loaded (``optimizer.input.load.load_instance``) and built (``optimizer.model.build.build_model``),
then handed to HiGHS along each path, with the same pinned HiGHS options everywhere:

* ``project``      ``optimizer.solving.solver.solve``: matrices from the builder's term lists
                   (``optimizer.model.standard_form``) + ``passModel``
                   (hand-over = compile + pass; "after" = values written back + duals mapped)
* ``pyomo-compiler`` Pyomo's ``LinearStandardFormCompiler`` (mixed form) on the same model, the
                   same arrays made from its output, + ``passModel``: what the project's
                   assembly replaced (it gives the same arrays)
* ``appsi``        ``pyomo.contrib.appsi.solvers.Highs``: ``set_instance`` + ``run``
* ``contrib``      ``pyomo.contrib.solver`` ``highs``: ``set_instance`` + ``run``
* ``lp-file``      Pyomo LP writer, then ``highspy.Highs.readModel``
* ``highs-alone``  the project's matrices passed to a fresh ``highspy.Highs``: the floor

then every HiGHS algorithm is run on the same matrices.  Times are the best of ``--repeat``
runs (wall clock, ``time.perf_counter``); other work on the machine perturbs them, so read
differences below ~10 % as noise.  Objectives must agree across paths (relative 1e-6; PDLP
is a first-order method and is only reported).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import highspy  # noqa: E402
import numpy as np  # noqa: E402
import pyomo.core as pyo  # noqa: E402
from pyomo.common.timing import HierarchicalTimer  # noqa: E402
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler  # noqa: E402

import synthetic  # noqa: E402
from report import ORDER, markdown, write_section  # noqa: E402
from optimizer.input.load import load_instance  # noqa: E402
from optimizer.model.build import build_model  # noqa: E402
from optimizer.solving.options import new_highs  # noqa: E402
from optimizer.solving.solver import IPX_FROM_COLUMNS, MatrixModel, SolveOptions, _choose_algorithm, solve  # noqa: E402

ALGORITHMS = ("simplex", "ipx", "pdlp", "choose")
REL_TOL = 1e-6


# ============================================================================================
# measurement helpers
# ============================================================================================


def best_of(n: int, fn: Callable[[], dict[str, Any]], key: str) -> dict[str, Any]:
    """Run ``fn`` n times; keep the run with the smallest ``key`` (every run is a fresh start).

    A run that stopped at the time limit is not repeated.
    """
    best: dict[str, Any] | None = None
    for _ in range(n):
        gc.collect()
        r = fn()
        if best is None or r[key] < best[key]:
            best = r
        if r.get("status") == "Time limit reached":
            break
    assert best is not None
    return best


def rss_gib() -> float:
    """Resident memory of this process now (GiB)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**30


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def highs_options(algorithm: str, time_limit: float | None = None) -> dict[str, Any]:
    """The options pinned in every path (the project's own defaults plus the algorithm)."""
    opts: dict[str, Any] = {"output_flag": False, "random_seed": 0, "solver": algorithm}
    if time_limit is not None:
        opts["time_limit"] = float(time_limit)
    return opts


def apply(h: highspy.Highs, opts: dict[str, Any]) -> None:
    for k, v in opts.items():
        h.setOptionValue(k, v)


def iterations(h: highspy.Highs) -> str:
    info = h.getInfo()
    parts = []
    for label, attr in (("spx", "simplex_iteration_count"), ("ipm", "ipm_iteration_count"),
                        ("xover", "crossover_iteration_count"), ("pdlp", "pdlp_iteration_count")):
        v = getattr(info, attr, 0)
        if v and v > 0:
            parts.append(f"{label} {v}")
    return ", ".join(parts) or "-"


# ============================================================================================
# the paths
# ============================================================================================


class Clock:
    """Wall and CPU (all threads of this process) time of a block."""

    def __enter__(self) -> "Clock":
        self.w0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.w0
        self.cpu = time.process_time() - self.c0


def handover_project(built, algorithm: str) -> dict[str, Any]:
    """What ``optimizer.solving.solver.solve`` does before ``run()``: compile, then ``passModel``."""
    with Clock() as c:
        mm = MatrixModel(built)
        h = new_highs()
        apply(h, highs_options(algorithm))
        t0 = time.perf_counter()
        mm.pass_to(h)
        passed = time.perf_counter() - t0
    return {"wall": c.wall, "cpu": c.cpu, "detail": f"compile {mm.compile_seconds:.2f} + pass {passed:.2f}"}


def run_project(built, algorithm: str) -> dict[str, Any]:
    """``optimizer.solving.solver.solve`` end to end (duals on, as in ``m2m solve``)."""
    with Clock() as c:
        sol = solve(built, SolveOptions(algorithm=algorithm))
    tm = sol.timings
    inside = ", ".join(f"{k} {v:.2f}" for k, v in tm.items() if k not in ("compile", "handover", "highs"))
    return {"highs": tm["highs"], "after": c.wall - tm["handover"] - tm["highs"], "total": c.wall,
            "objective": sol.objective, "status": sol.termination,
            "note": f"after = values written back and duals mapped{' (' + inside + ')' if inside else ''}"}


def _persistent(kind: str, algorithm: str):
    if kind == "appsi":
        from pyomo.contrib.appsi.solvers import Highs as AppsiHighs

        opt = AppsiHighs()
        opt.config.load_solution = False
        opt.config.stream_solver = False
        opt.highs_options = highs_options(algorithm)
        return opt, {}
    from pyomo.contrib.solver.solvers.highs import Highs as ContribHighs

    kw = {"load_solutions": False, "raise_exception_on_nonoptimal_result": False, "solver_options": highs_options(algorithm)}
    return ContribHighs(), kw


def handover_compiler(built, algorithm: str, keep: list) -> dict[str, Any]:
    """Pyomo's standard-form compiler, the arrays HiGHS takes made from its output, ``passModel``."""
    with Clock() as c:
        t0 = time.perf_counter()
        repn = LinearStandardFormCompiler().write(built.model, mixed_form=True, set_sense=pyo.minimize)
        n = len(repn.columns)
        kind = np.fromiter((r.bound_type for r in repn.rows), dtype=np.int8, count=len(repn.rows))
        rhs = np.asarray(repn.rhs, dtype=float)
        A = repn.A
        arrays = (
            n, len(repn.rows), A.nnz, int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMinimize),
            float(repn.c_offset[0]) if len(repn.c_offset) else 0.0,
            np.asarray(repn.c.toarray()[0] if repn.c.shape[0] else np.zeros(n), dtype=float),
            np.fromiter((-highspy.kHighsInf if v.lb is None else v.lb for v in repn.columns), dtype=float, count=n),
            np.fromiter((highspy.kHighsInf if v.ub is None else v.ub for v in repn.columns), dtype=float, count=n),
            np.where(kind == 1, -highspy.kHighsInf, rhs), np.where(kind == -1, highspy.kHighsInf, rhs),
            A.indptr.astype(np.int32), A.indices.astype(np.int32), A.data.astype(float),
            np.fromiter((v.is_integer() for v in repn.columns), dtype=np.int32, count=n),
        )
        compiled = time.perf_counter() - t0
        h = new_highs()
        apply(h, highs_options(algorithm))
        t0 = time.perf_counter()
        h.passModel(*arrays)
        passed = time.perf_counter() - t0
    keep[:] = [h]
    return {"wall": c.wall, "cpu": c.cpu, "detail": f"compile {compiled:.2f} + pass {passed:.2f}"}


def handover_persistent(kind: str, built, algorithm: str) -> dict[str, Any]:
    """``set_instance`` of a fresh persistent solver object."""
    opt, _kw = _persistent(kind, algorithm)
    with Clock() as c:
        opt.set_instance(built.model)
    return {"wall": c.wall, "cpu": c.cpu, "detail": "set_instance"}


def run_persistent(kind: str, built, algorithm: str) -> dict[str, Any]:
    """A first ``solve`` (set_instance inside), then a second on the unchanged model."""
    opt, kw = _persistent(kind, algorithm)
    timer = HierarchicalTimer()
    with Clock() as c:
        res = opt.solve(built.model, timer=timer, **kw)
    handover, highs = timer.get_total_time("set_instance"), timer.get_total_time("optimize")
    h = getattr(opt, "_solver_model", None)  # the interface's highspy.Highs (private attribute)
    its = f"; {iterations(h)}" if h is not None else ""
    timer2 = HierarchicalTimer()
    with Clock() as c2:
        opt.solve(built.model, timer=timer2, **kw)
    update = timer2.get_total_time("update")
    obj = res.best_feasible_objective if kind == "appsi" else res.incumbent_objective
    return {"highs": highs, "after": c.wall - handover - highs, "total": c.wall, "objective": obj,
            "status": res.termination_condition.name,
            "note": f"re-solve of the unchanged model {c2.wall:.2f} s (update() {update:.2f}){its}"}


def handover_lp_file(built, algorithm: str, scratch: Path, keep: list) -> dict[str, Any]:
    """Pyomo's LP writer, then ``Highs.readModel``."""
    import pyomo.environ  # noqa: F401  (registers the writers; the project imports pyomo.core only)

    lp = scratch / "model.lp"
    with Clock() as c:
        t0 = time.perf_counter()
        built.model.write(str(lp), io_options={"symbolic_solver_labels": False})  # format from the .lp suffix
        t1 = time.perf_counter()
        h = new_highs()
        apply(h, highs_options(algorithm))
        h.readModel(str(lp))
        t2 = time.perf_counter()
    size_mb = lp.stat().st_size / 2**20
    lp.unlink()
    keep[:] = [h]
    return {"wall": c.wall, "cpu": c.cpu, "detail": f"write {t1 - t0:.2f} ({size_mb:.0f} MB) + readModel {t2 - t1:.2f}"}


def run_highs(h: highspy.Highs) -> dict[str, Any]:
    with Clock() as c:
        h.run()
    return {"highs": c.wall, "highs_cpu": c.cpu, "after": 0.0, "total": c.wall,
            "objective": h.getInfo().objective_function_value,
            "status": h.modelStatusToString(h.getModelStatus()), "iterations": iterations(h),
            "note": iterations(h)}


def handover_alone(mm: MatrixModel, algorithm: str, keep: list, time_limit: float | None = None) -> dict[str, Any]:
    """The project's matrices passed to a fresh ``highspy.Highs``: no Pyomo at all."""
    h = new_highs()
    apply(h, highs_options(algorithm, time_limit))
    with Clock() as c:
        mm.pass_to(h)
    keep[:] = [h]
    return {"wall": c.wall, "cpu": c.cpu, "detail": "passModel of numpy arrays"}


def solve_alone(mm: MatrixModel, algorithm: str, time_limit: float | None) -> dict[str, Any]:
    keep: list = []
    handover_alone(mm, algorithm, keep, time_limit)
    return run_highs(keep[0])


# ============================================================================================
# one size
# ============================================================================================


@dataclass
class SizeResult:
    label: str
    target: int
    counts: dict[str, int]
    size: dict[str, int] = field(default_factory=dict)
    algorithm: str = ""
    load: float = 0.0
    build: float = 0.0
    rss_after_build: float = 0.0
    first_compile: float = 0.0
    paths: dict[str, dict[str, Any]] = field(default_factory=dict)
    algorithms: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    profile: str = ""


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def measure_size(label: str, target: int, args: argparse.Namespace, scratch: Path, *, paths: bool = True) -> SizeResult:
    repeat = args.repeat if args.repeat else (1 if target >= 500_000 else 2)
    g = synthetic.sized(target, policies=not args.no_policies, seed=args.seed, name=f"bench_{label}")
    folder = synthetic.write(g, scratch / f"bench_{label}")
    res = SizeResult(label, target, g.counts)
    say(f"[{label}] instance: {g.counts}")

    def do_load() -> dict[str, Any]:
        t0 = time.perf_counter()
        inst = load_instance(folder)
        return {"t": time.perf_counter() - t0, "inst": inst}

    r = best_of(repeat, do_load, "t")
    inst, res.load = r["inst"], r["t"]
    say(f"[{label}] load {res.load:.2f}s")

    def do_build() -> dict[str, Any]:
        built = build_model(inst)
        return {"t": built.build_seconds, "built": built}

    built = None
    best_build = float("inf")
    for _ in range(repeat):  # keep only one model alive at a time
        built = None
        gc.collect()
        r = do_build()
        built = r["built"]
        best_build = min(best_build, r["t"])
    res.build = best_build
    res.rss_after_build = rss_gib()
    say(f"[{label}] build {res.build:.2f}s (RSS {res.rss_after_build:.2f} GiB)")

    t0 = time.perf_counter()
    mm = MatrixModel(built)
    res.first_compile = time.perf_counter() - t0
    res.size = {"variables": mm.n_cols, "constraints": mm.n_rows, "nonzeros": len(mm.a_value)}
    res.algorithm = args.algorithm if args.algorithm != "auto" else _choose_algorithm(SolveOptions(), mm.n_cols, mm.is_mip)

    for a in (args.algorithms if paths else args.sweep_algorithms):
        n = repeat if a in ("simplex", "ipx") else 1  # the two the project picks between get the repeats
        limit = args.pdlp_time_limit if a == "pdlp" else args.time_limit
        r = best_of(n, lambda: solve_alone(mm, a, limit), "highs")
        res.algorithms[a] = r
        say(f"[{label}] algorithm {a:8s} {r['highs']:.2f}s (cpu {r['highs_cpu']:.2f})  {r['status']}  {r['iterations']}  obj {r['objective']}")

    if paths:
        lp_keep: list = []
        compiler_keep: list = []
        alone_keep: list = []
        alg = res.algorithm

        def run_alone() -> dict[str, Any]:
            """The pinned algorithm's run from the algorithm comparison (best of the repeats) if there is one."""
            if alg in res.algorithms:
                r = res.algorithms[alg]
                return {**r, "note": f"HiGHS run from the algorithm comparison; {r['iterations']}"}
            return run_highs(alone_keep[0])

        runs: list[tuple[str, Callable[[], dict[str, Any]], Callable[[], dict[str, Any]]]] = [
            ("project", lambda: handover_project(built, alg), lambda: run_project(built, alg)),
            ("pyomo-compiler", lambda: handover_compiler(built, alg, compiler_keep), lambda: run_highs(compiler_keep[0])),
            ("appsi", lambda: handover_persistent("appsi", built, alg), lambda: run_persistent("appsi", built, alg)),
            ("contrib", lambda: handover_persistent("contrib", built, alg), lambda: run_persistent("contrib", built, alg)),
            ("lp-file", lambda: handover_lp_file(built, alg, scratch, lp_keep), lambda: run_highs(lp_keep[0])),
            ("highs-alone", lambda: handover_alone(mm, alg, alone_keep), run_alone),
        ]
        for name, handover, run in runs:
            if name in args.skip:
                res.skipped[name] = "skipped (--skip)"
                continue
            try:
                ho = best_of(repeat, handover, "wall")
                r = run() if not args.handover_only else {
                    "highs": None, "after": None, "objective": None, "note": "not solved (--handover-only)"}
                lp_keep.clear()
                compiler_keep.clear()
                alone_keep.clear()
                res.paths[name] = p = {**r, "handover": ho["wall"], "handover_cpu": ho["cpu"], "detail": ho["detail"]}
                say(f"[{label}] {name:12s} hand-over {p['handover']:.2f}s (cpu {p['handover_cpu']:.2f})  "
                    f"highs {_s(p['highs'])}s  after {_s(p['after'])}s  obj {p['objective']}")
            except Exception as exc:  # a path that fails is reported, not fatal
                res.skipped[name] = f"failed: {type(exc).__name__}: {exc}"
                say(f"[{label}] {name} failed: {exc}")
            gc.collect()

    if args.profile_build == label:
        res.profile = profile_build(inst, args.profile_top)
    del built, mm, inst
    gc.collect()
    return res


def build_steps(inst, repeat: int = 3) -> str:
    """Wall time of each step of build_model, without a profiler (best build of ``repeat``).

    Every public method of the builder and ``build_index`` are wrapped with a timer; what is
    left of build_model's time is the variables, the lookups and the collector's pass when
    the paused GC ends.
    """
    import optimizer.model.build as M

    spent: dict[str, float] = {}

    def timed(name: str, fn: Callable) -> Callable:
        def wrapper(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - t0
        return wrapper

    skip = {"build", "slack", "output_of", "register"}
    names = [n for n, f in vars(M._Builder).items() if callable(f) and not n.startswith("_") and n not in skip]
    saved = {n: getattr(M._Builder, n) for n in names + ["__init__"]}
    saved_index = M.build_index
    best: dict[str, float] | None = None
    try:
        M.build_index = timed("build_index", saved_index)
        for n in names:
            setattr(M._Builder, n, timed(n, saved[n]))
        M._Builder.__init__ = timed("__init__", saved["__init__"])
        for _ in range(repeat):
            spent.clear()
            gc.collect()
            t0 = time.perf_counter()
            built = build_model(inst)
            total = time.perf_counter() - t0
            del built
            if best is None or total < best["total"]:
                best = {**spent, "total": total}
    finally:
        M.build_index = saved_index
        for n, f in saved.items():
            setattr(M._Builder, n, f)
    assert best is not None
    total = best.pop("total")
    init = best.pop("__init__", 0.0)
    index = best.pop("build_index", 0.0)
    rows = [("build_index (sparse index lists)", index),
            ("variables + lookups (rest of _Builder.__init__)", init - index)]
    rows += sorted(((n, v) for n, v in best.items() if v >= 0.0005), key=lambda r: -r[1])
    rows.append(("rest: GC pass when the pause ends, bookkeeping", total - init - sum(best.values())))
    lines = [f"build_model, best of {repeat} (no profiler): {total:.3f} s", ""]
    lines += [f"{v:8.3f} s {100 * v / total:5.1f} %  {n}" for n, v in rows]
    return "\n".join(lines)


def profile_build(inst, top: int) -> str:
    """Step timings, then a cProfile of one build_model call: top entries by own and by cumulative time."""
    steps = build_steps(inst)
    prof = cProfile.Profile()
    gc.collect()
    prof.enable()
    built = build_model(inst)
    prof.disable()
    out = io.StringIO()
    out.write(steps + "\n\n")
    out.write(f"cProfile: build_model wall time under the profiler: {built.build_seconds:.2f} s\n\n")
    for order in ("tottime", "cumulative"):
        st = pstats.Stats(prof, stream=out)
        st.strip_dirs().sort_stats(order).print_stats(top)
    del built
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines() if line.strip())


# ============================================================================================
# reporting
# ============================================================================================


def _s(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


def _obj_check(ref: float | None, obj: float | None) -> str:
    if ref is None or obj is None:
        return "-"
    rel = abs(obj - ref) / max(1.0, abs(ref))
    return "same" if rel <= REL_TOL else f"DIFF {rel:.1e}"


def tables(results: list[SizeResult]) -> tuple[list[str], list[list[str]], list[str], list[list[str]], list[str], list[list[str]]]:
    size_head = ["size", "variables", "constraints", "nonzeros", "load s", "build s", "first compile s",
                 "RSS after build", "pinned algorithm"]
    size_rows = [
        [r.label, f"{r.size['variables']:,}", f"{r.size['constraints']:,}", f"{r.size['nonzeros']:,}",
         f"{r.load:.2f}", f"{r.build:.2f}", f"{r.first_compile:.2f}", f"{r.rss_after_build:.2f} GiB",
         r.algorithm if r.paths else "-"]
        for r in results
    ]
    path_head = ["size", "path", "hand-over s", "hand-over CPU s", "HiGHS run s", "after s", "sum s",
                 "hand-over / run", "objective", "vs project", "notes"]
    path_rows = []
    for r in results:
        ref = r.paths.get("project", {}).get("objective")
        for name, p in r.paths.items():
            solved = p["highs"] is not None
            total = p["handover"] + p["highs"] + p["after"] if solved else None
            share = f"{100 * p['handover'] / p['highs']:.0f} %" if solved and p["highs"] > 0 else "-"
            notes = "; ".join(x for x in (p["detail"], p.get("note", "")) if x)
            path_rows.append([
                r.label, name, f"{p['handover']:.2f}", f"{p['handover_cpu']:.2f}", _s(p["highs"]), _s(p["after"]),
                _s(total), share, f"{p['objective']:.6e}" if p["objective"] is not None else "-",
                _obj_check(ref, p["objective"]), notes,
            ])
        for name, why in r.skipped.items():
            path_rows.append([r.label, name] + ["-"] * 8 + [why])
    alg_head = ["size", "variables", "algorithm", "HiGHS run s", "CPU s", "status", "iterations", "objective", "vs simplex"]
    alg_rows = []
    for r in results:
        ref = r.algorithms.get("simplex", {}).get("objective")
        best = min((a["highs"] for a in r.algorithms.values() if a["status"] == "Optimal"), default=None)
        for alg, a in r.algorithms.items():
            mark = " *" if best is not None and a["highs"] == best else ""
            alg_rows.append([
                r.label, f"{r.size['variables']:,}", alg, f"{a['highs']:.2f}{mark}", f"{a['highs_cpu']:.2f}", a["status"], a["iterations"],
                f"{a['objective']:.6e}" if a["status"] == "Optimal" else "-",
                _obj_check(ref, a["objective"]) if a["status"] == "Optimal" else "n/a",
            ])
    return size_head, size_rows, path_head, path_rows, alg_head, alg_rows


def print_tables(results: list[SizeResult]) -> None:
    sh, sr, ph, pr, ah, ar = tables(results)
    try:
        from rich.console import Console
        from rich.table import Table

        con = Console(width=200)
        for title, head, rows in (("Sizes, load and build", sh, sr), ("Solver paths", ph, pr), ("HiGHS algorithms (same matrices)", ah, ar)):
            t = Table(title=title)
            for h in head:
                t.add_column(h, justify="right" if h.endswith("s") or h in ("variables", "constraints", "nonzeros", "x floor") else "left")
            for row in rows:
                t.add_row(*row)
            con.print(t)
    except ImportError:
        for head, rows in ((sh, sr), (ph, pr), (ah, ar)):
            print(markdown(head, rows))
            print()


def write_results(path: Path, results: list[SizeResult], command: str, args: argparse.Namespace, seconds: float,
                  busy: str, append: bool = False) -> None:
    """This script's section of the report (``--append`` adds a run to it)."""
    sh, sr, ph, pr, ah, ar = tables(results)
    repeats = args.repeat or "2 (1 at >= 500k variables)"
    out = [
        f"## Solver paths: `{command}`",
        "",
        f"- took {seconds:.0f} s; each time is the best of {repeats} runs, wall clock unless marked CPU",
        f"- load average (1 min): {busy}; the 2 cores are shared with other work, so read CPU columns and",
        "  treat wall-clock differences below ~10 % as noise",
        f"- synthetic instances: seed {args.seed}, policies "
        + ("off" if args.no_policies else "on (max_share on separation + clean offtake: provenance tags)"),
        "",
        "### Sizes, load and build",
        "",
        markdown(sh, sr),
        "",
    ]
    if pr:
        out += [
            "### Solver paths",
            "",
            "Same built model, same pinned HiGHS options (`solver` as in the table above, `random_seed` 0, "
            "output off).  *hand-over*: from the Pyomo model to a HiGHS instance holding the LP (best of the "
            "repeats); *HiGHS run*: `Highs.run()` (one run); *after*: the rest of the call (the project path "
            "writes values back, maps duals and relabels provenance; the persistent interfaces build their "
            "results object); *sum*: hand-over + run + after.",
            "",
            markdown(ph, pr),
            "",
        ]
    out += [
        "### HiGHS algorithms",
        "",
        f"The project's matrices passed to a fresh HiGHS with `solver` pinned; time limit {args.time_limit:.0f} s "
        f"({args.pdlp_time_limit:.0f} s for pdlp); "
        "simplex and ipx are the best of the repeats, pdlp and choose one run.  `*` marks the fastest optimal run.",
        "",
        markdown(ah, ar),
        "",
    ]
    for r in results:
        if r.profile:
            out += [f"### Build profile ({r.label})", "", "```", r.profile.rstrip(), "```", ""]
    out.append(f"`IPX_FROM_COLUMNS` in optimizer/solving/solver.py at the time: {IPX_FROM_COLUMNS:,}")
    write_section("solver-paths", "\n".join(out), path, append=append, order=ORDER)


# ============================================================================================
# main
# ============================================================================================


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", nargs="+", default=["10k", "100k"], help="sizes (variables): 10k 100k 1m or numbers")
    ap.add_argument("--sweep", nargs="+", default=[],
                    help="extra sizes with the algorithm comparison only (no solver paths), for the IPX threshold")
    ap.add_argument("--sweep-algorithms", nargs="+", default=["simplex", "ipx"], help="algorithms compared at --sweep sizes")
    ap.add_argument("--repeat", type=int, default=0, help="runs per measurement, best kept (default 2; 1 at >= 500k)")
    ap.add_argument("--algorithm", default="auto", help="algorithm pinned in every path (auto: the project's rule)")
    ap.add_argument("--algorithms", nargs="+", default=list(ALGORITHMS), help="algorithms compared on the matrices")
    ap.add_argument("--time-limit", type=float, default=300.0, help="per run in the algorithm comparison (s)")
    ap.add_argument("--pdlp-time-limit", type=float, default=30.0,
                    help="per pdlp run (s); PDLP is a first-order method and is slow to reach 1e-7 on these LPs")
    ap.add_argument("--handover-only", action="store_true",
                    help="measure the paths' hand-over only (HiGHS runs once per algorithm; for --size 1m)")
    ap.add_argument("--skip", nargs="*", default=[], help="paths to skip: project pyomo-compiler appsi contrib lp-file highs-alone")
    ap.add_argument("--no-policies", action="store_true", help="instances without max_share / clean offtake")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile-build", nargs="?", const="100k", default=None, metavar="SIZE",
                    help="also cProfile build_model at this size (default 100k; must be one of the sizes run)")
    ap.add_argument("--profile-top", type=int, default=25)
    ap.add_argument("--results", type=Path, default=HERE / "results.md", help="where to write the markdown report")
    ap.add_argument("--append", action="store_true", help="add this run to the report instead of replacing it")
    ap.add_argument("--no-results", action="store_true", help="print only; do not write the report")
    ap.add_argument("--keep", action="store_true", help="keep the generated instances (path printed)")
    args = ap.parse_args(argv)

    command = "python benchmarks/solver_paths.py" + ("" if argv is None and len(sys.argv) == 1 else " " + " ".join(argv if argv is not None else sys.argv[1:]))
    scratch = Path(tempfile.mkdtemp(prefix="m2m_bench_"))
    start = time.perf_counter()
    load_start = os.getloadavg()[0]
    results: list[SizeResult] = []
    try:
        plan = sorted([(synthetic.parse_size(s), s, True) for s in args.size]
                      + [(synthetic.parse_size(s), s, False) for s in args.sweep if s not in args.size])
        for target, s, paths in plan:
            results.append(measure_size(s, target, args, scratch, paths=paths))
            say(f"[{s}] peak RSS so far {peak_gib():.2f} GiB")
    finally:
        if args.keep:
            say(f"instances kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    seconds = time.perf_counter() - start
    print_tables(results)
    busy = f"{load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    say(f"load average (1 min): {busy}")
    if not args.no_results:
        write_results(args.results, results, command, args, seconds, busy, append=args.append)
        say(f"wrote {args.results}")


if __name__ == "__main__":
    main()

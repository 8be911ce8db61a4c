"""Stage 3: solve a built model with HiGHS.  The one place that talks to the solver.

Path: the builder's term lists become sparse matrices (:mod:`optimizer.model.standard_form`, the
same arrays Pyomo's standard-form compiler makes, without walking the model again), which go to
``highspy`` in one ``passModel`` call.  That path
is measured against Pyomo's own HiGHS interfaces and an LP file in
``benchmarks/solver_paths.py``.  The status mapping, the dual retrieval (with integer decisions
fixed for a MILP) and the IIS request live here, the options in :mod:`.options`; nothing raises
on a non-optimal result: the caller gets a typed :class:`Status`.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import highspy
import numpy as np
import pyomo.core as pyo  # the modelling layer only: pyomo.environ would also load every solver plugin
from pyomo.common.collections import ComponentMap, ComponentSet
from ..model import lean  # noqa: F401  (before SciPy: Pyomo would load scipy.stats with it)
from scipy.sparse import csc_matrix, vstack
from pyomo.common.errors import InfeasibleConstraintException

from ..core.tolerances import HALF, NOTHING_FLOWS, RELABEL_KEEP, ZERO
from ..core.atomic import staged_file
from ..core.contract import MODEL_FORMATS, MODEL_MARKER, Status
from ..model.build import Built, paused_gc
from ..model.standard_form import standard_form
from ..model.stages import Key, key
from .options import SolveOptions, new_highs, set_options
from .warm import Warm, structure

#: Below this many columns the dual simplex is pinned; above it, the interior point solver
#: IPX (with crossover, so duals stay basic).  See benchmarks/solver_paths.py.
IPX_FROM_COLUMNS = 20_000
INF = highspy.kHighsInf


@dataclass
class Solution:
    status: Status
    termination: str
    objective: float | None
    is_mip: bool
    algorithm: str
    mip_gap: float | None = None
    duals: ComponentMap = field(default_factory=ComponentMap)
    #: Constraints every variable of which is zero in the plan (nothing flows through them).
    idle_rows: ComponentSet = field(default_factory=ComponentSet)
    #: Where the duals come from: ``lp`` (the LP itself), ``fixed_lp`` (a MILP's LP with its
    #: integer decisions fixed at the plan's values) or ``none`` (not computed, or that LP failed).
    dual_source: str = "none"
    iis: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    size: dict[str, int] = field(default_factory=dict)
    #: How HiGHS started: ``cold`` (the model handed over whole) or ``warm`` (from the previous
    #: model's end: :mod:`optimizer.solving.warm`).
    start: str = "cold"


def _choose_algorithm(opts: SolveOptions, n_cols: int, is_mip: bool) -> str:
    if opts.algorithm != "auto":
        return opts.algorithm
    if is_mip:
        # HiGHS's MIP solver runs its own LP solves (dual simplex); "simplex"/"ipm" here would,
        # by HiGHS's documented rule, ask it to ignore integrality.
        return "choose"
    return "ipx" if n_cols >= IPX_FROM_COLUMNS else "simplex"


def _status(h: highspy.Highs) -> tuple[Status, str]:
    ms = h.getModelStatus()
    text = h.modelStatusToString(ms)
    S = highspy.HighsModelStatus
    if ms in (S.kOptimal, S.kModelEmpty):
        return Status.OPTIMAL, text
    if ms == S.kInfeasible:
        return Status.INFEASIBLE, text
    if ms == S.kUnbounded:
        return Status.UNBOUNDED, text
    if ms in (S.kTimeLimit, S.kIterationLimit, S.kSolutionLimit, S.kInterrupt, S.kObjectiveBound,
              S.kObjectiveTarget, S.kMemoryLimit, S.kHighsInterrupt):
        feasible = h.getInfo().primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
        return (Status.FEASIBLE if feasible else Status.NO_SOLUTION), text
    return Status.ERROR, text


class Matrices:
    """A linear program as HiGHS takes it: column-wise matrix, costs, bounds, integrality, plus
    which rows only strengthen a MILP (``strengthening``) and which column opens the candidate an
    ``open_link`` row belongs to (``open_decision``, -1 for other rows)."""

    n_cols: int
    n_rows: int
    cost: np.ndarray
    offset: float
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    integer: np.ndarray
    strengthening: np.ndarray
    open_decision: np.ndarray
    a_start: np.ndarray
    a_index: np.ndarray
    a_value: np.ndarray

    @property
    def is_mip(self) -> bool:
        return bool(self.integer.any())

    def pass_to(self, h: highspy.Highs, relax_integers: bool = False) -> None:
        integrality = (
            np.zeros(self.n_cols, dtype=np.int32) if relax_integers else self.integer.astype(np.int32)
        )
        status = h.passModel(
            self.n_cols, self.n_rows, len(self.a_value), int(highspy.MatrixFormat.kColwise),
            int(highspy.ObjSense.kMinimize), self.offset,
            self.cost, self.col_lower, self.col_upper, self.row_lower, self.row_upper,
            self.a_start, self.a_index, self.a_value, integrality,
        )
        if status == highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS rejected the model (passModel returned an error)")


class MatrixModel(Matrices):
    """The compiled model: matrices for HiGHS plus the maps back to Pyomo objects."""

    def __init__(self, built: Built, like: MatrixModel | None = None):
        """The matrices of ``built``.  ``like``: the matrices of an earlier state of the same model
        (a sweep's model remade with other policy numbers, :func:`optimizer.model.build.remake_policies`);
        where the columns are the same variables in the same order, what depends on the columns
        alone (their bounds, integrality and keys, the relabelling's columns) is taken from it."""
        t0 = time.perf_counter()
        with paused_gc():
            form = standard_form(built)
            same = like is not None and not like.fixed and like._model is built.model and _same_objects(
                like.columns, form.columns)
            if not same:
                bounds = [v.bounds for v in form.columns]  # (lower, upper) in one call per variable
                integer = [v.is_integer() for v in form.columns]
        self.columns = form.columns
        self.rows = form.rows
        n, m = len(form.columns), len(form.rows)
        self.n_cols, self.n_rows = n, m
        self.cost = form.cost
        self.offset = form.offset
        self.row_lower = np.where(form.kind == 1, -INF, form.rhs)
        self.row_upper = np.where(form.kind == -1, INF, form.rhs)
        self.fixed = False
        if same:
            assert like is not None
            self.col_lower, self.col_upper, self.integer = like.col_lower.copy(), like.col_upper.copy(), like.integer
            self._keys, self._labelling = like._keys, like._labelling
        else:
            self.col_lower = np.fromiter((-INF if lo is None else lo for lo, _up in bounds), dtype=float, count=n)
            self.col_upper = np.fromiter((INF if up is None else up for _lo, up in bounds), dtype=float, count=n)
            self.integer = np.asarray(integer, dtype=bool)
            self._keys, self._labelling = None, None
        self.row_block = form.block
        self.block_names = [comp.local_name for comp, _rows in built.row_blocks]
        # Rows that only strengthen a MILP's relaxation: freed in the LP that prices it.
        self.strengthening = np.array([name in built.strengthening for name in self.block_names], dtype=bool)[form.block]
        # open_link rows: the column of their candidate's open decision (-1 for other rows).
        self.open_decision = np.full(m, -1, dtype=np.int64)
        if built.open_links:
            column = {id(v): j for j, v in enumerate(form.columns)}
            for i, r in enumerate(form.rows):
                y = built.open_links.get(r.constraint)
                if y is not None:
                    self.open_decision[i] = column.get(id(y), -1)
        self.a_start, self.a_index, self.a_value = form.a_start, form.a_index, form.a_value
        self._model = built.model
        self.compile_seconds = time.perf_counter() - t0

    def keys(self) -> list[Key]:
        """Each column's key (:func:`optimizer.model.stages.key_of`), in column order: read once
        from the variable components' own index lists (``key_of`` looks each index up again)."""
        if self._keys is None:
            at: dict[int, Key] = {}
            with paused_gc():
                for comp in self._model.component_objects(pyo.Var, descend_into=True):
                    name = comp.local_name
                    at.update((id(v), key(name, k)) for k, v in comp.items())
                self._keys = [at[id(v)] for v in self.columns]
        return self._keys

    def row_families(self) -> tuple[str, ...]:
        """Each row's constraint family (its component's name), in row order."""
        return tuple(np.asarray(self.block_names, dtype=object)[self.row_block].tolist())

    def fix(self, value_of: Callable[[Key], float | None]) -> None:
        """Hold every column ``value_of`` gives a value for (by its key) at that value."""
        self.fixed = True
        for j, k in enumerate(self.keys()):
            val = value_of(k)
            if val is not None:
                self.col_lower[j] = self.col_upper[j] = val

    def labels(self, built: Built) -> Labelling:
        """Columns of the provenance relabelling (:func:`_relabel`), found once."""
        if self._labelling is None:
            if not built.downgrades:
                self._labelling = Labelling()
                return self._labelling
            col = {id(v): j for j, v in enumerate(self.columns)}

            def cols(vs: list) -> np.ndarray:
                return np.array([col[id(v)] for v in vs if id(v) in col], dtype=np.int32)

            self._labelling = Labelling(cols(built.downgrades), [cols(g) for g in built.tag_groups],
                                        cols(built.touched_deliveries))
        return self._labelling


def _same_objects(a: list, b: list) -> bool:
    """The same objects in the same order (compared by identity: ``==`` on Pyomo variables makes
    an expression)."""
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


@dataclass(frozen=True)
class Labelling:
    """Columns of the provenance relabelling (:func:`_relabel`): the downgrades (clean input used as
    touched), each tag group (columns that differ only by tag, whose total is the plan's), and the
    touched deliveries to buyers."""

    down: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    groups: list[np.ndarray] = field(default_factory=list)
    delivered: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))


@dataclass
class Solved:
    """What solving a :class:`Matrices` gave: the solution record, and (when there is a plan) the
    column values and the row duals (None when not computed)."""

    solution: Solution
    x: np.ndarray | None = None
    row_dual: np.ndarray | None = None
    #: The HiGHS instance that solved it (for an IIS of an infeasible model).
    highs: Any = None


def solve(built: Built, opts: SolveOptions = SolveOptions(),
          fix: Callable[[Key], float | None] | None = None, write_model: Path | None = None,
          warm: Warm | None = None) -> Solution:
    """Solve; write variable values into the Pyomo model; return status, objective and duals.

    ``fix`` holds the variables it gives a value for (by :func:`optimizer.model.stages.key_of`)
    at that value: how ``m2m hedge`` re-solves an outcome under another plan's shared decisions.
    ``write_model`` (``.mps`` or ``.lp``): the model exactly as handed to HiGHS is written there
    first (:func:`write_model_file`).  ``warm`` carries the HiGHS instance from one solve to the
    next: a model of the same structure as the last one starts from its end (:class:`Warm`)."""
    try:
        mm = MatrixModel(built, like=warm.matrix if warm is not None else None)
    except InfeasibleConstraintException as exc:
        return Solution(Status.INFEASIBLE, f"trivially infeasible: {exc}", None, False, "none")
    if fix is not None:
        mm.fix(fix)
    labelling = mm.labels(built)
    timings = {"compile": mm.compile_seconds}
    if write_model is not None:
        t0 = time.perf_counter()
        write_model_file(mm, Path(write_model))
        timings["write_model"] = time.perf_counter() - t0
    highs, shape = None, ()
    if warm is not None:
        t0 = time.perf_counter()
        shape = structure(mm)
        highs = warm.take(mm, shape)
        timings["warm_update"] = time.perf_counter() - t0
    out = solve_matrices(mm, opts, labelling, timings, highs=highs,
                         start=warm.x if warm is not None and highs is not None and mm.is_mip else None)
    sol = out.solution
    if warm is not None:
        warm.matrix = mm
        if out.highs is not None:
            warm.keep(out.highs, mm, shape, out.x)
    if out.x is not None:
        if opts.duals and out.row_dual is not None:
            sol.duals = _map_duals(mm, out.row_dual)
        _write_values(built, mm, out.x)
        if sol.duals:
            sol.idle_rows = _idle_rows(mm, out.x)
    elif sol.status == Status.INFEASIBLE and opts.iis and out.highs is not None:
        sol.iis = _iis(out.highs, mm)
    return sol


def model_name(component_data: Any) -> str:
    """A variable's or row's name as written to a model file: the model's name with brackets as
    parentheses and ``-`` as ``~`` (which the LP format reads as part of a name)."""
    return component_data.name.replace("[", "(").replace("]", ")").replace("-", "~").replace(" ", "_")


def write_model_file(mm: MatrixModel, path: Path) -> None:
    """Write the model handed to HiGHS to ``path`` (``.mps`` or ``.lp``, by HiGHS), with the model's
    names, its first line the marker of a model file m2m wrote; replaced whole or not at all."""
    h = new_highs()
    h.setOptionValue("output_flag", False)
    mm.pass_to(h)
    seen: dict[str, int] = {}
    for j, v in enumerate(mm.columns):
        h.passColName(j, model_name(v))
    for i, r in enumerate(mm.rows):
        name = model_name(r.constraint)
        seen[name] = seen.get(name, 0) + 1
        h.passRowName(i, name if seen[name] == 1 else f"{name}_{seen[name]}")  # a ranged row's second side
    comment = MODEL_FORMATS[path.suffix.lower()]
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / f"model{path.suffix.lower()}"
        if h.writeModel(str(raw)) == highspy.HighsStatus.kError:
            raise RuntimeError(f"HiGHS could not write the model to {path}")
        with staged_file(path) as staged, staged.open("w", encoding="utf-8") as fh, raw.open(encoding="utf-8") as src:
            fh.write(f"{comment}{MODEL_MARKER}\n")
            shutil.copyfileobj(src, fh)


def solve_matrices(mm: Matrices, opts: SolveOptions, labelling: Labelling,
                   timings: dict[str, float] | None = None, *, highs: highspy.Highs | None = None,
                   start: np.ndarray | None = None) -> Solved:
    """Hand ``mm`` to HiGHS and solve it: status, objective, the plan's column values and the row
    duals (a MILP's from its LP with the integers fixed), the provenance labels made exact
    (:func:`_relabel`).  ``highs``: a HiGHS instance that already holds ``mm`` and the end of a
    previous solve (:mod:`optimizer.solving.warm`): an LP re-solves from its basis with the
    simplex method, a MILP starts from ``start`` (the previous plan)."""
    timings = dict(timings or {})
    timings.setdefault("compile", 0.0)
    is_mip = mm.is_mip
    algorithm = _choose_algorithm(opts, mm.n_cols, is_mip)

    t0 = time.perf_counter()
    if highs is None:
        h = new_highs()
        set_options(h, opts, algorithm)
        mm.pass_to(h)
    else:
        h = highs
        if not is_mip:
            algorithm = "simplex"
        h.setOptionValue("solver", algorithm)
        h.setOptionValue("time_limit", float(opts.time_limit) if opts.time_limit is not None else INF)
        if start is not None:
            h.setSolution(len(start), np.arange(len(start), dtype=np.int32), np.asarray(start, dtype=float))
    timings["handover"] = timings["compile"] + (time.perf_counter() - t0)

    t0 = time.perf_counter()
    h.run()
    timings["highs"] = time.perf_counter() - t0
    status, text = _status(h)
    if h.getModelStatus() == highspy.HighsModelStatus.kUnboundedOrInfeasible:
        h.setOptionValue("presolve", "off")
        t0 = time.perf_counter()
        h.run()
        timings["highs"] += time.perf_counter() - t0
        status, text = _status(h)
        if status == Status.ERROR:
            status = Status.INFEASIBLE

    size = {
        "variables": mm.n_cols,
        "constraints": mm.n_rows,
        "integers": int(mm.integer.sum()),
        "nonzeros": int(len(mm.a_value)),
    }
    sol = Solution(status, text, None, is_mip, algorithm, timings=timings, size=size,
                   start="cold" if highs is None else "warm")
    if is_mip and status.has_solution:
        sol.mip_gap = float(h.getInfo().mip_gap)

    out = Solved(sol, highs=h)
    if status.has_solution:
        x = np.asarray(h.getSolution().col_value, dtype=float)
        sol.objective = float(h.getInfo().objective_function_value)
        lp: highspy.Highs | None = h
        if is_mip and (opts.duals or len(labelling.down)):
            t0 = time.perf_counter()
            left = None if opts.time_limit is None else max(1.0, opts.time_limit - timings["highs"])
            lp = _fixed_lp(mm, x, opts, left)
            timings["dual_resolve"] = time.perf_counter() - t0
            if lp is not None:
                # The plan is the LP's optimum with the integers fixed: at least as cheap as the
                # incumbent (whose continuous part is only optimal to the MIP gap), and the one
                # the duals price, so that duals.csv certifies it (m2m check).
                x = np.where(mm.integer, np.round(x), np.asarray(lp.getSolution().col_value, dtype=float))
                sol.objective = float(lp.getInfo().objective_function_value)
        if opts.duals and lp is not None:
            out.row_dual = np.asarray(lp.getSolution().row_dual, dtype=float)
            sol.dual_source = "fixed_lp" if is_mip else "lp"
        if len(labelling.down) and lp is not None:
            t0 = time.perf_counter()
            x = _relabel(mm, x, labelling, opts)
            timings["relabel"] = time.perf_counter() - t0
        out.x = np.where(mm.integer, np.round(x), x) if is_mip else x
    return out


def _write_values(built: Built, mm: MatrixModel, x: np.ndarray) -> None:
    """Put the solution into the Pyomo variables (those the matrices leave out, having no
    coefficient anywhere, are 0)."""
    with paused_gc():
        if mm.is_mip:
            x = np.where(mm.integer, np.round(x), x)
        for v, val in zip(mm.columns, x.tolist()):
            v.set_value(val, skip_validation=True)
        if len(mm.columns) < built.n_variables:
            columns = set(map(id, mm.columns))
            for v in built.model.component_data_objects(pyo.Var, descend_into=True):
                if id(v) not in columns:
                    v.set_value(0.0, skip_validation=True)


def _fixed_lp(mm: MatrixModel, x: np.ndarray, opts: SolveOptions, time_limit: float | None) -> highspy.Highs | None:
    """A MILP's LP: integer decisions fixed at their optimum, re-solved for duals (and labels).

    Strengthening rows (valid inequalities such as ``candidate_flow_link``) are freed: with the
    integers fixed they are redundant, and as data-derived bounds they would distort the duals.
    So are the ``open_link`` rows of open unlimited candidates (for a shut one the row holds its
    activity at zero and stays).

    ``time_limit`` is what is left of the user's limit (at least a second, since an LP with
    its integers fixed is cheap).  None if the LP does not solve to optimality.
    """
    fixed = np.round(x)
    lp = new_highs()
    set_options(lp, SolveOptions(log=opts.log, time_limit=time_limit), "simplex")
    saved = (mm.col_lower, mm.col_upper, mm.row_lower, mm.row_upper)
    mm.col_lower = np.where(mm.integer, fixed, mm.col_lower)
    mm.col_upper = np.where(mm.integer, fixed, mm.col_upper)
    # Strengthening rows, and the open_link rows of candidates that are open, are implied here.
    linked = mm.open_decision >= 0
    open_link = linked & (fixed[np.where(linked, mm.open_decision, 0)] > HALF)
    free = mm.strengthening | open_link
    mm.row_lower = np.where(free, -INF, mm.row_lower)
    mm.row_upper = np.where(free, INF, mm.row_upper)
    try:
        mm.pass_to(lp, relax_integers=True)
    finally:
        mm.col_lower, mm.col_upper, mm.row_lower, mm.row_upper = saved
    lp.run()
    return lp if lp.getModelStatus() == highspy.HighsModelStatus.kOptimal else None


def _relabel(mm: Matrices, x: np.ndarray, labelling: Labelling, opts: SolveOptions) -> np.ndarray:
    r"""Among equally cheap plans, keep clean material clean.

    Costs do not depend on provenance tags, so an optimum may label clean material touched for
    no reason.  With every tag group's total held at its optimal value (and all constraints,
    provenance policies included, kept), minimise the clean input downgraded to touched; then,
    with the downgrade held at that least value, minimise the touched tonnes delivered to buyers.
    Every other variable is held at its value, so the result has the same cost and the duals of
    the first solve still price it.

    The LP solved is that one with the held variables substituted out: only the free columns
    (downgrades and tag-group members), the rows they appear in (their bounds less the held
    columns' part), and one row per tag group, :math:`\sum_{g} v_g = \text{total}`; a fresh
    HiGHS presolves and solves it, and solves its second objective from the first one's basis.
    For a model with integer decisions the rows its LP frees (strengthening rows, the
    ``open_link`` rows of open candidates) are left out here too.  A value it moves by less than
    :data:`RELABEL_KEEP` keeps the first solve's value.
    """
    down = labelling.down
    if not len(down) or (x[down].sum() <= NOTHING_FLOWS and x[labelling.delivered].sum() <= NOTHING_FLOWS):
        return x
    n = mm.n_cols
    free = np.zeros(n, dtype=bool)
    free[down] = True
    groups = [g for g in labelling.groups if len(g) >= 2]
    for g in groups:
        free[g] = True
    cols = np.flatnonzero(free)
    at = np.full(n, -1, dtype=np.int64)
    at[cols] = np.arange(len(cols))
    A = csc_matrix((mm.a_value, mm.a_index, mm.a_start), shape=(mm.n_rows, n))
    held = A[:, ~free] @ x[~free]
    part = A[:, cols].tocsr()
    keep = np.diff(part.indptr) > 0
    if mm.is_mip:
        linked = mm.open_decision >= 0
        keep &= ~(mm.strengthening | (linked & (x[np.where(linked, mm.open_decision, 0)] > HALF)))
    rows = np.flatnonzero(keep)
    lower = np.where(np.isinf(mm.row_lower[rows]), -INF, mm.row_lower[rows] - held[rows])
    upper = np.where(np.isinf(mm.row_upper[rows]), INF, mm.row_upper[rows] - held[rows])
    g_rows = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    g_cols = at[np.concatenate(groups)] if groups else np.zeros(0, dtype=np.int64)
    totals = np.array([x[g].sum() for g in groups])
    G = csc_matrix((np.ones(len(g_cols)), (g_rows, g_cols)), shape=(len(groups), len(cols)))
    M = vstack([part[rows], G]).tocsc()
    cost = np.zeros(len(cols))
    cost[at[down]] = 1.0
    h = new_highs()
    set_options(h, SolveOptions(log=opts.log, threads=opts.threads), "simplex")
    status = h.passModel(
        len(cols), M.shape[0], M.nnz, int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMinimize), 0.0,
        cost, mm.col_lower[cols], mm.col_upper[cols], np.concatenate([lower, totals]), np.concatenate([upper, totals]),
        M.indptr.astype(np.int32), M.indices.astype(np.int32), M.data.astype(float), np.zeros(len(cols), dtype=np.int32),
    )
    if status == highspy.HighsStatus.kError:
        return x
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return x
    new = np.asarray(h.getSolution().col_value, dtype=float)
    delivered = at[labelling.delivered[free[labelling.delivered]]] if len(labelling.delivered) else []
    if len(delivered) and new[delivered].sum() > NOTHING_FLOWS:
        least = float(h.getInfo().objective_function_value)
        d = at[down].astype(np.int32)
        h.addRow(-INF, least + RELABEL_KEEP * max(1.0, least), len(d), d, np.ones(len(d)))
        second = np.zeros(len(cols))
        second[delivered] = 1.0
        h.changeColsCost(len(cols), np.arange(len(cols), dtype=np.int32), second)
        h.run()
        if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            new = np.asarray(h.getSolution().col_value, dtype=float)
    out = x.copy()
    old = x[cols]
    out[cols] = np.where(np.abs(new - old) <= RELABEL_KEEP * np.maximum(1.0, np.abs(old)), old, new)
    return out


def _idle_rows(mm: MatrixModel, x: np.ndarray, tol: float = ZERO) -> ComponentSet:
    """Constraints whose variables are all zero in ``x`` (their rows in the matrix have no non-zero column)."""
    a = csc_matrix((np.ones(len(mm.a_value)), mm.a_index, mm.a_start), shape=(mm.n_rows, mm.n_cols))
    used = a @ (np.abs(x) > tol).astype(float)
    busy = ComponentSet(mm.rows[i].constraint for i in np.flatnonzero(used > 0))
    return ComponentSet(r.constraint for r in mm.rows if r.constraint not in busy)


def _map_duals(mm: MatrixModel, row_dual: np.ndarray) -> ComponentMap:
    """Row duals back onto Pyomo constraints: d(objective)/d(rhs), summed over a ranged row's two sides."""
    duals = ComponentMap()
    for entry, y in zip(mm.rows, row_dual.tolist()):
        con = entry.constraint
        duals[con] = duals.get(con, 0.0) + (0.0 if math.isnan(y) else y)
    return duals


def _iis(h: highspy.Highs, mm: MatrixModel) -> list[str]:
    """Names of the constraints in an irreducible infeasible subsystem found by HiGHS."""
    # The default (light) strategy only looks at bounds and single rows; ask for a true IIS.
    h.setOptionValue(
        "iis_strategy",
        int(highspy.IisStrategy.kIisStrategyFromLp) | int(highspy.IisStrategy.kIisStrategyIrreducible),
    )
    try:
        status, iis = h.getIis()
    except Exception:  # older highspy without IIS support
        return []
    if status == highspy.HighsStatus.kError:
        return []
    names = []
    for i in list(iis.row_index_):
        con = mm.rows[int(i)].constraint
        if con.name not in names:
            names.append(con.name)
    return names

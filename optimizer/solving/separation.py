"""Strengthening rows handed to HiGHS only where the relaxation needs them, at scale.

A model with integer decisions carries strengthening rows (the families built with
``strengthening=True``, such as ``candidate_flow_link``): valid inequalities that every plan
with its open decisions at 0 or 1 satisfies through the other rows, and that only tighten the
LP relaxation branch and bound works on.  A large facility-location model has one per
candidate and customer (100,000 in OR-Library's capa), and each of them slows every LP of the
search, though at the relaxation's optimum most are slack.

From :data:`SEPARATE_FROM_ROWS` of them, the model goes to HiGHS without them.  Its LP
relaxation is solved (dual simplex), the strengthening rows the solution violates are added,
and the relaxation re-solved from its basis, until it violates none: its bound is then the one
the full model's relaxation gives.  Then the integer decisions that came out integral are fixed
at their values and the others searched (a small MILP, given half the time left) for a plan,
from which the MILP with the rows added so far starts.  Each step runs on a HiGHS instance of
its own, whose clock starts with it, so that the time limit covers them all.  A plan it finds satisfies every row of the full model,
the strengthening rows left out included, since they hold for every integer plan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import highspy
import numpy as np
from scipy.sparse import csc_matrix

#: From this many strengthening rows, they are separated instead of handed over whole
#: (benchmarks/milp.py: OR-Library capa, 100,000 rows).
SEPARATE_FROM_ROWS = 20_000
#: A row counts as violated when its activity passes its bound by more than this, relative to
#: the bound (at least 1): HiGHS's primal feasibility tolerance is 1e-7.
VIOLATION = 1e-6


@dataclass
class Separation:
    """What the loop did: its rounds, the strengthening rows it added (of how many), its seconds,
    and the MILP's start (None when there was none)."""

    rounds: int = 0
    added: int = 0
    #: The relaxation's optimum, round by round: each a bound on the MILP's.
    bounds: list[float] = field(default_factory=list)
    rows: int = 0
    seconds: float = 0.0
    start: np.ndarray | None = None

    @property
    def bound(self) -> float | None:
        """The last relaxation's optimum (None when there was none)."""
        return self.bounds[-1] if self.bounds else None


def gap(h: highspy.Highs, bound: float | None) -> float:
    """HiGHS's relative MIP gap, |plan - bound| / |plan|, with the better of its own bound and the
    separated relaxation's (a relaxation of the MILP too, so a bound on it)."""
    info = h.getInfo()
    best = info.mip_dual_bound if bound is None else max(info.mip_dual_bound, bound)
    plan = info.objective_function_value
    return min(float(info.mip_gap), abs(plan - best) / max(abs(plan), 1e-300))


def wanted(mm) -> bool:
    """Whether ``mm``'s strengthening rows are separated rather than handed over whole."""
    return bool(mm.is_mip and int(mm.strengthening.sum()) >= SEPARATE_FROM_ROWS)


def pass_separated(mm, h: highspy.Highs, relaxation: highspy.Highs, search: highspy.Highs,
                   time_limit: float | None) -> Separation:
    """Hand ``mm`` to ``relaxation`` as an LP without its strengthening rows, add those its
    solution violates until none is, and hand the MILP with the rows added so far to ``h``, with
    the time left as its limit and, as its start, the best plan ``search`` finds in half that time
    with the integer decisions the last relaxation made integral fixed at their values."""
    t0 = time.perf_counter()
    a = csc_matrix((mm.a_value, mm.a_index, mm.a_start), shape=(mm.n_rows, mm.n_cols))
    strong = np.flatnonzero(mm.strengthening)
    kept = np.flatnonzero(~mm.strengthening)
    s = a[strong].tocsr()
    lo, up = mm.row_lower[strong], mm.row_upper[strong]
    tol = VIOLATION * np.maximum(1.0, np.abs(np.where(np.isfinite(up), up, np.where(np.isfinite(lo), lo, 1.0))))
    _pass(relaxation, mm, a[kept].tocsc(), mm.row_lower[kept], mm.row_upper[kept], integer=False)
    relaxation.setOptionValue("solver", "simplex")
    if time_limit is not None:  # HiGHS's clock runs on over the re-solves of one instance
        relaxation.setOptionValue("time_limit", float(time_limit))
    out = Separation(rows=len(strong))
    added = np.zeros(len(strong), dtype=bool)
    while True:
        relaxation.run()
        out.rounds += 1
        if relaxation.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        x = np.asarray(relaxation.getSolution().col_value, dtype=float)
        out.start = x
        out.bounds.append(float(relaxation.getInfo().objective_function_value))
        act = s @ x
        new = np.flatnonzero(((act > up + tol) | (act < lo - tol)) & ~added)
        if not len(new):
            break
        sub = s[new]
        relaxation.addRows(len(new), lo[new], up[new], sub.nnz, sub.indptr[:-1].astype(np.int32),
                           sub.indices.astype(np.int32), sub.data)
        added[new] = True
    out.added = int(added.sum())
    rows = np.sort(np.concatenate([kept, strong[added]]))
    a, row_lower, row_upper = a[rows].tocsc(), mm.row_lower[rows], mm.row_upper[rows]
    if out.start is not None:  # fix what came out integral, search the rest: the MILP's start
        fixed = mm.integer & (np.abs(out.start - np.round(out.start)) <= VIOLATION)
        value = np.round(out.start)
        _pass(search, mm, a, row_lower, row_upper, integer=True, col_lower=np.where(fixed, value, mm.col_lower),
              col_upper=np.where(fixed, value, mm.col_upper))
        if time_limit is not None:
            search.setOptionValue("time_limit", max(0.0, (float(time_limit) - (time.perf_counter() - t0)) / 2))
        search.run()
        out.start = None
        if search.getInfo().primal_solution_status == 2:  # feasible
            out.start = np.asarray(search.getSolution().col_value, dtype=float)
    _pass(h, mm, a, row_lower, row_upper, integer=True)
    out.seconds = time.perf_counter() - t0
    if time_limit is not None:
        h.setOptionValue("time_limit", max(0.0, float(time_limit) - out.seconds))
    if out.start is not None:
        h.setSolution(mm.n_cols, np.arange(mm.n_cols, dtype=np.int32), out.start)
    return out


def _pass(h: highspy.Highs, mm, a: csc_matrix, row_lower: np.ndarray, row_upper: np.ndarray, integer: bool,
          col_lower: np.ndarray | None = None, col_upper: np.ndarray | None = None) -> None:
    integrality = mm.integer.astype(np.int32) if integer else np.zeros(mm.n_cols, dtype=np.int32)
    status = h.passModel(
        mm.n_cols, a.shape[0], a.nnz, int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMinimize),
        mm.offset, mm.cost, mm.col_lower if col_lower is None else col_lower,
        mm.col_upper if col_upper is None else col_upper, row_lower, row_upper,
        a.indptr.astype(np.int32), a.indices.astype(np.int32), a.data, integrality,
    )
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS rejected the model (passModel returned an error)")

r"""The extensive form of ``m2m hedge``: every outcome's model in one LP, handed to HiGHS at once.

Each outcome :math:`o` (probability :math:`p_o`) has its own model, compiled to matrices as any
solve is (:class:`~optimizer.solving.solver.MatrixModel`): :math:`\min c_o^\top x_o + K_o` s.t.
:math:`A_o x_o \gtreqless b_o`.  The extensive form stacks them, with non-anticipativity built
in rather than added as rows: a first-stage decision (:func:`optimizer.model.stages.first_stage`)
is **one column** shared by every outcome, so it cannot differ between them.  A row of an
outcome all of whose columns are shared, and that another outcome already holds with the same
coefficients and bounds, is kept once (the same constraint on the same decisions).

Objective, with :math:`C_o = c_o^\top x_o + K_o` the cost of outcome :math:`o`:

* ``expected``: :math:`\min \sum_o p_o C_o`;
* ``cvar``: :math:`\min (1-w)\sum_o p_o C_o + w\,\big(\eta + \tfrac{1}{1-\alpha}\sum_o p_o s_o\big)`
  with :math:`s_o \ge C_o - \eta`, :math:`s_o \ge 0`, :math:`\eta` free (Rockafellar and
  Uryasev, 2000: at the optimum :math:`\eta` is the value at risk and the bracket the CVaR at
  :math:`\alpha`, the mean cost of the worst :math:`1-\alpha` of probability).

Duals, per outcome: a row of outcome :math:`o` reports :math:`y / p_o`, the change of the hedge
objective per unit of its right-hand side in that outcome, per unit of probability (under
``expected``, the outcome's own marginal cost); a shared row (one copy for all outcomes)
reports :math:`y`, the change of the hedge objective, under every outcome.  Weighting
``duals.csv`` by the probabilities thus gives the marginal value of each row across outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix, csc_matrix

from ..input.schema import Risk
from ..model.build import Built
from ..model.stages import Key, before_reveal, first_stage, key_of
from .solver import (INF, Labelling, Matrices, MatrixModel, Solution, SolveOptions, _idle_rows, _map_duals, _write_values,
                     solve_matrices)


@dataclass
class Member:
    """One outcome's model in the extensive form."""

    name: str
    probability: float
    built: Built
    mm: MatrixModel
    #: global column of each of the outcome's columns
    cols: np.ndarray | None = None
    #: global row of each of the outcome's rows
    rows: np.ndarray | None = None
    #: which of the outcome's columns are shared (first stage)
    shared: np.ndarray | None = None
    #: which of the outcome's rows are kept once for every outcome
    shared_rows: np.ndarray | None = None

    @property
    def keys(self) -> list[Key]:
        """The key of each of the outcome's columns (:func:`optimizer.model.stages.key_of`)."""
        return self.mm.keys()


class Extensive(Matrices):
    """The outcomes' matrices stacked, first-stage columns merged, with the risk objective."""

    def __init__(self, members: list[Member], reveal: int, risk: Risk):
        self.members = members
        n = 0
        col_of: dict[tuple, int] = {}
        lower: list[float] = []
        upper: list[float] = []
        integer: list[bool] = []
        for mem in members:
            mm, inst, keys = mem.mm, mem.built.inst, mem.keys
            mem.shared = np.fromiter((first_stage(k, inst, reveal) for k in keys), dtype=bool, count=len(keys))
            cols = np.empty(len(keys), dtype=np.int64)
            for j, k in enumerate(keys):
                gk = k if mem.shared[j] else (mem.name, k)
                g = col_of.get(gk)
                if g is None:
                    g = col_of[gk] = n
                    n += 1
                    lower.append(mm.col_lower[j])
                    upper.append(mm.col_upper[j])
                    integer.append(bool(mm.integer[j]))
                else:  # a shared column met again: the bounds of every outcome hold
                    lower[g] = max(lower[g], mm.col_lower[j])
                    upper[g] = min(upper[g], mm.col_upper[j])
                    integer[g] = integer[g] or bool(mm.integer[j])
                cols[j] = g
            mem.cols = cols
        cvar = risk.measure == "cvar"
        w = float(risk.weight or 0.0) if cvar else 0.0
        # CVaR columns: eta (free), then one excess s_o per outcome
        self.eta = n if cvar else -1
        self.excess = np.arange(n + 1, n + 1 + len(members)) if cvar else np.zeros(0, dtype=np.int64)
        n_all = n + (1 + len(members) if cvar else 0)

        cost = np.zeros(n_all)
        offset = 0.0
        r_i: list[np.ndarray] = []
        r_j: list[np.ndarray] = []
        r_v: list[np.ndarray] = []
        row_lo: list[float] = []
        row_hi: list[float] = []
        strengthening: list[bool] = []
        open_decision: list[int] = []
        seen_rows: dict[tuple, int] = {}
        m = 0
        for o, mem in enumerate(members):
            mm, p = mem.mm, mem.probability
            np.add.at(cost, mem.cols, (1.0 - w) * p * mm.cost)
            offset += (1.0 - w) * p * mm.offset
            A = csc_matrix((mm.a_value, mm.a_index, mm.a_start), shape=(mm.n_rows, mm.n_cols)).tocsr()
            rows = np.empty(mm.n_rows, dtype=np.int64)
            shared_rows = np.zeros(mm.n_rows, dtype=bool)
            for i in range(mm.n_rows):
                lo, hi = A.indptr[i], A.indptr[i + 1]
                js = A.indices[lo:hi]
                gj = mem.cols[js]
                sig = None
                if mem.shared[js].all():
                    order = np.argsort(gj)
                    sig = (key_of(mm.rows[i].constraint), tuple(gj[order].tolist()), tuple(A.data[lo:hi][order].tolist()),
                           float(mm.row_lower[i]), float(mm.row_upper[i]))
                    if sig in seen_rows:
                        rows[i] = seen_rows[sig]
                        shared_rows[i] = True
                        continue
                r_i.append(np.full(hi - lo, m, dtype=np.int64))
                r_j.append(gj)
                r_v.append(A.data[lo:hi])
                row_lo.append(mm.row_lower[i])
                row_hi.append(mm.row_upper[i])
                strengthening.append(bool(mm.strengthening[i]))
                od = mm.open_decision[i]
                open_decision.append(int(mem.cols[od]) if od >= 0 else -1)
                if sig is not None:
                    seen_rows[sig] = m
                    shared_rows[i] = True
                rows[i] = m
                m += 1
            mem.rows, mem.shared_rows = rows, shared_rows
        if cvar:
            alpha = float(risk.alpha)  # type: ignore[arg-type]
            cost[self.eta] = w
            for o, mem in enumerate(members):
                s = self.excess[o]
                cost[s] = w * mem.probability / (1.0 - alpha)
                # s_o + eta - c_o x_o >= K_o
                nz = np.flatnonzero(mem.mm.cost)
                r_i.append(np.full(len(nz) + 2, m, dtype=np.int64))
                r_j.append(np.concatenate([mem.cols[nz], [s, self.eta]]))
                r_v.append(np.concatenate([-mem.mm.cost[nz], [1.0, 1.0]]))
                row_lo.append(mem.mm.offset)
                row_hi.append(INF)
                strengthening.append(False)
                open_decision.append(-1)
                m += 1
            lower += [-INF] + [0.0] * len(members)
            upper += [INF] * (1 + len(members))
            integer += [False] * (1 + len(members))

        A = coo_matrix((np.concatenate(r_v) if r_v else np.zeros(0),
                        (np.concatenate(r_i) if r_i else np.zeros(0, dtype=np.int64),
                         np.concatenate(r_j) if r_j else np.zeros(0, dtype=np.int64))),
                       shape=(m, n_all)).tocsc()
        A.sort_indices()
        self.n_cols, self.n_rows = n_all, m
        self.cost, self.offset = cost, offset
        self.col_lower, self.col_upper = np.array(lower, dtype=float), np.array(upper, dtype=float)
        self.integer = np.array(integer, dtype=bool)
        self.row_lower, self.row_upper = np.array(row_lo, dtype=float), np.array(row_hi, dtype=float)
        self.strengthening = np.array(strengthening, dtype=bool)
        self.open_decision = np.array(open_decision, dtype=np.int64)
        self.a_start = A.indptr.astype(np.int32)
        self.a_index = A.indices.astype(np.int32)
        self.a_value = A.data.astype(float)

    def labels(self) -> Labelling:
        """The provenance relabelling's columns over every outcome (each shared one once)."""
        down: set[int] = set()
        delivered: set[int] = set()
        groups: dict[tuple[int, ...], None] = {}
        for mem in self.members:
            own = mem.mm.labels(mem.built)
            down.update(mem.cols[own.down].tolist())
            delivered.update(mem.cols[own.delivered].tolist())
            for g in own.groups:
                groups[tuple(sorted(mem.cols[g].tolist()))] = None
        if not down:
            return Labelling()
        return Labelling(np.array(sorted(down), dtype=np.int32), [np.array(g, dtype=np.int32) for g in groups],
                         np.array(sorted(delivered), dtype=np.int32))


@dataclass
class HedgeSolution:
    """The extensive form solved: the record of the whole, and each outcome's own (its cost as
    objective, its duals; the values are written into its model)."""

    whole: Solution
    outcomes: dict[str, Solution]
    #: The objective's parts: value at risk (eta) for cvar, else None.
    eta: float | None = None


def solve_extensive(members: list[Member], reveal: int, risk: Risk, opts: SolveOptions) -> HedgeSolution:
    """Build the extensive form of ``members``, solve it, and give each outcome its plan and duals."""
    ext = Extensive(members, reveal, risk)
    out = solve_matrices(ext, opts, ext.labels())
    whole = out.solution
    per: dict[str, Solution] = {}
    for mem in members:
        size = {"variables": mem.mm.n_cols, "constraints": mem.mm.n_rows, "integers": int(mem.mm.integer.sum()),
                "nonzeros": int(len(mem.mm.a_value))}
        sol = Solution(whole.status, whole.termination, None, whole.is_mip, whole.algorithm, mip_gap=whole.mip_gap,
                       timings=whole.timings, size=size)
        per[mem.name] = sol
        if out.x is None:
            continue
        x = out.x[mem.cols]
        sol.objective = float(mem.mm.cost @ x + mem.mm.offset)
        _write_values(mem.built, mem.mm, x)
        if out.row_dual is not None:
            y = out.row_dual[mem.rows]
            sol.duals = _map_duals(mem.mm, np.where(mem.shared_rows, y, y / mem.probability))
            sol.dual_source = "extensive"
            sol.idle_rows = _idle_rows(mem.mm, x)
    if out.row_dual is not None:
        whole.dual_source = "extensive"
    eta = float(out.x[ext.eta]) if out.x is not None and ext.eta >= 0 else None
    return HedgeSolution(whole, per, eta)


def _name(key: Key) -> str:
    return f"{key[0]}[{', '.join(map(str, key[1]))}]"


def _pre_reveal(mem: Member, reveal: int) -> tuple[dict[Key, tuple], dict[Key, tuple]]:
    """The outcome's model before ``reveal``: column key -> (cost, bounds), row key -> (terms, bounds)."""
    mm, keys = mem.mm, mem.keys
    cols = {k: (float(mm.cost[j]), float(mm.col_lower[j]), float(mm.col_upper[j]))
            for j, k in enumerate(keys) if before_reveal(k, reveal)}
    A = csc_matrix((mm.a_value, mm.a_index, mm.a_start), shape=(mm.n_rows, mm.n_cols)).tocsr()
    rows: dict[Key, tuple] = {}
    for i, r in enumerate(mm.rows):
        k = key_of(r.constraint)
        if not before_reveal(k, reveal):
            continue
        lo, hi = A.indptr[i], A.indptr[i + 1]
        terms = tuple(sorted((keys[j], float(v)) for j, v in zip(A.indices[lo:hi].tolist(), A.data[lo:hi].tolist())))
        rows[k + (r.bound_type,)] = (terms, float(mm.row_lower[i]), float(mm.row_upper[i]))
    return cols, rows


def changes_before_reveal(reference: Member, others: list[Member], reveal: int, limit: int = 3) -> dict[str, list[str]]:
    """What each of ``others``' models differs in from ``reference``'s before ``reveal`` (at most
    ``limit`` examples each; outcomes without a difference are left out): an outcome may only
    change periods from the reveal on."""
    ref = _pre_reveal(reference, reveal)
    found = {o.name: _differences(ref, _pre_reveal(o, reveal), limit) for o in others}
    return {name: changes for name, changes in found.items() if changes}


def _differences(ref: tuple[dict, dict], got: tuple[dict, dict], limit: int) -> list[str]:
    (ref_cols, ref_rows), (cols, rows) = ref, got
    found: list[str] = []
    for k in sorted(set(ref_cols) | set(cols), key=str):
        if ref_cols.get(k) != cols.get(k):
            what = "has no" if k not in cols else ("adds" if k not in ref_cols else "changes the cost or bounds of")
            found.append(f"{what} variable {_name(k)}")
    for k in sorted(set(ref_rows) | set(rows), key=str):
        if ref_rows.get(k) != rows.get(k):
            what = "has no" if k not in rows else ("adds" if k not in ref_rows else "changes")
            found.append(f"{what} row {_name(k[:2])}")
    return found[:limit] + ([f"and {len(found) - limit} more"] if len(found) > limit else [])

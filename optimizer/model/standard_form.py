r"""The built model in standard form, assembled from the builder's own term lists.

The builder makes every row from a list of (coefficient, variable) pairs (``_Builder.add_rows``)
and every cost term the same way (``Built.add_cost``).  This module turns those lists into the
matrices HiGHS takes, without walking the Pyomo expressions again:

    minimise  c'x + c0   subject to   row_lower <= A x <= row_upper,  col_lower <= x <= col_upper

It gives exactly what Pyomo's ``LinearStandardFormCompiler`` (mixed form, minimise) gives for the
same model, array for array and bit for bit, so that the plan HiGHS chooses among alternative
optima does not depend on the path (``tests/model/test_standard_form.py`` compares the two on
every shipped instance).  The rules it follows are the compiler's:

* **columns**: a variable component enters whole, at its first appearance (the objective first,
  then the rows in order), its members in index order; a member with no coefficient anywhere is
  dropped.
* **coefficients**: a row adds up a variable's coefficients in the order they appear; a cost
  term (one term, one period: :math:`w_t \sum c\,v + k`) does the same inside the term, then
  scales by its weight :math:`w_t` and adds across terms in objective order.  A leading run of
  terms with weight 1 is one sum, as Pyomo's expression for the objective makes it.  Zero
  coefficients are dropped.
* **rows**: in the order the builder added them; ``lo == hi`` is one equality row, a range two
  rows (the upper side first), a row with no terms is left out when it holds and refused
  (``InfeasibleConstraintException``) when it does not.

The builder fixes no variable (the compiler would make a fixed one a constant); holding columns
at values is done on the matrices (``MatrixModel.fix``).
"""

from __future__ import annotations

import time
from collections import namedtuple
from itertools import chain
from operator import itemgetter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.core as pyo
from pyomo.common.errors import InfeasibleConstraintException

from . import lean  # noqa: F401  (before SciPy: Pyomo would load scipy.stats with it)
from scipy.sparse import csc_matrix  # noqa: E402

#: One matrix row: the Pyomo constraint it stands for and its side (0 ``==``, 1 ``<=``, -1 ``>=``).
RowEntry = namedtuple("RowEntry", ["constraint", "bound_type"])


@dataclass
class StandardForm:
    """The model's matrices: column-wise ``A`` (rows x columns), costs, offset, each row's
    right-hand side and side, and the Pyomo variable and constraint behind each column and row."""

    columns: list
    rows: list
    cost: np.ndarray
    offset: float
    rhs: np.ndarray
    kind: np.ndarray
    #: The position in ``built.row_blocks`` of each row's constraint component.
    block: np.ndarray
    a_start: np.ndarray
    a_index: np.ndarray
    a_value: np.ndarray
    seconds: float = 0.0


class _Columns:
    """Every variable of the model, numbered in declaration order, with its component's number."""

    def __init__(self, model: pyo.ConcreteModel):
        self.members: list[list] = []
        self.number: dict[int, int] = {}
        starts = [0]
        for comp in model.component_objects(pyo.Var, descend_into=True):
            members = list(comp.values())
            self.number.update(zip(map(id, members), range(starts[-1], starts[-1] + len(members))))
            self.members.append(members)
            starts.append(starts[-1] + len(members))
        self.starts = np.asarray(starts, dtype=np.int64)

    def order(self, seen: np.ndarray) -> tuple[np.ndarray, list]:
        """Where each declared variable lands among the columns (-1: its component never appears),
        given the declared numbers in the order they appear, and the variables in column order."""
        comp = np.searchsorted(self.starts, seen, side="right") - 1
        _, first = np.unique(comp, return_index=True)
        appearing = comp[np.sort(first)]
        position = np.full(self.starts[-1], -1, dtype=np.int64)
        variables: list = []
        for c in appearing.tolist():
            lo, hi = int(self.starts[c]), int(self.starts[c + 1])
            position[lo:hi] = np.arange(len(variables), len(variables) + hi - lo)
            variables.extend(self.members[c])
        return position, variables


def _flatten(term_lists: list, number: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (coefficient, variable) pair of ``term_lists`` as arrays: the list it came from, the
    variable's declared number and the coefficient, in order; zero coefficients left out (the
    builder's expressions leave them out too)."""
    lens = np.fromiter(map(len, term_lists), dtype=np.int64, count=len(term_lists))
    flat = list(chain.from_iterable(term_lists))
    n = len(flat)
    coef = np.fromiter(map(itemgetter(0), flat), dtype=np.float64, count=n)
    var = np.fromiter(map(number.__getitem__, map(id, map(itemgetter(1), flat))), dtype=np.int64, count=n)
    owner = np.repeat(np.arange(len(term_lists), dtype=np.int64), lens)
    keep = coef != 0
    if not keep.all():
        owner, var, coef = owner[keep], var[keep], coef[keep]
    return owner, var, coef


def _sum_by(owner: np.ndarray, var: np.ndarray, coef: np.ndarray, n_vars: int):
    """Coefficients added up per (owner, variable), in the order they come: owners ascending,
    then variables."""
    key = owner * max(n_vars, 1) + var
    unique, inverse = np.unique(key, return_inverse=True)
    total = np.bincount(inverse.ravel(), weights=coef, minlength=len(unique))  # in order, from 0.0
    return unique // max(n_vars, 1), unique % max(n_vars, 1), total


def _objective(parts: list, number: dict, n_vars: int) -> tuple[np.ndarray, float, np.ndarray]:
    """The objective's coefficient per declared variable, its constant, and the variables in the
    order they are walked (for the column order).  ``parts``: ``(weight, terms, constant)``."""
    lead = 0
    while lead < len(parts) and parts[lead][0] == 1:
        lead += 1
    groups = ([(1, list(chain.from_iterable(t for _w, t, _k in parts[:lead])), [k for _w, _t, k in parts[:lead]])]
              if lead else [])
    groups += [(w, terms, [k]) for w, terms, k in parts[lead:]]
    offset = 0.0
    for w, _terms, constants in groups:
        const = 0
        for k in constants:
            if k:
                const += k
        if w == 1:
            offset += const
        elif w and const:
            offset += w * const
    owner, var, coef = _flatten([terms for _w, terms, _k in groups], number)
    group, inner_var, inner = _sum_by(owner, var, coef, n_vars)
    weight = np.asarray([w for w, _t, _k in groups], dtype=np.float64)[group] if len(group) else np.zeros(0)
    scaled = np.where(weight == 1, inner, weight * inner)
    live = weight != 0
    total = np.bincount(inner_var[live], weights=scaled[live], minlength=n_vars)  # group by group, in order
    return total, offset, var


def _rows(blocks: list, number: dict, n_vars: int):
    """The rows: each source row's constraint, sides and right-hand sides, and the matrix entries
    (row, declared variable, coefficient) of the rows kept."""
    constraints: list = []
    rows: list = []
    sizes = []
    for comp, block in blocks:
        constraints.extend(comp.values())
        rows.extend(block.values())
        sizes.append(len(block))
    block_of = np.repeat(np.arange(len(blocks), dtype=np.int64), sizes)
    owner, var, coef = _flatten([r[1] for r in rows], number)
    row, col, value = _sum_by(owner, var, coef, n_vars)
    nonzero = np.bincount(row[value != 0], minlength=len(rows)) > 0
    lower = np.fromiter((np.nan if r[0] is None else r[0] for r in rows), dtype=np.float64, count=len(rows))
    upper = np.fromiter((np.nan if r[2] is None else r[2] for r in rows), dtype=np.float64, count=len(rows))
    has_lo, has_hi = ~np.isnan(lower), ~np.isnan(upper)
    bounded = has_lo | has_hi
    holds = (~has_lo | (lower <= 0)) & (~has_hi | (upper >= 0))
    broken = np.flatnonzero(bounded & ~nonzero & ~holds)
    if len(broken):
        name = constraints[int(broken[0])].name
        raise InfeasibleConstraintException(f"model contains a trivially infeasible constraint, '{name}'")
    equal = has_lo & has_hi & (lower == upper)
    copies = np.where(bounded & nonzero, np.where(equal, 1, has_lo.astype(np.int64) + has_hi), 0)
    first = np.cumsum(copies) - copies
    # A source row's first side: == (kind 0) or <= (1, the upper side of a range first), else >=.
    kind = np.empty(int(copies.sum()), dtype=np.int8)
    rhs = np.empty(len(kind), dtype=np.float64)
    one = copies >= 1
    kind[first[one]] = np.where(equal[one], 0, np.where(has_hi[one], 1, -1))
    rhs[first[one]] = np.where(has_hi[one], upper[one], lower[one])
    two = copies == 2
    kind[first[two] + 1] = -1
    rhs[first[two] + 1] = lower[two]
    source = np.repeat(np.arange(len(rows)), copies).tolist()
    entries = list(map(RowEntry, [constraints[i] for i in source], kind.tolist()))
    once = copies[row] >= 1
    twice = copies[row] == 2
    out_row = np.concatenate([first[row[once]], first[row[twice]] + 1])
    out_col = np.concatenate([col[once], col[twice]])
    out_value = np.concatenate([value[once], value[twice]])
    return entries, kind, rhs, np.repeat(block_of, copies), (out_row, out_col, out_value), var


def standard_form(built: Any) -> StandardForm:
    """The matrices of ``built`` (an :class:`optimizer.model.build.Built`), from its term lists."""
    t0 = time.perf_counter()
    cols = _Columns(built.model)
    n_vars = int(cols.starts[-1])
    cost, offset, walked = _objective(built.objective_parts, cols.number, n_vars)
    rows, kind, rhs, block, (row, var, value), row_walked = _rows(built.row_blocks, cols.number, n_vars)
    position, variables = cols.order(np.concatenate([walked, row_walked]))
    n_all = len(variables)
    A = csc_matrix((value, (row, position[var])), shape=(len(rows), n_all))
    A.sum_duplicates()
    A.eliminate_zeros()
    A.sort_indices()
    in_objective = np.zeros(n_all, dtype=bool)
    cost_all = np.zeros(n_all)
    declared = np.flatnonzero(cost)
    in_objective[position[declared]] = True
    cost_all[position[declared]] = cost[declared]
    active = (np.diff(A.indptr) > 0) | in_objective
    a_start = A.indptr
    if not active.all():  # as the compiler: the columns kept, their entries untouched
        a_start = a_start[np.append(active, True)]
        variables = [v for v, a in zip(variables, active.tolist()) if a]
        cost_all = cost_all[active]
    return StandardForm(
        columns=variables,
        rows=rows,
        cost=cost_all,
        offset=float(offset),
        rhs=rhs,
        kind=kind,
        block=block,
        a_start=a_start.astype(np.int32),
        a_index=A.indices.astype(np.int32),
        a_value=A.data.astype(float),
        seconds=time.perf_counter() - t0,
    )

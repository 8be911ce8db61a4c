"""Solving a series of models that differ only in their numbers, each from the last one's end.

A sweep's points are the same instance with one policy parameter moved: the same variables and
rows, other right-hand sides, costs, bounds or coefficients.  :class:`Warm` keeps the HiGHS
instance that solved the previous model; when the next model has the same structure (the same
columns, in the same order, the same rows of the same families and the same non-zero pattern),
only the numbers that changed are put into it (``changeColsCost``, ``changeColsBounds``,
``changeRowsBounds``, ``changeCoeff``) and HiGHS starts from where it stopped:

* an LP re-solves with the simplex method from the previous optimal basis (HiGHS keeps it across
  these changes), instead of solving from scratch;
* a model with integer decisions gets the previous plan as a starting solution
  (``setSolution``), which HiGHS checks and uses as its first incumbent when it is feasible.

It also keeps the previous model itself, which the pipeline makes the next one from by putting
in the policies' new numbers (:func:`optimizer.model.build.remake_policies`) instead of building
it again.  A model whose structure differs is handed over whole, as a first solve is.  The answer is the
optimum either way; where a model has several optimal plans, the one found can depend on the
start, so a sweep fixes which points start from which (its chains of consecutive values) and is
then the same run to run, however the chains are spread over processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np


def structure(mm: Any) -> tuple:
    """What must be equal, beside integrality and the non-zero pattern (compared in :meth:`Warm.take`),
    for a model to be updated in place of another: the columns (their keys) and the rows (their families)."""
    return mm.n_cols, mm.n_rows, tuple(mm.keys()), mm.row_families()


@dataclass(frozen=True)
class Numbers:
    """The numbers of a model that HiGHS holds: what the next model is compared with (its
    variables and rows themselves are not kept, so the model they belong to can be freed)."""

    cost: np.ndarray
    offset: float
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    integer: np.ndarray
    a_start: np.ndarray
    a_index: np.ndarray
    a_value: np.ndarray

    @classmethod
    def of(cls, mm: Any) -> Numbers:
        return cls(mm.cost, mm.offset, mm.col_lower, mm.col_upper, mm.row_lower, mm.row_upper, mm.integer,
                   mm.a_start, mm.a_index, mm.a_value)


@dataclass
class Warm:
    """The HiGHS instance of the last solve and the numbers of the model it holds, carried to the
    next solve."""

    highs: highspy.Highs | None = None
    mm: Numbers | None = None
    shape: tuple | None = None
    x: np.ndarray | None = None
    #: The model of the last solve (``optimizer.model.build.Built``, built reusable): the next
    #: model is made from it by putting in its policies' numbers, where that can be done; and its
    #: matrices (``MatrixModel``), whose column data the next model's take when its columns are the same.
    built: Any = None
    matrix: Any = None

    def forget_model(self) -> None:
        """Let the last model go (the next one is built afresh); the HiGHS instance and the numbers it
        holds stay, for a next model of the same structure."""
        self.built = self.matrix = None

    def take(self, mm: Any, shape: tuple) -> highspy.Highs | None:
        """The kept HiGHS instance, now holding ``mm``'s numbers, when the kept model has ``mm``'s
        structure (``shape``: :func:`structure` of ``mm``); None (the caller hands ``mm`` over
        whole) when not."""
        old = self.mm
        if self.highs is None or old is None or shape != self.shape or not (
                np.array_equal(old.integer, mm.integer) and np.array_equal(old.a_start, mm.a_start)
                and np.array_equal(old.a_index, mm.a_index)):
            return None
        h = self.highs
        _changed_costs(h, old, mm)
        _changed_bounds(h.changeColsBounds, old.col_lower, old.col_upper, mm.col_lower, mm.col_upper)
        _changed_bounds(h.changeRowsBounds, old.row_lower, old.row_upper, mm.row_lower, mm.row_upper)
        moved = np.flatnonzero(old.a_value != mm.a_value)
        if len(moved):
            col = np.repeat(np.arange(mm.n_cols), np.diff(mm.a_start))
            for k in moved.tolist():
                h.changeCoeff(int(mm.a_index[k]), int(col[k]), float(mm.a_value[k]))
        return h

    def keep(self, h: highspy.Highs, mm: Any, shape: tuple, x: np.ndarray | None) -> None:
        """Remember the HiGHS instance that has just solved ``mm`` (its plan ``x``, or None)."""
        self.highs, self.mm, self.shape, self.x = h, Numbers.of(mm), shape, x


def _changed_costs(h: highspy.Highs, old: Numbers, mm: Any) -> None:
    idx = np.flatnonzero(old.cost != mm.cost).astype(np.int32)
    if len(idx):
        h.changeColsCost(len(idx), idx, mm.cost[idx])
    if old.offset != mm.offset:
        h.changeObjectiveOffset(mm.offset)


def _changed_bounds(change: Any, lo0: np.ndarray, up0: np.ndarray, lo: np.ndarray, up: np.ndarray) -> None:
    idx = np.flatnonzero((lo0 != lo) | (up0 != up)).astype(np.int32)
    if len(idx):
        change(len(idx), idx, lo[idx], up[idx])

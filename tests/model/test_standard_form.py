"""The matrices assembled from the builder's term lists are Pyomo's, array for array and bit for bit.

:mod:`optimizer.model.standard_form` replaces Pyomo's ``LinearStandardFormCompiler`` on the solve
path.  Same columns in the same order, same rows, same coefficients to the last bit: otherwise
HiGHS could pick another of several optimal plans.  Each shipped instance (each of its scenarios,
and its relaxed diagnostic model) is assembled both ways; hand-made models cover the rules the
instances may not reach (ranges, repeated variables, cancelling terms, trivial rows, weights).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pyomo.core as pyo
import pytest
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from optimizer.input.load import load_instance
from optimizer.model.build import build_model, lin, rel
from optimizer.model.standard_form import standard_form
from tests.helpers import ROOT, scenario_names, shipped_instances

INSTANCES = shipped_instances()
#: Every shipped instance as it is and relaxed (the diagnostic model), and each of its scenarios.
CASES = [(p, None, r) for p in [*INSTANCES, ROOT / "tests" / "data" / "golden" / "instance"] for r in (False, True)]
CASES += [(p, s, False) for p in INSTANCES for s in scenario_names(p)]


def assert_same(model: pyo.ConcreteModel, built) -> None:
    """Pyomo's compiler and :func:`standard_form` give the same arrays for ``model``."""
    repn = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=pyo.minimize)
    form = standard_form(built)
    assert [id(v) for v in form.columns] == [id(v) for v in repn.columns]
    assert [(id(r.constraint), r.bound_type) for r in form.rows] == [(id(r.constraint), r.bound_type) for r in repn.rows]
    cost = repn.c.toarray()[0] if repn.c.shape[0] else np.zeros(len(repn.columns))
    assert np.array_equal(form.cost, cost)
    assert form.offset == (float(repn.c_offset[0]) if len(repn.c_offset) else 0.0)
    assert np.array_equal(form.rhs, np.asarray(repn.rhs, dtype=float))
    assert np.array_equal(form.a_start, repn.A.indptr.astype(np.int32))
    assert np.array_equal(form.a_index, repn.A.indices.astype(np.int32))
    assert np.array_equal(form.a_value, repn.A.data)  # bit for bit, not to a tolerance
    assert form.kind.tolist() == [r.bound_type for r in repn.rows]


@pytest.mark.parametrize("folder, scenario, relax", CASES, ids=[
    f"{p.name}{'-' + s if s else ''}{'-relaxed' if r else ''}" for p, s, r in CASES])
def test_shipped_instances_assemble_as_pyomo_compiles(folder: Path, scenario: str | None, relax: bool) -> None:
    built = build_model(load_instance(folder, [scenario] if scenario else []), relax=relax)
    assert_same(built.model, built)


# ---- hand-made models: one rule each ---------------------------------------------------------


def _model(objective: list[tuple[float, list, float]], blocks: list[dict], extra_vars: bool = False):
    """A Pyomo model made as the builder makes one (:func:`lin`, :func:`rel`, one component per
    block, the objective as the weighted sum of its parts) with its term lists beside it."""
    m = pyo.ConcreteModel()
    m.z = pyo.Var([0, 1], within=pyo.NonNegativeReals)  # declared first, appears last (or never)
    m.x = pyo.Var([0, 1, 2], within=pyo.NonNegativeReals)
    m.y = pyo.Var([0, 1], within=pyo.Binary)
    if extra_vars:
        m.unused = pyo.Var([0, 1])
    v = {"x": m.x, "y": m.y, "z": m.z}
    resolve = lambda terms: [(c, v[n][i]) for c, (n, i) in terms]  # noqa: E731
    built = SimpleNamespace(model=m, row_blocks=[], objective_parts=[])
    for b, rows in enumerate(blocks):
        rows = {k: (lo, resolve(t), hi) for k, (lo, t, hi) in rows.items()}
        comp = pyo.Constraint(list(rows), rule=lambda _m, k, rows=rows: rel(rows[k][0], lin(rows[k][1]), rows[k][2]))
        m.add_component(f"c{b}", comp)
        built.row_blocks.append((comp, rows))
    parts = []
    for w, terms, k in objective:
        parts.append(w * lin(resolve(terms), k))
        built.objective_parts.append((w, resolve(terms), k))
    m.obj = pyo.Objective(expr=sum(parts) if parts else 0.0)
    return m, built


def test_ranges_equalities_and_one_sided_rows() -> None:
    m, built = _model(
        [(1.0, [(2.0, ("x", 0)), (3.0, ("x", 1))], 0.0)],
        [{0: (1.0, [(1.0, ("x", 0)), (1.0, ("x", 1))], 4.0),  # a range: two rows, <= first
          1: (2.0, [(1.0, ("x", 0))], 2.0),  # an equality
          2: (None, [(1.0, ("x", 1))], 3.0),
          3: (0.5, [(1.0, ("x", 2))], None)}],
    )
    assert_same(m, built)
    form = standard_form(built)
    assert form.kind.tolist() == [1, -1, 0, 1, -1]
    assert form.rhs.tolist() == [4.0, 1.0, 2.0, 3.0, 0.5]


def test_repeated_and_cancelling_terms() -> None:
    # x0 three times in a row, added in the order written ((0.1 + 0.2) + 0.3 is not 0.1 + (0.2 + 0.3)
    # in floating point); x1 + x1 - 2 x1 cancels: no entry; a row whose terms all cancel and that
    # holds is left out.
    assert (0.1 + 0.2) + 0.3 != (0.3 + 0.2) + 0.1
    m, built = _model(
        [(0.7, [(0.1, ("x", 0)), (0.2, ("x", 0)), (0.3, ("x", 0))], 0.0), (0.3, [(1.0, ("x", 0))], 0.0)],
        [{0: (None, [(0.1, ("x", 0)), (1.0, ("x", 1)), (0.2, ("x", 0)), (1.0, ("x", 1)), (0.3, ("x", 0)),
                     (-2.0, ("x", 1))], 5.0),
          1: (None, [(1.0, ("x", 2)), (-1.0, ("x", 2))], 1.0)}],
    )
    assert_same(m, built)
    form = standard_form(built)
    assert len(form.rows) == 1 and form.a_value.tolist() == [(0.1 + 0.2) + 0.3]
    assert form.cost.tolist() == [0.7 * ((0.1 + 0.2) + 0.3) + 0.3 * 1.0]


def test_weights_leading_ones_are_one_sum() -> None:
    # Weight-1 parts at the front are one sum in Pyomo's expression; later parts scale first.
    m, built = _model(
        [(1, [(0.1, ("x", 0)), (0.7, ("x", 1))], 2.0), (1, [(0.2, ("x", 0))], 0.0),
         (0.9, [(0.3, ("x", 0)), (0.3, ("x", 0))], 1.5), (1, [(0.4, ("x", 0))], 0.5), (0, [(5.0, ("y", 0))], 1.0)],
        [{0: (None, [(1.0, ("x", 0)), (1.0, ("x", 1))], 4.0)}],
    )
    assert_same(m, built)
    form = standard_form(built)
    assert form.offset == 2.0 + 0.9 * 1.5 + 0.5


def test_column_order_is_first_appearance_by_component() -> None:
    # z is declared first but appears after x and y; a variable that appears nowhere is no column.
    m, built = _model(
        [(1.0, [(1.0, ("y", 1))], 0.0)],
        [{0: (None, [(1.0, ("x", 2)), (1.0, ("z", 1))], 4.0)}],
        extra_vars=True,
    )
    assert_same(m, built)
    assert [v.name for v in standard_form(built).columns] == ["y[1]", "x[2]", "z[1]"]


def test_trivial_rows() -> None:
    m, built = _model([], [{0: (None, [], 1.0), 1: (0.0, [], 0.0)}, {0: (1.0, [(1.0, ("x", 0))], None)}])
    assert_same(m, built)
    assert len(standard_form(built).rows) == 1
    m, built = _model([], [{0: (1.0, [], None)}])
    with pytest.raises(InfeasibleConstraintException, match=r"trivially infeasible constraint, 'c0\[0\]'"):
        standard_form(built)
    with pytest.raises(InfeasibleConstraintException, match=r"trivially infeasible constraint, 'c0\[0\]'"):
        LinearStandardFormCompiler().write(m, mixed_form=True, set_sense=pyo.minimize)

"""A model made again for other policy numbers is the model built afresh for them, bit for bit.

A sweep keeps each point's model and, for the next point, only puts in the policies' new numbers
(:func:`optimizer.model.build.remake_policies`).  That is only right if the result is exactly
what ``build_model`` makes for the next point: the same matrices to the bit (else HiGHS could
pick another of several optimal plans), the same Pyomo rows (their names and bounds are read by
the duals and the reports) and the same share rows.  Every numeric parameter of every policy of
every shipped instance and scenario is moved and compared; where the remake cannot be done (a
price floor's payout moves), the model must be left as it was.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from optimizer.input.load import load_instance
from optimizer.model.build import build_model, remake_policies
from optimizer.solving.solver import MatrixModel
from optimizer.input.instance import by_period
from optimizer.tools.sweep import numeric_params
from tests.helpers import ROOT, scenario_names, shipped_instances

INSTANCES = [*shipped_instances(), ROOT / "tests" / "data" / "golden" / "instance"]  # the golden one has a max_open policy
ARRAYS = ("cost", "col_lower", "col_upper", "row_lower", "row_upper", "a_start", "a_index", "a_value", "integer")


def moved(param: str, value: float) -> float:
    """Another valid value of ``param`` than ``value``."""
    if param == "share":
        return round(value * 0.8, 6) if value > 0 else 0.25
    if param == "count":
        return value + 1
    return value * 1.25 + 1.0


def cases() -> list[tuple[Path, str | None]]:
    """Every shipped instance, as it is and with each of its scenarios."""
    return [case for folder in INSTANCES for case in [(folder, None), *((folder, s) for s in scenario_names(folder))]]


CASES = cases()


@functools.lru_cache(maxsize=None)
def policies_of(folder: Path) -> dict:
    return {p.name: p for p in load_instance(folder).policies}


def moves(folder: Path, scenario: str | None, inst) -> list[tuple[str, str]]:
    """The (policy, parameter) pairs to move: every policy of an instance; of a scenario, the
    policies it adds or changes."""
    before = policies_of(folder) if scenario else {}
    return [(p.name, param) for p in inst.policies if before.get(p.name) != p for param in numeric_params(p)]


def first_value(inst, name: str, param: str) -> float:
    pol = inst.policy(name)
    values = [v for t in inst.policy_periods(pol) if (v := by_period(getattr(pol, param), t)) is not None]
    if not values and param == "market":
        values = [m for t in inst.policy_periods(pol) if (m := inst.floor_market(pol, t)) is not None]
    return values[0] if values else 0.0


def assert_same_model(kept, fresh, like: MatrixModel | None = None) -> None:
    """``kept`` is ``fresh``: their matrices (``kept``'s made ``like`` its earlier matrices, when
    given), column keys, relabelling columns, Pyomo rows and share rows."""
    a, b = MatrixModel(kept, like=like), MatrixModel(fresh)
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), name
    assert a.offset == b.offset
    assert a.keys() == b.keys()
    la, lb = a.labels(kept), b.labels(fresh)
    assert la.down.tolist() == lb.down.tolist() and la.delivered.tolist() == lb.delivered.tolist()
    assert [g.tolist() for g in la.groups] == [g.tolist() for g in lb.groups]
    assert a.row_families() == b.row_families()
    assert [(comp.local_name, list(rows)) for comp, rows in kept.row_blocks] == \
        [(comp.local_name, list(rows)) for comp, rows in fresh.row_blocks]
    for (comp, _), (comp2, _) in zip(kept.row_blocks, fresh.row_blocks):
        for k in comp:
            assert (comp[k].lb, comp[k].ub, str(comp[k].body)) == (comp2[k].lb, comp2[k].ub, str(comp2[k].body)), k
    assert {k: (r["cap"], str(r["num"]), str(r["den"])) for k, r in kept.share_rows.items()} == \
        {k: (r["cap"], str(r["num"]), str(r["den"])) for k, r in fresh.share_rows.items()}


def test_every_policy_parameter_of_the_shipped_instances_is_covered() -> None:
    every = [(name, param) for folder in INSTANCES for name, param in moves(folder, None, load_instance(folder))]
    assert len(every) >= 20
    assert {param for _, param in every} >= {"share", "quantity", "count", "floor", "market"}


@pytest.mark.parametrize("folder, scenario", CASES,
                         ids=[f"{f.parent.name if f.name == 'instance' else f.name}{'-' + s if s else ''}" for f, s in CASES])
def test_remade_model_is_the_fresh_build(folder: Path, scenario: str | None) -> None:
    """Each parameter moved in turn on one kept model, as a sweep's points follow one another."""
    inst = load_instance(folder, [scenario] if scenario else [])
    kept = build_model(inst, reusable=True)
    for name, param in moves(folder, scenario, inst):
        point = inst.with_policy_value(name, param, moved(param, first_value(inst, name, param)))
        was, blocks = kept.inst, list(kept.row_blocks)
        before = MatrixModel(kept)
        before.keys(), before.labels(kept)  # found once, then taken by the remade model's matrices
        if remake_policies(kept, point):
            assert kept.inst is point
            assert_same_model(kept, build_model(point), like=before)
        else:
            assert param in ("floor", "market"), f"{name}.{param}: only a price floor's moving payout stops a remake here"
            assert kept.inst is was and kept.row_blocks == blocks  # left as it was
            assert_same_model(kept, build_model(was))


def test_a_price_floor_whose_payout_moves_is_built_afresh() -> None:
    inst = load_instance(ROOT / "instances" / "tiny_price_floor")
    pol = next(p for p in inst.policies if p.kind == "price_floor")
    kept = build_model(inst, reusable=True)
    assert not remake_policies(kept, inst.with_policy_value(pol.name, "floor", first_value(inst, pol.name, "floor") * 2))


def test_a_row_that_appears_or_goes_stops_the_remake() -> None:
    inst = load_instance(ROOT / "instances" / "tiny_china_cap")
    pol = next(p for p in inst.policies if p.kind == "max_share")
    kept = build_model(inst, reusable=True)
    comp, rows = next((c, r) for c, r in kept.row_blocks if c.local_name == "max_share")
    i = [c for c, _ in kept.row_blocks].index(comp)
    kept.row_blocks[i] = (comp, dict(list(rows.items())[1:]))  # as if the point made a row the model lacks
    assert not remake_policies(kept, inst.with_policy_value(pol.name, "share", 0.1))
    assert kept.inst is inst


def test_a_model_not_built_reusable_or_another_instance_is_not_remade() -> None:
    inst = load_instance(ROOT / "instances" / "tiny_china_cap")
    pol = next(p for p in inst.policies if p.kind == "max_share")
    assert not remake_policies(build_model(inst), inst.with_policy_value(pol.name, "share", 0.1))
    other = load_instance(ROOT / "instances" / "tiny_china_cap")  # equal data, but loaded again
    assert not remake_policies(build_model(inst, reusable=True), other.with_policy_value(pol.name, "share", 0.1))


def test_matrices_take_column_data_only_from_the_same_columns() -> None:
    """Matrices made ``like`` others take their column data only when the columns are the same
    variables and the earlier matrices hold no fixed column (``m2m hedge``'s)."""
    inst = load_instance(ROOT / "instances" / "tiny_china_cap")
    kept = build_model(inst, reusable=True)
    before = MatrixModel(kept)
    before.keys()
    assert MatrixModel(kept, like=before)._keys is before._keys
    assert MatrixModel(build_model(inst), like=before)._keys is None  # another model's variables
    before.fix(lambda k: 1.0 if k == before.keys()[0] else None)
    again = MatrixModel(kept, like=before)
    assert again._keys is None and again.col_lower[0] == 0.0

"""The HiGHS adapter (``optimizer.solving.solver``): status mapping, duals, limits, IIS, algorithms, size.

The small LP is the two-mine chain of ``tests.helpers.two_mine_chain``: a magnet from CN ore
costs 2*(10+1)+5 = 27 USD, from US ore 2*(20+1)+5 = 47 USD; mines have capacity 100.
"""

from __future__ import annotations

from pathlib import Path

import pyomo.environ as pyo
import pytest

from optimizer.input.load import load_instance
from optimizer.model.build import build_model
from optimizer.pipeline import run
from optimizer.solving.solver import Solution, SolveOptions, Status, solve
from tests.helpers import cflp, edit_csv, two_mine_chain, write_instance



def built_for(folder: Path):
    return build_model(load_instance(folder))


def con(built, name: str, *index):
    return getattr(built.model, name)[index]


# ============================================================================================
# status mapping
# ============================================================================================


def test_optimal_lp(tmp_path):
    """40 t of magnets from CN ore: 80*10 + 80*1 + 40*5 = 1080; the magnet's dual is 27."""
    b = built_for(two_mine_chain(tmp_path / "lp"))
    sol = solve(b)
    assert isinstance(sol, Solution)
    assert sol.status is Status.OPTIMAL and sol.status.has_solution
    assert sol.objective == pytest.approx(1080)
    assert not sol.is_mip and sol.mip_gap is None
    assert sol.algorithm == "simplex"  # auto below IPX_FROM_COLUMNS
    assert sol.duals[con(b, "demand_balance", "buyer", "magnet", 2025)] == pytest.approx(27)
    # values were written back into the Pyomo variables
    assert b.model.activity["mine_cn", "any", 2025].value == pytest.approx(80)
    assert pyo.value(b.model.total_cost) == pytest.approx(1080)


def test_infeasible_lp_returns_status_without_raising(tmp_path):
    """A hard demand of 130 t magnets needs 260 t ore; the mines make 200 at most."""
    folder = two_mine_chain(tmp_path / "inf")
    edit_csv(folder / "demands.csv", {"customer": "buyer"}, quantity=130)
    b = built_for(folder)
    sol = solve(b)
    assert sol.status is Status.INFEASIBLE
    assert not sol.status.has_solution
    assert sol.objective is None
    assert len(sol.duals) == 0
    assert sol.iis == []  # not asked for


def test_trivially_infeasible_row_is_reported_infeasible(tmp_path):
    """max_open of 0 on a stage whose only facility is existing: the row reads 0 <= -1 and the
    compiler refuses it before HiGHS; still a status, not an exception."""
    folder = two_mine_chain(tmp_path / "triv", policies=[{"kind": "max_open", "stage": "magnet", "count": 0}])
    sol = solve(built_for(folder))
    assert sol.status is Status.INFEASIBLE
    assert sol.objective is None


def test_unbounded(tmp_path):
    """Ore left over earns 15 USD/t while mine_cn (now unlimited) makes it at 10: unbounded."""
    folder = two_mine_chain(tmp_path / "unb")
    edit_csv(folder / "products.csv", {"product": "ore"}, surplus_value=15)
    edit_csv(folder / "facilities.csv", {"facility": "mine_cn"}, capacity="")
    sol = solve(built_for(folder))
    assert sol.status is Status.UNBOUNDED
    assert sol.objective is None


def test_status_values_are_the_documented_strings():
    assert [s.value for s in Status] == ["optimal", "feasible", "infeasible", "unbounded", "no_solution", "error"]
    assert {s for s in Status if s.has_solution} == {Status.OPTIMAL, Status.FEASIBLE}


# ============================================================================================
# MIP duals: integers fixed, LP re-solved
# ============================================================================================


def test_mip_duals_come_from_the_fixed_integer_lp(tmp_path):
    """mine_cn capacity 65 with an integer expansion from 2026 (size 10, capex 30 over one year, max 3).

    2025: 65 CN + 15 US ore -> the demand dual is 47, mine_cn's capacity is worth 10.
    2026: 2 whole steps are built (85 units, 80 used).  With the steps fixed at 2 the capacity
    row is slack (dual 0) and the magnet costs 27.  Objective = 1230 + 1140 = 2370 (see
    test_model.test_expansion_steps).
    """
    folder = two_mine_chain(tmp_path / "mip", periods=[2025, 2026])
    edit_csv(folder / "facilities.csv", {"facility": "mine_cn"}, capacity=65)
    with (folder / "expansions.csv").open("w", newline="") as fh:
        fh.write("facility,first_period,size,capex,lifetime,integer,max_steps\nmine_cn,2026,10,30,1,true,3\n")
    b = built_for(folder)
    sol = solve(b)
    assert sol.status is Status.OPTIMAL
    assert sol.is_mip
    assert sol.size["integers"] == 1
    assert sol.mip_gap is not None and sol.mip_gap <= 1e-4
    assert sol.objective == pytest.approx(2370)
    assert b.model.steps["mine_cn", 2026].value == 2
    assert "dual_resolve" in sol.timings
    assert sol.duals[con(b, "demand_balance", "buyer", "magnet", 2025)] == pytest.approx(47)
    assert sol.duals[con(b, "demand_balance", "buyer", "magnet", 2026)] == pytest.approx(27)
    assert sol.duals[con(b, "capacity_limit", "mine_cn", 2025)] == pytest.approx(-10)
    assert sol.duals[con(b, "capacity_limit", "mine_cn", 2026)] == pytest.approx(0)


def test_duals_off(tmp_path):
    b = built_for(two_mine_chain(tmp_path / "nod"))
    sol = solve(b, SolveOptions(duals=False))
    assert sol.status is Status.OPTIMAL and len(sol.duals) == 0


# ============================================================================================
# time limit on a harder MIP
# ============================================================================================



@pytest.fixture(scope="module")
def cflp_folder(tmp_path_factory):
    return cflp(tmp_path_factory.mktemp("cflp") / "cflp")


@pytest.mark.parametrize("limit", [0.0, 1e-3, 0.05])
def test_tiny_time_limit_gives_feasible_or_no_solution(cflp_folder, limit):
    r = run(cflp_folder, opts=SolveOptions(time_limit=limit))
    sol = r.solution
    assert sol.status in (Status.FEASIBLE, Status.NO_SOLUTION), sol.termination
    assert "time limit" in sol.termination.lower()
    assert sol.size["integers"] == 40
    if sol.status is Status.FEASIBLE:
        assert sol.objective is not None and sol.objective > 0
        assert r.summary["cost_breakdown"]
        assert r.tables["unmet"]["unmet"].sum() == 0  # a feasible plan meets every hard demand
    else:
        assert sol.objective is None
        assert all(df.empty for df in r.tables.values())
        assert r.infeasibility is None  # not infeasible: nothing to explain


# ============================================================================================
# IIS
# ============================================================================================


def test_iis_names_constraints_of_the_model(tmp_path):
    """Infeasible in 2026 only (hard demand 130 > 100 magnets' worth of ore): an IIS exists,
    it lies inside 2026, and contains the 2026 demand row and both mines' capacity rows."""
    folder = two_mine_chain(tmp_path / "iis", periods=[2025, 2026])
    edit_csv(folder / "demands.csv", {"customer": "buyer", "period": 2026}, quantity=130)
    b = built_for(folder)
    sol = solve(b, SolveOptions(iis=True))
    assert sol.status is Status.INFEASIBLE
    assert sol.iis, "an infeasible LP has an IIS"
    for name in sol.iis:
        c = b.model.find_component(name)
        assert c is not None and c.ctype is pyo.Constraint, name
    assert "demand_balance[buyer,magnet,2026]" in sol.iis
    assert {"capacity_limit[mine_cn,2026]", "capacity_limit[mine_us,2026]"} <= set(sol.iis)
    assert not [n for n in sol.iis if "2025" in n]


# ============================================================================================
# algorithms
# ============================================================================================


def binding_lp(tmp_path: Path) -> Path:
    """Demand 60 t magnets, 2 years, 10% discount: mine_cn binds at 100; 1820 per year."""
    folder = two_mine_chain(tmp_path / "alg", periods=[2025, 2026], discount_rate=0.1)
    edit_csv(folder / "demands.csv", {"customer": "buyer"}, quantity=60)
    return folder


@pytest.mark.parametrize("algorithm", ["simplex", "ipx"])
def test_pinned_algorithm_gives_the_same_objective_and_duals(tmp_path, algorithm):
    b = built_for(binding_lp(tmp_path))
    sol = solve(b, SolveOptions(algorithm=algorithm))
    assert sol.status is Status.OPTIMAL
    assert sol.algorithm == algorithm
    assert sol.objective == pytest.approx(1820 + 1820 / 1.1, rel=1e-7)
    # unique duals (discounted, as HiGHS reports them): magnet 47, mine_cn capacity -10
    assert sol.duals[con(b, "demand_balance", "buyer", "magnet", 2026)] == pytest.approx(47 / 1.1, rel=1e-6)
    assert sol.duals[con(b, "capacity_limit", "mine_cn", 2025)] == pytest.approx(-10, rel=1e-6)


def test_auto_and_pinned_algorithms_agree(tmp_path):
    folder = binding_lp(tmp_path)
    objs = {a: solve(built_for(folder), SolveOptions(algorithm=a)).objective for a in ("auto", "simplex", "ipx")}
    assert objs["auto"] == pytest.approx(objs["simplex"], rel=1e-9)
    assert objs["ipx"] == pytest.approx(objs["simplex"], rel=1e-7)


def test_threads_option_works_after_an_earlier_solve_in_the_same_process(tmp_path):
    """Notebooks solve many times in one process; each thread count must work in turn."""
    b = built_for(two_mine_chain(tmp_path / "thr"))
    statuses = [solve(b, SolveOptions(threads=n)).status for n in (None, 2, 1, 2)]
    assert statuses == [Status.OPTIMAL] * 4


def test_options_are_passed_and_recorded():
    opts = SolveOptions(time_limit=5, mip_gap=0.01, threads=1, algorithm="simplex", iis=True)
    assert opts.as_dict() == {"time_limit": 5, "mip_gap": 0.01, "threads": 1, "algorithm": "simplex",
                              "iis": True, "log": False, "duals": True}
    tuned = SolveOptions(highs=(("presolve", "off"), ("mip_heuristic_effort", 0.3)))
    assert tuned.as_dict()["highs"] == {"presolve": "off", "mip_heuristic_effort": 0.3}


# ============================================================================================
# size
# ============================================================================================


def test_size_counts_columns_rows_integers_nonzeros(tmp_path):
    """Two years of the two-mine chain, per year: columns 3 activities + 3 flows = 6; rows 4
    product balances (ore at each mine and the plant, magnet at the plant) + 1 demand + 2 mine
    capacities = 7; nonzeros: mines' ore rows 2 each, plant ore 3, plant magnet 2, demand 1,
    capacities 1 each = 12.  Totals 12, 14, 24, no integers."""
    b = built_for(two_mine_chain(tmp_path / "size", periods=[2025, 2026]))
    sol = solve(b)
    assert sol.size == {"variables": 12, "constraints": 14, "integers": 0, "nonzeros": 24}


def test_size_counts_binaries_of_candidates(tmp_path):
    """mine_us becomes a candidate: one binary per year (2 years) -> 14 columns, 2 integers;
    the capacity row gains the binary (26 nonzeros) and one open_stays_open row is added (15
    rows, 28 nonzeros)."""
    folder = two_mine_chain(tmp_path / "cand", periods=[2025, 2026])
    edit_csv(folder / "facilities.csv", {"facility": "mine_us"}, status="candidate", fixed_cost=1)
    sol = solve(built_for(folder))
    assert sol.status is Status.OPTIMAL and sol.is_mip
    assert sol.size == {"variables": 14, "constraints": 15, "integers": 2, "nonzeros": 28}

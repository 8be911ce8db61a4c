"""``m2m check`` certifies optimality: duals.csv is verified as a dual solution of the plan's LP.

The LP is rebuilt from the instance (``optimizer.check.certificate``), never from the model code.

Hand derivation on the two-mine chain of ``tests.helpers.two_mine_chain`` (one year, w = 1):
mine_cn makes ore at 10 USD/t (capacity 100), mine_us at 20; each ore lane costs 1 USD/t; the
plant (5 USD per magnet) needs 2 t of ore per magnet; the buyer takes 40 magnets (hard).  The
plan takes 80 t of ore from mine_cn: cost 80 x 10 + 80 x 1 + 40 x 5 = 1,080 USD.  The duals:
ore at mine_cn 10 USD/t, at the plant 11, a magnet at the plant 2 x 11 + 5 = 27, and the
buyer's demand row 27; mine_cn's capacity is slack (dual 0).  Dual objective: 40 x 27 = 1,080
= the plan's cost, so the duals prove it optimal.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.check.certificate import LP, PlanValues, Row
from optimizer.check.results import check_results
from optimizer.cli import main
from optimizer.input.load import load_instance
from tests.helpers import two_mine_chain
from tests.check.test_check import edit_csv, edit_summary, rich_chain, set_cell, solve_into

F_MAGNET = ("F", "plant", "buyer", "magnet", "any", 2025)


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("certificate")
    return {
        "chain": solve_into(two_mine_chain(base / "chain"), base / "chain_out"),
        "rich": solve_into(rich_chain(base / "rich"), base / "rich_out"),
    }


@pytest.fixture
def chain(solved: dict, tmp_path: Path) -> Path:
    return Path(shutil.copytree(solved["chain"], tmp_path / "chain"))


@pytest.fixture
def rich(solved: dict, tmp_path: Path) -> Path:
    return Path(shutil.copytree(solved["rich"], tmp_path / "rich"))


def dual_rows(folder: Path) -> dict[tuple[str, str], float]:
    with (folder / "duals.csv").open(newline="") as fh:
        return {(r["constraint"], r["index"]): float(r["value"]) for r in csv.DictReader(fh)}


def add_dual(constraint: str, index: str, value: float, unit: str = "USD/t"):
    return lambda rows: rows + [{**rows[0], "constraint": constraint, "index": index, "value": str(value), "unit": unit,
                                 "meaning": "", "note": ""}]


# ============================================================================================
# the hand-derived chain
# ============================================================================================


def test_the_chain_is_certified_with_the_hand_derived_duals(solved: dict) -> None:
    folder = solved["chain"]
    duals = dual_rows(folder)
    assert duals[("demand_balance", "buyer|magnet|2025")] == pytest.approx(27)
    assert duals[("product_balance", "plant|magnet|any|2025")] == pytest.approx(27)
    assert duals[("product_balance", "plant|ore|any|2025")] == pytest.approx(11)
    assert duals[("product_balance", "mine_cn|ore|any|2025")] == pytest.approx(10)
    assert ("capacity_limit", "mine_cn|2025") not in duals  # slack: zero, not listed
    assert json.loads((folder / "summary.json").read_text())["duals"] == "lp"
    report = check_results(folder)
    assert report.ok and report.certified, report.violations
    assert report.gap == pytest.approx(0, abs=1e-12)
    assert report.headline().endswith("objective 1,080 USD = sum of cost terms = dual objective (optimal)")


def test_the_lp_rows_come_from_the_instance(solved: dict) -> None:
    """Golden rows of the rebuilt LP: the demand row, the capacities and the ore balance at the plant."""
    inst = load_instance(json.loads((solved["chain"] / "summary.json").read_text())["instance"]["path"])
    lp = LP(inst, PlanValues({}, {}, {}, {}, {}, {}))
    rows = {(r.family, r.key): r for r in lp.rows}
    assert rows["demand_balance", ("buyer", "magnet", 2025)] == Row("demand_balance", ("buyer", "magnet", 2025), "=", 40.0,
                                                                    {F_MAGNET: 1.0})
    assert rows["capacity_limit", ("mine_cn", 2025)] == Row("capacity_limit", ("mine_cn", 2025), "<=", 100.0,
                                                            {("x", "mine_cn", "any", 2025): 1.0})
    assert ("capacity_limit", ("plant", 2025)) not in rows  # unlimited: no row
    assert rows["product_balance", ("plant", "ore", "any", 2025)].terms == {
        ("F", "mine_cn", "plant", "ore", "any", 2025): 1.0, ("F", "mine_us", "plant", "ore", "any", 2025): 1.0,
        ("x", "plant", "any", 2025): -2.0}
    assert {c: lp.cost[c] for c in lp.cost if c[0] == "x"} == {
        ("x", "mine_cn", "any", 2025): 10.0, ("x", "mine_us", "any", 2025): 20.0, ("x", "plant", "any", 2025): 5.0}
    assert lp.constant == 0.0


# ============================================================================================
# tampered duals fail
# ============================================================================================


def test_a_raised_demand_dual_breaks_dual_feasibility_and_strong_duality(chain: Path) -> None:
    # y = 28 on the demand row: the magnet lane's reduced cost is 27 - 28 = -1 (on 40 t: -40 USD
    # of gap), and the dual objective 40 x 28 = 1,120 exceeds the plan's 1,080
    edit_csv(chain, "duals", set_cell({"constraint": "demand_balance"}, "value", 28))
    report = check_results(chain)
    assert not report.ok and report.certified is False
    assert report.violations == [
        "reduced_cost F plant buyer magnet any 2025: reduced cost -1 < 0: the plan could be cheaper by raising it",
        "complementary F plant buyer magnet any 2025: value 40 with reduced cost -1 (adds -40 USD to the duality gap)",
        "strong_duality summary.json: objective 1080 != dual objective 1120 (gap 0.037 relative, tolerance 1e-06)",
    ]


def test_a_price_on_a_slack_capacity_breaks_complementary_slackness(chain: Path) -> None:
    # capacity of mine_cn worth 5 USD/t while 20 t of it are unused: y = -5 on a row with slack
    # -20 adds 100 USD to the gap, and mine_cn's reduced cost 10 - 10 + 5 = 5 on 80 t adds 400
    edit_csv(chain, "duals", add_dual("capacity_limit", "mine_cn|2025", 5, "USD per unit of activity/yr"))
    report = check_results(chain)
    assert report.violations == [
        "complementary capacity_limit mine_cn 2025: dual -5 on a row with slack -20 (adds 100 USD to the duality gap)",
        "complementary x mine_cn any 2025: value 80 with reduced cost 5 (adds 400 USD to the duality gap)",
        "strong_duality summary.json: objective 1080 != dual objective 580 (gap 0.463 relative, tolerance 1e-06)",
    ]


def test_a_dual_of_the_wrong_sign_is_reported(chain: Path) -> None:
    # a capacity "value" of -5 is y = +5 on a <= row: the wrong sign
    edit_csv(chain, "duals", add_dual("capacity_limit", "mine_cn|2025", -5, "USD per unit of activity/yr"))
    report = check_results(chain)
    assert report.violations[0] == "dual_sign capacity_limit mine_cn 2025: dual 5 has the wrong sign for a <= row"


def test_a_dual_for_no_row_of_the_lp_is_reported(chain: Path) -> None:
    edit_csv(chain, "duals", add_dual("capacity_limit", "plant|2025", 3, "USD per unit of activity/yr"))
    report = check_results(chain)
    assert report.violations == ["dual capacity_limit plant 2025: duals.csv line 7 prices no row of the LP"]


def test_a_dropped_dual_is_reported(chain: Path) -> None:
    edit_csv(chain, "duals", lambda rows: [r for r in rows if r["constraint"] != "demand_balance"])
    report = check_results(chain)
    assert not report.ok
    assert report.violations[-1].startswith("strong_duality summary.json: objective 1080 != dual objective 0 ")


# ============================================================================================
# a model with integer decisions: its LP with the decisions fixed
# ============================================================================================


def test_a_milp_is_certified_on_its_lp_with_the_decisions_fixed(solved: dict) -> None:
    folder = solved["rich"]
    assert json.loads((folder / "summary.json").read_text())["duals"] == "fixed_lp"
    report = check_results(folder)
    assert report.ok and report.certified and report.gap < 1e-9, report.violations
    assert report.checked["optimality"] > 100


def test_a_tampered_policy_dual_makes_check_exit_1(rich: Path) -> None:
    duals = dual_rows(rich)
    value = duals[("offtake", "clean_supply|2025")]
    edit_csv(rich, "duals", set_cell({"constraint": "offtake", "index": "clean_supply|2025"}, "value", value + 50))
    result = CliRunner().invoke(main, ["check", str(rich)])
    assert result.exit_code == 1, result.output
    assert "strong_duality summary.json: objective 10887.88025 != dual objective" in result.stdout
    assert "check FAILED" in result.stdout


def test_without_duals_the_plan_is_checked_but_not_certified(chain: Path) -> None:
    edit_summary(chain, lambda s: s.update(duals="none"))
    edit_csv(chain, "duals", lambda rows: [])
    report = check_results(chain)
    assert report.ok and report.certified is None
    assert report.headline().endswith("= sum of cost terms (optimality not certified: the solve reported no duals)")

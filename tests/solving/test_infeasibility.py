"""The relaxed diagnostic model (``optimizer.solving.infeasibility``): what has to give, and by how much.

Base: the two-mine chain of ``tests.helpers.two_mine_chain`` (mines of capacity 100 each,
2 t ore per magnet, one hard demand of 40 t magnets).  The relaxed model minimises the plain
sum of all slacks, so each case below is built so that one violation is strictly cheapest.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from optimizer.solving.infeasibility import INFEASIBILITY_COLUMNS as COLUMNS, explain
from optimizer.input.load import load_instance
from optimizer.pipeline import run
from optimizer.solving.solver import Status
from tests.helpers import edit_csv, two_mine_chain



def drop_rows(path: Path, **match) -> None:
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    kept = [r for r in rows if not all(r[k] == str(v) for k, v in match.items())]
    assert len(kept) < len(rows)
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(kept)


def diagnose(folder: Path) -> pd.DataFrame:
    """Run the pipeline; it must be infeasible and come with a diagnosis."""
    r = run(folder)
    assert r.solution.status is Status.INFEASIBLE
    df = r.infeasibility
    assert df is not None
    assert list(df.columns) == COLUMNS == ["rank", "constraint", "index", "period", "violation", "unit", "explanation"]
    assert r.summary["infeasibility"] == df["explanation"].head(10).tolist()
    return df


def test_hard_demand_beyond_capacity_names_the_demand_and_shortfall(tmp_path):
    """130 t magnets need 260 t ore; 200 t exist.  Short 30 t of magnets (cost 30) beats
    exceeding mine capacity by 60 units (2 per magnet)."""
    folder = two_mine_chain(tmp_path / "short")
    edit_csv(folder / "demands.csv", {"customer": "buyer"}, quantity=130)
    df = diagnose(folder)
    assert len(df) == 1
    top = df.iloc[0]
    assert (top["rank"], top["constraint"], top["index"], top["period"]) == (1, "demand_balance", "buyer|magnet|2025", 2025)
    assert top["violation"] == pytest.approx(30)
    assert top["unit"] == "t/yr"
    assert top["explanation"] == "demand buyer 2025: short 30 t of magnet"


def test_clean_offtake_that_cannot_be_met_names_the_offtake(tmp_path):
    """A clean offtake of 35 t magnets at buyer; the only clean ore (mine_us) is capped at 60,
    enough for 30 clean magnets.  Offtake short 5 t (cost 5) beats mine_us over capacity by
    10 units (cost 10); the hard demand of 40 t itself can be met (CN ore is plentiful)."""
    folder = two_mine_chain(tmp_path / "offtake", policies=[
        {"kind": "offtake", "name": "clean_supply", "customer": "buyer", "product": "magnet", "quantity": 35}])
    edit_csv(folder / "facilities.csv", {"facility": "mine_us"}, capacity=60)
    df = diagnose(folder)
    assert len(df) == 1
    top = df.iloc[0]
    assert (top["constraint"], top["index"], top["unit"]) == ("offtake", "clean_supply|2025", "t/yr")
    assert top["violation"] == pytest.approx(5)
    assert top["explanation"] == "offtake clean_supply (buyer) 2025: short 5 t of magnet"


def test_share_cap_of_zero_without_alternative_names_the_share(tmp_path):
    """Only the CN mine is left and CN mines may make 0% of the ore.  The plant needs 0.5 t ore
    per magnet, so meeting the 40 t demand puts 20 t of CN ore over the cap (cost 20), less
    than leaving the demand short (40)."""
    folder = two_mine_chain(tmp_path / "share", policies=[
        {"kind": "max_share", "name": "no_cn_ore", "stage": "mine", "group": "covered", "share": 0, "product": "ore"}])
    drop_rows(folder / "facilities.csv", facility="mine_us")
    drop_rows(folder / "recipes.csv", facility="mine_us")
    drop_rows(folder / "lanes.csv", origin="mine_us")
    edit_csv(folder / "recipes.csv", {"facility": "plant", "product": "ore"}, ratio=0.5)
    df = diagnose(folder)
    assert len(df) == 1
    top = df.iloc[0]
    assert (top["constraint"], top["index"], top["unit"]) == ("max_share", "no_cn_ore|2025", "t/yr")
    assert top["violation"] == pytest.approx(20)
    assert "no_cn_ore" in top["explanation"] and "20" in top["explanation"]


def test_rank_order_and_units(tmp_path):
    """Two years: hard demand 130 (short 30) in 2025 and 150 (short 50) in 2026; a facility
    limit of 0 magnet plants while the existing plant counts 1 in each year (1 facility over).

    Ranked largest first: demand 2026 (50), demand 2025 (30), then the two facility-limit rows
    (1 each, tied, ordered by index).  Units: t/yr for demands, facilities for max_open.
    """
    folder = two_mine_chain(tmp_path / "rank", periods=[2025, 2026],
                            policies=[{"kind": "max_open", "name": "no_plants", "stage": "magnet", "count": 0}])
    edit_csv(folder / "demands.csv", {"period": 2025}, quantity=130)
    edit_csv(folder / "demands.csv", {"period": 2026}, quantity=150)
    df = diagnose(folder)
    assert df["rank"].tolist() == [1, 2, 3, 4]
    assert df["constraint"].tolist() == ["demand_balance", "demand_balance", "max_open", "max_open"]
    assert df["index"].tolist() == ["buyer|magnet|2026", "buyer|magnet|2025", "no_plants|2025", "no_plants|2026"]
    assert df["period"].tolist() == [2026, 2025, 2025, 2026]
    assert df["violation"].tolist() == pytest.approx([50, 30, 1, 1])
    assert df["unit"].tolist() == ["t/yr", "t/yr", "facilities", "facilities"]
    assert df["violation"].is_monotonic_decreasing


def test_feasible_instance_has_nothing_to_give(tmp_path):
    status, df = explain(load_instance(two_mine_chain(tmp_path / "ok")))
    assert status is Status.OPTIMAL
    assert df.empty and list(df.columns) == COLUMNS


def test_capacity_violation_is_in_units_of_activity(tmp_path):
    """Hard demand 130 t of magnets with a plant capacity of 50 units, one unit making 2 t of
    magnets (out ratio 2, in ratio 4 t ore): 65 units are needed.  Going 15 units over the
    plant's capacity (cost 15) beats leaving 30 t of magnets short (cost 30)."""
    folder = two_mine_chain(tmp_path / "cap")
    edit_csv(folder / "demands.csv", {"customer": "buyer"}, quantity=130)
    edit_csv(folder / "facilities.csv", {"facility": "plant"}, capacity=50)
    edit_csv(folder / "facilities.csv", {"facility": "mine_cn"}, capacity=200)
    edit_csv(folder / "recipes.csv", {"facility": "plant", "product": "magnet"}, ratio=2)
    edit_csv(folder / "recipes.csv", {"facility": "plant", "product": "ore"}, ratio=4)
    df = diagnose(folder)
    assert len(df) == 1
    top = df.iloc[0]
    assert (top["constraint"], top["index"], top["unit"]) == ("capacity_limit", "plant|2025", "units of activity/yr")
    assert top["violation"] == pytest.approx(15)


def test_share_violation_without_product_is_in_tonnes_of_the_stages_product(tmp_path):
    """As the share test above but without `product`: the stage's one product, ore, is measured.
    A mine unit makes 2 t ore (out ratio 2), so the 20 t of ore needed are 20 t over the cap of 0
    (not the 10 units of activity that make them)."""
    folder = two_mine_chain(tmp_path / "share_act", policies=[
        {"kind": "max_share", "name": "no_cn_mining", "stage": "mine", "group": "covered", "share": 0}])
    drop_rows(folder / "facilities.csv", facility="mine_us")
    drop_rows(folder / "recipes.csv", facility="mine_us")
    drop_rows(folder / "lanes.csv", origin="mine_us")
    edit_csv(folder / "recipes.csv", {"facility": "plant", "product": "ore"}, ratio=0.5)
    edit_csv(folder / "recipes.csv", {"facility": "mine_cn", "product": "ore"}, ratio=2)
    df = diagnose(folder)
    top = df.iloc[0]
    assert top["constraint"] == "max_share"
    assert top["violation"] == pytest.approx(20)
    assert top["unit"] == "t/yr"
    assert top["explanation"] == "share cap no_cn_mining 2025: 20 t/yr of ore more than the cap allows"


def test_supplier_share_violation_with_product_is_in_tonnes(tmp_path):
    """One CN mine left, no mine may make more than 40% of the stage's ore: its share is
    always 100%.  Meeting demand with 20 t ore (plant in ratio 0.5) puts the mine
    20 - 0.4*20 = 12 t over (cost 12 < 40 t of demand short)."""
    folder = two_mine_chain(tmp_path / "supplier", policies=[
        {"kind": "max_supplier_share", "name": "diverse", "stage": "mine", "share": 0.4, "product": "ore"}])
    drop_rows(folder / "facilities.csv", facility="mine_us")
    drop_rows(folder / "recipes.csv", facility="mine_us")
    drop_rows(folder / "lanes.csv", origin="mine_us")
    edit_csv(folder / "recipes.csv", {"facility": "plant", "product": "ore"}, ratio=0.5)
    df = diagnose(folder)
    top = df.iloc[0]
    assert (top["constraint"], top["index"]) == ("max_supplier_share", "diverse|mine_cn|2025")
    assert top["violation"] == pytest.approx(12)
    assert top["unit"] == "t/yr"

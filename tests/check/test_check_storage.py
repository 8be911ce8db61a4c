"""``m2m check`` on a plan with a store (instances/tiny_stockpile): the plan passes, and each
tampered figure of inventory.csv or the holding cost is caught by the family that owns it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import pytest

from optimizer.check.results import check_results
from optimizer.pipeline import run
from optimizer.results.write import write_results
from tests.check.test_check import edit_csv, set_cell

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny_stockpile"


@pytest.fixture(scope="module")
def solved(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("stockpile")
    return {s: write_results(run(TINY, [s] if s != "base" else []), root / s) for s in ("base", "small_store", "clean_stock")}


@pytest.fixture
def base(solved: dict, tmp_path: Path) -> Path:
    return Path(shutil.copytree(solved["base"], tmp_path / "results"))


@pytest.mark.parametrize("scenario", ["base", "small_store", "clean_stock"])
def test_a_plan_with_a_store_passes(solved: dict, scenario: str) -> None:
    report = check_results(solved[scenario])
    assert report.ok, report.violations
    assert report.checked.get("storage_level", 0) > 0


def test_the_store_capacity_is_checked(solved: dict) -> None:
    assert check_results(solved["small_store"]).checked.get("storage_capacity", 0) == 2


TAMPERED = [
    ("level misreported", set_cell({"period": "2025"}, "level", 150),
     "storage_level stockpile oxide 2025 (any): level 150 != previous level + years x (in - out) 200"),
    ("stock put in without arriving", set_cell({"period": "2025"}, "in", 120),
     "input_balance stockpile oxide 2025: in 200 != used 220"),
    ("negative stock", set_cell({"period": "2027"}, "level", -1),
     "storage_level stockpile oxide 2027 (any): level -1 < 0"),
]


@pytest.mark.parametrize("edit, expected", [c[1:] for c in TAMPERED], ids=[c[0] for c in TAMPERED])
def test_tampered_inventory_is_reported(base: Path, edit: Callable, expected: str) -> None:
    edit_csv(base, "inventory", edit)
    report = check_results(base)
    assert expected in report.violations, "\n".join(report.violations)


def test_a_changed_holding_cost_is_reported(base: Path) -> None:
    edit_csv(base, "costs", set_cell({"term": "holding", "period": "2025"}, "cost", 700))
    assert "costs holding 2025: costs.csv cost 700 != recomputed 750" in check_results(base).violations

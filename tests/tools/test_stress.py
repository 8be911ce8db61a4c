"""``m2m stress``: outages on hand-solved instances, ranked, written, and bad options refused.

tiny_stockpile (two two-year periods, no discounting; README derivations): the base costs 6,000
USD; without the stockpile from 2027 it costs 12,000 (+6,000); with no Chinese oxide at all it
costs 100 t/yr x 50 x 4 years = 20,000 (+14,000).  tiny_lead_time: new_plant opens in 2027 (fixed
1,000 USD/yr); taken out from 2027 the buyer imports at 60 instead of 20, and with the builds kept
its fixed cost runs on: 6,000 + 1,000 - 3,000 = +4,000; re-planned it is not opened: +3,000.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from optimizer.cli import EXIT_INPUT, main
from optimizer.tools.stress import STRESS_COLUMNS, STRESS_CSV, STRESS_JSON, run_stress

INSTANCES = Path(__file__).resolve().parents[2] / "instances"


def table(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / STRESS_CSV, keep_default_na=False, na_values=[""])


def test_facility_outages_are_ranked_by_cost_increase(tmp_path):
    r = run_stress(INSTANCES / "tiny_stockpile", [], year=2027, out=tmp_path / "s")
    assert r.reference["objective"] == pytest.approx(6000)
    t = table(tmp_path / "s")
    assert list(t.columns) == list(STRESS_COLUMNS)
    assert t["outage"].tolist() == ["stockpile", "cn_sep", "us_sep"]
    assert t["cost_increase"].tolist() == pytest.approx([6000, 0, 0])
    assert t["rank"].tolist() == [1, 2, 3] and set(t["from_year"]) == {2027}
    meta = json.loads((tmp_path / "s" / STRESS_JSON).read_text())
    assert meta["run"] == "stress" and meta["by"] == "facility" and meta["outages"] == 3


def test_a_country_outage_caps_its_exports(tmp_path):
    r = run_stress(INSTANCES / "tiny_stockpile", [], kind="country", year=2025, out=tmp_path / "s")
    assert r.table["outage"].tolist() == ["CN"]
    assert r.table["cost_increase"].tolist() == pytest.approx([14000])


def test_lane_outages(tmp_path):
    r = run_stress(INSTANCES / "tiny_stockpile", [], kind="lane", year=2025, out=tmp_path / "s")
    got = dict(zip(r.table["outage"], r.table["cost_increase"]))
    assert got == pytest.approx({"cn_sep->stockpile (oxide)": 14000, "stockpile->buyer (oxide)": 14000,
                                 "us_sep->buyer (oxide)": 0})


def test_kept_builds_keep_their_fixed_costs_and_replanning_does_not(tmp_path):
    kept = run_stress(INSTANCES / "tiny_lead_time", [], year=2027, out=tmp_path / "kept")
    replanned = run_stress(INSTANCES / "tiny_lead_time", [], year=2027, replan=True, out=tmp_path / "replan")
    assert dict(zip(kept.table["outage"], kept.table["cost_increase"]))["new_plant"] == pytest.approx(4000)
    assert dict(zip(replanned.table["outage"], replanned.table["cost_increase"]))["new_plant"] == pytest.approx(3000)
    assert kept.reference["objective"] == pytest.approx(15000)


def test_an_outage_that_leaves_a_hard_demand_short_ranks_first(tmp_path):
    r = run_stress(INSTANCES / "tiny_lead_time", [], year=2025, customers=["buyer"], out=tmp_path / "s")
    first = r.table.iloc[0]
    assert (first["outage"], first["status"]) == ("import", "infeasible")
    assert first["note"] == "demand buyer 2025: short 100 t of magnet"
    assert pd.isna(first["cost_increase"])


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_the_cli_prints_the_ranked_table(tmp_path):
    result = invoke("stress", INSTANCES / "tiny_stockpile", "--from", 2027, "--customer", "buyer", "--workers", 1,
                    "--out", tmp_path / "s")
    assert result.exit_code == 0, result.output
    assert "outages from 2027, ranked (reference plan 6,000 USD)" in result.output
    assert "stockpile" in result.output and "6,000" in result.output
    assert (tmp_path / "s" / STRESS_CSV).is_file()


@pytest.mark.parametrize("args, message", [
    (["--from", "2030"], "--from:-:--from: year 2030 is not a period"),
    (["--stage", "smelting"], "--stage:-:--stage: unknown stage 'smelting'"),
    (["--customer", "nobody"], "--customer:-:--customer: unknown customer 'nobody'"),
])
def test_bad_options_exit_2_and_write_nothing(tmp_path, args, message):
    out = tmp_path / "s"
    result = invoke("stress", INSTANCES / "tiny_stockpile", *args, "--out", out)
    assert result.exit_code == EXIT_INPUT and message in result.output
    assert not out.exists()


def test_a_folder_it_did_not_write_is_not_replaced(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = invoke("stress", INSTANCES / "tiny_stockpile", "--out", out)
    assert result.exit_code == EXIT_INPUT and "not a folder m2m wrote" in result.output
    assert (out / "notes.txt").read_text() == "keep me"

"""``m2m compare`` and ``optimizer.tools.compare``: the side-by-side table, the diff tables, their
determinism and tolerance, bad input, and the flagship's export ban.

The small instance is the two-mine chain of ``tests.helpers.two_mine_chain`` over 2025-2026
(no discounting): 40 t/yr of magnets, 2 t of ore each.  Without a policy all 80 t of ore come
from the CN mine (production 80*10 + 40*5 = 1000, transport 80, 1080 USD a year); with the
25% cap on CN's share of the mine stage, 20 t come from CN and 60 t from the US mine
(production 20*10 + 60*20 + 200 = 1600, 1680 USD a year).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.tools.compare import DIFFS, SUMMARY_DIFF, compare, compare_runs, read_plan
from optimizer.pipeline import run
from tests.helpers import edit_csv, two_mine_chain
from tests.helpers import ROOT

FLAGSHIP = ROOT / "instances" / "us_mine_to_magnet"

SHARE = {"kind": "max_share", "name": "cn_cap", "stage": "mine", "group": "covered", "share": 0.25}
SCENARIOS = {
    "cap": {"description": "CN mines make at most 25% of the ore", "add_policies": [SHARE]},
    # 40 t of magnets on the plant -> buyer lane: +0.40 USD of transport a year.
    "dear_lane": {"description": "a cent more per t on the last lane",
                  "patch": {"lanes": [{"origin": "plant", "destination": "buyer", "product": "magnet", "cost": 0.01}]}},
    # 200 t of ore make at most 100 t of magnets: a hard demand of 130 t cannot be met.
    "short": {"description": "demand beyond the mines", "patch": {"demands": [
        {"customer": "buyer", "product": "magnet", "period": t, "quantity": 130} for t in (2025, 2026)]}},
}
FILES = [spec.file for spec in DIFFS.values()]


def invoke(*args, ok: int | None = 0):
    result = CliRunner().invoke(main, [str(a) for a in args])
    if ok is not None:
        assert result.exit_code == ok, (result.exit_code, result.output, result.stderr, result.exception)
    return result


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def cells(line: str) -> list[str] | None:
    """The cells of one row of the console table (header or body), or None for any other line."""
    if not line.startswith(("│", "┃")):
        return None
    return [c.strip() for c in line.replace("┃", "│").strip("│").split("│")]


def header(path: Path) -> list[str]:
    with path.open(newline="") as fh:
        return next(csv.reader(fh))


@pytest.fixture
def chain(tmp_path) -> Path:
    return two_mine_chain(tmp_path / "chain", periods=[2025, 2026], scenarios=SCENARIOS)


@pytest.fixture
def folders(chain, tmp_path) -> tuple[Path, Path]:
    """Results folders ``base`` (no policy) and ``cap`` (the 25% cap), written by ``m2m solve``."""
    base, cap = tmp_path / "runs" / "base", tmp_path / "runs" / "cap"
    invoke("solve", chain, "--out", base, "--quiet")
    invoke("solve", chain, "--scenario", "cap", "--out", cap, "--quiet")
    return base, cap


# ============================================================================================
# results folders
# ============================================================================================


def test_console_table_shows_each_plan_with_its_costs(folders, tmp_path):
    out = tmp_path / "cmp"
    result = invoke("compare", *folders, "--out", out)
    text = result.output
    table = {c[0]: c[1:] for c in (cells(line) for line in text.splitlines()) if c}
    assert table[""] == ["base", "cap"]  # one column per plan, the reference first
    assert table["status"] == ["optimal", "optimal"]
    assert table["total cost (USD, discounted)"] == ["2,160", "3,360"]  # 2 x 1080, 2 x 1680
    assert table["change vs base (USD)"] == ["reference", "+1,200"]
    assert table["production"] == ["2,000", "3,200"]
    assert table["transport"] == ["160", "160"]
    assert table["mine ore 2026"] == ["100.0%", "25.0%"]  # the covered group's share of the mine stage's ore
    assert table["cn_cap 2025"] == ["-", "25.0% (cap 25.0%)"]  # base has no such policy
    assert table["total"] == ["0.0", "0.0"]  # unmet demand
    assert table["demand_balance buyer|magnet|2025 (USD/t)"] == ["27", "42"]  # 2 t of ore: all CN; 1/4 CN + 3/4 US
    assert "covered group (China) share is 0.0% (or nothing is made) in every year and plan at: magnet magnet" in text
    assert "flows_diff.csv: 4 rows differ, 2 agree within 8e-05 t/yr" in text
    assert f"diff tables written to {out}" in text


def test_diff_files_have_the_documented_columns_and_the_rows_that_move(folders, tmp_path):
    out = tmp_path / "cmp"
    invoke("compare", *folders, "--out", out, "--quiet")
    assert sorted(p.name for p in out.iterdir()) == sorted([*FILES, SUMMARY_DIFF])
    for name, spec in DIFFS.items():
        assert header(out / spec.file) == [*spec.key, "base", "cap", "delta_cap"], name

    # The ore that moves from the CN mine to the US mine; the magnets on plant -> buyer do not move.
    assert (out / "flows_diff.csv").read_text() == (
        "origin,destination,product,period,provenance,base,cap,delta_cap\n"
        "mine_cn,plant,ore,2025,any,80.000000,20.000000,-60.000000\n"
        "mine_cn,plant,ore,2026,any,80.000000,20.000000,-60.000000\n"
        "mine_us,plant,ore,2025,any,0.000000,60.000000,60.000000\n"
        "mine_us,plant,ore,2026,any,0.000000,60.000000,60.000000\n"
    )
    activity = rows(out / "activity_diff.csv")
    assert {(r["facility"], r["period"], r["delta_cap"]) for r in activity} == {
        ("mine_cn", "2025", "-60.000000"), ("mine_cn", "2026", "-60.000000"),
        ("mine_us", "2025", "60.000000"), ("mine_us", "2026", "60.000000"),
    }
    # Transport is 80 USD a year in both plans: only production differs.
    assert (out / "costs_diff.csv").read_text() == (
        "term,period,kind,base,cap,delta_cap\n"
        "production,2025,cost,1000.00,1600.00,600.00\n"
        "production,2026,cost,1000.00,1600.00,600.00\n"
    )
    # The policy exists only in cap: blank in base; the stage overview falls from 100% to 25%.
    shares = {(r["policy"], r["stage"], r["period"]): r for r in rows(out / "shares_diff.csv")}
    assert set(shares) == {("", "mine", "2025"), ("", "mine", "2026"), ("cn_cap", "mine", "2025"), ("cn_cap", "mine", "2026")}
    assert shares["", "mine", "2025"]["base"] == "1.00000000"
    assert shares["", "mine", "2025"]["cap"] == "0.25000000"
    assert shares["", "mine", "2025"]["delta_cap"] == "-0.75000000"
    assert (shares["cn_cap", "mine", "2026"]["base"], shares["cn_cap", "mine", "2026"]["cap"],
            shares["cn_cap", "mine", "2026"]["delta_cap"]) == ("", "0.25000000", "")

    summary = json.loads((out / SUMMARY_DIFF).read_text())
    assert summary["reference"] == "base"
    assert [p["name"] for p in summary["plans"]] == ["base", "cap"]
    assert [p["objective"] for p in summary["plans"]] == [2160.0, 3360.0]
    assert summary["objective_delta"] == {"cap": 1200.0}
    assert summary["cost_breakdown"] == {"production": {"base": 2000.0, "cap": 3200.0},
                                         "transport": {"base": 160.0, "cap": 160.0}}
    assert summary["tables"]["flows_diff.csv"]["rows"] == 4
    assert summary["tables"]["flows_diff.csv"]["rows_agreeing"] == 2  # plant -> buyer, both years
    assert summary["tables"]["flows_diff.csv"]["threshold"] == pytest.approx(80e-6)


def test_same_inputs_give_byte_identical_files(folders, chain, tmp_path):
    first, second, solved = tmp_path / "one", tmp_path / "two", tmp_path / "three"
    invoke("compare", *folders, "--out", first, "--quiet")
    invoke("compare", *folders, "--out", second, "--quiet")
    for name in [*FILES, SUMMARY_DIFF]:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    # Solving in memory gives the same diff tables as reading the folders back.
    invoke("compare", "--workers", "1", chain, "--scenario", "cap", "--out", solved, "--quiet")
    for name in FILES:
        assert (solved / name).read_bytes() == (first / name).read_bytes(), name


def test_a_change_below_the_tolerance_is_not_reported(chain, tmp_path):
    # dear_lane adds 0.40 USD of transport a year.  Costs reach 1000 USD a year, so the default
    # threshold is 1e-6 x 1000 = 0.001 USD; with --tol 1e-3 it is 1 USD.
    fine, coarse = tmp_path / "fine", tmp_path / "coarse"
    invoke("compare", "--workers", "1", chain, "-s", "dear_lane", "--out", fine, "--quiet")
    assert (fine / "costs_diff.csv").read_text() == (
        "term,period,kind,base,dear_lane,delta_dear_lane\n"
        "transport,2025,cost,80.00,80.40,0.40\n"
        "transport,2026,cost,80.00,80.40,0.40\n"
    )
    result = invoke("compare", "--workers", "1", chain, "-s", "dear_lane", "--out", coarse, "--tol", "1e-3")
    assert (coarse / "costs_diff.csv").read_text() == "term,period,kind,base,dear_lane,delta_dear_lane\n"
    assert "costs_diff.csv: 0 rows differ, 6 agree within 1 USD" in result.output
    summary = json.loads((coarse / SUMMARY_DIFF).read_text())
    assert summary["tables"]["costs_diff.csv"]["threshold"] == pytest.approx(1.0)
    # The flows do not change at all: nothing to report at either tolerance.
    assert (fine / "flows_diff.csv").read_text() == (coarse / "flows_diff.csv").read_text()
    assert len((fine / "flows_diff.csv").read_text().splitlines()) == 1


# ============================================================================================
# an instance and its scenarios
# ============================================================================================


def test_scenarios_are_plans_and_a_comma_combines(chain, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("compare", "--workers", "1", chain, "--scenario", "cap", "--scenario", "cap,dear_lane")
    out = tmp_path / "results" / "compare-chain-base_vs_cap_vs_cap+dear_lane"
    assert f"diff tables written to results/compare-chain-base_vs_cap_vs_cap+dear_lane" in result.output
    assert header(out / "costs_diff.csv") == ["term", "period", "kind", "base", "cap", "cap+dear_lane", "delta_cap", "delta_cap+dear_lane"]
    costs = {(r["term"], r["period"]): r for r in rows(out / "costs_diff.csv")}
    assert costs["transport", "2025"]["cap+dear_lane"] == "80.40"
    assert costs["transport", "2025"]["cap"] == "80.00"
    assert costs["production", "2026"]["delta_cap+dear_lane"] == "600.00"
    summary = json.loads((out / SUMMARY_DIFF).read_text())
    assert [p["scenario"] for p in summary["plans"]] == [[], ["cap"], ["cap", "dear_lane"]]

    # --no-base leaves the base instance out; "base" names it explicitly.
    invoke("compare", "--workers", "1", chain, "-s", "cap", "-s", "base", "--no-base", "--out", tmp_path / "nb", "--quiet")
    assert header(tmp_path / "nb" / "costs_diff.csv") == ["term", "period", "kind", "cap", "base", "delta_base"]


def test_a_plan_without_solution_is_shown_and_left_out_of_the_diffs(chain, tmp_path):
    out = tmp_path / "cmp"
    result = invoke("compare", "--workers", "1", chain, "-s", "cap", "-s", "short", "--out", out)
    status = next(line for line in result.output.splitlines() if "status" in line)
    assert status.count("optimal") == 2 and "infeasible" in status
    assert "note: short has no solution (status infeasible)" in result.output
    flows = rows(out / "flows_diff.csv")
    assert len(flows) == 4  # base vs cap, as without the infeasible plan
    assert all(r["short"] == "" and r["delta_short"] == "" for r in flows)
    summary = json.loads((out / SUMMARY_DIFF).read_text())
    assert summary["plans"][2]["status"] == "infeasible" and summary["plans"][2]["objective"] is None
    assert summary["objective_delta"]["short"] is None


# ============================================================================================
# bad input: exit code 2, one line on standard error, nothing written
# ============================================================================================


def test_bad_input_is_one_line_and_exit_code_2(folders, chain, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    base, cap = folders
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = {
        "no such results folder": [base, tmp_path / "missing"],
        "no such instance or results folder": [tmp_path / "missing"],
        "no summary.json": [base, empty],
        "fewer than two plans": [base],
        "fewer than two plans to compare (1)": [chain],
        "--scenario applies to an instance folder": [base, cap, "--scenario", "cap"],
        "unknown scenario": [chain, "-s", "nope"],
    }
    for message, args in cases.items():
        result = invoke("compare", *args, ok=2)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (message, result.stderr)
        assert result.stdout.strip() == "", message
    assert not (tmp_path / "results").exists()
    invoke("compare", ok=2)  # no argument at all: a usage error from the command parser


def test_a_folder_with_a_broken_table_is_bad_input(folders, tmp_path):
    base, cap = folders
    edit_csv(cap / "flows.csv", {"origin": "mine_us", "period": 2025}, quantity="lots")
    result = invoke("compare", base, cap, "--out", tmp_path / "cmp", ok=2)
    assert result.stderr.strip() == f"{cap / 'flows.csv'}:3:quantity: expected a number, got 'lots'"
    (base / "costs.csv").write_text("")
    result = invoke("compare", base, base, "--out", tmp_path / "cmp", ok=2)
    assert result.stderr.strip().startswith(f"{base / 'costs.csv'}:-:-: not a readable CSV table")
    assert not (tmp_path / "cmp").exists()


def test_out_never_replaces_a_results_or_instance_folder(folders, chain):
    base, cap = folders
    before = {p.name: p.read_bytes() for p in base.iterdir()}
    result = invoke("compare", base, cap, "--out", base, ok=2)
    assert result.stderr.strip() == (f"{base}:-:--out: is or holds {base.resolve()}, which this run reads: m2m does not "
                                     "replace it; nothing written")
    assert {p.name: p.read_bytes() for p in base.iterdir()} == before
    result = invoke("compare", base, cap, "--out", chain, ok=2)
    assert "exists and is not a folder m2m wrote" in result.stderr


# ============================================================================================
# the Python API
# ============================================================================================


def test_compare_runs_in_memory_matches_the_folders(chain, folders):
    tables = compare_runs({"base": run(chain), "cap": run(chain, ["cap"])})
    assert list(tables) == ["overview", "flows", "activity", "costs", "shares"]
    overview = tables["overview"]
    assert list(overview.columns) == ["section", "item", "base", "cap"]
    total = overview[overview["item"] == "total cost (USD, discounted)"].iloc[0]
    assert (total["base"], total["cap"]) == ("2,160", "3,360")
    flows = tables["flows"]
    assert flows["delta_cap"].tolist() == [-60.0, -60.0, 60.0, 60.0]
    from_folders = compare_runs(list(folders))
    for name in ("flows", "activity", "costs", "shares"):
        pd.testing.assert_frame_equal(tables[name], from_folders[name], check_dtype=False)
    # Runs given as a list are named after their scenarios.
    assert list(compare_runs([run(chain), run(chain, ["cap"])])["overview"].columns[2:]) == ["base", "cap"]


def test_a_plan_read_from_a_folder_has_its_summary(folders):
    plan = read_plan(folders[1])
    assert (plan.name, plan.status, plan.objective) == ("cap", "optimal", pytest.approx(3360.0))
    breakdown = {term: value for term, value in plan.cost_breakdown.items() if value}
    assert breakdown == {"production": pytest.approx(3200.0), "transport": pytest.approx(160.0)}
    with pytest.raises(Exception, match="fewer than two plans"):
        compare([plan])


# ============================================================================================
# the flagship: what China's export ban moves
# ============================================================================================


def test_flagship_export_ban_removes_china_magnets_to_us_customers(tmp_path):
    out = tmp_path / "cmp"
    result = invoke("compare", "--workers", "1", FLAGSHIP, "-s", "baseline", "-s", "export_ban", "--no-base", "--out", out)
    pinned = json.loads((FLAGSHIP / "expected.json").read_text())
    total = next(line for line in result.output.splitlines() if "total cost" in line)
    assert f"{pinned['baseline']['objective']:,.0f}" in total
    assert f"{pinned['export_ban']['objective']:,.0f}" in total
    assert "tariff" in result.output and "unmet_penalty" in result.output

    flows = rows(out / "flows_diff.csv")
    to_us = {r["period"]: r for r in flows
             if r["origin"] == "cn_magnet" and r["destination"] in ("us_commercial", "dod")}
    # From 2026 no magnet made in China reaches a US customer; 2025 (before the ban) is unchanged.
    # The baseline buys China-made magnets in 2026 (the ban's first year) and in some later years.
    assert "2026" in to_us and float(to_us["2026"]["baseline"]) > 1000
    assert set(to_us) <= {str(t) for t in range(2026, 2036)}
    for r in to_us.values():
        assert r["export_ban"] == "0.000000" and float(r["baseline"]) > 0
        assert float(r["delta_export_ban"]) == pytest.approx(-float(r["baseline"]), abs=1e-6)
    summary = json.loads((out / SUMMARY_DIFF).read_text())
    assert summary["objective_delta"]["export_ban"] == pytest.approx(
        pinned["export_ban"]["objective"] - pinned["baseline"]["objective"], abs=0.01)

"""m2m hedge end to end: the folder, non-anticipativity, the risk figures, check, refusals."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from optimizer.check.results import check_results
from optimizer.cli import EXIT_INPUT, main
from optimizer.core.risk import cvar, risk_objective, worst
from optimizer.tools.hedge import run_hedge, write_hedge
from optimizer.input.schema import Risk
from tests.helpers import ROOT, edit_csv, shipped_copy

HEDGE = ROOT / "instances" / "tiny_hedge"


def invoke(*args: object, ok: int | None = 0):
    result = CliRunner().invoke(main, [str(a) for a in args])
    if ok is not None:
        assert result.exit_code == ok, (result.exit_code, result.output, result.exception)
    return result


@pytest.fixture(scope="module")
def hedged(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hedge") / "out"
    invoke("hedge", HEDGE, "--out", out, "--workers", 1, "--quiet")
    return out


def test_cvar_is_the_mean_of_the_worst_tail_with_the_last_outcome_in_part():
    # worst 0.2: all of the 0.1 at 100, then 0.1 of the 0.3 at 40
    assert cvar([10.0, 40.0, 100.0], [0.6, 0.3, 0.1], 0.8) == pytest.approx((0.1 * 100 + 0.1 * 40) / 0.2)
    assert cvar([10.0, 40.0, 100.0], [0.6, 0.3, 0.1], 0.95) == pytest.approx(100.0)
    r = Risk(measure="cvar", alpha=0.8, weight=0.25)
    assert risk_objective([10.0, 40.0, 100.0], [0.6, 0.3, 0.1], r) == pytest.approx(0.75 * 28.0 + 0.25 * 70.0)
    assert worst(["a", "b", "c"], [3.0, 5.0, 5.0]) == "b, c"


def test_every_plan_table_gains_the_outcome_column_first(hedged):
    for name in ("flows", "activity", "unmet", "costs", "duals", "inventory", "investments", "shares"):
        header = (hedged / f"{name}.csv").read_text().splitlines()[0]
        assert header.startswith("outcome,"), (name, header)
    flows = pd.read_csv(hedged / "flows.csv")
    assert set(flows["outcome"]) == {"calm", "ban"}


def test_decisions_before_reveal_are_the_same_in_every_outcome(hedged):
    for name, keys, value in (("flows", ["origin", "destination", "product", "provenance"], "quantity"),
                              ("inventory", ["facility", "product", "provenance"], "level")):
        df = pd.read_csv(hedged / f"{name}.csv")
        early = df[df["period"] < 2026]
        calm = early[early["outcome"] == "calm"].set_index(keys)[value].sort_index()
        ban = early[early["outcome"] == "ban"].set_index(keys)[value].sort_index()
        assert len(calm) and calm.equals(ban), name
    inv = pd.read_csv(hedged / "inventory.csv")
    assert inv[(inv["period"] == 2025)]["level"].tolist() == [100.0, 100.0]  # the stockpile, in both outcomes


def test_outcomes_csv_and_the_risk_summary_hold_the_hand_derived_figures(hedged):
    out = pd.read_csv(hedged / "outcomes.csv")
    assert out[["outcome", "probability", "cost", "foresight_cost", "reference_plan_cost"]].values.tolist() == [
        ["calm", 0.7, 2500.0, 2000.0, 2000.0], ["ban", 0.3, 2500.0, 2500.0, 6000.0]]
    s = json.loads((hedged / "summary.json").read_text())
    assert s["run"] == "hedge" and s["duals"] == "extensive"
    k = s["risk"]
    assert (k["objective"], k["expected_cost"], k["wait_and_see"], k["evpi"], k["vss"]) == pytest.approx(
        (2500.0, 2500.0, 2150.0, 350.0, 700.0))
    assert k["reference_plan"]["expected_cost"] == pytest.approx(3200.0) and k["reference_plan"]["unserved"] == []
    assert set(s["outcomes"]) == {"calm", "ban"} and s["outcomes"]["ban"]["objective"] == pytest.approx(2500.0)


def test_a_shared_row_s_dual_is_reported_whole_and_an_outcome_s_per_unit_of_probability(hedged):
    d = pd.read_csv(hedged / "duals.csv")
    d = d[d["constraint"] == "demand_balance"].set_index(["outcome", "index"])["value"]
    # 2025 demand, a shared row: one more tonne in 2025 costs 10 whatever happens (reported whole in both)
    assert d["calm", "buyer|oxide|2025"] == d["ban", "buyer|oxide|2025"] == pytest.approx(10.0)
    # 2026 demand sits at a kink (the stockpile equals the need), so its dual is any value between
    # the cost of a tonne less and of a tonne more, per unit of the outcome's probability:
    # calm: a tonne more from China (10), a tonne less by stockpiling one less (15 saved, 0.3 x 50
    # more in the ban: 0 per unit); ban: a tonne more from the US (50), a tonne less by stockpiling
    # one less (15 - 0.7 x 10 = 8 saved, 8 / 0.3 per unit)
    assert 0.0 - 1e-9 <= d["calm", "buyer|oxide|2026"] <= 10.0 + 1e-9
    assert 8.0 / 0.3 - 1e-9 <= d["ban", "buyer|oxide|2026"] <= 50.0 + 1e-9


def test_check_passes_the_folder_and_says_the_duals_are_not_certified(hedged):
    result = invoke("check", hedged)
    assert result.output.startswith("check passed:") and "duals not certified" in result.output


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_check_finds_a_plan_that_anticipates_the_outcome(hedged, tmp_path):
    folder = _copy(hedged, tmp_path / "tampered")
    edit_csv(folder / "flows.csv", {"outcome": "ban", "origin": "cn_sep", "period": "2025"}, quantity=150.0)
    report = check_results(folder)
    assert not report.ok
    assert any(v.startswith("non_anticipativity flows cn_sep stockpile oxide 2025 any: (200.0,) in calm != (150.0,) in ban")
               for v in report.violations), report.violations


def test_check_recomputes_the_risk_figures(hedged, tmp_path):
    folder = _copy(hedged, tmp_path / "tampered")
    summary = json.loads((folder / "summary.json").read_text())
    summary["risk"]["evpi"] = 300.0
    (folder / "summary.json").write_text(json.dumps(summary))
    report = check_results(folder)
    assert report.violations == ["risk summary.json risk.evpi: 300.0 != recomputed 350.0"]
    edit_csv(folder / "outcomes.csv", {"outcome": "ban"}, reference_plan_cost=5000.0)
    assert "risk summary.json risk.vss: 700.0 != recomputed 400.0" in check_results(folder).violations


def with_plant_option(tmp_path) -> Path:
    """tiny_hedge plus a US plant that takes a year to build (open in 2026: decided in 2025, before
    the ban is known): 20 USD/t and 1,000 USD/yr fixed; the stockpile's holding cost raised to 30."""
    folder = shipped_copy("tiny_hedge", tmp_path)
    with (folder / "facilities.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0]) + ["status", "fixed_cost", "lead_time"]
    rows.append({"facility": "us_new", "stage": "separation", "country": "US", "capacity": "100", "cost": "20",
                 "status": "candidate", "fixed_cost": "1000", "lead_time": "1"})
    with (folder / "facilities.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows({k: r.get(k, "") for k in fields} for r in rows)
    with (folder / "recipes.csv").open("a") as fh:
        fh.write("us_new,oxide,out,1\n")
    with (folder / "lanes.csv").open("a") as fh:
        fh.write("us_new,buyer,oxide,0\n")
    edit_csv(folder / "storage.csv", {"facility": "stockpile"}, holding_cost=30)
    return folder


def test_a_build_decided_before_reveal_is_the_same_in_every_outcome(tmp_path):
    """Alone, the ban would open the plant (1,000 + 1,000 + 20 x 100 = 4,000 against 6,000 from the
    US or 5,000 from a stockpile at 40/t) and calm would not (2,000). Open in both: calm 3,000, ban
    4,000, expected 3,300; open in neither: calm 2,000, ban 6,000, expected 3,200. The hedge opens
    it in neither; opening it in the ban only would cost 2,600 and is not allowed."""
    h = run_hedge(with_plant_option(tmp_path), workers=1)
    assert h.summary["objective"] == pytest.approx(3200.0)
    assert h.outcomes["foresight_cost"].tolist() == pytest.approx([2000.0, 4000.0])
    assert h.summary["risk"]["evpi"] == pytest.approx(3200.0 - 2600.0)
    assert all(len(r.tables["investments"]) == 0 for r in h.runs.values())
    assert check_results(write_hedge(h, tmp_path / "out")).ok


def test_a_build_decided_before_reveal_is_built_in_every_outcome_or_none(tmp_path):
    """With the ban an even chance, open in both (0.5 x 3,000 + 0.5 x 4,000 = 3,500) beats neither
    (4,000): both outcomes report the build, decided in 2025."""
    folder = with_plant_option(tmp_path)
    text = (folder / "instance.yaml").read_text()
    text = text.replace("{name: calm, probability: 0.7, scenarios: []}", "{name: calm, probability: 0.5, scenarios: []}")
    text = text.replace("{name: ban, probability: 0.3, scenarios: [export_ban]}", "{name: ban, probability: 0.5, scenarios: [export_ban]}")
    (folder / "instance.yaml").write_text(text)
    h = run_hedge(folder, workers=1)
    assert h.summary["objective"] == pytest.approx(3500.0)
    for r in h.runs.values():
        inv = r.tables["investments"]
        assert inv[["facility", "period", "kind", "decision_year"]].values.tolist() == [["us_new", 2026, "open", 2025]]
    assert check_results(write_hedge(h, tmp_path / "out")).ok


def test_the_pool_gives_the_same_figures_as_one_process(hedged, tmp_path):
    out = tmp_path / "pool"
    invoke("hedge", HEDGE, "--out", out, "--workers", 2, "--quiet")
    assert (out / "outcomes.csv").read_text() == (hedged / "outcomes.csv").read_text()


def test_an_outcome_that_changes_a_period_before_reveal_is_refused_and_nothing_written(tmp_path):
    out = tmp_path / "out"
    result = invoke("hedge", HEDGE, "--scenario", "early", "--out", out, "--workers", 1, ok=EXIT_INPUT)
    assert result.output.strip() == (
        "instance.yaml:62:scenarios: outcome 'ban' changes the model before reveal 2026 (against 'calm'): adds row "
        "export_cap[cn_ban_early, 2025]; expected its scenarios to change only periods from 2026 on")
    assert not out.exists()


def test_a_folder_that_is_not_a_hedge_folder_is_refused_before_solving(tmp_path):
    out = tmp_path / "solved"
    invoke("solve", HEDGE, "--out", out, "--quiet")
    result = invoke("hedge", HEDGE, "--out", out, "--workers", 1, ok=EXIT_INPUT)
    assert "exists and is an m2m solve folder; m2m replaces only a hedge folder it wrote" in result.output


def test_solve_says_it_does_not_read_the_block(tmp_path):
    result = invoke("solve", HEDGE, "--out", tmp_path / "s")
    assert "note: instance.yaml's uncertainty block is read by m2m hedge" in result.output


# ---- m2m compare of hedge folders ------------------------------------------------------------


def test_compare_of_a_hedge_folder_puts_the_reference_plan_against_the_hedged_plan(hedged, tmp_path):
    out = tmp_path / "cmp"
    result = invoke("compare", hedged, "--out", out)
    lines = result.output.splitlines()
    assert lines[0] == "reference_plan vs hedged_plan (reference: reference_plan)"
    row = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:4]] for line in lines if line.count("│") == 4}
    assert row["objective: expected cost (USD)"] == ["3,200", "2,500"]
    assert row["worst outcome cost (USD)"] == ["6,000", "2,500"]
    assert row["expected change vs reference_plan (USD)"] == ["reference", "-700"]
    flows = pd.read_csv(out / "flows_diff.csv")
    assert list(flows.columns[:2]) == ["outcome", "origin"]
    # the hedge stockpiles 100 t more in 2025, in both outcomes
    early = flows[(flows["period"] == 2025) & (flows["destination"] == "stockpile")]
    assert early.set_index("outcome")["delta_hedged_plan"].to_dict() == {"calm": 100.0, "ban": 100.0}
    s = json.loads((out / "summary_diff.json").read_text())
    assert s["outcomes"] == ["calm", "ban"] and s["objective_delta"] == {"hedged_plan": -700.0}
    assert s["tables"]["flows_diff.csv"]["key"][0] == "outcome"


def test_compare_shows_an_outcome_the_reference_plan_cannot_serve(tmp_path):
    out = tmp_path / "h"
    invoke("hedge", HEDGE, "-s", "no_us_supply", "--out", out, "--workers", 1, "--quiet")
    result = invoke("compare", out, "--out", tmp_path / "cmp")
    row = {}
    for line in result.output.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) == 5:
            row.setdefault(cells[1], []).append(cells[2:4])
    assert row["objective: expected cost (USD)"] == [["-", "2,500"]]
    assert ["infeasible", "optimal"] in row["status"]


def test_hedge_folders_compare_only_with_hedges_of_the_same_outcomes(hedged, tmp_path):
    solved = tmp_path / "solved"
    invoke("solve", HEDGE, "--out", solved, "--quiet")
    result = invoke("compare", hedged, solved, "--out", tmp_path / "cmp", ok=EXIT_INPUT)
    assert "expected hedge folders over the same outcomes and probabilities, or results folders only" in result.output
    rare = tmp_path / "rare"
    invoke("hedge", HEDGE, "-s", "rare_ban", "--out", rare, "--workers", 1, "--quiet")
    result = invoke("compare", hedged, rare, "--out", tmp_path / "cmp", ok=EXIT_INPUT)
    assert "{'calm': 0.9, 'ban': 0.1}" in result.output


def test_two_hedges_of_the_same_outcomes_compare_outcome_by_outcome(hedged, tmp_path):
    averse = tmp_path / "averse"
    folder = shipped_copy("tiny_hedge", tmp_path)
    text = (folder / "instance.yaml").read_text().replace("risk: {measure: expected}",
                                                          "risk: {measure: cvar, alpha: 0.5, weight: 1}")
    (folder / "instance.yaml").write_text(text)
    invoke("hedge", folder, "--out", averse, "--workers", 1, "--quiet")
    result = invoke("compare", hedged, averse, "--out", tmp_path / "cmp")
    assert "objective: expected cost (USD)" in result.output  # the first plan's measure


# ---- m2m report of a hedge folder ------------------------------------------------------------


def test_report_of_a_hedge_folder_draws_two_outcomes_side_by_side(hedged, tmp_path):
    out = tmp_path / "r.html"
    invoke("report", hedged, "--out", out)
    text = out.read_text()
    assert "A: outcome calm" in text and "B: outcome ban" in text
    assert 'id="fig-sankeya"' in text and 'id="fig-sankeyb"' in text
    one = tmp_path / "one.html"
    invoke("report", hedged, "--out", one, "--outcome", "ban")
    assert "ban: the hedged plan (m2m hedge) in this outcome" in one.read_text() and "calm: the hedged" not in one.read_text()


def test_report_refuses_an_unknown_outcome_and_outcome_on_a_results_folder(hedged, tmp_path):
    result = invoke("report", hedged, "--out", tmp_path / "r.html", "--outcome", "war", ok=EXIT_INPUT)
    assert "no outcome 'war' in this hedge folder; expected one of ['calm', 'ban']" in result.output
    solved = tmp_path / "solved"
    invoke("solve", HEDGE, "--out", solved, "--quiet")
    result = invoke("report", solved, "--outcome", "ban", ok=EXIT_INPUT)
    assert "--outcome applies to a hedge folder" in result.output


def test_a_hedge_keeps_what_it_did_not_write_in_its_folder(tmp_path):
    out = tmp_path / "h"
    invoke("hedge", HEDGE, "--out", out, "--workers", 1, "--quiet")
    (out / "notes.txt").write_text("mine")
    invoke("hedge", HEDGE, "--out", out, "--workers", 1, "--quiet")
    assert (out / "notes.txt").read_text() == "mine"


def test_labels_stay_exact_and_shared_when_provenance_is_tracked(tmp_path):
    """With the buyer needing clean oxide in 2026 in every outcome (and 50 t of clean stock to
    start), the extensive form tracks provenance: the plan keeps clean material clean, the same
    labels before reveal in both outcomes, and the folder checks out."""
    folder = shipped_copy("tiny_hedge", tmp_path)
    edit_csv(folder / "storage.csv", {"facility": "stockpile"}, initial=50, provenance="clean")
    edit_csv(folder / "demands.csv", {"period": "2026"}, provenance="clean")
    h = run_hedge(folder, workers=1)
    inv = pd.concat({o: r.tables["inventory"] for o, r in h.runs.items()}, names=["outcome"]).reset_index(0)
    clean = inv[(inv["provenance"] == "clean") & (inv["period"] == 2025)].set_index("outcome")["level"]
    assert clean["calm"] == clean["ban"] == pytest.approx(50.0)
    # 2026: 50 t of clean stock and 50 t of clean oxide from the US, in both outcomes
    assert [r.solution.objective for r in h.runs.values()] == pytest.approx([1000.0 + 250.0 + 2500.0] * 2)
    assert check_results(write_hedge(h, tmp_path / "out")).ok


def test_an_outcome_that_alone_tracks_provenance_is_refused_in_words(tmp_path):
    folder = shipped_copy("tiny_hedge", tmp_path)
    text = (folder / "instance.yaml").read_text()
    text = text.replace("scenarios: [export_ban]}\nscenarios:", "scenarios: [export_ban, clean_2026]}\nscenarios:")
    text = text.replace("scenarios:\n  export_ban:", "scenarios:\n  clean_2026:\n    patch:\n      demands:\n"
                        "        - {customer: buyer, product: oxide, period: 2026, provenance: clean}\n  export_ban:", 1)
    (folder / "instance.yaml").write_text(text)
    result = invoke("hedge", folder, "--out", tmp_path / "out", "--workers", 1, ok=EXIT_INPUT)
    assert "instance.yaml:16:scenarios: outcome 'ban': provenance is tracked in 'ban' and not in 'calm'" in result.output


def test_a_hedge_without_a_plan_names_the_outcome_that_has_none_alone(tmp_path):
    folder = shipped_copy("tiny_hedge", tmp_path)
    edit_csv(folder / "storage.csv", {"facility": "stockpile"}, capacity=0)
    out = tmp_path / "out"
    result = invoke("hedge", folder, "-s", "no_us_supply", "--out", out, "--workers", 1, ok=1)
    assert "outcome ban: no plan even when planned for alone (infeasible); m2m solve" in result.output
    assert "-s no_us_supply,export_ban says why" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]
    assert json.loads((out / "summary.json").read_text())["foresight"]["calm"]["status"] == "optimal"


def test_the_notebook_api_hedges_without_writing(tmp_path, monkeypatch):
    import optimizer

    monkeypatch.chdir(tmp_path)
    h = optimizer.hedge(HEDGE)
    assert h.summary["risk"]["vss"] == pytest.approx(700.0) and list(h.outcomes["outcome"]) == ["calm", "ban"]
    assert set(h.tables["flows"]["outcome"]) == {"calm", "ban"}
    assert not (tmp_path / "results").exists()


def test_a_workbook_hedges_and_its_pins_are_refused(tmp_path):
    book = tmp_path / "hedge.xlsx"
    invoke("convert", HEDGE, book)
    out = tmp_path / "out"
    invoke("hedge", book, "--out", out, "--workers", 1, "--quiet")
    assert json.loads((out / "summary.json").read_text())["risk"]["vss"] == pytest.approx(700.0)
    result = invoke("hedge", book, "--update-expected", "--out", tmp_path / "o2", "--workers", 1, ok=EXIT_INPUT)
    assert "expected.json lives in an instance folder" in result.output and not (tmp_path / "o2").exists()

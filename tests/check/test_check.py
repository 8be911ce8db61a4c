"""``optimizer.check.checker``: solved plans pass the independent re-check; tampered ones fail with the right line.

Three small instances are solved once per module: a rich chain (provenance with a clean
customer and a clean offtake, a candidate separator with an integer expansion, a co-product
sold as surplus, a price floor, stage and customer shares, an export cap, max_open,
max_supplier_share, a capacity ramp and an unmet penalty), the two-mine chain, and an
infeasible chain.  Each tamper test edits a copy of a results folder (or a copy of the
instance, via ``--instance``) and expects one specific violation line.
"""

from __future__ import annotations

import ast
import csv
import json
import re
import shutil
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from optimizer.check.results import check_results
from optimizer.cli import main
from optimizer.core.errors import InputError
from optimizer.pipeline import run
from optimizer.results.write import write_results
from tests.helpers import two_mine_chain, write_instance

PERIODS = [2025, 2026]


def rich_chain(folder: Path) -> Path:
    """Mines in CN (covered) and AU -> separators in CN and US (candidate, expandable) -> US magnet plant.

    Separation makes oxide and a ce_oxide co-product nobody buys (surplus worth 2 USD/t).
    ``buyer`` takes any magnet (penalty 1000 USD/t); ``clean_buyer`` takes only clean magnet,
    hard.  The plant is limited to 45 t in 2025, so 5 t of ``buyer`` goes unmet that year.
    """
    return write_instance(
        folder,
        {
            "periods": PERIODS,
            "discount_rate": 0.05,
            "policies": [
                {"name": "cn_separation", "kind": "max_share", "stage": "separation", "group": "covered", "share": 0.8,
                 "product": "oxide"},
                {"name": "buyer_touched", "kind": "max_share", "customers": ["buyer"], "basis": "provenance",
                 "share": 1.0, "product": "magnet"},
                {"name": "cn_oxide_exports", "kind": "export_cap", "group": "covered", "product": "oxide",
                 "quantity": {2025: 25, 2026: 25}},
                {"name": "au_floor", "kind": "price_floor", "facility": "mine_au", "product": "ore", "floor": 30,
                 "market": {2025: 20, 2026: 24}, "accounting": "cost"},
                {"name": "cn_floor", "kind": "price_floor", "facility": "mine_cn", "product": "ore", "floor": 12,
                 "market": 10},
                {"name": "clean_supply", "kind": "offtake", "customer": "clean_buyer", "product": "magnet", "quantity": 10},
                {"name": "two_separators", "kind": "max_open", "stage": "separation", "count": 2},
                {"name": "no_giant_mine", "kind": "max_supplier_share", "stage": "mine", "share": 0.9},
            ],
        },
        {
            "countries": [{"country": "CN", "groups": "covered"}, {"country": "US", "groups": "allies"},
                          {"country": "AU", "groups": "allies"}],
            "products": [{"product": "ore"}, {"product": "oxide"}, {"product": "ce_oxide", "surplus_value": 2},
                         {"product": "magnet"}],
            "facilities": [
                {"facility": "mine_cn", "stage": "mine", "country": "CN", "capacity": 200, "cost": 10},
                {"facility": "mine_au", "stage": "mine", "country": "AU", "capacity": 100, "cost": 15},
                {"facility": "sep_cn", "stage": "separation", "country": "CN", "capacity": None, "cost": 5, "fixed_cost": 10},
                {"facility": "sep_us", "stage": "separation", "country": "US", "capacity": 50, "cost": 6,
                 "fixed_cost": 100, "status": "candidate"},
                {"facility": "magnet_us", "stage": "magnet", "country": "US", "capacity": 100, "cost": 5},
            ],
            "recipes": [
                {"facility": "mine_cn", "product": "ore", "direction": "out", "ratio": 1},
                {"facility": "mine_au", "product": "ore", "direction": "out", "ratio": 1},
                *[
                    {"facility": sep, "product": p, "direction": d, "ratio": r}
                    for sep in ("sep_cn", "sep_us")
                    for p, d, r in (("ore", "in", 1), ("oxide", "out", 0.5), ("ce_oxide", "out", 0.5))
                ],
                {"facility": "magnet_us", "product": "oxide", "direction": "in", "ratio": 1},
                {"facility": "magnet_us", "product": "magnet", "direction": "out", "ratio": 1},
            ],
            "lanes": [
                {"origin": "mine_cn", "destination": "sep_cn", "product": "ore", "cost": 1},
                {"origin": "mine_au", "destination": "sep_cn", "product": "ore", "cost": 2},
                {"origin": "mine_au", "destination": "sep_us", "product": "ore", "cost": 2, "capacity": 90},
                {"origin": "sep_cn", "destination": "magnet_us", "product": "oxide", "cost": 1, "tariff": 3},
                {"origin": "sep_us", "destination": "magnet_us", "product": "oxide", "cost": 1},
                {"origin": "magnet_us", "destination": "buyer", "product": "magnet"},
                {"origin": "magnet_us", "destination": "clean_buyer", "product": "magnet"},
            ],
            "demands": [
                {"customer": c, "country": "US", "product": "magnet", "period": t, "quantity": q, "penalty": pen,
                 "provenance": prov}
                for t in PERIODS
                for c, q, pen, prov in (("buyer", 30, 1000, "any"), ("clean_buyer", 20 if t == 2025 else 35, None, "clean"))
            ],
            "capacity": [{"facility": "magnet_us", "period": 2025, "capacity": 45}],
            "expansions": [{"facility": "sep_us", "first_period": 2026, "size": 20, "capex": 50, "integer": True,
                            "max_steps": 3}],
        },
    )


def solve_into(instance: Path, out: Path, **kw: Any) -> Path:
    """Solve ``instance`` and write its results folder ``out``."""
    return write_results(run(instance, **kw), out)


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """name -> (instance folder, results folder), solved once for the module."""
    base = tmp_path_factory.mktemp("check")
    rich = rich_chain(base / "rich")
    simple = two_mine_chain(base / "simple", periods=PERIODS, discount_rate=0.1)
    short = two_mine_chain(base / "short")
    demands = short / "demands.csv"
    demands.write_text(demands.read_text().replace(",40,", ",500,"))  # 500 magnets need 1000 t of ore: infeasible
    return {
        "rich": (rich, solve_into(rich, base / "rich_out")),
        "simple": (simple, solve_into(simple, base / "simple_out")),
        "infeasible": (short, solve_into(short, base / "short_out", explain_infeasible=False)),
    }


@pytest.fixture
def rich(solved: dict, tmp_path: Path) -> Path:
    """A fresh copy of the rich chain's results folder, free to tamper with."""
    return Path(shutil.copytree(solved["rich"][1], tmp_path / "results"))


def edit_csv(folder: Path, name: str, edit: Callable[[list[dict[str, str]]], list[dict[str, str]] | None]) -> None:
    """Rewrite ``<name>.csv`` after ``edit`` changed its rows (cells stay strings)."""
    path = folder / f"{name}.csv"
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    rows = edit(rows) or rows
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def set_cell(match: dict[str, str], column: str, value: Any, rows_matched: int = 1) -> Callable[[list[dict[str, str]]], None]:
    """An edit setting ``column`` to ``value`` in the rows whose cells equal ``match`` (``rows_matched`` of them)."""

    def edit(rows: list[dict[str, str]]) -> None:
        hits = [r for r in rows if all(r[k] == v for k, v in match.items())]
        assert len(hits) == rows_matched, f"{match} matches {len(hits)} rows"
        for r in hits:
            r[column] = str(value)

    return edit


def drop_row(match: dict[str, str]) -> Callable[[list[dict[str, str]]], list[dict[str, str]]]:
    """An edit removing the one row whose cells equal ``match``."""

    def edit(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        kept = [r for r in rows if not all(r[k] == v for k, v in match.items())]
        assert len(kept) == len(rows) - 1
        return kept

    return edit


def edit_summary(folder: Path, edit: Callable[[dict], None]) -> None:
    path = folder / "summary.json"
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def edit_policy(instance: Path, copy_to: Path, name: str, **changes: Any) -> Path:
    """A copy of ``instance`` with the policy ``name`` changed."""
    folder = Path(shutil.copytree(instance, copy_to))
    head = yaml.safe_load((folder / "instance.yaml").read_text())
    policy = next(p for p in head["policies"] if p["name"] == name)
    policy.update(changes)
    (folder / "instance.yaml").write_text(yaml.safe_dump(head, sort_keys=False))
    return folder


# ============================================================================================
# solved plans pass
# ============================================================================================


def test_rich_plan_passes_and_exercises_every_family(solved: dict) -> None:
    report = check_results(solved["rich"][1])
    assert report.ok, report.violations
    for family in ("flows", "activity", "surplus", "product_balance", "provenance", "demand_balance", "capacity_limit",
                   "candidates", "expansions", "lane_capacity", "max_open", "max_share", "stage_shares", "offtake",
                   "export_cap", "max_supplier_share", "costs", "objective", "transfers"):
        assert report.checked.get(family, 0) > 0, family
    assert re.fullmatch(r"check passed: 21 families, \d[\d,]* rows, objective 10,888 USD = sum of cost terms = dual objective \(optimal\)",
                        report.headline())


def test_rich_plan_uses_the_features_under_test(solved: dict) -> None:
    """Guard: the rich plan really opens, expands, leaves surplus, misses demand and pays the floor."""
    out = solved["rich"][1]
    investments = (out / "investments.csv").read_text()
    assert "sep_us,2025,open" in investments and "sep_us,2026,expansion,2.0" in investments
    assert "ce_oxide" in (out / "surplus.csv").read_text()
    assert "buyer,magnet,2025,any,30.0,25.0,5.0" in (out / "unmet.csv").read_text()
    costs = (out / "costs.csv").read_text()
    # two steps of 50 USD, annualised over the default 20 years at 5%: 2 x 50 x 0.05 / (1 - 1.05^-20)
    capex = pd.read_csv(out / "costs.csv").set_index(["term", "period"])["cost"]
    assert "price_floor,2025,400.0" in costs and capex["capex", 2026] == pytest.approx(100 * 0.05 / (1 - 1.05 ** -20))


def test_simple_plan_passes_with_discounting(solved: dict) -> None:
    report = check_results(solved["simple"][1])
    assert report.ok, report.violations
    assert "provenance" not in report.checked  # nothing cares about provenance here


def test_summary_json_path_is_accepted(solved: dict) -> None:
    assert check_results(solved["simple"][1] / "summary.json").ok


def test_no_solution_is_reported_without_violations(solved: dict) -> None:
    report = check_results(solved["infeasible"][1])
    assert not report.ok and report.violations == []
    assert report.headline() == "no solution to check: status infeasible"


def test_changes_within_tolerance_pass(rich: Path) -> None:
    edit_csv(rich, "flows", set_cell({"origin": "mine_cn", "period": "2025"}, "quantity", 50 + 1e-9))
    assert check_results(rich).ok


# ============================================================================================
# tampered tables fail with the right line
# ============================================================================================

FLOW_CN_2025 = {"origin": "mine_cn", "destination": "sep_cn", "period": "2025"}
CLEAN_MAGNETS_2025 = {"destination": "clean_buyer", "period": "2025"}

TAMPERED_TABLES = [
    ("raised flow", "flows", set_cell(FLOW_CN_2025, "quantity", 60),
     "product_balance mine_cn ore 2025: supply 50 (in 0 + made 50) != use 60 (out 60 + used 0 + surplus 0)"),
    ("negative flow", "flows", set_cell(FLOW_CN_2025, "quantity", -1),
     "flows mine_cn -> sep_cn ore 2025 (touched): quantity -1 < 0"),
    ("activity above capacity", "activity", set_cell({"facility": "mine_cn", "period": "2025"}, "activity", 250),
     "capacity_limit mine_cn 2025: activity 250 > capacity 200"),
    ("wrong capacity column", "activity",
     set_cell({"facility": "magnet_us", "period": "2025"}, "capacity", 100.0, rows_matched=2),
     "capacity_limit magnet_us 2025: activity.csv capacity 100 != recomputed capacity 45"),
    ("activity rows disagree", "activity",
     set_cell({"facility": "sep_us", "period": "2025", "provenance": "touched"}, "capacity", 60),
     "activity sep_us 2025 (touched): capacity 60 != capacity on line 8 50"),
    ("touched flow to a clean customer", "flows", set_cell(CLEAN_MAGNETS_2025, "provenance", "touched"),
     "flows magnet_us -> clean_buyer magnet 2025 (touched): customer clean_buyer takes only clean magnet, got touched"),
    ("touched magnets relabelled clean", "flows",
     set_cell({"destination": "buyer", "period": "2025"}, "provenance", "clean"),
     "provenance magnet_us magnet 2025: clean use 45 > clean supply 20"),
    ("clean co-product relabelled touched", "surplus",
     set_cell({"facility": "sep_us", "period": "2025"}, "provenance", "touched"),
     "provenance sep_us ce_oxide 2025: 20 t of clean ce_oxide downgraded, but only inputs of a facility with a "
     "touched mode can be"),
    ("tag a source cannot make", "activity", set_cell({"facility": "mine_au", "period": "2025"}, "provenance", "touched"),
     "activity mine_au 2025 (touched): tag touched is not a mode of mine_au; expected clean"),
    ("surplus cut", "surplus", set_cell({"facility": "sep_cn", "period": "2025"}, "quantity", 20),
     "product_balance sep_cn ce_oxide 2025: supply 25 (in 0 + made 25) != use 20 (out 0 + used 0 + surplus 20)"),
    ("unmet row dropped", "unmet", drop_row({"customer": "buyer", "period": "2025"}),
     "demand_balance buyer magnet 2025: unmet.csv has no row"),
    ("hard demand left unmet", "unmet", set_cell({"customer": "clean_buyer", "period": "2025"}, "unmet", 5),
     "demand_balance clean_buyer magnet 2025: unmet 5 on a hard demand (blank penalty)"),
    ("flow on an unlisted lane", "flows",
     lambda rows: rows + [{**rows[0], "origin": "mine_cn", "destination": "sep_us", "product": "ore", "quantity": "0.0"}],
     "flows mine_cn -> sep_us ore 2025 (touched): no such lane in lanes.csv"),
    ("repeated flow row", "flows", lambda rows: rows + [dict(rows[0])],
     "duplicates flows.csv line 15: repeats the row at line 2 (magnet_us, buyer, magnet, 2025, touched)"),
    ("candidate closes again", "activity",
     set_cell({"facility": "sep_us", "period": "2026"}, "open", 0, rows_matched=2),
     "candidates sep_us 2026: closes after having opened (open goes 1 -> 0)"),
    ("opening not listed", "investments", drop_row({"kind": "open"}),
     "candidates sep_us: investments.csv lists `open` in no year; expected [2025]"),
    ("fractional integer expansion", "investments", set_cell({"kind": "expansion"}, "steps", 1.5),
     "expansions sep_us 2026: steps 1.5 is not whole (integer expansion)"),
    ("expansion beyond max_steps", "investments", set_cell({"kind": "expansion"}, "steps", 4),
     "expansions sep_us 2026: steps built so far 4 > max_steps x open 3"),
    ("lead time misreported", "investments", set_cell({"kind": "open"}, "lead_time", 1),
     "candidates sep_us 2025: lead_time 1 != lead_time (blank: 0) 0"),
    ("decision before the horizon", "investments", set_cell({"kind": "expansion"}, "decision_year", 2024),
     "expansions sep_us 2026: decided in 2024, before the horizon starts (2025)"),
    ("annuity misreported", "investments", set_cell({"kind": "expansion"}, "annuity", 100),
     "expansions sep_us 2026: annuity 100 != steps x capex x CRF(rate, lifetime) 8.024258719"),
    ("period weight misreported", "costs", set_cell({"term": "production", "period": "2026"}, "weight", 1.0),
     "costs production 2026: weight 1 != discounted years of the period 0.9523809524"),
    ("transfer row changed", "costs", set_cell({"term": "price_floor", "period": "2026", "kind": "transfer"}, "cost", 0),
     "costs price_floor 2026 (transfer): costs.csv cost 0 != recomputed 100"),
    ("transfer counted as a cost", "costs", set_cell({"term": "price_floor", "period": "2025", "kind": "transfer"}, "kind", "cost"),
     "costs price_floor 2025 (transfer): costs.csv has no row; recomputed cost 100"),
    ("cost row changed", "costs", set_cell({"term": "tariff", "period": "2025"}, "cost", 70),
     "costs tariff 2025: costs.csv cost 70 != recomputed 75"),
    ("undiscounted cost", "costs", set_cell({"term": "production", "period": "2026"}, "discount_factor", 1.0),
     "costs production 2026: discount_factor 1 != (1+r)^-(t-t0) 0.9523809524"),
    ("offtake misreported", "offtakes", set_cell({"period": "2025"}, "delivered", 25),
     "offtake clean_supply 2025: offtakes.csv delivered 25 != recomputed 20"),
    ("share misreported", "shares", set_cell({"policy": "cn_separation", "period": "2025"}, "numerator", 40),
     "max_share cn_separation 2025: shares.csv numerator 40 != recomputed 25"),
]


@pytest.mark.parametrize("table, edit, expected", [c[1:] for c in TAMPERED_TABLES], ids=[c[0] for c in TAMPERED_TABLES])
def test_tampered_table_is_reported(rich: Path, table: str, edit: Callable, expected: str) -> None:
    edit_csv(rich, table, edit)
    report = check_results(rich)
    assert not report.ok
    assert expected in report.violations, "\n".join(report.violations)
    assert report.headline().startswith(f"check FAILED: {len(report.violations)} violation")


def test_changed_objective_is_reported(rich: Path) -> None:
    edit_summary(rich, lambda s: s.update(objective=s["objective"] + 100))
    report = check_results(rich)
    assert len(report.violations) == 2
    assert report.violations[0].startswith("objective summary.json: objective 10987.88025 != sum of recomputed cost terms 10887.88025")
    # and the duals no longer certify it: they price the plan at what it costs
    assert report.violations[1] == ("strong_duality summary.json: objective 10987.88025 != dual objective 10887.88025 "
                                    "(gap 0.0091 relative, tolerance 1e-06)")


def test_changed_transfer_is_reported(rich: Path) -> None:
    edit_summary(rich, lambda s: s["transfers"]["price_floor"].update(total=1.0))
    assert check_results(rich).violations == [
        "transfers price_floor: summary.json total 1 != recomputed total 200"]


def test_changed_cost_breakdown_is_reported(rich: Path) -> None:
    edit_summary(rich, lambda s: s["cost_breakdown"].update(tariff=0.0))
    assert check_results(rich).violations == [
        "objective cost_breakdown tariff: summary.json 0 != recomputed 146.4285714"]


# ============================================================================================
# a stricter instance (via --instance) fails the policy it tightens
# ============================================================================================

TIGHTER_POLICIES = [
    ("cn_oxide_exports", {"quantity": 20}, "export_cap cn_oxide_exports 2025: exports 25 > cap 20"),
    ("cn_separation", {"share": 0.5}, "max_share cn_separation 2025: numerator 25 > cap 0.5 x denominator 22.5"),
    ("clean_supply", {"quantity": 30}, "offtake clean_supply 2025: required 30 > clean deliveries 20"),
    ("no_giant_mine", {"share": 0.5}, "max_supplier_share no_giant_mine mine_au 2026: output 80 > share 0.5 x stage output 65"),
    ("two_separators", {"count": 1}, "max_open two_separators 2025: open separation facilities 2 > count 1"),
    ("au_floor", {"floor": 40}, "costs price_floor 2025: costs.csv cost 400 != recomputed 800"),
]


@pytest.mark.parametrize("policy, changes, expected", TIGHTER_POLICIES, ids=[c[0] for c in TIGHTER_POLICIES])
def test_tighter_policy_is_reported(solved: dict, tmp_path: Path, policy: str, changes: dict, expected: str) -> None:
    instance, results = solved["rich"]
    stricter = edit_policy(instance, tmp_path / "stricter", policy, **changes)
    report = check_results(results, instance=stricter)
    assert expected in report.violations, "\n".join(report.violations)
    assert "note: the instance changed after this solve" in report.headline()


# ============================================================================================
# input problems
# ============================================================================================


def test_missing_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such results folder"):
        check_results(tmp_path / "nowhere")


def test_folder_without_summary_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no summary.json"):
        check_results(tmp_path)


def test_missing_table_is_an_input_error(rich: Path) -> None:
    (rich / "flows.csv").unlink()
    with pytest.raises(InputError, match="flows.csv:-:-: results table is missing"):
        check_results(rich)


def test_bad_cell_is_an_input_error(rich: Path) -> None:
    edit_csv(rich, "flows", set_cell(FLOW_CN_2025, "quantity", "lots"))
    with pytest.raises(InputError) as info:
        check_results(rich)
    assert [f.column for f in info.value.findings] == ["quantity"]
    assert "expected a number, got 'lots'" in str(info.value)


# ============================================================================================
# independence and the command line
# ============================================================================================


def test_cli_passes_with_exit_0(solved: dict) -> None:
    result = CliRunner().invoke(main, ["check", str(solved["rich"][1])])
    assert result.exit_code == 0, result.output
    assert "check passed: 21 families" in result.stdout


def test_cli_reports_violations_with_exit_1(rich: Path) -> None:
    edit_csv(rich, "activity", set_cell({"facility": "mine_cn", "period": "2025"}, "activity", 250))
    result = CliRunner().invoke(main, ["check", str(rich)])
    assert result.exit_code == 1
    assert "capacity_limit mine_cn 2025: activity 250 > capacity 200" in result.stdout
    assert "check FAILED" in result.stdout


def test_cli_no_solution_exits_1(solved: dict) -> None:
    result = CliRunner().invoke(main, ["check", str(solved["infeasible"][1])])
    assert result.exit_code == 1
    assert result.stdout.strip() == "no solution to check: status infeasible"


def test_cli_missing_folder_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "no such results folder" in result.stderr


def test_cli_instance_option_overrides_summary(solved: dict, tmp_path: Path) -> None:
    instance, results = solved["rich"]
    stricter = edit_policy(instance, tmp_path / "stricter", "cn_oxide_exports", quantity=20)
    result = CliRunner().invoke(main, ["check", str(results), "--instance", str(stricter)])
    assert result.exit_code == 1
    assert "export_cap cn_oxide_exports 2025: exports 25 > cap 20" in result.stdout


def test_cli_tol_option_loosens_rows(rich: Path) -> None:
    edit_csv(rich, "flows", set_cell(FLOW_CN_2025, "quantity", 50.001))
    assert CliRunner().invoke(main, ["check", str(rich)]).exit_code == 1
    assert CliRunner().invoke(main, ["check", str(rich), "--tol", "1e-4"]).exit_code == 0


def test_check_module_does_not_load_the_solver_stack() -> None:
    """The checker is an independent oracle: importing it must not pull in Pyomo or HiGHS."""
    import subprocess
    import sys

    code = "import sys, optimizer.check.checker; print(sorted(m for m in ('pyomo', 'highspy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"

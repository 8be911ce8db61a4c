"""``optimizer.check.checker``: summary.json's shares, offtakes, unmet and built lists, and shares.csv's
binding/stage/basis/group columns, are recomputed from the plan; tampering with any of them fails
with the right line.

The rich chain of ``tests/check/test_check.py`` (stage and customer shares, an offtake, 5 t unmet, a
candidate opened in 2025 and expanded by 2 steps of 20 in 2026) is solved once for the module;
each tamper test edits a fresh copy of its results folder.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner

from optimizer.core.errors import InputError
from optimizer.check.checker import Checker, PlanTables, read_tables
from optimizer.check.results import check_results
from optimizer.core.contract import read_summary
from optimizer.cli import main
from optimizer.input.load import load_instance
from optimizer.pipeline import run
from optimizer.results.write import write_results
from tests.check.test_check import edit_csv, edit_summary, rich_chain, set_cell, solve_into
from tests.helpers import ROOT

US_INSTANCE = ROOT / "instances" / "us_mine_to_magnet"


@pytest.fixture(scope="module")
def solved_rich(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rich chain's results folder, solved once for the module (do not edit: copy it)."""
    base = tmp_path_factory.mktemp("check_summary")
    return solve_into(rich_chain(base / "rich"), base / "rich_out")


@pytest.fixture
def rich(solved_rich: Path, tmp_path: Path) -> Path:
    """A fresh copy of the rich chain's results folder, free to tamper with."""
    return Path(shutil.copytree(solved_rich, tmp_path / "results"))


@pytest.fixture(scope="module")
def solved_us(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """instances/us_mine_to_magnet solved as `m2m solve` would, once for the module."""
    return write_results(run(US_INSTANCE), tmp_path_factory.mktemp("check_us") / "results")


def entry(entries: list[dict], **match: object) -> dict:
    """The one entry of a summary list whose fields equal ``match``."""
    hits = [e for e in entries if all(e.get(k) == v for k, v in match.items())]
    assert len(hits) == 1, f"{match} matches {len(hits)} entries"
    return hits[0]


# ============================================================================================
# solved plans pass
# ============================================================================================


def test_rich_plan_passes_with_summary_lists_checked(solved_rich: Path) -> None:
    report = check_results(solved_rich)
    assert report.ok, report.violations
    # 4 shares + 2 offtakes + 1 unmet total + 1 product + 2 built
    assert report.checked["summary"] == 10


def test_rich_summary_has_what_the_tampering_tests_edit(solved_rich: Path) -> None:
    """Guard: the summary holds the entries the tests below change."""
    s = json.loads((solved_rich / "summary.json").read_text())
    assert entry(s["shares"], policy="cn_separation", period=2025)["binding"] is False
    assert entry(s["shares"], policy="buyer_touched", period=2025)["binding"] is True
    assert entry(s["offtakes"], policy="clean_supply", period=2025)["delivered"] == 20
    assert s["unmet"] == {"total_t": 5.0, "by_product": {"magnet": 5.0}}
    assert sorted((b["facility"], b["period"], b["kind"], b["capacity_added"]) for b in s["built"]) == [
        ("sep_us", 2025, "open", 50.0), ("sep_us", 2026, "expansion", 40.0)]


def test_us_mine_to_magnet_passes(solved_us: Path) -> None:
    s = json.loads((solved_us / "summary.json").read_text())
    assert any(e["cap"] == 0 for e in s["shares"]) and s["offtakes"] and s["built"]  # what this test is for
    report = check_results(solved_us)
    assert report.ok, report.violations
    assert report.checked["summary"] >= len(s["shares"]) + len(s["offtakes"]) + len(s["built"]) + 1


def test_older_summary_without_an_empty_list_passes(solved_us: Path, tmp_path: Path) -> None:
    """A summary written before ``unmet`` existed passes when nothing is unmet."""
    folder = Path(shutil.copytree(solved_us, tmp_path / "results"))
    edit_summary(folder, lambda s: s.pop("unmet"))
    report = check_results(folder)
    assert report.ok, report.violations


# ============================================================================================
# a tampered summary fails with the right line (and only that one)
# ============================================================================================


def set_field(key: str, field: str, value: object, **match: object) -> Callable[[dict], None]:
    """An edit setting ``field`` of the one ``key`` entry matching ``match``."""
    return lambda s: entry(s[key], **match).update({field: value})


def drop_entry(key: str, **match: object) -> Callable[[dict], None]:
    """An edit removing the one ``key`` entry matching ``match``."""
    return lambda s: s[key].remove(entry(s[key], **match))


CN_2025 = {"policy": "cn_separation", "period": 2025}
OPEN_2025 = {"facility": "sep_us", "period": 2025, "kind": "open"}
EXPANSION_2026 = {"facility": "sep_us", "period": 2026, "kind": "expansion"}

TAMPERED_SUMMARIES = [
    ("share changed", set_field("shares", "share", 0.5, **CN_2025),
     "summary shares cn_separation 2025: summary.json share 0.5 != recomputed 0.5555555556"),
    ("share nulled", set_field("shares", "share", None, **CN_2025),
     "summary shares cn_separation 2025: summary.json share blank != recomputed 0.5555555556"),
    ("binding flipped on", set_field("shares", "binding", True, **CN_2025),
     "summary shares cn_separation 2025: summary.json binding True != recomputed False (share 0.5555555556, cap 0.8)"),
    ("binding flipped off at the cap", set_field("shares", "binding", False, policy="buyer_touched", period=2025),
     "summary shares buyer_touched 2025: summary.json binding False != recomputed True (share 1, cap 1)"),
    ("cap changed", set_field("shares", "cap", 0.9, **CN_2025),
     "summary shares cn_separation 2025: summary.json cap 0.9 != recomputed 0.8"),
    ("members changed", set_field("shares", "members", "CN, US", **CN_2025),
     "summary shares cn_separation 2025: summary.json members 'CN, US' != recomputed 'CN'"),
    ("stage changed", set_field("shares", "stage", "magnet", **CN_2025),
     "summary shares cn_separation 2025: summary.json stage 'magnet' != recomputed 'separation'"),
    ("shares entry removed", drop_entry("shares", policy="cn_separation", period=2026),
     "summary shares cn_separation 2026: missing from summary.json"),
    ("shares entry for no policy", lambda s: s["shares"].append({**s["shares"][0], "period": 2030}),
     "summary shares buyer_touched 2030: summary.json entry for no max_share policy in force"),
    ("shares key missing", lambda s: s.pop("shares"), "summary shares: summary.json has no shares"),
    ("offtake delivered changed", set_field("offtakes", "delivered", 25, policy="clean_supply", period=2025),
     "summary offtakes clean_supply 2025: summary.json delivered 25 != recomputed 20"),
    ("offtake short changed", set_field("offtakes", "short", 3, policy="clean_supply", period=2026),
     "summary offtakes clean_supply 2026: summary.json short 3 != recomputed 0"),
    ("offtake entry removed", drop_entry("offtakes", policy="clean_supply", period=2026),
     "summary offtakes clean_supply 2026: missing from summary.json"),
    ("unmet total changed", lambda s: s["unmet"].update(total_t=7.0),
     "summary unmet: summary.json total_t 7 != recomputed 5"),
    ("unmet product dropped", lambda s: s["unmet"].update(by_product={}),
     "summary unmet magnet: summary.json by_product 0 != recomputed 5"),
    ("unmet key missing", lambda s: s.pop("unmet"), "summary unmet: summary.json has no unmet; recomputed total 5"),
    ("built entry removed", drop_entry("built", **OPEN_2025), "summary built sep_us 2025 open: missing from summary.json"),
    ("built capacity changed", set_field("built", "capacity_added", 20.0, **EXPANSION_2026),
     "summary built sep_us 2026 expansion: summary.json capacity_added 20 != recomputed 40"),
    ("built decision year changed", set_field("built", "decision_year", 2024, **EXPANSION_2026),
     "summary built sep_us 2026 expansion: summary.json decision_year 2024 != recomputed 2026"),
    ("built capacity made unlimited", set_field("built", "capacity_added", None, **OPEN_2025),
     "summary built sep_us 2025 open: summary.json capacity_added blank != recomputed 50"),
    ("built entry added", lambda s: s["built"].append({**OPEN_2025, "period": 2026, "capacity_added": 50.0}),
     "summary built sep_us 2026 open: summary.json entry for nothing built"),
    ("built entry repeated", lambda s: s["built"].append(dict(entry(s["built"], **EXPANSION_2026))),
     "summary built sep_us 2026 expansion: repeated in summary.json"),
    ("built key missing", lambda s: s.pop("built"), "summary built: summary.json has no built"),
]


@pytest.mark.parametrize("edit, expected", [c[1:] for c in TAMPERED_SUMMARIES], ids=[c[0] for c in TAMPERED_SUMMARIES])
def test_tampered_summary_is_reported(rich: Path, edit: Callable[[dict], None], expected: str) -> None:
    edit_summary(rich, edit)
    report = check_results(rich)
    assert not report.ok
    assert report.violations == [expected]


# ============================================================================================
# shares.csv's binding, stage, basis and group columns
# ============================================================================================

TAMPERED_SHARES = [
    ("binding flipped on", {"policy": "cn_separation", "period": "2025"}, "binding", "True",
     "max_share cn_separation 2025: shares.csv binding True != recomputed False (share 0.5555555556, cap 0.8)"),
    ("binding flipped off", {"policy": "buyer_touched", "period": "2025"}, "binding", "False",
     "max_share buyer_touched 2025: shares.csv binding False != recomputed True (share 1, cap 1)"),
    ("stage changed", {"policy": "cn_separation", "period": "2026"}, "stage", "mine",
     "max_share cn_separation 2026: shares.csv stage 'mine' != policy stage 'separation'"),
    ("basis changed", {"policy": "buyer_touched", "period": "2026"}, "basis", "location",
     "max_share buyer_touched 2026: shares.csv basis 'location' != policy basis 'provenance'"),
    ("group changed", {"policy": "cn_separation", "period": "2025"}, "group", "allies",
     "max_share cn_separation 2025: shares.csv group 'allies' != policy group 'covered'"),
]


@pytest.mark.parametrize("match, column, value, expected", [c[1:] for c in TAMPERED_SHARES],
                         ids=[c[0] for c in TAMPERED_SHARES])
def test_tampered_shares_column_is_reported(rich: Path, match: dict, column: str, value: str, expected: str) -> None:
    edit_csv(rich, "shares", set_cell(match, column, value))
    report = check_results(rich)
    assert report.violations == [expected]


def test_a_binding_cell_that_is_no_flag_is_bad_input(rich: Path) -> None:
    """An unreadable cell is an input problem (exit 2), as a number that is no number is."""
    edit_csv(rich, "shares", set_cell({"policy": "cn_separation", "period": "2025"}, "binding", "maybe"))
    with pytest.raises(InputError) as exc:
        check_results(rich)
    assert str(exc.value) == f"{rich / 'shares.csv'}:3:binding: expected True or False, got 'maybe'"


def test_binding_near_the_border_is_not_judged(solved_rich: Path) -> None:
    """binding = share >= cap - 1e-6; within tol x max(1, share, scale) of that border either answer passes."""
    summary = read_summary(solved_rich)
    checker = Checker(load_instance(summary["instance"]["path"]), PlanTables(read_tables(solved_rich)), summary, 1e-6)
    s = {"share": 0.8 - 1e-6 - 5e-7, "cap": 0.8, "scale": 1.0}  # 0.5 tol below the border
    assert checker.expected_binding(s) is None
    assert checker.expected_binding({**s, "share": 0.8 - 1e-6 - 2e-6}) is False  # 2 tol below
    assert checker.expected_binding({**s, "share": 0.8}) is True
    assert checker.expected_binding({**s, "share": 0.79}) is False
    assert checker.expected_binding({**s, "share": 0.8 - 1e-6 - 2e-6, "scale": 10.0}) is None  # small denominator
    assert checker.expected_binding({**s, "share": None, "cap": 0.0}) is True  # empty denominator: cap < 1
    assert checker.expected_binding({**s, "share": None, "cap": 1.0}) is False


# ============================================================================================
# the command line
# ============================================================================================


@pytest.mark.parametrize("edit, line", [
    (set_field("shares", "share", 0.5, **CN_2025),
     "summary shares cn_separation 2025: summary.json share 0.5 != recomputed 0.5555555556"),
    (drop_entry("built", **OPEN_2025), "summary built sep_us 2025 open: missing from summary.json"),
], ids=["share", "built list"])
def test_cli_exits_1_on_a_tampered_summary(rich: Path, edit, line: str) -> None:
    edit_summary(rich, edit)
    result = CliRunner().invoke(main, ["check", str(rich)])
    assert result.exit_code == 1, result.output
    assert line in result.stdout
    assert "check FAILED: 1 violation" in result.stdout


def test_cli_exits_1_on_a_flipped_binding_column(rich: Path) -> None:
    edit_csv(rich, "shares", set_cell({"policy": "cn_separation", "period": "2025"}, "binding", "True"))
    result = CliRunner().invoke(main, ["check", str(rich)])
    assert result.exit_code == 1, result.output
    assert "max_share cn_separation 2025: shares.csv binding True != recomputed False" in result.stdout

"""End-to-end tests of ``m2m`` through click's CliRunner, plus one real call of the console script.

Instances are the two-mine chain of ``tests.helpers.two_mine_chain``: a magnet from CN ore
costs 2*(10+1)+5 = 27 USD, from US ore 2*(20+1)+5 = 47 USD; 40 t of magnets from CN ore cost
1080 USD.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.solving.extract import COLUMNS
from optimizer.solving.infeasibility import INFEASIBILITY_COLUMNS
from tests.helpers import ROOT, cflp, edit_csv, two_mine_chain, write_instance

M2M = Path(sys.executable).with_name("m2m")
TABLE_FILES = {f"{name}.csv" for name in COLUMNS}

#: Scenario a: CN ore costs 15 (magnet 2*16+5 = 37); b: mine_cn capacity 30.
SCENARIOS = {
    "a": {"description": "dearer CN ore", "patch": {"facilities": [{"facility": "mine_cn", "cost": 15}]}},
    "b": {"description": "small CN mine", "patch": {"facilities": [{"facility": "mine_cn", "capacity": 30}]}},
}
#: Objectives: base 1080; a 80*16 + 200 = 1480; b 30*11 + 50*21 + 200 = 1580;
#: a+b 30*16 + 50*21 + 200 = 1730.
OBJECTIVE = {(): 1080, ("a",): 1480, ("b",): 1580, ("a", "b"): 1730}

#: CN mines may make at most 25% of the ore: 20 CN + 60 US -> 20*11 + 60*21 + 200 = 1680.
SHARE = {"kind": "max_share", "name": "cn_cap", "stage": "mine", "group": "covered", "share": 0.25}


def invoke(*args: str, ok: int | None = 0):
    result = CliRunner().invoke(main, [str(a) for a in args])
    if ok is not None:
        assert result.exit_code == ok, (result.exit_code, result.output, result.exception)
    return result


def summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def header(path: Path) -> list[str]:
    with path.open(newline="") as fh:
        return next(csv.reader(fh))



@pytest.fixture
def inst(tmp_path) -> Path:
    """Two-mine chain, two years, the 25% CN share cap, scenarios a and b."""
    return two_mine_chain(tmp_path / "chain", periods=[2025, 2026], policies=[SHARE], scenarios=SCENARIOS)


@pytest.fixture
def plain(tmp_path) -> Path:
    """One year, no policy, scenarios a and b."""
    return two_mine_chain(tmp_path / "plain", scenarios=SCENARIOS)


@pytest.fixture
def infeasible(tmp_path) -> Path:
    """Hard demand 130 t magnets = 260 t ore > 200 t of mine capacity: short 30 t."""
    folder = two_mine_chain(tmp_path / "infeasible")
    edit_csv(folder / "demands.csv", {"customer": "buyer"}, quantity=130)
    return folder


# ============================================================================================
# m2m solve: files, columns, summary.json
# ============================================================================================


def test_solve_writes_summary_and_every_table_with_documented_columns(inst, tmp_path):
    out = tmp_path / "out"
    result = invoke("solve", inst, "--out", out)
    assert {p.name for p in out.iterdir()} == TABLE_FILES | {"summary.json"}
    for name, cols in COLUMNS.items():
        assert header(out / f"{name}.csv") == cols, name
    # console summary: status and the total cost 2 * 1680 = 3360 (no discounting)
    assert "status" in result.output and "optimal" in result.output
    assert "total cost" in result.output and "3,360" in result.output

    s = summary(out)
    assert s["status"] == "optimal"
    assert s["objective"] == pytest.approx(3360)
    assert sum(s["cost_breakdown"].values()) == pytest.approx(s["objective"], rel=1e-6)
    assert s["cost_breakdown"]["production"] == pytest.approx(2 * (20 * 10 + 60 * 20 + 40 * 5))
    assert s["cost_breakdown"]["transport"] == pytest.approx(2 * 80)
    assert [(r["policy"], r["period"], r["binding"]) for r in s["shares"]] == [("cn_cap", 2025, True), ("cn_cap", 2026, True)]
    assert [r["share"] for r in s["shares"]] == pytest.approx([0.25, 0.25])
    assert {"load", "build", "solve", "write"} <= set(s["timings"])
    assert all(v >= 0 for v in s["timings"].values())
    # 2 years x (6 columns; 7 rows + 1 share row)
    assert {k: s["size"][k] for k in ("variables", "constraints", "integers")} == {"variables": 12, "constraints": 16, "integers": 0}
    assert {"sha256", "inputs_sha256", "scenario", "package", "pyomo", "highspy", "options"} <= set(s["stamp"])
    assert s["stamp"]["scenario"] == []
    assert s["instance"]["name"] == "chain" and s["instance"]["periods"] == [2025, 2026]

    flows = list(csv.DictReader((out / "flows.csv").open()))
    assert {(f["origin"], f["period"], float(f["quantity"])) for f in flows if f["destination"] == "plant"} == {
        ("mine_cn", "2025", 20.0), ("mine_us", "2025", 60.0), ("mine_cn", "2026", 20.0), ("mine_us", "2026", 60.0)}


def test_stamp_is_stable_and_follows_the_inputs(inst, tmp_path):
    invoke("solve", inst, "--out", tmp_path / "r1", "--quiet")
    invoke("solve", inst, "--out", tmp_path / "r2", "--quiet")
    s1, s2 = summary(tmp_path / "r1")["stamp"], summary(tmp_path / "r2")["stamp"]
    assert s1 == s2
    edit_csv(inst / "demands.csv", {"period": 2026}, quantity=41)
    invoke("solve", inst, "--out", tmp_path / "r3", "--quiet")
    s3 = summary(tmp_path / "r3")["stamp"]
    assert s3["inputs_sha256"] != s1["inputs_sha256"]
    assert s3["sha256"] != s1["sha256"]
    assert {k: v for k, v in s3.items() if k not in ("sha256", "inputs_sha256")} == {
        k: v for k, v in s1.items() if k not in ("sha256", "inputs_sha256")}


def test_solver_options_are_recorded_in_the_stamp(inst, tmp_path):
    invoke("solve", inst, "--out", tmp_path / "o", "--time-limit", "30", "--mip-gap", "0.01", "--algorithm", "ipx", "-q")
    s = summary(tmp_path / "o")
    assert s["stamp"]["options"] == {"time_limit": 30.0, "mip_gap": 0.01, "threads": None, "algorithm": "ipx",
                                     "iis": False, "duals": True}
    assert s["algorithm"] == "ipx"
    assert s["objective"] == pytest.approx(3360)
    default = tmp_path / "d"
    invoke("solve", inst, "--out", default, "-q")
    assert summary(default)["stamp"]["sha256"] != s["stamp"]["sha256"]


def test_highs_options_reach_highs_and_are_recorded(plain, tmp_path):
    # No simplex iteration allowed, and no presolve to solve the LP without one: HiGHS stops
    # with nothing; the same solve without the options is optimal (1080 USD).
    r = invoke("solve", plain, "--out", tmp_path / "o", "--algorithm", "simplex", "--highs-option",
               "simplex_iteration_limit=0", "--highs-option", "presolve=on", "--highs-option", "presolve=off", "-q",
               ok=1)
    s = summary(tmp_path / "o")
    assert (s["status"], s["termination"]) == ("no_solution", "Iteration limit reached"), r.output
    assert s["stamp"]["options"]["highs"] == {"simplex_iteration_limit": 0, "presolve": "off"}  # the last one wins
    invoke("solve", plain, "--out", tmp_path / "p", "--algorithm", "simplex", "-q")
    assert summary(tmp_path / "p")["objective"] == pytest.approx(1080)
    assert "highs" not in summary(tmp_path / "p")["stamp"]["options"]


@pytest.mark.parametrize("spec, says", [
    ("no_such_option=1", "no_such_option: HiGHS has no such option"),
    ("mip_heuristic_effort=2", "mip_heuristic_effort=2: outside what HiGHS accepts"),
    ("presolve=sometimes", "presolve=sometimes: outside what HiGHS accepts"),
    ("mip_max_nodes=1.5", "mip_max_nodes=1.5: HiGHS expects an integer"),
    ("mip_detect_symmetry=maybe", "mip_detect_symmetry=maybe: HiGHS expects true or false"),
    ("time_limit=5", "time_limit: m2m sets this HiGHS option itself; use --time-limit"),
    ("threads=2", "use --threads"),
    ("solution_file=x.sol", "solution_file: m2m does not let HiGHS write files"),
    ("mip_heuristic_effort", "expected NAME=VALUE"),
])
def test_a_highs_option_highs_refuses_exits_2_before_solving(plain, tmp_path, spec, says):
    r = invoke("solve", plain, "--out", tmp_path / "o", "--highs-option", spec, ok=2)
    assert says in r.output
    assert not (tmp_path / "o").exists()


# ============================================================================================
# scenarios and output paths
# ============================================================================================


@pytest.mark.parametrize("args", [["--scenario", "a,b"], ["--scenario", "a", "--scenario", "b"], ["-s", "a", "-s", "b"]])
def test_scenarios_comma_separated_or_repeated(plain, tmp_path, args):
    out = tmp_path / "sc"
    invoke("solve", plain, "--out", out, "-q", *args)
    s = summary(out)
    assert s["instance"]["scenario"] == ["a", "b"]
    assert s["stamp"]["scenario"] == ["a", "b"]
    assert s["objective"] == pytest.approx(OBJECTIVE["a", "b"])


@pytest.mark.parametrize("scenario", [(), ("a",), ("b",), ("a", "b")])
def test_default_output_path(plain, tmp_path, monkeypatch, scenario):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    args = ["--scenario", ",".join(scenario)] if scenario else []
    result = invoke("solve", plain, *args)
    name = "plain" + (f"-{'+'.join(scenario)}" if scenario else "")
    out = cwd / "results" / name
    assert [p.name for p in (cwd / "results").iterdir()] == [name]
    assert summary(out)["objective"] == pytest.approx(OBJECTIVE[scenario])
    assert str(Path("results") / name) in result.output


def test_unknown_scenario_is_an_input_error(plain, tmp_path):
    out = tmp_path / "x"
    result = invoke("solve", plain, "--out", out, "--scenario", "nope", ok=2)
    assert "nope" in result.stderr
    assert not out.exists()


def test_bad_input_exits_2_and_writes_nothing(tmp_path):
    out = tmp_path / "x"
    result = invoke("solve", tmp_path / "does_not_exist", "--out", out, ok=2)
    assert "no such instance folder" in result.stderr
    assert not out.exists()


def test_rerun_replaces_the_folder_whole_but_keeps_what_solve_did_not_write(plain, infeasible, tmp_path):
    out = tmp_path / "same"
    invoke("solve", plain, "--out", out, "-q")
    (out / "notes.txt").write_text("a planner's notes on this run")
    result = invoke("solve", infeasible, "--out", out, "-q", ok=1)
    assert {p.name for p in out.iterdir()} == {"summary.json", "infeasibility.csv", "notes.txt"}  # old tables gone
    assert (out / "notes.txt").read_text() == "a planner's notes on this run"
    assert result.output == (f"kept from the previous results in {out}: notes.txt (they describe the previous run; "
                             "run m2m report again for a report of this one)\n")
    invoke("solve", plain, "--out", out, "-q")
    assert {p.name for p in out.iterdir()} == TABLE_FILES | {"summary.json", "notes.txt"}
    assert summary(out)["status"] == "optimal"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".same")]  # no temporary folders left


# ============================================================================================
# infeasible, unbounded, limits
# ============================================================================================


def test_infeasible_exits_1_with_diagnosis(infeasible, tmp_path):
    out = tmp_path / "inf"
    result = invoke("solve", infeasible, "--out", out, ok=1)
    assert {p.name for p in out.iterdir()} == {"summary.json", "infeasibility.csv"}
    s = summary(out)
    assert s["status"] == "infeasible"
    assert s["objective"] is None
    assert s["cost_breakdown"] == {}
    assert s["infeasibility"] == ["demand buyer 2025: short 30 t of magnet"]
    assert header(out / "infeasibility.csv") == INFEASIBILITY_COLUMNS
    rows = list(csv.DictReader((out / "infeasibility.csv").open()))
    assert [(r["rank"], r["constraint"], r["index"], float(r["violation"]), r["unit"]) for r in rows] == [
        ("1", "demand_balance", "buyer|magnet|2025", 30.0, "t/yr")]
    assert "infeasible" in result.output
    assert "short 30 t of magnet" in result.output


def test_iis_flag_writes_the_iis_into_the_summary(infeasible, tmp_path):
    out = tmp_path / "iis"
    invoke("solve", infeasible, "--out", out, "--iis", "-q", ok=1)
    s = summary(out)
    assert s["stamp"]["options"]["iis"] is True
    assert "demand_balance[buyer,magnet,2025]" in s["iis"]


def test_unbounded_exits_1_without_tables(tmp_path):
    """Ore left over earns 15 USD/t while the (now unlimited) CN mine makes it at 10."""
    folder = two_mine_chain(tmp_path / "unb")
    edit_csv(folder / "products.csv", {"product": "ore"}, surplus_value=15)
    edit_csv(folder / "facilities.csv", {"facility": "mine_cn"}, capacity="")
    out = tmp_path / "u"
    invoke("solve", folder, "--out", out, "-q", ok=1)
    assert [p.name for p in out.iterdir()] == ["summary.json"]
    assert summary(out)["status"] == "unbounded"



def test_tiny_time_limit_exit_code_matches_status(tmp_path):
    out = tmp_path / "tl"
    result = invoke("solve", cflp(tmp_path / "cflp"), "--out", out, "--time-limit", "0.001", "-q", ok=None)
    s = summary(out)
    assert s["status"] in ("feasible", "no_solution"), s["termination"]
    assert result.exit_code == (0 if s["status"] == "feasible" else 1)
    assert s["stamp"]["options"]["time_limit"] == 0.001
    files = {p.name for p in out.iterdir()}
    assert files == ({"summary.json"} | TABLE_FILES if s["status"] == "feasible" else {"summary.json"})


# ============================================================================================
# --quiet, --update-expected, help
# ============================================================================================


def test_quiet_prints_nothing(plain, tmp_path):
    result = invoke("solve", plain, "--out", tmp_path / "q", "--quiet")
    assert result.output == ""
    assert (tmp_path / "q" / "summary.json").exists()


def test_update_expected_writes_the_entry(plain, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(plain, copy)
    result = invoke("solve", copy, "--out", tmp_path / "e1", "-q", "--update-expected")
    assert "expected.json" in result.output and "[base]" in result.output
    invoke("solve", copy, "--out", tmp_path / "e2", "-q", "--update-expected", "--scenario", "a,b")
    data = json.loads((copy / "expected.json").read_text())
    assert list(data) == ["a+b", "base"]
    assert data["base"]["status"] == "optimal"
    assert data["base"]["objective"] == pytest.approx(OBJECTIVE[()])
    assert data["a+b"]["objective"] == pytest.approx(OBJECTIVE["a", "b"])
    assert data["base"]["duals"]["demand_balance|buyer|magnet|2025"] == pytest.approx(27)
    # a re-pin that moves figures needs a reason: refused (exit 2, nothing written) without one
    edit_csv(copy / "facilities.csv", {"facility": "plant"}, cost=6)
    refused = invoke("solve", copy, "--out", tmp_path / "e3", "-q", "--update-expected", ok=2)
    assert refused.output.count("\n") == 1 and "expected.json:-:--reason:" in refused.output
    assert "3 pinned figure(s) of [base]" in refused.output and "say why with --reason" in refused.output
    assert not (tmp_path / "e3").exists()
    assert json.loads((copy / "expected.json").read_text()) == data
    # with a reason, rewriting one entry keeps the other, and the moved figures are logged
    invoke("solve", copy, "--out", tmp_path / "e3", "-q", "--update-expected", "--reason", "plant cost 5 -> 6 USD/t")
    data = json.loads((copy / "expected.json").read_text())
    assert data["base"]["objective"] == pytest.approx(OBJECTIVE[()] + 40)
    assert data["a+b"]["objective"] == pytest.approx(OBJECTIVE["a", "b"])
    assert not (plain / "expected.json").exists()
    log = (copy / "expected-changes.md").read_text()
    assert log.count("First pinned.") == 2
    base_change = log.split("[base]")[-1]
    assert "Reason: plant cost 5 -> 6 USD/t" in base_change
    assert f"`objective: {float(OBJECTIVE[()])!r} -> {float(OBJECTIVE[()] + 40)!r}`" in base_change
    assert "duals.demand_balance|buyer|magnet|2025: 27.0 -> 28.0" in base_change
    # re-pinning an unchanged entry records nothing
    invoke("solve", copy, "--out", tmp_path / "e4", "-q", "--update-expected")
    assert (copy / "expected-changes.md").read_text() == log


def test_help_lists_commands_and_options():
    top = invoke("--help")
    for command in ("solve", "validate", "check"):
        assert command in top.output
    solve = invoke("solve", "--help")
    for option in ("--time-limit", "--mip-gap", "--threads", "--iis", "--scenario", "--out", "--quiet",
                   "--update-expected", "--reason", "--algorithm"):
        assert option in solve.output, option


# ============================================================================================
# the real console script
# ============================================================================================


def test_console_script_subprocess(inst, tmp_path):
    """A fresh process (so --threads is safe to set) through the installed `m2m` entry point."""
    out = tmp_path / "sub"
    proc = subprocess.run(
        [str(M2M), "solve", str(inst), "--out", str(out), "--threads", "1", "--mip-gap", "0.001"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "optimal" in proc.stdout and "3,360" in proc.stdout
    s = summary(out)
    assert s["status"] == "optimal"
    assert s["stamp"]["options"]["threads"] == 1 and s["stamp"]["options"]["mip_gap"] == 0.001
    assert math.isclose(sum(s["cost_breakdown"].values()), s["objective"], rel_tol=1e-6)
    assert {p.name for p in out.iterdir()} == TABLE_FILES | {"summary.json"}


def test_the_console_summary_lists_what_was_built(tmp_path):
    root = Path(__file__).resolve().parent.parent / "instances"
    result = invoke("solve", root / "tiny_capex_annuity", "--out", tmp_path / "a")
    assert "built" in result.output
    assert [line for line in result.output.splitlines() if "mine_new" in line] == [
        "│ mine_new │ 2025 │ expansion │ 100.0 units/yr │    2025 │"]
    result = invoke("solve", root / "tiny_unlimited_candidate", "--out", tmp_path / "b")
    assert [line for line in result.output.splitlines() if "new_plant" in line] == [
        "│ new_plant │ 2025 │ opened │      unlimited │    2025 │"]


def test_the_command_line_starts_without_the_table_and_solver_stacks() -> None:
    """Importing the CLI (every command starts there) loads neither pandas nor Pyomo nor HiGHS:
    `m2m --version`, `validate` and `check` never need them."""
    import subprocess
    import sys

    code = ("import sys, optimizer.cli, optimizer.check.results; "
            "print(sorted(m for m in ('pandas', 'pyomo', 'highspy', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_a_solve_loads_scipy_sparse_without_the_rest_of_scipy() -> None:
    """Pyomo would import scipy.stats, scipy.spatial and scipy.integrate with SciPy (over 1 s of
    every solve); optimizer.model.lean keeps to scipy.sparse, the one package the model uses."""
    import subprocess
    import sys

    code = ("import sys, optimizer.pipeline, optimizer.solving.extensive, optimizer.tools.sweep, optimizer.tools.hedge; "
            "print(sorted(m for m in ('scipy.sparse', 'scipy.stats', 'scipy.spatial', 'scipy.integrate') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "['scipy.sparse']"


def test_the_m2m_command_keeps_its_exit_codes_and_output(tmp_path) -> None:
    """The console script leaves without tearing its objects down (optimizer.cli.entry): what it
    printed is all there, on the right stream, with the command's exit code."""
    import subprocess

    ok = subprocess.run([str(M2M), "solve", str(ROOT / "instances" / "tiny_hedge"), "--out", str(tmp_path / "a")],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "optimal" in ok.stdout and (tmp_path / "a" / "summary.json").is_file()
    bad = subprocess.run([str(M2M), "validate", str(tmp_path / "missing")], capture_output=True, text=True)
    assert (bad.returncode, bad.stdout, bad.stderr.strip()) == (2, "", f"{tmp_path / 'missing'}:-:-: no such instance folder")
    none = subprocess.run([str(M2M), "solve", str(ROOT / "instances" / "tiny_infeasible"), "--out", str(tmp_path / "b"),
                           "--quiet"], capture_output=True, text=True)
    assert none.returncode == 1

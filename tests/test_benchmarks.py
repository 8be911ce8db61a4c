"""The benchmark report's plumbing (no timing is asserted anywhere): each script replaces its own
section of benchmarks/results.md and leaves the others, and m2m's phases add up to its wall time."""

from __future__ import annotations

import json
import sys

import pytest

from tests.helpers import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import end_to_end  # noqa: E402
import report  # noqa: E402


def test_a_section_is_replaced_and_the_others_kept_in_order(tmp_path):
    path = tmp_path / "results.md"
    report.write_section("solver-paths", "## Solver paths\n\nold", path, order=report.ORDER)
    report.write_section("end-to-end", "## End to end\n\nfirst", path, order=report.ORDER)
    report.write_section("end-to-end", "## End to end\n\nsecond", path, order=report.ORDER)
    text = path.read_text()
    got = report.sections(text)
    assert list(got) == ["machine", "end-to-end", "solver-paths"]
    assert got["end-to-end"] == "## End to end\n\nsecond" and got["solver-paths"] == "## Solver paths\n\nold"
    assert text.startswith("# Benchmark results")
    report.write_section("end-to-end", "third", path, append=True, order=report.ORDER)
    assert report.sections(path.read_text())["end-to-end"] == "## End to end\n\nsecond\n\nthird"


def test_phases_cover_the_process_wall_time():
    summary = {"timings": {"load": 1.0, "build": 2.0, "solve": 10.0, "extract": 1.5, "write": 0.5,
                           "solver_compile": 1.2, "solver_handover": 1.3, "solver_highs": 6.0, "solver_relabel": 1.0}}
    p = end_to_end.phases(summary, wall=17.0)
    assert p["pass"] == pytest.approx(0.1)
    assert p["solve_rest"] == pytest.approx(10.0 - 1.3 - 6.0 - 1.0)
    assert p["start"] == pytest.approx(2.0)
    assert sum(p[k] for k in end_to_end.PHASES) + p["start"] == pytest.approx(17.0)


def test_a_milp_case_runs_through_m2m_solve_with_each_settings_highs_options(tmp_path):
    # cap41 (16 warehouses, 50 customers) solves in about a second; the setting's options go to
    # HiGHS through --highs-option and show in the row.
    import milp
    from tests.orlib import write_cflp_instance

    assert milp.setting("nosym:mip_detect_symmetry=false,presolve=off") == (
        "nosym", ["mip_detect_symmetry=false", "presolve=off"])
    assert milp.setting("default") == ("default", [])
    case = {"instance": "cap41", "capacity": "", "optimum": "1040444.375"}
    folder = write_cflp_instance(milp.DATA / "cap41.txt", tmp_path / "cap41")
    row, proven, _wall = milp.run_case(case, folder, tmp_path / "out", "nosym", ["mip_detect_symmetry=false"], 60)
    assert proven and row[2:4] == ["mip_detect_symmetry=false", "optimal"]
    stamp = json.loads((tmp_path / "out" / "summary.json").read_text())["stamp"]
    assert stamp["options"]["highs"] == {"mip_detect_symmetry": False}

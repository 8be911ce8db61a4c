"""External truth: published fixed-charge network and distribution-design optima.

Each instance of ``tests/data/fcnd`` (Williams' Distribution 1 and 2, Balinski's bal8x12
fixed-charge transportation problem; sources and optima in its README.md and sources.csv) is
written as an ordinary instance folder (:mod:`tests.fcnd`), solved with ``m2m solve`` and
re-checked with ``m2m check``; the objective must equal the published optimum to 1e-6
relative.  Depots and fixed-charge arcs are pass-through facilities, so these optima hold only
if what passes through a facility is its activity, within its capacity and paying its costs;
bal8x12's arcs have no capacity, so they are unlimited candidates linked to their open
decision by the bounds the data implies.  ``tests/fcnd_reference.py`` is an independent model
of the same data (scipy, no Pyomo) that must reproduce the same optima.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli import EXIT_OK, main
from tests import fcnd_reference
from tests.fcnd import DATA, arc_facility, write_fcnd_instance

REL_TOL = 1e-6


def _sources() -> dict[str, dict[str, str]]:
    with (DATA / "sources.csv").open(newline="") as fh:
        return {r["instance"]: r for r in csv.DictReader(fh)}


SOURCES = _sources()


def test_data_files_match_recorded_provenance() -> None:
    assert set(SOURCES) == set(fcnd_reference.INSTANCES)
    for name, row in SOURCES.items():
        for item in row["data_files_sha1"].split(";"):
            file, sha1 = item.split("=")
            assert hashlib.sha1((DATA / name / file).read_bytes()).hexdigest() == sha1, f"{name}/{file}"


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_reference_model_reproduces_the_published_optimum(name: str) -> None:
    got, published = fcnd_reference.check(name)
    assert math.isclose(got, published, rel_tol=REL_TOL)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_m2m_solve_reproduces_the_published_optimum(name: str, tmp_path: Path) -> None:
    folder, constant = write_fcnd_instance(name, tmp_path / name)
    out = tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(main, ["solve", str(folder), "--out", str(out), "--mip-gap", "1e-9", "--quiet"])
    assert result.exit_code == EXIT_OK, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal"
    published = float(SOURCES[name]["published_optimum"])
    got = summary["objective"] + constant
    assert math.isclose(got, published, rel_tol=REL_TOL), f"{name}: {got} vs published {published}"
    checked = runner.invoke(main, ["check", str(out)])
    assert checked.exit_code == EXIT_OK, checked.output


def test_williams_distribution2_opens_the_published_depots(tmp_path: Path) -> None:
    """Published structure: Birmingham (expanded to 70,000), London, Exeter and Northampton open;
    Newcastle closed, Bristol not built."""
    folder, _ = write_fcnd_instance("williams_distribution2", tmp_path / "w2")
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["solve", str(folder), "--out", str(out), "--quiet"]).exit_code == EXIT_OK
    with (out / "activity.csv").open(newline="") as fh:
        act = {r["facility"]: r for r in csv.DictReader(fh)}
    opened = {f for f, r in act.items() if float(r["open"]) == 1 and r["facility"] not in ("Liverpool", "Brighton")}
    assert opened == {"Birmingham", "London", "Exeter", "Northampton"}
    assert float(act["Birmingham"]["capacity"]) == 70000 and float(act["Birmingham"]["activity"]) == 70000
    with (out / "flows.csv").open(newline="") as fh:
        flows = {(r["origin"], r["destination"]): float(r["quantity"]) for r in csv.DictReader(fh)}
    assert flows[("Northampton", "C4")] == pytest.approx(25000)
    assert flows[("Exeter", "C3")] == pytest.approx(40000)


def test_balinski_opens_twelve_arcs(tmp_path: Path) -> None:
    """The optimum of bal8x12 uses 12 of the 96 arcs; each open arc carries flow, each shut one none."""
    folder, _ = write_fcnd_instance("balinski_bal8x12", tmp_path / "b")
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["solve", str(folder), "--out", str(out), "--mip-gap", "1e-9",
                                     "--quiet"]).exit_code == EXIT_OK
    with (out / "activity.csv").open(newline="") as fh:
        arcs = [r for r in csv.DictReader(fh) if r["stage"] == "arc"]
    assert len(arcs) == 96
    used = {r["facility"] for r in arcs if float(r["activity"]) > 1e-6}
    assert {r["facility"] for r in arcs if float(r["open"]) == 1} == used
    assert len(used) == 12 and arc_facility("S6", "D9") in used

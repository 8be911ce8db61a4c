"""lead_time on candidates and expansions: each rule refused at its field, and the CLI's exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli import EXIT_INPUT, main
from optimizer.core.errors import InputError
from optimizer.input.load import load_instance
from tests.helpers import edit_csv, shipped_copy



@pytest.fixture
def folder(tmp_path) -> Path:
    return shipped_copy("tiny_lead_time", tmp_path)


def findings(folder) -> list[str]:
    with pytest.raises(InputError) as exc:
        load_instance(folder)
    return [str(f) for f in exc.value.findings]


def with_expansion(folder: Path, lead_time: int) -> None:
    (folder / "expansions.csv").write_text(f"facility,first_period,size,lead_time\nimport_cap,2025,10,{lead_time}\n")
    with (folder / "facilities.csv").open("a") as fh:
        fh.write("import_cap,magnet,US,0,30,,existing,\n")
    with (folder / "recipes.csv").open("a") as fh:
        fh.write("import_cap,magnet,out,1\n")
    with (folder / "lanes.csv").open("a") as fh:
        fh.write("import_cap,buyer,magnet,0\n")


def test_the_lead_time_sets_the_first_period_a_candidate_can_open(folder):
    inst = load_instance(folder)
    assert inst.active_periods("new_plant") == [2027]
    edit_csv(folder / "facilities.csv", {"facility": "new_plant"}, lead_time=1)
    assert load_instance(folder).active_periods("new_plant") == [2026, 2027]


def test_the_lead_time_sets_the_first_period_a_step_can_be_built(folder):
    with_expansion(folder, 2)
    inst = load_instance(folder)
    assert inst.step_periods(inst.expansions[0]) == [2027]


def test_a_lead_time_on_an_existing_facility_is_refused(folder):
    edit_csv(folder / "facilities.csv", {"facility": "import"}, lead_time=1)
    lines = findings(folder)
    assert any(f.startswith("facilities.csv:2:lead_time:") and "for an existing facility" in f for f in lines), lines


def test_a_lead_time_that_leaves_no_period_to_open_is_refused(folder):
    edit_csv(folder / "facilities.csv", {"facility": "new_plant"}, lead_time=3)
    lines = findings(folder)
    assert any(f.startswith("facilities.csv:3:lead_time:") and "could open from 2028" in f for f in lines), lines


def test_a_negative_lead_time_is_refused(folder):
    edit_csv(folder / "facilities.csv", {"facility": "new_plant"}, lead_time=-1)
    lines = findings(folder)
    assert any(f.startswith("facilities.csv:3:lead_time:") for f in lines), lines


def test_an_expansion_lead_time_that_leaves_no_period_is_refused(folder):
    with_expansion(folder, 3)
    lines = findings(folder)
    assert any(f.startswith("expansions.csv:2:lead_time:") and "could be available from 2028" in f for f in lines), lines


def test_the_cli_exits_2_and_writes_nothing(folder, tmp_path):
    edit_csv(folder / "facilities.csv", {"facility": "new_plant"}, lead_time=3)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["solve", str(folder), "--out", str(out)])
    assert result.exit_code == EXIT_INPUT
    assert "facilities.csv:3:lead_time:" in result.output
    assert not out.exists()

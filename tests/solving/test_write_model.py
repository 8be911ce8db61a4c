"""m2m solve --write-model: the model handed to HiGHS, in a file another solver (here a fresh
HiGHS) reads and solves to the same optimum."""

from __future__ import annotations

import json

import highspy
import pytest
from click.testing import CliRunner

from optimizer.cli import EXIT_INPUT, main
from optimizer.core.contract import MODEL_MARKER
from tests.helpers import ROOT

CASES = [("tiny_stockpile", ".mps"), ("tiny_stockpile", ".lp"), ("tiny_candidate_threshold", ".mps"),
         ("tiny_clean_offtake", ".lp"), ("demo_mine_to_magnet", ".mps")]


def invoke(*args: object, ok: int = 0):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == ok, (result.exit_code, result.output, result.exception)
    return result


@pytest.mark.parametrize(("name", "suffix"), CASES)
def test_the_written_model_solves_to_the_same_objective(name, suffix, tmp_path):
    model = tmp_path / f"model{suffix}"
    invoke("solve", ROOT / "instances" / name, "--out", tmp_path / "out", "--write-model", model, "--quiet")
    assert model.read_text().splitlines()[0].endswith(MODEL_MARKER)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(model)) != highspy.HighsStatus.kError
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    objective = json.loads((tmp_path / "out" / "summary.json").read_text())["objective"]
    assert h.getInfo().objective_function_value == pytest.approx(objective, rel=1e-9, abs=1e-6)
    size = json.loads((tmp_path / "out" / "summary.json").read_text())["size"]
    assert (h.getNumCol(), h.getNumRow()) == (size["variables"], size["constraints"])


def test_names_are_the_model_s(tmp_path):
    model = tmp_path / "m.lp"
    invoke("solve", ROOT / "instances" / "tiny_stockpile", "--out", tmp_path / "out", "--write-model", model, "--quiet")
    text = model.read_text()
    assert "demand_balance(buyer,oxide,2025)" in text and "flow(cn_sep,stockpile,oxide,any,2025)" in text


def test_a_file_m2m_did_not_write_is_refused_and_its_own_replaced(tmp_path):
    mine = tmp_path / "mine.mps"
    mine.write_text("NAME keep me\n")
    result = invoke("solve", ROOT / "instances" / "tiny_stockpile", "--out", tmp_path / "out", "--write-model", mine,
                    ok=EXIT_INPUT)
    assert "exists and is not a model file m2m wrote" in result.output and mine.read_text() == "NAME keep me\n"
    assert not (tmp_path / "out").exists()
    ours = tmp_path / "ours.mps"
    for _ in range(2):
        invoke("solve", ROOT / "instances" / "tiny_stockpile", "--out", tmp_path / "out", "--write-model", ours, "-q")
    result = invoke("solve", ROOT / "instances" / "tiny_stockpile", "--write-model", tmp_path / "m.txt", ok=EXIT_INPUT)
    assert "does not end in .mps or .lp" in result.output

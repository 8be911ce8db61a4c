"""The uncertainty: block of instance.yaml: each rule refused where it is, with its line."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from optimizer.core.errors import InputError
from optimizer.input.load import load_instance, load_outcomes
from tests.helpers import shipped_copy


@pytest.fixture
def folder(tmp_path) -> Path:
    return shipped_copy("tiny_hedge", tmp_path)


def edit_yaml(folder: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = folder / "instance.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def line_of(folder: Path, text: str) -> int:
    """The first line of instance.yaml holding ``text``."""
    return next(i for i, line in enumerate((folder / "instance.yaml").read_text().splitlines(), 1) if text in line)


def findings(folder: Path, scenarios: list[str] | None = None) -> list[str]:
    with pytest.raises(InputError) as exc:
        load_instance(folder, scenarios or [])
    return [str(f) for f in exc.value.findings]


def test_the_block_is_read_with_its_outcomes_and_their_lines(folder):
    inst = load_instance(folder)
    u = inst.uncertainty
    assert (u.reveal, u.reference, u.risk.measure) == (2026, "calm", "expected")
    assert [(o.name, o.probability, o.scenarios) for o in u.outcomes] == [("calm", 0.7, []), ("ban", 0.3, ["export_ban"])]
    assert inst.outcome_lines == {"calm": line_of(folder, "name: calm"), "ban": line_of(folder, "name: ban")}


def test_each_outcome_instance_applies_its_scenarios_after_the_run_s(folder):
    base, u, insts = load_outcomes(folder, ["no_us_supply"])
    assert insts["calm"].scenario == ("no_us_supply",)
    assert insts["ban"].scenario == ("no_us_supply", "export_ban")


def test_a_scenario_may_set_the_whole_block_and_its_lines_are_the_scenario_s(folder):
    inst = load_instance(folder, ["averse"])
    assert (inst.uncertainty.risk.measure, inst.uncertainty.risk.alpha, inst.uncertainty.risk.weight) == ("cvar", 0.8, 0.5)
    assert [o.probability for o in inst.uncertainty.outcomes] == [0.9, 0.1]
    text = (folder / "instance.yaml").read_text().splitlines()
    line = inst.outcome_lines["calm"]
    assert "{name: calm, probability: 0.9" in text[line - 1] and line > line_of(folder, "  averse:")


def test_reveal_must_be_a_period(folder):
    edit_yaml(folder, lambda d: d["uncertainty"].update(reveal=2030))
    lines = findings(folder)
    assert f"instance.yaml:{line_of(folder, 'reveal: 2030')}:reveal: got 2030; expected the first year of a period, " \
           "one of [2025, 2026]" in lines, lines


def test_the_reference_must_be_an_outcome(folder):
    edit_yaml(folder, lambda d: d["uncertainty"].update(reference="peace"))
    lines = findings(folder)
    assert any(f.startswith(f"instance.yaml:{line_of(folder, 'reference: peace')}:reference: no outcome named 'peace'")
               for f in lines), lines


def test_probabilities_must_sum_to_one(folder):
    edit_yaml(folder, lambda d: d["uncertainty"]["outcomes"][1].update(probability=0.4))
    lines = findings(folder)
    assert any(":probability: the outcomes' probabilities sum to 1.1; expected 1 (0.7 + 0.4)" in f for f in lines), lines


def test_a_probability_must_be_positive(folder):
    edit_yaml(folder, lambda d: d["uncertainty"]["outcomes"][1].update(probability=0))
    lines = findings(folder)
    assert any("outcomes[1].probability: got 0; expected a number > 0" in f for f in lines), lines


def test_outcome_names_are_distinct(folder):
    edit_yaml(folder, lambda d: d["uncertainty"]["outcomes"][1].update(name="calm"))
    lines = findings(folder)
    assert any(":name: outcome 'calm' is given twice" in f for f in lines), lines


def test_an_outcome_s_scenarios_are_defined_and_listed_once(folder):
    edit_yaml(folder, lambda d: d["uncertainty"]["outcomes"][1].update(scenarios=["export_ban", "export_ban", "war"]))
    lines = findings(folder)
    assert any("outcome 'ban': scenario 'export_ban' is listed twice" in f for f in lines), lines
    assert any("outcome 'ban': unknown scenario 'war'; expected one of: export_ban" in f for f in lines), lines


def test_an_outcome_s_scenario_may_not_set_the_block(folder):
    edit_yaml(folder, lambda d: d["uncertainty"]["outcomes"][1].update(scenarios=["averse"]))
    lines = findings(folder)
    assert any("outcome 'ban': scenario 'averse' sets the uncertainty block" in f for f in lines), lines


def test_cvar_needs_alpha_and_weight_and_expected_takes_neither(folder):
    edit_yaml(folder, lambda d: d["uncertainty"].update(risk={"measure": "cvar", "alpha": 0.9}))
    lines = findings(folder)
    assert any("measure cvar needs weight" in f for f in lines), lines
    edit_yaml(folder, lambda d: d["uncertainty"].update(risk={"measure": "expected", "alpha": 0.9}))
    lines = findings(folder)
    assert any("alpha has no effect with measure expected" in f for f in lines), lines


def test_an_unknown_key_is_refused(folder):
    edit_yaml(folder, lambda d: d["uncertainty"].update(horizon=5))
    lines = findings(folder)
    assert any(f.startswith(f"instance.yaml:{line_of(folder, 'horizon: 5')}:") for f in lines), lines


def test_an_instance_without_the_block_cannot_be_hedged(tmp_path):
    inst = shipped_copy("tiny_stockpile", tmp_path)
    with pytest.raises(InputError) as exc:
        load_outcomes(inst)
    assert "no uncertainty block; m2m hedge needs `uncertainty:`" in str(exc.value.findings[0])

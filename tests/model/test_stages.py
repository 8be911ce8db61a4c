"""Stages of m2m hedge: which variables are decided before the outcome is known."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.input.load import load_instance
from optimizer.model.build import build_model
from optimizer.model.stages import before_reveal, decision_year, first_stage, key_of, period_of
from tests.helpers import ROOT, edit_csv, shipped_copy


def test_every_variable_and_row_ends_its_index_with_a_period():
    """The stage of a variable (and the period of a row) is read from its index's last element."""
    inst = load_instance(ROOT / "instances" / "us_mine_to_magnet")
    m = build_model(inst).model
    for kind in (pyo.Var, pyo.Constraint):
        for c in m.component_data_objects(kind, descend_into=True):
            assert period_of(key_of(c)) in inst.periods, key_of(c)


def test_operating_decisions_are_first_stage_before_reveal_only():
    inst = load_instance(ROOT / "instances" / "tiny_hedge")
    flow_2025 = ("flow", ("cn_sep", "stockpile", "oxide", "any", 2025))
    flow_2026 = ("flow", ("cn_sep", "stockpile", "oxide", "any", 2026))
    assert first_stage(flow_2025, inst, 2026) and not first_stage(flow_2026, inst, 2026)
    assert before_reveal(("capacity_limit", ("cn_sep", 2025)), 2026)
    assert not before_reveal(("capacity_limit", ("cn_sep", 2026)), 2026)


def test_a_build_is_decided_its_lead_time_before_it_is_available(tmp_path):
    folder = shipped_copy("tiny_lead_time", tmp_path)
    edit_csv(folder / "facilities.csv", {"facility": "new_plant"}, lead_time=1)
    inst = load_instance(folder)
    key = ("open", ("new_plant", 2027))
    assert decision_year(key, inst) == 2026
    assert first_stage(key, inst, 2027)       # decided in 2026, before a 2027 reveal: shared
    assert not first_stage(key, inst, 2026)   # decided in 2026, when a 2026 reveal is known
    assert not first_stage(("flow", ("a", "b", "p", "any", 2027)), inst, 2027)

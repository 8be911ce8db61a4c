"""The extensive form: first-stage columns merged, shared rows kept once, the CVaR rows."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer.input.load import load_outcomes
from optimizer.input.schema import Risk
from optimizer.model.build import build_model
from optimizer.model.stages import first_stage, key_of
from optimizer.solving.extensive import Extensive, Member, changes_before_reveal, solve_extensive
from optimizer.solving.solver import MatrixModel, SolveOptions
from tests.helpers import ROOT

HEDGE = ROOT / "instances" / "tiny_hedge"


def members(scenarios=()) -> tuple[list[Member], int]:
    _base, u, insts = load_outcomes(HEDGE, list(scenarios))
    out = []
    for o in u.outcomes:
        b = build_model(insts[o.name])
        out.append(Member(o.name, o.probability, b, MatrixModel(b)))
    return out, u.reveal


def test_first_stage_columns_are_shared_and_the_rest_are_per_outcome():
    mems, reveal = members()
    ext = Extensive(mems, reveal, Risk())
    calm, ban = mems
    shared = [first_stage(key_of(v), calm.built.inst, reveal) for v in calm.mm.columns]
    n_shared = sum(shared)
    assert n_shared and n_shared < calm.mm.n_cols
    # one column per shared decision, one per outcome for the others
    assert ext.n_cols == n_shared + (calm.mm.n_cols - n_shared) + (ban.mm.n_cols - n_shared)
    assert np.array_equal(calm.cols[calm.shared], ban.cols[ban.shared])
    assert not set(calm.cols[~calm.shared]) & set(ban.cols[~ban.shared])
    # costs weighted by probability: a 2025 flow's cost counts once in full, a 2026 one by outcome
    j = next(j for j, v in enumerate(calm.mm.columns) if key_of(v)[0] == "activity" and key_of(v)[1][0] == "cn_sep"
             and key_of(v)[1][-1] == 2025)
    assert ext.cost[calm.cols[j]] == pytest.approx(calm.mm.cost[j])


def test_rows_on_shared_decisions_only_are_kept_once():
    mems, reveal = members()
    ext = Extensive(mems, reveal, Risk())
    calm, ban = mems
    assert ext.n_rows < calm.mm.n_rows + ban.mm.n_rows
    assert np.array_equal(calm.rows[calm.shared_rows], ban.rows[ban.shared_rows])
    # the 2026 ban row exists only in the ban outcome
    assert ext.n_rows == calm.mm.n_rows + ban.mm.n_rows - int(ban.shared_rows.sum())


def test_cvar_adds_eta_and_one_excess_per_outcome():
    mems, reveal = members(["averse"])
    risk = Risk(measure="cvar", alpha=0.8, weight=0.5)
    plain = Extensive(members(["averse"])[0], reveal, Risk())
    ext = Extensive(mems, reveal, risk)
    assert ext.n_cols == plain.n_cols + 1 + len(mems)
    assert ext.n_rows == plain.n_rows + len(mems)
    assert ext.cost[ext.eta] == 0.5
    assert ext.cost[ext.excess[1]] == pytest.approx(0.5 * 0.1 / 0.2)


def test_the_solution_gives_each_outcome_its_cost_and_the_shared_decisions_once():
    mems, reveal = members()
    h = solve_extensive(mems, reveal, Risk(), SolveOptions())
    assert h.whole.objective == pytest.approx(2500.0)
    assert {n: s.objective for n, s in h.outcomes.items()} == pytest.approx({"calm": 2500.0, "ban": 2500.0})
    assert h.outcomes["ban"].dual_source == "extensive"


def test_an_outcome_that_changes_a_period_before_reveal_is_found():
    mems, reveal = members(["early"])
    changes = changes_before_reveal(mems[0], mems[1:], reveal)
    assert changes == {"ban": ["adds row export_cap[cn_ban_early, 2025]"]}
    calm, ban = members()[0]
    assert changes_before_reveal(calm, [ban], reveal) == {}

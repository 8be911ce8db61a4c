"""Strengthening rows separated instead of handed over whole (optimizer/solving/separation.py).

Hand-solved: warehouses a and b (candidates, capacity 10, fixed cost 10 each) serve customers c1
and c2 (hard demand 1 each) at 1 USD/t from a and 100 USD/t from b.  Its four
``candidate_flow_link`` rows say x[w,c] <= 1 * open[w] (the demand, tighter than the capacity).

* Round 1, without them: the capacity row x[a,c1] + x[a,c2] <= 10 open[a] lets open[a] = 0.2:
  10 x 0.2 + 1 + 1 = 4 USD.  Both of a's link rows are violated (1 > 0.2); b's hold (0 <= 0).
* Round 2, with a's two rows: open[a] >= 1, 10 + 2 = 12 USD, nothing violated: the bound is 12,
  the full model's relaxation.  The MILP (six rows plus two) is optimal at 12 with a open.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.input.load import load_instance
from optimizer.model.build import build_model
from optimizer.solving import separation
from optimizer.solving.options import SolveOptions, new_highs, set_options
from optimizer.solving.solver import MatrixModel
from tests.helpers import cflp, write_instance


def two_warehouses(folder: Path) -> Path:
    return write_instance(folder, {"periods": [2025]}, {
        "countries": [{"country": "XX", "name": "X", "groups": ""}],
        "products": [{"product": "good", "unit": "t", "surplus_value": None}],
        "facilities": [{"facility": w, "stage": "warehouse", "country": "XX", "capacity": 10, "cost": 0,
                        "fixed_cost": 10, "status": "candidate"} for w in ("a", "b")],
        "recipes": [{"facility": w, "product": "good", "direction": "out", "ratio": 1} for w in ("a", "b")],
        "lanes": [{"origin": w, "destination": c, "product": "good", "cost": 1 if w == "a" else 100}
                  for w in ("a", "b") for c in ("c1", "c2")],
        "demands": [{"customer": c, "country": "XX", "product": "good", "period": 2025, "quantity": 1,
                     "penalty": None, "provenance": "any"} for c in ("c1", "c2")],
    })


def test_the_loop_adds_the_violated_rows_until_the_relaxation_is_the_full_one(tmp_path):
    mm = MatrixModel(build_model(load_instance(two_warehouses(tmp_path / "w"))))
    assert int(mm.strengthening.sum()) == 4 and mm.n_rows == 10
    h, relaxation, search = new_highs(), new_highs(), new_highs()
    for x in (h, relaxation, search):
        set_options(x, SolveOptions(), "choose")
    out = separation.pass_separated(mm, h, relaxation, search, None)
    assert (out.rounds, out.added, out.rows) == (2, 2, 4)
    assert out.bounds == pytest.approx([4.0, 12.0])
    added = [r.constraint.name for r, strong in zip(mm.rows, mm.strengthening) if strong]
    assert h.getLp().num_row_ == 6 + 2, added
    assert out.start is not None and out.start @ mm.cost + mm.offset == pytest.approx(12.0)
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(12.0)


def test_below_the_threshold_nothing_is_separated(tmp_path):
    mm = MatrixModel(build_model(load_instance(two_warehouses(tmp_path / "w"))))
    assert not separation.wanted(mm)  # 4 rows, far below SEPARATE_FROM_ROWS


@pytest.mark.parametrize("seed", [1, 2])
def test_a_separated_solve_finds_the_optimum_of_the_whole_model(tmp_path, monkeypatch, seed):
    folder = cflp(tmp_path / "cflp", n_fac=8, n_cust=20, seed=seed)

    def solve(out: Path) -> dict:
        r = CliRunner().invoke(main, ["solve", str(folder), "--out", str(out), "-q", "--mip-gap", "1e-9"])
        assert r.exit_code == 0, r.output
        return json.loads((out / "summary.json").read_text())

    whole = solve(tmp_path / "whole")
    monkeypatch.setattr(separation, "SEPARATE_FROM_ROWS", 1)
    separated = solve(tmp_path / "separated")
    assert "solver_separation" in separated["timings"] and "solver_separation" not in whole["timings"]
    assert separated["status"] == whole["status"] == "optimal"
    assert separated["objective"] == pytest.approx(whole["objective"], rel=1e-9)
    assert separated["size"] == whole["size"]  # the model's size, not what HiGHS held


def test_the_gap_takes_the_better_bound():
    class Info:
        mip_dual_bound, objective_function_value, mip_gap = 90.0, 100.0, 0.1

    class H:
        def getInfo(self):
            return Info()

    assert separation.gap(H(), None) == pytest.approx(0.1)
    assert separation.gap(H(), 95.0) == pytest.approx(0.05)
    assert separation.gap(H(), 80.0) == pytest.approx(0.1)
    assert np.isfinite(separation.gap(H(), 100.0))

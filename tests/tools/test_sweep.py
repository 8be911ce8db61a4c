"""``m2m sweep``: the epsilon-constraint sweep, its frontier, knee, plots and input errors.

The instance is the two-mine chain of ``tests.helpers.two_mine_chain`` with a third, dear mine
and a cap ``a`` on the covered (CN) share of mine output:

    mine_cn (CN, 10 USD/t, cap 100)  \\
    mine_us (US, 20 USD/t, cap  40)   }-- ore, lane 1 USD/t --> plant (5 USD/t, 2 t ore/magnet) --> buyer 40 t
    mine_au (AU, 40 USD/t, cap  30)  /

Derivation by hand. The buyer takes 40 t of magnets, so the mines make 80 t of ore, the
denominator of the cap in every plan; the cap row is x_cn <= 80 a. Delivered ore costs 11 (CN),
21 (US) and 41 (AU) USD/t; the plant and the magnet lane add 40 x 5 = 200 USD. The plan uses as
much CN ore as the cap allows, x_cn = 80 a, then US ore up to 40 t, then AU ore up to 30 t:

* a >= 0.5: x_us = 80 (1 - a) <= 40, so cost(a) = 11 (80 a) + 21 (80 - 80 a) + 200 = 1880 - 800 a;
* 0.125 <= a < 0.5: x_us = 40, x_au = 40 - 80 a, so cost(a) = 880 a + 840 + 41 (40 - 80 a) + 200
  = 2680 - 2400 a;
* a < 0.125: 80 (1 - a) > 70 t = US + AU capacity: infeasible.

The objective is piecewise linear and convex in a, with a breakpoint at a = 0.5 (1480 USD).
Lowering the cap by one point moves 0.8 t of ore from CN to US (8 USD) above the breakpoint,
or from CN to AU (24 USD) below it: the max_share dual is 8 and 24 USD/yr per point, the slope of
the frontier per point. At a = 0.5 (the breakpoint) the dual may be anything in [8, 24].

Sweeping a = 0.9, 0.8, ..., 0.0 (10 points):
    0.9 1160 | 0.8 1240 | 0.7 1320 | 0.6 1400 | 0.5 1480 | 0.4 1720 | 0.3 1960 | 0.2 2200 |
    0.1 infeasible | 0.0 infeasible
The knee of the eight plans is a = 0.5: normalised, x = (a - 0.2) / 0.7, y = (cost - 1160) / 1040;
the chord runs from (0, 1) to (1, 0), and the distance |x + y - 1| / sqrt 2 is largest at the
breakpoint (x = 3/7, y = 4/13: 0.266 / sqrt 2, against 0.229 / sqrt 2 at a = 0.4 and 0.6).
"""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.input.load import load_instance
from optimizer.tools.sweep import knee, relevant_stage, sweep_values
from tests.helpers import edit_csv, two_mine_chain
from tests.helpers import ROOT

CAP = {"kind": "max_share", "name": "cn_cap", "stage": "mine", "group": "covered", "share": 1.0}

#: Hand-derived objective (USD) of each point of the sweep 0.9 -> 0.0 (None: infeasible).
COST = {0.9: 1160, 0.8: 1240, 0.7: 1320, 0.6: 1400, 0.5: 1480, 0.4: 1720, 0.3: 1960, 0.2: 2200, 0.1: None, 0.0: None}


def cost(a: float) -> float:
    return 1880 - 800 * a if a >= 0.5 else 2680 - 2400 * a


def append_rows(path: Path, *rows: dict) -> None:
    with path.open(newline="") as fh:
        old = list(csv.DictReader(fh))
    fields = list(dict.fromkeys([*old[0], *(k for r in rows for k in r)]))
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, restval="")
        w.writeheader()
        w.writerows([*old, *rows])


def three_mines(folder: Path, **header) -> Path:
    """The chain of the module docstring (mine_us capacity 40, a mine_au at 40 USD/t, cap 30)."""
    two_mine_chain(folder, **header)
    edit_csv(folder / "facilities.csv", {"facility": "mine_us"}, capacity=40)
    append_rows(folder / "countries.csv", {"country": "AU", "name": "Australia", "groups": ""})
    append_rows(folder / "facilities.csv", {"facility": "mine_au", "stage": "mine", "country": "AU", "capacity": 30, "cost": 40})
    append_rows(folder / "recipes.csv", {"facility": "mine_au", "product": "ore", "direction": "out", "ratio": 1})
    append_rows(folder / "lanes.csv", {"origin": "mine_au", "destination": "plant", "product": "ore", "cost": 1})
    return folder


def invoke(*args, ok: int | None = 0):
    result = CliRunner().invoke(main, [str(a) for a in args])
    if ok is not None:
        assert result.exit_code == ok, (result.exit_code, result.output, result.exception)
    return result


def frontier(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "frontier.csv")


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """The sweep of the module docstring, through the command line, with --keep."""
    root = tmp_path_factory.mktemp("sweep")
    inst = three_mines(root / "chain", policies=[CAP])
    out = root / "out"
    result = invoke("sweep", inst, "--policy", "cn_cap", "--param", "share", "--from", 0.9, "--to", 0, "--steps", 10,
                    "--out", out, "--keep")
    return out, result


# --------------------------------------------------------------------------------------------
# the frontier of the hand-derived chain
# --------------------------------------------------------------------------------------------


def test_frontier_objective_per_point_matches_the_derivation(swept):
    out, _ = swept
    f = frontier(out)
    assert f["value"].tolist() == pytest.approx(list(COST))
    for value, status, objective in zip(f["value"], f["status"], f["objective"]):
        want = COST[round(value, 1)]
        if want is None:
            assert status == "infeasible" and math.isnan(objective), value
        else:
            assert status == "optimal" and objective == pytest.approx(want), value
            assert objective == pytest.approx(cost(value))
    plans = f[f["status"] == "optimal"]
    # the cost only rises as the cap tightens (values are swept downwards)
    assert (plans["objective"].diff().dropna() > 0).all()
    # cost terms add up to the objective: production 80 ore-t at the mines + 200 at the plant, 80 t of ore lanes
    terms = plans[[c for c in f if c.startswith("cost_")]].sum(axis=1)
    assert terms.tolist() == pytest.approx(plans["objective"].tolist())
    assert plans["cost_transport"].tolist() == pytest.approx([80.0] * len(plans))
    assert plans["cost_production"].tolist() == pytest.approx((plans["objective"] - 80).tolist())


def test_achieved_share_group_share_and_dual_equal_the_slope(swept):
    out, _ = swept
    f = frontier(out)
    plans = f[f["status"] == "optimal"].reset_index(drop=True)
    # the cap binds at every point: the achieved share is the cap, as is CN's share of the mine stage
    for col in ("achieved_2025", "achieved_share", "group_share_2025", "group_share"):
        assert plans[col].tolist() == pytest.approx(plans["value"].tolist()), col
    # dual (USD/yr per point) = the frontier's slope per point, away from the breakpoint a = 0.5
    want = {0.9: 8, 0.8: 8, 0.7: 8, 0.6: 8, 0.4: 24, 0.3: 24, 0.2: 24}
    for _, row in plans.iterrows():
        a = round(row["value"], 1)
        if a in want:
            assert row["dual_2025"] == pytest.approx(want[a]), a
            assert row["dual_total"] == pytest.approx(want[a]), a
            assert row["dual_discounted"] == pytest.approx(want[a]), a
        else:
            assert 8 - 1e-6 <= row["dual_2025"] <= 24 + 1e-6
    # the slope between neighbouring points, per percentage point, is the dual on the straight pieces
    for (a1, c1), (a2, c2) in zip(zip(plans["value"], plans["objective"]), zip(plans["value"][1:], plans["objective"][1:])):
        slope = (c2 - c1) / ((a1 - a2) * 100)
        assert slope == pytest.approx(8 if a2 >= 0.5 - 1e-9 else 24)
    assert (f.loc[f["status"] == "infeasible", "dual_total"].isna()).all()
    # timings are written for every point, infeasible ones included
    assert (f["solve_seconds"] >= 0).all() and (f["seconds"] >= f["solve_seconds"]).all()


def test_each_point_of_a_chain_starts_from_the_one_before(swept):
    """Ten points, two chains of five: the first of each chain is handed to HiGHS whole, the others
    go into the HiGHS instance of the point before with only the cap's coefficients changed (and
    still give the hand-derived costs above); a cap of 0 has no share row left, so its model differs
    in structure and starts cold."""
    out, _ = swept
    f = frontier(out)
    assert f["start"].tolist() == ["cold", "warm", "warm", "warm", "warm", "cold", "warm", "warm", "warm", "cold"]


@pytest.mark.parametrize(("n", "lengths"), [(1, [1]), (2, [1, 1]), (6, [3, 3]), (20, [10, 10]), (25, [8, 9, 8]),
                                            (31, [8, 8, 7, 8])])
def test_points_are_cut_into_chains_by_their_number_alone(n, lengths):
    from optimizer.tools.sweep import chains

    got = chains(list(range(n)), [None] * n, None, None)
    assert [len(c.values) for c in got] == lengths
    assert [v for c in got for v in c.values] == list(range(n))


def test_infeasible_points_do_not_stop_the_sweep_and_knee_is_the_breakpoint(swept):
    out, result = swept
    f = frontier(out)
    assert f["status"].tolist() == ["optimal"] * 8 + ["infeasible"] * 2
    assert f.loc[f["knee"], "value"].tolist() == pytest.approx([0.5])
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["knee"] == {"value": 0.5, "objective": pytest.approx(1480)}
    assert meta["statuses"] == {"optimal": 8, "infeasible": 2}
    assert (meta["policy"], meta["kind"], meta["param"], meta["periods"], meta["stage"]) == ("cn_cap", "max_share", "share", [2025], "mine")
    # the console: one line per solve with its timing, the frontier table and the knee
    assert re.search(r"share 0\.9: optimal, 1,160 USD; solve \d+\.\d\ds", result.output)
    assert re.search(r"share 0\.1: infeasible, no plan; solve \d+\.\d\ds", result.output)
    assert "knee: share 0.5 at 1,480 USD" in result.output


def test_plots_exist_and_the_html_is_self_contained_with_the_data(swept):
    out, _ = swept
    png = (out / "frontier.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    html = (out / "frontier.html").read_text(encoding="utf-8")
    assert "Plotly.newPlot" in html or "plotly" in html.lower()
    assert not re.search(r"<script[^>]*\bsrc\s*=", html), "the page must not load scripts from elsewhere"
    assert "cdn.plot.ly/plotly" not in html
    # the points with a plan are on the page as readable numbers (x: the cap, y: the cost)
    arrays = [(json.loads(x), json.loads(y)) for x, y in re.findall(r'"x":(\[[^\]]*\]),"y":(\[[^\]]*\])', html)]
    assert any(len(x) == 8 and x == pytest.approx([0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
               and y == pytest.approx([2200, 1960, 1720, 1480, 1400, 1320, 1240, 1160]) for x, y in arrays), arrays
    assert "no plan at 0.1: infeasible: demand buyer 2025: short 1.11111 t of magnet" in html


def test_keep_writes_each_points_results_folder(swept):
    out, _ = swept
    points = sorted(p.name for p in (out / "points").iterdir())
    assert points == [f"{i:02d}-share-{v:g}" for i, v in enumerate(COST, start=1)]
    first = json.loads((out / "points" / "01-share-0.9" / "summary.json").read_text())
    assert first["objective"] == pytest.approx(1160)
    assert first["sweep"] == {"policy": "cn_cap", "param": "share", "value": 0.9, "periods": None}
    shares = pd.read_csv(out / "points" / "01-share-0.9" / "shares.csv")
    assert shares.loc[shares["policy"] == "cn_cap", "cap"].tolist() == pytest.approx([0.9])
    last = out / "points" / "10-share-0"
    assert {p.name for p in last.iterdir()} == {"summary.json", "infeasibility.csv"}  # as m2m solve writes it
    assert json.loads((last / "summary.json").read_text())["status"] == "infeasible"


def test_kept_points_pass_the_independent_check_with_their_value(swept):
    """m2m check applies the point's value: the 0.2 point holds a 20% cap, not the instance's."""
    from optimizer.check.results import check_results

    out, _ = swept
    for name in ("01-share-0.9", "08-share-0.2"):
        report = check_results(out / "points" / name)
        assert report.ok, report.violations


def test_infeasible_points_say_what_gave_way(swept):
    out, result = swept
    f = frontier(out).fillna({"note": ""})
    bad = f[f["status"] == "infeasible"]
    # with CN ore at most 2 a m, the US and AU mines (70 t) must make 2 m (1 - a) t of ore: m = 35 / (1 - a)
    # magnets, short 40 - 35 / 0.9 = 1.111 t at a = 0.1 and 5 t at a = 0
    assert bad["note"].tolist() == ["infeasible: demand buyer 2025: short 1.11111 t of magnet",
                                    "infeasible: demand buyer 2025: short 5 t of magnet"]
    assert (f.loc[f["status"] == "optimal", "note"] == "").all()
    assert (f.loc[f["status"] == "optimal", "unmet_t"] == 0).all() and (f.loc[f["status"] == "optimal", "shed_t"] == 0).all()
    assert bad["unmet_t"].isna().all()
    assert "* share 0.1: infeasible: " in result.output


#: The chain with a soft demand (penalty 60 USD/t unmet), swept a = 0.6, 0.4, 0.2, 0.0.
#: A magnet costs 2 x 21 + 5 = 47 USD from US ore (below the penalty) but 2 x 41 + 5 = 87 USD from
#: AU ore; with CN ore mixed in at the cap a, AU ore costs 87 - 60 a per magnet, above 60 below
#: a = 0.45. There the plan ships m = 20 / (1 - a) magnets (US ore 40 t, CN ore 2 a m) and leaves
#: 40 - m unmet: cost(a) = 22 a m + 21 x 40 + 5 m + 60 (40 - m).
SHED = {  # a: (magnets unmet, objective)
    0.6: (0.0, 1400.0),
    0.4: (40 - 100 / 3, 22 * 0.4 * 100 / 3 + 840 + 5 * 100 / 3 + 60 * (40 - 100 / 3)),  # 6.667 t, 1700
    0.2: (15.0, 22 * 0.2 * 25 + 840 + 5 * 25 + 60 * 15),  # 1975
    0.0: (20.0, 840 + 5 * 20 + 60 * 20),  # 2140
}


def test_a_cap_held_by_shedding_demand_is_marked(tmp_path):
    inst = three_mines(tmp_path / "chain", policies=[CAP])
    edit_csv(inst / "demands.csv", {"customer": "buyer"}, penalty=60)
    out = tmp_path / "out"
    result = invoke("sweep", inst, "--policy", "cn_cap", "--param", "share", "--from", 0.6, "--to", 0, "--steps", 4,
                    "--out", out)
    f = frontier(out).fillna({"note": ""})
    assert f["status"].tolist() == ["optimal"] * 4
    for _, row in f.iterrows():
        unmet, objective = SHED[round(row["value"], 1)]
        assert row["objective"] == pytest.approx(objective), row["value"]
        assert row["unmet_t"] == pytest.approx(unmet, abs=1e-6), row["value"]
        assert row["shed_t"] == pytest.approx(unmet, abs=1e-6), row["value"]  # the least unmet of the sweep is 0
        assert row["cost_unmet_penalty"] == pytest.approx(60 * unmet, abs=1e-4), row["value"]
    assert f["note"].tolist() == ["", "met by leaving 7 t more demand unmet", "met by leaving 15 t more demand unmet",
                                  "met by leaving 20 t more demand unmet"]
    # the console marks the points and says why below the table
    assert "* share 0.4: met by leaving 7 t more demand unmet" in result.output
    assert re.search(r"0\.4 │ \*\s+│ optimal │\s+1,700 │\s+7 │\s+400 │\s+40\.0% │", result.output), result.output
    # "achieved" is per year (one swept year here, so no pooled column)
    assert "achieved_2025" in f and "pooled" not in result.output
    # the plot marks them: a legend entry and the note beside the points
    html = (out / "frontier.html").read_text(encoding="utf-8")
    assert "demand left unmet" in html and "0.2: met by leaving 15 t more demand unmet" in html


# --------------------------------------------------------------------------------------------
# by-period parameters, discounting, other policy kinds
# --------------------------------------------------------------------------------------------


def test_periods_sets_only_the_listed_years_and_the_dual_is_discounted(tmp_path):
    # Two years, r = 10%: the 2025 cap stays at 0.5 (1480 USD), 2026's follows the sweep and is
    # discounted by 1/1.1; the dual is 8 USD/yr per point in 2026, 8/1.1 in 2025 money.
    cap = {**CAP, "share": {2025: 0.5, 2026: 0.5}}
    inst = three_mines(tmp_path / "chain", periods=[2025, 2026], discount_rate=0.1, policies=[cap])
    out = tmp_path / "out"
    result = invoke("sweep", inst, "--policy", "cn_cap", "--param", "share", "--from", 0.9, "--to", 0.6, "--steps", 4,
                    "--periods", "2026", "--out", out, "--quiet")
    assert result.output == ""  # --quiet: no progress, no timings, no table
    f = frontier(out)
    assert f["value"].tolist() == pytest.approx([0.9, 0.8, 0.7, 0.6])
    assert f["objective"].tolist() == pytest.approx([1480 + cost(a) / 1.1 for a in (0.9, 0.8, 0.7, 0.6)])
    assert f["achieved_2025"].tolist() == pytest.approx([0.5] * 4)
    assert f["achieved_2026"].tolist() == pytest.approx([0.9, 0.8, 0.7, 0.6])
    assert f["achieved_share"].tolist() == pytest.approx([0.9, 0.8, 0.7, 0.6])  # pooled over the swept year only
    assert f["group_share"].tolist() == pytest.approx([0.9, 0.8, 0.7, 0.6])
    assert f["dual_2026"].tolist() == pytest.approx([8] * 4)
    assert f["dual_total"].tolist() == pytest.approx([8] * 4)  # 2026 only: 2025 is not swept
    assert f["dual_discounted"].tolist() == pytest.approx([8 / 1.1] * 4)
    slope = (f["objective"].iloc[-1] - f["objective"].iloc[0]) / 30  # 30 points from 0.9 to 0.6
    assert slope == pytest.approx(f["dual_discounted"].iloc[0])
    assert not f["knee"].any()  # a straight frontier has no knee
    assert json.loads((out / "sweep.json").read_text())["periods"] == [2026]


def test_export_cap_quantity_sweep(tmp_path):
    # Two mines, no share cap: CN ore may reach the US plant only up to q t/yr. cost(q) =
    # 11 min(q, 80) + 21 (80 - min(q, 80)) + 200 = 1880 - 10 min(q, 80); each tonne allowed is
    # worth 10 USD below 80 t, nothing above.
    ban = {"kind": "export_cap", "name": "cn_ore", "group": "covered", "product": "ore", "quantity": 0}
    inst = two_mine_chain(tmp_path / "chain", policies=[ban])
    out = tmp_path / "out"
    invoke("sweep", inst, "--policy", "cn_ore", "--param", "quantity", "--from", 0, "--to", 100, "--steps", 6,
           "--out", out, "--quiet")
    f = frontier(out)
    q = [0, 20, 40, 60, 80, 100]
    assert f["value"].tolist() == pytest.approx(q)
    assert f["objective"].tolist() == pytest.approx([1880 - 10 * min(v, 80) for v in q])
    assert f["achieved_2025"].tolist() == pytest.approx([min(v, 80) for v in q])
    assert f["dual_2025"].tolist()[:4] == pytest.approx([10] * 4)
    assert f["dual_2025"].iloc[-1] == pytest.approx(0)
    assert f["group_share"].tolist() == pytest.approx([min(v, 80) / 80 for v in q])  # CN share of the mine stage
    # two chains of three points; within each, a point re-solves from the one before (a changed bound)
    assert f["start"].tolist() == ["cold", "warm", "warm", "cold", "warm", "warm"]


def test_offtake_above_capacity_is_infeasible_and_the_sweep_goes_on(tmp_path):
    # The buyer takes 40 t of magnets: an offtake of more cannot be delivered (deliveries never
    # exceed demand), so 50 and 60 t are infeasible while 30 and 40 t cost the plain 1080 USD.
    off = {"kind": "offtake", "name": "us_magnets", "customer": "buyer", "product": "magnet", "quantity": 10,
           "provenance": "any", "countries": ["US"]}
    inst = two_mine_chain(tmp_path / "chain", policies=[off])
    out = tmp_path / "out"
    result = invoke("sweep", inst, "--policy", "us_magnets", "--param", "quantity", "--from", 60, "--to", 30, "--steps", 4,
                    "--out", out)
    f = frontier(out)
    assert f["status"].tolist() == ["infeasible", "infeasible", "optimal", "optimal"]
    assert f["objective"].iloc[2:].tolist() == pytest.approx([1080, 1080])
    assert f["achieved_2025"].iloc[2:].tolist() == pytest.approx([40, 40])
    assert json.loads((out / "sweep.json").read_text())["stage"] == "magnet"  # the stage delivering to the buyer
    assert "knee: none" in result.output


def test_supplier_share_price_floor_and_max_open_sweeps(tmp_path):
    pols = [
        # No mine makes more than b of the ore: mine_cn makes 80 b, cost 1880 - 800 b (b >= 0.5).
        # The row x_cn - b (x_cn + x_us) <= 0 has multiplier m with 11 - p + (1 - b) m = 0 and
        # 21 - p - b m = 0, so m = 10: mine_cn's tonne above its share is worth 10 USD.
        {"kind": "max_supplier_share", "name": "one_mine", "stage": "mine", "share": 1.0},
        # A floor f on mine_cn's ore against a market price of 0, in the buyer's view (accounting:
        # cost), makes its ore cost 11 + f delivered: CN ore wins below f = 10 (cost 1080 + 80 f), US
        # ore above (1880).  As a transfer (the default) it changes no plan and pays 80 f.
        {"kind": "price_floor", "name": "cn_floor", "facility": "mine_cn", "product": "ore", "floor": 0, "market": 0,
         "accounting": "cost"},
        {"kind": "price_floor", "name": "cn_floor_paid", "facility": "mine_cn", "product": "ore", "floor": 0,
         "market": 0},
        # Both mines are existing: at most 2 holds, at most 1 cannot.
        {"kind": "max_open", "name": "few_mines", "stage": "mine", "count": 2},
    ]
    inst = two_mine_chain(tmp_path / "chain", policies=pols)

    invoke("sweep", inst, "--policy", "one_mine", "--param", "share", "--from", 0.9, "--to", 0.6, "--steps", 4,
           "--out", tmp_path / "s", "--quiet")
    f = frontier(tmp_path / "s")
    assert f["objective"].tolist() == pytest.approx([1880 - 800 * b for b in (0.9, 0.8, 0.7, 0.6)])
    assert f["achieved_2025"].tolist() == pytest.approx([0.9, 0.8, 0.7, 0.6])  # the largest mine's share
    assert f["dual_2025"].tolist() == pytest.approx([10] * 4)
    assert f["achieved_share"].isna().all()  # only a max_share policy has one

    invoke("sweep", inst, "--policy", "cn_floor", "--param", "floor", "--from", 0, "--to", 16, "--steps", 5,
           "--out", tmp_path / "p", "--quiet")
    f = frontier(tmp_path / "p")
    assert f["objective"].tolist() == pytest.approx([1080, 1400, 1720, 1880, 1880])
    assert f["achieved_2025"].tolist() == pytest.approx([80, 80, 80, 0, 0])  # tonnes under the floor
    assert f["group_share"].tolist() == pytest.approx([1, 1, 1, 0, 0])  # CN's share of the mine stage
    assert f["dual_total"].isna().all()  # a price floor is a cost, not a constraint: no dual
    # knee: normalised y = 0, .4, .8, 1, 1 against x = 0, .25, .5, .75, 1: farthest from y = x at x = .5
    assert f.loc[f["knee"], "value"].tolist() == [8]
    assert f["transfer_price_floor"].tolist() == pytest.approx([0] * 5)
    assert f["start"].tolist() == ["cold", "warm", "cold", "warm", "warm"]  # changed costs, put in place

    invoke("sweep", inst, "--policy", "cn_floor_paid", "--param", "floor", "--from", 0, "--to", 16, "--steps", 5,
           "--out", tmp_path / "t", "--quiet")
    f = frontier(tmp_path / "t")
    assert f["objective"].tolist() == pytest.approx([1080] * 5)  # a transfer: the plan does not change
    assert f["transfer_price_floor"].tolist() == pytest.approx([80 * v for v in (0, 4, 8, 12, 16)])

    invoke("sweep", inst, "--policy", "few_mines", "--param", "count", "--from", 2, "--to", 1, "--steps", 2,
           "--out", tmp_path / "c", "--quiet")
    f = frontier(tmp_path / "c")
    assert f["status"].tolist() == ["optimal", "infeasible"]
    assert f["achieved_2025"].iloc[0] == 2


def test_no_plan_at_any_point_exits_1(tmp_path):
    off = {"kind": "offtake", "name": "us_magnets", "customer": "buyer", "product": "magnet", "quantity": 10, "provenance": "any"}
    inst = two_mine_chain(tmp_path / "chain", policies=[off])
    out = tmp_path / "out"
    invoke("sweep", inst, "--policy", "us_magnets", "--param", "quantity", "--from", 50, "--to", 60, "--steps", 2,
           "--out", out, "--quiet", ok=1)
    assert frontier(out)["status"].tolist() == ["infeasible", "infeasible"]
    assert (out / "frontier.png").exists() and (out / "frontier.html").exists()


def test_policy_added_by_a_scenario_is_found_after_the_scenario(tmp_path):
    scenarios = {"capped": {"description": "cap CN ore", "add_policies": [CAP]}}
    inst = three_mines(tmp_path / "chain", scenarios=scenarios)
    out = tmp_path / "out"
    invoke("sweep", inst, "--scenario", "capped", "--policy", "cn_cap", "--param", "share", "--from", 0.4, "--to", 0.2,
           "--steps", 3, "--out", out, "--quiet")
    assert frontier(out)["objective"].tolist() == pytest.approx([1720, 1960, 2200])
    result = invoke("sweep", inst, "--policy", "cn_cap", "--param", "share", "--from", 0.4, "--to", 0.2,
                    "--out", tmp_path / "none", ok=2)
    assert result.stderr.strip() == "instance.yaml:-:policies: no policy named 'cn_cap' in chain; expected one of []"
    assert not (tmp_path / "none").exists()


def test_default_folder_names_the_instance_scenario_policy_and_param(tmp_path, monkeypatch):
    scenarios = {"capped": {"description": "cap CN ore", "add_policies": [CAP]}}
    inst = three_mines(tmp_path / "chain", scenarios=scenarios)
    monkeypatch.chdir(tmp_path)
    invoke("sweep", inst, "-s", "capped", "--policy", "cn_cap", "--param", "share", "--from", 0.6, "--to", 0.5, "--steps", 2, "-q")
    assert (tmp_path / "results" / "chain-capped-sweep-cn_cap-share" / "frontier.csv").exists()
    assert [p.name for p in (tmp_path / "results").iterdir()] == ["chain-capped-sweep-cn_cap-share"]  # no temp left


# --------------------------------------------------------------------------------------------
# bad input: exit 2, one line, nothing written
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "line"), [
    (["--policy", "nope", "--param", "share", "--from", 0.9, "--to", 0.1],
     "instance.yaml:-:policies: no policy named 'nope' in chain; expected one of ['cn_cap']"),
    (["--policy", "cn_cap", "--param", "quantity", "--from", 0.9, "--to", 0.1],
     "instance.yaml:-:quantity: policy 'cn_cap' (max_share) has no numeric parameter 'quantity'; expected one of ['share']"),
    (["--policy", "cn_cap", "--param", "stage", "--from", 0.9, "--to", 0.1],
     "instance.yaml:-:stage: policy 'cn_cap' (max_share) has no numeric parameter 'stage'; expected one of ['share']"),
    (["--policy", "cn_cap", "--param", "share", "--from", 1.5, "--to", -0.5, "--steps", 5],
     "instance.yaml:-:share: policy 'cn_cap': got 1.5, -0.5; expected a fraction between 0 and 1 for every value of the sweep"),
    (["--policy", "cn_cap", "--param", "share", "--from", 0.9, "--to", 0.1, "--periods", "2031"],
     "--periods:-:-: year(s) [2031] outside the horizon; expected years from [2025]"),
    (["--policy", "cn_cap", "--param", "share", "--from", 0.9, "--to", 0.1, "--periods", "20x5"],
     "--periods:-:-: got '20x5'; expected years such as 2030,2035"),
    (["--policy", "cn_cap", "--param", "share", "--from", 0.9, "--to", 0.1, "--stage", "moon"],
     "--stage:-:-: unknown stage 'moon'; expected one of ['magnet', 'mine']"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, line):
    inst = two_mine_chain(tmp_path / "chain", policies=[CAP])
    out = tmp_path / "out"
    result = invoke("sweep", inst, *args, "--out", out, ok=2)
    assert result.stderr.splitlines() == [line]
    assert not out.exists()
    assert not list(tmp_path.glob(".out.*"))


def test_quantity_below_zero_and_fractional_count_are_rejected(tmp_path):
    pols = [{"kind": "export_cap", "name": "cn_ore", "group": "covered", "product": "ore", "quantity": 0},
            {"kind": "max_open", "name": "few_mines", "stage": "mine", "count": 2}]
    inst = two_mine_chain(tmp_path / "chain", policies=pols)
    r = invoke("sweep", inst, "--policy", "cn_ore", "--param", "quantity", "--from", 10, "--to", -10, "--steps", 3, ok=2)
    assert r.stderr.splitlines() == ["instance.yaml:-:quantity: policy 'cn_ore': got -10; expected a number >= 0 for every value of the sweep"]
    r = invoke("sweep", inst, "--policy", "few_mines", "--param", "count", "--from", 2, "--to", 1, "--steps", 3, ok=2)
    assert r.stderr.splitlines() == [
        "instance.yaml:-:count: policy 'few_mines': got 1.5; expected a whole number of facilities >= 0 for every value of the sweep"]


def test_periods_must_be_years_the_policy_applies_in(tmp_path):
    inst = two_mine_chain(tmp_path / "chain", periods=[2025, 2026], policies=[{**CAP, "periods": [2025]}])
    r = invoke("sweep", inst, "--policy", "cn_cap", "--param", "share", "--from", 0.9, "--to", 0.1, "--periods", "2026",
               "--out", tmp_path / "out", ok=2)
    assert r.stderr.splitlines() == [
        "--periods:-:-: policy 'cn_cap' does not apply in [2026] (its periods: [2025]); expected years it applies in"]
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------------------------
# the knee, values, stages: unit tests
# --------------------------------------------------------------------------------------------


def test_knee_on_a_hand_made_frontier():
    # x 0..4, y 100, 40, 20, 10, 0. Normalised: x = 0, .25, .5, .75, 1; y = 1, .4, .2, .1, 0. The
    # chord is x + y = 1; distances |x + y - 1| / sqrt 2 = .35, .30, .15 (/ sqrt 2) at x = 1, 2, 3:
    # the knee is the point (1, 40).
    x, y = [0, 1, 2, 3, 4], [100, 40, 20, 10, 0]
    assert knee(x, y) == 1
    # order of the points and units of the axes do not matter
    order = [3, 0, 4, 1, 2]
    assert knee([x[i] for i in order], [1000 * y[i] + 7 for i in order]) == order.index(1)
    # a bend further right moves the knee: y 100, 95, 90, 85, 0 -> distances .2, .4, .6 (/ sqrt 2)
    assert knee(x, [100, 95, 90, 85, 0]) == 3
    # no knee: a straight line, a flat one, fewer than three points; NaN points are ignored
    assert knee(x, [10, 20, 30, 40, 50]) is None
    assert knee(x, [5] * 5) is None
    assert knee([0, 1], [3, 1]) is None
    assert knee([0, 1, math.nan, 2], [100, 10, 50, 0]) == 1


def test_sweep_values_include_both_ends():
    assert sweep_values(0.9, 0.1, 9) == pytest.approx([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1])
    assert sweep_values(0.9, 0.1, 9)[2] == 0.7  # rounded: no 0.7000000000000001 in folder names
    assert sweep_values(7000, 0, 3) == [7000, 3500, 0]


def test_relevant_stage_of_a_share_of_deliveries_is_the_delivering_stage(tmp_path):
    pol = {"kind": "max_share", "name": "cn_deliveries", "customers": ["buyer"], "group": "covered", "share": 0.5}
    inst = load_instance(two_mine_chain(tmp_path / "chain", policies=[pol, CAP]))
    assert relevant_stage(inst, inst.policy("cn_deliveries")) == "magnet"
    assert relevant_stage(inst, inst.policy("cn_cap")) == "mine"


def test_frontier_columns_and_sweep_json_fields_are_documented(swept):
    out, _ = swept
    text = (ROOT / "docs" / "results.md").read_text(encoding="utf-8")
    part = text.split("### `frontier.csv`", 1)[1].split("\n## ", 1)[0]
    frontier_doc, meta_doc = part.split("### `sweep.json`", 1)
    documented = set(re.findall(r"^\| `([^`]+)` \|", frontier_doc, flags=re.MULTILINE))
    for col in frontier(out).columns:
        generic = re.sub(r"_\d{4}$", "_<year>", col)
        generic = "cost_<term>" if generic.startswith("cost_") else generic
        generic = "transfer_<term>" if generic.startswith("transfer_") else generic
        assert generic in documented, col
    for key in json.loads((out / "sweep.json").read_text()):
        assert f"`{key}`" in meta_doc, key


def test_sweeping_the_market_price_of_a_floor_that_follows_the_price_path(tmp_path):
    """tiny_price_floor's floor gives no market: it follows oxide's surplus value (60 in 2025, 75 in
    2026).  Sweeping `market` in 2026 only keeps 2025 on the price path: payouts (110 - 60) x 60 in
    2025 and (110 - m) x 60 in 2026; the plan, and so the objective, never moves (a transfer)."""
    inst = ROOT / "instances" / "tiny_price_floor"
    invoke("sweep", inst, "--policy", "us_floor", "--param", "market", "--from", 70, "--to", 110, "--steps", 3,
           "--periods", "2026", "--out", tmp_path / "m", "--quiet")
    f = frontier(tmp_path / "m")
    assert f["objective"].tolist() == pytest.approx([17800] * 3)
    assert f["transfer_price_floor"].tolist() == pytest.approx([3000 + (110 - m) * 60 for m in (70, 90, 110)])


def test_a_point_not_kept_reads_only_the_swept_familys_duals():
    """A sweep's point that is not kept asks the pipeline for the swept family's duals only: the
    same rows, the same values, as the full duals table has for that family."""
    from optimizer.pipeline import run
    from optimizer.solving.options import SolveOptions

    inst = load_instance(ROOT / "instances" / "us_mine_to_magnet")
    full = run(inst.folder, (), SolveOptions(), instance=inst).tables["duals"]
    some = run(inst.folder, (), SolveOptions(), instance=inst, duals_of=("max_share",)).tables["duals"]
    assert set(full["constraint"]) > {"max_share"} and set(some["constraint"]) == {"max_share"}
    pd.testing.assert_frame_equal(some, full[full["constraint"] == "max_share"].reset_index(drop=True))


TIMES = ["build_seconds", "solve_seconds", "seconds"]


def test_a_chains_next_points_are_remade_not_built(tmp_path, monkeypatch):
    """Within a chain, a point's model is the last point's with the cap's numbers put in
    (:func:`optimizer.model.build.remake_policies`): of the ten points of the module docstring, in
    two chains of five, only the first of each chain is built.  The cap of 0 is remade too (its
    row keeps its key; only its coefficients are 0, so HiGHS gets it whole: the test above).  The
    frontier is the one of models built afresh."""
    import optimizer.pipeline as pipeline

    inst = three_mines(tmp_path / "chain", policies=[CAP])
    built: list[float] = []
    build = pipeline.build_model
    monkeypatch.setattr(pipeline, "build_model", lambda i, **kw: built.append(i.policy("cn_cap").share) or build(i, **kw))
    args = ["sweep", inst, "--policy", "cn_cap", "--param", "share", "--from", 0.9, "--to", 0, "--steps", 10,
            "--workers", 1, "--quiet"]
    invoke(*args, "--out", tmp_path / "remade", ok=None)
    assert built == [0.9, 0.4]
    monkeypatch.setattr(pipeline, "remake_policies", lambda *_: False)
    invoke(*args, "--out", tmp_path / "built", ok=None)
    assert len(built) == 2 + 10
    pd.testing.assert_frame_equal(frontier(tmp_path / "remade").drop(columns=TIMES),
                                  frontier(tmp_path / "built").drop(columns=TIMES))


def test_a_flagship_sweep_is_the_same_with_remade_models(tmp_path, monkeypatch):
    """The README's flagship sweep (provenance tracked, so each point is relabelled too): the same
    frontier, number for number, whether each point's model is remade from the last or built."""
    import optimizer.pipeline as pipeline

    args = ["sweep", ROOT / "instances" / "us_mine_to_magnet", "--scenario", "china_cap_50", "--policy",
            "china_share_us", "--param", "share", "--from", 0.1, "--to", 0.05, "--steps", 3, "--workers", 1, "--quiet"]
    invoke(*args, "--out", tmp_path / "remade")
    monkeypatch.setattr(pipeline, "remake_policies", lambda *_: False)
    invoke(*args, "--out", tmp_path / "built")
    pd.testing.assert_frame_equal(frontier(tmp_path / "remade").drop(columns=TIMES),
                                  frontier(tmp_path / "built").drop(columns=TIMES))

"""One small, hand-solvable instance per constraint family of ``optimizer.model.build``.

Every case states its derivation next to the numbers it asserts.  Unless a test says
otherwise, the base chain is :func:`chain`:

* ``mine_cn`` (CN, covered group) makes ore at 10 USD/t, capacity 100;
* ``mine_us`` (US) makes ore at 20 USD/t, capacity 100;
* ``plant`` (US, unlimited) turns 2 t ore into 1 t magnet at 5 USD/t;
* ore lanes cost 1 USD/t, the magnet lane to ``buyer`` (US) is free.

So a magnet made from CN ore costs 2*(10+1)+5 = 27 USD, from US ore 2*(20+1)+5 = 47 USD, and
40 t of magnets from CN ore cost 80*10 + 80*1 + 40*5 = 1080 USD.
"""

from __future__ import annotations

import copy
from itertools import count
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pyomo.environ as pyo

from optimizer.input.instance import ANY, CLEAN, TOUCHED
from optimizer.pipeline import Run, run
from optimizer.solving.solver import Status
from tests.helpers import write_instance

_n = count()


# ============================================================================================
# building blocks
# ============================================================================================


def fac(name: str, stage: str, country: str, capacity: float | None, cost: float, **kw: Any) -> dict:
    return {"facility": name, "stage": stage, "country": country, "capacity": capacity, "cost": cost, **kw}


def rec(facility: str, product: str, direction: str, ratio: float) -> dict:
    return {"facility": facility, "product": product, "direction": direction, "ratio": ratio}


def lane(origin: str, destination: str, product: str, cost: float = 0.0, **kw: Any) -> dict:
    return {"origin": origin, "destination": destination, "product": product, "cost": cost, **kw}


def dem(customer: str, country: str, product: str, period: int, quantity: float,
        penalty: float | None = None, provenance: str = "any") -> dict:
    return {"customer": customer, "country": country, "product": product, "period": period,
            "quantity": quantity, "penalty": penalty, "provenance": provenance}


COUNTRIES = [
    {"country": "CN", "name": "China", "groups": "covered"},
    {"country": "US", "name": "United States", "groups": "west"},
    {"country": "JP", "name": "Japan", "groups": ""},
]


def prod(name: str, surplus_value: float | None = None) -> dict:
    return {"product": name, "unit": "t", "surplus_value": surplus_value}


def chain(periods: tuple[int, ...] = (2025,), demand: float = 40, penalty: float | None = None) -> dict:
    """The base two-mine chain described in the module docstring."""
    return {
        "countries": copy.deepcopy(COUNTRIES),
        "products": [prod("ore"), prod("magnet")],
        "facilities": [
            fac("mine_cn", "mine", "CN", 100, 10),
            fac("mine_us", "mine", "US", 100, 20),
            fac("plant", "magnet", "US", None, 5),
        ],
        "recipes": [
            rec("mine_cn", "ore", "out", 1),
            rec("mine_us", "ore", "out", 1),
            rec("plant", "ore", "in", 2),
            rec("plant", "magnet", "out", 1),
        ],
        "lanes": [
            lane("mine_cn", "plant", "ore", 1),
            lane("mine_us", "plant", "ore", 1),
            lane("plant", "buyer", "magnet", 0),
        ],
        "demands": [dem("buyer", "US", "magnet", t, demand, penalty) for t in periods],
    }


def sources(demand_jp: float | None = None) -> dict:
    """Two magnet sources: ``mag_cn`` (CN, 30 USD/t) and ``mag_us`` (US, 50 USD/t), capacity 100
    each, free lanes to ``buyer`` (US, 40 t) and, if asked, ``buyer_jp`` (JP)."""
    t = {
        "countries": copy.deepcopy(COUNTRIES),
        "products": [prod("magnet")],
        "facilities": [fac("mag_cn", "magnet", "CN", 100, 30), fac("mag_us", "magnet", "US", 100, 50)],
        "recipes": [rec("mag_cn", "magnet", "out", 1), rec("mag_us", "magnet", "out", 1)],
        "lanes": [lane("mag_cn", "buyer", "magnet"), lane("mag_us", "buyer", "magnet")],
        "demands": [dem("buyer", "US", "magnet", 2025, 40)],
    }
    if demand_jp is not None:
        t["lanes"] += [lane("mag_cn", "buyer_jp", "magnet"), lane("mag_us", "buyer_jp", "magnet")]
        t["demands"].append(dem("buyer_jp", "JP", "magnet", 2025, demand_jp))
    return t


def row(tables: dict, table: str, **match: Any) -> dict:
    """The one row of ``table`` whose columns equal ``match`` (to edit it in place)."""
    hits = [r for r in tables[table] if all(r.get(k) == v for k, v in match.items())]
    assert len(hits) == 1, (table, match, hits)
    return hits[0]


def solve(tmp_path: Path, tables: dict, periods: tuple[int, ...] = (2025,), expect: Status = Status.OPTIMAL,
          **header: Any) -> Run:
    folder = write_instance(tmp_path / f"case{next(_n)}", {"periods": list(periods), **header}, tables)
    r = run(folder)
    assert r.solution.status == expect, r.solution.termination
    return r


# ---- reading results ------------------------------------------------------------------------


def duals_of(r: Run, family: str, *index: Any):
    d = r.tables["duals"]
    return d[(d["constraint"] == family) & (d["index"] == "|".join(map(str, index)))]


def dual(r: Run, family: str, *index: Any) -> float:
    sel = duals_of(r, family, *index)
    assert len(sel) == 1, (family, index, r.tables["duals"].to_string())
    return float(sel["value"].iloc[0])


def flow(r: Run, o: str, d: str, p: str, t: int, g: str | None = None) -> float:
    f = r.tables["flows"]
    sel = f[(f.origin == o) & (f.destination == d) & (f["product"] == p) & (f.period == t)]
    if g is not None:
        sel = sel[sel.provenance == g]
    return float(sel["quantity"].sum())


def act(r: Run, f: str, t: int, g: str | None = None) -> float:
    a = r.tables["activity"]
    sel = a[(a.facility == f) & (a.period == t)]
    if g is not None:
        sel = sel[sel.provenance == g]
    return float(sel["activity"].sum())


def act_row(r: Run, f: str, t: int):
    a = r.tables["activity"]
    sel = a[(a.facility == f) & (a.period == t)]
    assert len(sel) >= 1
    return sel.iloc[0]


def cost(r: Run, term: str, t: int, kind: str = "cost") -> float | None:
    c = r.tables["costs"]
    sel = c[(c.term == term) & (c.period == t) & (c.kind == kind)]
    return None if sel.empty else float(sel["cost"].sum())


def keys(r: Run, component: str) -> set:
    return set(getattr(r.built.model, component).keys())


approx = pytest.approx


# ============================================================================================
# product balance
# ============================================================================================


def test_product_balance_with_coproducts_and_input_recipe(tmp_path):
    """A separation plant: 2 t ore in -> 1 t ndpr + 0.5 t ce out (3 USD per unit of activity).

    ce has a surplus value of 4 USD/t; ndpr demand 10 t, ce demand 2 t, both hard.
    Activity 10 -> 20 t ore from the mine (10 USD/t + lane 1), 10 t ndpr, 5 t ce of which
    2 delivered and 3 left as surplus earning 3*4 = 12.
    Objective = 20*10 + 20*1 + 10*3 - 12 = 238.
    Duals (USD/t): ore at mine 10; ore at sep 11; ce at sep = 4 (one t less ce available would
    have been surplus worth 4); ndpr at sep = 2*11 + 3 - 0.5*4 = 23 (the co-product credit
    lowers the main product's marginal cost); delivered duals equal those (free lanes).
    """
    t = {
        "countries": copy.deepcopy(COUNTRIES),
        "products": [prod("ore"), prod("ndpr"), prod("ce", 4)],
        "facilities": [fac("mine", "mine", "US", 100, 10), fac("sep", "separation", "US", None, 3)],
        "recipes": [rec("mine", "ore", "out", 1), rec("sep", "ore", "in", 2),
                    rec("sep", "ndpr", "out", 1), rec("sep", "ce", "out", 0.5)],
        "lanes": [lane("mine", "sep", "ore", 1), lane("sep", "maker", "ndpr"), lane("sep", "polisher", "ce")],
        "demands": [dem("maker", "US", "ndpr", 2025, 10), dem("polisher", "US", "ce", 2025, 2)],
    }
    r = solve(tmp_path, t)
    assert r.solution.objective == approx(238)
    assert act(r, "sep", 2025) == approx(10)
    assert act(r, "mine", 2025) == approx(20)
    assert flow(r, "mine", "sep", "ore", 2025) == approx(20)
    assert flow(r, "sep", "polisher", "ce", 2025) == approx(2)
    s = r.tables["surplus"]
    assert s[["facility", "product", "quantity", "value_per_t", "value"]].values.tolist() == [["sep", "ce", 3.0, 4.0, 12.0]]
    assert cost(r, "surplus", 2025) == approx(-12)
    assert dual(r, "product_balance", "mine", "ore", ANY, 2025) == approx(10)
    assert dual(r, "product_balance", "sep", "ore", ANY, 2025) == approx(11)
    assert dual(r, "product_balance", "sep", "ce", ANY, 2025) == approx(4)
    assert dual(r, "product_balance", "sep", "ndpr", ANY, 2025) == approx(23)
    assert dual(r, "demand_balance", "maker", "ndpr", 2025) == approx(23)
    assert dual(r, "demand_balance", "polisher", "ce", 2025) == approx(4)
    assert duals_of(r, "product_balance", "sep", "ndpr", ANY, 2025)["unit"].iloc[0] == "USD/t"


# ============================================================================================
# demand balance
# ============================================================================================


@pytest.mark.parametrize(
    "penalty, delivered, unmet, dual_value, objective",
    [
        # penalty 20 < 27 (cheapest magnet): leave all 40 t unmet, 40*20 = 800; dual = penalty
        (20, 0, 40, 20, 800),
        # penalty 30 > 27: supply all from CN ore, 1080; dual = marginal cost 27
        (30, 40, 0, 27, 1080),
    ],
)
def test_demand_with_penalty(tmp_path, penalty, delivered, unmet, dual_value, objective):
    r = solve(tmp_path, chain(penalty=penalty))
    u = r.tables["unmet"].iloc[0]
    assert (u["delivered"], u["unmet"], u["penalty"]) == (approx(delivered), approx(unmet), penalty)
    assert dual(r, "demand_balance", "buyer", "magnet", 2025) == approx(dual_value)
    assert cost(r, "unmet_penalty", 2025) == approx(unmet * penalty)
    assert r.solution.objective == approx(objective)
    assert keys(r, "unmet") == {("buyer", "magnet", 2025)}


def test_hard_demand_and_binding_capacity(tmp_path):
    """Hard demand of 60 t magnets = 120 t ore: mine_cn runs at its capacity 100, mine_us 20.

    Objective = 100*11 + 20*21 + 60*5 = 1820.  The marginal magnet comes from US ore: 47.
    Capacity of mine_cn is worth 21 - 11 = 10 per unit/yr; mine_us is slack (not listed).
    The unlimited plant has no capacity row; a hard demand has no unmet variable.
    """
    r = solve(tmp_path, chain(demand=60))
    assert r.solution.objective == approx(1820)
    assert act(r, "mine_cn", 2025) == approx(100)
    assert act(r, "mine_us", 2025) == approx(20)
    assert dual(r, "demand_balance", "buyer", "magnet", 2025) == approx(47)
    assert dual(r, "capacity_limit", "mine_cn", 2025) == approx(10)
    assert duals_of(r, "capacity_limit", "mine_cn", 2025)["unit"].iloc[0] == "USD per unit of activity/yr"
    assert duals_of(r, "capacity_limit", "mine_us", 2025).empty
    assert keys(r, "capacity_limit") == {("mine_cn", 2025), ("mine_us", 2025)}
    assert keys(r, "unmet") == set()
    u = r.tables["unmet"].iloc[0]
    assert u["unmet"] == 0 and u["delivered"] == approx(60) and u["penalty"] != u["penalty"]  # NaN: hard


# ============================================================================================
# capacity: capacity.csv ramp-up, first_year / last_year
# ============================================================================================


def test_capacity_csv_overrides_facility_capacity(tmp_path):
    """capacity.csv sets mine_cn to 30 in 2026 (facilities.csv says 100).

    2025: all 80 t ore from mine_cn.  2026: mine_cn 30, mine_us 50, and mine_cn's capacity is
    worth 21 - 11 = 10.  Objective = 1080 + (30*11 + 50*21 + 200) = 1080 + 1580 = 2660.
    """
    t = chain(periods=(2025, 2026))
    t["capacity"] = [{"facility": "mine_cn", "period": 2026, "capacity": 30}]
    r = solve(tmp_path, t, periods=(2025, 2026))
    assert act(r, "mine_cn", 2025) == approx(80)
    assert act(r, "mine_cn", 2026) == approx(30)
    assert act(r, "mine_us", 2026) == approx(50)
    assert act_row(r, "mine_cn", 2025)["capacity"] == 100
    assert act_row(r, "mine_cn", 2026)["capacity"] == 30
    assert duals_of(r, "capacity_limit", "mine_cn", 2025).empty
    assert dual(r, "capacity_limit", "mine_cn", 2026) == approx(10)
    assert r.solution.objective == approx(2660)


def test_first_and_last_year_limit_activity_and_flows(tmp_path):
    """mine_cn operates 2025-2026 (last_year), mine_us 2026-2027 (first_year).

    2025 and 2026: CN ore (cheaper, both open in 2026); 2027: only mine_us, 47/magnet.
    No activity or flow variable exists outside a facility's years: activity variables are
    mine_cn 2 + mine_us 2 + plant 3 = 7; flow variables are mine_cn->plant 2 + mine_us->plant 2
    + plant->buyer 3 = 7.  Objective = 1080 + 1080 + 40*47 = 4040.
    """
    t = chain(periods=(2025, 2026, 2027))
    row(t, "facilities", facility="mine_cn")["last_year"] = 2026
    row(t, "facilities", facility="mine_us")["first_year"] = 2026
    r = solve(tmp_path, t, periods=(2025, 2026, 2027))
    assert {k[2] for k in keys(r, "activity") if k[0] == "mine_cn"} == {2025, 2026}
    assert {k[2] for k in keys(r, "activity") if k[0] == "mine_us"} == {2026, 2027}
    assert len(keys(r, "activity")) == 7
    assert len(keys(r, "flow")) == 7
    assert {(k[0], k[4]) for k in keys(r, "flow") if k[1] == "plant"} == {
        ("mine_cn", 2025), ("mine_cn", 2026), ("mine_us", 2026), ("mine_us", 2027)}
    assert flow(r, "mine_cn", "plant", "ore", 2026) == approx(80)
    assert flow(r, "mine_us", "plant", "ore", 2027) == approx(80)
    a = r.tables["activity"]
    assert sorted(a[a.facility == "mine_cn"].period) == [2025, 2026]
    assert sorted(a[a.facility == "mine_us"].period) == [2026, 2027]
    assert r.solution.objective == approx(4040)


# ============================================================================================
# candidates and expansions
# ============================================================================================


def candidate_case() -> tuple[dict, tuple[int, ...]]:
    """mine_us (existing, 20 USD/t) and candidate mine_new (5 USD/t, capacity 100, fixed 500/yr).

    Demand (t magnets): 2025: 5, 2026: 40, 2027: 40, 2028: 5 (ore twice that).
    Opening saves 15 USD/t of ore: 150 in a 5-t year (< 500 fixed), 1200 in a 40-t year.
    Best: open in 2026; it must then stay open in 2028 although closing would save 500-150.
      2025 (closed): 10*20 + 10*1 + 5*5 = 235
      2026, 2027 (open): 500 + 80*5 + 80*1 + 40*5 = 1180 each
      2028 (open):  500 + 10*5 + 10*1 + 5*5 = 585
    Objective = 235 + 1180 + 1180 + 585 = 3180 (opening in 2025 costs 585 instead of 235;
    never opening costs 4230).
    """
    periods = (2025, 2026, 2027, 2028)
    t = chain(periods=periods)
    t["facilities"] = [
        fac("mine_us", "mine", "US", 100, 20),
        fac("mine_new", "mine", "US", 100, 5, fixed_cost=500, status="candidate"),
        fac("plant", "magnet", "US", None, 5),
    ]
    t["recipes"] = [r for r in t["recipes"] if r["facility"] != "mine_cn"] + [rec("mine_new", "ore", "out", 1)]
    t["lanes"] = [lane("mine_us", "plant", "ore", 1), lane("mine_new", "plant", "ore", 1), lane("plant", "buyer", "magnet")]
    for d, q in zip(t["demands"], (5, 40, 40, 5)):
        d["quantity"] = q
    return t, periods


def test_candidate_opens_stays_open_and_pays_fixed_cost_each_open_year(tmp_path):
    t, periods = candidate_case()
    r = solve(tmp_path, t, periods=periods)
    assert r.solution.objective == approx(3180)
    m = r.built.model
    assert keys(r, "open") == {("mine_new", y) for y in periods}
    assert all(m.open[k].is_binary() for k in m.open)
    assert len(m.open_stays_open) == 3  # (2025,2026), (2026,2027), (2027,2028)
    a = r.tables["activity"]
    new = a[a.facility == "mine_new"].sort_values("period")
    assert new["open"].tolist() == [0, 1, 1, 1]
    assert new["built"].tolist() == [0, 100, 0, 0]
    assert new["capacity"].tolist() == [0, 100, 100, 100]
    assert new["activity"].tolist() == approx([0, 80, 80, 10])
    # the fixed cost is charged in every open year, including 2028 where it is not worth it
    assert [cost(r, "fixed", y) for y in periods] == approx([0, 500, 500, 500])
    inv = r.tables["investments"]
    assert inv[["facility", "period", "kind", "steps", "capacity_added", "capex"]].values.tolist() == [
        ["mine_new", 2026, "open", 1.0, 100.0, 0.0]]


def test_existing_fixed_cost_is_a_constant_in_the_objective(tmp_path):
    """An existing facility's fixed cost (7 USD/yr at the plant) is paid whatever the plan:
    objective = 1080 + 7, with a `fixed` cost term of 7."""
    t = chain()
    row(t, "facilities", facility="plant")["fixed_cost"] = 7
    r = solve(tmp_path, t)
    assert cost(r, "fixed", 2025) == approx(7)
    assert r.solution.objective == approx(1087)


@pytest.mark.parametrize(
    "integer, max_steps, steps, objective",
    [
        # mine_cn base capacity 65; 80 t ore needed.  2025 (before first_period): 65 CN + 15 US
        # = 65*11 + 15*21 + 200 = 1230.  2026 (the last of two one-year periods): a step adds
        # 10 units for 30 USD with a lifetime of one year, so its annuity is 30 (3 per unit,
        # saving 10 per unit): continuous builds exactly 1.5 steps: 80*11 + 200 + 45 = 1125.
        (False, 3, 1.5, 1230 + 1125),
        # integer: 2 steps (80*11 + 200 + 60 = 1140) beat 1 step (30 + 75*11 + 5*21 + 200 = 1160)
        (True, 3, 2.0, 1230 + 1140),
        # max_steps 1: one step, 5 t still from the US: 30 + 75*11 + 5*21 + 200 = 1160
        (False, 1, 1.0, 1230 + 1160),
    ],
)
def test_expansion_steps(tmp_path, integer, max_steps, steps, objective):
    t = chain(periods=(2025, 2026))
    row(t, "facilities", facility="mine_cn")["capacity"] = 65
    t["expansions"] = [{"facility": "mine_cn", "first_period": 2026, "size": 10, "capex": 30, "lifetime": 1,
                        "integer": str(integer).lower(), "max_steps": max_steps}]
    r = solve(tmp_path, t, periods=(2025, 2026))
    assert r.solution.objective == approx(objective)
    m = r.built.model
    assert keys(r, "steps") == {("mine_cn", 2026)}  # nothing before first_period
    assert m.steps["mine_cn", 2026].is_integer() is integer
    assert m.steps["mine_cn", 2026].value == approx(steps)
    assert cost(r, "capex", 2026) == approx(30 * steps)
    assert act_row(r, "mine_cn", 2025)["capacity"] == 65
    assert act_row(r, "mine_cn", 2026)["capacity"] == approx(65 + 10 * steps)
    assert act_row(r, "mine_cn", 2026)["built"] == approx(10 * steps)
    inv = r.tables["investments"]
    assert inv[["facility", "period", "kind"]].values.tolist() == [["mine_cn", 2026, "expansion"]]
    assert inv[["steps", "capacity_added", "capex", "lifetime", "annuity"]].values.tolist()[0] == approx(
        [steps, 10 * steps, 30 * steps, 1, 30 * steps])
    # 2025: capacity binds, the marginal ore is American: worth 21 - 11 = 10
    assert dual(r, "capacity_limit", "mine_cn", 2025) == approx(10)
    if not integer and max_steps == 3:
        # capacity is bought at 3 USD/unit, so one more unit is worth 3; magnet 2*(11+3)+5 = 33
        assert dual(r, "capacity_limit", "mine_cn", 2026) == approx(3)
        assert dual(r, "demand_balance", "buyer", "magnet", 2026) == approx(33)
    elif integer:
        # integers fixed at 2 steps: 85 units available, 80 used -> capacity slack; magnet 27
        assert duals_of(r, "capacity_limit", "mine_cn", 2026).empty
        assert dual(r, "demand_balance", "buyer", "magnet", 2026) == approx(27)
    else:
        # max_steps binds: the marginal ore is American again
        assert dual(r, "capacity_limit", "mine_cn", 2026) == approx(10)
        assert dual(r, "demand_balance", "buyer", "magnet", 2026) == approx(47)


@pytest.mark.parametrize("rate, lifetime, a", [
    # no discounting: capex / lifetime per year
    (0.0, None, 600 / 20), (0.0, 4, 600 / 4),
    # capital recovery factor r / (1 - (1+r)^-L): 600 x 0.1 / (1 - 1.1^-4) = 189.2825...
    (0.1, 4, 600 * 0.1 / (1 - 1.1 ** -4)),
])
def test_expansion_capex_is_an_annuity_in_every_year_from_the_one_built(tmp_path, rate, lifetime, a):
    """Four one-year periods 2025-2028; mine_cn (capacity 0) can add 80 units/yr from 2026 for a
    capex of 600 (one step, continuous).  It saves 10 USD per t of ore on 80 t/yr, 800 USD/yr,
    more than any annuity here, so one full step is built in 2026 and its annuity A is charged in
    2026, 2027 and 2028 (the years the capacity is there), not the capex at once in 2026."""
    periods = (2025, 2026, 2027, 2028)
    t = chain(periods=periods)
    row(t, "facilities", facility="mine_cn")["capacity"] = 0
    t["expansions"] = [{"facility": "mine_cn", "first_period": 2026, "size": 80, "capex": 600, "max_steps": 1,
                        "lifetime": lifetime}]
    r = solve(tmp_path, t, periods=periods, discount_rate=rate)
    assert r.built.model.steps["mine_cn", 2026].value == approx(1)
    assert [cost(r, "capex", y) for y in periods[1:]] == approx([a] * 3)
    assert "capex" not in set(r.tables["costs"][r.tables["costs"].period == 2025].term) or cost(r, "capex", 2025) == 0
    inv = r.tables["investments"]
    assert inv[["capex", "lifetime", "annuity"]].values.tolist()[0] == approx([600, lifetime or 20, a])
    d = [1.1 ** -(y - 2025) if rate else 1.0 for y in periods]
    us_2025 = 80 * 21 + 200  # 2025: all ore from the US mine
    cn_year = 80 * 11 + 200
    assert r.solution.objective == approx(us_2025 + sum((cn_year + a) * d[i] for i in (1, 2, 3)))


def test_expansion_near_the_end_pays_only_the_annuities_inside_the_horizon(tmp_path):
    """The same step, 600 USD over 20 years (30 USD/yr), can only be built in 2028, the last year:
    it pays 30 USD there and saves 800, so it is built (a one-off charge of 600 would still be
    built here; with a saving of 500 it would not: see the second solve)."""
    periods = (2025, 2026, 2027, 2028)
    t = chain(periods=periods)
    row(t, "facilities", facility="mine_cn")["capacity"] = 0
    t["expansions"] = [{"facility": "mine_cn", "first_period": 2028, "size": 80, "capex": 600, "max_steps": 1}]
    r = solve(tmp_path, t, periods=periods)
    assert r.built.model.steps["mine_cn", 2028].value == approx(1)
    assert cost(r, "capex", 2028) == approx(30)
    # US ore dearer by only 6.25 USD/t: saving 80 x 6.25 = 500 < 600 but > 30: still built
    row(t, "facilities", facility="mine_cn")["cost"] = 20 - 6.25
    r = solve(tmp_path, t, periods=periods)
    assert r.built.model.steps["mine_cn", 2028].value == approx(1)
    assert r.solution.objective == approx(3 * (80 * 21 + 200) + 80 * (20 - 6.25 + 1) + 200 + 30)


def test_candidate_capex_is_an_annuity_while_open(tmp_path):
    """A candidate mine (US, 12 USD/t, capacity 100) with capex 1000 over 10 years (r = 0: 100 USD/yr)
    and no fixed cost, periods 2025-2026 (one year each), CN ore banned by a cap of 0: without it
    the US mine (20 USD/t) supplies 80 t/yr.  Opening saves 8 x 80 = 640 USD/yr > 100: open in
    2025, capex 100 in each year, investments.csv shows the capex, lifetime and annuity."""
    periods = (2025, 2026)
    t = chain(periods=periods)
    t["facilities"].append(fac("mine_new", "mine", "US", 100, 12, status="candidate", capex=1000, lifetime=10))
    t["recipes"].append(rec("mine_new", "ore", "out", 1))
    t["lanes"].append(lane("mine_new", "plant", "ore", 1))
    cap = {"kind": "max_share", "name": "no_cn", "stage": "mine", "group": "covered", "share": 0}
    r = solve(tmp_path, t, periods=periods, policies=[cap])
    assert [cost(r, "capex", y) for y in periods] == approx([100, 100])
    inv = r.tables["investments"]
    assert inv[["facility", "period", "kind", "capex", "lifetime", "annuity"]].values.tolist() == [
        ["mine_new", 2025, "open", 1000, 10, 100]]
    assert r.solution.objective == approx(2 * (80 * 13 + 200 + 100))


# ============================================================================================
# lanes and tariffs
# ============================================================================================


def hub_chain(hub_capacity: float | None = 10, hub_cost: float = 3, **hub: Any) -> dict:
    """mine_cn's ore reaches the buyer only through ``hub`` (US), which takes and makes ore 1:1;
    the buyer wants 100 t of ore (penalty 50 USD/t)."""
    return {
        "countries": copy.deepcopy(COUNTRIES),
        "products": [prod("ore")],
        "facilities": [fac("mine_cn", "mine", "CN", 1000, 10), fac("hub", "port", "US", hub_capacity, hub_cost, **hub)],
        "recipes": [rec("mine_cn", "ore", "out", 1), rec("hub", "ore", "in", 1), rec("hub", "ore", "out", 1)],
        "lanes": [lane("mine_cn", "hub", "ore", 1), lane("hub", "buyer", "ore", 2)],
        "demands": [dem("buyer", "US", "ore", 2025, 100, penalty=50)],
    }


def test_pass_through_is_activity_within_capacity_and_pays_its_cost(tmp_path):
    """A hub of 10 t/yr passes 10 t (not 100): 10 x (10 + 1 + 3 + 2) = 160, and 90 t unmet at 50:
    objective 4,660.  Its arrivals and its output are separate rows: input_balance[hub, ore] says
    10 t in = 10 t consumed; product_balance[hub, ore] says 10 t made = 10 t shipped."""
    r = solve(tmp_path, hub_chain())
    assert act(r, "hub", 2025) == approx(10)
    assert flow(r, "mine_cn", "hub", "ore", 2025) == approx(10)
    assert flow(r, "hub", "buyer", "ore", 2025) == approx(10)
    assert r.solution.objective == approx(160 + 90 * 50)
    assert keys(r, "input_balance") == {("hub", "ore", ANY, 2025)}
    assert ("hub", "ore", ANY, 2025) in keys(r, "product_balance")
    # the hub's capacity is worth 50 - 16 = 34 per t/yr; ore arriving at the hub costs 11, leaving it 14
    assert dual(r, "capacity_limit", "hub", 2025) == approx(34)
    assert dual(r, "input_balance", "hub", "ore", ANY, 2025) == approx(11)
    assert dual(r, "product_balance", "hub", "ore", ANY, 2025) == approx(48)


def test_pass_through_must_run_and_ratio(tmp_path):
    """A toll processor that loses 20% (1 t in -> 0.8 t out), must run at 50 units: it takes 50 t of ore
    and ships 40 t, whatever the plan prefers (buyer wants 30, penalty 50: 10 t are left over at a
    surplus value of 0)."""
    t = hub_chain(hub_capacity=None)
    t["products"] = [prod("ore", 0)]
    row(t, "recipes", facility="hub", direction="out")["ratio"] = 0.8
    row(t, "demands", customer="buyer")["quantity"] = 30
    t["capacity"] = [{"facility": "hub", "period": 2025, "min_activity": 50}]
    r = solve(tmp_path, t)
    assert act(r, "hub", 2025) == approx(50)
    assert flow(r, "mine_cn", "hub", "ore", 2025) == approx(50)
    assert flow(r, "hub", "buyer", "ore", 2025) == approx(30)
    assert r.tables["surplus"]["quantity"].sum() == approx(10)
    assert r.solution.objective == approx(50 * (10 + 1 + 3) + 30 * 2)



def test_lane_capacity(tmp_path):
    """The CN ore lane carries at most 50 t: 50 CN + 30 US ore; 50*11 + 30*21 + 200 = 1380.
    One more t/yr on the lane replaces a US tonne: worth 21 - 11 = 10 USD/t."""
    t = chain()
    row(t, "lanes", origin="mine_cn")["capacity"] = 50
    r = solve(tmp_path, t)
    assert flow(r, "mine_cn", "plant", "ore", 2025) == approx(50)
    assert flow(r, "mine_us", "plant", "ore", 2025) == approx(30)
    assert dual(r, "lane_capacity", "mine_cn", "plant", "ore", 2025) == approx(10)
    assert keys(r, "lane_capacity") == {("mine_cn", "plant", "ore", 2025)}
    assert r.solution.objective == approx(1380)


@pytest.mark.parametrize(
    "tariff, cn_ore, tariff_cost, objective",
    [
        # tariff 5: CN ore 10+1+5 = 16 < 21, still CN; tariff term 80*5 = 400; 1080 + 400
        (5, 80, 400, 1480),
        # tariff 15: CN ore 26 > 21: all US ore, no tariff paid; 80*21 + 200 = 1880
        (15, 0, 0, 1880),
    ],
)
def test_tariff(tmp_path, tariff, cn_ore, tariff_cost, objective):
    t = chain()
    row(t, "lanes", origin="mine_cn")["tariff"] = tariff
    r = solve(tmp_path, t)
    assert flow(r, "mine_cn", "plant", "ore", 2025) == approx(cn_ore)
    assert cost(r, "tariff", 2025) == approx(tariff_cost)
    assert cost(r, "transport", 2025) == approx(80)
    assert r.solution.objective == approx(objective)


def test_capacity_csv_cost_overrides_the_variable_cost_by_year(tmp_path):
    """capacity.csv may give a year's cost without touching capacity (e.g. a credit phasing out).

    2025: CN ore 10 + 1 = 11 < 21: all 80 t from CN, cost 80*11 + 200 = 1080.
    2026: mine_cn costs 25 that year: 26 > 21, all 80 t from the US: 80*21 + 200 = 1880.
    """
    t = chain()
    t["capacity"] = [{"facility": "mine_cn", "period": 2026, "cost": 25}]
    t["demands"] = [dem("buyer", "US", "magnet", y, 40) for y in (2025, 2026)]
    r = solve(tmp_path, t, periods=(2025, 2026))
    assert [flow(r, "mine_cn", "plant", "ore", y) for y in (2025, 2026)] == approx([80, 0])
    assert cost(r, "production", 2026) == approx(80 * 20 + 40 * 5)
    assert r.solution.objective == approx(1080 + 1880)
    cap = r.tables["activity"].set_index(["facility", "period"])["capacity"]
    assert cap["mine_cn", 2026] == approx(100)  # capacity kept from facilities.csv


def test_min_activity_must_run(tmp_path):
    """capacity.csv min_activity makes mine_us run 30 t that year although CN ore is cheaper.

    80 t ore needed: 30 from mine_us (21 delivered) + 50 from mine_cn (11): 630 + 550 + 200 = 1380.
    Each unit of must-run costs the plan 21 - 11 = 10 USD; in the other year nothing changes.
    """
    t = chain()
    t["capacity"] = [{"facility": "mine_us", "period": 2026, "min_activity": 30}]
    t["demands"] = [dem("buyer", "US", "magnet", y, 40) for y in (2025, 2026)]
    r = solve(tmp_path, t, periods=(2025, 2026))
    assert [flow(r, "mine_us", "plant", "ore", y) for y in (2025, 2026)] == approx([0, 30])
    assert r.solution.objective == approx(1080 + 1380)
    assert dual(r, "activity_floor", "mine_us", 2026) == approx(10)
    assert keys(r, "activity_floor") == {("mine_us", 2026)}


def test_lane_periods_override_cost_tariff_and_capacity_by_year(tmp_path):
    """lane_periods.csv changes a lane in the years it lists and nowhere else.

    2025: CN ore as in the base chain (10 + 1 = 11 < 21): all 80 t from CN, cost 1080.
    2026: a tariff of 15 on CN ore (26 > 21): all 80 t from the US mine: 80*21 + 200 = 1880.
    2027: the CN lane is capped at 30 t and costs 2: 30 CN (10 + 2) + 50 US (21) + 200 = 1610.
    """
    t = chain()
    t["lane_periods"] = [
        {"origin": "mine_cn", "destination": "plant", "product": "ore", "period": 2026, "tariff": 15},
        {"origin": "mine_cn", "destination": "plant", "product": "ore", "period": 2027, "cost": 2, "capacity": 30},
    ]
    t["demands"] = [dem("buyer", "US", "magnet", y, 40) for y in (2025, 2026, 2027)]
    r = solve(tmp_path, t, periods=(2025, 2026, 2027))
    assert [flow(r, "mine_cn", "plant", "ore", y) for y in (2025, 2026, 2027)] == approx([80, 0, 30])
    assert cost(r, "tariff", 2026) == approx(0)
    assert cost(r, "transport", 2027) == approx(30 * 2 + 50 * 1)
    assert keys(r, "lane_capacity") == {("mine_cn", "plant", "ore", 2027)}
    assert r.solution.objective == approx(1080 + 1880 + 1610)


# ============================================================================================
# surplus
# ============================================================================================


@pytest.mark.parametrize(
    "value, surplus_cost, objective",
    [
        # mine_cn also makes 0.5 t slag per t ore: 40 t slag, earning 4/t: term -160
        (4, -160, 1080 - 160),
        # paying 6/t to dispose: +240; CN ore still 10 + 3 + 1 = 14 < 21
        (-6, 240, 1080 + 240),
    ],
)
def test_surplus_value(tmp_path, value, surplus_cost, objective):
    t = chain()
    t["products"].append(prod("slag", value))
    t["recipes"].append(rec("mine_cn", "slag", "out", 0.5))
    r = solve(tmp_path, t)
    s = r.tables["surplus"]
    assert s[["facility", "product", "quantity", "value_per_t", "value"]].values.tolist() == [
        ["mine_cn", "slag", 40.0, value, 40.0 * value]]
    assert cost(r, "surplus", 2025) == approx(surplus_cost)
    assert r.solution.objective == approx(objective)
    assert keys(r, "surplus") == {("mine_cn", "slag", ANY, 2025)}


def test_blank_surplus_value_means_no_surplus(tmp_path):
    """With a blank surplus value slag cannot be left over and has no lane out, so mine_cn
    cannot run: all ore from the US, 80*21 + 200 = 1880."""
    t = chain()
    t["products"].append(prod("slag", None))
    t["recipes"].append(rec("mine_cn", "slag", "out", 0.5))
    r = solve(tmp_path, t)
    assert keys(r, "surplus") == set()
    assert act(r, "mine_cn", 2025) == 0
    assert r.tables["surplus"].empty
    assert r.solution.objective == approx(1880)


# ============================================================================================
# provenance
# ============================================================================================


def test_provenance_clean_customer_gets_only_clean_material(tmp_path):
    """buyer (any) and clean_buyer (clean) each want 10 t of magnets from the US plant.

    CN ore is touched (covered country), US ore clean.  clean_buyer's magnets need 20 t of US
    ore (47/t); buyer takes touched magnets from CN ore (27/t).  Objective = 270 + 470 = 740.
    The plant runs 10 clean + 10 touched.  Index: mine_cn only touched, mine_us only clean,
    plant both; no touched flow variable into clean_buyer exists.
    Flow variables: mine_cn->plant (touched) + mine_us->plant (clean) + plant->buyer (clean,
    touched) + plant->clean_buyer (clean) = 5; one downgrade variable (plant, ore).
    """
    t = chain(demand=10)
    t["lanes"].append(lane("plant", "clean_buyer", "magnet"))
    t["demands"].append(dem("clean_buyer", "US", "magnet", 2025, 10, provenance="clean"))
    r = solve(tmp_path, t)
    assert r.solution.objective == approx(740)
    assert act(r, "mine_cn", 2025, TOUCHED) == approx(20)
    assert act(r, "mine_us", 2025, CLEAN) == approx(20)
    assert act(r, "plant", 2025, CLEAN) == approx(10)
    assert act(r, "plant", 2025, TOUCHED) == approx(10)
    a = r.tables["activity"]
    assert set(a[a.facility == "mine_cn"].provenance) == {TOUCHED}
    assert set(a[a.facility == "mine_us"].provenance) == {CLEAN}
    assert set(a[a.facility == "plant"].provenance) == {CLEAN, TOUCHED}
    assert flow(r, "plant", "clean_buyer", "magnet", 2025, CLEAN) == approx(10)
    assert flow(r, "plant", "buyer", "magnet", 2025, TOUCHED) == approx(10)
    f = r.tables["flows"]
    assert set(f[f.destination == "clean_buyer"].provenance) == {CLEAN}
    assert keys(r, "flow") == {
        ("mine_cn", "plant", "ore", TOUCHED, 2025), ("mine_us", "plant", "ore", CLEAN, 2025),
        ("plant", "buyer", "magnet", CLEAN, 2025), ("plant", "buyer", "magnet", TOUCHED, 2025),
        ("plant", "clean_buyer", "magnet", CLEAN, 2025)}
    assert keys(r, "downgrade") == {("plant", "ore", 2025)}
    assert dual(r, "demand_balance", "clean_buyer", "magnet", 2025) == approx(47)
    assert dual(r, "demand_balance", "buyer", "magnet", 2025) == approx(27)
    assert dual(r, "product_balance", "plant", "magnet", CLEAN, 2025) == approx(47)
    assert dual(r, "product_balance", "plant", "magnet", TOUCHED, 2025) == approx(27)


def test_provenance_mixed_inputs_downgrade_to_touched(tmp_path):
    """A US plant needs 1 t nd (only from the CN mine: touched) and 1 t fe (only from the US
    mine: clean) per magnet.  Its output can only be touched: the clean fe is downgraded.

    buyer (any) gets 10 t: 10*(10+1) + 10*(20+1) + 10*5 = 370.  clean_buyer (clean, penalty
    100) cannot be served by any clean chain: 10 t unmet, 1000.  Objective = 1370.
    """
    t = {
        "countries": copy.deepcopy(COUNTRIES),
        "products": [prod("nd"), prod("fe"), prod("magnet")],
        "facilities": [fac("mine_cn", "mine", "CN", 100, 10), fac("mine_us", "mine", "US", 100, 20),
                       fac("plant", "magnet", "US", None, 5)],
        "recipes": [rec("mine_cn", "nd", "out", 1), rec("mine_us", "fe", "out", 1),
                    rec("plant", "nd", "in", 1), rec("plant", "fe", "in", 1), rec("plant", "magnet", "out", 1)],
        "lanes": [lane("mine_cn", "plant", "nd", 1), lane("mine_us", "plant", "fe", 1),
                  lane("plant", "buyer", "magnet"), lane("plant", "clean_buyer", "magnet")],
        "demands": [dem("buyer", "US", "magnet", 2025, 10),
                    dem("clean_buyer", "US", "magnet", 2025, 10, penalty=100, provenance="clean")],
    }
    r = solve(tmp_path, t)
    assert r.solution.objective == approx(1370)
    assert act(r, "plant", 2025, TOUCHED) == approx(10)
    assert act(r, "plant", 2025, CLEAN) == 0
    assert flow(r, "mine_us", "plant", "fe", 2025, CLEAN) == approx(10)
    assert r.built.model.downgrade["plant", "fe", 2025].value == approx(10)
    assert flow(r, "plant", "buyer", "magnet", 2025, TOUCHED) == approx(10)
    u = r.tables["unmet"].set_index("customer")
    assert u.loc["clean_buyer", "unmet"] == approx(10)
    assert u.loc["clean_buyer", "provenance"] == CLEAN


def surplus_chain() -> dict:
    """chain() with 100 t/yr of ore at each mine, magnets worth 100/t left over (surplus), buyer
    (any) and clean_buyer (clean) wanting 10 t each.  Every magnet pays (47 <= 100), so both mines
    run full: 50 touched magnets (CN ore) and 50 clean (US ore); 20 go to buyers, 80 are left
    over.  Objective 100*11 + 100*21 + 100*5 - 80*100 = -4300."""
    t = chain(demand=10)
    t["products"] = [prod("ore"), prod("magnet", 100)]
    t["lanes"].append(lane("plant", "clean_buyer", "magnet"))
    t["demands"].append(dem("clean_buyer", "US", "magnet", 2025, 10, provenance="clean"))
    return t


def test_provenance_least_touched_delivered_among_equal_labellings(tmp_path):
    """No clean material needs downgrading, so every labelling has the least downgrade (0); of
    those the one reported delivers the least touched magnets: buyer (any) gets clean ones and
    the 50 touched magnets are all left over."""
    r = solve(tmp_path, surplus_chain())
    assert r.solution.objective == approx(-4300)
    assert flow(r, "plant", "buyer", "magnet", 2025, CLEAN) == approx(10)
    assert flow(r, "plant", "buyer", "magnet", 2025, TOUCHED) == 0
    s = r.tables["surplus"]
    assert s[s.provenance == TOUCHED]["quantity"].sum() == approx(50)


def test_relabel_moves_touched_deliveries_to_surplus(tmp_path):
    """The relabelling itself, from a plan labelled the other way (buyer's 10 t touched, 40 t of
    touched and 40 t of clean magnets left over): same totals, buyer's 10 t relabelled clean."""
    from optimizer.solving.solver import MatrixModel, SolveOptions, _relabel

    r = solve(tmp_path, surplus_chain())
    mm = MatrixModel(r.built)
    m = r.built.model
    index = {id(v): j for j, v in enumerate(mm.columns)}
    x = np.array([v.value or 0.0 for v in mm.columns])
    to_buyer = {g: index[id(m.flow["plant", "buyer", "magnet", g, 2025])] for g in (CLEAN, TOUCHED)}
    left = {g: index[id(m.surplus["plant", "magnet", g, 2025])] for g in (CLEAN, TOUCHED)}
    x[to_buyer[CLEAN]], x[to_buyer[TOUCHED]], x[left[CLEAN]], x[left[TOUCHED]] = 0, 10, 40, 40
    out = _relabel(mm, x, mm.labels(r.built), SolveOptions())
    assert out[to_buyer[CLEAN]] == approx(10) and out[to_buyer[TOUCHED]] == approx(0, abs=1e-9)
    assert out[left[TOUCHED]] == approx(50) and out[left[CLEAN]] == approx(30)


def test_provenance_covered_facility_output_is_touched(tmp_path):
    """A plant in CN (covered) fed only with clean US ore still makes touched magnets.

    buyer (any, 10 t) is served: 20*(20+1) + 10*5 = 470; clean_buyer (clean, penalty 100,
    10 t) cannot be: 1000 unmet.  Objective = 1470.  No clean flow can leave the plant.
    """
    t = {
        "countries": copy.deepcopy(COUNTRIES),
        "products": [prod("ore"), prod("magnet")],
        "facilities": [fac("mine_us", "mine", "US", 100, 20), fac("plant_cn", "magnet", "CN", None, 5)],
        "recipes": [rec("mine_us", "ore", "out", 1), rec("plant_cn", "ore", "in", 2), rec("plant_cn", "magnet", "out", 1)],
        "lanes": [lane("mine_us", "plant_cn", "ore", 1), lane("plant_cn", "buyer", "magnet"),
                  lane("plant_cn", "clean_buyer", "magnet")],
        "demands": [dem("buyer", "US", "magnet", 2025, 10),
                    dem("clean_buyer", "US", "magnet", 2025, 10, penalty=100, provenance="clean")],
    }
    r = solve(tmp_path, t)
    assert r.solution.objective == approx(1470)
    assert {k[1] for k in keys(r, "activity") if k[0] == "plant_cn"} == {TOUCHED}
    assert not [k for k in keys(r, "flow") if k[0] == "plant_cn" and k[3] != TOUCHED]
    assert not [k for k in keys(r, "flow") if k[1] == "clean_buyer"]
    assert flow(r, "mine_us", "plant_cn", "ore", 2025, CLEAN) == approx(20)
    assert r.built.model.downgrade["plant_cn", "ore", 2025].value == approx(20)
    assert flow(r, "plant_cn", "buyer", "magnet", 2025, TOUCHED) == approx(10)
    assert r.tables["unmet"].set_index("customer").loc["clean_buyer", "unmet"] == approx(10)


@pytest.mark.parametrize("mark, tags, clean_magnets", [("auto", {CLEAN}, 20), ("touched", {TOUCHED}, 0)])
def test_provenance_a_source_outside_the_group_marked_touched(tmp_path, mark, tags, clean_magnets):
    """mine_us (US) marked ``touched`` (say it resells Chinese ore) makes touched ore only, so the US
    plant's magnets from it are touched and the clean buyer (20 t, penalty 100) goes unmet."""
    t = chain()
    row(t, "facilities", facility="mine_us")["provenance"] = mark
    row(t, "demands", customer="buyer")["provenance"] = "clean"
    row(t, "demands", customer="buyer")["penalty"] = 100
    row(t, "demands", customer="buyer")["quantity"] = 20
    r = solve(tmp_path, t)
    assert {k[1] for k in keys(r, "activity") if k[0] == "mine_us"} == tags
    assert flow(r, "plant", "buyer", "magnet", 2025, CLEAN) == approx(clean_magnets)
    # clean: 40 t US ore at 21 + 20 t magnets at 5 = 940; touched: all 20 t unmet at 100
    assert r.solution.objective == approx(940 if mark == "auto" else 2000)


def test_provenance_a_facility_marked_clean_takes_clean_input_only(tmp_path):
    """The plant marked ``clean`` has a clean mode only: it cannot take CN ore (touched), so 40 t of
    magnets for an any-provenance buyer come from US ore: 80 x 21 + 40 x 5 = 1880 (CN ore would give 1080).
    The model tracks provenance because of a clean offtake of 0 t/yr."""
    t = chain()
    row(t, "facilities", facility="plant")["provenance"] = "clean"
    off = {"kind": "offtake", "name": "tracking", "customer": "buyer", "product": "magnet", "quantity": 0}
    r = solve(tmp_path, t, policies=[off])
    assert {k[1] for k in keys(r, "activity") if k[0] == "plant"} == {CLEAN}
    assert flow(r, "mine_cn", "plant", "ore", 2025) == approx(0)
    assert r.solution.objective == approx(1880)


def test_no_provenance_tags_when_nothing_needs_them(tmp_path):
    """No clean demand, clean offtake or provenance share: every tag is `any`, there is no
    downgrade variable, and the index is exactly (lane, active year): 3 lanes x 2 years = 6
    flows; 3 facilities x 2 years = 6 activities.  HiGHS sees 12 columns and 14 rows:
    per year 4 product balances + 1 demand + 2 capacities."""
    r = solve(tmp_path, chain(periods=(2025, 2026)), periods=(2025, 2026))
    assert {k[3] for k in keys(r, "flow")} == {ANY}
    assert {k[1] for k in keys(r, "activity")} == {ANY}
    assert keys(r, "downgrade") == set()
    assert len(keys(r, "flow")) == 6
    assert len(keys(r, "activity")) == 6
    assert set(r.tables["flows"].provenance) == {ANY}
    assert r.solution.size["variables"] == 12
    assert r.solution.size["constraints"] == 14


# ============================================================================================
# policies
# ============================================================================================


def test_candidate_flow_link_rows_only_where_tighter(tmp_path):
    """A candidate's lane gets a link row flow <= U * open only where U beats the capacity row.

    mine_a (candidate, capacity 50): its ore lane to the plant is capped at 30 t, tighter than
    50, so it gets a row; mine_b (candidate, capacity 50, lane unlimited) does not.  The plan
    is the same as without the rows: mine_a opens, ships its 30 t, mine_us makes the rest.
    """
    t = chain()
    t["facilities"] = [
        fac("mine_us", "mine", "US", 100, 20),
        fac("mine_a", "mine", "US", 50, 5, fixed_cost=100, status="candidate"),
        fac("mine_b", "mine", "US", 50, 30, fixed_cost=100, status="candidate"),
        fac("plant", "magnet", "US", None, 5),
    ]
    t["recipes"] = [rec(m, "ore", "out", 1) for m in ("mine_us", "mine_a", "mine_b")] + [
        rec("plant", "ore", "in", 2), rec("plant", "magnet", "out", 1)]
    t["lanes"] = [lane("mine_us", "plant", "ore", 1), lane("mine_a", "plant", "ore", 1, capacity=30),
                  lane("mine_b", "plant", "ore", 1), lane("plant", "buyer", "magnet")]
    r = solve(tmp_path, t)
    assert list(r.built.model.candidate_flow_link) == [("mine_a", "plant", "ore", 2025)]
    # 30 t from mine_a at 5 + 1, 50 t from mine_us at 20 + 1, plant 40 * 5, fixed 100
    assert r.solution.objective == approx(30 * 6 + 50 * 21 + 200 + 100)
    # priced with the open decisions fixed and the link row left out: one more magnet needs
    # 2 t of US ore, 2 * 21 + 5 = 47
    assert dual(r, "demand_balance", "buyer", "magnet", 2025) == approx(47)


def test_max_open(tmp_path):
    """Stage mine: existing mine_us (20/t) plus candidates mine_a (5/t, cap 50, fixed 100) and
    mine_b (6/t, cap 50, fixed 100).  At most 2 mines open, and mine_us counts: one candidate.

    Both candidates: 50*5 + 30*6 + 200 + 80 + 200 = 910, not allowed.  mine_a alone:
    50*5 + 30*20 + 100 + 80 + 200 = 1230; mine_b alone: 1280; none: 1880.  -> mine_a.
    """
    t = chain()
    t["facilities"] = [
        fac("mine_us", "mine", "US", 100, 20),
        fac("mine_a", "mine", "US", 50, 5, fixed_cost=100, status="candidate"),
        fac("mine_b", "mine", "US", 50, 6, fixed_cost=100, status="candidate"),
        fac("plant", "magnet", "US", None, 5),
    ]
    t["recipes"] = [rec(m, "ore", "out", 1) for m in ("mine_us", "mine_a", "mine_b")] + [
        rec("plant", "ore", "in", 2), rec("plant", "magnet", "out", 1)]
    t["lanes"] = [lane(m, "plant", "ore", 1) for m in ("mine_us", "mine_a", "mine_b")] + [lane("plant", "buyer", "magnet")]
    r = solve(tmp_path, t, policies=[{"kind": "max_open", "name": "two_mines", "stage": "mine", "count": 2}])
    assert r.solution.objective == approx(1230)
    assert act_row(r, "mine_a", 2025)["open"] == 1
    assert act_row(r, "mine_b", 2025)["open"] == 0
    assert keys(r, "max_open") == {("two_mines", 2025)}
    # The row holds only binaries, fixed for the LP that prices the MILP: no dual is reported.
    assert duals_of(r, "max_open", "two_mines", 2025).empty
    # without the policy both candidates open
    r2 = solve(tmp_path, t)
    assert r2.solution.objective == approx(910)


def test_max_share_location_basis_on_a_stage(tmp_path):
    """CN (covered) mines may make at most 25% of the mine stage's activity: 20 CN + 60 US.

    Objective = 20*11 + 60*21 + 200 = 1680.  Lowering the cap by a point moves 0.8 t of ore
    from CN to the US: 0.8*10 = 8 USD/yr per percentage point.
    """
    pol = {"kind": "max_share", "name": "cn_mines", "stage": "mine", "group": "covered", "share": 0.25}
    r = solve(tmp_path, chain(), policies=[pol])
    assert act(r, "mine_cn", 2025) == approx(20)
    assert r.solution.objective == approx(1680)
    assert dual(r, "max_share", "cn_mines", 2025) == approx(8)
    assert duals_of(r, "max_share", "cn_mines", 2025)["unit"].iloc[0] == "USD/yr per percentage point"
    s = r.tables["shares"]
    p = s[s.policy == "cn_mines"].iloc[0]
    assert (p["stage"], p["basis"], p["group"]) == ("mine", "location", "covered")
    assert (p["numerator"], p["denominator"], p["share"], p["cap"], bool(p["binding"])) == (
        approx(20), approx(80), approx(0.25), 0.25, True)


def test_max_share_provenance_basis_on_a_stage(tmp_path):
    """At most 25% of the magnet stage's output may be touched: 10 touched (CN ore) + 30 clean
    (US ore) magnets.  Objective = 10*27 + 30*47 = 1680.  One point less moves 0.4 magnets
    from 27 to 47 USD: 8 USD/yr per point.  The provenance share turns tracking on."""
    pol = {"kind": "max_share", "name": "touched_magnets", "stage": "magnet", "basis": "provenance", "share": 0.25}
    r = solve(tmp_path, chain(), policies=[pol])
    assert act(r, "plant", 2025, TOUCHED) == approx(10)
    assert act(r, "plant", 2025, CLEAN) == approx(30)
    assert r.solution.objective == approx(1680)
    assert dual(r, "max_share", "touched_magnets", 2025) == approx(8)
    p = r.tables["shares"].set_index("policy").loc["touched_magnets"]
    assert (p["basis"], p["group"], p["numerator"], p["denominator"]) == ("provenance", "covered", approx(10), approx(40))


def test_max_share_customers_with_a_product(tmp_path):
    """Deliveries of magnets to buyer from CN facilities are capped at 25%.

    buyer also takes 40 t of oxide from a CN source (1 USD/t); counting it would make the cap
    infeasible, so only magnets count: 10 CN + 30 US magnets to buyer (300 + 1500); buyer_jp
    is not covered by the policy and takes 40 CN magnets (1200); oxide 40.
    Objective = 300 + 1500 + 1200 + 40 = 3040.  A point less on the cap moves 0.4 t from 30
    to 50 USD: 8.
    """
    t = sources(demand_jp=40)
    t["products"].append(prod("oxide"))
    t["facilities"].append(fac("ox_cn", "oxide", "CN", None, 1))
    t["recipes"].append(rec("ox_cn", "oxide", "out", 1))
    t["lanes"].append(lane("ox_cn", "buyer", "oxide"))
    t["demands"].append(dem("buyer", "US", "oxide", 2025, 40))
    pol = {"kind": "max_share", "name": "buyer_cn", "customers": ["buyer"], "product": "magnet",
           "countries": ["CN"], "share": 0.25}
    r = solve(tmp_path, t, policies=[pol])
    assert flow(r, "mag_cn", "buyer", "magnet", 2025) == approx(10)
    assert flow(r, "mag_us", "buyer", "magnet", 2025) == approx(30)
    assert flow(r, "mag_cn", "buyer_jp", "magnet", 2025) == approx(40)
    assert r.solution.objective == approx(3040)
    assert dual(r, "max_share", "buyer_cn", 2025) == approx(8)
    p = r.tables["shares"].set_index("policy").loc["buyer_cn"]
    assert (p["stage"], p["group"], p["numerator"], p["denominator"]) == ("customers:buyer", "CN", approx(10), approx(40))


def test_offtake_clean_without_countries(tmp_path):
    """buyer must receive at least 10 t of clean magnets: 10 clean (US ore, 47) + 30 touched
    (27).  Objective = 470 + 810 = 1280; one more clean tonne costs 47 - 27 = 20."""
    pol = {"kind": "offtake", "name": "clean10", "customer": "buyer", "product": "magnet", "quantity": 10}
    r = solve(tmp_path, chain(), policies=[pol])
    assert r.solution.objective == approx(1280)
    assert flow(r, "plant", "buyer", "magnet", 2025, CLEAN) == approx(10)
    assert dual(r, "offtake", "clean10", 2025) == approx(20)
    o = r.tables["offtakes"].iloc[0]
    assert (o["policy"], o["provenance"], o["required"], o["delivered"], o["short"]) == (
        "clean10", CLEAN, 10, approx(10), approx(0))


def test_offtake_with_countries(tmp_path):
    """buyer must receive at least 10 t from US facilities (provenance any): 10 from mag_us
    (50) + 30 from mag_cn (30).  Objective = 500 + 900 = 1400; dual 50 - 30 = 20.
    Provenance is not tracked (tags `any`)."""
    pol = {"kind": "offtake", "name": "us10", "customer": "buyer", "product": "magnet", "quantity": 10,
           "provenance": "any", "countries": ["US"]}
    r = solve(tmp_path, sources(), policies=[pol])
    assert r.solution.objective == approx(1400)
    assert flow(r, "mag_us", "buyer", "magnet", 2025, ANY) == approx(10)
    assert dual(r, "offtake", "us10", 2025) == approx(20)
    assert r.tables["offtakes"].iloc[0]["delivered"] == approx(10)


def test_offtake_with_facilities(tmp_path):
    """A contract for one plant's output: at least 15 t to buyer from mag_us2 (US, 60) even
    though mag_us (US, 50) is cheaper; deliveries from mag_us do not count.  15 from mag_us2
    (900) + 25 from mag_cn (750) = 1650; one more contracted tonne costs 60 - 30 = 30."""
    t = sources()
    t["facilities"].append(fac("mag_us2", "magnet", "US", 100, 60))
    t["recipes"].append(rec("mag_us2", "magnet", "out", 1))
    t["lanes"].append(lane("mag_us2", "buyer", "magnet"))
    pol = {"kind": "offtake", "name": "plant_contract", "customer": "buyer", "product": "magnet", "quantity": 15,
           "provenance": "any", "facilities": ["mag_us2"]}
    r = solve(tmp_path, t, policies=[pol])
    assert r.solution.objective == approx(1650)
    assert flow(r, "mag_us2", "buyer", "magnet", 2025, ANY) == approx(15)
    assert dual(r, "offtake", "plant_contract", 2025) == approx(30)
    assert r.tables["offtakes"].iloc[0]["delivered"] == approx(15)


def export_case() -> dict:
    """The base chain plus a CN magnet source mag_cn (30 USD/t) with a free lane to buyer.

    Per magnet: via CN ore 27 (2 t of CN exports), via mag_cn 30 (1 t), via US ore 47 (0 t).
    """
    t = chain()
    t["facilities"].append(fac("mag_cn", "magnet", "CN", 100, 30))
    t["recipes"].append(rec("mag_cn", "magnet", "out", 1))
    t["lanes"].append(lane("mag_cn", "buyer", "magnet"))
    return t


@pytest.mark.parametrize(
    "product, objective, dual_value, cn_magnets, cn_ore",
    [
        # exports of ore and magnets <= 50 t.  With m magnets from mag_cn and k from CN ore:
        # min 1880 - 17m - 20k s.t. m + 2k <= 50, m + k <= 40  ->  m = 30, k = 10, 1170.
        # Duals: 30 + l = 27 + 2l -> l = 3 per t of exports (magnet marginal 33 < 47).
        (["ore", "magnet"], 1170, 3, 30, 20),
        # only ore counted: k <= 25, m = 15: 1880 - 255 - 500 = 1125; 27 + 2l = 30 -> l = 1.5
        ("ore", 1125, 1.5, 15, 50),
    ],
)
def test_export_cap_product_list(tmp_path, product, objective, dual_value, cn_magnets, cn_ore):
    pol = {"kind": "export_cap", "name": "cn_exports", "group": "covered", "product": product, "quantity": 50}
    r = solve(tmp_path, export_case(), policies=[pol])
    assert r.solution.objective == approx(objective)
    assert flow(r, "mag_cn", "buyer", "magnet", 2025) == approx(cn_magnets)
    assert flow(r, "mine_cn", "plant", "ore", 2025) == approx(cn_ore)
    assert dual(r, "export_cap", "cn_exports", 2025) == approx(dual_value)


@pytest.mark.parametrize(
    "where, objective, to_us",
    [
        # only CN -> US counts (5 t): buyer 5 CN + 15 US, buyer_jp 20 CN:
        # 25*30 + 15*50 = 1500; one more t of exports to the US saves 20
        ({"to_countries": ["US"]}, 1500, 5),
        ({"to_group": "west"}, 1500, 5),
        # no destination filter: CN exports to both customers <= 5: 5*30 + 35*50 = 1900
        ({}, 1900, None),
    ],
)
def test_export_cap_destinations(tmp_path, where, objective, to_us):
    pol = {"kind": "export_cap", "name": "cn_to_us", "countries": ["CN"], "product": "magnet", "quantity": 5, **where}
    t = sources(demand_jp=20)
    row(t, "demands", customer="buyer")["quantity"] = 20
    r = solve(tmp_path, t, policies=[pol])
    assert r.solution.objective == approx(objective)
    assert dual(r, "export_cap", "cn_to_us", 2025) == approx(20)
    if to_us is not None:
        assert flow(r, "mag_cn", "buyer", "magnet", 2025) == approx(to_us)
        assert flow(r, "mag_cn", "buyer_jp", "magnet", 2025) == approx(20)
    else:
        total = flow(r, "mag_cn", "buyer", "magnet", 2025) + flow(r, "mag_cn", "buyer_jp", "magnet", 2025)
        assert total == approx(5)


def test_max_supplier_share(tmp_path):
    """No mine may make more than 60% of the mine stage: mine_cn 48, mine_us 32.
    Objective = 48*11 + 32*21 + 200 = 1400.  With the stage total fixed at 80, the row of
    mine_cn reads x_cn - 48 <= rhs, so one more unit allowed saves 21 - 11 = 10.
    Both mines' rows are listed; mine_us's is slack (0)."""
    pol = {"kind": "max_supplier_share", "name": "diverse", "stage": "mine", "share": 0.6}
    r = solve(tmp_path, chain(), policies=[pol])
    assert act(r, "mine_cn", 2025) == approx(48)
    assert r.solution.objective == approx(1400)
    assert keys(r, "max_supplier_share") == {("diverse", "mine_cn", 2025), ("diverse", "mine_us", 2025)}
    assert dual(r, "max_supplier_share", "diverse", "mine_cn", 2025) == approx(10)
    assert dual(r, "max_supplier_share", "diverse", "mine_us", 2025) == approx(0)


@pytest.mark.parametrize(
    "market_2025, cn_ore_2025, floor_cost_2025, objective",
    [
        # buyer's view (accounting: cost).  floor 30, market 25: the buyer pays 5 per t of CN ore;
        # 10 + 1 + 5 = 16 < 21: CN stays.  2025: 1080 + 400; 2026 (market 35 above the floor): 1080.
        (25, 80, 400, 1480 + 1080),
        # market 15: 15 per t makes CN ore 26 > 21: 2025 switches to the US, 1880 + 0
        (15, 0, 0, 1880 + 1080),
    ],
)
def test_price_floor_as_a_cost(tmp_path, market_2025, cn_ore_2025, floor_cost_2025, objective):
    pol = {"kind": "price_floor", "name": "floor", "facility": "mine_cn", "product": "ore", "accounting": "cost",
           "floor": {2025: 30, 2026: 30}, "market": {2025: market_2025, 2026: 35}}
    r = solve(tmp_path, chain(periods=(2025, 2026)), periods=(2025, 2026), policies=[pol])
    assert act(r, "mine_cn", 2025) == approx(cn_ore_2025)
    assert cost(r, "price_floor", 2025) == approx(floor_cost_2025)
    assert cost(r, "price_floor", 2026) is None
    assert act(r, "mine_cn", 2026) == approx(80)
    assert r.solution.objective == approx(objective)
    assert r.summary["transfers"] == {}


@pytest.mark.parametrize("market_2025, payout_2025", [(25, 5 * 80), (15, 15 * 80)])
def test_price_floor_is_a_transfer_by_default(tmp_path, market_2025, payout_2025):
    """The same floors as above, accounted as transfers (the default): the plan is the cheapest chain
    whatever the floor (CN ore at 11 USD/t delivered, 2 x 1080 USD), and the payout (floor - market) x
    80 t of CN ore is reported beside the costs, in USD of 2025 and in total, not in the objective."""
    pol = {"kind": "price_floor", "name": "floor", "facility": "mine_cn", "product": "ore",
           "floor": {2025: 30, 2026: 30}, "market": {2025: market_2025, 2026: 35}}
    r = solve(tmp_path, chain(periods=(2025, 2026)), periods=(2025, 2026), policies=[pol])
    assert act(r, "mine_cn", 2025) == approx(80) and act(r, "mine_cn", 2026) == approx(80)
    assert r.solution.objective == approx(2 * 1080)
    assert cost(r, "price_floor", 2025) is None
    assert cost(r, "price_floor", 2025, "transfer") == approx(payout_2025)
    assert cost(r, "price_floor", 2026, "transfer") is None
    assert r.summary["cost_breakdown"]["price_floor"] == 0
    assert r.summary["transfers"] == {"price_floor": {"by_period": {"2025": approx(payout_2025)},
                                                     "total": approx(payout_2025), "discounted": approx(payout_2025)}}


def test_price_floor_market_defaults_to_the_products_price_path(tmp_path):
    """No `market`: the floor compares with ore's surplus value by year, from products.csv (8 USD/t) and
    product_prices.csv (2026: 9 USD/t).  Floor 25: payouts 17 and 16 USD/t on 80 t/yr.  Surplus is
    worth less than the 10 USD/t it costs to make ore, so none is left over."""
    t = chain(periods=(2025, 2026))
    row(t, "products", product="ore")["surplus_value"] = 8
    t["product_prices"] = [{"product": "ore", "period": 2026, "surplus_value": 9}]
    pol = {"kind": "price_floor", "name": "floor", "facility": "mine_cn", "product": "ore", "floor": 25}
    r = solve(tmp_path, t, periods=(2025, 2026), policies=[pol])
    assert cost(r, "price_floor", 2025, "transfer") == approx(17 * 80)
    assert cost(r, "price_floor", 2026, "transfer") == approx(16 * 80)
    assert r.tables["surplus"].empty


def test_surplus_value_by_year(tmp_path):
    """Ore is worth 9 USD/t left over in 2025 (products.csv) but 15 in 2026 (product_prices.csv).  mine_cn
    makes ore at 10 + lane 1 at the plant... surplus sits at the mine: 10 USD/t to make, so only in 2026
    (worth 15 > 10) does it pay to run mine_cn at capacity (100) and leave 20 t over."""
    t = chain(periods=(2025, 2026))
    row(t, "products", product="ore")["surplus_value"] = 9
    t["product_prices"] = [{"product": "ore", "period": 2026, "surplus_value": 15}]
    r = solve(tmp_path, t, periods=(2025, 2026))
    s = r.tables["surplus"]
    assert s[["facility", "period", "quantity", "value_per_t"]].values.tolist() == [["mine_cn", 2026, 20.0, 15.0]]
    assert cost(r, "surplus", 2026) == approx(-300)
    # 2026: mine_us would make ore at 20 for a value of 15: no surplus there
    assert r.solution.objective == approx(1080 + 1080 + 20 * 10 - 300)


def test_by_period_values_and_periods(tmp_path):
    """A share cap given by year ({2025: 0.25, 2026: 1.0}; 2027 not listed) and a clean offtake
    of 10 t applied only in 2026 (`periods`).

    2025: cap binds: 20 CN + 60 US ore: 1680.  2026: offtake: 10 clean magnets (20 US ore)
    + 30 from CN: 1280.  2027: no policy: 1080.  Objective = 4040.
    """
    pols = [
        {"kind": "max_share", "name": "cap", "stage": "mine", "group": "covered", "share": {2025: 0.25, 2026: 1.0}},
        {"kind": "offtake", "name": "clean", "customer": "buyer", "product": "magnet", "quantity": 10, "periods": [2026]},
    ]
    periods = (2025, 2026, 2027)
    r = solve(tmp_path, chain(periods=periods), periods=periods, policies=pols)
    assert keys(r, "max_share") == {("cap", 2025), ("cap", 2026)}
    assert keys(r, "offtake") == {("clean", 2026)}
    assert [act(r, "mine_cn", y) for y in periods] == approx([20, 60, 80])
    assert r.solution.objective == approx(4040)
    assert dual(r, "max_share", "cap", 2025) == approx(8)
    assert dual(r, "max_share", "cap", 2026) == approx(0)
    assert dual(r, "offtake", "clean", 2026) == approx(20)
    assert r.tables["offtakes"]["period"].tolist() == [2026]
    s = r.tables["shares"]
    assert sorted(s[s.policy == "cap"].period) == [2025, 2026]


# ============================================================================================
# discounting
# ============================================================================================


def test_discounting_objective_and_undiscounted_duals(tmp_path):
    """Discount rate 10%, years 2025-2026, demand 60 t of magnets (120 t ore) and a 25% cap on
    CN mines: 30 t CN + 90 t US ore -> 30*11 + 90*21 + 60*5 = 2520 USD per year.

    Objective = 2520 + 2520/1.1.  Duals are reported in money of their year: a marginal magnet
    needs 2 t of ore of which 25% may be CN: 2*(0.25*11 + 0.75*21) + 5 = 42 in both years;
    the share cap is worth 120*(21-11)/100 = 12 per point in both years, although HiGHS's raw
    2026 values are discounted by 1/1.1.
    """
    pol = {"kind": "max_share", "name": "cap", "stage": "mine", "group": "covered", "share": 0.25}
    periods = (2025, 2026)
    r = solve(tmp_path, chain(periods=periods, demand=60), periods=periods, discount_rate=0.1, policies=[pol])
    assert r.solution.objective == approx(2520 + 2520 / 1.1)
    c = r.tables["costs"]
    assert c["discounted"].sum() == approx(r.solution.objective)
    assert set(c[c.period == 2025]["discount_factor"]) == {1.0}
    assert list(c[c.period == 2026]["discount_factor"]) == approx([1 / 1.1] * int((c.period == 2026).sum()))
    assert (abs(c["discounted"] - c["cost"] * c["discount_factor"]) < 1e-9).all()
    assert sum(r.summary["cost_breakdown"].values()) == approx(r.solution.objective)
    for y in periods:
        assert dual(r, "demand_balance", "buyer", "magnet", y) == approx(42)
        assert dual(r, "max_share", "cap", y) == approx(12)
    raw = r.solution.duals[r.built.model.demand_balance["buyer", "magnet", 2026]]
    assert raw == approx(42 / 1.1)


@pytest.mark.parametrize("period_years, w2030", [(None, 3.0), ({2030: 1}, 1.0), ({2030: 6}, 6.0)])
def test_period_weights_multiply_per_year_costs_by_the_years_of_the_period(tmp_path, period_years, w2030):
    """Periods 2024, 2027 and 2030 with no discounting: 2024 and 2027 stand for 3 years each, the last
    for 3 (as long as the one before it) unless period_years says otherwise.  40 t/yr of magnets from
    CN ore cost 1080 USD/yr, so the objective is 1080 x (3 + 3 + w_2030).  Duals stay per year
    (27 USD/t of magnet: the raw dual divided by the weight)."""
    periods = (2024, 2027, 2030)
    header = {} if period_years is None else {"period_years": period_years}
    r = solve(tmp_path, chain(periods=periods), periods=periods, **header)
    assert r.solution.objective == approx(1080 * (3 + 3 + w2030))
    c = r.tables["costs"]
    assert dict(zip(c[c.term == "production"].period, c[c.term == "production"].years)) == {2024: 3, 2027: 3, 2030: w2030}
    assert (abs(c["discounted"] - c["cost"] * c["weight"]) < 1e-9).all()
    assert c["discounted"].sum() == approx(r.solution.objective)
    for y in periods:
        assert dual(r, "demand_balance", "buyer", "magnet", y) == approx(27)
    assert r.summary["instance"]["period_years"] == {"2024": 3, "2027": 3, "2030": int(w2030)}


def test_period_weight_is_the_discounted_sum_of_its_years(tmp_path):
    """r = 10%, periods 2025 and 2027 (2 years each): w_2025 = 1 + 1/1.1, w_2027 = 1.1^-2 + 1.1^-3."""
    periods = (2025, 2027)
    r = solve(tmp_path, chain(periods=periods), periods=periods, discount_rate=0.1)
    w = {2025: 1 + 1.1 ** -1, 2027: 1.1 ** -2 + 1.1 ** -3}
    assert r.solution.objective == approx(1080 * (w[2025] + w[2027]))
    c = r.tables["costs"]
    for t in periods:
        assert list(c[c.period == t]["weight"]) == approx([w[t]] * int((c.period == t).sum()))
        assert list(c[c.period == t]["discount_factor"]) == approx([1.1 ** -(t - 2025)] * int((c.period == t).sum()))
        assert dual(r, "demand_balance", "buyer", "magnet", t) == approx(27)


# ============================================================================================
# the objective is the sum of the registered cost terms
# ============================================================================================


def test_objective_equals_sum_of_cost_terms(tmp_path):
    """Every term at once (tariff, fixed, capex, penalty, surplus, price floor) with a discount
    rate: the discounted cost table adds up to HiGHS's objective."""
    t = chain(periods=(2025, 2026), penalty=60)
    row(t, "lanes", origin="mine_cn")["tariff"] = 2
    row(t, "facilities", facility="plant")["fixed_cost"] = 11
    row(t, "facilities", facility="mine_cn")["capacity"] = 60
    t["expansions"] = [{"facility": "mine_cn", "first_period": 2026, "size": 10, "capex": 30, "max_steps": 1}]
    t["products"].append(prod("slag", 2))
    t["recipes"].append(rec("mine_cn", "slag", "out", 0.5))
    pol = {"kind": "price_floor", "facility": "mine_us", "product": "ore", "floor": 30, "market": 28,
           "accounting": "cost"}
    r = solve(tmp_path, t, periods=(2025, 2026), discount_rate=0.05, policies=[pol])
    m = r.built.model
    total = sum(r.built.weight(y) * pyo.value(e) for per in r.built.costs.values() for y, e in per.items())
    assert total == approx(r.solution.objective, rel=1e-9)
    assert pyo.value(m.total_cost) == approx(r.solution.objective, rel=1e-9)
    assert r.tables["costs"]["discounted"].sum() == approx(r.solution.objective, rel=1e-9)
    terms = set(r.tables["costs"].term)
    assert {"production", "transport", "tariff", "fixed", "capex", "unmet_penalty", "surplus", "price_floor"} <= terms


def test_a_construction_that_raises_is_not_also_logged(caplog):
    """Pyomo logs a component whose construction raised before raising it on; inside build_model
    only the exception goes on (a Ctrl-C during a build is one line, said by the command line)."""
    from optimizer.model.build import _construction_errors_raised_only

    def interrupted(_m, _i):
        raise KeyboardInterrupt

    for quiet in (False, True):
        m = pyo.ConcreteModel()
        with pytest.raises(KeyboardInterrupt):
            if quiet:
                with _construction_errors_raised_only():
                    m.x = pyo.Var([1], initialize=interrupted)
            else:
                m.x = pyo.Var([1], initialize=interrupted)
        logged = any("Constructing component" in str(r.msg) for r in caplog.records)
        assert logged is not quiet
        caplog.clear()

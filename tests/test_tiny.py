"""Tiny instances whose optimum is derived by hand (see each ``instances/tiny_*/README.md``).

Every number asserted here is the result of the derivation written next to it; the solver must
reproduce it.  Only duals that are unique at the optimum are asserted (a dual on a row that is
tight only because an activity sits at zero can take a range of values).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyomo.repn import generate_standard_repn

from optimizer.results import expected
from optimizer.pipeline import run

INSTANCES = Path(__file__).resolve().parent.parent / "instances"
TOL = 1e-6


def approx(x: float) -> object:
    return pytest.approx(x, rel=TOL, abs=TOL)


def solve(name: str, *scenarios: str):
    return run(INSTANCES / name, list(scenarios))


def objective(r) -> float:
    assert r.summary["status"] == "optimal", r.summary["status"]
    return r.summary["objective"]


def flow(r, origin: str, destination: str, product: str, period: int, provenance: str | None = None) -> float:
    df = r.tables["flows"]
    sel = (df["origin"] == origin) & (df["destination"] == destination) & (df["product"] == product) & (df["period"] == period)
    if provenance is not None:
        sel &= df["provenance"] == provenance
    return float(df.loc[sel, "quantity"].sum())


def activity(r, facility: str, period: int) -> float:
    df = r.tables["activity"]
    return float(df.loc[(df["facility"] == facility) & (df["period"] == period), "activity"].sum())


def dual(r, constraint: str, *index: object) -> float:
    df = r.tables["duals"]
    key = "|".join(map(str, index))
    sel = df[(df["constraint"] == constraint) & (df["index"] == key)]
    assert len(sel) == 1, f"no dual {constraint}[{key}] in {df[['constraint', 'index']].values.tolist()}"
    return float(sel["value"].iloc[0])


def cost(r, term: str) -> float:
    return r.summary["cost_breakdown"][term]


def share_row(r, policy: str, stage: str, period: int):
    df = r.tables["shares"]
    sel = df[(df["policy"] == policy) & (df["stage"] == stage) & (df["period"] == period)]
    assert len(sel) == 1
    return sel.iloc[0]


def unmet(r, customer: str, product: str, period: int) -> float:
    df = r.tables["unmet"]
    sel = df[(df["customer"] == customer) & (df["product"] == product) & (df["period"] == period)]
    return float(sel["unmet"].iloc[0])


# ============================================================================================
# tiny_cheapest_source
# ============================================================================================


def test_cheapest_source_base() -> None:
    r = solve("tiny_cheapest_source")
    # Delivered ore at the plant: AU 10 + 8 + 4 (tariff) = 22, US 15 + 2 = 17 USD/t: US wins.
    # 40 t magnets x 2 t ore = 80 t ore, all from mine_us (capacity 200 is not binding).
    assert flow(r, "mine_us", "plant", "ore", 2025) == approx(80)
    assert flow(r, "mine_au", "plant", "ore", 2025) == approx(0)
    assert flow(r, "plant", "buyer", "magnet", 2025) == approx(40)
    # Cost: production 80 x 15 + 40 x 40 = 2,800; transport 80 x 2 + 40 x 6 = 400; total 3,200.
    assert cost(r, "production") == approx(2800)
    assert cost(r, "transport") == approx(400)
    assert cost(r, "tariff") == approx(0)
    assert objective(r) == approx(3200)
    # Ore at the plant is worth the cheapest delivered ore, 17; a magnet at the plant 2 x 17 + 40 = 74;
    # at the buyer 74 + 6 = 80 USD/t = the cheapest delivered cost (= 3,200 / 40).
    assert dual(r, "product_balance", "plant", "ore", "any", 2025) == approx(17)
    assert dual(r, "product_balance", "plant", "magnet", "any", 2025) == approx(74)
    assert dual(r, "demand_balance", "buyer", "magnet", 2025) == approx(80)


def test_cheapest_source_small_us_mine() -> None:
    r = solve("tiny_cheapest_source", "small_us_mine")
    # mine_us capped at 60 t: it runs full, mine_au supplies the other 80 - 60 = 20 t.
    assert flow(r, "mine_us", "plant", "ore", 2025) == approx(60)
    assert flow(r, "mine_au", "plant", "ore", 2025) == approx(20)
    # Cost: base 3,200 + 20 t x (22 - 17) = 3,300 (production 60x15 + 20x10 + 40x40 = 2,700;
    # transport 60x2 + 20x8 + 40x6 = 520; tariff 20x4 = 80).
    assert cost(r, "production") == approx(2700)
    assert cost(r, "transport") == approx(520)
    assert cost(r, "tariff") == approx(80)
    assert objective(r) == approx(3300)
    # The marginal tonne of ore now comes from Australia (22): magnet dual 2 x 22 + 40 + 6 = 90.
    assert dual(r, "demand_balance", "buyer", "magnet", 2025) == approx(90)
    # One more t/yr of US capacity replaces 1 t of AU ore: worth 22 - 17 = 5 USD.
    assert dual(r, "capacity_limit", "mine_us", 2025) == approx(5)


# ============================================================================================
# tiny_china_cap
# ============================================================================================


def test_china_cap_base() -> None:
    r = solve("tiny_china_cap")
    # Uncapped, all 200 t would come from mine_cn (10 < 30 USD/t).  China <= 60% of 200 t = 120 t.
    assert activity(r, "mine_cn", 2025) == approx(120)
    assert activity(r, "mine_au", 2025) == approx(80)
    row = share_row(r, "china_cap", "mine", 2025)
    assert row["numerator"] == approx(120)
    assert row["denominator"] == approx(200)
    assert row["share"] == approx(0.6)
    assert bool(row["binding"])
    # Cost: 120 x 10 + 80 x 30 + 200 x 20 (plant) = 1,200 + 2,400 + 4,000 = 7,600.
    assert objective(r) == approx(7600)
    # At a fixed 60% mix one more t of ore costs 0.6 x 10 + 0.4 x 30 = 18; magnet 18 + 20 = 38.
    assert dual(r, "product_balance", "mine_cn", "ore", "any", 2025) == approx(18)
    assert dual(r, "product_balance", "mine_au", "ore", "any", 2025) == approx(18)
    assert dual(r, "demand_balance", "buyer", "magnet", 2025) == approx(38)
    # Share row 0.4 x_cn - 0.6 x_au <= 0 with multiplier m: 10 + 0.4 m = 30 - 0.6 m  ->  m = 20 USD/t
    # (HiGHS mu = -20).  Reported -mu x den / 100 = 20 x 200 / 100 = 40 USD/yr per point:
    # one point moves 2 t from the 10 USD/t mine to the 30 USD/t mine.
    assert dual(r, "max_share", "china_cap", 2025) == approx(40)


def test_china_cap_50() -> None:
    r = solve("tiny_china_cap", "cap_50")
    # 50% of 200 t = 100 t from each mine.
    assert activity(r, "mine_cn", 2025) == approx(100)
    assert activity(r, "mine_au", 2025) == approx(100)
    assert share_row(r, "china_cap", "mine", 2025)["share"] == approx(0.5)
    # 100 x 10 + 100 x 30 + 200 x 20 = 8,000 (= 7,600 + 10 points x 40).
    assert objective(r) == approx(8000)
    # Mix 0.5 x 10 + 0.5 x 30 = 20; magnet 40.  Share: m = 20 again (10 + 0.5 m = 30 - 0.5 m), x 200 / 100 = 40.
    assert dual(r, "demand_balance", "buyer", "magnet", 2025) == approx(40)
    assert dual(r, "max_share", "china_cap", 2025) == approx(40)


# ============================================================================================
# tiny_clean_offtake
# ============================================================================================


def test_clean_offtake_base() -> None:
    r = solve("tiny_clean_offtake")
    # Covered chain: 10 + 30 + 10 = 50 USD/t; clean chain: 20 + 50 + 10 = 80 USD/t; CN ore into
    # the US plant: 10 + 5 + 50 + 10 = 75 USD/t and touched, so it never helps.  The offtake needs
    # 40 t clean; the other 60 t go the covered way.
    assert flow(r, "plant_us", "buyer", "magnet", 2025, "clean") == approx(40)
    assert flow(r, "mine_au", "plant_us", "ore", 2025, "clean") == approx(40)
    assert flow(r, "plant_cn", "buyer", "magnet", 2025, "touched") == approx(60)
    assert flow(r, "mine_cn", "plant_us", "ore", 2025) == approx(0)
    # Cost: 40 x 80 + 60 x 50 = 3,200 + 3,000 = 6,200 (production 40x70 + 60x40 = 5,200; transport 1,000).
    assert cost(r, "production") == approx(5200)
    assert cost(r, "transport") == approx(1000)
    assert objective(r) == approx(6200)
    off = r.tables["offtakes"].iloc[0]
    assert off["delivered"] == approx(40) and off["short"] == approx(0)
    # Covered share of mine output: 60 / 100.
    mine_share = share_row(r, "", "mine", 2025)
    assert mine_share["share"] == approx(0.6)
    # The marginal (unconstrained) tonne goes covered: 50.  One more t of offtake swaps a
    # covered tonne for a clean one: 80 - 50 = 30.  Clean magnet at plant_us: 50 + 30 - 10 = 70.
    assert dual(r, "demand_balance", "buyer", "magnet", 2025) == approx(50)
    assert dual(r, "offtake", "clean_magnets", 2025) == approx(30)
    assert dual(r, "product_balance", "plant_us", "magnet", "clean", 2025) == approx(70)


def test_clean_offtake_removed() -> None:
    r = solve("tiny_clean_offtake", "no_offtake")
    # Everything on the covered chain: 100 x 50 = 5,000, i.e. the offtake costs 40 x 30 = 1,200.
    assert flow(r, "plant_cn", "buyer", "magnet", 2025) == approx(100)
    assert objective(r) == approx(5000)
    assert dual(r, "demand_balance", "buyer", "magnet", 2025) == approx(50)
    assert r.tables["offtakes"].empty


# ============================================================================================
# tiny_candidate_threshold
# ============================================================================================


def test_candidate_below_break_even_stays_shut() -> None:
    r = solve("tiny_candidate_threshold")
    # Break-even = 4,000 / (60 - 20) = 100 t/yr.  80 t/yr: old 80 x 70 = 5,600 vs new
    # 80 x 30 + 4,000 = 6,400 per year, so the candidate stays shut in both years.
    for t in (2025, 2026):
        assert activity(r, "plant_new", t) == approx(0)
        assert activity(r, "plant_old", t) == approx(80)
    assert r.tables["investments"].empty
    # 2 x 5,600 = 11,200; no fixed cost.
    assert objective(r) == approx(11200)
    assert cost(r, "fixed") == approx(0)
    # With plant_new shut the marginal magnet comes from plant_old: 10 + 60 = 70.
    assert dual(r, "demand_balance", "buyer", "magnet", 2025) == approx(70)
    assert dual(r, "demand_balance", "buyer", "magnet", 2026) == approx(70)


def test_candidate_above_break_even_opens() -> None:
    r = solve("tiny_candidate_threshold", "high_demand")
    # 2026: 150 t > 100 t: new 150 x 30 + 4,000 = 8,500 < old 150 x 70 = 10,500 -> opens in 2026.
    # 2025 stays at 80 t: shut (opening in 2025 would also cost 4,000 that year, 800 more).
    assert activity(r, "plant_new", 2025) == approx(0)
    assert activity(r, "plant_old", 2025) == approx(80)
    assert activity(r, "plant_new", 2026) == approx(150)
    assert activity(r, "plant_old", 2026) == approx(0)
    inv = r.tables["investments"]
    assert inv[["facility", "period", "kind"]].values.tolist() == [["plant_new", 2026, "open"]]
    # 5,600 + 8,500 = 14,100 (production 5,600 + 4,500 = 10,100; fixed 4,000).
    assert cost(r, "production") == approx(10100)
    assert cost(r, "fixed") == approx(4000)
    assert objective(r) == approx(14100)
    # Duals with the open decision fixed: 2025 still 70; 2026 10 + 20 = 30 (the fixed cost is sunk
    # once the plant is open, so it is not in the marginal cost).
    assert dual(r, "demand_balance", "buyer", "magnet", 2025) == approx(70)
    assert dual(r, "demand_balance", "buyer", "magnet", 2026) == approx(30)


# ============================================================================================
# tiny_coproducts
# ============================================================================================


def test_coproducts_surplus_sold() -> None:
    r = solve("tiny_coproducts")
    # 20 t NdPr / 0.2 = 100 units of activity -> 100 t concentrate, 80 t La-Ce left over and sold.
    assert activity(r, "separation", 2025) == approx(100)
    assert flow(r, "mine", "separation", "concentrate", 2025) == approx(100)
    assert flow(r, "separation", "magnet_maker", "ndpr_oxide", 2025) == approx(20)
    surplus = r.tables["surplus"]
    assert surplus["quantity"].sum() == approx(80)
    # 100 x 20 + 100 x 50 = 7,000 production; surplus 80 x 10 = -800; total 6,200.
    assert cost(r, "production") == approx(7000)
    assert cost(r, "surplus") == approx(-800)
    assert objective(r) == approx(6200)
    # La-Ce is worth its surplus value, 10; one unit of activity (70) makes 0.2 NdPr + 0.8 La-Ce:
    # NdPr = (70 - 0.8 x 10) / 0.2 = 310.
    assert dual(r, "product_balance", "separation", "lace_oxide", "any", 2025) == approx(10)
    assert dual(r, "demand_balance", "magnet_maker", "ndpr_oxide", 2025) == approx(310)


def test_coproducts_disposal_cost() -> None:
    r = solve("tiny_coproducts", "disposal_cost")
    # Same plan; the 80 t of La-Ce now cost 5 USD/t: 7,000 + 400 = 7,400.
    assert activity(r, "separation", 2025) == approx(100)
    assert cost(r, "surplus") == approx(400)
    assert objective(r) == approx(7400)
    # NdPr = (70 + 0.8 x 5) / 0.2 = 370.
    assert dual(r, "product_balance", "separation", "lace_oxide", "any", 2025) == approx(-5)
    assert dual(r, "demand_balance", "magnet_maker", "ndpr_oxide", 2025) == approx(370)


def test_coproducts_no_surplus_market() -> None:
    r = solve("tiny_coproducts", "no_surplus_market")
    # Blank surplus value and nobody takes La-Ce: 0.8 x activity = 0, so the plant cannot run.
    assert activity(r, "separation", 2025) == approx(0)
    assert unmet(r, "magnet_maker", "ndpr_oxide", 2025) == approx(20)
    # All 20 t NdPr unmet at 1,000 USD/t = 20,000; the NdPr dual is the penalty.
    assert objective(r) == approx(20000)
    assert dual(r, "demand_balance", "magnet_maker", "ndpr_oxide", 2025) == approx(1000)


def test_coproducts_limited_by_lace_shipped() -> None:
    r = solve("tiny_coproducts", "lace_buyer")
    # La-Ce shipped = 40 t exactly (hard demand, no surplus) -> activity 40 / 0.8 = 50 -> NdPr 10 t.
    assert activity(r, "separation", 2025) == approx(50)
    assert flow(r, "separation", "lace_buyer", "lace_oxide", 2025) == approx(40)
    assert flow(r, "separation", "magnet_maker", "ndpr_oxide", 2025) == approx(10)
    assert unmet(r, "magnet_maker", "ndpr_oxide", 2025) == approx(10)
    # 50 x 70 = 3,500 production + 10 x 1,000 = 10,000 penalty = 13,500.
    assert cost(r, "production") == approx(3500)
    assert cost(r, "unmet_penalty") == approx(10000)
    assert objective(r) == approx(13500)
    # NdPr short -> its dual is the penalty 1,000.  One more t of La-Ce taken: +1.25 units of activity
    # (+87.5 USD) and +0.25 t NdPr (-250 USD of penalty): 87.5 - 250 = -162.5 USD/t.
    assert dual(r, "demand_balance", "magnet_maker", "ndpr_oxide", 2025) == approx(1000)
    assert dual(r, "demand_balance", "lace_buyer", "lace_oxide", 2025) == approx(-162.5)


# ============================================================================================
# tiny_infeasible
# ============================================================================================


def test_infeasible_explained() -> None:
    r = solve("tiny_infeasible")
    assert r.summary["status"] == "infeasible"
    assert r.summary["objective"] is None
    # Clean capacity: mine_au 200 t ore / 2 t per magnet = 100 t magnets/yr.  Demand 120 and 150:
    # short 20 (2025) and 50 (2026).  Relaxing the demand costs 1 per t short; relaxing mine_au's
    # capacity would cost 2 (units of ore) per t, so the least violation is the shortfall itself,
    # ranked largest first.
    inf = r.infeasibility
    assert inf["explanation"].tolist() == [
        "demand buyer 2026: short 50 t of magnet",
        "demand buyer 2025: short 20 t of magnet",
    ]
    assert inf["violation"].tolist() == [approx(50), approx(20)]
    assert inf["constraint"].tolist() == ["demand_balance", "demand_balance"]


def test_infeasible_with_penalty_solves() -> None:
    r = solve("tiny_infeasible", "with_penalty")
    # Each year: 100 t delivered at 2 x 10 + 20 = 40 USD/t = 4,000; short 20 and 50 t at 500.
    for t in (2025, 2026):
        assert flow(r, "plant_us", "buyer", "magnet", t, "clean") == approx(100)
        assert flow(r, "mine_cn", "plant_us", "ore", t) == approx(0)
    assert unmet(r, "buyer", "magnet", 2025) == approx(20)
    assert unmet(r, "buyer", "magnet", 2026) == approx(50)
    # 2 x 4,000 + (20 + 50) x 500 = 8,000 + 35,000 = 43,000.
    assert cost(r, "production") == approx(8000)
    assert cost(r, "unmet_penalty") == approx(35000)
    assert objective(r) == approx(43000)
    # Short demand: dual = penalty 500.  Clean ore at the plant: (500 - 20) / 2 = 240; one more t/yr
    # of mine_au capacity is worth 240 - 10 = 230.
    for t in (2025, 2026):
        assert dual(r, "demand_balance", "buyer", "magnet", t) == approx(500)
        assert dual(r, "product_balance", "plant_us", "ore", "clean", t) == approx(240)
        assert dual(r, "capacity_limit", "mine_au", t) == approx(230)


# ============================================================================================
# tiny_period_weights
# ============================================================================================


def costs_row(r, term: str, period: int, kind: str = "cost"):
    df = r.tables["costs"]
    sel = df[(df["term"] == term) & (df["period"] == period) & (df["kind"] == kind)]
    assert len(sel) == 1, (term, period, kind)
    return sel.iloc[0]


@pytest.mark.parametrize("scenario, weights", [
    ((), {2025: 5, 2030: 5}),
    (("long_last",), {2025: 5, 2030: 10}),
    (("discounted",), {2025: 4.169865446349293, 2030: 2.589158369925856}),
])
def test_period_weights(scenario, weights) -> None:
    r = solve("tiny_period_weights", *scenario)
    # 100 t/yr (2025-29) and 200 t/yr (2030-) at 10 + 2 USD/t; each period's cost counts once per
    # (discounted) year it stands for.
    assert flow(r, "mine_us", "buyer", "ore", 2025) == approx(100)
    assert flow(r, "mine_us", "buyer", "ore", 2030) == approx(200)
    assert costs_row(r, "production", 2030)["cost"] == approx(2000)
    assert costs_row(r, "production", 2030)["weight"] == approx(weights[2030])
    assert objective(r) == approx(1200 * weights[2025] + 2400 * weights[2030])
    assert cost(r, "production") == approx(1000 * weights[2025] + 2000 * weights[2030])
    # duals stay per year: 12 USD/t in every period
    assert dual(r, "demand_balance", "buyer", "ore", 2025) == approx(12)
    assert dual(r, "demand_balance", "buyer", "ore", 2030) == approx(12)


# ============================================================================================
# tiny_capex_annuity
# ============================================================================================


@pytest.mark.parametrize("scenario, built, annuity, objective_", [
    # A = 2,000 / 20 = 100 USD/yr, saving 640 USD/yr: built at once; 3 x (960 + 100)
    ((), "mine_new|2025|expansion", 100.0, 3180.0),
    # only from 2027: 2 x 1,600 + 960 + 100
    (("late",), "mine_new|2027|expansion", 100.0, 4260.0),
    # r = 8%: A = 2,000 x 0.08 / (1 - 1.08^-20) = 203.7044; (960 + A) x (1 + 1/1.08 + 1/1.08^2)
    (("discounted",), "mine_new|2025|expansion", 203.70441764630115, 3238.8974806643964),
    # a candidate with the same capex: the annuity is charged in every year it is open
    (("as_candidate",), "mine_new|2025|open", 100.0, 3180.0),
])
def test_capex_annuity(scenario, built, annuity, objective_) -> None:
    r = solve("tiny_capex_annuity", *scenario)
    assert [f"{b['facility']}|{b['period']}|{b['kind']}" for b in r.summary["built"]] == [built]
    inv = r.tables["investments"].iloc[0]
    assert (inv["capex"], inv["lifetime"]) == (2000, 20) and inv["annuity"] == approx(annuity)
    first = int(built.split("|")[1])
    for t in (2025, 2026, 2027):
        row = r.tables["costs"]
        charged = row[(row["term"] == "capex") & (row["period"] == t)]["cost"].sum()
        assert charged == approx(annuity if t >= first else 0.0)
    assert objective(r) == approx(objective_)
    assert dual(r, "demand_balance", "buyer", "ore", 2027) == approx(12)


# ============================================================================================
# tiny_price_floor
# ============================================================================================


def test_price_floor_is_a_transfer() -> None:
    r = solve("tiny_price_floor")
    for t in (2025, 2026):
        assert flow(r, "cn_sep", "buyer", "oxide", t) == approx(40)
        assert flow(r, "us_sep", "buyer", "oxide", t) == approx(60)
        assert dual(r, "demand_balance", "buyer", "oxide", t) == approx(89)
        assert dual(r, "max_share", "china_cap", t) == approx(15)
    assert objective(r) == approx(17800)
    # (110 - 60) x 60 in 2025 and (110 - 75) x 60 in 2026, the market being oxide's price path
    assert costs_row(r, "price_floor", 2025, "transfer")["cost"] == approx(3000)
    assert costs_row(r, "price_floor", 2026, "transfer")["cost"] == approx(2100)
    assert r.summary["transfers"]["price_floor"]["total"] == approx(5100)
    assert cost(r, "price_floor") == approx(0)


def test_price_floor_in_the_buyers_view_idles_the_plant_it_supports() -> None:
    r = solve("tiny_price_floor", "buyers_view")
    # us_sep looks like 145 (2025) and 130 (2026) USD/t > my_sep's 120
    for t in (2025, 2026):
        assert flow(r, "us_sep", "buyer", "oxide", t) == approx(0)
        assert flow(r, "my_sep", "buyer", "oxide", t) == approx(60)
        assert dual(r, "demand_balance", "buyer", "oxide", t) == approx(104)
        assert dual(r, "max_share", "china_cap", t) == approx(40)
    assert objective(r) == approx(20800)
    assert r.summary["transfers"] == {}


def test_no_price_floor_changes_no_plan() -> None:
    r = solve("tiny_price_floor", "no_floor")
    assert objective(r) == approx(17800)
    assert flow(r, "us_sep", "buyer", "oxide", 2026) == approx(60)
    assert r.summary["transfers"] == {}


# ============================================================================================
# tiny_touched_source
# ============================================================================================


def test_touched_source_feeds_only_the_any_buyer() -> None:
    r = solve("tiny_touched_source")
    assert flow(r, "scrap_cn_made", "recycler", "scrap", 2025, "touched") == approx(40)
    assert flow(r, "scrap_us_made", "recycler", "scrap", 2025, "clean") == approx(30)
    assert flow(r, "recycler", "dod", "magnet", 2025, "clean") == approx(30)
    assert flow(r, "recycler", "commercial", "magnet", 2025, "touched") == approx(40)
    assert objective(r) == approx(1350)
    assert dual(r, "demand_balance", "dod", "magnet", 2025) == approx(25)
    assert dual(r, "demand_balance", "commercial", "magnet", 2025) == approx(15)


def test_touched_source_judged_by_location_would_look_clean() -> None:
    r = solve("tiny_touched_source", "auto")
    assert flow(r, "scrap_cn_made", "recycler", "scrap", 2025, "clean") == approx(70)
    assert objective(r) == approx(1050)


def test_clean_recycler_takes_clean_scrap_only() -> None:
    r = solve("tiny_touched_source", "clean_recycler")
    assert flow(r, "scrap_cn_made", "recycler", "scrap", 2025) == approx(0)
    assert unmet(r, "commercial", "magnet", 2025) == approx(20)
    assert objective(r) == approx(3250)
    assert dual(r, "capacity_limit", "scrap_us_made", 2025) == approx(75)


# ============================================================================================
# tiny_pass_through
# ============================================================================================


def test_pass_through_opens_the_fixed_charge_port() -> None:
    r = solve("tiny_pass_through")
    assert [b["facility"] for b in r.summary["built"]] == ["port_new"]
    assert flow(r, "port_new", "buyer", "ore", 2025) == approx(100)
    assert activity(r, "port_new", 2025) == approx(100)
    assert objective(r) == approx(1600)
    assert dual(r, "demand_balance", "buyer", "ore", 2025) == approx(11)
    assert dual(r, "input_balance", "port_new", "ore", "any", 2025) == approx(10)


def test_pass_through_capacity_binds_when_the_new_port_is_dear() -> None:
    r = solve("tiny_pass_through", "dear_port")
    assert r.summary["built"] == []
    assert flow(r, "port_old", "buyer", "ore", 2025) == approx(10)  # not 100: the port's capacity holds
    assert activity(r, "port_old", 2025) == approx(10)
    assert unmet(r, "buyer", "ore", 2025) == approx(90)
    assert objective(r) == approx(4630)
    assert dual(r, "capacity_limit", "port_old", 2025) == approx(37)


# ============================================================================================
# tiny_unlimited_candidate
# ============================================================================================


def test_unlimited_candidate_opens_and_is_linked_by_the_data() -> None:
    r = solve("tiny_unlimited_candidate")
    assert [(b["facility"], b["kind"]) for b in r.summary["built"]] == [("new_plant", "open")]
    assert activity(r, "new_plant", 2025) == approx(40)
    assert objective(r) == approx(1080)
    assert dual(r, "demand_balance", "buyer", "magnet", 2025) == approx(22)
    # the link row: activity - 40 x open <= 0, the 40 being the buyer's demand
    row = r.built.model.open_link["new_plant", 2025]
    repn = generate_standard_repn(row.body)
    assert {v.name: c for v, c in zip(repn.linear_vars, repn.linear_coefs)} == {
        "activity[new_plant,any,2025]": approx(1), "open[new_plant,2025]": approx(-40)}
    assert row.upper == 0 and row.lower is None


def test_unlimited_candidate_stays_shut_when_dear() -> None:
    r = solve("tiny_unlimited_candidate", "high_fixed_cost")
    assert r.summary["built"] == []
    assert activity(r, "new_plant", 2025) == approx(0)
    assert objective(r) == approx(1600)
    assert dual(r, "demand_balance", "buyer", "magnet", 2025) == approx(40)


# ============================================================================================
# tiny_share_rules
# ============================================================================================


def test_stage_share_is_measured_in_tonnes_of_the_stages_product() -> None:
    r = solve("tiny_share_rules")
    # 30 t of ore from each mine (mine_au runs 60 units of rock at 0.5 t ore each)
    assert activity(r, "mine_cn", 2025) == approx(30)
    assert activity(r, "mine_au", 2025) == approx(60)
    assert objective(r) == approx(1200)
    row = share_row(r, "china_mine_cap", "mine", 2025)
    assert (row["numerator"], row["denominator"], row["share"]) == (approx(30), approx(60), approx(0.5))
    assert bool(row["binding"]) and row["product"] == "ore" and row["members"] == "China"
    overview = share_row(r, "", "metal", 2025)
    assert overview["product"] == "metal" and overview["members"] == "China, Russia" and overview["share"] == approx(1)
    assert dual(r, "demand_balance", "buyer", "metal", 2025) == approx(20)
    assert dual(r, "max_share", "china_mine_cap", 2025) == approx(6)


def test_a_cap_that_shuts_its_stage_is_binding_with_a_dual_per_tonne() -> None:
    r = solve("tiny_share_rules", "no_china_metal")
    assert objective(r) == approx(6000)
    assert unmet(r, "buyer", "metal", 2025) == approx(60)
    row = share_row(r, "china_metal_cap", "metal", 2025)
    assert row["denominator"] == 0 and row["share"] != row["share"]  # blank: undefined
    assert bool(row["binding"]) and "the share is undefined" in row["note"]
    d = r.tables["duals"]
    cap = d[(d["constraint"] == "max_share") & (d["index"] == "china_metal_cap|2025")].iloc[0]
    assert cap["unit"] == "USD/t" and "upper bound" in cap["note"]
    assert cap["value"] >= 85 - 1e-6  # allowing a tonne saves 100 - (10 + 5); the dual bounds it
    assert r.summary["shares"][0]["share"] is None and r.summary["shares"][0]["binding"] is True


# ============================================================================================
# tiny_disposal_cost
# ============================================================================================


def test_negative_surplus_value_is_a_disposal_cost() -> None:
    r = solve("tiny_disposal_cost")
    assert activity(r, "sep_b", 2025) == approx(100) and activity(r, "sep_a", 2025) == approx(0)
    assert objective(r) == approx(11500)
    assert cost(r, "surplus") == approx(2500)
    assert dual(r, "demand_balance", "buyer", "oxide", 2025) == approx(115)
    free = solve("tiny_disposal_cost", "free_dumping")
    assert activity(free, "sep_a", 2025) == approx(100)
    assert objective(free) == approx(3000)


# ============================================================================================
# duals that are not prices (tiny_pass_through, tiny_share_rules)
# ============================================================================================


def notes(r) -> dict[str, str]:
    d = r.tables["duals"]
    return {f"{c}|{i}": n for c, i, n in zip(d["constraint"], d["index"], d["note"]) if n}


def test_rows_of_a_shut_candidate_are_flagged() -> None:
    r = solve("tiny_pass_through", "dear_port")
    flagged = notes(r)
    assert set(flagged) == {"product_balance|port_new|ore|any|2025", "input_balance|port_new|ore|any|2025",
                            "capacity_limit|port_new|2025"}
    assert all("stays shut in 2025" in n for n in flagged.values())
    assert not set(expected.entry(r)["duals"]) & set(flagged)  # flagged duals are not pinned


def test_rows_nothing_flows_through_are_flagged() -> None:
    r = solve("tiny_share_rules", "no_china_metal")
    flagged = notes(r)
    idle = {k for k, n in flagged.items() if n.startswith("nothing flows through this row")}
    assert idle == {"product_balance|metal_cn|metal|any|2025"}  # the shut metal stage's price is not determined
    assert "max_share|china_metal_cap|2025" in flagged
    assert "demand_balance|buyer|metal|2025" not in flagged  # the unmet demand prices at the penalty


# ============================================================================================
# a contract for all of one plant's output (tiny_plant_offtake)
# ============================================================================================


def test_a_plant_tied_offtake_makes_the_plant_run() -> None:
    r = solve("tiny_plant_offtake")
    assert flow(r, "tenx", "dod", "magnet", 2025) == approx(70)
    assert flow(r, "other", "dod", "magnet", 2025) == approx(10)
    assert flow(r, "other", "buyer", "magnet", 2025) == approx(60)
    assert objective(r) == approx(7000)
    assert dual(r, "offtake", "dod_tenx_offtake", 2025) == approx(20)
    assert dual(r, "demand_balance", "dod", "magnet", 2025) == approx(40)
    assert "offtake|dod_tenx_offtake|2025" not in notes(r)


@pytest.mark.parametrize("scenario", ["country_offtake", "share_only"])
def test_neither_a_country_offtake_nor_an_output_share_alone_makes_it_run(scenario) -> None:
    r = solve("tiny_plant_offtake", scenario)
    assert activity(r, "tenx", 2025) == approx(0)
    assert objective(r) == approx(5600)


def test_an_offtake_of_all_a_plant_can_make_has_its_dual_flagged() -> None:
    r = solve("tiny_plant_offtake", "tenx_at_capacity")
    assert objective(r) == approx(7000)
    flagged = notes(r)
    assert "the offtakes on tenx take all it can make" in flagged["offtake|dod_tenx_offtake|2025"]
    assert "offtake|dod_tenx_offtake|2025" not in expected.entry(r)["duals"]


# ============================================================================================
# lead times (tiny_lead_time)
# ============================================================================================


def investment(r, facility: str) -> dict:
    inv = r.tables["investments"]
    rows = inv[inv["facility"] == facility].to_dict("records")
    assert len(rows) == 1, rows
    return rows[0]


def test_a_candidate_opens_no_earlier_than_its_lead_time_allows() -> None:
    r = solve("tiny_lead_time")
    assert activity(r, "new_plant", 2027) == approx(100)
    assert activity(r, "import", 2025) == approx(100) and activity(r, "import", 2026) == approx(100)
    assert objective(r) == approx(15000)
    row = investment(r, "new_plant")
    assert (row["period"], row["kind"], row["lead_time"], row["decision_year"]) == (2027, "open", 2, 2025)
    assert r.summary["built"] == [{"facility": "new_plant", "period": 2027, "kind": "open", "capacity_added": 100.0,
                                   "decision_year": 2025}]


def test_without_the_lead_time_it_opens_at_once() -> None:
    r = solve("tiny_lead_time", "no_lead_time")
    assert objective(r) == approx(9000)
    row = investment(r, "new_plant")
    assert (row["period"], row["lead_time"], row["decision_year"]) == (2025, 0, 2025)


def test_an_expansion_step_is_available_a_lead_time_after_its_decision() -> None:
    r = solve("tiny_lead_time", "expansion_lead_time")
    assert objective(r) == approx(10000)
    row = investment(r, "plant")
    assert (row["period"], row["kind"], row["steps"], row["lead_time"], row["decision_year"]) == (2026, "expansion", 1.0, 1, 2025)
    assert activity(r, "import", 2025) == approx(100) and activity(r, "plant", 2026) == approx(100)


# ============================================================================================
# stores (tiny_stockpile)
# ============================================================================================


def inventory(r, period: int, provenance: str = "any") -> tuple[float, float, float]:
    inv = r.tables["inventory"]
    row = inv[(inv["facility"] == "stockpile") & (inv["period"] == period) & (inv["provenance"] == provenance)]
    assert len(row) == 1, inv
    return tuple(float(row[c].iloc[0]) for c in ("level", "in", "out"))


def test_a_stockpile_filled_before_a_ban_carries_the_buyer_through_it() -> None:
    r = solve("tiny_stockpile")
    assert inventory(r, 2025) == approx((200, 100, 0)) and inventory(r, 2027) == approx((0, 0, 100))
    assert flow(r, "cn_sep", "stockpile", "oxide", 2025) == approx(200)
    assert flow(r, "us_sep", "buyer", "oxide", 2027) == approx(0)
    assert cost(r, "production") == approx(4000) and cost(r, "holding") == approx(2000)
    assert objective(r) == approx(6000)
    holding = r.tables["costs"].set_index(["term", "period"])["cost"]
    assert holding["holding", 2025] == approx(750) and holding["holding", 2027] == approx(250)


def test_a_full_store_is_worth_its_room() -> None:
    r = solve("tiny_stockpile", "small_store")
    assert inventory(r, 2025) == approx((150, 75, 0)) and inventory(r, 2027) == approx((0, 0, 75))
    assert flow(r, "us_sep", "buyer", "oxide", 2027) == approx(25)
    assert objective(r) == approx(7500)
    assert dual(r, "storage_capacity", "stockpile", "oxide", 2025) == approx(30)


def test_without_the_store_the_buyer_pays_the_dear_supply() -> None:
    assert objective(solve("tiny_stockpile", "no_store")) == approx(12000)
    r = solve("tiny_stockpile", "no_ban")
    assert objective(r) == approx(4000) and inventory(r, 2025) == approx((0, 0, 0))


def test_stored_material_keeps_its_tag() -> None:
    r = solve("tiny_stockpile", "clean_stock")
    assert inventory(r, 2025, "clean") == approx((100, 0, 0)) and inventory(r, 2027, "clean") == approx((0, 0, 50))
    assert inventory(r, 2025, "touched") == approx((0, 0, 0))
    assert flow(r, "us_sep", "buyer", "oxide", 2027) == approx(50)
    assert objective(r) == approx(8250)

"""duties.csv: ad valorem duties, rate x customs value, added to the tariff of the lanes they cover."""

from __future__ import annotations

import pytest

from optimizer.core.errors import InputError
from optimizer.input.load import load_instance
from tests.helpers import two_mine_chain, write_table

DUTY = {"origin": "CN", "destination": "US", "product": "ore", "period": 2025, "measure": "MFN", "rate": 0.1,
        "value": 30}


def with_duties(tmp_path, rows):
    folder = two_mine_chain(tmp_path / "chain")
    write_table(folder / "duties.csv", rows)
    return folder


def test_a_lane_pays_the_sum_of_its_measures(tmp_path):
    inst = load_instance(with_duties(tmp_path, [DUTY, {**DUTY, "measure": "s301", "rate": 0.25}]))
    lanes = {(l.origin, l.destination): l for l in inst.lanes}
    assert inst.lane_tariff(lanes["mine_cn", "plant"], 2025) == pytest.approx(0.35 * 30)
    assert inst.lane_tariff(lanes["mine_us", "plant"], 2025) == 0.0  # US -> US: no row


def test_a_duty_changes_the_plan_as_derived(tmp_path):
    """CN ore costs 10 + 1 (lane) against 20 + 1 from the US mine; a 50% duty on a 30 USD/t value adds
    15 USD/t to China's, so the plant buys US ore (2 t a magnet, 40 magnets: 80 t)."""
    from optimizer.pipeline import run

    folder = with_duties(tmp_path, [{**DUTY, "rate": 0.5}])
    r = run(folder)
    flows = r.tables["flows"]
    assert set(flows[flows["destination"] == "plant"]["origin"]) == {"mine_us"}
    assert r.solution.objective == pytest.approx(80 * (20 + 1) + 40 * 5)


def test_a_duty_year_outside_the_horizon_is_refused_at_its_cell(tmp_path):
    with pytest.raises(InputError) as exc:
        load_instance(with_duties(tmp_path, [{**DUTY, "period": 2031}]))
    assert any(":2:period: period 2031 is outside the horizon" in str(f) for f in exc.value.findings)


def test_one_customs_value_per_product_and_year(tmp_path):
    with pytest.raises(InputError) as exc:
        load_instance(with_duties(tmp_path, [DUTY, {**DUTY, "measure": "s301", "value": 35}]))
    lines = [str(f) for f in exc.value.findings]
    assert any("duties.csv:3:value: got 35 for ore in 2025, but row 2 gives 30" in line for line in lines), lines


def test_an_unknown_country_is_refused_at_its_cell(tmp_path):
    with pytest.raises(InputError) as exc:
        load_instance(with_duties(tmp_path, [{**DUTY, "origin": "XX"}]))
    assert any("duties.csv:2:origin: unknown country 'XX'" in str(f) for f in exc.value.findings)

"""The loader on good input: what a valid instance turns into, and the forms of CSV it accepts."""

from __future__ import annotations

import csv
import textwrap
from pathlib import Path

import pytest

from optimizer.core.errors import InputError
from optimizer.input.load import load_instance
from tests.helpers import two_mine_chain, write_instance, write_table


@pytest.fixture
def inst(tmp_path: Path) -> Path:
    return two_mine_chain(tmp_path / "chain", periods=[2025, 2030])


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def findings_of(folder: Path) -> list[str]:
    with pytest.raises(InputError) as exc:
        load_instance(folder)
    return [str(f) for f in exc.value.findings]


# --------------------------------------------------------------------------------------------
# a valid instance
# --------------------------------------------------------------------------------------------


def test_valid_instance_loads_to_the_right_instance(inst: Path) -> None:
    loaded = load_instance(inst)
    assert loaded.name == "chain"
    assert loaded.periods == (2025, 2030)
    assert loaded.discount_rate == 0.0
    assert loaded.provenance_group == "covered"
    assert loaded.folder == inst.resolve()
    assert sorted(loaded.countries) == ["CN", "US"]
    assert sorted(loaded.products) == ["magnet", "ore"]
    assert sorted(loaded.facilities) == ["mine_cn", "mine_us", "plant"]
    assert len(loaded.recipes) == 4 and len(loaded.lanes) == 3 and len(loaded.demands) == 2
    assert loaded.capacity == {} and loaded.expansions == () and loaded.policies == ()
    assert loaded.customers == {"buyer": "US"}
    assert loaded.covered_countries == frozenset({"CN"})
    assert loaded.inputs["plant"] == {"ore": 2.0} and loaded.outputs["plant"] == {"magnet": 1.0}
    assert loaded.warnings == () and loaded.scenario == ()
    assert len(loaded.input_digest) == 64


def test_blank_cells_take_the_documented_defaults(tmp_path: Path) -> None:
    folder = write_instance(tmp_path / "defaults", {"periods": [2025]}, {
        "countries": [{"country": "US", "name": "", "groups": ""}],
        "products": [{"product": "ore", "unit": "", "surplus_value": ""}, {"product": "magnet", "unit": "kg", "surplus_value": "-3"}],
        "facilities": [
            {"facility": "mine", "stage": "mine", "country": "US", "capacity": "", "cost": "", "fixed_cost": "",
             "status": "", "first_year": "", "last_year": ""},
            {"facility": "plant", "stage": "magnet", "country": "US", "capacity": "50", "cost": "-2.5", "fixed_cost": "7",
             "status": "candidate", "first_year": "2020", "last_year": "2040"},
        ],
        "recipes": [
            {"facility": "mine", "product": "ore", "direction": "out", "ratio": 1},
            {"facility": "plant", "product": "ore", "direction": "in", "ratio": "1.5"},
            {"facility": "plant", "product": "magnet", "direction": "out", "ratio": 1},
        ],
        "lanes": [
            {"origin": "mine", "destination": "plant", "product": "ore", "cost": "", "tariff": "", "capacity": ""},
            {"origin": "plant", "destination": "buyer", "product": "magnet", "cost": "4", "tariff": "1", "capacity": "30"},
        ],
        "demands": [
            {"customer": "buyer", "country": "US", "product": "magnet", "period": 2025, "quantity": 10,
             "penalty": "", "provenance": ""},
            {"customer": "other", "country": "US", "product": "magnet", "period": 2025, "quantity": 5,
             "penalty": "900", "provenance": "clean"},
        ],
        "capacity": [{"facility": "plant", "period": 2025, "capacity": 20}],
        "expansions": [{"facility": "plant", "first_period": 2025, "size": 10, "capex": "", "integer": "", "max_steps": "2"}],
    })
    loaded = load_instance(folder)
    mine, plant = loaded.facilities["mine"], loaded.facilities["plant"]
    assert (mine.capacity, mine.cost, mine.fixed_cost, mine.status, mine.first_year, mine.last_year) == \
        (None, 0.0, 0.0, "existing", None, None)
    assert (plant.capacity, plant.cost, plant.fixed_cost, plant.status, plant.first_year, plant.last_year) == \
        (50.0, -2.5, 7.0, "candidate", 2020, 2040)
    assert (loaded.products["ore"].unit, loaded.products["ore"].surplus_value) == ("t", None)
    assert (loaded.products["magnet"].unit, loaded.products["magnet"].surplus_value) == ("kg", -3.0)
    lane0, lane1 = loaded.lanes
    assert (lane0.cost, lane0.tariff, lane0.capacity) == (0.0, 0.0, None)
    assert (lane1.cost, lane1.tariff, lane1.capacity) == (4.0, 1.0, 30.0)
    hard, soft = loaded.demands
    assert (hard.penalty, hard.provenance) == (None, "any")
    assert (soft.penalty, soft.provenance) == (900.0, "clean")
    assert loaded.capacity == {("plant", 2025): 20.0}
    (exp,) = loaded.expansions
    assert (exp.capex, exp.integer, exp.max_steps) == (0.0, False, 2.0)
    assert loaded.countries["US"].group_set == frozenset()


def test_free_text_columns_are_accepted_and_kept_on_the_rows(inst: Path) -> None:
    for table in ("facilities", "lanes"):
        rows = [dict(r, source="USGS 2024", confidence="low", note="see report, p. 3", label="a row")
                for r in rows_of(inst / f"{table}.csv")]
        write_table(inst / f"{table}.csv", rows)
    loaded = load_instance(inst)
    assert loaded.facilities["mine_cn"].capacity == 100.0
    assert (loaded.facilities["mine_cn"].source, loaded.facilities["mine_cn"].confidence) == ("USGS 2024", "low")
    assert loaded.lanes[0].note == "see report, p. 3"


def test_utf8_bom_is_handled(inst: Path) -> None:
    for name in ("facilities.csv", "instance.yaml"):
        path = inst / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    loaded = load_instance(inst)
    assert sorted(loaded.facilities) == ["mine_cn", "mine_us", "plant"]


def test_non_ascii_text_is_read_as_utf8(inst: Path) -> None:
    write_table(inst / "countries.csv", [{"country": "CN", "name": "中国", "groups": "covered"},
                                         {"country": "US", "name": "États-Unis", "groups": ""}])
    assert load_instance(inst).countries["US"].name == "États-Unis"


def test_windows_line_endings(inst: Path) -> None:
    for name in ("lanes.csv", "instance.yaml"):
        path = inst / name
        path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    assert len(load_instance(inst).lanes) == 3


def test_cells_are_trimmed(inst: Path) -> None:
    text = (inst / "lanes.csv").read_text().replace("mine_cn,plant", " mine_cn , plant ")
    (inst / "lanes.csv").write_text(text)
    assert load_instance(inst).lanes[0].origin == "mine_cn"


def test_blank_lines_are_skipped_and_rows_keep_their_line_numbers(inst: Path) -> None:
    lines = (inst / "lanes.csv").read_text().splitlines()
    assert lines[2] == "mine_us,plant,ore,1"
    lines[2] = "mine_us,plant,ore,cheap"
    (inst / "lanes.csv").write_text("\n".join([lines[0], "", ",,,", lines[1], lines[2], lines[3], ""]) + "\n\n")
    assert findings_of(inst) == ["lanes.csv:5:cost: got 'cheap'; expected a number (USD/t)"]


def test_quoted_cell_over_two_lines_keeps_line_numbers(inst: Path) -> None:
    (inst / "countries.csv").write_text('country,name,groups\nCN,"People\'s Republic\nof China",covered\nUS,United States,,x\n')
    (finding,) = findings_of(inst)
    assert finding.startswith("countries.csv:4:-: row has 4 cells but the header has 3 columns")


def test_short_rows_and_trailing_empty_columns(inst: Path) -> None:
    # Spreadsheets write trailing commas (an unnamed empty column) and may drop empty trailing cells.
    (inst / "products.csv").write_text("product,unit,surplus_value,,\nore,t,,,\nmagnet\n")
    loaded = load_instance(inst)
    assert loaded.products["magnet"].unit == "t" and loaded.products["magnet"].surplus_value is None


def test_tables_paths_inside_the_folder(inst: Path) -> None:
    (inst / "data").mkdir()
    (inst / "lanes.csv").rename(inst / "data" / "routes.csv")
    write_table(inst / "data" / "ramp.csv", [{"facility": "mine_us", "period": 2030, "capacity": 150}])
    text = (inst / "instance.yaml").read_text()
    (inst / "instance.yaml").write_text(text + "tables:\n  lanes: data/routes.csv\n  capacity: ./data/../data/ramp.csv\n")
    loaded = load_instance(inst)
    assert len(loaded.lanes) == 3
    assert loaded.capacity == {("mine_us", 2030): 150.0}
    # Findings in a relocated table name it as written.
    rows = rows_of(inst / "data" / "routes.csv")
    rows[1]["cost"] = "x"
    write_table(inst / "data" / "routes.csv", rows)
    assert findings_of(inst) == ["data/routes.csv:3:cost: got 'x'; expected a number (USD/t)"]


def test_optional_tables_may_be_absent_or_header_only(inst: Path) -> None:
    assert not (inst / "capacity.csv").exists()
    write_table(inst / "expansions.csv", [], ["facility", "first_period", "size"])
    loaded = load_instance(inst)
    assert loaded.capacity == {} and loaded.expansions == ()


def test_null_lists_in_instance_yaml_mean_empty(inst: Path) -> None:
    (inst / "instance.yaml").write_text("name: chain\nperiods: [2025, 2030]\npolicies:\ntables:\nscenarios:\n")
    loaded = load_instance(inst)
    assert loaded.policies == () and loaded.scenario_names == ()


def test_path_to_instance_yaml_itself(inst: Path) -> None:
    assert load_instance(inst / "instance.yaml").name == "chain"


def test_missing_folder_and_missing_instance_yaml(tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        load_instance(tmp_path / "nowhere")
    assert str(exc.value) == f"{tmp_path / 'nowhere'}:-:-: no such instance folder"
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError) as exc:
        load_instance(tmp_path / "empty")
    assert "no instance.yaml here" in str(exc.value)


def test_policies_and_scenario_names_are_loaded(inst: Path) -> None:
    (inst / "instance.yaml").write_text(textwrap.dedent("""\
        name: chain
        periods: [2025, 2030]
        policies:
          - {kind: max_share, name: china_cap, stage: mine, group: covered, share: {2025: 0.8, 2030: 0.5}}
          - {kind: export_cap, group: covered, product: [ore], quantity: 0, periods: [2030]}
        scenarios:
          one: {}
          two: {set: {discount_rate: 0.05}}
        """))
    loaded = load_instance(inst)
    assert [p.name for p in loaded.policies] == ["china_cap", "export_cap_2"]
    assert loaded.policy("china_cap").share == {2025: 0.8, 2030: 0.5}
    assert loaded.policy("export_cap_2").periods == [2030]
    assert loaded.scenario_names == ("one", "two")


# --------------------------------------------------------------------------------------------
# input digest
# --------------------------------------------------------------------------------------------


def test_input_digest_is_stable_and_changes_with_any_input(inst: Path) -> None:
    first = load_instance(inst).input_digest
    assert load_instance(inst).input_digest == first

    rows = rows_of(inst / "lanes.csv")
    rows[0]["cost"] = "2"
    write_table(inst / "lanes.csv", rows)
    second = load_instance(inst).input_digest
    assert second != first

    write_table(inst / "capacity.csv", [{"facility": "mine_us", "period": 2025, "capacity": 100}])
    third = load_instance(inst).input_digest
    assert third not in (first, second)

    (inst / "instance.yaml").write_text((inst / "instance.yaml").read_text() + "description: changed\n")
    assert load_instance(inst).input_digest not in (first, second, third)


def test_input_digest_does_not_depend_on_the_folder(tmp_path: Path) -> None:
    a = two_mine_chain(tmp_path / "a" / "chain")
    b = two_mine_chain(tmp_path / "b" / "chain")
    assert load_instance(a).input_digest == load_instance(b).input_digest


def test_one_scenario_may_be_named_by_a_string(tmp_path: Path) -> None:
    """``load_instance(path, "a")`` and ``optimizer.solve(path, scenario="a")`` mean the scenario
    ``a``, not the scenarios ``"a"`` spelt letter by letter."""
    from optimizer import solve

    folder = two_mine_chain(tmp_path / "chain", scenarios={"dear": {"patch": {"facilities": [
        {"facility": "mine_cn", "cost": 15}]}}})
    assert load_instance(folder, "dear").scenario == ("dear",)
    assert load_instance(folder, ["dear"]).facilities["mine_cn"].cost == 15
    run = solve(folder, scenario="dear")
    assert run.instance.scenario == ("dear",) and run.summary["objective"] == pytest.approx(80 * 16 + 200)

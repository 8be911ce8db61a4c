"""Every bad input gets one clear finding: ``file:row:column: what is wrong and what was expected``.

One test per validation rule.  Most tests assert that the finding is the *only* one, which also
proves that the mistake does not cascade into "unknown ..." findings elsewhere.  The instance is
the two-mine chain of ``tests/helpers.py``:

    facilities.csv  2 mine_cn (CN)   3 mine_us (US)   4 plant (US, unlimited)
    recipes.csv     2 mine_cn out ore   3 mine_us out ore   4 plant in ore   5 plant out magnet
    lanes.csv       2 mine_cn->plant ore   3 mine_us->plant ore   4 plant->buyer magnet
    demands.csv     2 buyer magnet 2025   3 buyer magnet 2030
"""

from __future__ import annotations

import csv
import re
import textwrap
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.core.errors import Finding, InputError, finding
from optimizer.input.load import load_instance
from tests.helpers import two_mine_chain, write_table

LINE = re.compile(r"^[^:]+:[^:]+:[^:]+: ")


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture
def inst(tmp_path: Path) -> Path:
    return two_mine_chain(tmp_path / "chain", periods=[2025, 2030])


def problems(folder: Path, scenarios: list[str] | tuple[str, ...] = ()) -> list[Finding]:
    with pytest.raises(InputError) as exc:
        load_instance(folder, scenarios)
    return exc.value.findings


def only(findings: list[Finding], file: str, row: int | str, column: str, phrase: str) -> Finding:
    """The findings are exactly one, at file:row:column, and its message contains ``phrase``."""
    assert len(findings) == 1, "expected one finding, got:\n" + "\n".join(map(str, findings))
    return has(findings, file, row, column, phrase)


def has(findings: list[Finding], file: str, row: int | str, column: str, phrase: str) -> Finding:
    at = [f for f in findings if (f.file, f.row, f.column) == (file, str(row), column)]
    assert at, f"nothing at {file}:{row}:{column}; got:\n" + "\n".join(map(str, findings))
    assert any(phrase in f.message for f in at), "\n".join(map(str, at))
    return next(f for f in at if phrase in f.message)


def rows_of(folder: Path, table: str) -> list[dict[str, str]]:
    with (folder / f"{table}.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def edit(folder: Path, table: str, fn: Callable[[list[dict[str, Any]]], Any]) -> None:
    """Rewrite ``table`` with ``fn(rows)`` applied (in place, or the list it returns)."""
    path = folder / f"{table}.csv"
    rows = rows_of(folder, table) if path.exists() else []
    with path.open(newline="", encoding="utf-8") as fh:
        columns = next(csv.reader(fh), [])
    new = fn(rows)
    write_table(path, rows if new is None else new, columns)


def set_cell(folder: Path, table: str, index: int, **values: Any) -> None:
    edit(folder, table, lambda rows: rows[index].update(values))


def add_row(folder: Path, table: str, **values: Any) -> None:
    edit(folder, table, lambda rows: rows.append(values))


def with_yaml(folder: Path, text: str) -> None:
    (folder / "instance.yaml").write_text(textwrap.dedent(text))


HEAD = """\
name: chain
periods: [2025, 2030]
"""


# --------------------------------------------------------------------------------------------
# instance.yaml
# --------------------------------------------------------------------------------------------


def test_malformed_yaml_names_the_line(inst: Path) -> None:
    with_yaml(inst, "name: chain\nperiods: [2025, 2030\ndiscount_rate: 0.1\n")
    f = only(problems(inst), "instance.yaml", 3, "-", "malformed YAML")
    assert "line 2" in f.message  # where the unclosed list starts


def test_malformed_yaml_bad_indentation(inst: Path) -> None:
    with_yaml(inst, "name: chain\nperiods: [2025]\n  discount_rate: 0.1\n")
    only(problems(inst), "instance.yaml", 3, "-", "malformed YAML")


@pytest.mark.parametrize("text, got", [("- a\n- b\n", "a list"), ("just text\n", "a str"), ("", "an empty file")])
def test_top_level_must_be_a_mapping(inst: Path, text: str, got: str) -> None:
    with_yaml(inst, text)
    f = only(problems(inst), "instance.yaml", 1, "-", "expected a mapping")
    assert got in f.message


def test_unknown_top_level_key(inst: Path) -> None:
    with_yaml(inst, HEAD + "horizon: 5\n")
    f = only(problems(inst), "instance.yaml", 3, "horizon", "unknown key 'horizon'")
    assert "periods" in f.message  # the keys that are allowed


def test_periods_must_increase(inst: Path) -> None:
    with_yaml(inst, "name: chain\nperiods: [2030, 2025]\n")
    only(problems(inst), "instance.yaml", 2, "periods", "strictly increasing")


def test_periods_must_not_repeat(inst: Path) -> None:
    with_yaml(inst, "name: chain\nperiods: [2025, 2025]\n")
    only(problems(inst), "instance.yaml", 2, "periods", "strictly increasing")


def test_periods_required(inst: Path) -> None:
    with_yaml(inst, "name: chain\n")
    only(problems(inst), "instance.yaml", 1, "periods", "missing required key 'periods'")



@pytest.mark.parametrize("text, phrase", [
    ("{2026: 5}", "2026 is not a period; expected years from [2025, 2030]"),
    ("{2025: 3}", "period 2025 stands for the 5 years up to the next period (2030), got 3"),
    ("{2030: 0}", "period 2030 stands for 0 years; expected a whole number >= 1"),
    ("{2030: 2.5}", "whole number"),
])
def test_period_years_must_fit_the_periods(inst: Path, text: str, phrase: str) -> None:
    with_yaml(inst, HEAD + f"period_years: {text}\n")
    only(problems(inst), "instance.yaml", 3, "period_years", phrase)


def test_period_years_of_the_last_period(inst: Path) -> None:
    with_yaml(inst, HEAD + "period_years: {2030: 10}\n")
    loaded = load_instance(inst)
    assert loaded.period_years == {2025: 5, 2030: 10} and loaded.horizon_end == 2039
    with_yaml(inst, HEAD)
    assert load_instance(inst).period_years == {2025: 5, 2030: 5}


@pytest.mark.parametrize("rate, phrase", [(1.5, "< 1"), (-0.1, ">= 0"), ("high", "expected a number")])
def test_discount_rate_out_of_range(inst: Path, rate: Any, phrase: str) -> None:
    with_yaml(inst, HEAD + f"discount_rate: {rate}\n")
    only(problems(inst), "instance.yaml", 3, "discount_rate", phrase)


def test_unknown_format_version(inst: Path) -> None:
    with_yaml(inst, HEAD + "format: 2\n")
    only(problems(inst), "instance.yaml", 3, "format", "instance format 1")


def test_bad_instance_name(inst: Path) -> None:
    with_yaml(inst, "name: my chain\nperiods: [2025, 2030]\n")
    only(problems(inst), "instance.yaml", 1, "name", "no spaces")


def test_header_error_does_not_hide_table_errors(inst: Path) -> None:
    with_yaml(inst, HEAD + "horizon: 5\n")
    set_cell(inst, "facilities", 0, capacity="lots")
    found = problems(inst)
    assert len(found) == 2
    has(found, "instance.yaml", 3, "horizon", "unknown key")
    has(found, "facilities.csv", 2, "capacity", "expected a number")


def test_bad_periods_do_not_hide_table_errors(inst: Path) -> None:
    with_yaml(inst, "name: chain\nperiods: [2025, soon]\n")
    set_cell(inst, "lanes", 0, cost="cheap")
    found = problems(inst)
    assert [str(f) for f in found] == [
        "instance.yaml:2:periods: periods[1]: got 'soon'; expected a whole number",
        "lanes.csv:2:cost: got 'cheap'; expected a number (USD/t)",
    ]  # and no "outside the horizon" for the demands


@pytest.mark.parametrize("text, line, column, path", [
    (HEAD + "discount_rate: 0.1\ndiscount_rate: 0.2\n", 4, "discount_rate", "discount_rate"),
    (HEAD + "policies:\n  - kind: max_open\n    stage: mine\n    count: 1\n    count: 2\n", 7, "count", "policies[0].count"),
    (HEAD + "scenarios:\n  a: {}\n  a: {set: {discount_rate: 0.3}}\n", 5, "a", "scenarios.a"),
])
def test_yaml_key_given_twice(inst: Path, text: str, line: int, column: str, path: str) -> None:
    with_yaml(inst, text)
    f = only(problems(inst), "instance.yaml", line, column, f"{path} is given twice")
    assert f"first at line {line - 1}" in f.message


def test_unknown_provenance_group(inst: Path) -> None:
    with_yaml(inst, HEAD + "provenance_group: covred\n")
    only(problems(inst), "instance.yaml", 3, "provenance_group", "unknown country group 'covred'")


# --------------------------------------------------------------------------------------------
# table files
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", ["countries", "products", "facilities", "recipes", "lanes", "demands"])
def test_missing_required_table_file(inst: Path, table: str) -> None:
    (inst / f"{table}.csv").unlink()
    # One finding: references into the missing table are not judged.
    only(problems(inst), f"{table}.csv", "-", "-", "file not found")


def test_optional_table_named_in_tables_must_exist(inst: Path) -> None:
    with_yaml(inst, HEAD + "tables:\n  capacity: ramp.csv\n")
    only(problems(inst), "instance.yaml", 4, "capacity", "file not found")


@pytest.mark.parametrize("table, column", [("recipes", "ratio"), ("facilities", "country"), ("facilities", "facility"),
                                           ("demands", "quantity"), ("lanes", "product")])
def test_missing_required_column(inst: Path, table: str, column: str) -> None:
    rows = [{k: v for k, v in r.items() if k != column} for r in rows_of(inst, table)]
    write_table(inst / f"{table}.csv", rows)
    only(problems(inst), f"{table}.csv", 1, column, "missing required column")


def test_duplicate_header_column(inst: Path) -> None:
    lines = (inst / "lanes.csv").read_text().splitlines()
    (inst / "lanes.csv").write_text("\n".join([lines[0] + ",cost"] + [ln + ",9" for ln in lines[1:]]) + "\n")
    only(problems(inst), "lanes.csv", 1, "cost", "appears twice")


def test_row_with_too_many_cells(inst: Path) -> None:
    lines = (inst / "lanes.csv").read_text().splitlines()
    lines[2] += ",9,9"
    (inst / "lanes.csv").write_text("\n".join(lines) + "\n")
    f = only(problems(inst), "lanes.csv", 3, "-", "cells but the header has")
    assert "unquoted comma" in f.message


def test_row_with_too_many_cells_still_defines_its_code(inst: Path) -> None:
    lines = (inst / "countries.csv").read_text().splitlines()
    lines[2] += ",oops"  # US: facilities and demands name it
    (inst / "countries.csv").write_text("\n".join(lines) + "\n")
    only(problems(inst), "countries.csv", 3, "-", "4 cells but the header has 3 columns")


def test_empty_file(inst: Path) -> None:
    (inst / "lanes.csv").write_text("")
    only(problems(inst), "lanes.csv", 1, "-", "the file is empty")


def test_file_that_is_not_utf8(inst: Path) -> None:
    (inst / "countries.csv").write_bytes("country,name,groups\nCN,Chine,covered\nUS,\xc9tats-Unis,\n".encode("latin-1"))
    only(problems(inst), "countries.csv", 1, "-", "UTF-8")


@pytest.mark.parametrize("path, phrase", [("../x.csv", "leaves the instance folder"),
                                          ("sub/../../x.csv", "leaves the instance folder"),
                                          ("/etc/passwd", "'/etc/passwd' is absolute")])
def test_table_path_leaving_the_folder(inst: Path, path: str, phrase: str) -> None:
    (inst.parent / "x.csv").write_text((inst / "lanes.csv").read_text())
    with_yaml(inst, HEAD + f"tables:\n  lanes: {path}\n")
    f = only(problems(inst), "instance.yaml", 4, "lanes", phrase)
    assert "expected a path inside the instance folder" in f.message


def test_absolute_table_path_is_refused_even_inside_the_folder(inst: Path) -> None:
    with_yaml(inst, HEAD + f"tables:\n  lanes: {inst.resolve() / 'lanes.csv'}\n")
    only(problems(inst), "instance.yaml", 4, "lanes", "is absolute")


def test_unknown_table_in_tables(inst: Path) -> None:
    with_yaml(inst, HEAD + "tables:\n  lane: lanes.csv\n")
    only(problems(inst), "instance.yaml", 4, "lane", "unknown table 'lane'")


# --------------------------------------------------------------------------------------------
# cells: types and ranges
# --------------------------------------------------------------------------------------------

CELLS = [
    # table, row index, values, csv row, column, phrase
    ("facilities", 0, {"capacity": "lots"}, 2, "capacity", "got 'lots'; expected a number"),
    ("facilities", 1, {"capacity": "-5"}, 3, "capacity", "expected a number >= 0"),
    ("facilities", 0, {"cost": "nan"}, 2, "cost", "finite number"),
    ("facilities", 0, {"capacity": "inf"}, 2, "capacity", "finite number"),
    ("recipes", 0, {"ratio": "0"}, 2, "ratio", "expected a number > 0"),
    ("recipes", 2, {"ratio": "-2"}, 4, "ratio", "expected a number > 0"),
    ("recipes", 0, {"direction": "output"}, 2, "direction", "expected 'in' or 'out'"),
    ("facilities", 2, {"status": "planned"}, 4, "status", "expected 'existing' or 'candidate'"),
    ("demands", 0, {"provenance": "green"}, 2, "provenance", "expected 'any' or 'clean'"),
    ("facilities", 0, {"stage": ""}, 2, "stage", "a value is required"),
    ("demands", 1, {"quantity": ""}, 3, "quantity", "a value is required"),
    ("lanes", 0, {"tariff": "-1"}, 2, "tariff", ">= 0"),
    ("lanes", 1, {"cost": "-0.5"}, 3, "cost", "expected a number >= 0"),
    ("lanes", 2, {"capacity": "-10"}, 4, "capacity", "expected a number >= 0"),
    ("demands", 1, {"quantity": "-40"}, 3, "quantity", "expected a number >= 0"),
    ("demands", 0, {"period": "20x5"}, 2, "period", "expected a whole number"),
    ("facilities", 0, {"first_year": "2030", "last_year": "2025"}, 2, "last_year", "no earlier than first_year (2030)"),
    ("facilities", 0, {"first_year": "2025.5"}, 2, "first_year", "whole number"),
]


@pytest.mark.parametrize("table, index, values, row, column, phrase", CELLS,
                         ids=[f"{c[0]}-{'-'.join(c[2])}-{list(c[2].values())[-1] or 'blank'}" for c in CELLS])
def test_bad_cell(inst: Path, table: str, index: int, values: dict, row: int, column: str, phrase: str) -> None:
    set_cell(inst, table, index, **values)
    f = only(problems(inst), f"{table}.csv", row, column, phrase)
    assert f.message.startswith("got ") or "required" in f.message


@pytest.mark.parametrize("table, wrong, meant", [
    ("lanes", "tarif", "tariff"),
    ("facilities", "fixed cost", "fixed_cost"),
    ("facilities", "Capacity", "capacity"),
    ("demands", "penalty_usd", "penalty"),
    ("lanes", "notes", "note"),
])
def test_a_misspelled_optional_column_is_an_error_naming_the_close_match(inst: Path, table: str, wrong: str,
                                                                          meant: str) -> None:
    """An optional column with a typo would otherwise be left unread: a plausible but wrong plan."""
    rows = rows_of(inst, table)
    rows[0][wrong] = "5"
    write_table(inst / f"{table}.csv", rows)
    only(problems(inst), f"{table}.csv", 1, wrong, f"unknown column {wrong!r}; did you mean {meant!r}?")


def test_an_unknown_column_with_no_close_match_lists_the_columns(inst: Path) -> None:
    rows = rows_of(inst, "products")
    rows[0]["colour"] = "red"
    write_table(inst / "products.csv", rows)
    f = only(problems(inst), "products.csv", 1, "colour", "unknown column 'colour'; expected one of ")
    assert "surplus_value" in f.message and "note" in f.message


def test_unit_is_named_in_the_message(inst: Path) -> None:
    set_cell(inst, "lanes", 0, cost="cheap")
    f = only(problems(inst), "lanes.csv", 2, "cost", "expected a number")
    assert "USD/t" in f.message


def test_code_with_spaces(inst: Path) -> None:
    add_row(inst, "countries", country="New Zealand", name="New Zealand")
    only(problems(inst), "countries.csv", 4, "country", "no spaces")


def test_bad_boolean(inst: Path) -> None:
    write_table(inst / "expansions.csv", [{"facility": "mine_us", "first_period": 2025, "size": 10, "integer": "maybe"}])
    only(problems(inst), "expansions.csv", 2, "integer", "expected true or false")


# --------------------------------------------------------------------------------------------
# duplicate keys
# --------------------------------------------------------------------------------------------


def _dup_first(table: str) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        edit(folder, table, lambda rows: rows.append(dict(rows[0])))
    return make


def _write(table: str, rows: list[dict[str, Any]]) -> Callable[[Path], None]:
    return lambda folder: write_table(folder / f"{table}.csv", rows)


DUPLICATES = {
    "countries": (_dup_first("countries"), "countries.csv", 4, "country", "duplicate key CN (first at row 2)"),
    "products": (_dup_first("products"), "products.csv", 4, "product", "duplicate key ore"),
    "facilities": (_dup_first("facilities"), "facilities.csv", 5, "facility", "duplicate key mine_cn"),
    "recipes": (_dup_first("recipes"), "recipes.csv", 6, "direction", "duplicate key mine_cn/ore/out"),
    "lanes": (_dup_first("lanes"), "lanes.csv", 5, "product", "duplicate key mine_cn/plant/ore"),
    "demands": (_dup_first("demands"), "demands.csv", 4, "period", "duplicate key buyer/magnet/2025"),
    "capacity": (_write("capacity", [{"facility": "mine_us", "period": 2025, "capacity": 5}] * 2),
                 "capacity.csv", 3, "period", "duplicate key mine_us/2025"),
    "expansions": (_write("expansions", [{"facility": "mine_us", "first_period": 2025, "size": 5}] * 2),
                   "expansions.csv", 3, "facility", "duplicate key mine_us"),
}


@pytest.mark.parametrize("table", list(DUPLICATES))
def test_duplicate_key(inst: Path, table: str) -> None:
    make, file, row, column, phrase = DUPLICATES[table]
    make(inst)
    f = only(problems(inst), file, row, column, phrase)
    assert "expected one row per" in f.message


# --------------------------------------------------------------------------------------------
# references across files
# --------------------------------------------------------------------------------------------


def test_facility_country_unknown(inst: Path) -> None:
    set_cell(inst, "facilities", 1, country="XX")
    only(problems(inst), "facilities.csv", 3, "country", "unknown country 'XX'")


def test_recipe_facility_unknown(inst: Path) -> None:
    add_row(inst, "recipes", facility="smelter", product="ore", direction="in", ratio=1)
    only(problems(inst), "recipes.csv", 6, "facility", "unknown facility 'smelter'")


def test_recipe_product_unknown(inst: Path) -> None:
    add_row(inst, "recipes", facility="plant", product="dust", direction="out", ratio=1)
    only(problems(inst), "recipes.csv", 6, "product", "unknown product 'dust'")


def test_lane_origin_unknown(inst: Path) -> None:
    add_row(inst, "lanes", origin="mine_au", destination="plant", product="ore")
    only(problems(inst), "lanes.csv", 5, "origin", "unknown facility 'mine_au'")


def test_lane_destination_unknown(inst: Path) -> None:
    add_row(inst, "lanes", origin="plant", destination="nobody", product="magnet")
    only(problems(inst), "lanes.csv", 5, "destination", "unknown destination 'nobody'")


def test_lane_product_unknown(inst: Path) -> None:
    add_row(inst, "lanes", origin="plant", destination="buyer", product="dust")
    only(problems(inst), "lanes.csv", 5, "product", "unknown product 'dust'")


def test_lane_product_not_made_by_origin(inst: Path) -> None:
    add_row(inst, "lanes", origin="mine_cn", destination="buyer", product="magnet")
    only(problems(inst), "lanes.csv", 5, "product", "facility 'mine_cn' does not make 'magnet'")


def test_lane_product_not_used_by_destination(inst: Path) -> None:
    add_row(inst, "lanes", origin="plant", destination="mine_us", product="magnet")
    only(problems(inst), "lanes.csv", 5, "product", "facility 'mine_us' does not use 'magnet'")


def test_lane_to_itself(inst: Path) -> None:
    add_row(inst, "recipes", facility="plant", product="magnet", direction="in", ratio=0.1)
    add_row(inst, "lanes", origin="plant", destination="plant", product="magnet")
    only(problems(inst), "lanes.csv", 5, "destination", "cannot start and end at the same facility")


def test_demand_country_unknown(inst: Path) -> None:
    edit(inst, "demands", lambda rows: [dict(r, country="XX") for r in rows])
    found = problems(inst)
    assert len(found) == 2
    has(found, "demands.csv", 2, "country", "unknown country 'XX'")
    has(found, "demands.csv", 3, "country", "unknown country 'XX'")


def test_demand_product_unknown(inst: Path) -> None:
    add_row(inst, "demands", customer="buyer", country="US", product="dust", period=2025, quantity=1)
    only(problems(inst), "demands.csv", 4, "product", "unknown product 'dust'")


def test_demand_period_outside_horizon(inst: Path) -> None:
    add_row(inst, "demands", customer="buyer", country="US", product="magnet", period=2040, quantity=1)
    f = only(problems(inst), "demands.csv", 4, "period", "period 2040 is outside the horizon")
    assert "[2025, 2030]" in f.message


def test_capacity_period_outside_horizon(inst: Path) -> None:
    write_table(inst / "capacity.csv", [{"facility": "mine_us", "period": 2026, "capacity": 5}])
    only(problems(inst), "capacity.csv", 2, "period", "period 2026 is outside the horizon")


def test_capacity_row_with_neither_capacity_nor_cost(inst: Path) -> None:
    write_table(inst / "capacity.csv", [{"facility": "mine_us", "period": 2025, "capacity": "", "cost": ""}])
    only(problems(inst), "capacity.csv", 2, "-", "needs a capacity, a cost or a min_activity")


def test_capacity_min_activity_above_capacity(inst: Path) -> None:
    write_table(inst / "capacity.csv", [{"facility": "mine_us", "period": 2025, "capacity": 10, "min_activity": 20}])
    only(problems(inst), "capacity.csv", 2, "min_activity", "must-run 20 exceeds the year's capacity 10")


def test_capacity_facility_unknown(inst: Path) -> None:
    write_table(inst / "capacity.csv", [{"facility": "mine_au", "period": 2025, "capacity": 5}])
    only(problems(inst), "capacity.csv", 2, "facility", "unknown facility 'mine_au'")


def test_lane_periods_names_a_lane_that_does_not_exist(inst: Path) -> None:
    write_table(inst / "lane_periods.csv", [{"origin": "mine_us", "destination": "buyer", "product": "ore",
                                              "period": 2025, "tariff": 5}])
    only(problems(inst), "lane_periods.csv", 2, "origin", "no lane mine_us -> buyer (ore)")


def test_lane_periods_period_outside_horizon(inst: Path) -> None:
    write_table(inst / "lane_periods.csv", [{"origin": "mine_us", "destination": "plant", "product": "ore",
                                              "period": 2026, "cost": 5}])
    only(problems(inst), "lane_periods.csv", 2, "period", "period 2026 is outside the horizon")


@pytest.mark.parametrize("column", ["tariff", "cost", "capacity"])
def test_lane_periods_negative_money_or_capacity(inst: Path, column: str) -> None:
    write_table(inst / "lane_periods.csv", [{"origin": "mine_us", "destination": "plant", "product": "ore",
                                              "period": 2025, column: -1}])
    only(problems(inst), "lane_periods.csv", 2, column, "expected a number >= 0")


def test_negative_surplus_value_is_a_disposal_cost_and_allowed(inst: Path) -> None:
    set_cell(inst, "products", 0, surplus_value="-25")
    assert load_instance(inst).products["ore"].surplus_value == -25.0


def test_expansion_facility_unknown(inst: Path) -> None:
    write_table(inst / "expansions.csv", [{"facility": "mine_au", "first_period": 2025, "size": 5}])
    only(problems(inst), "expansions.csv", 2, "facility", "unknown facility 'mine_au'")


def test_expansion_on_unlimited_facility(inst: Path) -> None:
    write_table(inst / "expansions.csv", [{"facility": "plant", "first_period": 2025, "size": 5}])
    only(problems(inst), "expansions.csv", 2, "facility", "unlimited capacity")


def test_expansion_after_horizon(inst: Path) -> None:
    write_table(inst / "expansions.csv", [{"facility": "mine_us", "first_period": 2031, "size": 5}])
    only(problems(inst), "expansions.csv", 2, "first_period", "after the horizon ends (2030)")


def test_customer_code_equal_to_facility_code(inst: Path) -> None:
    add_row(inst, "demands", customer="plant", country="US", product="magnet", period=2025, quantity=1)
    only(problems(inst), "demands.csv", 4, "customer", "'plant' is a facility")


def test_customer_with_two_countries(inst: Path) -> None:
    set_cell(inst, "demands", 1, country="CN")
    f = only(problems(inst), "demands.csv", 3, "country", "customer 'buyer' is in US at row 2")
    assert "one country per customer" in f.message


def test_facility_without_out_recipe(inst: Path) -> None:
    add_row(inst, "facilities", facility="idle", stage="mine", country="US")
    only(problems(inst), "facilities.csv", 5, "facility", "has no `out` row")


def test_candidate_without_capacity_is_bounded_by_the_data(inst: Path) -> None:
    """mine_us's ore can only go to the plant, whose magnets can only go to the buyer (40 t/yr in 2025
    and 2030): at 2 t of ore per magnet, mine_us can do at most 80 units a year."""
    set_cell(inst, "facilities", 1, status="candidate", capacity="")
    loaded = load_instance(inst)
    assert [loaded.activity_bound("mine_us", t) for t in (2025, 2030)] == [80, 80]


def test_candidate_without_capacity_and_without_a_bound_is_refused(inst: Path) -> None:
    set_cell(inst, "facilities", 1, status="candidate", capacity="")
    set_cell(inst, "products", 0, surplus_value="5")  # ore may be left over: nothing bounds the mine
    f = only(problems(inst), "facilities.csv", 3, "capacity", "candidate 'mine_us' has no capacity and nothing in "
                                                             "the data bounds what it can do in [2025, 2030]")
    assert f.message.endswith("give it a capacity (its size if built)")


def test_capex_of_an_existing_facility_has_no_effect_and_is_refused(inst: Path) -> None:
    set_cell(inst, "facilities", 1, capex="5000")
    only(problems(inst), "facilities.csv", 3, "capex", "got 5000 for an existing facility")


@pytest.mark.parametrize("status", ["existing", "candidate"])
def test_lifetime_without_capex_has_no_effect_and_is_refused(inst: Path, status: str) -> None:
    set_cell(inst, "facilities", 1, status=status, lifetime="15")
    only(problems(inst), "facilities.csv", 3, "lifetime", "got 15 with no capex")


def test_candidate_capex_and_lifetime(inst: Path) -> None:
    set_cell(inst, "facilities", 1, status="candidate", capex="5000", lifetime="25")
    f = load_instance(inst).facilities["mine_us"]
    assert (f.capex, f.lifetime) == (5000, 25)


@pytest.mark.parametrize("values, column, phrase", [
    ({"capex": 0, "lifetime": 10}, "lifetime", "got 10 with no capex"),
    ({"capex": 50, "lifetime": 0}, "lifetime", "expected a number >= 1 (years)"),
    ({"capex": -5}, "capex", "expected a number >= 0"),
])
def test_expansion_lifetime_and_capex(inst: Path, values: dict, column: str, phrase: str) -> None:
    write_table(inst / "expansions.csv", [{"facility": "mine_us", "first_period": 2025, "size": 5, **values}])
    only(problems(inst), "expansions.csv", 2, column, phrase)


# --------------------------------------------------------------------------------------------
# no cascades
# --------------------------------------------------------------------------------------------


def test_bad_number_in_facility_row_does_not_cascade(inst: Path) -> None:
    # plant is named by recipes, lanes (both ways) and is what the demand needs.
    set_cell(inst, "facilities", 2, cost="cheap")
    only(problems(inst), "facilities.csv", 4, "cost", "expected a number")


def test_bad_row_still_has_its_references_checked(inst: Path) -> None:
    set_cell(inst, "facilities", 2, cost="cheap", country="XX")
    found = problems(inst)
    assert len(found) == 2
    has(found, "facilities.csv", 4, "cost", "expected a number")
    has(found, "facilities.csv", 4, "country", "unknown country 'XX'")


def test_bad_recipe_row_does_not_cascade(inst: Path) -> None:
    set_cell(inst, "recipes", 0, ratio="zero")  # mine_cn still makes ore: lanes from it are fine
    only(problems(inst), "recipes.csv", 2, "ratio", "expected a number")


def test_bad_demand_row_still_defines_its_customer(inst: Path) -> None:
    edit(inst, "demands", lambda rows: [dict(r, provenance="green") for r in rows])
    found = problems(inst)
    assert {(f.file, f.column) for f in found} == {("demands.csv", "provenance")}


def test_bad_product_row_does_not_cascade(inst: Path) -> None:
    set_cell(inst, "products", 1, surplus_value="free")
    only(problems(inst), "products.csv", 3, "surplus_value", "expected a number")


def test_duplicate_facility_does_not_cascade(inst: Path) -> None:
    edit(inst, "facilities", lambda rows: rows.append(dict(rows[2])))
    only(problems(inst), "facilities.csv", 5, "facility", "duplicate key plant")


# --------------------------------------------------------------------------------------------
# policies
# --------------------------------------------------------------------------------------------


def policies(folder: Path, text: str) -> None:
    """instance.yaml with HEAD (lines 1-2), ``policies:`` on line 3 and ``text`` from line 4."""
    with_yaml(folder, HEAD + "policies:\n" + textwrap.dedent(text))


def test_policy_unknown_kind(inst: Path) -> None:
    policies(inst, """\
        - kind: max_shares
          stage: mine
        """)
    f = only(problems(inst), "instance.yaml", 4, "kind", "unknown kind 'max_shares'")
    assert "'max_share'" in f.message


def test_policy_without_kind(inst: Path) -> None:
    policies(inst, """\
        - stage: mine
          share: 0.5
        """)
    only(problems(inst), "instance.yaml", 4, "kind", "missing `kind`")


def test_policy_not_a_mapping(inst: Path) -> None:
    policies(inst, "- cap china\n")
    only(problems(inst), "instance.yaml", 4, "kind", "expected a mapping with `kind`")


def test_policy_unknown_field(inst: Path) -> None:
    policies(inst, """\
        - kind: max_share
          stage: mine
          group: covered
          share: 0.5
          shares: 0.4
        """)
    f = only(problems(inst), "instance.yaml", 8, "shares", "unknown key 'shares'")
    assert "share" in f.message.split("expected one of")[1]


def test_policy_missing_required_field(inst: Path) -> None:
    policies(inst, """\
        - kind: max_share
          stage: mine
          group: covered
        """)
    only(problems(inst), "instance.yaml", 4, "share", "missing required field 'share' for a max_share policy")


@pytest.mark.parametrize("field, text, line, phrase", [
    ("stage", "- {kind: max_open, stage: mining, count: 1}", 4, "unknown stage 'mining'"),
    ("group", "- kind: max_share\n  stage: mine\n  group: asia\n  share: 0.5", 6, "unknown country group 'asia'"),
    ("countries", "- kind: max_share\n  stage: mine\n  countries: [CN, XX]\n  share: 0.5", 6, "unknown country 'XX'"),
    ("customers", "- kind: max_share\n  customers: [bob]\n  group: covered\n  share: 0.5", 5, "unknown customer 'bob'"),
    ("customer", "- kind: offtake\n  customer: bob\n  product: magnet\n  quantity: 1", 5, "unknown customer 'bob'"),
    ("facilities", "- kind: offtake\n  customer: buyer\n  product: magnet\n  quantity: 1\n  facilities: [plant, plant9]", 8,
     "unknown facility 'plant9'"),
    ("product", "- kind: export_cap\n  group: covered\n  product: [ore, dust]\n  quantity: 0", 6, "unknown product 'dust'"),
    ("facility", "- kind: price_floor\n  facility: mine_au\n  product: ore\n  floor: 5\n  market: 3", 5,
     "unknown facility 'mine_au'"),
    ("to_group", "- kind: export_cap\n  group: covered\n  product: ore\n  quantity: 0\n  to_group: west", 8,
     "unknown country group 'west'"),
])
def test_policy_unknown_reference(inst: Path, field: str, text: str, line: int, phrase: str) -> None:
    policies(inst, text + "\n")
    only(problems(inst), "instance.yaml", line, field, phrase)


def test_price_floor_product_not_made(inst: Path) -> None:
    policies(inst, "- {kind: price_floor, facility: mine_us, product: magnet, floor: 5, market: 3}\n")
    only(problems(inst), "instance.yaml", 4, "product", "does not make 'magnet'")


@pytest.mark.parametrize("share", [1.5, -0.1])
def test_policy_share_outside_0_1(inst: Path, share: float) -> None:
    policies(inst, f"""\
        - kind: max_supplier_share
          stage: mine
          share: {share}
        """)
    only(problems(inst), "instance.yaml", 6, "share", "expected a fraction between 0 and 1")


def test_policy_share_by_period_outside_0_1(inst: Path) -> None:
    policies(inst, "- {kind: max_supplier_share, stage: mine, share: {2025: 0.5, 2030: 2}}\n")
    only(problems(inst), "instance.yaml", 4, "share", "got 2")


def test_policy_by_period_year_outside_horizon(inst: Path) -> None:
    policies(inst, """\
        - kind: max_share
          stage: mine
          group: covered
          share:
            2025: 0.5
            2040: 0.2
        """)
    only(problems(inst), "instance.yaml", 7, "share", "year 2040 is outside the horizon")


def test_policy_by_period_key_not_a_year(inst: Path) -> None:
    policies(inst, "- {kind: max_open, stage: mine, count: {soon: 1}}\n")
    only(problems(inst), "instance.yaml", 4, "count", "'soon'")


def test_policy_value_of_wrong_type(inst: Path) -> None:
    policies(inst, "- {kind: max_open, stage: mine, count: [1, 2]}\n")
    only(problems(inst), "instance.yaml", 4, "count", "or a mapping year -> number")


def test_policy_periods_outside_horizon(inst: Path) -> None:
    policies(inst, """\
        - kind: max_open
          stage: mine
          count: 1
          periods: [2025, 2027]
        """)
    only(problems(inst), "instance.yaml", 7, "periods", "period 2027 is outside the horizon")


def test_policy_count_must_be_whole(inst: Path) -> None:
    policies(inst, "- {kind: max_open, stage: mine, count: 1.5}\n")
    only(problems(inst), "instance.yaml", 4, "count", "whole number of facilities")


def test_duplicate_policy_names(inst: Path) -> None:
    policies(inst, """\
        - {kind: max_open, name: cap, stage: mine, count: 1}
        - {kind: max_open, name: cap, stage: magnet, count: 1}
        """)
    f = only(problems(inst), "instance.yaml", 5, "name", "duplicate policy name 'cap'")
    assert "line 4" in f.message


def test_explicit_name_clashing_with_a_default_name(inst: Path) -> None:
    policies(inst, """\
        - {kind: max_open, stage: mine, count: 1}
        - {kind: max_open, name: max_open_1, stage: magnet, count: 1}
        """)
    only(problems(inst), "instance.yaml", 5, "name", "duplicate policy name 'max_open_1'")


def test_max_share_needs_stage_or_customers(inst: Path) -> None:
    policies(inst, "- {kind: max_share, group: covered, share: 0.5}\n")
    only(problems(inst), "instance.yaml", 4, "stage", "needs a `stage` (or `customers`")


@pytest.mark.parametrize("where, got", [("group: covered, countries: [CN]", "both"), ("", "neither")])
def test_location_share_needs_exactly_one_of_group_countries(inst: Path, where: str, got: str) -> None:
    policies(inst, "- {kind: max_share, stage: mine, share: 0.5" + (", " + where if where else "") + "}\n")
    f = only(problems(inst), "instance.yaml", 4, "group", "exactly one of `group` or `countries`")
    assert f.message.endswith(f"got {got}")


def test_provenance_share_needs_no_group(inst: Path) -> None:
    policies(inst, "- {kind: max_share, stage: magnet, share: 0.5, basis: provenance}\n")
    load_instance(inst)


def test_export_cap_needs_group_or_countries(inst: Path) -> None:
    policies(inst, "- {kind: export_cap, product: ore, quantity: 0}\n")
    only(problems(inst), "instance.yaml", 4, "group", "needs exactly one of `group` or `countries`")


def test_price_floor_market_missing_for_some_years(inst: Path) -> None:
    policies(inst, """\
        - kind: price_floor
          facility: mine_us
          product: ore
          floor: 60
          market: {2025: 40}
        """)
    only(problems(inst), "instance.yaml", 8, "market", "no market price for [2030]")


def test_price_floor_market_only_needed_where_the_floor_applies(inst: Path) -> None:
    policies(inst, "- {kind: price_floor, facility: mine_us, product: ore, floor: {2025: 60}, market: {2025: 40}}\n")
    assert load_instance(inst).policies[0].name == "price_floor_1"


def test_price_floor_without_market_needs_the_products_price_in_every_year(inst: Path) -> None:
    write_table(inst / "product_prices.csv", [{"product": "ore", "period": 2025, "surplus_value": 40}])
    policies(inst, "- {kind: price_floor, facility: mine_us, product: ore, floor: 60}\n")
    f = only(problems(inst), "instance.yaml", 4, "market", "no market price for [2030]")
    assert "`market` is not given and 'ore' has no surplus_value in those years" in f.message
    add_row(inst, "product_prices", product="ore", period=2030, surplus_value=45)
    loaded = load_instance(inst)
    assert [loaded.floor_market(loaded.policies[0], t) for t in (2025, 2030)] == [40, 45]
    assert loaded.floor_payout(loaded.policies[0], 2030) == 15


def test_price_floor_accounting_must_be_transfer_or_cost(inst: Path) -> None:
    policies(inst, "- {kind: price_floor, facility: mine_us, product: ore, floor: 60, market: 40, accounting: subsidy}\n")
    only(problems(inst), "instance.yaml", 4, "accounting", "expected 'transfer' or 'cost'")


@pytest.mark.parametrize("row, column, phrase", [
    ({"product": "oxide", "period": 2025, "surplus_value": 5}, "product", "unknown product 'oxide'"),
    ({"product": "ore", "period": 2026, "surplus_value": 5}, "period", "period 2026 is outside the horizon"),
    ({"product": "ore", "period": 2025, "surplus_value": ""}, "surplus_value", "a value is required"),
])
def test_product_prices_rows(inst: Path, row: dict, column: str, phrase: str) -> None:
    write_table(inst / "product_prices.csv", [row])
    only(problems(inst), "product_prices.csv", 2, column, phrase)


def test_share_with_both_stage_and_customers_is_refused(inst: Path) -> None:
    policies(inst, "- {kind: max_share, stage: magnet, customers: [buyer], group: covered, share: 0.5}\n")
    f = only(problems(inst), "instance.yaml", 4, "customers", "gives both `stage` and `customers`")
    assert "drop one of them" in f.message


@pytest.mark.parametrize("fields, column, phrase", [
    ("group: asia", "group", "counts material touched by the provenance group ('covered'), not by 'asia'"),
    ("countries: [CN]", "countries", "`countries` has no effect here"),
])
def test_provenance_share_of_another_group_is_refused(inst: Path, fields: str, column: str, phrase: str) -> None:
    edit(inst, "countries", lambda rows: [dict(r, groups="covered;asia") if r["country"] == "CN" else r for r in rows])
    policies(inst, f"- {{kind: max_share, stage: mine, basis: provenance, {fields}, share: 0.5}}\n")
    only(problems(inst), "instance.yaml", 4, column, phrase)


def test_provenance_share_naming_the_provenance_group_is_fine(inst: Path) -> None:
    policies(inst, "- {kind: max_share, stage: mine, basis: provenance, group: covered, share: 0.5}\n")
    assert load_instance(inst).policies[0].group == "covered"


@pytest.mark.parametrize("kind", ["max_share", "max_supplier_share"])
def test_stage_share_needs_a_product_where_the_stage_makes_several(inst: Path, kind: str) -> None:
    add_row(inst, "products", product="slag", unit="t", surplus_value=0)
    add_row(inst, "recipes", facility="mine_cn", product="slag", direction="out", ratio=0.2)
    group = "group: covered, " if kind == "max_share" else ""
    policies(inst, f"- {{kind: {kind}, stage: mine, {group}share: 0.5}}\n")
    f = only(problems(inst), "instance.yaml", 4, "product", "the facilities at stage 'mine' make different products (ore, slag)")
    assert f.message.endswith("name the `product` whose tonnes the share is measured in")
    policies(inst, f"- {{kind: {kind}, stage: mine, {group}share: 0.5, product: ore}}\n")
    assert load_instance(inst).policies[0].product == "ore"


def test_stage_share_product_must_be_made_at_the_stage(inst: Path) -> None:
    policies(inst, "- {kind: max_share, stage: mine, group: covered, share: 0.5, product: magnet}\n")
    only(problems(inst), "instance.yaml", 4, "product", "no facility at stage 'mine' makes 'magnet'; expected one of ['ore']")


def test_policies_must_be_a_list(inst: Path) -> None:
    with_yaml(inst, HEAD + "policies:\n  cap: 1\n")
    only(problems(inst), "instance.yaml", 3, "policies", "expected a list")


# --------------------------------------------------------------------------------------------
# scenarios
# --------------------------------------------------------------------------------------------


def scenarios(folder: Path, text: str, policies_text: str = "") -> None:
    """instance.yaml: HEAD, optional policies, then ``scenarios:`` and ``text`` indented under it."""
    body = HEAD + (("policies:\n" + textwrap.dedent(policies_text)) if policies_text else "")
    body += "scenarios:\n" + textwrap.indent(textwrap.dedent(text), "  ")
    with_yaml(folder, body)


def test_unknown_scenario_name(inst: Path) -> None:
    scenarios(inst, "dear: {set: {discount_rate: 0.1}}\n")
    f = only(problems(inst, ["nope"]), "instance.yaml", 3, "scenarios", "unknown scenario 'nope'")
    assert "dear" in f.message


def test_unknown_scenario_when_none_defined(inst: Path) -> None:
    f = only(problems(inst, ["nope"]), "instance.yaml", 1, "scenarios", "unknown scenario 'nope'")
    assert "defines no scenarios" in f.message


def test_unknown_key_in_scenario(inst: Path) -> None:
    scenarios(inst, """\
        dear:
          sets: {discount_rate: 0.1}
        """)
    f = only(problems(inst, ["dear"]), "instance.yaml", 5, "sets", "unknown key 'sets'")
    assert "patch" in f.message


def test_scenario_not_a_mapping(inst: Path) -> None:
    scenarios(inst, "dear: [1, 2]\n")
    only(problems(inst, ["dear"]), "instance.yaml", 4, "dear", "expected a mapping")


def test_set_of_a_key_that_cannot_be_set(inst: Path) -> None:
    scenarios(inst, """\
        later:
          set:
            periods: [2030]
        """)
    only(problems(inst, ["later"]), "instance.yaml", 6, "periods", "cannot be set by a scenario")


def test_set_value_out_of_range_points_at_the_scenario(inst: Path) -> None:
    scenarios(inst, """\
        dear:
          set:
            discount_rate: 2
        """)
    only(problems(inst, ["dear"]), "instance.yaml", 6, "discount_rate", "expected a number < 1")


@pytest.mark.parametrize("op", ["patch", "remove"])
def test_patch_or_remove_unknown_table(inst: Path, op: str) -> None:
    scenarios(inst, f"""\
        s:
          {op}:
            lane:
              - {{origin: mine_us, destination: plant, product: ore}}
        """)
    only(problems(inst, ["s"]), "instance.yaml", 6, "lane", "unknown table 'lane'")


@pytest.mark.parametrize("op", ["patch", "remove"])
def test_patch_or_remove_unknown_column(inst: Path, op: str) -> None:
    scenarios(inst, f"""\
        s:
          {op}:
            facilities:
              - {{facility: mine_us, capacty: 5}}
        """)
    only(problems(inst, ["s"]), "instance.yaml", 7, "capacty", "facilities has no column 'capacty'")


@pytest.mark.parametrize("op", ["patch", "remove"])
def test_patch_or_remove_without_key_columns(inst: Path, op: str) -> None:
    scenarios(inst, f"""\
        s:
          {op}:
            lanes:
              - {{origin: mine_us, product: ore, cost: 3}}
        """)
    only(problems(inst, ["s"]), "instance.yaml", 7, "destination", "must name its key columns")


def test_remove_of_a_row_that_does_not_exist(inst: Path) -> None:
    scenarios(inst, """\
        s:
          remove:
            lanes:
              - {origin: mine_us, destination: buyer, product: ore}
        """)
    only(problems(inst, ["s"]), "instance.yaml", 7, "origin", "no lanes row with origin/destination/product = mine_us/buyer/ore")


def test_patch_value_error_points_at_the_patch_entry(inst: Path) -> None:
    scenarios(inst, """\
        s:
          patch:
            facilities:
              - facility: mine_cn
                cost: 1
              - facility: mine_us
                capacity: -5
        """)
    only(problems(inst, ["s"]), "instance.yaml", 9, "capacity", "expected a number >= 0")


def test_patched_row_keeps_csv_location_for_columns_it_did_not_touch(inst: Path) -> None:
    set_cell(inst, "facilities", 1, cost="dear")
    scenarios(inst, """\
        s:
          patch:
            facilities:
              - {facility: mine_us, capacity: 5}
        """)
    only(problems(inst, ["s"]), "facilities.csv", 3, "cost", "expected a number")


def test_inserted_row_error_points_at_the_patch_entry(inst: Path) -> None:
    scenarios(inst, """\
        s:
          patch:
            lanes:
              - {origin: plant, destination: mine_us, product: magnet}
        """)
    only(problems(inst, ["s"]), "instance.yaml", 7, "product", "facility 'mine_us' does not use 'magnet'")


def test_remove_of_a_policy_that_does_not_exist(inst: Path) -> None:
    scenarios(inst, """\
        s:
          remove_policies: [cap, max_open_1]
        """, "- {kind: max_open, stage: mine, count: 2}\n")
    f = only(problems(inst, ["s"]), "instance.yaml", 7, "remove_policies", "no policy named 'cap' to remove")
    assert "max_open_1" in f.message


def test_update_of_a_policy_that_does_not_exist(inst: Path) -> None:
    scenarios(inst, """\
        s:
          update_policies:
            cap: {count: 1}
        """, "- {kind: max_open, stage: mine, count: 2}\n")
    only(problems(inst, ["s"]), "instance.yaml", 8, "cap", "no policy named 'cap' to update")


def test_update_policy_error_points_at_the_update(inst: Path) -> None:
    scenarios(inst, """\
        s:
          update_policies:
            max_open_1:
              count: -1
        """, "- {kind: max_open, stage: mine, count: 2}\n")
    only(problems(inst, ["s"]), "instance.yaml", 9, "count", "expected a number >= 0")


def test_added_policy_error_points_at_the_scenario(inst: Path) -> None:
    scenarios(inst, """\
        s:
          add_policies:
            - kind: max_open
              stage: mining
              count: 1
        """)
    only(problems(inst, ["s"]), "instance.yaml", 7, "stage", "unknown stage 'mining'")


def test_scenario_applied_twice(inst: Path) -> None:
    scenarios(inst, "dear: {set: {discount_rate: 0.1}}\n")
    only(problems(inst, ["dear", "dear"]), "instance.yaml", 4, "scenarios", "scenario 'dear' is applied twice")


def test_scenario_error_is_not_reported_without_the_scenario(inst: Path) -> None:
    scenarios(inst, "s: {set: {discount_rate: 2}}\n")
    assert load_instance(inst).discount_rate == 0.0


# --------------------------------------------------------------------------------------------
# structure of the network
# --------------------------------------------------------------------------------------------


def test_hard_demand_without_a_lane(inst: Path) -> None:
    edit(inst, "lanes", lambda rows: rows[:2])
    only(problems(inst), "demands.csv", 2, "product", "no lane delivers magnet to buyer")


def test_hard_demand_whose_supplier_lacks_an_input(inst: Path) -> None:
    edit(inst, "lanes", lambda rows: rows[2:])
    only(problems(inst), "demands.csv", 2, "product", "plant has no lane bringing ore")


def test_hard_demand_whose_supplier_chain_breaks_upstream(inst: Path) -> None:
    # A separation stage between the mines and the plant, with no lane into it.
    add_row(inst, "products", product="oxide")
    add_row(inst, "facilities", facility="sep", stage="separation", country="US")
    add_row(inst, "recipes", facility="sep", product="ore", direction="in", ratio=1)
    add_row(inst, "recipes", facility="sep", product="oxide", direction="out", ratio=1)
    add_row(inst, "recipes", facility="plant", product="oxide", direction="in", ratio=1)
    add_row(inst, "lanes", origin="sep", destination="plant", product="oxide")
    only(problems(inst), "demands.csv", 2, "product", "sep has no lane bringing ore")


def test_clean_hard_demand_with_only_covered_chains(inst: Path) -> None:
    edit(inst, "demands", lambda rows: [dict(r, provenance="clean") for r in rows])
    set_cell(inst, "facilities", 2, country="CN")  # the plant moves into the provenance group
    f = only(problems(inst), "demands.csv", 2, "product", "clean demand cannot be met")
    assert "provenance group" in f.message


def test_clean_hard_demand_whose_only_clean_mine_is_marked_touched(inst: Path) -> None:
    edit(inst, "demands", lambda rows: [dict(r, provenance="clean") for r in rows])
    set_cell(inst, "facilities", 1, provenance="touched")  # mine_us sells ore of Chinese origin
    f = only(problems(inst), "demands.csv", 2, "product", "clean demand cannot be met")
    assert "plant has no lane bringing ore" in f.message  # from a facility that can make clean material


def test_clean_facility_in_the_provenance_group_is_refused(inst: Path) -> None:
    set_cell(inst, "facilities", 0, provenance="clean")
    f = only(problems(inst), "facilities.csv", 2, "provenance", "got clean for a facility in CN")
    assert "'covered'" in f.message


def test_provenance_value_must_be_known(inst: Path) -> None:
    set_cell(inst, "facilities", 1, provenance="green")
    only(problems(inst), "facilities.csv", 3, "provenance", "expected 'auto', 'touched' or 'clean'")


def test_provenance_mark_without_tracking_is_a_warning(inst: Path) -> None:
    set_cell(inst, "facilities", 1, provenance="touched")
    warnings = [str(w) for w in load_instance(inst).warnings]
    assert warnings == ["facilities.csv:3:provenance: provenance touched has no effect: no demand, offtake or share "
                        "policy tracks provenance"]


def test_clean_hard_demand_whose_only_clean_mine_has_no_lane(inst: Path) -> None:
    edit(inst, "demands", lambda rows: [dict(r, provenance="clean") for r in rows])
    edit(inst, "lanes", lambda rows: [rows[0], rows[2]])  # only the CN mine feeds the plant
    f = only(problems(inst), "demands.csv", 2, "product", "clean demand cannot be met")
    assert "plant has no lane bringing ore" in f.message


def test_clean_offtake_without_a_clean_chain(inst: Path) -> None:
    edit(inst, "lanes", lambda rows: [rows[0], rows[2]])
    policies(inst, """\
        - kind: offtake
          name: us_magnets
          customer: buyer
          product: magnet
          quantity: 10
        """)
    only(problems(inst), "instance.yaml", 4, "customer", "policy 'us_magnets'")


def test_offtake_from_countries_without_a_chain(inst: Path) -> None:
    policies(inst, "- {kind: offtake, customer: buyer, product: magnet, quantity: 10, provenance: any, countries: [CN]}\n")
    f = only(problems(inst), "instance.yaml", 4, "customer", "outside CN")
    assert "a chain in CN" in f.message


def test_soft_demand_gives_a_warning_not_an_error(inst: Path) -> None:
    edit(inst, "lanes", lambda rows: rows[:2])
    edit(inst, "demands", lambda rows: [dict(r, penalty=1000) for r in rows])
    loaded = load_instance(inst)
    assert [(w.file, w.row, w.column) for w in loaded.warnings if "buyer" in w.message] == [("demands.csv", "2", "product")]
    assert "unmet at its penalty" in str(loaded.warnings[0])


def test_soft_clean_demand_gives_a_warning(inst: Path) -> None:
    edit(inst, "demands", lambda rows: [dict(r, provenance="clean", penalty=1000) for r in rows])
    set_cell(inst, "facilities", 2, country="CN")
    loaded = load_instance(inst)
    (w,) = [w for w in loaded.warnings if w.file == "demands.csv"]
    assert (w.row, w.column) == ("2", "product") and "clean demand cannot be met" in w.message


def test_facility_that_can_never_run_is_a_warning_at_its_row(inst: Path) -> None:
    add_row(inst, "facilities", facility="plant2", stage="magnet", country="US")
    add_row(inst, "recipes", facility="plant2", product="ore", direction="in", ratio=2)
    add_row(inst, "recipes", facility="plant2", product="magnet", direction="out", ratio=1)
    add_row(inst, "lanes", origin="plant2", destination="buyer", product="magnet")
    loaded = load_instance(inst)
    assert [(w.file, w.row, w.column) for w in loaded.warnings] == [("facilities.csv", "5", "facility")]
    assert "plant2 has no lane bringing ore" in loaded.warnings[0].message


# --------------------------------------------------------------------------------------------
# everything at once, in order
# --------------------------------------------------------------------------------------------


def test_every_problem_is_reported_at_once_sorted_by_file_then_row(inst: Path) -> None:
    with_yaml(inst, HEAD + "discount_rate: 3\npolicies:\n  - {kind: max_open, stage: mining, count: 1}\n")
    set_cell(inst, "facilities", 2, capacity="-1")
    set_cell(inst, "facilities", 0, country="XX")
    add_row(inst, "lanes", origin="mine_au", destination="plant", product="ore")
    set_cell(inst, "demands", 1, period="2040")
    set_cell(inst, "recipes", 3, ratio="0")
    add_row(inst, "countries", country="NZ", name="New Zealand", groups="oceania;;")
    lines = (inst / "countries.csv").read_text().splitlines()
    (inst / "countries.csv").write_text("\n".join(lines + ["AU,Australia,,extra"]) + "\n")
    found = problems(inst)
    expected = [
        ("countries.csv", "5", "-"),
        ("demands.csv", "3", "period"),
        ("facilities.csv", "2", "country"),
        ("facilities.csv", "4", "capacity"),
        ("instance.yaml", "3", "discount_rate"),
        ("instance.yaml", "5", "stage"),
        ("lanes.csv", "5", "origin"),
        ("recipes.csv", "5", "ratio"),
    ]
    assert [(f.file, f.row, f.column) for f in found] == expected, "\n".join(map(str, found))


def test_findings_sort_numerically_by_row(inst: Path) -> None:
    edit(inst, "countries", lambda rows: rows + [{"country": f"C{i}", "name": "", "groups": ""} for i in range(9)])
    edit(inst, "facilities", lambda rows: [dict(r, cost="x") for r in rows])
    for i in (8, 1):  # rows 12 and 5 of countries.csv (a text sort would put 12 first)
        set_cell(inst, "countries", i + 2, country=f"bad code {i}")
    found = problems(inst)
    assert [(f.file, f.row) for f in found] == [
        ("countries.csv", "5"), ("countries.csv", "12"),
        ("facilities.csv", "2"), ("facilities.csv", "3"), ("facilities.csv", "4"),
    ]


def test_input_error_sorts_dedupes_and_keeps_each_finding_on_one_line() -> None:
    err = InputError([
        finding("lanes.csv", 10, "cost", "b"),
        finding("lanes.csv", 9, "cost", "a"),
        finding("instance.yaml", 3, "name", "c"),
        finding("lanes.csv", "-", "-", "d"),
        finding("lanes.csv", 9, "cost", "a"),
        finding("demands.csv", 2, "", "two\nlines"),
    ])
    assert str(err).splitlines() == [
        "demands.csv:2:-: two lines",
        "instance.yaml:3:name: c",
        "lanes.csv:9:cost: a",
        "lanes.csv:10:cost: b",
        "lanes.csv:-:-: d",
    ]


# --------------------------------------------------------------------------------------------
# the command line
# --------------------------------------------------------------------------------------------


def _broken(folder: Path) -> Path:
    set_cell(folder, "facilities", 0, capacity="lots")
    set_cell(folder, "lanes", 0, cost="cheap")
    add_row(folder, "demands", customer="buyer", country="US", product="magnet", period=2040, quantity=1)
    return folder


def _finding_lines(stderr: str) -> list[str]:
    """stderr holds finding lines only, each `file:row:column: message`."""
    lines = stderr.strip().splitlines()
    assert all(re.match(r"^[^:]+:[^:]+:[^:]+: ", line) for line in lines), lines
    return lines


def test_cli_validate_reports_each_problem_on_one_line(inst: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(_broken(inst))])
    assert result.exit_code == 2, result.output
    lines = _finding_lines(result.stderr)
    assert lines == [
        "demands.csv:4:period: period 2040 is outside the horizon; expected one of [2025, 2030]",
        "facilities.csv:2:capacity: got 'lots'; expected a number (units of activity/yr)",
        "lanes.csv:2:cost: got 'cheap'; expected a number (USD/t)",
    ]
    assert all(LINE.match(line) for line in lines)
    assert "Traceback" not in result.output
    assert result.stdout == ""


@pytest.mark.parametrize("break_it", [
    lambda f: with_yaml(f, "name: chain\nperiods: [2025\n"),
    lambda f: (f / "lanes.csv").unlink(),
    lambda f: with_yaml(f, HEAD + "tables: {lanes: ../lanes.csv}\n"),
    lambda f: with_yaml(f, HEAD + "policies:\n  - kind: nope\n"),
], ids=["yaml", "missing-file", "outside-path", "policy"])
def test_cli_validate_lines_have_file_row_column(inst: Path, break_it: Callable[[Path], None]) -> None:
    break_it(inst)
    result = CliRunner().invoke(main, ["validate", str(inst)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = _finding_lines(result.stderr)
    assert lines and all(LINE.match(line) for line in lines), lines


def test_cli_validate_unknown_scenario(inst: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(inst), "--scenario", "nope"])
    assert result.exit_code == 2
    assert _finding_lines(result.stderr) == [
        "instance.yaml:1:scenarios: unknown scenario 'nope'; the instance defines no scenarios"
    ]


def test_cli_validate_checks_every_scenario(inst: Path) -> None:
    scenarios(inst, """\
        good: {set: {discount_rate: 0.1}}
        bad: {set: {discount_rate: 2}}
        """)
    result = CliRunner().invoke(main, ["validate", str(inst)])
    assert result.exit_code == 2
    (line,) = _finding_lines(result.stderr)
    assert line.startswith("instance.yaml:5:discount_rate: [scenario bad]")


def test_cli_validate_ok(inst: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(inst)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: chain: 3 facilities, 3 lanes, 2 demand rows")


def test_cli_solve_bad_input_writes_nothing(inst: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["solve", str(_broken(inst)), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert len(_finding_lines(result.stderr)) == 3
    assert "Traceback" not in result.output
    assert not out.exists()
    assert not (tmp_path / "results").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["chain"]


def test_cli_solve_bad_input_default_out_writes_nothing(inst: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["solve", str(_broken(inst))])
    assert result.exit_code == 2
    assert not (tmp_path / "results").exists()


def test_cli_debug_shows_the_traceback(inst: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(_broken(inst)), "--debug"])
    assert result.exit_code != 2
    assert isinstance(result.exception, InputError)
    assert len(result.exception.findings) == 3
    assert result.exc_info is not None and result.exc_info[2] is not None  # the traceback
    with pytest.raises(InputError):
        CliRunner().invoke(main, ["validate", str(inst), "--debug"], catch_exceptions=False)


def test_cli_missing_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    (line,) = _finding_lines(result.stderr)
    assert line.endswith(":-:-: no such instance folder")


# --------------------------------------------------------------------------------------------
# files that are not tables, and tables that are not there
# --------------------------------------------------------------------------------------------


def test_a_csv_file_named_like_a_table_is_an_error(inst: Path) -> None:
    (inst / "lane_period.csv").write_text("origin,destination,product,period,tariff\n")
    only(problems(inst), "lane_period.csv", "-", "-", "not a table of the instance format, so it is not read; "
                                                       "did you mean 'lane_periods.csv'?")


def test_another_csv_file_is_a_warning(inst: Path) -> None:
    (inst / "sources.csv").write_text("id,citation\n1,USGS\n")
    assert [str(w) for w in load_instance(inst).warnings] == [
        "sources.csv:-:-: not a table of the instance format: it is not read"]


def test_removing_rows_from_an_absent_optional_table_is_one_line(inst: Path) -> None:
    scenarios(inst, """\
        drop:
          remove:
            capacity:
              - {facility: mine_cn, period: 2025}
              - {facility: mine_us, period: 2025}
              - {facility: plant, period: 2030}
        """)
    f = only(problems(inst, ["drop"]), "instance.yaml", 6, "capacity", "capacity.csv does not exist, so there is no "
                                                                      "capacity row to remove")
    assert f.message.endswith("expected the file, or no removal")


def test_a_misspelled_column_in_a_scenario_patch_names_the_close_match(inst: Path) -> None:
    scenarios(inst, "dear: {patch: {lanes: [{origin: mine_cn, destination: plant, product: ore, tarif: 3}]}}\n")
    only(problems(inst, ["dear"]), "instance.yaml", 4, "tarif", "lanes has no column 'tarif'; did you mean 'tariff'?")

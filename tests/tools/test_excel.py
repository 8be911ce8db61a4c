"""Excel in and out: ``m2m convert``, ``m2m solve book.xlsx`` and ``m2m solve --excel``.

Every shipped instance goes folder -> workbook -> folder and must come back with the same
validated tables, header, policies and scenarios, and the same optimum.  A workbook is read by
the same loader as a folder, so its findings name ``book.xlsx[sheet]:row:column``.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.core.errors import InputError
from optimizer.core.contract import RESULTS_BOOK
from optimizer.input.workbook import cell_text, read_book
from optimizer.tools.excel import cell_value, convert, summary_rows
from optimizer.solving.extract import COLUMNS
from optimizer.input.load import load_instance
from optimizer.pipeline import run
from optimizer.input.schema import TABLES
from tests.helpers import edit_csv, two_mine_chain
from tests.helpers import ROOT

INSTANCES = sorted(p.name for p in (ROOT / "instances").iterdir() if (p / "instance.yaml").is_file())
FLAGSHIP = "us_mine_to_magnet"


def invoke(*args: object, ok: int | None = 0):
    result = CliRunner().invoke(main, [str(a) for a in args])
    if ok is not None:
        assert result.exit_code == ok, (result.exit_code, result.output, result.exception)
    return result


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [r for i, r in enumerate(csv.reader(fh)) if i == 0 or any(c.strip() for c in r)]


def same_tables(a, b) -> None:
    """Two validated instances hold the same data: every table, the header, policies and scenarios."""
    for name in TABLES:
        pd.testing.assert_frame_equal(a.table(name), b.table(name), check_exact=True, obj=name)
    assert (a.name, a.description, a.periods, a.discount_rate, a.provenance_group) == \
           (b.name, b.description, b.periods, b.discount_rate, b.provenance_group)
    assert [p.model_dump() for p in a.policies] == [p.model_dump() for p in b.policies]
    assert a.scenario_names == b.scenario_names


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> dict[str, tuple[Path, Path, Path]]:
    """Each shipped instance: (original folder, its workbook, the folder converted back)."""
    out = {}
    for name in INSTANCES:
        tmp = tmp_path_factory.mktemp(name)
        src, book, back = ROOT / "instances" / name, tmp / f"{name}.xlsx", tmp / "back"
        convert(src, book)
        convert(book, back)
        out[name] = (src, book, back)
    return out


# --------------------------------------------------------------------------------------------
# round trip of every shipped instance
# --------------------------------------------------------------------------------------------


def test_every_shipped_instance_is_covered():
    assert {"demo_mine_to_magnet", FLAGSHIP, "tiny_china_cap", "tiny_clean_offtake"} <= set(INSTANCES)


@pytest.mark.parametrize("name", INSTANCES)
def test_round_trip_keeps_every_table_and_the_header(converted, name):
    src, book, back = converted[name]
    original = load_instance(src)
    same_tables(original, load_instance(book))
    same_tables(original, load_instance(back))
    # instance.yaml comes back to the character (comments, policies and scenarios included)
    assert (back / "instance.yaml").read_text() == (src / "instance.yaml").read_text()
    # each scenario patches the workbook as it patches the folder (for the flagship, one scenario
    # per kind of override: the same code applies every scenario, and a workbook takes a second to read)
    for scenario in override_kinds(src, original.scenario_names) if name == FLAGSHIP else original.scenario_names:
        same_tables(load_instance(src, [scenario]), load_instance(book, [scenario]))


def override_kinds(folder: Path, names: tuple[str, ...]) -> list[str]:
    """The first scenario using each kind of override (set, patch and remove of each table, each
    policy change), in the order defined."""
    defined = (yaml.safe_load((folder / "instance.yaml").read_text()) or {}).get("scenarios") or {}
    picked: dict[tuple, str] = {}
    for n in names:
        for kind, body in (defined.get(n) or {}).items():
            parts = body.keys() if isinstance(body, dict) and kind in ("patch", "remove", "set") else [""]
            for part in parts:
                picked.setdefault((kind, part), n)
    return list(dict.fromkeys(picked.values()))


@pytest.mark.parametrize("name", INSTANCES)
def test_round_trip_keeps_every_cell_of_every_csv(converted, name):
    src, _, back = converted[name]
    tables = (yaml.safe_load((src / "instance.yaml").read_text()) or {}).get("tables") or {}
    for table, spec in TABLES.items():
        rel = tables.get(table, spec.default_file)
        assert (src / rel).is_file() == (back / rel).is_file(), rel
        if (src / rel).is_file():
            # extra columns (source, confidence, note) included; numbers as written
            assert csv_rows(back / rel) == csv_rows(src / rel), rel


@pytest.mark.parametrize("name", INSTANCES)
def test_workbook_layout(converted, name):
    src, book, _ = converted[name]
    wb = openpyxl.load_workbook(book)
    present = [t for t in TABLES if (src / TABLES[t].default_file).is_file()]
    assert wb.sheetnames == ["instance", *present]  # TABLES order; absent optional tables omitted
    lines = (src / "instance.yaml").read_text().rstrip("\n").split("\n")
    ws = wb["instance"]
    assert [ws.cell(row=i, column=1).value or "" for i in range(1, len(lines) + 1)] == lines
    for table in present:
        rows = csv_rows(src / TABLES[table].default_file)
        ws = wb[table]
        assert [c.value for c in ws[1]] == rows[0]
        assert ws.max_row == len(rows)
    demands = wb["demands"]
    header = [c.value for c in demands[1]]
    period = demands.cell(row=2, column=header.index("period") + 1).value
    assert isinstance(period, int) and period >= 2020  # numbers stay numbers


@pytest.mark.parametrize("name", INSTANCES)
def test_round_trip_gives_the_same_optimum(converted, name):
    src, _, back = converted[name]
    a, b = run(src), run(back)
    assert a.solution.status == b.solution.status
    if a.solution.objective is None:
        assert b.solution.objective is None
    else:
        assert math.isclose(a.solution.objective, b.solution.objective, rel_tol=1e-9)


# --------------------------------------------------------------------------------------------
# m2m solve book.xlsx, --excel
# --------------------------------------------------------------------------------------------


@pytest.fixture
def chain_book(tmp_path) -> Path:
    """The two-mine chain as a workbook named unlike the instance (whose name is ``chain``)."""
    folder = two_mine_chain(tmp_path / "chain", periods=[2025, 2026])
    book = tmp_path / "my plan.xlsx"
    invoke("convert", folder, book)
    return book


def test_solve_a_workbook_writes_the_same_objective_as_the_folder(converted, tmp_path):
    src, book, _ = converted["demo_mine_to_magnet"]
    invoke("solve", src, "--out", tmp_path / "folder", "--quiet")
    invoke("solve", book, "--out", tmp_path / "book", "--quiet")
    a = json.loads((tmp_path / "folder" / "summary.json").read_text())
    b = json.loads((tmp_path / "book" / "summary.json").read_text())
    assert a["status"] == b["status"] == "optimal"
    assert math.isclose(a["objective"], b["objective"], rel_tol=1e-9)
    assert b["instance"]["path"] == str(book.resolve())
    # the results folder re-checks against the workbook it names
    result = invoke("check", tmp_path / "book")
    assert result.output.startswith("check passed")


def test_results_folder_is_named_after_the_instance(chain_book, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    invoke("solve", chain_book, "--quiet")
    summary = json.loads((tmp_path / "results" / "chain" / "summary.json").read_text())
    assert summary["objective"] == pytest.approx(1080 * 2)


def test_update_expected_on_a_workbook_is_refused_with_one_line(chain_book, tmp_path):
    result = invoke("solve", chain_book, "--out", tmp_path / "out", "--update-expected", "--quiet", ok=2)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "expected.json lives in an instance folder" in lines[0]
    assert not (tmp_path / "out").exists()


def test_excel_writes_results_xlsx_with_a_sheet_per_table(chain_book, tmp_path):
    out = tmp_path / "out"
    invoke("solve", chain_book, "--out", out, "--excel", "--quiet")
    wb = openpyxl.load_workbook(out / RESULTS_BOOK)
    assert wb.sheetnames == ["summary", *COLUMNS]
    for name in COLUMNS:
        rows = csv_rows(out / f"{name}.csv")
        ws = wb[name]
        assert [c.value for c in ws[1]] == rows[0] == list(COLUMNS[name])
        assert ws.max_row == len(rows), name
    summary = json.loads((out / "summary.json").read_text())
    fields = {r[0]: r[1] for r in wb["summary"].iter_rows(min_row=2, values_only=True)}
    assert fields["instance.name"] == "chain"
    assert fields["status"] == "optimal"
    assert fields["objective"] == pytest.approx(summary["objective"]) == pytest.approx(2160)
    assert fields["cost_breakdown.production"] == pytest.approx(summary["cost_breakdown"]["production"])
    flows = wb["flows"]
    header = [c.value for c in flows[1]]
    first = [c.value for c in flows[2]]
    assert first[header.index("period")] == 2025  # numbers are numbers
    assert isinstance(first[header.index("quantity")], (int, float)) and first[header.index("quantity")] > 0


def test_excel_for_an_infeasible_instance_holds_the_diagnosis(tmp_path):
    out = tmp_path / "out"
    invoke("solve", ROOT / "instances" / "tiny_infeasible", "--out", out, "--excel", "--quiet", ok=1)
    wb = openpyxl.load_workbook(out / RESULTS_BOOK)
    assert wb.sheetnames == ["summary", "infeasibility"]
    assert wb["infeasibility"].max_row == len(csv_rows(out / "infeasibility.csv")) > 1
    fields = [r for r in wb["summary"].iter_rows(min_row=2, values_only=True)]
    assert ("status", "infeasible") in fields
    assert any(k == "infeasibility" and "short" in v for k, v in fields)


def test_without_excel_there_is_no_workbook(chain_book, tmp_path):
    invoke("solve", chain_book, "--out", tmp_path / "out", "--quiet")
    assert not (tmp_path / "out" / RESULTS_BOOK).exists()
    assert (tmp_path / "out" / "flows.csv").is_file()


def test_results_xlsx_is_part_of_the_atomic_write(chain_book, tmp_path, monkeypatch):
    """A failure while writing results.xlsx leaves no results folder (and no temporary one)."""
    import optimizer.tools.excel

    def broken(run, folder):
        (Path(folder) / RESULTS_BOOK).write_text("half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(optimizer.tools.excel, "write_results_book", broken)
    out = tmp_path / "res" / "out"
    result = invoke("solve", chain_book, "--out", out, "--excel", "--quiet", ok=3)
    assert "disk full" in result.output
    assert not out.exists()
    assert list((tmp_path / "res").iterdir()) == []


def test_summary_rows_name_summary_json_fields():
    summary = {"instance": {"name": "x", "scenario": ["a", "b"], "periods": [2025, 2030]}, "status": "optimal",
               "objective": 5.0, "cost_breakdown": {"production": 4.0, "transport": 1.0}, "warnings": ["w1", "w2"]}
    rows = summary_rows(summary)
    assert ("instance.scenario", "a+b") in rows
    assert ("instance.periods", "2025, 2030") in rows
    assert ("cost_breakdown.transport", 1.0) in rows
    assert [v for k, v in rows if k == "warnings"] == ["w1", "w2"]


# --------------------------------------------------------------------------------------------
# cells
# --------------------------------------------------------------------------------------------


def test_cell_values_keep_numbers_numeric_and_text_exact():
    assert cell_value("2025", numeric=True) == 2025 and isinstance(cell_value("2025", numeric=True), int)
    assert cell_value(" 1.50 ", numeric=True) == 1.5
    assert cell_value("", numeric=True) is None and cell_value("  ", numeric=False) is None
    assert cell_value("nan", numeric=True) == "nan"  # not a finite number: left for validation to report
    # other columns: a number only when it reads back as the same text
    assert cell_value("0.5", numeric=False) == 0.5
    assert cell_value("007", numeric=False) == "007"
    assert cell_value("1e3", numeric=False) == "1e3"
    assert cell_value("2.0", numeric=False) == "2.0"
    assert cell_value("12345678901234567890", numeric=False) == "12345678901234567890"
    assert [cell_text(v) for v in (None, True, False, 2025, 2025.0, 0.1, "x")] == ["", "true", "false", "2025", "2025", "0.1", "x"]


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    folder = two_mine_chain(tmp_path / "chain")
    edit_csv(folder / "countries.csv", {"country": "CN"}, note="=SUM(A1:A2)")
    edit_csv(folder / "countries.csv", {"country": "US"}, note="007")
    book, back = tmp_path / "b.xlsx", tmp_path / "back"
    convert(folder, book)
    ws = openpyxl.load_workbook(book)["countries"]
    assert ws["D2"].value == "=SUM(A1:A2)" and ws["D2"].data_type == "s"
    convert(book, back)
    assert csv_rows(back / "countries.csv") == csv_rows(folder / "countries.csv")


def test_tables_stored_under_other_paths_come_back_there(tmp_path):
    folder = two_mine_chain(tmp_path / "chain")
    (folder / "data").mkdir()
    (folder / "demands.csv").rename(folder / "data" / "demand_2025.csv")
    text = (folder / "instance.yaml").read_text() + "tables:\n  demands: data/demand_2025.csv\n"
    (folder / "instance.yaml").write_text(text)
    book, back = tmp_path / "b.xlsx", tmp_path / "back"
    convert(folder, book)
    assert "demands" in openpyxl.load_workbook(book).sheetnames
    convert(book, back)
    assert (back / "data" / "demand_2025.csv").is_file() and not (back / "demands.csv").exists()
    same_tables(load_instance(folder), load_instance(back))


def test_a_workbook_edited_by_hand_is_read(tmp_path):
    """Rows may be left blank, numbers typed as text or as numbers, booleans as TRUE/FALSE,
    and sheets other than the tables (notes) are ignored."""
    folder = two_mine_chain(tmp_path / "chain")
    book = tmp_path / "b.xlsx"
    convert(folder, book)
    wb = openpyxl.load_workbook(book)
    ws = wb["facilities"]
    ws["E2"] = "10"  # cost of mine_cn, as text
    ws.insert_rows(3)  # a blank row
    wb.create_sheet("notes")["A1"] = "anything"
    wb.save(book)
    inst = load_instance(book)
    assert inst.facilities["mine_cn"].cost == 10
    assert len(inst.facilities) == 3
    assert run(book).solution.objective == pytest.approx(1080)


def test_same_workbook_same_digest(chain_book, tmp_path):
    a = load_instance(chain_book)
    wb = openpyxl.load_workbook(chain_book)
    wb.save(tmp_path / "resaved.xlsx")  # a new file with the same cells
    assert load_instance(tmp_path / "resaved.xlsx").input_digest == a.input_digest
    wb["lanes"]["D2"] = 2
    wb.save(tmp_path / "edited.xlsx")
    assert load_instance(tmp_path / "edited.xlsx").input_digest != a.input_digest


# --------------------------------------------------------------------------------------------
# bad input: findings name book.xlsx[sheet]:row:column; exit 2, nothing written
# --------------------------------------------------------------------------------------------


def edit_book(book: Path, change) -> Path:
    wb = openpyxl.load_workbook(book)
    change(wb)
    wb.save(book)
    return book


def errors(result) -> list[str]:
    return result.stderr.strip().splitlines()


def test_missing_required_sheet(chain_book, tmp_path):
    edit_book(chain_book, lambda wb: wb.remove(wb["lanes"]))
    result = invoke("solve", chain_book, "--out", tmp_path / "out", ok=2)
    assert errors(result) == [
        f"{chain_book.name}[lanes]:-:-: no sheet named 'lanes' (sheets: instance, countries, products, facilities, "
        f"recipes, demands); the lanes table is required ({TABLES['lanes'].summary})"
    ]
    assert not (tmp_path / "out").exists()


def test_sheet_named_in_another_case_gets_a_hint(chain_book):
    def rename(wb):
        wb["lanes"].title = "tmp"
        wb["tmp"].title = "Lanes"
    edit_book(chain_book, rename)
    with pytest.raises(InputError) as exc:
        load_instance(chain_book)
    assert "no sheet named 'lanes' (found 'Lanes'" in str(exc.value)


def test_missing_instance_sheet(chain_book):
    edit_book(chain_book, lambda wb: wb.remove(wb["instance"]))
    with pytest.raises(InputError) as exc:
        load_instance(chain_book)
    assert str(exc.value).startswith(f"{chain_book.name}[instance]:-:-: no sheet named 'instance'")


def test_bad_cell_is_named_by_sheet_row_and_column(chain_book, tmp_path):
    def change(wb):
        ws = wb["lanes"]
        ws["D3"] = "cheap"  # cost of the second lane
        ws["A4"] = "nowhere"  # origin of the third
    edit_book(chain_book, change)
    result = invoke("validate", chain_book, ok=2)
    book = chain_book.name
    assert f"{book}[lanes]:3:cost: got 'cheap'; expected a number (USD/t)" in errors(result)
    assert f"{book}[lanes]:4:origin: unknown facility 'nowhere'; expected a facility in {book}[facilities]" in errors(result)


def test_a_misspelled_column_in_a_sheet_header_is_an_error(chain_book):
    def change(wb):
        ws = wb["lanes"]
        ws.cell(row=1, column=ws.max_column + 1, value="tarif")
        ws.cell(row=2, column=ws.max_column, value=5)
    edit_book(chain_book, change)
    result = invoke("validate", chain_book, ok=2)
    assert errors(result) == [f"{chain_book.name}[lanes]:1:tarif: unknown column 'tarif'; did you mean 'tariff'?"]


def test_yaml_and_scenario_findings_are_at_the_instance_sheet_row(tmp_path):
    folder = two_mine_chain(tmp_path / "chain", discount_rate=0.05)
    text = (folder / "instance.yaml").read_text()
    text += "scenarios:\n  s:\n    patch:\n      facilities:\n        - {facility: mine_cn, cost: lots}\n"
    (folder / "instance.yaml").write_text(text)
    book = tmp_path / "b.xlsx"
    convert(folder, book)  # the base instance is valid; the scenario is not
    lines = text.splitlines()
    patch_line = next(i for i, line in enumerate(lines, 1) if "lots" in line)
    with pytest.raises(InputError) as exc:
        load_instance(book, ["s"])
    assert [str(f) for f in exc.value.findings] == [f"b.xlsx[instance]:{patch_line}:cost: got 'lots'; expected a number (USD/unit)"]

    rate_line = next(i for i, line in enumerate(lines, 1) if line.startswith("discount_rate"))
    edit_book(book, lambda wb: wb["instance"].cell(row=rate_line, column=1, value="discount_rate: 2"))
    with pytest.raises(InputError) as exc:
        load_instance(book)
    assert [str(f) for f in exc.value.findings] == [f"b.xlsx[instance]:{rate_line}:discount_rate: got 2; expected a number < 1.0"]


def test_formula_without_a_saved_value_is_reported(chain_book):
    edit_book(chain_book, lambda wb: wb["lanes"].cell(row=2, column=4, value="=1+1"))
    with pytest.raises(InputError) as exc:
        load_instance(chain_book)
    assert any(str(f).startswith(f"{chain_book.name}[lanes]:2:cost: the cell holds the formula =1+1 but no value was saved")
               for f in exc.value.findings)
    assert read_book(chain_book).findings  # reported, not raised while reading


@pytest.mark.parametrize("name, content, message", [
    ("plan.csv", "a,b\n", "not an instance; expected an instance folder, its instance.yaml, or an Excel workbook (.xlsx)"),
    ("plan.xlsx", "a,b\n", "cannot read the workbook"),
    ("plan.xls", "a,b\n", "cannot be read; save it as .xlsx"),
])
def test_a_file_that_is_not_a_workbook(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    for command in ("solve", "validate"):
        result = invoke(command, path, ok=2)
        lines = errors(result)
        assert len(lines) == 1 and message in lines[0], lines
    result = invoke("convert", path, tmp_path / "out", ok=2)
    assert message in result.stderr and not (tmp_path / "out").exists()


def test_missing_workbook(tmp_path):
    result = invoke("solve", tmp_path / "none.xlsx", ok=2)
    assert errors(result) == [f"{tmp_path / 'none.xlsx'}:-:-: no such workbook"]


# --------------------------------------------------------------------------------------------
# m2m convert: destinations
# --------------------------------------------------------------------------------------------


def test_convert_refuses_to_overwrite_without_force(tmp_path):
    folder = two_mine_chain(tmp_path / "chain")
    book = tmp_path / "b.xlsx"
    result = invoke("convert", folder, book)
    assert result.output.startswith(f"wrote {book}: chain, sheets instance, countries")
    before = book.read_bytes()
    result = invoke("convert", folder, book, ok=2)
    assert errors(result) == [f"{book}:-:-: already exists; pass --force to replace it"]
    assert book.read_bytes() == before
    edit_csv(folder / "lanes.csv", {"origin": "mine_cn"}, cost=3)
    invoke("convert", folder, book, "--force")
    assert load_instance(book).lanes[0].cost == 3

    back = tmp_path / "back"
    invoke("convert", book, back)
    result = invoke("convert", book, back, ok=2)
    assert errors(result) == [f"{back}:-:-: already exists; pass --force to replace it"]
    (back / "stale.csv").write_text("x\n")
    invoke("convert", book, back, "--force")
    assert not (back / "stale.csv").exists()  # the folder is replaced whole
    assert load_instance(back).lanes[0].cost == 3


def test_convert_force_replaces_only_an_instance_folder(tmp_path):
    folder = two_mine_chain(tmp_path / "chain")
    book = tmp_path / "b.xlsx"
    invoke("convert", folder, book)
    other = tmp_path / "photos"
    other.mkdir()
    (other / "cat.jpg").write_text("meow")
    result = invoke("convert", book, other, "--force", ok=2)
    assert "is not an instance folder" in result.stderr
    assert (other / "cat.jpg").read_text() == "meow"


@pytest.mark.parametrize("dst, message", [
    ("out.csv", "expected a workbook name ending in .xlsx as the destination of a folder"),
    ("out.xlsm", "expected a workbook name ending in .xlsx as the destination of a folder"),
    ("out", "expected a workbook name ending in .xlsx as the destination of a folder"),
])
def test_convert_needs_an_xlsx_destination_for_a_folder(tmp_path, dst, message):
    folder = two_mine_chain(tmp_path / "chain")
    result = invoke("convert", folder, tmp_path / dst, ok=2)
    assert errors(result) == [f"{tmp_path / dst}:-:-: {message}"]
    assert not (tmp_path / dst).exists()


def test_convert_needs_a_folder_destination_for_a_workbook(tmp_path):
    book = tmp_path / "b.xlsx"
    invoke("convert", two_mine_chain(tmp_path / "chain"), book)
    result = invoke("convert", book, tmp_path / "c.xlsx", ok=2)
    assert errors(result) == [f"{tmp_path / 'c.xlsx'}:-:-: expected a folder as the destination of a workbook "
                              "(a workbook converts to a folder)"]


def test_convert_refuses_an_invalid_instance_and_writes_nothing(tmp_path):
    folder = two_mine_chain(tmp_path / "chain")
    edit_csv(folder / "lanes.csv", {"origin": "mine_cn"}, cost="cheap")
    result = invoke("convert", folder, tmp_path / "b.xlsx", ok=2)
    assert errors(result) == ["lanes.csv:2:cost: got 'cheap'; expected a number (USD/t)"]
    assert not (tmp_path / "b.xlsx").exists()

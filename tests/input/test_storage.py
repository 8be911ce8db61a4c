"""storage.csv: each rule refused at its field, and the CLI's exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli import EXIT_INPUT, main
from optimizer.core.errors import InputError
from optimizer.input.load import load_instance
from tests.helpers import shipped_copy

HEADER = "facility,product,capacity,initial,holding_cost,provenance\n"


@pytest.fixture
def folder(tmp_path) -> Path:
    return shipped_copy("tiny_stockpile", tmp_path)


def stores(folder: Path, *rows: str, header: str = HEADER) -> Path:
    (folder / "storage.csv").write_text(header + "".join(r + "\n" for r in rows))
    return folder


def findings(folder) -> list[str]:
    with pytest.raises(InputError) as exc:
        load_instance(folder)
    return [str(f) for f in exc.value.findings]


def test_a_valid_store_loads(folder):
    st = load_instance(stores(folder, "stockpile,oxide,150,20,5,clean")).storage["stockpile", "oxide"]
    assert (st.capacity, st.initial, st.holding_cost, st.provenance) == (150, 20, 5, "clean")


def test_blank_columns_take_their_defaults(folder):
    st = load_instance(stores(folder, "stockpile,oxide,,,,")).storage["stockpile", "oxide"]
    assert (st.capacity, st.initial, st.holding_cost, st.provenance) == (None, 0.0, 0.0, "auto")


def test_a_product_the_facility_neither_makes_nor_uses_is_refused(folder):
    with (folder / "products.csv").open("a") as fh:
        fh.write("ore,t,\n")
    lines = findings(stores(folder, "stockpile,ore,100,0,5,auto"))
    assert any(f.startswith("storage.csv:2:product:") and "neither makes nor uses 'ore'" in f for f in lines), lines


def test_an_unknown_facility_is_refused(folder):
    lines = findings(stores(folder, "nowhere,oxide,100,0,5,auto"))
    assert any(f.startswith("storage.csv:2:facility:") for f in lines), lines


def test_initial_stock_above_the_capacity_is_refused(folder):
    lines = findings(stores(folder, "stockpile,oxide,100,120,5,auto"))
    assert any(f.startswith("storage.csv:2:initial:") and "more than the store's capacity 100 t" in f for f in lines), lines


def test_clean_stock_held_in_the_provenance_group_is_refused(folder):
    lines = findings(stores(folder, "cn_sep,oxide,100,10,5,clean"))
    assert any(f.startswith("storage.csv:2:provenance:") and "expected auto or touched" in f for f in lines), lines


def test_a_negative_holding_cost_is_refused(folder):
    lines = findings(stores(folder, "stockpile,oxide,100,0,-5,auto"))
    assert any(f.startswith("storage.csv:2:holding_cost:") for f in lines), lines


def test_an_unknown_column_is_refused(folder):
    lines = findings(stores(folder, "stockpile,oxide,100,0,5,auto,1", header=HEADER.strip() + ",release_rate\n"))
    assert any(f.startswith("storage.csv:1:release_rate:") for f in lines), lines


def test_a_repeated_store_is_refused(folder):
    lines = findings(stores(folder, "stockpile,oxide,100,0,5,auto", "stockpile,oxide,50,0,5,auto"))
    assert any(f.startswith("storage.csv:3:") for f in lines), lines


def test_the_cli_exits_2_and_writes_nothing(folder, tmp_path):
    stores(folder, "stockpile,oxide,100,120,5,auto")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["solve", str(folder), "--out", str(out)])
    assert result.exit_code == EXIT_INPUT
    assert "storage.csv:2:initial:" in result.output
    assert not out.exists()

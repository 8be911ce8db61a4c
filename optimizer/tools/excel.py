"""Excel out: an instance folder as one workbook and back, and a run's results as ``results.xlsx``.

Reading a workbook is :mod:`optimizer.input.workbook`'s (the loader's reader); this module
writes them.

The layout of an instance workbook is described there.  :func:`convert` converts a folder to a workbook and back; :func:`write_results_book` writes
``results.xlsx`` into a results folder while it is being written (before it is swapped in).
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path
from typing import Any, Iterable

import yaml

from ..core.atomic import staged_file, staged_folder
from ..core.contract import RESULTS_BOOK
from ..core.errors import InputError, finding
from ..input.schema import TABLES, TableSpec
from ..input.readers import YAML_FILE
from ..input.workbook import EXACT_INTEGER, INSTANCE_SHEET, Book, cell_text, is_book, read_book

SUMMARY_SHEET = "summary"
#: Rows of one Excel sheet, the header included.
MAX_ROWS = 1_048_576
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")


# --------------------------------------------------------------------------------------------
# cells <-> text
# --------------------------------------------------------------------------------------------


def _number(text: str) -> int | float | None:
    """The number ``text`` spells (decimal notation only), or None."""
    if not _NUMBER.fullmatch(text):
        return None
    if _INTEGER.fullmatch(text):
        n = int(text)
        return n if abs(n) < EXACT_INTEGER else None
    x = float(text)
    return x if math.isfinite(x) else None


def cell_value(text: str, numeric: bool) -> Any:
    """What to put in a cell for a CSV cell's ``text``.

    Blank stays blank.  In a column the schema types as a number or a year, a number is
    written as a number; in any other column (codes, text, extra columns) only when it reads
    back as the very same text (``2025`` and ``0.5`` do, ``007`` and ``1e3`` stay text).
    """
    if not text.strip():
        return None
    n = _number(text.strip() if numeric else text)
    if n is not None and (numeric or cell_text(n) == text):
        return n
    return text


def _numeric_columns(spec: TableSpec) -> set[str]:
    out = set()
    for name, info in spec.row.model_fields.items():
        args = getattr(info.annotation, "__args__", (info.annotation,))
        if any(a in (int, float) for a in args):
            out.add(name)
    return out


def _set_text(ws: Any, row: int, column: int, value: Any) -> None:
    """Write a value; text is always stored as text (a value starting with ``=`` is not a formula)."""
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"


# --------------------------------------------------------------------------------------------
# folder <-> workbook
# --------------------------------------------------------------------------------------------


def _tables_map(yaml_text: str) -> dict[str, str]:
    data = yaml.safe_load(yaml_text) or {}
    return dict(data.get("tables") or {})


def _read_csv_cells(path: Path) -> list[list[str]]:
    """The CSV rows as they are, blank rows left out."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return [r for i, r in enumerate(rows) if i == 0 or any(c.strip() for c in r)]


def folder_to_book(folder: Path, dst: Path) -> list[str]:
    """Write the instance in ``folder`` as the workbook ``dst``; return the sheet names."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    text = (folder / YAML_FILE).read_text(encoding="utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    tables = _tables_map(text)
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    ws = wb.create_sheet(INSTANCE_SHEET)
    ws.column_dimensions["A"].width = 110
    for i, line in enumerate(text.rstrip("\n").split("\n"), start=1):
        if line:
            _put(ws, i, 1, line, YAML_FILE, i, "-")
    for name, spec in TABLES.items():
        rel = tables.get(name, spec.default_file)
        path = folder / rel
        if not path.is_file():
            continue  # an optional table that is absent (the loader has checked the required ones)
        rows = _read_csv_cells(path)
        columns = [c.strip() for c in rows[0]] if rows else []
        numeric = _numeric_columns(spec)
        ws = wb.create_sheet(name)
        for j, column in enumerate(columns, start=1):
            _put(ws, 1, j, column or None, rel, 1, column)
            ws.cell(row=1, column=j).font = bold
            ws.column_dimensions[get_column_letter(j)].width = min(max(len(column) + 4, 10), 40)
        for i, cells in enumerate(rows[1:], start=2):
            for j, column in enumerate(columns, start=1):
                text_ = cells[j - 1] if j - 1 < len(cells) else ""
                _put(ws, i, j, cell_value(text_, column in numeric), rel, i, column)
        ws.freeze_panes = "A2"
    _save_atomic(wb, dst)
    return list(wb.sheetnames)


def _put(ws: Any, row: int, column: int, value: Any, file: str, line: int, name: str) -> None:
    from openpyxl.utils.exceptions import IllegalCharacterError

    try:
        _set_text(ws, row, column, value)
    except IllegalCharacterError:
        raise InputError([finding(file, line, name or "-", "the value holds a control character a workbook cannot store; "
                                                          "remove it")]) from None


def book_to_folder(book: Book, dst: Path) -> list[str]:
    """Write the workbook's instance as the folder ``dst`` (instance.yaml + one CSV per table
    sheet); return the files written."""
    text = book.yaml_text() or ""
    tables = _tables_map(text)
    written = [YAML_FILE]
    (dst / YAML_FILE).write_text(text, encoding="utf-8")
    for name, spec in TABLES.items():
        sheet = book.sheets.get(name)
        if sheet is None:
            continue
        rel = tables.get(name, spec.default_file)
        path = dst / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        header = sheet.rows[0][1] if sheet.rows and sheet.rows[0][0] == 1 else []
        width = len(header)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        for _, cells in sheet.rows[1:]:
            if any(c.strip() for c in cells):
                w.writerow((cells + [""] * width)[:width])
        path.write_text(buf.getvalue(), encoding="utf-8")
        written.append(rel)
    return written


def _save_atomic(wb: Any, dst: Path) -> None:
    with staged_file(dst) as tmp:
        wb.save(tmp)


def _refuse(dst: Path, message: str) -> InputError:
    return InputError([finding(str(dst), "-", "-", message)])


def convert(src: str | Path, dst: str | Path, *, force: bool = False) -> str:
    """Convert an instance folder to a workbook (``dst`` ends in .xlsx) or a workbook to a
    folder; return a one-line report.  The source is validated first (as ``m2m validate``
    does for the base instance); an existing ``dst`` is replaced only with ``force``."""
    from ..input.load import load_instance

    src, dst = Path(src), Path(dst)
    if src.is_file() and src.name == YAML_FILE:
        src = src.parent
    inst = load_instance(src)  # every finding, in the source's own terms; nothing written
    to_book = src.is_dir()
    if to_book and dst.suffix.lower() != ".xlsx":
        raise _refuse(dst, "expected a workbook name ending in .xlsx as the destination of a folder")
    if not to_book and is_book(dst):
        raise _refuse(dst, "expected a folder as the destination of a workbook (a workbook converts to a folder)")
    if dst.exists():
        if not force:
            raise _refuse(dst, "already exists; pass --force to replace it")
        if to_book and not dst.is_file():
            raise _refuse(dst, "is a folder; expected a workbook file to replace")
        if not to_book and (not dst.is_dir() or (any(dst.iterdir()) and not (dst / YAML_FILE).is_file())):
            raise _refuse(dst, "is not an instance folder; --force replaces only an instance folder (with instance.yaml) "
                               "or an empty folder")
    if src.exists() and dst.exists() and (src.resolve() == dst.resolve() or dst.resolve() in src.resolve().parents):
        raise _refuse(dst, "holds the source; expected a destination outside it")
    if to_book:
        sheets = folder_to_book(inst.folder, dst)
        return f"wrote {dst}: {inst.name}, sheets {', '.join(sheets)}"
    book = read_book(src)
    with staged_folder(dst) as tmp:
        files = book_to_folder(book, tmp)
    ignored = [t for t in book.sheets if t != INSTANCE_SHEET and t not in TABLES]
    note = f"; sheets not read: {', '.join(ignored)}" if ignored else ""
    return f"wrote {dst}: {inst.name}, files {', '.join(files)}{note}"


# --------------------------------------------------------------------------------------------
# results.xlsx
# --------------------------------------------------------------------------------------------


def summary_rows(summary: dict[str, Any]) -> list[tuple[str, Any]]:
    """The key fields of summary.json as (field, value) rows, named as in summary.json."""
    inst = summary.get("instance") or {}
    rows: list[tuple[str, Any]] = [
        ("instance.name", inst.get("name")),
        ("instance.scenario", "+".join(inst.get("scenario") or [])),
        ("instance.description", inst.get("description")),
        ("instance.path", inst.get("path")),
        ("instance.periods", ", ".join(str(t) for t in inst.get("periods") or [])),
        ("instance.discount_rate", inst.get("discount_rate")),
    ]
    rows += [(k, summary.get(k)) for k in ("status", "termination", "objective", "objective_unit", "mip_gap")]
    rows += [(f"cost_breakdown.{term}", v) for term, v in (summary.get("cost_breakdown") or {}).items()]
    if "unmet" in summary:
        rows.append(("unmet.total_t", summary["unmet"].get("total_t")))
    rows.append(("algorithm", summary.get("algorithm")))
    rows += [(f"size.{k}", v) for k, v in (summary.get("size") or {}).items()]
    stamp = summary.get("stamp") or {}
    rows += [(f"stamp.{k}", stamp.get(k)) for k in ("sha256", "inputs_sha256", "package") if k in stamp]
    rows += [("warnings", w) for w in summary.get("warnings") or []]
    rows += [("infeasibility", e) for e in summary.get("infeasibility") or []]
    rows += [("iis", e) for e in summary.get("iis") or []]
    return rows


def _plain(v: Any) -> Any:
    if type(v).__name__ in ("NAType", "NaTType"):  # pandas' missing values
        return None
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _row(ws: Any, values: Iterable[Any], font: Any = None) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell

    out = []
    for v in values:
        v = _plain(v)
        if isinstance(v, str) or font is not None:
            cell = WriteOnlyCell(ws, value=v)
            if isinstance(v, str):
                cell.data_type = "s"
            if font is not None:
                cell.font = font
            v = cell
        out.append(v)
    return out


def results_sheets(run: Any) -> dict[str, Any]:
    """The tables results.xlsx holds, as in the results folder: sheet name -> DataFrame."""
    sheets: dict[str, Any] = {}
    if run.solution.status.has_solution:
        sheets.update(run.tables)
    if run.infeasibility is not None:
        sheets["infeasibility"] = run.infeasibility
    return sheets


def write_results_book(run: Any, folder: str | Path) -> Path:
    """Write ``results.xlsx`` into ``folder``: a ``summary`` sheet (field, value), then one
    sheet per results table with the same columns and rows as its CSV file."""
    folder = Path(folder)
    sheets = results_sheets(run)
    for name, df in sheets.items():
        if len(df) + 1 > MAX_ROWS:
            raise InputError([finding(RESULTS_BOOK, "-", name, f"{len(df)} rows do not fit in one sheet (at most "
                                      f"{MAX_ROWS - 1}); use {name}.csv and solve without --excel")])
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    ws = wb.create_sheet(SUMMARY_SHEET)
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 60
    ws.append(_row(ws, ["field", "value"], bold))
    for k, v in summary_rows(run.summary):
        ws.append(_row(ws, [k, v]))
    for name, df in sheets.items():
        ws = wb.create_sheet(name)
        ws.freeze_panes = "A2"
        ws.append(_row(ws, list(df.columns), bold))
        for values in df.itertuples(index=False, name=None):
            ws.append(_row(ws, values))
    path = folder / RESULTS_BOOK
    wb.save(path)
    return path

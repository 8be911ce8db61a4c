"""Excel in and out: an instance as one workbook, and a run's results as ``results.xlsx``.

An *instance workbook* holds the same data as an instance folder:

* a sheet ``instance`` with the text of ``instance.yaml``, line *n* in cell A*n* (comments,
  policies and scenarios included, so the text round-trips exactly and a finding at
  ``instance.yaml`` line *n* is at ``book.xlsx[instance]`` row *n*);
* one sheet per table, named after the table, in the order of :data:`optimizer.schema.TABLES`:
  the header in row 1 and one row per CSV row, every column kept (extra ones such as
  ``source``, ``confidence``, ``note`` too).  Optional tables that are absent have no sheet;
  other sheets (notes, charts) are ignored.

:func:`read_book` turns a workbook into cell texts (what a CSV file would hold), so that the
loader (:mod:`optimizer.load`) reads, patches and validates a workbook exactly as a folder.
:func:`convert` converts a folder to a workbook and back; :func:`write_results_book` writes
``results.xlsx`` into a results folder while it is being written (before it is swapped in).
"""

from __future__ import annotations

import csv
import io
import math
import re
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Iterable

import yaml

from .atomic import staged_file, staged_folder
from .contract import RESULTS_BOOK
from .errors import Finding, InputError, finding
from .schema import TABLES, TableSpec

INSTANCE_SHEET = "instance"
YAML_FILE = "instance.yaml"
BOOK_SUFFIXES = (".xlsx", ".xlsm")
SUMMARY_SHEET = "summary"
#: Rows of one Excel sheet, the header included.
MAX_ROWS = 1_048_576
#: Integers beyond this are not exact in a spreadsheet (cells hold doubles): they stay text.
_EXACT = 2**53
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")


# --------------------------------------------------------------------------------------------
# cells <-> text
# --------------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell's value as the text a CSV file would hold: ``2025`` (not ``2025.0``), ``0.1``,
    ``true``/``false``, blank for an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < _EXACT:
            return str(int(value))
        return repr(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def _number(text: str) -> int | float | None:
    """The number ``text`` spells (decimal notation only), or None."""
    if not _NUMBER.fullmatch(text):
        return None
    if _INTEGER.fullmatch(text):
        n = int(text)
        return n if abs(n) < _EXACT else None
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
# reading a workbook
# --------------------------------------------------------------------------------------------


@dataclass
class Sheet:
    title: str
    #: (spreadsheet row, cell texts from column A) for every row with a value, in order
    rows: list[tuple[int, list[str]]] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Column A, row n as line n (blank rows as empty lines)."""
        out: list[str] = []
        for n, cells in self.rows:
            out.extend([""] * (n - 1 - len(out)))
            out.append(cells[0] if cells else "")
        return out

    def digest_bytes(self) -> bytes:
        return "".join(f"{n}\t" + "\x1f".join(cells) + "\n" for n, cells in self.rows).encode()


@dataclass
class Book:
    path: Path
    sheets: dict[str, Sheet]
    #: problems found while reading cells (a formula without a saved value), reported with the rest
    findings: list[Finding] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name

    def where(self, sheet: str) -> str:
        """How findings name a sheet: ``book.xlsx[lanes]``."""
        return f"{self.name}[{sheet}]"

    def yaml_text(self) -> str | None:
        """The text of instance.yaml (column A of the ``instance`` sheet), None without that sheet."""
        sheet = self.sheets.get(INSTANCE_SHEET)
        if sheet is None:
            return None
        lines = sheet.lines()
        while lines and not lines[-1].strip():
            lines.pop()
        return "\n".join(lines) + "\n"

    def missing(self, sheet: str) -> str:
        """Why ``sheet`` is not found, with a hint when a sheet differs only in case or spaces."""
        near = [t for t in self.sheets if t.strip().lower() == sheet]
        if near:
            return f"no sheet named {sheet!r} (found {near[0]!r}; sheet names are the table names, in lower case)"
        return f"no sheet named {sheet!r} (sheets: {', '.join(self.sheets) or 'none'})"


def is_book(path: Path) -> bool:
    return path.suffix.lower() in BOOK_SUFFIXES


def _open(path: Path, data_only: bool) -> Any:
    from openpyxl import load_workbook  # openpyxl is imported only when a workbook is read or written

    with warnings.catch_warnings():  # openpyxl warns about features it does not read (data validation, ...)
        warnings.simplefilter("ignore")
        return load_workbook(path, data_only=data_only)


def read_book(path: str | Path) -> Book:
    """Every worksheet's cells as text; raise :class:`InputError` when the file is not a
    readable workbook.  A formula is read as the value saved with it; one without a saved
    value reads as blank and is reported in ``Book.findings``."""
    path = Path(path)
    if path.suffix.lower() == ".xls":
        raise InputError([finding(path.name, "-", "-", "an .xls workbook (Excel 97-2003) cannot be read; save it as .xlsx")])
    try:
        wb = _open(path, data_only=False)
    except Exception as exc:  # noqa: BLE001 - zipfile, XML and openpyxl errors all mean "not a workbook"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError([finding(path.name, "-", "-", f"cannot read the workbook ({reason}); expected an Excel .xlsx file")]) from None
    book = Book(path, {})
    formulas: list[tuple[str, int, int, Any]] = []
    for ws in wb.worksheets:
        sheet = Sheet(ws.title)
        for row in ws.iter_rows(min_row=1, min_col=1):
            texts: list[str] = []
            for cell in row:
                if cell.data_type == "f":
                    formulas.append((ws.title, cell.row, cell.column, cell.value))
                texts.append(cell_text(cell.value))
            while texts and not texts[-1]:
                texts.pop()
            if texts:
                sheet.rows.append((row[0].row, texts))
        book.sheets[ws.title] = sheet
    wb.close()
    if formulas:
        _formula_values(book, formulas)
    return book


def _formula_values(book: Book, formulas: list[tuple[str, int, int, Any]]) -> None:
    """Replace formulas by the values the spreadsheet program saved with them."""
    from openpyxl.utils import get_column_letter

    wb = _open(book.path, data_only=True)
    for title, r, c, formula in formulas:
        value = wb[title].cell(row=r, column=c).value
        sheet = book.sheets[title]
        header = sheet.rows[0][1] if sheet.rows and sheet.rows[0][0] == 1 and title != INSTANCE_SHEET else []
        column = header[c - 1] if c - 1 < len(header) and header[c - 1] and r > 1 else get_column_letter(c)
        if value is None:
            shown = formula if isinstance(formula, str) else getattr(formula, "text", "a formula")
            book.findings.append(finding(book.where(title), r, column,
                                         f"the cell holds the formula {shown} but no value was saved with it; "
                                         "open and save the workbook in a spreadsheet program, or type the value"))
        for n, cells in sheet.rows:
            if n == r:
                cells.extend([""] * (c - len(cells)))
                cells[c - 1] = cell_text(value)
    wb.close()


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
    from .load import load_instance

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

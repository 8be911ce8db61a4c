"""Reading an instance workbook: its sheets as the cell texts a CSV file would hold.

An *instance workbook* holds the same data as an instance folder:

* a sheet ``instance`` with the text of ``instance.yaml``, line *n* in cell A*n* (comments,
  policies and scenarios included, so the text round-trips exactly and a finding at
  ``instance.yaml`` line *n* is at ``book.xlsx[instance]`` row *n*);
* one sheet per table, named after the table, in the order of :data:`optimizer.input.schema.TABLES`:
  the header in row 1 and one row per CSV row, every column kept (extra ones such as
  ``source``, ``confidence``, ``note`` too).  Optional tables that are absent have no sheet;
  other sheets (notes, charts) are ignored.

:func:`read_book` turns a workbook into cell texts, so that the loader
(:mod:`optimizer.input.load`) reads, patches and validates a workbook exactly as a folder.
Writing workbooks (converting a folder, ``results.xlsx``) is :mod:`optimizer.tools.excel`'s.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from ..core.errors import Finding, InputError, finding

INSTANCE_SHEET = "instance"
BOOK_SUFFIXES = (".xlsx", ".xlsm")
#: Integers beyond this are not exact in a spreadsheet (cells hold doubles): they stay text.
EXACT_INTEGER = 2**53


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
        if math.isfinite(value) and value == int(value) and abs(value) < EXACT_INTEGER:
            return str(int(value))
        return repr(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


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

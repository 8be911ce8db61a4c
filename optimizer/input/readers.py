"""Readers: a CSV file or a worksheet into a raw table of cell texts, each row keeping its line."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import Finding, finding

#: The instance's header file in a folder (and the first sheet of a workbook).
YAML_FILE = "instance.yaml"


# --------------------------------------------------------------------------------------------
# raw tables
# --------------------------------------------------------------------------------------------


@dataclass
class RawRow:
    file: str
    row: str
    values: dict[str, Any]
    #: column -> (file, row) for cells a scenario changed (reported where the scenario says so)
    origin: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: the row's shape is wrong (already reported): it still defines its codes but is not validated
    broken: bool = False

    def at(self, column: str) -> tuple[str, str]:
        return self.origin.get(column, (self.file, self.row))


@dataclass
class RawTable:
    name: str
    file: str
    columns: list[str]
    rows: list[RawRow] = field(default_factory=list)
    #: False when the file is missing, unreadable or empty: references into it are not judged
    readable: bool = True
    #: False for an optional table whose file is absent (it is an empty table)
    present: bool = True


def _new_table(name: str, display: str, header: list[str], findings: list[Finding]) -> RawTable:
    """A table with its header read; a column named twice is reported (its first cell counts)."""
    columns = [h.strip() for h in header]
    seen: set[str] = set()
    for c in columns:
        if c and c in seen:
            findings.append(finding(display, 1, c, "column appears twice in the header; expected each column once"))
        seen.add(c)
    return RawTable(name, display, columns)


def _add_row(table: RawTable, row: int, cells: list[str], too_wide: str, findings: list[Finding]) -> None:
    """One data row (skipped when blank); cells beyond the header make it ``broken``."""
    if not any(cell.strip() for cell in cells):
        return
    width = len(table.columns)
    broken = len(cells) > width and any(c.strip() for c in cells[width:])
    if broken:
        findings.append(finding(table.file, row, "-", too_wide))
    values: dict[str, str] = {}
    for i, c in enumerate(table.columns):
        if c and c not in values:
            values[c] = cells[i].strip() if i < len(cells) else ""
    table.rows.append(RawRow(table.file, str(row), values, broken=broken))


def read_csv(path: Path, display: str, name: str, findings: list[Finding]) -> RawTable | None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        findings.append(finding(display, 1, "-", f"cannot read the file as UTF-8 text ({exc.reason}); save it as UTF-8 CSV"))
        return None
    except OSError as exc:
        findings.append(finding(display, "-", "-", f"cannot read the file ({exc.strerror})"))
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        header = []
    except csv.Error as exc:
        findings.append(finding(display, 1, "-", f"malformed CSV header: {exc}"))
        return None
    if not any(h.strip() for h in header):
        findings.append(finding(display, 1, "-", "the file is empty; expected a header row with the table's columns on line 1"))
        return None
    table = _new_table(name, display, header, findings)
    lineno = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            findings.append(finding(display, reader.line_num, "-", f"malformed CSV: {exc}"))
            break
        start, lineno = lineno, reader.line_num + 1
        _add_row(table, start, cells,
                 f"row has {len(cells)} cells but the header has {len(table.columns)} columns; "
                 f"expected at most {len(table.columns)} (is there an unquoted comma in a value?)", findings)
    return table


def read_sheet(sheet: Any, display: str, name: str, findings: list[Finding]) -> RawTable | None:
    """A table from a worksheet (an :class:`optimizer.input.workbook.Sheet`): the header in row 1, rows
    named by their spreadsheet row; the same checks as :func:`read_csv`."""
    rows = sheet.rows
    if not rows or rows[0][0] != 1 or not any(c.strip() for c in rows[0][1]):
        findings.append(finding(display, 1, "-", "the sheet has no header; expected the table's columns in row 1"))
        return None
    table = _new_table(name, display, rows[0][1], findings)
    for n, cells in rows[1:]:
        _add_row(table, n, cells,
                 f"row has a value in column {len(cells)} but the header has {len(table.columns)} columns; "
                 f"expected at most {len(table.columns)} (give the column a header in row 1, or clear the cell)", findings)
    return table

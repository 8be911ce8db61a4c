"""Input findings and the exceptions that carry them.

Every problem found in an instance becomes one :class:`Finding` that names the file, the row
and the column, so that a user can go straight to the cell.  Loading collects all findings
before raising, so one run reports every problem at once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Finding:
    """One problem in the input: where it is and what was expected.

    ``row`` is the 1-based line number in a CSV file (the header is line 1), a line number in
    ``instance.yaml``, or a dotted path for data that came from a scenario patch.
    """

    file: str
    row: str
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.column}: {self.message}"


class InputError(Exception):
    """Raised when an instance (or a command's arguments) is invalid; carries every finding."""

    def __init__(self, findings: list[Finding]):
        self.findings = sorted(set(findings), key=_finding_order)
        super().__init__("\n".join(str(f) for f in self.findings))


def _finding_order(f: Finding) -> tuple:
    row = int(f.row) if str(f.row).isdigit() else 10**9
    return (f.file, row, str(f.row), f.column, f.message)


def finding(file: str, row: int | str, column: str, message: str) -> Finding:
    """A finding that prints on one line, with ``-`` for any part that is unknown or blank."""
    def line(x: object) -> str:
        return str(x).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")

    def part(x: object) -> str:
        return line(x).strip() or "-"

    return Finding(part(file), part(row), part(column), line(message))

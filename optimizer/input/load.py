"""Load and validate an instance: a folder (``instance.yaml`` plus CSV tables) or a workbook.

Stage 1 of the pipeline.  Reading goes raw (strings) -> scenarios applied -> rows validated
against :mod:`optimizer.input.schema` -> cross-table references -> network checks.  Every problem is
collected as a :class:`~optimizer.core.errors.Finding`; if there is any, :class:`InputError` is
raised with all of them, so one run reports everything.

Two rules keep the report short and to the point:

* a problem is reported once, where it is: a row with a bad number still defines its code, so
  recipes and lanes that name it do not get "unknown facility" findings as well; a table that
  could not be read is not used to judge references into it;
* a value changed by a scenario is reported at the scenario's line in ``instance.yaml``.

An Excel workbook (``.xlsx``, see :mod:`optimizer.tools.excel`) is read into the same raw tables and
YAML text: its ``instance`` sheet holds the lines of ``instance.yaml`` (row n = line n) and each
table is a sheet named after it, so scenarios, validation and findings work unchanged; findings
name ``book.xlsx[sheet]`` as the file and the sheet's row as the row.
"""

from __future__ import annotations

import copy
import csv
import difflib
import hashlib
import io
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Iterable

import yaml
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from . import network
from ..core.errors import Finding, InputError, finding
from .instance import Instance
from ..families import RuleContext, family_of
from .schema import (
    POLICY_KINDS,
    SCENARIO_SCALARS,
    period_lengths,
    TABLES,
    policy_value_problem,
    InstanceHeader,
    Policy,
    PolicyBase,
    PriceFloor,
    Row,
    Scenario,
)
from .yamlmap import dotted, line_of, load_with_lines

YAML_FILE = "instance.yaml"
_POLICY_ADAPTER: TypeAdapter = TypeAdapter(Policy)
POLICY_TAGS = set(POLICY_KINDS)


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


def _read_csv(path: Path, display: str, name: str, findings: list[Finding]) -> RawTable | None:
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


def _read_sheet(sheet: Any, display: str, name: str, findings: list[Finding]) -> RawTable | None:
    """A table from a worksheet (an :class:`optimizer.input.workbook.Sheet`): the header in row 1, rows
    named by their spreadsheet row; the same checks as :func:`_read_csv`."""
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


# --------------------------------------------------------------------------------------------
# messages from pydantic errors
# --------------------------------------------------------------------------------------------

_UNION_EXPECT = {
    "share": "a fraction 0..1, or a mapping year -> fraction",
    "product": "a product code or a list of product codes",
}


def _expectation(err: dict[str, Any], unit: str = "") -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    text = {
        "missing": "a value is required",
        "string_too_short": "a value is required",
        "string_pattern_mismatch": "expected a code of letters, digits, '_', '.' or '-' (no spaces)",
        "string_type": "expected text",
        "float_parsing": "expected a number",
        "float_type": "expected a number",
        "finite_number": "expected a finite number",
        "int_parsing": "expected a whole number",
        "int_type": "expected a whole number",
        "int_from_float": "expected a whole number",
        "bool_parsing": "expected true or false",
        "bool_type": "expected true or false",
        "greater_than_equal": f"expected a number >= {ctx.get('ge')}",
        "greater_than": f"expected a number > {ctx.get('gt')}",
        "less_than": f"expected a number < {ctx.get('lt')}",
        "less_than_equal": f"expected a number <= {ctx.get('le')}",
        "literal_error": f"expected {ctx.get('expected')}",
        "extra_forbidden": "unknown key; check the spelling against docs/instance-format.md",
        "list_type": "expected a list",
        "dict_type": "expected a mapping",
        "model_type": "expected a mapping",
        "model_attributes_type": "expected a mapping",
        "union_tag_invalid": f"unknown kind {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}",
        "union_tag_not_found": f"missing `kind`; expected one of {', '.join(repr(k) for k in POLICY_KINDS)}",
        "too_short": "expected at least one entry",
    }.get(kind)
    if text is None:
        msg = err["msg"]
        text = msg[len("Value error, "):] if msg.startswith("Value error, ") else msg[0].lower() + msg[1:]
    if unit and kind not in ("missing", "string_too_short", "value_error", "literal_error", "string_pattern_mismatch"):
        text += f" ({unit})"
    return text


def _describe(err: dict[str, Any], unit: str = "") -> str:
    if err["type"] in ("missing", "string_too_short", "union_tag_not_found", "union_tag_invalid"):
        return _expectation(err, unit)
    value = err.get("input")
    shown = "blank" if value in (None, "") else repr(value)
    return f"got {shown}; {_expectation(err, unit)}"


def _unit(model: type[BaseModel], column: str) -> str:
    f = model.model_fields.get(column)
    extra = (f.json_schema_extra or {}) if f is not None else {}
    return extra.get("unit", "") if isinstance(extra, dict) else ""


_BRANCH = re.compile(r"(float|int|str|bool|(dict|list)\[.*\])")
_TYPE_ONLY = ("float_type", "string_type", "dict_type", "list_type")


def _simplify(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Collapse the errors of a union (pydantic reports one per member, e.g. ``float`` and
    ``dict[int,float]``) to those of the member the input looks like, or to one line saying
    what shapes are accepted."""
    plain: list[dict[str, Any]] = []
    unions: dict[tuple, list[dict[str, Any]]] = {}
    for err in errors:
        loc = tuple(err["loc"])
        cut = next((i for i, p in enumerate(loc) if isinstance(p, str) and _BRANCH.fullmatch(p)), None)
        if cut is None:
            plain.append(err)
        else:
            unions.setdefault(loc[:cut], []).append({**err, "branch": loc[cut], "loc": loc[:cut] + loc[cut + 1:]})
    for where, errs in unions.items():
        top = [e for e in errs if len(e["loc"]) == len(where)]
        value = top[0]["input"] if top else None

        def fits(e: dict[str, Any]) -> bool:
            deeper = len(e["loc"]) > len(where)  # an error inside a mapping or list: that member fits
            if e["branch"].startswith("dict"):
                return isinstance(value, dict) or deeper
            if e["branch"].startswith("list"):
                return isinstance(value, list) or deeper
            return top != [] and not isinstance(value, (dict, list))

        chosen = [e for e in errs if fits(e) and e["type"] not in _TYPE_ONLY]
        if chosen:
            plain.extend(chosen)
        else:
            expect = _UNION_EXPECT.get(str(where[-1]) if where else "", "a number, or a mapping year -> number")
            plain.append({"type": "union", "loc": where, "input": value, "msg": f"got {value!r}; expected {expect}"})
    return plain


def _yaml_message(err: dict[str, Any], allowed: Iterable[str] = ()) -> tuple[str, str, tuple]:
    """(column, message, location) for an error in instance.yaml; the column is the top-level key."""
    loc = tuple(err["loc"])
    if err["type"] == "union":
        return (str(loc[0]) if loc else "-"), err["msg"], loc
    if err["type"] == "extra_forbidden":
        key = loc[-1] if loc else "-"
        where = f" in {dotted(loc[:-1])}" if len(loc) > 1 else ""
        expected = ", ".join(allowed)
        msg = f"unknown key {key!r}{where}; expected one of {expected}" if expected else _expectation(err)
        return str(key), msg, loc
    if err["type"] == "missing":
        key = loc[-1] if loc else "-"
        return str(key), f"missing required key {key!r}", loc[:-1]
    column = str(loc[0]) if loc else "-"
    rest = loc[1:]
    prefix = ""
    if rest and rest[-1] == "[key]":
        key = rest[-2] if len(rest) > 1 else err.get("input")
        if err["type"] in ("int_parsing", "int_from_float"):  # the keys of by-period mappings are years
            return column, f"key {key!r} is not a year; expected a mapping year -> value", loc
        return column, f"key {key!r}: {_describe(err)}", loc
    prefix = f"{dotted(loc)}: " if rest else ""
    return column, prefix + _describe(err), loc


@lru_cache(maxsize=None)
def _field_adapter(model: type[Row], column: str) -> TypeAdapter:
    info = model.model_fields[column]
    tp: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    return TypeAdapter(tp, config=ConfigDict(allow_inf_nan=False, str_strip_whitespace=True))


# --------------------------------------------------------------------------------------------
# the loader
# --------------------------------------------------------------------------------------------


@dataclass
class View:
    """A row as far as it could be validated: ``values`` holds every column that is valid on its
    own (all of them when ``row`` is not None), so references are checked even in bad rows."""

    raw: RawRow
    values: dict[str, Any]
    row: Row | None


@dataclass
class _Policy:
    raw: Any
    path: tuple
    #: field -> where a scenario set it
    fields: dict[str, tuple] = field(default_factory=dict)

    @property
    def name(self) -> Any:
        """The policy's name (a default one is given before scenarios apply); None if it has none."""
        return self.raw.get("name") if isinstance(self.raw, dict) else None


class _Loader:
    def __init__(self, folder: Path, book: Any = None):
        self.folder = folder
        #: the workbook read (an :class:`optimizer.input.workbook.Book`) when the instance is one, else None
        self.book = book
        self.findings: list[Finding] = list(book.findings) if book is not None else []
        self.lines: dict[tuple, int] = {}
        self.yaml_bytes = b""
        self.table_bytes: dict[str, bytes] = {}
        self.set_paths: dict[str, tuple] = {}
        self.policies: list[_Policy] = []
        self.views: dict[str, list[View]] = {}
        #: what is worth saying but does not stop the load (added to the instance's warnings)
        self.warnings: list[Finding] = []

    def add(self, file: str, row: Any, column: str, message: str) -> None:
        self.findings.append(finding(file, row, column, message))

    def at(self, raw: RawRow, column: str, message: str) -> None:
        file, row = raw.at(column)
        self.add(file, row, column, message)

    def yaml_at(self, path: tuple, column: str, message: str) -> None:
        self.add(YAML_FILE, line_of(self.lines, path), column, message)

    # ---- instance.yaml ----------------------------------------------------------------------
    def read_yaml(self) -> dict[str, Any]:
        if self.book is not None:
            text = self.book.yaml_text()
            if text is None:
                raise InputError([finding(self.book.where("instance"), "-", "-",
                                          f"{self.book.missing('instance')}; expected the sheet holding instance.yaml, "
                                          "one line per row in column A")])
            raw = text.encode("utf-8")
        else:
            path = self.folder / YAML_FILE
            if not path.is_file():
                raise InputError([finding(str(path), "-", "-", "no instance.yaml here; an instance is a folder with instance.yaml and CSV tables")])
            raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError([finding(YAML_FILE, 1, "-", f"cannot read the file as UTF-8 text ({exc.reason}); save it as UTF-8")]) from None
        duplicates: list[tuple[tuple, int, int]] = []
        try:
            data, self.lines = load_with_lines(text, duplicates)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            context, cmark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
            if context and cmark is not None and cmark.line + 1 != line:
                problem += f" ({context} at line {cmark.line + 1})"
            raise InputError([finding(YAML_FILE, line, "-", f"malformed YAML: {problem}")]) from None
        if not isinstance(data, dict):
            got = "an empty file" if data is None else f"a {type(data).__name__}"
            raise InputError([finding(YAML_FILE, 1, "-", f"got {got}; expected a mapping with name, periods, ... at the top level")])
        for path, line, first in duplicates:
            self.add(YAML_FILE, line, str(path[-1]),
                     f"{dotted(path)} is given twice (first at line {first}); expected each key once (the last would win)")
        self.yaml_bytes = raw
        return data

    def validate_header(self, data: dict[str, Any], *, report: bool = True) -> InstanceHeader | None:
        """The header, or None; with ``report`` False only errors in scenario-set keys are reported."""
        try:
            return InstanceHeader.model_validate(data)
        except ValidationError as exc:
            if report or any(err["loc"] and err["loc"][0] in self.set_paths for err in exc.errors()):
                for err in _simplify(exc.errors()):
                    loc = tuple(err["loc"])
                    if not report and not (loc and loc[0] in self.set_paths):
                        continue
                    column, msg, loc = _yaml_message(err, InstanceHeader.model_fields)
                    path = self.set_paths[loc[0]] + loc[1:] if loc and loc[0] in self.set_paths else loc
                    self.yaml_at(path, column, msg)
            return None

    @staticmethod
    def lenient_header(data: dict[str, Any]) -> tuple[InstanceHeader | None, bool]:
        """A header with the bad keys dropped, to go on checking the tables; (header, periods known).

        None when the tables' paths themselves are unknown."""
        try:
            return InstanceHeader.model_validate(data), True
        except ValidationError as exc:
            bad = {err["loc"][0] for err in exc.errors() if err["loc"]}
        if "tables" in bad:
            return None, False
        d = {k: v for k, v in data.items() if k not in bad and k in InstanceHeader.model_fields}
        d.setdefault("name", "-")
        known = "periods" in d
        d.setdefault("periods", [0])
        try:
            return InstanceHeader.model_validate(d), known
        except ValidationError:
            return None, False

    # ---- tables -----------------------------------------------------------------------------
    def table_paths(self, header: InstanceHeader) -> dict[str, tuple[Path | None, str]]:
        paths: dict[str, tuple[Path | None, str]] = {}
        root = self.folder.resolve()
        for name in header.tables:
            if name not in TABLES:
                self.yaml_at(("tables", name), name, f"unknown table {name!r}; expected one of {', '.join(TABLES)}")
        for name, spec in TABLES.items():
            rel = header.tables.get(name, spec.default_file)
            full = (self.folder / rel).resolve()
            if Path(rel).is_absolute() or not full.is_relative_to(root):
                what = "is absolute" if Path(rel).is_absolute() else "leaves the instance folder"
                self.yaml_at(("tables", name), name,
                             f"path {rel!r} {what}; expected a path inside the instance folder, relative to it, "
                             f"e.g. {spec.default_file!r}")
                paths[name] = (None, rel)
                continue
            paths[name] = (full, rel)
        return paths

    def read_tables(self, paths: dict[str, tuple[Path | None, str]], explicit: Iterable[str] = ()) -> dict[str, RawTable]:
        """Read every table; ``explicit`` tables were named in `tables:` and must exist even if optional."""
        tables: dict[str, RawTable] = {}
        explicit = set(explicit)
        for name, (full, rel) in paths.items():
            spec = TABLES[name]
            schema_columns = list(spec.row.model_fields)
            if full is None:
                tables[name] = RawTable(name, rel, schema_columns, readable=False)
                continue
            if not full.is_file():
                what = "is a folder, not a file" if full.is_dir() else "file not found"
                if spec.required:
                    self.add(rel, "-", "-", f"{what}; the {name} table is required ({spec.summary})")
                elif name in explicit:
                    self.yaml_at(("tables", name), name, f"{rel!r}: {what}; expected the {name} table there (or drop the entry)")
                # An optional table that is absent is simply empty.
                tables[name] = RawTable(name, rel, schema_columns, readable=not spec.required, present=False)
                continue
            self.table_bytes[name] = full.read_bytes()
            raw = _read_csv(full, rel, name, self.findings)
            tables[name] = raw if raw is not None else RawTable(name, rel, schema_columns, readable=False)
        self.check_other_files(paths)
        return tables

    def check_other_files(self, paths: dict[str, tuple[Path | None, str]]) -> None:
        """A CSV file in the instance folder that is no table is not read: an error when its name is
        close to a table's file (a typo would leave the table empty), a warning otherwise.  A table's
        own file name, where `tables:` reads that table from another path, is a warning too."""
        read = {full for full, _rel in paths.values() if full is not None}
        names = {spec.default_file: name for name, spec in TABLES.items()}
        for path in sorted(self.folder.glob("*.csv")):
            if path.resolve() in read:
                continue
            if path.name in names:
                full, rel = paths[names[path.name]]
                if full is not None:  # (a refused path is reported on its own)
                    self.warnings.append(finding(path.name, "-", "-", f"not read: instance.yaml's `tables:` reads the "
                                                                      f"{names[path.name]} table from {rel!r}"))
                continue
            guess = difflib.get_close_matches(path.name.lower(), list(names), n=1, cutoff=0.8)
            if guess:
                self.add(path.name, "-", "-", f"not a table of the instance format, so it is not read; did you mean "
                                              f"{guess[0]!r}? (rename it, or move it out of the folder)")
            else:
                self.warnings.append(finding(path.name, "-", "-", "not a table of the instance format: it is not read"))

    def read_sheets(self, explicit: Iterable[str] = ()) -> dict[str, RawTable]:
        """Every table from its sheet of the workbook (what :meth:`read_tables` does for a folder)."""
        tables: dict[str, RawTable] = {}
        explicit = set(explicit)
        for name, spec in TABLES.items():
            display = self.book.where(name)
            sheet = self.book.sheets.get(name)
            if sheet is None:
                what = self.book.missing(name)
                if spec.required:
                    self.add(display, "-", "-", f"{what}; the {name} table is required ({spec.summary})")
                elif name in explicit:
                    self.yaml_at(("tables", name), name, f"{what}; expected the {name} table there (or drop the entry)")
                tables[name] = RawTable(name, display, list(spec.row.model_fields), readable=not spec.required)
                continue
            self.table_bytes[name] = sheet.digest_bytes()
            raw = _read_sheet(sheet, display, name, self.findings)
            tables[name] = raw if raw is not None else RawTable(name, display, list(spec.row.model_fields), readable=False)
        return tables

    def check_columns(self, raw: RawTable) -> bool:
        """Every header cell is a column of the table, and every required column is there.

        An unknown column is an error naming the close match (a typo such as `tarif` would
        otherwise leave a value unread); it does not stop the rows being checked.  False when a
        required column is missing (the rows cannot be read then)."""
        model = TABLES[raw.name].row
        known = list(model.model_fields)
        for column in raw.columns:
            if column and column not in model.model_fields:
                self.add(raw.file, 1, column, f"unknown column {column!r}; {_close_match(column, known)}")
        ok = True
        for column, info in model.model_fields.items():
            if info.is_required() and column not in raw.columns:
                self.add(raw.file, 1, column, f"missing required column {column!r} ({info.description})")
                ok = False
        return ok

    def validate_rows(self, raw: RawTable) -> list[tuple[RawRow, Row]]:
        spec = TABLES[raw.name]
        model = spec.row
        valid: list[tuple[RawRow, Row]] = []
        views: list[View] = []
        seen: dict[tuple, RawRow] = {}
        for r in raw.rows:
            if r.broken:
                continue
            # A blank cell means "use the default" (None for optional columns).
            values = {k: v for k, v in r.values.items() if k in model.model_fields and v != ""}
            try:
                row = model.model_validate(values)
            except ValidationError as exc:
                bad: set[str] = set()
                for err in exc.errors():
                    column = str(err["loc"][0]) if err["loc"] else "-"
                    bad.add(column)
                    self.at(r, column, _describe(err, _unit(model, column)))
                views.append(View(r, self._partial(model, values, bad), None))
                continue
            key = tuple(getattr(row, k) for k in spec.key)
            if key in seen:
                first = seen[key]
                where = f"row {first.row}" if first.file == r.file else f"{first.file}:{first.row}"
                self.at(
                    r, spec.key[-1],
                    f"duplicate key {'/'.join(map(str, key))} (first at {where}); "
                    f"expected one row per {', '.join(spec.key)}",
                )
                continue
            seen[key] = r
            valid.append((r, row))
            views.append(View(r, row.model_dump(), row))
        self.views[raw.name] = views
        return valid

    @staticmethod
    def _partial(model: type[Row], values: dict[str, Any], bad: set[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for column, value in values.items():
            if column in bad:
                continue
            try:
                out[column] = _field_adapter(model, column).validate_python(value)
            except ValidationError:
                pass
        return out

    # ---- scenarios --------------------------------------------------------------------------
    def apply_scenarios(self, data: dict[str, Any], tables: dict[str, RawTable], names: Iterable[str]) -> dict[str, Any]:
        data = copy.deepcopy(data)
        raw_policies = data.get("policies")
        policies = [_Policy(p, ("policies", i)) for i, p in enumerate(raw_policies)] if isinstance(raw_policies, list) else []
        for i, p in enumerate(policies):
            if isinstance(p.raw, dict) and not p.raw.get("name"):
                p.raw["name"] = f"{p.raw.get('kind', 'policy')}_{i + 1}"
        defined = data.get("scenarios")
        if not isinstance(defined, dict):
            defined = {}  # reported by the header check (or simply none)
        applied: set[str] = set()
        for name in names:
            if name in applied:
                self.add(YAML_FILE, line_of(self.lines, ("scenarios", name)), "scenarios",
                         f"scenario {name!r} is applied twice; expected each scenario once")
                continue
            applied.add(name)
            if name not in defined:
                known = f"expected one of: {', '.join(map(str, defined))}" if defined else "the instance defines no scenarios"
                self.add(YAML_FILE, line_of(self.lines, ("scenarios",)), "scenarios", f"unknown scenario {name!r}; {known}")
                continue
            base = ("scenarios", name)
            try:
                sc = Scenario.model_validate(defined[name] or {})
            except ValidationError as exc:
                for err in _simplify(exc.errors()):
                    if err["type"] == "model_type":
                        self.yaml_at(base, name, f"scenario {name!r}: {_describe(err)} with keys {', '.join(Scenario.model_fields)}")
                        continue
                    column, msg, loc = _yaml_message(err, Scenario.model_fields)
                    self.yaml_at(base + loc, column, f"scenario {name!r}: {msg}")
                continue
            for key, value in sc.set.items():
                if key not in SCENARIO_SCALARS:
                    self.yaml_at(base + ("set", key), key,
                                 f"{key!r} cannot be set by a scenario; expected one of {', '.join(SCENARIO_SCALARS)}")
                else:
                    data[key] = value
                    self.set_paths[key] = base + ("set", key)
            for tname, rows in sc.patch.items():
                self._patch(base + ("patch", tname), tname, rows, tables, remove=False)
            for tname, rows in sc.remove.items():
                self._patch(base + ("remove", tname), tname, rows, tables, remove=True)
            names_now = [p.name for p in policies if p.name is not None]
            for i, pname in enumerate(sc.remove_policies):
                if pname not in names_now:
                    self.yaml_at(base + ("remove_policies", i), "remove_policies",
                                 f"no policy named {pname!r} to remove; expected one of {names_now}")
            policies = [p for p in policies if p.name not in sc.remove_policies]
            for pname, changes in sc.update_policies.items():
                target = next((p for p in policies if p.name == pname), None)
                if target is None:
                    self.yaml_at(base + ("update_policies", pname), pname,
                                 f"no policy named {pname!r} to update; expected one of {[p.name for p in policies if p.name is not None]}")
                    continue
                for k, v in changes.items():
                    target.raw[k] = copy.deepcopy(v)
                    target.fields[k] = base + ("update_policies", pname, k)
            for j, p in enumerate(sc.add_policies):
                p = copy.deepcopy(p)
                if not p.get("name"):
                    p["name"] = f"{p.get('kind', 'policy')}_{len(policies) + 1}"
                policies.append(_Policy(p, base + ("add_policies", j)))
        data["policies"] = [p.raw for p in policies]
        self.policies = policies
        return data

    def _patch(self, path: tuple, tname: str, rows: list[dict[str, Any]], tables: dict[str, RawTable], remove: bool) -> None:
        if tname not in TABLES:
            self.yaml_at(path, tname, f"unknown table {tname!r}; expected one of {', '.join(TABLES)}")
            return
        spec, raw = TABLES[tname], tables[tname]
        allowed = list(spec.row.model_fields)
        verb = "removed" if remove else "patched"
        if remove and not raw.present:
            self.yaml_at(path, tname, f"{raw.file} does not exist, so there is no {tname} row to remove; "
                                      "expected the file, or no removal")
            return
        for i, values in enumerate(rows):
            where = path + (i,)
            line = str(line_of(self.lines, where))
            missing = [k for k in spec.key if values.get(k) in (None, "")]
            if missing:
                self.add(YAML_FILE, line, missing[0],
                         f"a {verb} {tname} row must name its key columns {', '.join(spec.key)}; {missing[0]!r} is missing")
                continue
            unknown = [k for k in values if k not in allowed]
            if unknown:
                self.add(YAML_FILE, line, str(unknown[0]),
                         f"{tname} has no column {unknown[0]!r}; {_close_match(str(unknown[0]), allowed)}")
                continue
            key = tuple(_key_cell(values[k]) for k in spec.key)
            match = [r for r in raw.rows if tuple(_key_cell(r.values.get(k, "")) for k in spec.key) == key]
            if remove:
                if not match:
                    self.add(YAML_FILE, line, spec.key[0],
                             f"no {tname} row with {'/'.join(spec.key)} = {'/'.join(key)} to remove")
                raw.rows = [r for r in raw.rows if not any(r is m for m in match)]
                continue
            for c in values:
                if c not in raw.columns:
                    raw.columns.append(c)
            if match:
                for r in match:
                    for c, v in values.items():
                        r.values[c] = _cell(v)
                        if c not in spec.key:
                            r.origin[c] = (YAML_FILE, line)
            else:
                raw.rows.append(RawRow(YAML_FILE, line, {c: _cell(values.get(c)) for c in raw.columns}))

    # ---- policies ---------------------------------------------------------------------------
    def policy_at(self, i: int, loc: tuple, column: str, message: str) -> None:
        """Report at the line where the i-th policy's field ``loc[0]`` was written."""
        p = self.policies[i]
        if loc and loc[0] in p.fields:
            path = p.fields[loc[0]] + tuple(loc[1:])
        else:
            path = p.path + tuple(loc)
        self.yaml_at(path, column, message)

    def policy_line(self, i: int) -> int:
        return line_of(self.lines, self.policies[i].path)

    def validate_policies(self) -> list[PolicyBase | None]:
        """Validated policies, position for position (None where a policy is invalid)."""
        out: list[PolicyBase | None] = []
        for i, p in enumerate(self.policies):
            label = f"policy {p.name!r}" if p.name is not None else f"policy {i + 1}"
            if not isinstance(p.raw, dict):
                out.append(None)
                self.policy_at(i, (), "kind", f"{label}: got {p.raw!r}; expected a mapping with `kind` and the policy's fields")
                continue
            try:
                out.append(_POLICY_ADAPTER.validate_python(p.raw))
            except ValidationError as exc:
                out.append(None)
                kind = p.raw.get("kind")
                cls = POLICY_KINDS.get(kind) if isinstance(kind, str) else None
                allowed = [f for f in cls.model_fields] if cls is not None else []
                for err in _simplify(exc.errors()):
                    loc = tuple(x for x in err["loc"] if x not in POLICY_TAGS)
                    err = {**err, "loc": loc}
                    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
                        self.policy_at(i, ("kind",), "kind", f"{label}: {_describe(err)}")
                        continue
                    column, msg, where = _yaml_message(err, allowed)
                    if err["type"] == "missing" and cls is not None:
                        msg = f"missing required field {column!r} for a {kind} policy ({cls.model_fields[column].description})"
                    self.policy_at(i, where, column, f"{label}: {msg}")
        seen: dict[str, int] = {}
        for i, pol in enumerate(out):
            if pol is None:
                continue
            if pol.name in seen:
                self.policy_at(i, ("name",), "name",
                               f"duplicate policy name {pol.name!r} (first at line {self.policy_line(seen[pol.name])}); names must be unique")
            seen.setdefault(pol.name or "", i)
        return out


def _close_match(word: str, known: list[str]) -> str:
    """``did you mean 'x'?`` for the closest of ``known`` (spaces and case forgiven), or the list."""
    folded = {k.lower(): k for k in known}
    guess = difflib.get_close_matches(re.sub(r"[\s-]+", "_", word.strip().lower()), list(folded), n=1, cutoff=0.6)
    if guess:
        return f"did you mean {folded[guess[0]]!r}?"
    return f"expected one of {', '.join(known)}"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _key_cell(value: Any) -> str:
    """A key value as text, so that ``2025`` (YAML) and ``2025.0`` (CSV) name the same period."""
    text = _cell(value)
    if _WHOLE.fullmatch(text):
        return str(int(float(text)))
    return text


_WHOLE = re.compile(r"[+-]?\d+(\.0*)?")


# --------------------------------------------------------------------------------------------
# cross-table references
# --------------------------------------------------------------------------------------------


def _cross_check(
    ld: _Loader,
    header: InstanceHeader,
    periods_known: bool,
    raw_tables: dict[str, RawTable],
    rows: dict[str, list[tuple[RawRow, Row]]],
    policies: list[PolicyBase | None],
) -> None:
    at = ld.at
    views = ld.views
    file = {name: raw.file for name, raw in raw_tables.items()}

    def codes(table: str, column: str) -> set[str] | None:
        """Codes of every row, valid or not (a row with a bad number still defines its code, so
        its mistakes are not repeated as unknown references elsewhere); None when the table could
        not be read, so that references into it are not judged."""
        raw = raw_tables[table]
        if not raw.readable or column not in raw.columns:
            return None
        return {r.values.get(column, "") for r in raw.rows} - {""}

    def unknown(known: set[str] | None, code: Any) -> bool:
        return known is not None and code is not None and code not in known

    countries = codes("countries", "country")
    products = codes("products", "product")
    facility_codes = codes("facilities", "facility")
    customers = codes("demands", "customer")
    facilities = {r.facility: r for _, r in rows["facilities"]}
    periods = header.periods if periods_known else None
    last = header.periods[-1]
    horizon = f"{header.periods[0]}-{last}" if periods else ""

    # What each facility makes and uses, from every recipe row (a bad ratio does not make the
    # facility stop making its product); an unreadable direction counts both ways.
    outs: dict[str, set[str]] | None = None
    ins: dict[str, set[str]] | None = None
    if raw_tables["recipes"].readable and {"facility", "product", "direction"} <= set(raw_tables["recipes"].columns):
        outs, ins = {}, {}
        for r in raw_tables["recipes"].rows:
            f, p, d = (r.values.get(k, "") for k in ("facility", "product", "direction"))
            if d != "in":
                outs.setdefault(f, set()).add(p)
            if d != "out":
                ins.setdefault(f, set()).add(p)

    for v in views.get("recipes", []):
        if unknown(facility_codes, v.values.get("facility")):
            at(v.raw, "facility", f"unknown facility {v.values['facility']!r}; expected a facility in {file['facilities']}")
        if unknown(products, v.values.get("product")):
            at(v.raw, "product", f"unknown product {v.values['product']!r}; expected a product in {file['products']}")

    covered = {r.country for _, r in rows["countries"] if header.provenance_group in r.group_set}
    for v in views.get("facilities", []):
        code = v.values.get("facility")
        if unknown(countries, v.values.get("country")):
            at(v.raw, "country", f"unknown country {v.values['country']!r}; expected a country in {file['countries']}")
        if code is not None and outs is not None and not outs.get(code):
            at(v.raw, "facility", f"facility {code!r} has no `out` row in {file['recipes']}; every facility must make a product")
        f = v.row
        if f is None:
            continue
        if f.provenance == "clean" and f.country in covered:
            at(v.raw, "provenance", f"got clean for a facility in {v.values['country']}, a country of the provenance group "
                                    f"{header.provenance_group!r}; what it makes is touched (expected auto or touched)")
        if f.status == "existing" and f.capex:
            at(v.raw, "capex", f"got {f.capex:g} for an existing facility; a capex is the cost of building a candidate "
                               "(status candidate), or of an expansion (expansions.csv)")
        elif f.lifetime is not None and not f.capex:
            at(v.raw, "lifetime", f"got {f.lifetime} with no capex; a lifetime only annualises a candidate's capex")
        for col_ in ("first_year", "last_year"):
            y = getattr(f, col_)
            if periods and y is not None and not (header.periods[0] - 100 <= y <= last + 100):
                at(v.raw, col_, f"year {y} is implausible; expected a year near the horizon {horizon}")

    country_of: dict[str, tuple[str, RawRow]] = {}
    for v in views.get("demands", []):
        d = v.values
        if unknown(countries, d.get("country")):
            at(v.raw, "country", f"unknown country {d['country']!r}; expected a country in {file['countries']}")
        if unknown(products, d.get("product")):
            at(v.raw, "product", f"unknown product {d['product']!r}; expected a product in {file['products']}")
        if periods and d.get("period") is not None and d["period"] not in periods:
            at(v.raw, "period", f"period {d['period']} is outside the horizon; expected one of {periods}")
        cust = d.get("customer")
        if cust is not None and facility_codes is not None and cust in facility_codes:
            at(v.raw, "customer", f"{cust!r} is a facility; customers and facilities need distinct codes")
        if cust is not None and d.get("country") is not None and not unknown(countries, d["country"]):
            if cust in country_of and country_of[cust][0] != d["country"]:
                first_country, first_raw = country_of[cust]
                at(v.raw, "country",
                   f"customer {cust!r} is in {first_country} at row {first_raw.row}; expected one country per customer")
            country_of.setdefault(cust, (d["country"], v.raw))

    for v in views.get("lanes", []):
        lane = v.values
        origin, dest, prod = lane.get("origin"), lane.get("destination"), lane.get("product")
        prod_ok = prod is not None and not unknown(products, prod)
        if unknown(products, prod):
            at(v.raw, "product", f"unknown product {prod!r}; expected a product in {file['products']}")
        if unknown(facility_codes, origin):
            at(v.raw, "origin", f"unknown facility {origin!r}; a lane starts at a facility in {file['facilities']}")
        elif origin is not None and prod_ok and outs is not None and facility_codes is not None and prod not in outs.get(origin, set()):
            at(v.raw, "product", f"facility {origin!r} does not make {prod!r} (no `out` row in {file['recipes']}); "
                                 "expected a product the origin makes")
        if dest is not None and facility_codes is not None:
            if dest in facility_codes:
                if prod_ok and ins is not None and prod not in ins.get(dest, set()):
                    at(v.raw, "product", f"facility {dest!r} does not use {prod!r} (no `in` row in {file['recipes']}); "
                                         "expected a product the destination consumes")
            elif unknown(customers, dest):
                at(v.raw, "destination",
                   f"unknown destination {dest!r}; expected a facility in {file['facilities']} or a customer in {file['demands']}")
        if origin is not None and origin == dest:
            at(v.raw, "destination", "a lane cannot start and end at the same facility")

    for v in views.get("product_prices", []):
        c = v.values
        if unknown(products, c.get("product")):
            at(v.raw, "product", f"unknown product {c['product']!r}; expected a product in {file['products']}")
        if periods and c.get("period") is not None and c["period"] not in periods:
            at(v.raw, "period", f"period {c['period']} is outside the horizon; expected one of {periods}")

    expandable = {r.values.get("facility") for r in raw_tables["expansions"].rows} if "expansions" in raw_tables else set()
    for v in views.get("capacity", []):
        c = v.values
        if unknown(facility_codes, c.get("facility")):
            at(v.raw, "facility", f"unknown facility {c['facility']!r}; expected a facility in {file['facilities']}")
        fac = facilities.get(c.get("facility"))
        cap = c.get("capacity") if c.get("capacity") is not None else (fac.capacity if fac is not None else None)
        low = c.get("min_activity")
        if low is not None and cap is not None and low > cap and c.get("facility") not in expandable:
            at(v.raw, "min_activity", f"must-run {low:g} exceeds the year's capacity {cap:g}; expected at most the capacity")
        if periods and c.get("period") is not None and c["period"] not in periods:
            at(v.raw, "period", f"period {c['period']} is outside the horizon; expected one of {periods}")

    lane_keys = {tuple(r.values.get(k, "") for k in ("origin", "destination", "product"))
                 for r in raw_tables["lanes"].rows} if "lanes" in raw_tables else None
    for v in views.get("lane_periods", []):
        c = v.values
        key = (c.get("origin"), c.get("destination"), c.get("product"))
        if lane_keys is not None and None not in key and key not in lane_keys:
            at(v.raw, "origin", f"no lane {key[0]} -> {key[1]} ({key[2]}) in {file['lanes']}; "
                                "expected the origin, destination and product of a listed lane")
        if periods and c.get("period") is not None and c["period"] not in periods:
            at(v.raw, "period", f"period {c['period']} is outside the horizon; expected one of {periods}")

    for v in views.get("expansions", []):
        e = v.values
        if unknown(facility_codes, e.get("facility")):
            at(v.raw, "facility", f"unknown facility {e['facility']!r}; expected a facility in {file['facilities']}")
        elif v.row is not None and e["facility"] in facilities:
            fac = facilities[e["facility"]]
            if fac.capacity is None:
                at(v.raw, "facility", f"facility {e['facility']!r} has unlimited capacity (blank in {file['facilities']}); "
                                      "expansions need a finite base capacity (0 is allowed)")
            elif fac.status == "candidate" and e.get("max_steps") is None:
                at(v.raw, "max_steps", "an expansion of a candidate facility needs max_steps (it is only usable once the facility opens)")
        if periods and e.get("first_period") is not None and e["first_period"] > last:
            at(v.raw, "first_period", f"year {e['first_period']} is after the horizon ends ({last}); expected a year up to {last}")
        if v.row is not None and v.row.lifetime is not None and not v.row.capex:
            at(v.raw, "lifetime", f"got {v.row.lifetime} with no capex; a lifetime only annualises the capex of a step")
        if v.row is not None and e["integer"] and e["max_steps"] is not None and e["max_steps"] != int(e["max_steps"]):
            at(v.raw, "max_steps", f"got {e['max_steps']}; integer expansions need a whole number of steps")

    groups: set[str] | None = None
    if raw_tables["countries"].readable and "groups" in raw_tables["countries"].columns:
        groups = {g.strip() for r in raw_tables["countries"].rows for g in r.values.get("groups", "").split(";")} - {""}
    elif raw_tables["countries"].readable:
        groups = set()
    if "provenance_group" in ld.set_paths or "provenance_group" in _yaml_keys(ld):
        if unknown(groups, header.provenance_group):
            path = ld.set_paths.get("provenance_group", ("provenance_group",))
            ld.yaml_at(path, "provenance_group",
                       f"unknown country group {header.provenance_group!r}; expected a group named in the groups column of "
                       f"{file['countries']} ({', '.join(sorted(groups or ())) or 'none defined'})")
    stages = codes("facilities", "stage")
    stage_outputs: dict[str, list[frozenset[str]]] | None = None
    if outs is not None:
        stage_outputs = {}
        for _, f in rows["facilities"]:
            stage_outputs.setdefault(f.stage, []).append(frozenset(outs.get(f.facility, ())))
    _check_policies(ld, periods, policies, file, countries, groups, stages, products, facility_codes, customers, outs,
                    stage_outputs, header.provenance_group)
    if periods:
        _check_floor_markets(ld, periods, policies, rows, file)


def _check_floor_markets(ld: _Loader, periods: list[int], policies: list[PolicyBase | None],
                         rows: dict[str, list[tuple[RawRow, Row]]], file: dict[str, str]) -> None:
    """A price floor without `market` compares with its product's surplus value, which must then be set in every
    year the floor applies."""
    base = {r.product: r.surplus_value for _, r in rows["products"]}
    by_year = {(r.product, r.period) for _, r in rows["product_prices"]}
    for i, p in enumerate(policies):
        if not isinstance(p, PriceFloor) or p.market is not None or p.product not in base:
            continue
        applied = [t for t in periods if (p.periods is None or t in p.periods)
                   and not (isinstance(p.floor, dict) and t not in p.floor)]
        missing = [t for t in applied if base[p.product] is None and (p.product, t) not in by_year]
        if missing:
            ld.policy_at(i, ("market",), "market",
                         f"policy {p.name!r}: no market price for {missing}: `market` is not given and {p.product!r} has no "
                         f"surplus_value in those years; expected a `market`, a surplus_value in {file['products']}, or "
                         f"rows in {file.get('product_prices', 'product_prices.csv')}")


def _yaml_keys(ld: _Loader) -> set[Any]:
    return {p[0] for p in ld.lines if len(p) == 1}


def _check_policies(ld: _Loader, periods: list[int] | None, policies: list[PolicyBase | None], file: dict[str, str],
                    countries: set[str] | None, groups: set[str] | None, stages: set[str] | None,
                    products: set[str] | None, facilities: set[str] | None, customers: set[str] | None,
                    outs: dict[str, set[str]] | None, stage_outputs: dict[str, list[frozenset[str]]] | None,
                    provenance_group: str) -> None:
    def unknown(known: set[str] | None, code: Any) -> bool:
        return known is not None and code not in known

    for i, p in enumerate(policies):
        if p is None:
            continue

        def bad(column: str, message: str, _i: int = i, _p: PolicyBase = p) -> None:
            ld.policy_at(_i, (column,), column, f"policy {_p.name!r}: {message}")

        if periods and p.periods is not None:
            for y in p.periods:
                if y not in periods:
                    bad("periods", f"period {y} is outside the horizon; expected years from {periods}")
        for column in ("share", "quantity", "count", "floor", "market"):
            value = getattr(p, column, None)
            if periods and isinstance(value, dict):
                for y in value:
                    if y not in periods:
                        bad(column, f"year {y} is outside the horizon; expected years from {periods}")
            values = list(value.values()) if isinstance(value, dict) else ([] if value is None else [value])
            for v in values:
                expected = policy_value_problem(column, v)
                if expected is not None:
                    bad(column, f"got {v}; expected {expected}")
        s = getattr(p, "stage", None)
        if s is not None and unknown(stages, s):
            bad("stage", f"unknown stage {s!r}; expected one of {sorted(stages or ())} (the stage column of {file['facilities']})")
        for column in ("group", "to_group"):
            g = getattr(p, column, None)
            if g is not None and unknown(groups, g):
                bad(column, f"unknown country group {g!r}; expected one of {sorted(groups or ())}")
        for column in ("countries", "to_countries"):
            for c in getattr(p, column, None) or []:
                if unknown(countries, c):
                    bad(column, f"unknown country {c!r}; expected a country in {file['countries']}")
        prods = getattr(p, "product", None)
        for prod in ([prods] if isinstance(prods, str) else prods or []):
            if unknown(products, prod):
                bad("product", f"unknown product {prod!r}; expected a product in {file['products']}")
        for c in getattr(p, "customers", None) or []:
            if unknown(customers, c):
                bad("customers", f"unknown customer {c!r}; expected a customer in {file['demands']}")

        family_of(p).validate(RuleContext(
            policy=p, bad=bad, periods=periods, file=file, facilities=facilities, customers=customers,
            products=products, outs=outs, stage_outputs=stage_outputs, provenance_group=provenance_group,
        ))


# --------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------


def load_instance(path: str | Path, scenarios: str | Iterable[str] = (), *, check_network: bool = True) -> Instance:
    """Read, apply ``scenarios`` in order, validate; raise :class:`InputError` with every finding.

    ``path`` is an instance folder, its ``instance.yaml``, or an instance workbook (``.xlsx``);
    ``scenarios`` one scenario name or several, applied in order."""
    scenarios = [scenarios] if isinstance(scenarios, str) else list(scenarios)
    folder = Path(path)
    if folder.is_file() and folder.name == YAML_FILE:
        folder = folder.parent
    if not folder.exists():
        what = "no such workbook" if folder.suffix.lower() in (".xlsx", ".xlsm") else "no such instance folder"
        raise InputError([finding(str(path), "-", "-", what)])
    if not folder.is_file():
        return _load(_Loader(folder), scenarios, check_network)
    from . import workbook  # openpyxl is loaded only for workbooks

    if not workbook.is_book(folder) and folder.suffix.lower() != ".xls":
        raise InputError([finding(str(path), "-", "-", "not an instance; expected an instance folder, its instance.yaml, "
                                                       "or an Excel workbook (.xlsx)")])
    book = workbook.read_book(folder)
    label = book.where(workbook.INSTANCE_SHEET)
    try:
        inst = _load(_Loader(folder, book), scenarios, check_network)
    except InputError as exc:
        raise InputError(_relabel(exc.findings, label)) from None
    object.__setattr__(inst, "warnings", tuple(_relabel(list(inst.warnings), label)))
    return inst


def _relabel(findings: list[Finding], label: str) -> list[Finding]:
    """Findings in instance.yaml named as in the workbook: ``book.xlsx[instance]``, same line."""
    def name(text: str) -> str:
        return text.replace(f"{YAML_FILE}:", f"{label}:")

    return [Finding(label if f.file == YAML_FILE else f.file, f.row, f.column, name(f.message)) for f in findings]


def _load(ld: _Loader, scenarios: Iterable[str], check_network: bool) -> Instance:
    folder = ld.folder
    scenarios = [s for s in scenarios if s]
    data = ld.read_yaml()
    ld.validate_header(data)
    header0, _ = ld.lenient_header(data)
    if header0 is None:  # the tables' paths are unknown: nothing more can be checked
        raise InputError(ld.findings)
    paths = ld.table_paths(header0)  # for a workbook too: its CSV paths must fit a folder
    raw_tables = ld.read_tables(paths, header0.tables) if ld.book is None else ld.read_sheets(header0.tables)
    data = ld.apply_scenarios(data, raw_tables, scenarios)
    ld.validate_header(data, report=False)  # values set by scenarios
    header, periods_known = ld.lenient_header(data)
    if header is None:
        raise InputError(ld.findings)

    rows: dict[str, list[tuple[RawRow, Row]]] = {}
    for name, raw in raw_tables.items():
        if raw.readable and ld.check_columns(raw):
            rows[name] = ld.validate_rows(raw)
        else:
            rows[name] = []
    policies = ld.validate_policies()
    _cross_check(ld, header, periods_known, raw_tables, rows, policies)
    if ld.findings:
        raise InputError(ld.findings)

    digest = hashlib.sha256(ld.yaml_bytes)
    for name in sorted(ld.table_bytes):
        digest.update(name.encode())
        digest.update(ld.table_bytes[name])

    inst = Instance(
        name=header.name,
        description=header.description,
        folder=folder.resolve(),
        periods=tuple(header.periods),
        period_years=period_lengths(header.periods, header.period_years),
        discount_rate=header.discount_rate,
        provenance_group=header.provenance_group,
        countries={r.country: r for _, r in rows["countries"]},
        products={r.product: r for _, r in rows["products"]},
        facilities={r.facility: r for _, r in rows["facilities"]},
        recipes=tuple(r for _, r in rows["recipes"]),
        lanes=tuple(r for _, r in rows["lanes"]),
        demands=tuple(r for _, r in rows["demands"]),
        capacity={(r.facility, r.period): r.capacity for _, r in rows["capacity"] if r.capacity is not None},
        period_cost={(r.facility, r.period): r.cost for _, r in rows["capacity"] if r.cost is not None},
        min_activity={(r.facility, r.period): r.min_activity for _, r in rows["capacity"] if r.min_activity},
        lane_periods={(r.origin, r.destination, r.product, r.period): r for _, r in rows["lane_periods"]},
        product_prices={(r.product, r.period): r.surplus_value for _, r in rows["product_prices"]},
        expansions=tuple(r for _, r in rows["expansions"]),
        policies=tuple(p for p in policies if p is not None),
        scenario=tuple(scenarios),
        scenario_names=tuple(header.scenarios.keys()),
        input_digest=digest.hexdigest(),
    )
    warnings: list[Finding] = []
    if check_network:
        policy_lines = [ld.policy_line(i) for i in range(len(policies))]
        errors, warnings = network.check(inst, {name: [raw for raw, _ in rs] for name, rs in rows.items()}, policy_lines)
        if errors:
            raise InputError(errors)
    object.__setattr__(inst, "warnings", tuple(ld.warnings + warnings))
    return inst

"""Load and validate an instance: a folder (``instance.yaml`` plus CSV tables) or a workbook.

Stage 1 of the pipeline.  Reading goes raw (strings: :mod:`~optimizer.input.readers`,
:mod:`~optimizer.input.workbook`) -> scenarios applied (:mod:`~optimizer.input.scenarios`) -> rows
validated against :mod:`optimizer.input.schema` (messages: :mod:`~optimizer.input.messages`) ->
cross-table references (:mod:`~optimizer.input.rules`) -> network checks
(:mod:`~optimizer.input.network`) -> the :class:`~optimizer.input.instance.Instance`.  This module
holds the loader that runs these steps in order.  Every problem is
collected as a :class:`~optimizer.core.errors.Finding`; if there is any, :class:`InputError` is
raised with all of them, so one run reports everything.

Two rules keep the report short and to the point:

* a problem is reported once, where it is: a row with a bad number still defines its code, so
  recipes and lanes that name it do not get "unknown facility" findings as well; a table that
  could not be read is not used to judge references into it;
* a value changed by a scenario is reported at the scenario's line in ``instance.yaml``.

An Excel workbook (``.xlsx``, see :mod:`optimizer.input.workbook`) is read into the same raw tables and
YAML text: its ``instance`` sheet holds the lines of ``instance.yaml`` (row n = line n) and each
table is a sheet named after it, so scenarios, validation and findings work unchanged; findings
name ``book.xlsx[sheet]`` as the file and the sheet's row as the row.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable

import yaml
from pydantic import TypeAdapter, ValidationError

from . import network
from ..core.errors import Finding, InputError, finding
from .instance import Instance
from .schema import POLICY_KINDS, period_lengths, TABLES, InstanceHeader, Policy, PolicyBase, Row, Uncertainty
from .workbook import INSTANCE_SHEET
from .yamlmap import dotted, line_of, load_with_lines
from .messages import close_match, describe, field_adapter, simplify, unit_of, yaml_message
from .readers import YAML_FILE, RawRow, RawTable, read_csv, read_sheet
from .rules import cross_check
from .scenarios import PolicyEntry, apply_scenarios

_POLICY_ADAPTER: TypeAdapter = TypeAdapter(Policy)
POLICY_TAGS = set(POLICY_KINDS)

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


class Loader:
    def __init__(self, folder: Path, book: Any = None):
        self.folder = folder
        #: the workbook read (an :class:`optimizer.input.workbook.Book`) when the instance is one, else None
        self.book = book
        self.findings: list[Finding] = list(book.findings) if book is not None else []
        self.lines: dict[tuple, int] = {}
        self.yaml_bytes = b""
        self.table_bytes: dict[str, bytes] = {}
        self.set_paths: dict[str, tuple] = {}
        self.policies: list[PolicyEntry] = []
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
                for err in simplify(exc.errors()):
                    loc = tuple(err["loc"])
                    if not report and not (loc and loc[0] in self.set_paths):
                        continue
                    column, msg, loc = yaml_message(err, InstanceHeader.model_fields)
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
            raw = read_csv(full, rel, name, self.findings)
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
            raw = read_sheet(sheet, display, name, self.findings)
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
                self.add(raw.file, 1, column, f"unknown column {column!r}; {close_match(column, known)}")
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
        fields = model.model_fields  # read once: pydantic makes it anew on every access
        for r in raw.rows:
            if r.broken:
                continue
            # A blank cell means "use the default" (None for optional columns).
            values = {k: v for k, v in r.values.items() if k in fields and v != ""}
            try:
                row = model.model_validate(values)
            except ValidationError as exc:
                bad: set[str] = set()
                for err in exc.errors():
                    column = str(err["loc"][0]) if err["loc"] else "-"
                    bad.add(column)
                    self.at(r, column, describe(err, unit_of(model, column)))
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
                out[column] = field_adapter(model, column).validate_python(value)
            except ValidationError:
                pass
        return out

    # ---- scenarios --------------------------------------------------------------------------
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
                for err in simplify(exc.errors()):
                    loc = tuple(x for x in err["loc"] if x not in POLICY_TAGS)
                    err = {**err, "loc": loc}
                    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
                        self.policy_at(i, ("kind",), "kind", f"{label}: {describe(err)}")
                        continue
                    column, msg, where = yaml_message(err, allowed)
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
        return _load(Loader(folder), scenarios, check_network)
    from . import workbook  # openpyxl is loaded only for workbooks

    if not workbook.is_book(folder) and folder.suffix.lower() != ".xls":
        raise InputError([finding(str(path), "-", "-", "not an instance; expected an instance folder, its instance.yaml, "
                                                       "or an Excel workbook (.xlsx)")])
    book = workbook.read_book(folder)
    label = book.where(workbook.INSTANCE_SHEET)
    try:
        inst = _load(Loader(folder, book), scenarios, check_network)
    except InputError as exc:
        raise InputError(_relabel(exc.findings, label)) from None
    return replace(inst, warnings=tuple(_relabel(list(inst.warnings), label)))


def _relabel(findings: list[Finding], label: str) -> list[Finding]:
    """Findings in instance.yaml named as in the workbook: ``book.xlsx[instance]``, same line."""
    def name(text: str) -> str:
        return text.replace(f"{YAML_FILE}:", f"{label}:")

    return [Finding(label if f.file == YAML_FILE else f.file, f.row, f.column, name(f.message)) for f in findings]


def _load(ld: Loader, scenarios: Iterable[str], check_network: bool) -> Instance:
    folder = ld.folder
    scenarios = [s for s in scenarios if s]
    data = ld.read_yaml()
    ld.validate_header(data)
    header0, _ = ld.lenient_header(data)
    if header0 is None:  # the tables' paths are unknown: nothing more can be checked
        raise InputError(ld.findings)
    paths = ld.table_paths(header0)  # for a workbook too: its CSV paths must fit a folder
    raw_tables = ld.read_tables(paths, header0.tables) if ld.book is None else ld.read_sheets(header0.tables)
    data = apply_scenarios(ld, data, raw_tables, scenarios)
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
    cross_check(ld, header, periods_known, raw_tables, rows, policies)
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
        duty_rows=tuple(r for _, r in rows["duties"]),
        expansions=tuple(r for _, r in rows["expansions"]),
        storage={(r.facility, r.product): r for _, r in rows["storage"]},
        policies=tuple(p for p in policies if p is not None),
        scenario=tuple(scenarios),
        scenario_names=tuple(header.scenarios.keys()),
        input_digest=digest.hexdigest(),
        uncertainty=header.uncertainty,
        outcome_lines={o.name: int(line_of(ld.lines, ld.set_paths.get("uncertainty", ("uncertainty",)) + ("outcomes", i)))
                       for i, o in enumerate(header.uncertainty.outcomes)} if header.uncertainty else {},
    )
    warnings: list[Finding] = []
    if check_network:
        policy_lines = [ld.policy_line(i) for i in range(len(policies))]
        errors, warnings = network.check(inst, {name: [raw for raw, _ in rs] for name, rs in rows.items()}, policy_lines)
        if errors:
            raise InputError(errors)
    return replace(inst, warnings=tuple(ld.warnings + warnings))


def yaml_label(inst: Instance) -> str:
    """How the loader's findings name the instance's ``instance.yaml``: the file, or the
    workbook's instance sheet (``book.xlsx[instance]``, its rows the file's lines)."""
    folder = Path(inst.folder)
    return YAML_FILE if folder.is_dir() else f"{folder.name}[{INSTANCE_SHEET}]"


def load_outcomes(path: str | Path, scenarios: Iterable[str] = ()) -> tuple[Instance, Uncertainty, dict[str, Instance]]:
    """The instance (with ``scenarios``), its ``uncertainty:`` block, and each outcome's instance
    (``scenarios`` then the outcome's own); InputError when there is no block."""
    scenarios = list(scenarios)
    base = load_instance(path, scenarios)
    u = base.uncertainty
    if u is None:
        where = str(Path(base.folder) / YAML_FILE) if Path(base.folder).is_dir() else yaml_label(base)
        raise InputError([finding(where, "-", "uncertainty",
                                  "no uncertainty block; m2m hedge needs `uncertainty:` with reveal, reference and "
                                  "outcomes (see docs/instance-format.md)")])
    return base, u, {o.name: load_instance(path, [*scenarios, *o.scenarios]) for o in u.outcomes}


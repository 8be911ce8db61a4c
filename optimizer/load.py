"""Load and validate an instance folder: ``instance.yaml`` plus CSV tables.

Stage 1 of the pipeline.  Reading goes raw (strings) -> scenarios applied -> rows validated
against :mod:`optimizer.schema` -> cross-table references -> network checks.  Every problem is
collected as a :class:`~optimizer.errors.Finding`; if there is any, :class:`InputError` is
raised with all of them, so one run reports everything.
"""

from __future__ import annotations

import copy
import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from . import network
from .errors import Finding, InputError, finding
from .instance import Instance
from .schema import (
    SCENARIO_SCALARS,
    TABLES,
    ExportCap,
    InstanceHeader,
    MaxOpen,
    MaxShare,
    MaxSupplierShare,
    Offtake,
    Policy,
    PolicyBase,
    PriceFloor,
    Row,
    Scenario,
)
from .yamlmap import dotted, line_of, load_with_lines

YAML_FILE = "instance.yaml"
_POLICY_ADAPTER: TypeAdapter = TypeAdapter(Policy)


# --------------------------------------------------------------------------------------------
# raw tables
# --------------------------------------------------------------------------------------------


@dataclass
class RawRow:
    file: str
    row: str
    values: dict[str, Any]


@dataclass
class RawTable:
    name: str
    file: str
    columns: list[str]
    rows: list[RawRow] = field(default_factory=list)


def _read_csv(path: Path, display: str, name: str, findings: list[Finding]) -> RawTable | None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        findings.append(finding(display, 1, "-", f"cannot read the file as UTF-8 text ({exc.reason})"))
        return None
    reader = csv.reader(text.splitlines())
    try:
        header = next(reader)
    except StopIteration:
        findings.append(finding(display, 1, "-", "the file is empty; expected a header row with the table's columns"))
        return None
    columns = [h.strip() for h in header]
    table = RawTable(name, display, columns)
    seen: set[str] = set()
    for c in columns:
        if c in seen:
            findings.append(finding(display, 1, c, "column appears twice in the header"))
        seen.add(c)
    try:
        for lineno, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(columns):
                findings.append(
                    finding(display, lineno, "-", f"row has {len(cells)} cells but the header has {len(columns)} columns")
                )
                continue
            values = {c: (cells[i].strip() if i < len(cells) else "") for i, c in enumerate(columns)}
            table.rows.append(RawRow(display, str(lineno), values))
    except csv.Error as exc:
        findings.append(finding(display, reader.line_num, "-", f"malformed CSV: {exc}"))
    return table


# --------------------------------------------------------------------------------------------
# messages from pydantic errors
# --------------------------------------------------------------------------------------------


def _expectation(err: dict[str, Any], unit: str = "") -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    text = {
        "missing": "a value is required",
        "string_too_short": "a value is required",
        "string_pattern_mismatch": "expected a code of letters, digits, '_', '.' or '-'",
        "float_parsing": "expected a number",
        "float_type": "expected a number",
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
        "extra_forbidden": "unknown field; check the spelling against docs/instance-format.md",
        "list_type": "expected a list",
        "dict_type": "expected a mapping",
        "union_tag_invalid": f"unknown kind; expected one of {ctx.get('expected_tags')}",
        "union_tag_not_found": "missing `kind`; expected one of the policy kinds",
        "too_short": "expected at least one entry",
    }.get(kind)
    if text is None:
        msg = err["msg"]
        text = msg[len("Value error, "):] if msg.startswith("Value error, ") else msg[0].lower() + msg[1:]
    if unit and kind not in ("missing", "string_too_short"):
        text += f" ({unit})"
    return text


def _describe(err: dict[str, Any], unit: str = "") -> str:
    if err["type"] in ("missing", "string_too_short", "union_tag_not_found", "extra_forbidden"):
        return _expectation(err, unit)
    value = err.get("input")
    shown = "blank" if value in (None, "") else repr(value)
    return f"got {shown}; {_expectation(err, unit)}"


def _unit(model: type[BaseModel], column: str) -> str:
    f = model.model_fields.get(column)
    extra = (f.json_schema_extra or {}) if f is not None else {}
    return extra.get("unit", "") if isinstance(extra, dict) else ""


# --------------------------------------------------------------------------------------------
# the loader
# --------------------------------------------------------------------------------------------


class _Loader:
    def __init__(self, folder: Path):
        self.folder = folder
        self.findings: list[Finding] = []
        self.warnings: list[Finding] = []
        self.lines: dict[tuple, int] = {}

    def add(self, file: str, row: Any, column: str, message: str) -> None:
        self.findings.append(finding(file, row, column, message))

    def yaml_at(self, path: tuple, column: str, message: str) -> None:
        self.add(YAML_FILE, line_of(self.lines, path), column, message)

    # ---- instance.yaml ----------------------------------------------------------------------
    def read_yaml(self) -> dict[str, Any]:
        path = self.folder / YAML_FILE
        if not path.is_file():
            raise InputError([finding(str(path), "-", "-", "no instance.yaml here; an instance is a folder with instance.yaml and CSV tables")])
        text = path.read_text(encoding="utf-8")
        try:
            data, self.lines = load_with_lines(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise InputError([finding(YAML_FILE, line, "-", f"malformed YAML: {problem}")]) from None
        if not isinstance(data, dict):
            raise InputError([finding(YAML_FILE, 1, "-", "expected a mapping with name, periods, ... at the top level")])
        self.yaml_bytes = text.encode()
        return data

    def validate_header(self, data: dict[str, Any]) -> InstanceHeader | None:
        try:
            return InstanceHeader.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = tuple(err["loc"])
                self.yaml_at(loc, dotted(loc) or "-", _describe(err))
            return None

    # ---- tables -----------------------------------------------------------------------------
    def table_paths(self, header: InstanceHeader) -> dict[str, tuple[Path, str]]:
        paths: dict[str, tuple[Path, str]] = {}
        root = self.folder.resolve()
        for name in header.tables:
            if name not in TABLES:
                self.yaml_at(("tables", name), name, f"unknown table; expected one of {', '.join(TABLES)}")
        for name, spec in TABLES.items():
            rel = header.tables.get(name, spec.default_file)
            full = (self.folder / rel).resolve()
            if not full.is_relative_to(root):
                self.yaml_at(("tables", name), name, f"path {rel!r} leaves the instance folder; tables must live inside it")
                continue
            paths[name] = (full, rel)
        return paths

    def read_tables(self, paths: dict[str, tuple[Path, str]]) -> dict[str, RawTable]:
        tables: dict[str, RawTable] = {}
        self.table_bytes: dict[str, bytes] = {}
        for name, (full, rel) in paths.items():
            spec = TABLES[name]
            if not full.is_file():
                if spec.required:
                    self.add(rel, "-", "-", f"file not found; the {name} table is required ({spec.summary})")
                tables[name] = RawTable(name, rel, list(spec.row.model_fields))
                continue
            self.table_bytes[name] = full.read_bytes()
            raw = _read_csv(full, rel, name, self.findings)
            if raw is None:
                raw = RawTable(name, rel, list(spec.row.model_fields))
            tables[name] = raw
        return tables

    def check_columns(self, raw: RawTable) -> bool:
        model = TABLES[raw.name].row
        ok = True
        for column, info in model.model_fields.items():
            if info.is_required() and column not in raw.columns:
                self.add(raw.file, 1, column, f"missing required column ({info.description})")
                ok = False
        return ok

    def validate_rows(self, raw: RawTable) -> list[tuple[RawRow, Row]]:
        spec = TABLES[raw.name]
        model = spec.row
        valid: list[tuple[RawRow, Row]] = []
        seen: dict[tuple, str] = {}
        for r in raw.rows:
            # A blank cell means "use the default" (None for optional columns).
            values = {k: v for k, v in r.values.items() if k in model.model_fields and v != ""}
            try:
                row = model.model_validate(values)
            except ValidationError as exc:
                for err in exc.errors():
                    column = str(err["loc"][0]) if err["loc"] else "-"
                    self.add(r.file, r.row, column, _describe(err, _unit(model, column)))
                continue
            key = tuple(getattr(row, k) for k in spec.key)
            if key in seen:
                self.add(
                    r.file, r.row, spec.key[-1],
                    f"duplicate key {'/'.join(map(str, key))} (first at row {seen[key]}); "
                    f"expected one row per {', '.join(spec.key)}",
                )
                continue
            seen[key] = r.row
            valid.append((r, row))
        return valid

    # ---- scenarios --------------------------------------------------------------------------
    def apply_scenarios(self, data: dict[str, Any], tables: dict[str, RawTable], names: Iterable[str]) -> dict[str, Any]:
        data = copy.deepcopy(data)
        policies = data.get("policies") or []
        if not isinstance(policies, list):
            return data
        for i, p in enumerate(policies):
            if isinstance(p, dict) and not p.get("name"):
                p["name"] = f"{p.get('kind', 'policy')}_{i + 1}"
        paths = [("policies", i) for i in range(len(policies))]
        defined = data.get("scenarios") or {}
        if not isinstance(defined, dict):
            self.yaml_at(("scenarios",), "scenarios", "expected a mapping of scenario name -> overrides")
            return data
        for name in names:
            if name not in defined:
                known = ", ".join(defined) or "none defined"
                self.add(YAML_FILE, line_of(self.lines, ("scenarios",)), "scenarios",
                         f"unknown scenario {name!r}; expected one of: {known}")
                continue
            base = ("scenarios", name)
            try:
                sc = Scenario.model_validate(defined[name] or {})
            except ValidationError as exc:
                for err in exc.errors():
                    loc = base + tuple(err["loc"])
                    self.yaml_at(loc, dotted(tuple(err["loc"])) or name, _describe(err))
                continue
            for key, value in sc.set.items():
                if key not in SCENARIO_SCALARS:
                    self.yaml_at(base + ("set", key), key, f"cannot be set by a scenario; expected one of {', '.join(SCENARIO_SCALARS)}")
                else:
                    data[key] = value
            for tname, rows in sc.patch.items():
                self._patch(base + ("patch", tname), tname, rows, tables, remove=False)
            for tname, rows in sc.remove.items():
                self._patch(base + ("remove", tname), tname, rows, tables, remove=True)
            names_now = [p.get("name") for p in policies if isinstance(p, dict)]
            for i, pname in enumerate(sc.remove_policies):
                if pname not in names_now:
                    self.yaml_at(base + ("remove_policies", i), "remove_policies", f"no policy named {pname!r}; expected one of {names_now}")
            kept = [i for i, p in enumerate(policies) if not (isinstance(p, dict) and p.get("name") in sc.remove_policies)]
            policies, paths = [policies[i] for i in kept], [paths[i] for i in kept]
            for pname, changes in sc.update_policies.items():
                target = next((p for p in policies if isinstance(p, dict) and p.get("name") == pname), None)
                if target is None:
                    self.yaml_at(base + ("update_policies", pname), pname, f"no policy named {pname!r}")
                else:
                    target.update(copy.deepcopy(changes))
            for j, p in enumerate(sc.add_policies):
                p = copy.deepcopy(p)
                if not p.get("name"):
                    p["name"] = f"{p.get('kind', 'policy')}_{len(policies) + 1}"
                policies.append(p)
                paths.append(base + ("add_policies", j))
        data["policies"] = policies
        self.policy_paths = paths
        return data

    def _patch(self, path: tuple, tname: str, rows: list[dict[str, Any]], tables: dict[str, RawTable], remove: bool) -> None:
        if tname not in TABLES:
            self.yaml_at(path, tname, f"unknown table; expected one of {', '.join(TABLES)}")
            return
        spec, raw = TABLES[tname], tables[tname]
        allowed = set(spec.row.model_fields) | set(raw.columns)
        for i, values in enumerate(rows):
            where = path + (i,)
            line = line_of(self.lines, where)
            missing = [k for k in spec.key if k not in values]
            if missing:
                self.add(YAML_FILE, line, missing[0], f"a {'removed' if remove else 'patched'} {tname} row must name its key columns {', '.join(spec.key)}")
                continue
            unknown = [k for k in values if k not in allowed]
            if unknown:
                self.add(YAML_FILE, line, unknown[0], f"{tname} has no column {unknown[0]!r}; expected one of {', '.join(spec.row.model_fields)}")
                continue
            key = tuple(_cell(values[k]) for k in spec.key)
            match = [r for r in raw.rows if tuple(r.values.get(k, "") for k in spec.key) == key]
            if remove:
                if not match:
                    self.add(YAML_FILE, line, spec.key[0], f"no {tname} row with key {'/'.join(key)} to remove")
                raw.rows = [r for r in raw.rows if r not in match]
                continue
            for c in values:
                if c not in raw.columns:
                    raw.columns.append(c)
            if match:
                for r in match:
                    r.values.update({k: _cell(v) for k, v in values.items()})
                    r.file, r.row = YAML_FILE, str(line)
            else:
                raw.rows.append(RawRow(YAML_FILE, str(line), {c: _cell(values.get(c)) for c in raw.columns}))

    # ---- policies ---------------------------------------------------------------------------
    def policy_path(self, i: int) -> tuple:
        """Where the i-th policy (after scenarios) was written in instance.yaml."""
        paths = getattr(self, "policy_paths", [])
        return paths[i] if i < len(paths) else ("policies", i)

    def validate_policies(self, raw_policies: list[Any]) -> list[PolicyBase | None]:
        """Validated policies, position for position (None where a policy is invalid)."""
        out: list[PolicyBase | None] = []
        for i, raw in enumerate(raw_policies):
            path = self.policy_path(i)
            try:
                out.append(_POLICY_ADAPTER.validate_python(raw))
            except ValidationError as exc:
                out.append(None)
                for err in exc.errors():
                    loc = tuple(x for x in err["loc"] if x not in POLICY_TAGS)
                    self.yaml_at(path + loc, dotted(loc) or "kind", f"policy {i + 1}: {_describe(err)}")
        seen: set[str] = set()
        for i, p in enumerate(out):
            if p is None:
                continue
            if p.name in seen:
                self.yaml_at(self.policy_path(i) + ("name",), "name", f"duplicate policy name {p.name!r}; names must be unique")
            seen.add(p.name or "")
        return out


POLICY_TAGS = {"max_open", "max_share", "offtake", "export_cap", "max_supplier_share", "price_floor"}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


# --------------------------------------------------------------------------------------------
# cross-table references
# --------------------------------------------------------------------------------------------


def _cross_check(
    ld: _Loader,
    header: InstanceHeader,
    raw_tables: dict[str, RawTable],
    rows: dict[str, list[tuple[RawRow, Row]]],
    policies: list[PolicyBase | None],
) -> None:
    add = ld.add

    def codes(table: str, column: str) -> set[str]:
        # Codes of every row, valid or not: a row with a bad number still defines its code,
        # so its mistakes are not repeated as unknown references elsewhere.
        return {r.values.get(column, "") for r in raw_tables[table].rows} - {""}

    countries = codes("countries", "country")
    products = codes("products", "product")
    facility_codes = codes("facilities", "facility")
    facilities = {r.facility: r for _, r in rows["facilities"]}
    periods = set(header.periods)
    last = header.periods[-1]

    outs: dict[str, set[str]] = {f: set() for f in facility_codes}
    ins: dict[str, set[str]] = {f: set() for f in facility_codes}
    for raw, r in rows["recipes"]:
        if r.facility not in facility_codes:
            add(raw.file, raw.row, "facility", f"unknown facility {r.facility!r}; expected a facility in facilities.csv")
        if r.product not in products:
            add(raw.file, raw.row, "product", f"unknown product {r.product!r}; expected a product in products.csv")
        if r.facility in facility_codes:
            (outs if r.direction == "out" else ins)[r.facility].add(r.product)

    for raw, f in rows["facilities"]:
        if f.country not in countries:
            add(raw.file, raw.row, "country", f"unknown country {f.country!r}; expected a country in countries.csv")
        if not outs[f.facility]:
            add(raw.file, raw.row, "facility", f"facility {f.facility!r} has no `out` row in recipes.csv; every facility must make a product")
        if f.status == "candidate" and f.capacity is None:
            add(raw.file, raw.row, "capacity", "a candidate facility needs a finite capacity (its size if built)")
        for col_ in ("first_year", "last_year"):
            y = getattr(f, col_)
            if y is not None and not (header.periods[0] - 100 <= y <= last + 100):
                add(raw.file, raw.row, col_, f"year {y} is implausible; expected a year near the horizon {header.periods[0]}-{last}")

    customers: dict[str, tuple[str, RawRow]] = {}
    for raw, d in rows["demands"]:
        if d.country not in countries:
            add(raw.file, raw.row, "country", f"unknown country {d.country!r}; expected a country in countries.csv")
        if d.product not in products:
            add(raw.file, raw.row, "product", f"unknown product {d.product!r}; expected a product in products.csv")
        if d.period not in periods:
            add(raw.file, raw.row, "period", f"period {d.period} is outside the horizon; expected one of {header.periods}")
        if d.customer in facility_codes:
            add(raw.file, raw.row, "customer", f"{d.customer!r} is a facility; customers and facilities need distinct codes")
        if d.customer in customers and customers[d.customer][0] != d.country:
            add(raw.file, raw.row, "country", f"customer {d.customer!r} is in {customers[d.customer][0]} at row {customers[d.customer][1].row}; a customer has one country")
        customers.setdefault(d.customer, (d.country, raw))

    for raw, l in rows["lanes"]:
        if l.product not in products:
            add(raw.file, raw.row, "product", f"unknown product {l.product!r}; expected a product in products.csv")
        if l.origin not in facility_codes:
            add(raw.file, raw.row, "origin", f"unknown facility {l.origin!r}; a lane starts at a facility in facilities.csv")
        elif l.product in products and l.product not in outs[l.origin]:
            add(raw.file, raw.row, "product", f"facility {l.origin!r} does not make {l.product!r} (no `out` row in recipes.csv)")
        if l.destination in facility_codes:
            if l.product in products and l.product not in ins[l.destination]:
                add(raw.file, raw.row, "product", f"facility {l.destination!r} does not use {l.product!r} (no `in` row in recipes.csv)")
        elif l.destination not in customers:
            add(raw.file, raw.row, "destination", f"unknown destination {l.destination!r}; expected a facility or a customer in demands.csv")
        if l.origin == l.destination:
            add(raw.file, raw.row, "destination", "a lane cannot start and end at the same facility")

    for raw, c in rows["capacity"]:
        if c.facility not in facility_codes:
            add(raw.file, raw.row, "facility", f"unknown facility {c.facility!r}; expected a facility in facilities.csv")
        if c.period not in periods:
            add(raw.file, raw.row, "period", f"period {c.period} is outside the horizon; expected one of {header.periods}")

    for raw, e in rows["expansions"]:
        if e.facility not in facility_codes:
            add(raw.file, raw.row, "facility", f"unknown facility {e.facility!r}; expected a facility in facilities.csv")
        elif e.facility not in facilities:
            pass  # the facility row itself is invalid and already reported
        elif facilities[e.facility].capacity is None:
            add(raw.file, raw.row, "facility", f"facility {e.facility!r} has unlimited capacity; expansions need a finite base capacity (0 is allowed)")
        elif facilities[e.facility].status == "candidate" and e.max_steps is None:
            add(raw.file, raw.row, "max_steps", "an expansion of a candidate facility needs max_steps (it is only usable once the facility opens)")
        if e.first_period > last:
            add(raw.file, raw.row, "first_period", f"year {e.first_period} is after the horizon ends ({last})")
        if e.integer and e.max_steps is not None and e.max_steps != int(e.max_steps):
            add(raw.file, raw.row, "max_steps", f"got {e.max_steps}; integer expansions need a whole number of steps")

    groups = {g.strip() for r in raw_tables["countries"].rows for g in r.values.get("groups", "").split(";")} - {""}
    stages = codes("facilities", "stage")
    _check_policies(ld, header, policies, countries, groups, stages, products, facility_codes, set(customers), outs)


def _check_policies(ld, header, policies, countries, groups, stages, products, facilities, customers, outs) -> None:
    periods = set(header.periods)

    for i, p in enumerate(policies):
        if p is None:
            continue

        def bad(column: str, message: str, _i: int = i) -> None:
            ld.yaml_at(ld.policy_path(_i) + (column,), column, f"policy {p.name!r}: {message}")

        if p.periods is not None:
            for y in p.periods:
                if y not in periods:
                    bad("periods", f"period {y} is outside the horizon; expected years from {header.periods}")
        for column in ("share", "quantity", "count", "floor", "market"):
            value = getattr(p, column, None)
            if isinstance(value, dict):
                for y in value:
                    if y not in periods:
                        bad(column, f"year {y} is outside the horizon; expected years from {header.periods}")
            values = list(value.values()) if isinstance(value, dict) else ([] if value is None else [value])
            for v in values:
                if column == "share" and not 0 <= v <= 1:
                    bad(column, f"got {v}; expected a fraction between 0 and 1")
                elif column in ("quantity", "count", "floor") and v < 0:
                    bad(column, f"got {v}; expected a number >= 0")
                elif column == "count" and v != int(v):
                    bad(column, f"got {v}; expected a whole number of facilities")
        for column in ("stage",):
            s = getattr(p, column, None)
            if s is not None and s not in stages:
                bad(column, f"unknown stage {s!r}; expected one of {sorted(stages)}")
        for column in ("group", "to_group"):
            g = getattr(p, column, None)
            if g is not None and g not in groups:
                bad(column, f"unknown country group {g!r}; expected one of {sorted(groups)}")
        for column in ("countries", "to_countries"):
            for c in getattr(p, column, None) or []:
                if c not in countries:
                    bad(column, f"unknown country {c!r}; expected a country in countries.csv")
        prods = getattr(p, "product", None)
        for prod in ([prods] if isinstance(prods, str) else prods or []):
            if prod not in products:
                bad("product", f"unknown product {prod!r}; expected a product in products.csv")
        for c in getattr(p, "customers", None) or []:
            if c not in customers:
                bad("customers", f"unknown customer {c!r}; expected a customer in demands.csv")

        if isinstance(p, MaxShare):
            if p.customers is None and p.stage is None:
                bad("stage", "needs a `stage` (or `customers` to measure deliveries)")
            if p.basis == "location" and (p.group is None) == (p.countries is None):
                bad("group", "a location-basis share needs exactly one of `group` or `countries`")
        elif isinstance(p, Offtake):
            if p.customer not in customers:
                bad("customer", f"unknown customer {p.customer!r}; expected a customer in demands.csv")
        elif isinstance(p, ExportCap):
            if (p.group is None) == (p.countries is None):
                bad("group", "needs exactly one of `group` or `countries` (the exporters)")
        elif isinstance(p, PriceFloor):
            if p.facility not in facilities:
                bad("facility", f"unknown facility {p.facility!r}; expected a facility in facilities.csv")
            elif p.product in products and p.product not in outs.get(p.facility, set()):
                bad("product", f"facility {p.facility!r} does not make {p.product!r}")
            if isinstance(p.market, dict):
                applied = [t for t in header.periods if p.periods is None or t in p.periods]
                missing = [t for t in applied if t not in p.market and not (isinstance(p.floor, dict) and t not in p.floor)]
                if missing:
                    bad("market", f"no market price for {missing}; give a price for every year the floor applies")
        elif isinstance(p, (MaxOpen, MaxSupplierShare)):
            pass


# --------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------


def load_instance(path: str | Path, scenarios: Iterable[str] = (), *, check_network: bool = True) -> Instance:
    """Read, apply ``scenarios`` in order, validate; raise :class:`InputError` with every finding."""
    folder = Path(path)
    if folder.is_file() and folder.name == YAML_FILE:
        folder = folder.parent
    if not folder.exists():
        raise InputError([finding(str(path), "-", "-", "no such instance folder")])
    scenarios = [s for s in scenarios if s]
    ld = _Loader(folder)
    data = ld.read_yaml()
    header0 = ld.validate_header(data)
    if header0 is None:
        raise InputError(ld.findings)
    raw_tables = ld.read_tables(ld.table_paths(header0))
    data = ld.apply_scenarios(data, raw_tables, scenarios)
    header = ld.validate_header(data)
    if header is None:
        raise InputError(ld.findings)

    rows: dict[str, list[tuple[RawRow, Row]]] = {}
    for name, raw in raw_tables.items():
        rows[name] = ld.validate_rows(raw) if ld.check_columns(raw) else []
    policies = ld.validate_policies(header.policies)
    _cross_check(ld, header, raw_tables, rows, policies)
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
        discount_rate=header.discount_rate,
        provenance_group=header.provenance_group,
        countries={r.country: r for _, r in rows["countries"]},
        products={r.product: r for _, r in rows["products"]},
        facilities={r.facility: r for _, r in rows["facilities"]},
        recipes=tuple(r for _, r in rows["recipes"]),
        lanes=tuple(r for _, r in rows["lanes"]),
        demands=tuple(r for _, r in rows["demands"]),
        capacity={(r.facility, r.period): r.capacity for _, r in rows["capacity"]},
        expansions=tuple(r for _, r in rows["expansions"]),
        policies=tuple(p for p in policies if p is not None),
        scenario=tuple(scenarios),
        scenario_names=tuple((data.get("scenarios") or {}).keys()),
        input_digest=digest.hexdigest(),
    )
    if check_network:
        policy_lines = [line_of(ld.lines, ld.policy_path(i)) for i in range(len(policies))]
        errors, warnings = network.check(inst, {name: [raw for raw, _ in rs] for name, rs in rows.items()}, policy_lines)
        if errors:
            raise InputError(errors)
        object.__setattr__(inst, "warnings", tuple(warnings))
    return inst

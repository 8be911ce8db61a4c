"""Generate ``docs/instance-format.md`` from the schema: ``python -m optimizer.docs``.

Everything a user needs to write an instance is read from :mod:`optimizer.input.schema`: the tables
(``TABLES``), their row models (field types, defaults, units, descriptions), the header of
``instance.yaml`` (``InstanceHeader``), the policy kinds (``POLICY_KINDS``) and the scenario
overrides (``Scenario``).  The committed file is compared with this output by
``tests/test_docs.py``, so the reference cannot drift from the code: after changing the schema,
run ``make docs``.
"""

from __future__ import annotations

import inspect
import types
import typing
from typing import Any, Iterable

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from ..core import refs
from ..core.refs import refs_of
from ..families import POLICY_FAMILIES
from ..input.schema import (
    FORMAT_VERSION,
    FREE_TEXT,
    Row,
    POLICY_KINDS,
    SCENARIO_SCALARS,
    TABLES,
    InstanceHeader,
    Outcome,
    PolicyBase,
    Risk,
    Scenario,
    TableSpec,
    Uncertainty,
)
from ..input.rules import PROBABILITY_SUM_TOL


#: A complete, valid ``instance.yaml`` shown at the end of the reference (tests validate it).
EXAMPLE_YAML = """\
format: 1
name: example_chain
description: Illustrative two-period chain; numbers are not calibrated.
periods: [2025, 2030]              # each stands for 5 years: 2025-2029 and 2030-2034
discount_rate: 0.05
provenance_group: covered          # countries.csv: groups contains `covered`
tables:
  demands: data/demands_2025.csv   # optional: a table stored under another path
policies:
  - kind: max_share
    name: china_magnet_cap
    stage: magnet
    countries: [CN]
    share: {2025: 0.9, 2030: 0.6}  # by year; the policy applies only in the years listed
  - kind: offtake
    name: defence
    customer: dod
    product: ndfeb_magnet
    quantity: 7000                 # t/yr, clean by default
  - kind: export_cap
    name: cn_oxide_ban
    group: covered
    product: [ndpr_oxide, dy_oxide]
    quantity: 0
    periods: [2030]
scenarios:
  no_china_magnets:
    description: No magnets made in China.
    update_policies:
      china_magnet_cap: {share: 0}
  cheap_capital:
    set: {discount_rate: 0.02}
    patch:
      facilities:
        - {facility: magnet_us_new, fixed_cost: 1500000}
    remove_policies: [cn_oxide_ban]
"""


# --------------------------------------------------------------------------------------------
# rendering of one field
# --------------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _bound(metadata: Iterable[Any]) -> str:
    marks = []
    for m in metadata:
        if isinstance(m, annotated_types.Ge):
            marks.append(f">= {m.ge:g}")
        elif isinstance(m, annotated_types.Gt):
            marks.append(f"> {m.gt:g}")
        elif isinstance(m, annotated_types.Le):
            marks.append(f"<= {m.le:g}")
        elif isinstance(m, annotated_types.Lt):
            marks.append(f"< {m.lt:g}")
    return ", ".join(marks)


def _is_code(metadata: Iterable[Any]) -> bool:
    return any(getattr(m, "pattern", None) for m in metadata)


def type_name(annotation: Any, metadata: Iterable[Any] = ()) -> str:
    """A reader's name for a field type: ``number``, ``code``, ``list of codes``, ..."""
    metadata = list(metadata)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_name(args[0], list(metadata) + list(args[1:]))
    if origin is typing.Literal:
        return " or ".join(f"`{a}`" for a in args)
    if origin in (typing.Union, types.UnionType):
        parts = [a for a in args if a is not type(None)]
        if len(parts) == 1:
            return type_name(parts[0], metadata)
        if parts and typing.get_origin(parts[-1]) is dict and typing.get_args(parts[-1])[0] is int:
            return f"{type_name(parts[0])} or {{year: {type_name(parts[0])}}}"
        return " or ".join(type_name(p) for p in parts)
    if origin is list:
        if not args or args[0] is Any:
            return "list"
        return f"list of {_plural(type_name(args[0]))}"
    if origin is dict:
        if not args or args[1] is Any:
            return "mapping"
        return f"mapping {type_name(args[0])} -> {type_name(args[1])}"
    base = {bool: "true/false", int: "whole number", float: "number", str: "text", Any: "any"}.get(annotation)
    if base is None:
        base = getattr(annotation, "__name__", str(annotation))
    if annotation is str and _is_code(metadata):
        base = "code"
    bound = _bound(metadata)
    return f"{base} {bound}" if bound else base


def _plural(name: str) -> str:
    if name.startswith("mapping"):
        return "mappings"
    return {"text": "texts", "whole number": "whole numbers"}.get(name, name + "s")


def default_text(info: FieldInfo, absent: str = "blank") -> str:
    """The default as a reader sees it (``absent``: how a missing value is called)."""
    if info.is_required():
        return ""
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
        return "empty" if not value else f"`{value}`"
    value = info.default
    if value == "":
        return "blank" if absent == "blank" else "empty"
    if value is PydanticUndefined or value is None:
        return absent
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float):
        return f"`{value:g}`"
    return f"`{value}`"


def unit_of(info: FieldInfo) -> str:
    extra = info.json_schema_extra
    return extra.get("unit", "") if isinstance(extra, dict) else ""


def field_rows(
    model: type[BaseModel], *, skip: Iterable[str] = (), absent: str = "blank"
) -> list[tuple[str, str, str, str, str, str]]:
    """(name, required, type, default, unit, description) for every field of ``model``.

    ``absent`` names a missing value: ``blank`` for a CSV cell, ``none`` for a YAML key.
    """
    rows = []
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        rows.append((
            f"`{name}`",
            "yes" if info.is_required() else "no",
            type_name(info.annotation, info.metadata),
            default_text(info, absent),
            unit_of(info),
            _cell(info.description or ""),
        ))
    return rows


def md_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out.extend("| " + " | ".join(_cell(c) for c in r) + " |" for r in rows)
    return out


def _doc(obj: Any) -> str:
    return " ".join((inspect.getdoc(obj) or "").split())


# --------------------------------------------------------------------------------------------
# the sections
# --------------------------------------------------------------------------------------------

INTRO = f"""\
# Instance format (version {FORMAT_VERSION})

<!-- Generated by `python -m optimizer.docs` (`make docs`) from optimizer/input/schema.py.
     Do not edit by hand: tests/test_docs.py fails when this file and the schema disagree. -->

An instance is a folder holding `instance.yaml` (name, periods, discounting, policies and
scenarios) and one CSV file per table. `m2m validate <folder>` checks it without solving.
An instance may also be one Excel workbook (`.xlsx`): an `instance` sheet holding the lines
of `instance.yaml` (line n in cell An) and one sheet per table, named after it; `m2m convert`
converts between the two forms (see [cli.md](cli.md#the-instance-workbook)).

* **Units.** Quantities are tonnes (t) of product, money is USD, time is years. A facility's
  *activity* is measured in whatever its recipe makes one unit of activity (usually one tonne
  of its main output); capacities and variable costs are per unit of activity.
* **Periods.** Each period is one year of operation, listed in `instance.yaml`; per-year
  quantities (`t/yr`) apply to each listed year.
* **Blank cells** mean "use the default" given below; a blank cell in a required column is an
  error. A required column must be present in the header even when the table has no rows.
* **Extra columns** (for example `source`, `confidence`, `note`) are allowed and ignored by the
  model: keep provenance of the data next to it.
* **Numbers** must be finite (`nan` and `inf` are rejected); years are whole numbers.
* **Codes** (countries, products, facilities, customers, stages) use letters, digits, `_`, `.`
  and `-` only.
* **Key columns** identify a row; two rows with the same key are an error.
* **Errors** name the cell: `file:row:column: message`, where `row` is the line number in the
  CSV file (the header is line 1) or in `instance.yaml` (in a workbook, `book.xlsx[sheet]:row:column`,
  where `row` is the sheet's row). Every problem is reported at once, each
  where it is (a value a scenario changed is reported at the scenario's line), and nothing is
  solved until all are fixed.
"""

_CROSS_CHECKS = """\
## Rules checked across tables

Besides each cell's type and range, loading checks that the tables fit together:

{references}
* every facility has at least one `out` row in `recipes.csv`; a facility with no `in` row is a
  *source* (a mine, a scrap collector, an open market);
* a lane's origin makes the product (an `out` recipe row) and a facility destination uses it (an
  `in` row); a lane does not start and end at the same place;
* a candidate facility has a finite `capacity` (its size if built); an expansion needs a
  finite base capacity (0 is allowed); an expansion of a candidate needs `max_steps`;
  integer expansions need a whole `max_steps`;
* a `lane_periods.csv` row names a lane listed in `lanes.csv`;
* customers and facilities have distinct codes, and a customer has one country;
* demand, capacity, lane-period and policy years are periods of the instance;
* a `provenance_group` given in `instance.yaml` (or set by a scenario) is a group named in the
  `groups` column of `countries.csv`;
{policy_rules}
* every hard demand (blank `penalty`) and every offtake can be reached by some chain of lanes
  and recipes (for `clean` ones, a chain that avoids the provenance group); a demand with a
  penalty that cannot be reached is only a warning (it will go unmet at its penalty), as is a
  facility that can never run.
"""


def reference_lines() -> list[str]:
    """One bullet per referenced table column: which columns (of tables and policies) name its codes.
    Generated from the ``ref`` of each column (:mod:`optimizer.core.refs`), as the loader checks them."""
    users: dict[str, list[str]] = {}
    for spec in TABLES.values():
        for column, targets in refs_of(spec.row).items():
            for t in targets:
                users.setdefault(t, []).append(f"`{spec.default_file}` `{column}`")
    for family in POLICY_FAMILIES:
        for column, targets in refs_of(family.schema).items():
            for t in targets:
                users.setdefault(t, []).append(f"`{family.name}` `{column}`")
    lines = []
    for target in sorted(users):
        table, column = target.split(".")
        where = f"the `{column}` column of `{TABLES[table].default_file}`"
        lines.append(f"* a {refs.noun(target)} named in {', '.join(users[target])} is one in {where};")
    return lines


def cross_checks() -> str:
    """The rules checked across tables: the references every column declares, and each policy
    kind's own rules, from its family."""
    rules = [f"* {rule};" for family in POLICY_FAMILIES for rule in family.rules]
    text = _CROSS_CHECKS.replace("{references}\n", "\n".join(reference_lines()) + "\n")
    return text.replace("{policy_rules}\n", "\n".join(rules) + "\n")


def table_section(spec: TableSpec) -> list[str]:
    out = [
        f"### `{spec.default_file}` ({'required' if spec.required else 'optional'})",
        "",
        spec.summary,
        "",
        f"Key: {', '.join(f'`{k}`' for k in spec.key)} (one row per key).",
    ]
    if not spec.required:
        out.append("")
        out.append("The file may be left out; an absent file is an empty table.")
    out.append("")
    out.extend(md_table(("column", "required", "type", "default", "unit", "description"),
                        field_rows(spec.row, skip=FREE_TEXT)))
    out.append("")
    return out


def tables_section() -> list[str]:
    out = [
        "## Tables",
        "",
        "Each table is read from `<table>.csv` in the instance folder unless `tables:` in",
        "`instance.yaml` names another path (inside the folder). Any other CSV file in the folder is",
        "not read: that is an error when its name is close to a table's file (`lane_period.csv`), a",
        "warning otherwise. An optional table whose file is absent is empty; a scenario that removes",
        "rows from it gets one line saying so.",
        "",
        *md_table(
            ("table", "file", "required", "key", "what it holds"),
            [(spec.name, f"`{spec.default_file}`", "yes" if spec.required else "no",
              ", ".join(spec.key), spec.summary) for spec in TABLES.values()],
        ),
        "",
        "Every table may also have these free-text columns, which describe a row and are not read by",
        "the model. Any other column that a table does not list below is an error (a misspelled",
        "column would otherwise leave its values unread), named with the closest column it may mean.",
        "",
        *md_table(("column", "required", "type", "default", "unit", "description"), field_rows(Row)),
        "",
    ]
    for spec in TABLES.values():
        out.extend(table_section(spec))
    return out


def header_section() -> list[str]:
    return [
        "## `instance.yaml`",
        "",
        _doc(InstanceHeader),
        "Unknown keys are errors.",
        "",
        *md_table(("field", "required", "type", "default", "unit", "description"), field_rows(InstanceHeader, absent="none")),
        "",
    ]


def policies_section() -> list[str]:
    base = list(PolicyBase.model_fields)
    out = [
        "## Policies",
        "",
        "Each entry of `policies:` is a mapping with a `kind` (one of "
        + ", ".join(f"`{k}`" for k in POLICY_KINDS)
        + ") and that kind's fields; unknown fields are errors. Every policy also takes:",
        "",
        *md_table(("field", "required", "type", "default", "unit", "description"), field_rows(PolicyBase, absent="none")),
        "",
        "A `number or {year: number}` field is either one number for every year the policy",
        "applies in, or a mapping from year to number, in which case the policy applies only in",
        "the years listed. Policy names must be unique; scenarios refer to policies by name.",
        "",
    ]
    for family in POLICY_FAMILIES:
        kind, cls = family.name, family.schema
        out.extend([
            f"### `{kind}`",
            "",
            _doc(cls),
            "",
            f"In the model: {family.doc}",
            "",
            *md_table(("field", "required", "type", "default", "unit", "description"),
                      field_rows(cls, skip=base + ["kind"], absent="none")),
            "",
        ])
    return out


def scenarios_section() -> list[str]:
    return [
        "## Scenarios",
        "",
        _doc(Scenario),
        "Each entry of `scenarios:` maps a scenario name to these fields (all optional; unknown",
        "fields are errors):",
        "",
        *md_table(("field", "required", "type", "default", "unit", "description"), field_rows(Scenario, absent="none")),
        "",
        "Within one scenario the overrides apply in this order: `set` (only "
        + ", ".join(f"`{s}`" for s in SCENARIO_SCALARS)
        + "), `patch`, `remove`, `remove_policies`, `update_policies`, `add_policies`.",
        "A patched row that matches an existing key changes only the columns it names; one that",
        "matches none is added as a new row. A problem in a value a scenario changed is reported",
        "at that line of `instance.yaml`. A scenario may be applied only once per run.",
        "`m2m validate` checks the base instance and each scenario on its own.",
        "",
    ]


def uncertainty_section() -> list[str]:
    fields = ("field", "required", "type", "default", "unit", "description")
    return [
        "## Uncertainty (`m2m hedge`)",
        "",
        _doc(Uncertainty),
        "Unknown keys are errors. Checked when loading: `reveal` is a period, `reference` names an",
        "outcome, outcome names are distinct, each outcome's scenarios are defined (each listed once,",
        "none setting `uncertainty` itself), and the probabilities sum to 1 (within "
        f"{PROBABILITY_SUM_TOL:g}).",
        "`m2m hedge` also refuses an outcome whose scenarios change anything in a period before",
        "`reveal` (a row, a cost, a bound: compared with the `reference` outcome's model), naming",
        "the outcome's line and what it changes. A scenario may set the whole block (`set:",
        "{uncertainty: ...}`), to compare probabilities or risk attitudes.",
        "",
        *md_table(fields, field_rows(Uncertainty, absent="none")),
        "",
        "Each outcome:",
        "",
        *md_table(fields, field_rows(Outcome, absent="none")),
        "",
        "`risk:`",
        "",
        _doc(Risk),
        "",
        *md_table(fields, field_rows(Risk, absent="none")),
        "",
        "```yaml",
        "uncertainty:",
        "  reveal: 2027              # first period in which the outcome is known",
        "  reference: calm           # the outcome a plan that ignores risk is made for",
        "  risk: {measure: cvar, alpha: 0.9, weight: 0.5}   # or {measure: expected}",
        "  outcomes:",
        "    - {name: calm, probability: 0.7, scenarios: []}",
        "    - {name: ban, probability: 0.3, scenarios: [export_ban]}",
        "```",
        "",
    ]


def example_section() -> list[str]:
    return [
        "## Example `instance.yaml`",
        "",
        "```yaml",
        *EXAMPLE_YAML.rstrip("\n").splitlines(),
        "```",
        "",
    ]


def render() -> str:
    """The whole reference, as markdown."""
    lines: list[str] = [INTRO]
    lines.extend(tables_section())
    lines.append(cross_checks())
    lines.extend(header_section())
    lines.extend(policies_section())
    lines.extend(scenarios_section())
    lines.extend(uncertainty_section())
    lines.extend(example_section())
    text = "\n".join(lines)
    return text.rstrip("\n") + "\n"

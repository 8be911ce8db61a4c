"""Scenarios: a scenario's overrides applied to the raw YAML data and tables, in order, before validation."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Iterable

from pydantic import ValidationError

from .schema import SCENARIO_SCALARS, TABLES, Scenario
from .yamlmap import line_of
from .messages import cell, close_match, describe, key_cell, simplify, yaml_message
from .readers import YAML_FILE, RawRow, RawTable


@dataclass
class PolicyEntry:
    raw: Any
    path: tuple
    #: field -> where a scenario set it
    fields: dict[str, tuple] = field(default_factory=dict)

    @property
    def name(self) -> Any:
        """The policy's name (a default one is given before scenarios apply); None if it has none."""
        return self.raw.get("name") if isinstance(self.raw, dict) else None


def apply_scenarios(ld: Any, data: dict[str, Any], tables: dict[str, RawTable], names: Iterable[str]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    raw_policies = data.get("policies")
    policies = [PolicyEntry(p, ("policies", i)) for i, p in enumerate(raw_policies)] if isinstance(raw_policies, list) else []
    for i, p in enumerate(policies):
        if isinstance(p.raw, dict) and not p.raw.get("name"):
            p.raw["name"] = f"{p.raw.get('kind', 'policy')}_{i + 1}"
    defined = data.get("scenarios")
    if not isinstance(defined, dict):
        defined = {}  # reported by the header check (or simply none)
    applied: set[str] = set()
    for name in names:
        if name in applied:
            ld.add(YAML_FILE, line_of(ld.lines, ("scenarios", name)), "scenarios",
                     f"scenario {name!r} is applied twice; expected each scenario once")
            continue
        applied.add(name)
        if name not in defined:
            known = f"expected one of: {', '.join(map(str, defined))}" if defined else "the instance defines no scenarios"
            ld.add(YAML_FILE, line_of(ld.lines, ("scenarios",)), "scenarios", f"unknown scenario {name!r}; {known}")
            continue
        base = ("scenarios", name)
        try:
            sc = Scenario.model_validate(defined[name] or {})
        except ValidationError as exc:
            for err in simplify(exc.errors()):
                if err["type"] == "model_type":
                    ld.yaml_at(base, name, f"scenario {name!r}: {describe(err)} with keys {', '.join(Scenario.model_fields)}")
                    continue
                column, msg, loc = yaml_message(err, Scenario.model_fields)
                ld.yaml_at(base + loc, column, f"scenario {name!r}: {msg}")
            continue
        for key, value in sc.set.items():
            if key not in SCENARIO_SCALARS:
                ld.yaml_at(base + ("set", key), key,
                             f"{key!r} cannot be set by a scenario; expected one of {', '.join(SCENARIO_SCALARS)}")
            else:
                data[key] = value
                ld.set_paths[key] = base + ("set", key)
        for tname, rows in sc.patch.items():
            patch(ld, base + ("patch", tname), tname, rows, tables, remove=False)
        for tname, rows in sc.remove.items():
            patch(ld, base + ("remove", tname), tname, rows, tables, remove=True)
        names_now = [p.name for p in policies if p.name is not None]
        for i, pname in enumerate(sc.remove_policies):
            if pname not in names_now:
                ld.yaml_at(base + ("remove_policies", i), "remove_policies",
                             f"no policy named {pname!r} to remove; expected one of {names_now}")
        policies = [p for p in policies if p.name not in sc.remove_policies]
        for pname, changes in sc.update_policies.items():
            target = next((p for p in policies if p.name == pname), None)
            if target is None:
                ld.yaml_at(base + ("update_policies", pname), pname,
                             f"no policy named {pname!r} to update; expected one of {[p.name for p in policies if p.name is not None]}")
                continue
            for k, v in changes.items():
                target.raw[k] = copy.deepcopy(v)
                target.fields[k] = base + ("update_policies", pname, k)
        for j, p in enumerate(sc.add_policies):
            p = copy.deepcopy(p)
            if not p.get("name"):
                p["name"] = f"{p.get('kind', 'policy')}_{len(policies) + 1}"
            policies.append(PolicyEntry(p, base + ("add_policies", j)))
    data["policies"] = [p.raw for p in policies]
    ld.policies = policies
    return data

def patch(ld: Any, path: tuple, tname: str, rows: list[dict[str, Any]], tables: dict[str, RawTable], remove: bool) -> None:
    if tname not in TABLES:
        ld.yaml_at(path, tname, f"unknown table {tname!r}; expected one of {', '.join(TABLES)}")
        return
    spec, raw = TABLES[tname], tables[tname]
    allowed = list(spec.row.model_fields)
    verb = "removed" if remove else "patched"
    if remove and not raw.present:
        ld.yaml_at(path, tname, f"{raw.file} does not exist, so there is no {tname} row to remove; "
                                  "expected the file, or no removal")
        return
    for i, values in enumerate(rows):
        where = path + (i,)
        line = str(line_of(ld.lines, where))
        missing = [k for k in spec.key if values.get(k) in (None, "")]
        if missing:
            ld.add(YAML_FILE, line, missing[0],
                     f"a {verb} {tname} row must name its key columns {', '.join(spec.key)}; {missing[0]!r} is missing")
            continue
        unknown = [k for k in values if k not in allowed]
        if unknown:
            ld.add(YAML_FILE, line, str(unknown[0]),
                     f"{tname} has no column {unknown[0]!r}; {close_match(str(unknown[0]), allowed)}")
            continue
        key = tuple(key_cell(values[k]) for k in spec.key)
        match = [r for r in raw.rows if tuple(key_cell(r.values.get(k, "")) for k in spec.key) == key]
        if remove:
            if not match:
                ld.add(YAML_FILE, line, spec.key[0],
                         f"no {tname} row with {'/'.join(spec.key)} = {'/'.join(key)} to remove")
            raw.rows = [r for r in raw.rows if not any(r is m for m in match)]
            continue
        for c in values:
            if c not in raw.columns:
                raw.columns.append(c)
        if match:
            for r in match:
                for c, v in values.items():
                    r.values[c] = cell(v)
                    if c not in spec.key:
                        r.origin[c] = (YAML_FILE, line)
        else:
            raw.rows.append(RawRow(YAML_FILE, line, {c: cell(values.get(c)) for c in raw.columns}))

# ---- policies ---------------------------------------------------------------------------

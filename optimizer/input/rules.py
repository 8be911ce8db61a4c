"""Cross-table rules: every code a table names is defined, every policy's references and its kind's own rules."""

from __future__ import annotations

from typing import Any

from ..core import refs
from ..core.refs import refs_of
from ..families import RuleContext, family_of
from .schema import TABLES, InstanceHeader, PolicyBase, Row, decided_in_horizon, in_service, policy_value_problem
from .readers import RawRow, RawTable

#: The loader running these rules (:class:`optimizer.input.load.Loader`, which imports this module):
#: its finding sinks (``at``, ``yaml_at``, ``policy_at``) and what it has read (``views``, ``lines``).
Loader = Any


# --------------------------------------------------------------------------------------------
# cross-table references
# --------------------------------------------------------------------------------------------


def cross_check(
    ld: Loader,
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

    groups: set[str] | None = None
    if raw_tables["countries"].readable and "groups" in raw_tables["countries"].columns:
        groups = {g.strip() for r in raw_tables["countries"].rows for g in r.values.get("groups", "").split(";")} - {""}
    elif raw_tables["countries"].readable:
        groups = set()
    known: dict[str, set[str] | None] = {
        refs.FACILITY: facility_codes, refs.PRODUCT: products, refs.COUNTRY: countries, refs.CUSTOMER: customers,
        refs.STAGE: codes("facilities", "stage"), refs.GROUP: groups,
    }
    # Every code a table names is defined where its column's `ref` says (optimizer.input.schema).
    for name, spec in TABLES.items():
        for column, targets in refs_of(spec.row).items():
            for v in views.get(name, []):
                problem = reference_problem(targets, v.values.get(column), column, known, file)
                if problem:
                    at(v.raw, column, problem)

    covered = {r.country for _, r in rows["countries"] if header.provenance_group in r.group_set}
    for v in views.get("storage", []):
        st, code = v.row, v.values.get("facility")
        if st is None or unknown(facility_codes, code) or code not in facilities:
            continue
        if outs is not None and ins is not None and st.product not in outs.get(code, set()) | ins.get(code, set()):
            at(v.raw, "product", f"facility {code!r} neither makes nor uses {st.product!r} (no recipe row in "
                                 f"{file['recipes']}); a store holds a product its facility makes or uses")
        if st.capacity is not None and st.initial > st.capacity:
            at(v.raw, "initial", f"got {st.initial:g} t, more than the store's capacity {st.capacity:g} t; expected at "
                                 "most the capacity")
        if st.provenance == "clean" and facilities[code].country in covered and st.initial:
            at(v.raw, "provenance", f"got clean for stock held in {facilities[code].country}, a country of the "
                                    f"provenance group {header.provenance_group!r}; expected auto or touched")
    for v in views.get("facilities", []):
        code = v.values.get("facility")
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
        if f.lead_time is not None and f.status == "existing":
            at(v.raw, "lead_time", f"got {f.lead_time} for an existing facility; a lead time is the time to build a "
                                   "candidate (status candidate), or an expansion step (expansions.csv)")
        elif f.lead_time and periods and not any(
                in_service(f.first_year, f.last_year, t) and decided_in_horizon(t, f.lead_time, periods[0]) for t in periods):
            at(v.raw, "lead_time", f"got {f.lead_time}: decided in {header.periods[0]} at the earliest, the facility "
                                   f"could open from {header.periods[0] + f.lead_time}, after its last operating period; "
                                   "expected a lead time that leaves a period to open in")
        for col_ in ("first_year", "last_year"):
            y = getattr(f, col_)
            if periods and y is not None and not (header.periods[0] - 100 <= y <= last + 100):
                at(v.raw, col_, f"year {y} is implausible; expected a year near the horizon {horizon}")

    country_of: dict[str, tuple[str, RawRow]] = {}
    for v in views.get("demands", []):
        d = v.values
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
        if not unknown(facility_codes, origin) and origin is not None and prod_ok and outs is not None and facility_codes is not None and prod not in outs.get(origin, set()):
            at(v.raw, "product", f"facility {origin!r} does not make {prod!r} (no `out` row in {file['recipes']}); "
                                 "expected a product the origin makes")
        if dest is not None and facility_codes is not None:
            if dest in facility_codes:
                if prod_ok and ins is not None and prod not in ins.get(dest, set()):
                    at(v.raw, "product", f"facility {dest!r} does not use {prod!r} (no `in` row in {file['recipes']}); "
                                         "expected a product the destination consumes")
        if origin is not None and origin == dest:
            at(v.raw, "destination", "a lane cannot start and end at the same facility")

    for v in views.get("product_prices", []):
        c = v.values
        if periods and c.get("period") is not None and c["period"] not in periods:
            at(v.raw, "period", f"period {c['period']} is outside the horizon; expected one of {periods}")

    customs_value: dict[tuple[Any, Any], tuple[float, RawRow]] = {}
    for v in views.get("duties", []):
        c = v.values
        if periods and c.get("period") is not None and c["period"] not in periods:
            at(v.raw, "period", f"period {c['period']} is outside the horizon; expected one of {periods}")
        key, value = (c.get("product"), c.get("period")), c.get("value")
        if None in key or value is None:
            continue
        if key in customs_value and customs_value[key][0] != value:
            first, raw = customs_value[key]
            at(v.raw, "value", f"got {value:g} for {key[0]} in {key[1]}, but row {raw.row} gives {first:g}; expected one "
                               "customs value per product and year")
        customs_value.setdefault(key, (value, v.raw))

    expandable = {r.values.get("facility") for r in raw_tables["expansions"].rows} if "expansions" in raw_tables else set()
    for v in views.get("capacity", []):
        c = v.values
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
        if not unknown(facility_codes, e.get("facility")) and v.row is not None and e["facility"] in facilities:
            fac = facilities[e["facility"]]
            if fac.capacity is None:
                at(v.raw, "facility", f"facility {e['facility']!r} has unlimited capacity (blank in {file['facilities']}); "
                                      "expansions need a finite base capacity (0 is allowed)")
            elif fac.status == "candidate" and e.get("max_steps") is None:
                at(v.raw, "max_steps", "an expansion of a candidate facility needs max_steps (it is only usable once the facility opens)")
        if periods and e.get("first_period") is not None and e["first_period"] > last:
            at(v.raw, "first_period", f"year {e['first_period']} is after the horizon ends ({last}); expected a year up to {last}")
        elif periods and v.row is not None and v.row.lead_time and not any(
                t >= v.row.first_period and decided_in_horizon(t, v.row.lead_time, periods[0]) for t in periods):
            at(v.raw, "lead_time", f"got {v.row.lead_time}: decided in {header.periods[0]} at the earliest, a step "
                                   f"could be available from {header.periods[0] + v.row.lead_time}, after the horizon "
                                   f"ends ({last}); expected a lead time that leaves a period to build in")
        if v.row is not None and v.row.lifetime is not None and not v.row.capex:
            at(v.raw, "lifetime", f"got {v.row.lifetime} with no capex; a lifetime only annualises the capex of a step")
        if v.row is not None and e["integer"] and e["max_steps"] is not None and e["max_steps"] != int(e["max_steps"]):
            at(v.raw, "max_steps", f"got {e['max_steps']}; integer expansions need a whole number of steps")

    if "provenance_group" in ld.set_paths or "provenance_group" in _yaml_keys(ld):
        if unknown(groups, header.provenance_group):
            path = ld.set_paths.get("provenance_group", ("provenance_group",))
            ld.yaml_at(path, "provenance_group",
                       f"unknown country group {header.provenance_group!r}; expected a group named in the groups column of "
                       f"{file['countries']} ({', '.join(sorted(groups or ())) or 'none defined'})")
    if header.uncertainty is not None:
        check_uncertainty(ld, header, periods)
    stage_outputs: dict[str, list[frozenset[str]]] | None = None
    if outs is not None:
        stage_outputs = {}
        for _, f in rows["facilities"]:
            stage_outputs.setdefault(f.stage, []).append(frozenset(outs.get(f.facility, ())))
    prices = {"base": {r.product: r.surplus_value for _, r in rows["products"]},
              "years": {(r.product, r.period) for _, r in rows["product_prices"]}}
    _check_policies(ld, periods, policies, file, known, outs, stage_outputs, header.provenance_group, lane_keys, prices)


#: How far the outcomes' probabilities may sum from 1.
PROBABILITY_SUM_TOL = 1e-9


def _sets_uncertainty(scenario: Any) -> bool:
    return isinstance(scenario, dict) and isinstance(scenario.get("set"), dict) and "uncertainty" in scenario["set"]


def check_uncertainty(ld: Loader, header: InstanceHeader, periods: list[int] | None) -> None:
    """The ``uncertainty:`` block fits the instance: ``reveal`` is a period, ``reference`` names an
    outcome, outcome names are distinct, their scenarios are defined (each once) and their
    probabilities sum to 1."""
    u = header.uncertainty
    assert u is not None
    base = ld.set_paths.get("uncertainty", ("uncertainty",))  # where a scenario set it, if one did
    if periods and u.reveal not in periods:
        ld.yaml_at(base + ("reveal",), "reveal", f"got {u.reveal}; expected the first year of a period, one of {periods}")
    names = [o.name for o in u.outcomes]
    if u.reference not in names:
        ld.yaml_at(base + ("reference",), "reference", f"no outcome named {u.reference!r}; expected one of {names}")
    seen: set[str] = set()
    for i, o in enumerate(u.outcomes):
        where = base + ("outcomes", i)
        if o.name in seen:
            ld.yaml_at(where + ("name",), "name", f"outcome {o.name!r} is given twice; expected distinct outcome names")
        seen.add(o.name)
        for j, sc in enumerate(o.scenarios):
            if sc not in header.scenarios:
                known = f"expected one of: {', '.join(map(str, header.scenarios))}" if header.scenarios else "the instance defines no scenarios"
                ld.yaml_at(where + ("scenarios", j), "scenarios", f"outcome {o.name!r}: unknown scenario {sc!r}; {known}")
            elif _sets_uncertainty(header.scenarios[sc]):
                ld.yaml_at(where + ("scenarios", j), "scenarios", f"outcome {o.name!r}: scenario {sc!r} sets the "
                           "uncertainty block; expected an outcome's scenarios to change the instance, not the outcomes")
            elif sc in o.scenarios[:j]:
                ld.yaml_at(where + ("scenarios", j), "scenarios", f"outcome {o.name!r}: scenario {sc!r} is listed twice; expected each once")
    total = sum(o.probability for o in u.outcomes)
    if abs(total - 1.0) > PROBABILITY_SUM_TOL:
        ld.yaml_at(base + ("outcomes",), "probability",
                   f"the outcomes' probabilities sum to {total:.12g}; expected 1 ({' + '.join(f'{o.probability:g}' for o in u.outcomes)})")


def _yaml_keys(ld: Loader) -> set[Any]:
    return {p[0] for p in ld.lines if len(p) == 1}


def reference_problem(targets: tuple[str, ...], code: Any, column: str, known: dict[str, set[str] | None],
                      file: dict[str, str]) -> str | None:
    """What is wrong with ``code`` in a column that references ``targets`` (None: it is defined, or a
    table it could be defined in could not be read, so it is not judged)."""
    if code is None or code == "" or any(known.get(t) is None for t in targets):
        return None
    if any(code in known[t] for t in targets):  # type: ignore[operator]
        return None
    if len(targets) > 1:
        where = " or ".join(f"a {refs.noun(t)} in {file[t.split('.')[0]]}" for t in targets)
        return f"unknown {column} {code!r}; expected {where}"
    target = targets[0]
    if target == refs.STAGE:
        return f"unknown stage {code!r}; expected one of {sorted(known[target] or ())} (the stage column of {file['facilities']})"
    if target == refs.GROUP:
        return f"unknown country group {code!r}; expected one of {sorted(known[target] or ())}"
    return f"unknown {refs.noun(target)} {code!r}; expected a {refs.noun(target)} in {file[target.split('.')[0]]}"


def _check_policies(ld: Loader, periods: list[int] | None, policies: list[PolicyBase | None], file: dict[str, str],
                    known: dict[str, set[str] | None], outs: dict[str, set[str]] | None,
                    stage_outputs: dict[str, list[frozenset[str]]] | None, provenance_group: str,
                    lanes: set[tuple[str, ...]] | None = None, prices: dict[str, Any] | None = None) -> None:
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
        # Every code the policy names is defined where its field's `ref` says (its family's schema).
        for column, targets in refs_of(type(p)).items():
            value = getattr(p, column, None)
            for code in ([value] if isinstance(value, str) else value or []):
                problem = reference_problem(targets, code, column, known, file)
                if problem:
                    bad(column, problem)

        family_of(p).validate(RuleContext(
            policy=p, bad=bad, periods=periods, file=file, facilities=known[refs.FACILITY],
            customers=known[refs.CUSTOMER], products=known[refs.PRODUCT], outs=outs, lanes=lanes,
            surplus_values=(prices or {}).get("base"), priced_years=(prices or {}).get("years", set()), stage_outputs=stage_outputs, provenance_group=provenance_group,
        ))

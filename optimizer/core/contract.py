"""The results contract: every file ``m2m solve`` writes, its columns, their kinds and units.

Declared once, here, and read by everything else: the tables are extracted in these columns
(:mod:`optimizer.solving.extract`), written (:mod:`optimizer.results.write`, the Excel workbook), read back by
one reader (:func:`read_frame` for compare, report and sweep; :func:`read_rows` for ``m2m
check``, which reports a bad cell by file, line and column), and documented
(``docs/results.md``: its column tables are generated from :data:`RESULT_TABLES` by ``make docs`` and
a test keeps them equal).  The run's status, the cost terms and transfers, the zero-denominator
rule and the scenario label are here too.  This module imports neither Pyomo nor HiGHS, so the
independent checker and the planner tools can use it without loading the solver stack.

Columns may be added in later versions; existing ones are not renamed or given a new meaning.
"""

from __future__ import annotations

import csv
import enum
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from .errors import Finding, InputError, finding
from .tolerances import BINDING_TOL, ZERO, ZERO_DENOMINATOR  # noqa: F401  (part of the contract)

if TYPE_CHECKING:  # pandas is imported where a table is read: every command starts without it
    import pandas as pd

#: Version of this contract (``format`` in summary.json).
RESULTS_FORMAT = 1

SUMMARY = "summary.json"
#: The first line of a model file m2m wrote (``m2m solve --write-model``): a comment in MPS and LP.
MODEL_MARKER = "written by mine2magnet (m2m solve --write-model)"
#: Model file formats, by suffix, and how each comments a line.
MODEL_FORMATS = {".mps": "* ", ".lp": "\\ "}
INFEASIBILITY = "infeasibility.csv"
RESULTS_BOOK = "results.xlsx"

# ---- kinds of cells ------------------------------------------------------------------------
TEXT = "text"  # as written ("NA" stays "NA"); blank is ""
INT = "int"  # a whole number (a year, a rank)
NUMBER = "number"  # a number; never blank
OPTIONAL = "optional number"  # a number, or blank: not applicable (unlimited, no cap, no penalty)
FLAG = "flag"  # True or False

#: Provenance tags of material (the ``provenance`` columns): ``any`` when the instance does not
#: track provenance, else ``clean`` (never touched by the provenance group) or ``touched``.
ANY, CLEAN, TOUCHED = "any", "clean", "touched"

#: Blank cells that a kind reads as "not applicable".
BLANK = ""

#: What a cell of each kind must hold, in words (for error lines).
EXPECTED = {INT: "a whole number", NUMBER: "a number", OPTIONAL: "a number", FLAG: "True or False"}


@dataclass(frozen=True)
class Column:
    """One column of a results table: its name, kind of cell, unit and meaning (markdown)."""

    name: str
    kind: str
    unit: str
    meaning: str


@dataclass(frozen=True)
class ResultTable:
    """One CSV table of a results folder: what a row is, when it is written, and its columns."""

    name: str
    row: str  # "one row per ..."
    when: str  # written when ...
    columns: tuple[Column, ...]

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def kinds(self, names: Iterable[str] | None = None) -> dict[str, str]:
        """column -> kind, for ``names`` (default: every column)."""
        by_name = {c.name: c.kind for c in self.columns}
        return {n: by_name[n] for n in (names if names is not None else by_name)}


#: The tables of a results folder, in the order they are written (``infeasibility`` only
#: without a plan).
RESULT_TABLES: dict[str, ResultTable] = {t.name: t for t in (
    ResultTable(
        'flows', 'lane, year and tag with a positive flow', 'a plan exists',
        (
            Column('origin', TEXT, '',
                   'Shipping facility.'),
            Column('destination', TEXT, '',
                   'Receiving facility or customer.'),
            Column('product', TEXT, '',
                   'Product shipped.'),
            Column('period', INT, 'year',
                   'Year.'),
            Column('provenance', TEXT, '',
                   'Tag of the material: `any`, `clean` or `touched`.'),
            Column('quantity', NUMBER, 't/yr',
                   'Tonnes shipped in the year.'),
        ),
    ),
    ResultTable(
        'activity', 'facility, year it can operate, and tag', 'a plan exists',
        (
            Column('facility', TEXT, '',
                   'Facility code.'),
            Column('period', INT, 'year',
                   'Year.'),
            Column('provenance', TEXT, '',
                   "Tag of this row's activity: `any`, `clean` or `touched`."),
            Column('activity', NUMBER, 'units of activity/yr',
                   "Activity in this mode. Sum over the facility's rows for its total."),
            Column('capacity', OPTIONAL, 'units of activity/yr',
                   'Capacity available to the facility in the year: base capacity (from `capacity.csv` or '
                   '`facilities.csv`) times `open`, plus all expansion steps built up to that year. Blank: unlimited '
                   '(a facility with a blank capacity, or a candidate with a blank capacity while open; 0 while it '
                   'is shut). The same value on each tag row (do not add over tags).'),
            Column('open', NUMBER, '0/1',
                   '1 if the facility is open in the year; always 1 for an existing facility.'),
            Column('built', OPTIONAL, 'units of activity/yr',
                   'Capacity added in this year: the base capacity in the year a candidate opens (blank for a '
                   'candidate with a blank capacity: unlimited), plus expansion steps built in the year times their '
                   'size. The same value on each tag row.'),
            Column('stage', TEXT, '',
                   'Stage of the facility (from `facilities.csv`).'),
            Column('country', TEXT, '',
                   'Country of the facility.'),
        ),
    ),
    ResultTable(
        'unmet', 'demand row of `demands.csv`', 'a plan exists',
        (
            Column('customer', TEXT, '',
                   'Customer code.'),
            Column('product', TEXT, '',
                   'Product demanded.'),
            Column('period', INT, 'year',
                   'Year.'),
            Column('provenance', TEXT, '',
                   "The demand's requirement: `any` or `clean`."),
            Column('demand', NUMBER, 't/yr',
                   'Quantity demanded.'),
            Column('delivered', NUMBER, 't/yr',
                   'Tonnes delivered, over all lanes and tags.'),
            Column('unmet', NUMBER, 't/yr',
                   'Demand left unmet (always 0 for a hard demand).'),
            Column('penalty', OPTIONAL, 'USD/t',
                   'Penalty per unmet tonne. Blank: a hard demand.'),
        ),
    ),
    ResultTable(
        'surplus', 'facility, product, year and tag with positive surplus', 'a plan exists',
        (
            Column('facility', TEXT, '',
                   'Facility where the surplus is left.'),
            Column('product', TEXT, '',
                   'Product left over.'),
            Column('period', INT, 'year',
                   'Year.'),
            Column('provenance', TEXT, '',
                   'Tag of the surplus: `any`, `clean` or `touched`.'),
            Column('quantity', NUMBER, 't/yr',
                   'Tonnes left over.'),
            Column('value_per_t', NUMBER, 'USD/t',
                   '`surplus_value` of the product: earned (+) or paid (-) per tonne.'),
            Column('value', NUMBER, 'USD/yr',
                   '`quantity` x `value_per_t`. The cost term `surplus` is minus the sum of these.'),
        ),
    ),
    ResultTable(
        'shares', 'share policy and year; stage and year', 'a plan exists',
        (
            Column('policy', TEXT, '',
                   'Policy name; empty for an overview row.'),
            Column('stage', TEXT, '',
                   'Stage measured, or `customers:<a>;<b>` for a share of deliveries to customers.'),
            Column('period', INT, 'year',
                   'Year.'),
            Column('basis', TEXT, '',
                   '`location` (output of facilities located in the group) or `provenance` (touched output or '
                   'deliveries).'),
            Column('group', TEXT, '',
                   "For `location`: the policy's `group`, or its `countries` joined by `;`. For `provenance` and "
                   "overview rows: the instance's `provenance_group`."),
            Column('numerator', NUMBER, 't/yr',
                   'Tonnes counted against the cap: of `product` made at the stage by facilities in the group '
                   '(location) or touched (provenance), or the deliveries counted. Overview rows: tonnes of '
                   '`product` made at the stage in the provenance group.'),
            Column('denominator', NUMBER, 't/yr',
                   'All tonnes of `product` made at the stage (or all deliveries to the customers).'),
            Column('share', OPTIONAL, 'fraction 0..1',
                   'numerator / denominator. Blank when the denominator is 0: nothing made, the share is undefined.'),
            Column('cap', OPTIONAL, 'fraction 0..1',
                   "The policy's cap in that year. Blank on overview rows."),
            Column('binding', FLAG, 'true/false',
                   '`True` when the row holds with equality: the share is at its cap (within 1e-6), or the '
                   'denominator is 0 and the cap is below 1 (the cap holds only as 0 <= 0, because nothing is made: '
                   'see `note`). Always `False` on overview rows.'),
            Column('product', TEXT, '',
                   "The product whose tonnes are measured: the policy's `product`, or the one product every facility "
                   'of the stage makes; empty for deliveries of every product a customer demands. Overview rows: one '
                   'row per product.'),
            Column('members', TEXT, '',
                   'The countries the group stands for, by name (e.g. `China, Iran, North Korea, Russia` for a '
                   "`covered` group), so that a share of a wider group is not read as one country's."),
            Column('note', TEXT, '',
                   'Set when the share is undefined (denominator 0); empty otherwise.'),
        ),
    ),
    ResultTable(
        'offtakes', 'offtake policy and year', 'a plan exists',
        (
            Column('policy', TEXT, '',
                   'Policy name.'),
            Column('customer', TEXT, '',
                   'Customer receiving the offtake.'),
            Column('product', TEXT, '',
                   'Product.'),
            Column('period', INT, 'year',
                   'Year.'),
            Column('provenance', TEXT, '',
                   '`clean` (only clean deliveries count) or `any`.'),
            Column('required', NUMBER, 't/yr',
                   'Quantity the policy requires.'),
            Column('delivered', NUMBER, 't/yr',
                   'Deliveries that count towards it (clean ones for a clean offtake; only from the listed '
                   '`countries` if the policy names some).'),
            Column('short', NUMBER, 't/yr',
                   'max(0, required - delivered). Offtakes are hard constraints, so this is 0 in any plan up to '
                   'solver tolerance.'),
        ),
    ),
    ResultTable(
        'duals', 'constraint row with a reported dual', 'a plan exists',
        (
            Column('constraint', TEXT, '',
                   'Constraint family (see the table below).'),
            Column('index', TEXT, '',
                   "The row's index, its parts joined by `|` (see below)."),
            Column('value', NUMBER, 'see `unit`',
                   'Dual value in planner units.'),
            Column('unit', TEXT, '',
                   'Unit of `value`.'),
            Column('meaning', TEXT, '',
                   'The value in words, e.g. `cost of one more t/yr of offtake defence in 2030`.'),
            Column('note', TEXT, '',
                   'Why the value is not a price, where that is so; empty otherwise. Four cases: a cap at zero (a '
                   '`max_share` cap of 0% or an `export_cap` of 0 t/yr: a ban holds at the edge of feasibility, so '
                   'the value is an upper bound on what raising it by one point, or allowing one t/yr, would save); '
                   'a row of a candidate that stays shut that year (its balances, capacity and must-run rows price '
                   'nothing the plan uses); a balance, capacity, must-run or lane-capacity row nothing flows through '
                   '(all its variables zero, the row tight: the plan does not determine its dual, any value in a '
                   'range prices it equally); a `max_share` row whose denominator is 0 (the cap holds only because '
                   'nothing is made: the value is the raw dual in USD/t, not per percentage point, and an upper '
                   'bound on what allowing one more t/yr would save).'),
        ),
    ),
    ResultTable(
        'costs', 'cost term and year', 'a plan exists',
        (
            Column('term', TEXT, '',
                   'Cost term (below).'),
            Column('period', INT, 'year',
                   'Period (its first year).'),
            Column('cost', NUMBER, 'USD/yr',
                   'Cost in each year of the period, undiscounted (negative for a credit).'),
            Column('discount_factor', NUMBER, '',
                   "d<sub>t</sub> = (1+r)<sup>-(t - t<sub>0</sub>)</sup>, of the period's first year."),
            Column('discounted', NUMBER, 'USD',
                   "`cost` x `weight`: the period's part of the objective (for a `transfer`, its discounted payout)."),
            Column('years', INT, 'years',
                   'Years the period stands for, n<sub>t</sub>.'),
            Column('weight', NUMBER, 'years',
                   'w<sub>t</sub> = sum of d<sub>y</sub> over the n<sub>t</sub> years of the period (= '
                   '`discount_factor` for a one-year period).'),
            Column('kind', TEXT, '',
                   "`cost`: a term of the objective; `transfer`: money moved between parties (a price floor's payout "
                   'with `accounting: transfer`, the default), reported but not in the objective.'),
        ),
    ),
    ResultTable(
        'investments', 'opening or expansion built', 'a plan exists',
        (
            Column('facility', TEXT, '',
                   'Facility code.'),
            Column('period', INT, 'year',
                   'Year of the opening or of the steps.'),
            Column('kind', TEXT, '',
                   '`open` (a candidate opens this year) or `expansion` (steps built this year).'),
            Column('steps', NUMBER, 'steps',
                   '1 for an opening; the number of steps built (fractional unless the expansion is `integer`).'),
            Column('capacity_added', OPTIONAL, 'units of activity/yr',
                   "Capacity added: the candidate's base capacity (blank: unlimited), or steps x `size`."),
            Column('capex', NUMBER, 'USD',
                   "Cost of building it: steps x the expansion's `capex`, or the candidate's `capex` (0 if none; its "
                   '`fixed_cost` is paid per year while open, in the `fixed` term).'),
            Column('lifetime', OPTIONAL, 'years',
                   'Years the capex is annualised over (`lifetime`, default 20); blank without a capex.'),
            Column('annuity', NUMBER, 'USD/yr',
                   '`capex` x CRF(r, `lifetime`) = `capex` x r / (1 - (1+r)<sup>-lifetime</sup>) (`capex` / '
                   '`lifetime` when r = 0): what the `capex` cost term charges for this build in every year it is '
                   'available.'),
            Column('lead_time', INT, 'years',
                   "Years from the decision to build to the first year available (`lead_time` of the candidate or "
                   'the expansion; 0 when blank).'),
            Column('decision_year', INT, 'year',
                   '`period` - `lead_time`: the year the build must be decided (never before the first period).'),
        ),
    ),
    ResultTable(
        'inventory', 'store (storage.csv), provenance tag and year', 'a plan exists (no rows without stores)',
        (
            Column('facility', TEXT, '',
                   'Facility holding the stock.'),
            Column('product', TEXT, '',
                   'Product held.'),
            Column('period', INT, 'year',
                   'Year (first year of the period).'),
            Column('provenance', TEXT, '',
                   'Tag of the stock: `any`, `clean` or `touched`; stock keeps the tag it came with.'),
            Column('level', NUMBER, 't',
                   'Stock at the end of the period (of its last year).'),
            Column('in', NUMBER, 't/yr',
                   'Put into the store in each year of the period.'),
            Column('out', NUMBER, 't/yr',
                   'Taken out of the store in each year of the period. `level` = the level before + the '
                   "period's years x (`in` - `out`); the first period starts from the store's `initial`."),
        ),
    ),
    ResultTable(
        'infeasibility', 'violation the diagnosis had to allow', 'status `infeasible`',
        (
            Column('rank', INT, '',
                   '1 for the largest violation.'),
            Column('constraint', TEXT, '',
                   'Relaxed family: one of those [model.md](model.md#infeasibility-diagnosis) lists (a hard '
                   'demand is `demand_balance`).'),
            Column('index', TEXT, '',
                   "The row's index, joined by `|` (as in `duals.csv` for the same family)."),
            Column('period', INT, 'year',
                   'Year of the row.'),
            Column('violation', NUMBER, 'see `unit`',
                   'How much the row had to be relaxed.'),
            Column('unit', TEXT, '',
                   '`t/yr`, `units of activity/yr` or `facilities`. A share row is in t/yr when the policy names a '
                   'product or measures deliveries, otherwise in units of activity/yr.'),
            Column('explanation', TEXT, '',
                   'The violation in words, e.g. `demand buyer 2026: short 50 t of magnet`.'),
        ),
    ),
)}

#: The tables a run with a plan writes (all but the infeasibility diagnosis).
PLAN_TABLES: tuple[str, ...] = tuple(n for n in RESULT_TABLES if n != "infeasibility")

#: The column a hedge folder (``m2m hedge``) puts first in every plan table: whose plan the row is.
OUTCOME = Column('outcome', TEXT, '', 'The outcome of `uncertainty:` whose plan the row belongs to (`m2m hedge` only).')

#: The tables only a hedge folder holds.
HEDGE_TABLES: dict[str, ResultTable] = {t.name: t for t in (
    ResultTable(
        'outcomes', 'outcome of `uncertainty:`', '`m2m hedge`, a plan exists',
        (
            OUTCOME,
            Column('probability', NUMBER, '',
                   'Probability of the outcome.'),
            Column('scenarios', TEXT, '',
                   'Scenarios that make the outcome, joined by `;` (blank: the instance as it is).'),
            Column('status', TEXT, '',
                   'Status of the hedged solve.'),
            Column('cost', OPTIONAL, 'USD',
                   "The hedged plan's cost in this outcome (discounted, as `objective` of a solve)."),
            Column('unmet_t', OPTIONAL, 't',
                   "Demand the hedged plan leaves unmet in this outcome, over the horizon (each period's t/yr "
                   'times its years).'),
            Column('max_shares', TEXT, '',
                   "Each share policy's highest share over the horizon in this outcome, `policy=share` joined by "
                   '`;` (every year is in `shares.csv`).'),
            Column('binding', TEXT, '',
                   'Share policies that bind in some year, and offtakes delivered no more than required, joined by `;`.'),
            Column('foresight_cost', OPTIONAL, 'USD',
                   'Cost of the best plan for this outcome alone, known from the start (perfect foresight); blank if '
                   'it has none.'),
            Column('reference_plan_cost', OPTIONAL, 'USD',
                   "Cost in this outcome of the plan made for the `reference` outcome: its decisions before `reveal` "
                   'held, the rest re-planned; blank when that plan cannot serve the outcome.'),
            Column('reference_plan_status', TEXT, '',
                   'Status of that re-solve (`infeasible`: the reference plan cannot serve this outcome).'),
        ),
    ),
)}

#: Other files of a results folder, for the index of docs/results.md: (file, one row per, written when).
OTHER_FILES = (
    (RESULTS_BOOK, "the run's tables as one workbook", "`m2m solve --excel`"),
    ("report.html", "the run as one HTML page", "`m2m report`"),
    (SUMMARY, "the run", "always"),
)


# ============================================================================================
# the run
# ============================================================================================


class Status(str, enum.Enum):
    """Outcome of a solve, as reported in summary.json and mapped to exit codes."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # a feasible incumbent at a time/iteration limit
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NO_SOLUTION = "no_solution"  # a limit was reached before any feasible solution
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)


#: Statuses that come with a plan (as text, as summary.json has them).
SOLVED = (Status.OPTIMAL.value, Status.FEASIBLE.value)

#: Cost terms in the order they are reported (costs.csv kind ``cost``, summary ``cost_breakdown``).
COST_TERMS = ("production", "transport", "tariff", "fixed", "capex", "unmet_penalty", "surplus", "price_floor", "holding")

#: A relaxed diagnostic model's slack cost: never part of a plan.
VIOLATION_TERM = "violation"

#: Money that moves between parties (a price floor's payout): costs.csv kind ``transfer``,
#: summary ``transfers``; never in the objective.
TRANSFER_TERMS = ("price_floor",)

#: costs.csv kinds and the terms each may hold.
COST_KINDS = {"cost": COST_TERMS, "transfer": TRANSFER_TERMS}

# ZERO (written as 0), ZERO_DENOMINATOR (a share is undefined) and BINDING_TOL (a cap binds) are
# part of the contract; their home is optimizer.core.tolerances.


def scenario_label(scenarios: Sequence[str]) -> str:
    """The scenarios of a run as one label: ``a+b`` in the order applied, ``base`` for none."""
    return "+".join(scenarios) if scenarios else "base"


# ============================================================================================
# reading a results folder
# ============================================================================================


def results_folder(path: str | Path) -> Path:
    """The results folder (``path`` itself, or the folder of a ``summary.json`` given directly)."""
    path = Path(path)
    if path.is_file() and path.name == SUMMARY:
        return path.parent
    if not path.is_dir():
        raise InputError([finding(str(path), "-", "-", "no such results folder")])
    return path


def read_summary(folder: Path) -> dict[str, Any]:
    """``summary.json`` of a results folder; a missing or unreadable one is an input problem."""
    path = folder / SUMMARY
    if not path.is_file():
        raise InputError([finding(str(path), "-", "-", "no summary.json: not a results folder written by `m2m solve`")])
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError([finding(str(path), exc.lineno, "-", f"not valid JSON: {exc.msg}")]) from None
    if not isinstance(data, dict):
        raise InputError([finding(str(path), 1, "-", "expected a JSON object")])
    return data


def parse_cell(text: str | None, kind: str) -> Any:
    """One CSV cell as its kind: text, a whole number, a number, None (a blank optional
    number), or True/False; raise ValueError with what is wrong."""
    text = (text or "").strip()
    if kind == TEXT:
        return text
    if kind == FLAG:
        if text in ("True", "False"):
            return text == "True"
        raise ValueError(f"expected {EXPECTED[FLAG]}, got {text!r}")
    if not text:
        if kind == OPTIONAL:
            return None
        raise ValueError("a value is required")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected {EXPECTED[kind]}, got {text!r}") from None
    if kind == INT:
        if value != int(value):
            raise ValueError(f"expected {EXPECTED[INT]}, got {text!r}")
        return int(value)
    return value


def read_rows(folder: Path, name: str, findings: list[Finding], columns: Iterable[str] | None = None,
              leading: Sequence[Column] = ()) -> list[dict[str, Any]]:
    """Rows of a results table (or a hedge folder's) as dicts of parsed cells, each with ``_line``
    (its CSV line), with the ``leading`` columns a hedge folder puts first; every missing file,
    missing column and bad cell goes to ``findings`` (file:line:column)."""
    table = RESULT_TABLES[name] if name in RESULT_TABLES else HEDGE_TABLES[name]
    path = folder / table.file
    if not path.is_file():
        findings.append(finding(str(path), "-", "-", "results table is missing"))
        return []
    kinds = {**{c.name: c.kind for c in leading}, **table.kinds(columns)}
    rows: list[dict[str, Any]] = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in kinds if c not in (reader.fieldnames or [])]
        if missing:
            findings.extend(finding(str(path), 1, c, "column is missing") for c in missing)
            return []
        for line, raw in enumerate(reader, start=2):
            row: dict[str, Any] = {"_line": line}
            for column, kind in kinds.items():
                try:
                    row[column] = parse_cell(raw.get(column), kind)
                except ValueError as exc:
                    findings.append(finding(str(path), line, column, str(exc)))
            rows.append(row)
    return rows


def read_frame(folder: Path, name: str, findings: list[Finding], columns: Iterable[str] | None = None,
               leading: Sequence[Column] = ()) -> pd.DataFrame | None:
    """A results table as a DataFrame with typed columns (text as str, blank ""; numbers as floats,
    a blank optional number NaN; whole numbers as int; flags as bool), with the ``leading``
    columns a hedge folder puts first, or None after adding to ``findings`` what is wrong (a
    missing file or column, the first bad cell of a column)."""
    import pandas as pd

    table = RESULT_TABLES[name] if name in RESULT_TABLES else HEDGE_TABLES[name]
    path = folder / table.file
    if not path.is_file():
        findings.append(finding(str(path), "-", "-", "results table is missing"))
        return None
    kinds = {**{c.name: c.kind for c in leading}, **table.kinds(columns)}
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        findings.append(finding(str(path), "-", "-", f"not a readable CSV table: {exc}"))
        return None
    missing = [c for c in kinds if c not in df.columns]
    if missing:
        findings.extend(finding(str(path), 1, c, "column is missing") for c in missing)
        return None
    out = pd.DataFrame(index=df.index)
    ok = True
    for column, kind in kinds.items():
        text = df[column].str.strip()
        if kind == TEXT:
            out[column] = text
            continue
        if kind == FLAG:
            bad = ~text.isin(["True", "False"])
            values = text == "True"
        else:
            values = pd.to_numeric(text.where(text != BLANK), errors="coerce")
            bad = values.isna() & (text != BLANK)
            if kind in (INT, NUMBER):
                bad |= text == BLANK
            if kind == INT:
                bad |= values.notna() & (values != values.round())
        if bad.any():
            line = int(bad.to_numpy().nonzero()[0][0]) + 2
            findings.append(finding(str(path), line, column, f"expected {EXPECTED[kind]}, got {df[column][bad].iloc[0]!r}"))
            ok = False
            continue
        out[column] = values.astype(int) if kind == INT else values
    return out if ok else None

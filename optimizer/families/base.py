r"""The family protocol: what one constraint family or policy kind declares, in one module.

A policy kind is a module of :mod:`optimizer.families` that defines one :class:`PolicyFamily`
(``FAMILY``).  Every part of the tool that has something to do with the kind asks it:

==================  ==========================================================================
part                used by
==================  ==========================================================================
``schema``          the loader and ``docs/instance-format.md`` (the kind's fields)
``validate``        the loader's cross-table rules (``rules`` is their sentence in the docs)
``build``           the model builder (:mod:`optimizer.model.build`): the kind's rows, from a
                    :class:`BuildContext`
``dual``            ``duals.csv``: unit, meaning, scale and note of the row's dual, and
                    its reading back for the certificate (:class:`DualSpec`), or
                    :class:`NoDual` with the reason there is none
``slack``           the infeasibility diagnosis: what a violation is called, and ``explain``
                    the sentence for one (``None`` where the rows are never relaxed)
``check``           ``m2m check``: the kind's own arithmetic on the plan (``CheckContext``)
``lp_rows``         the optimality certificate: the kind's rows of the plan's LP
``achieved``        ``m2m sweep``: what the plan achieves under the policy (:class:`Achieved`)
``stage``           ``m2m sweep``: the stage whose provenance-group share a sweep reports
``group``           compare and report: ``policy`` duals are listed first
``money``           a kind that pays (a price floor): its costs and transfers, for ``m2m
                    check`` (``coefficients``) and the certificate (``activity_cost``)
``doc``             ``docs/instance-format.md``: the row, its units and its dual, in words
==================  ==========================================================================

The hooks take one context object each, never long argument lists.  A family module imports
only this module, :mod:`optimizer.core.policy` and :mod:`optimizer.core.contract` (no Pyomo, no HiGHS,
no instance or model code): the contexts bring what it needs.  ``tests/families/test_families.py``
fails when a registered family lacks a part.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Protocol

from ..core.policy import PolicyBase

if TYPE_CHECKING:  # only for the annotations
    import pandas as pd

#: The validated instance (:class:`optimizer.input.instance.Instance`), which the hooks receive:
#: the input layer sits above the families, so it is named here, not imported.
Instance = Any

#: (coefficient, variable) pairs of a linear expression.
Terms = list[tuple[float, Any]]

#: A policy family's rows in one year: row key -> (terms, right-hand side).
PolicyRows = dict[tuple, tuple[Terms, float]]


# ============================================================================================
# duals
# ============================================================================================


@dataclass(frozen=True)
class DualSpec:
    """How a constraint family's dual reads in planner units, both ways.

    ``scale(index, built)`` turns HiGHS's d(objective)/d(rhs) (discounted USD per unit of rhs)
    into the reported value; ``meaning(index, built)`` says what that value is; ``note`` flags a row
    whose value is not what ``meaning`` says (e.g. a share cap on an empty denominator).
    ``built`` is the model as built (:class:`optimizer.model.build.Built`).  ``to_lp(value, row,
    unit, inst)`` is the same rule read back: the LP's dual of ``row`` from its duals.csv value,
    which the optimality certificate checks.  :meth:`per_year` and :meth:`discounted` make both
    from one sign, so they cannot disagree.
    """

    unit: str | Callable[[tuple, Any], str]
    meaning: Callable[[tuple, Any], str]
    scale: Callable[[tuple, Any], float]
    #: A warning that goes with a row's value (empty: none), e.g. when it is not a price.
    note: Callable[[tuple, Any], str] | None = None
    to_lp: Callable[[float, "LPRow", str, Instance], float] | None = None
    #: For the docs (docs/results.md, docs/model.md): what the value is, in words; the row's index
    #: parts; its sense; the reported value as a formula of the raw dual mu; the unit in words.
    value: str = ""
    index: str = ""
    row: str = ""
    reported: str = ""
    unit_doc: str = ""

    @classmethod
    def per_year(cls, unit: str, meaning: Callable[[tuple, Any], str], sign: float,
                 note: Callable[[tuple, Any], str] | None = None, **doc: str) -> "DualSpec":
        """A dual reported per year of the row's period (its key's last part), signed as a cost (+1)
        or a value (-1): value = sign x mu / w_t, so mu = sign x value x w_t."""
        reported = ("$\\mu / w_t$" if sign > 0 else "$-\\mu / w_t$").replace("\\\\", "\\")
        return cls(unit, meaning, lambda k, b: sign / b.weight(k[-1]), note,
                   lambda value, row, _unit, inst: sign * value * inst.weight(row.year),
                   **{"reported": reported, **doc})

    @classmethod
    def discounted(cls, unit: str, meaning: Callable[[tuple, Any], str], sign: float, **doc: str) -> "DualSpec":
        """A dual reported as it is, discounted (a row that spans years): value = sign x mu."""
        reported = "$\\mu$" if sign > 0 else "$-\\mu$"
        return cls(unit, meaning, lambda _k, _b: sign, None, lambda value, _row, _unit, _inst: sign * value,
                   **{"reported": reported, **doc})

    @property
    def unit_text(self) -> str:
        """The unit in words (a unit that depends on the row is described in ``unit_doc``)."""
        return self.unit_doc or (self.unit if isinstance(self.unit, str) else "")

    def unit_of(self, k: tuple, b: Any) -> str:
        return self.unit(k, b) if callable(self.unit) else self.unit

    def note_of(self, k: tuple, b: Any) -> str:
        return self.note(k, b) if self.note is not None else ""


@dataclass(frozen=True)
class NoDual:
    """A family whose rows report no dual, and why (said in the docs)."""

    reason: str


# ============================================================================================
# the contexts the hooks receive
# ============================================================================================


@dataclass(frozen=True)
class BuildContext:
    """What a family's ``build`` may use: the instance, the model's variables by index, and the
    builder's services.  Frozen: a family adds rows through ``add_rows`` (network families) or
    ``constrain`` (policy kinds) and money through ``payout``, nothing else.

    Variables (see :mod:`optimizer.model.build` for the notation), each a dict index -> variable:
    ``activity`` x[f,g,t], ``flow`` F[o,d,p,g,t], ``surplus`` S[f,p,g,t], ``downgrade``
    D[f,p,t], ``unmet`` U[k,p,t], ``open`` y[f,t] (candidates), ``steps`` z[f,t].
    """

    inst: Instance
    #: What the builder has built so far (``optimizer.model.build.Built``): the dual specs, the
    #: share rows (max_share keeps its numerator and denominator there for the dual's scale
    #: and shares.csv), the open links and the strengthening families.
    built: Any
    activity: dict[tuple, Any]
    flow: dict[tuple, Any]
    surplus: dict[tuple, Any]
    downgrade: dict[tuple, Any]
    unmet: dict[tuple, Any]
    open: dict[tuple[str, int], Any]
    steps: dict[tuple[str, int], Any]
    #: (facility, period) -> [(tag, activity variable)].
    acts_of: dict[tuple[str, int], list[tuple[str, Any]]]
    #: (destination, product, period) -> [(origin, tag, flow variable)]: what arrives where.
    flows_in: dict[tuple[str, str, int], list[tuple[str, str, Any]]]
    #: (product, period) -> [(origin, destination, flow variable)]: what moves of a product.
    flows_of: dict[tuple[str, int], list[tuple[str, str, Any]]]
    #: (origin, destination, product) -> the lane row.
    lanes: dict[tuple[str, str, str], Any]
    #: output_of(facility, period, product or None, tag or None) -> Terms (activity when None).
    output_of: Callable[..., Terms]
    #: expression(terms) -> the linear expression of (coefficient, variable) pairs.
    expression: Callable[[Terms], Any]
    #: add_rows(family, {key: (lower or None, terms, upper or None)}) -> the constraint component
    #: (lower == upper: an equality).
    add_rows: Callable[[str, dict[tuple, tuple[float | None, Terms, float | None]]], Any]
    #: slack(family, keys, what) -> {key: slack variable}: a named, penalised slack per row when
    #: the model is relaxed for diagnosis (empty otherwise).
    slack: Callable[[str, list, str], dict]
    #: constrain(family, make): for every policy of the family's kind and year in which it sets
    #: its ``param``, make(policy, year, value) -> PolicyRows or None; adds the rows (with slacks
    #: when relaxed).
    constrain: Callable[["PolicyFamily", Callable[[Any, int, float], PolicyRows | None]], None]
    #: payout(term, period, terms, accounting): a cost term (``cost``) or a transfer.
    payout: Callable[[str, int, Terms, str], None]
    #: Scratch space shared by families built from one pass (product and input balances).
    memo: dict[str, Any]
    #: Stores (storage.csv): ``stock`` L[f,p,g,t] (t, end of period), ``store_in`` I[f,p,g,t] and
    #: ``store_out`` O[f,p,g,t] (t/yr, in the facility's operating years).
    stock: dict[tuple, Any] = field(default_factory=dict)
    store_in: dict[tuple, Any] = field(default_factory=dict)
    store_out: dict[tuple, Any] = field(default_factory=dict)


class CheckContext(Protocol):
    """What a family's ``check`` may use (``optimizer.check.checker.Checker``): the plan's tables and the
    checker's arithmetic, each row recorded as checked or violated."""

    inst: Instance
    plan: Any  # optimizer.check.tables.PlanTables: the tables, summed and keyed like the model's variables
    #: facility -> its operating years
    active: dict[str, set[int]]

    def policy_years(self, kind: type) -> list[tuple[PolicyBase, int]]: ...
    def count(self, family: str, rows: int = 1) -> None: ...
    def fail(self, family: str, label: str, message: str) -> None: ...
    def slack(self, *terms: float | None) -> float: ...
    def le(self, family: str, label: str, lhs_name: str, lhs: float, rhs_name: str, rhs: float, *scale: float) -> bool: ...
    def eq(self, family: str, label: str, lhs_name: str, lhs: float | None, rhs_name: str, rhs: float | None,
           *scale: float) -> bool: ...
    def made(self, facility: str, period: int, product: str | None, tag: str | None = None) -> float: ...
    def nonnegative(self, family: str, label: str, name: str, value: float) -> bool: ...
    def is_open(self, facility: str, period: int) -> float: ...


@dataclass
class LPRow:
    """One row of the plan's LP (optimality certificate):
    :math:`\\sum_j a_j x_j \\;(\\text{sense})\\; \\text{rhs}` over continuous columns."""

    family: str
    key: tuple
    sense: str  # "=", "<=", ">="
    rhs: float
    terms: dict[tuple, float]
    #: max_share only: the denominator in the plan (t/yr), which scales the reported dual.
    denominator: float = 0.0

    @property
    def index(self) -> str:
        return "|".join(map(str, self.key))

    @property
    def year(self) -> int:
        return int(self.key[-1])


@dataclass(frozen=True)
class RuleContext:
    """What a family's ``validate`` may use: the policy, what the instance defines, and ``bad``
    to report a finding at the policy's field (``bad(column, message)``)."""

    policy: Any
    bad: Callable[[str, str], None]
    periods: list[int] | None
    file: dict[str, str]
    facilities: set[str] | None
    customers: set[str] | None
    products: set[str] | None
    #: facility -> products of its `out` recipe rows
    outs: dict[str, set[str]] | None
    #: stage -> the output sets of its facilities
    stage_outputs: dict[str, list[frozenset[str]]] | None
    provenance_group: str
    #: (origin, destination, product) of every lane in lanes.csv (None: the table could not be read)
    lanes: set[tuple[str, str, str]] | None = None
    #: product -> its surplus value in products.csv (blank: None), and the (product, year) rows of
    #: product_prices.csv: a product's market price path
    surplus_values: dict[str, float | None] | None = None
    priced_years: set[tuple[str, int]] = field(default_factory=set)

    def unknown(self, known: set[str] | None, code: Any) -> bool:
        return known is not None and code not in known


def check_stage_product(ctx: RuleContext) -> None:
    """A stage share is measured in tonnes of one product: the policy's `product`, which some facility at the
    stage must make, or, without one, the one product every facility at the stage makes."""
    p = ctx.policy
    if p.stage is None or ctx.stage_outputs is None:
        return
    made = ctx.stage_outputs.get(p.stage)
    if not made:
        return  # an unknown stage is reported on its own
    if p.product is not None:
        if not any(p.product in outs for outs in made):
            ctx.bad("product", f"no facility at stage {p.stage!r} makes {p.product!r}; expected one of "
                               f"{sorted(set().union(*made))}")
        return
    if not (len(set(made)) == 1 and len(made[0]) == 1):
        ctx.bad("product", f"the facilities at stage {p.stage!r} make different products "
                           f"({', '.join(sorted(set().union(*made)))}); name the `product` whose tonnes the share "
                           "is measured in")


# ============================================================================================
# sweeps
# ============================================================================================


def _most(found: dict[str, int]) -> str | None:
    """The stage counted most often (ties by name), or None."""
    return sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] if found else None


def delivering_stage(inst: Instance, customers: set[str], product: str | None) -> str | None:
    """The stage of the facilities with most lanes delivering ``product`` (any, if None) to ``customers``."""
    found: dict[str, int] = {}
    for lane in inst.lanes:
        if lane.destination in customers and (product is None or lane.product == product) \
                and lane.origin in inst.facilities:
            stage = inst.facilities[lane.origin].stage
            found[stage] = found.get(stage, 0) + 1
    return _most(found)


def making_stage(inst: Instance, products: set[str]) -> str | None:
    """The stage with most facilities making one of ``products``."""
    found: dict[str, int] = {}
    for f, outs in inst.outputs.items():
        if products & set(outs):
            stage = inst.facilities[f].stage
            found[stage] = found.get(stage, 0) + 1
    return _most(found)


def policy_rows_by_year(tables: dict[str, "pd.DataFrame"], table: str, policy: str, column: str) -> dict[int, float]:
    """year -> ``column`` of ``policy``'s rows in a results table (shares, offtakes)."""
    rows = tables[table]
    rows = rows[rows["policy"] == policy]
    return {int(t): float(v) for t, v in zip(rows["period"], rows[column])}


@dataclass(frozen=True)
class Achieved:
    """What ``m2m sweep`` reports as achieved under a policy of the kind, per year.

    ``measure(inst, tables, policy, years)``: year -> value, from the run's result tables
    (``tables``: name -> DataFrame); years in ``years`` with nothing to count are 0 where the
    measure is a count or a quantity."""

    what: str
    unit: str  # "fraction" for shares
    measure: Callable[[Instance, dict[str, "pd.DataFrame"], Any, Iterable[int]], dict[int, float]]


# ============================================================================================
# the family
# ============================================================================================


@dataclass(frozen=True, kw_only=True)
class Family:
    """Everything about one constraint family (see the module docstring for who uses which part)."""

    name: str
    #: Docs entry: the row, its units and its dual, in words (markdown).
    doc: str
    build: Callable[[BuildContext], None]
    dual: DualSpec | NoDual
    #: What a violation is called when the diagnosis relaxes the rows (None: never relaxed).
    slack: str | None
    explain: Callable[[Instance, tuple, float], tuple[str, str]] | None
    #: ``m2m check``'s arithmetic for the family, or the name of the family whose check covers it.
    check: Callable[[CheckContext], None] | str
    lp_rows: Callable[[Any], Iterable[LPRow]] | None
    #: compare and report: ``policy`` duals first, then ``demand``, then ``network``.
    group: str
    #: duals.csv lists every row of the family, zeros included (else only non-zero values).
    always_listed: bool = False
    #: expected.json pins the family's duals (those without a note).
    pinned: bool = False

    def __post_init__(self) -> None:
        if (self.slack is None) != (self.explain is None):
            raise TypeError(f"family {self.name}: a slack needs its explanation and an explanation its slack")
        if isinstance(self.dual, DualSpec) and (self.dual.to_lp is None or self.lp_rows is None):
            raise TypeError(f"family {self.name}: a reported dual needs its certificate rows (lp_rows) and its "
                            "reading back (DualSpec.to_lp)")


@dataclass(frozen=True, kw_only=True)
class NetworkFamily(Family):
    """A family of the network itself (balances, capacities, links), present in every model."""

    group: str = "network"
    #: Rows that only strengthen the LP relaxation of a MILP (implied once the integers are
    #: integral): left out of the LP that prices a MILP.
    strengthening: bool = False


@dataclass(frozen=True, kw_only=True)
class PolicyFamily(Family):
    """Everything about one policy kind: a family plus its input, loader rules and sweep measure."""

    schema: type[PolicyBase]
    #: The loader's rules for the kind, as sentences for the docs.
    rules: tuple[str, ...]
    validate: Callable[[RuleContext], None]
    achieved: Achieved
    stage: Callable[[Instance, Any], str | None]
    group: str = "policy"
    always_listed: bool = True
    #: ``sense`` of the family's rows: "<=" or ">=".
    sense: str = "<="
    #: The by-year field that bounds the kind's rows (a share, quantity or count): a row exists in
    #: the years the policy sets it (None: a kind without rows).
    param: str | None = None
    #: A kind that moves money instead of (or besides) adding rows: its recomputation for
    #: ``m2m check``, (kind, term, period) -> USD/yr, and its cost coefficients (USD per unit).
    money: Callable[[CheckContext], dict[tuple[str, str, int], float]] | None = None
    coefficients: Callable[[CheckContext], list[float]] | None = None
    #: The certificate's objective coefficients the kind adds: (facility, period) -> USD per unit
    #: of activity in that year (undiscounted).
    activity_cost: Callable[[Instance], dict[tuple[str, int], float]] | None = None

"""The instance format (v1), declared once.

Every CSV table is a pydantic row model plus a :class:`TableSpec` (file name, key columns,
whether it is required).  Loading, validation, error messages and the format reference in
``docs/instance-format.md`` are all derived from these declarations: to add a column, add a
field here.

Units: tonnes (t) of product, USD, years.  "Units of activity" are whatever a facility's recipe
says one unit of its activity is (usually one tonne of its main output).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ..families import POLICY_FAMILIES
from ..families.export_cap import ExportCap  # noqa: F401
from ..families.max_open import MaxOpen  # noqa: F401
from ..families.max_share import MaxShare  # noqa: F401
from ..families.max_supplier_share import MaxSupplierShare  # noqa: F401
from ..families.offtake import Offtake  # noqa: F401
from ..families.price_floor import PriceFloor  # noqa: F401
from ..core import refs
from ..core.policy import ByPeriod, PolicyBase, by_period, policy_value_problem  # noqa: F401  (part of the format)

FORMAT_VERSION = 1

#: Years over which capex is annualised when a row gives no `lifetime`.
DEFAULT_LIFETIME = 20


def decided_in_horizon(period: int, lead_time: int | None, first_period: int) -> bool:
    """Whether capacity available from ``period`` can have been decided within the horizon:
    ``period - lead_time`` is no earlier than the first period's first year."""
    return period - (lead_time or 0) >= first_period


def in_service(first_year: int | None, last_year: int | None, period: int) -> bool:
    """Whether a facility with these years (blank: open-ended) operates in ``period``."""
    return (first_year is None or period >= first_year) and (last_year is None or period <= last_year)


def capital_recovery_factor(rate: float, lifetime: int) -> float:
    r"""Share of a capex paid each year by an annuity over ``lifetime`` years at ``rate``:
    :math:`\rho / (1 - (1+\rho)^{-L})`, or :math:`1/L` when :math:`\rho = 0` (1/yr)."""
    if rate == 0:
        return 1.0 / lifetime
    return rate / (1.0 - (1.0 + rate) ** -lifetime)


def col(description: str, unit: str = "", ref: str | tuple[str, ...] | None = None, **kw: Any) -> Any:
    """A column: its description and unit travel with the field into docs and messages; ``ref``
    names where its codes must be defined (:mod:`optimizer.core.refs`), which the loader checks."""
    extra: dict[str, Any] = {"unit": unit} if unit else {}
    if ref:
        extra.update(refs.ref(*((ref,) if isinstance(ref, str) else ref)))
    return Field(description=description, json_schema_extra=extra or None, **kw)


class Row(BaseModel):
    """Base of every table row: the free-text columns every table may have (they describe the
    row; the model does not read them).  Any other column not declared by the table is an input
    error (the loader checks every header)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True, allow_inf_nan=False)

    label: str = col("A readable name for the row (free text, for reports).", default="")
    source: str = col("Where the row's numbers come from (free text).", default="")
    confidence: str = col("How sure the row's numbers are (free text; e.g. H, M, L or EST as in the dossier).", default="")
    note: str = col("Anything else about the row: a derivation, a caveat (free text).", default="")


#: The free-text columns of every table (declared on :class:`Row`).
FREE_TEXT = tuple(Row.model_fields)


Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")]


# --------------------------------------------------------------------------------------------
# CSV tables
# --------------------------------------------------------------------------------------------


class CountryRow(Row):
    country: Name = col("Country code, e.g. `CN`, `US`, `AU`.")
    name: str = col("Country name, for reports.", default="")
    groups: str = col(
        "Groups the country belongs to, `;`-separated (e.g. `covered;asia`). The instance's "
        "`provenance_group` (default `covered`) makes material touched.",
        default="",
    )

    @property
    def group_set(self) -> frozenset[str]:
        return frozenset(g.strip() for g in self.groups.split(";") if g.strip())


class ProductRow(Row):
    product: Name = col("Product code, e.g. `ndpr_oxide`.")
    unit: str = col("Unit of one quantity of the product (default t).", default="t")
    surplus_value: float | None = col(
        "Value of output nobody takes: earned (+) or paid (-) per t left over. "
        "Blank: surplus is not allowed (every t made must be shipped or consumed).",
        "USD/t",
        default=None,
    )


class DutyRow(Row):
    """One ad valorem duty: ``rate`` x ``value`` USD/t on the product, from one country into another, in one year."""

    origin: Name = col("Country the goods leave (the country of the lane's origin facility).", ref=refs.COUNTRY)
    destination: Name = col("Importing country (the country of the lane's destination facility or customer).",
                            ref=refs.COUNTRY)
    product: Name = col("Product the duty applies to.", ref=refs.PRODUCT)
    period: int = col("Year (a row applies to its year only).", "year")
    measure: Name = col("Label of the duty, e.g. `MFN`, `IEEPA`, `s301`: the rows of one origin, destination, product "
                        "and year add up.")
    rate: float = col("Duty as a fraction of the customs value (0.25 for 25%).", "fraction", ge=0)
    value: float = col("Customs value of one tonne of the product in that year, on which the rate is charged (one "
                       "value per product and year).", "USD/t", ge=0)


class ProductPriceRow(Row):
    product: Name = col("Product code (must be in products.csv).", ref=refs.PRODUCT)
    period: int = col("Year.", "year")
    surplus_value: float = col(
        "Value of a tonne left over in that year (overrides products.csv's for that year; negative: a disposal "
        "cost). Also the market price a `price_floor` on the product uses when it gives no `market`.",
        "USD/t",
    )


class FacilityRow(Row):
    facility: Name = col("Facility code, unique.")
    stage: Name = col(
        "Stage of the chain (free text): mine, separation, metal, alloy, magnet, recycling, "
        "market, ..."
    )
    country: Name = col("Country code (must be in countries.csv).", ref=refs.COUNTRY)
    capacity: float | None = col(
        "Activity limit per year. Blank: unlimited (a candidate then runs only while open, up to what the data lets "
        "it make: its lanes, the demand and the limits around it).",
        "units of activity/yr",
        default=None,
        ge=0,
    )
    cost: float = col("Variable cost per unit of activity (negative for a credit).", "USD/unit", default=0.0)
    fixed_cost: float = col("Fixed cost per year while open.", "USD/yr", default=0.0, ge=0)
    capex: float = col(
        "Candidates only: cost of building the facility, charged as an annuity over `lifetime` at the discount rate in "
        "every year it is open (blank: 0).", "USD", default=0.0, ge=0,
    )
    lifetime: int | None = col(
        "Candidates with a capex only: years over which the capex is annualised (blank: 20).", "years", default=None, ge=1,
    )
    status: Literal["existing", "candidate"] = col(
        "`existing` (open from first_year to last_year) or `candidate` (opens only if chosen: "
        "a binary decision; once open it stays open to the end of the horizon).",
        default="existing",
    )
    provenance: Literal["auto", "touched", "clean"] = col(
        "What the facility's output is when provenance is tracked: `auto` (by location: touched in the provenance "
        "group; elsewhere clean for a source, and clean or touched after its inputs for the others); `touched` "
        "(always touched, e.g. a collection point of scrap from magnets made in the group, or an open-market purchase); "
        "`clean` (only clean, from clean inputs only; not allowed in the provenance group).",
        default="auto",
    )
    first_year: int | None = col("First year the facility can operate (blank: from the start).", "year", default=None)
    last_year: int | None = col("Last year the facility can operate (blank: to the end).", "year", default=None)
    lead_time: int | None = col(
        "Candidates only: years from the decision to build to the first year the facility can operate. It can open in "
        "a period only if the decision year (the period's first year minus `lead_time`) falls within the horizon "
        "(blank: 0).", "years", default=None, ge=0,
    )

    @field_validator("last_year")
    @classmethod
    def _years_ordered(cls, v: int | None, info: ValidationInfo) -> int | None:
        first = info.data.get("first_year")
        if v is not None and first is not None and v < first:
            raise ValueError(f"expected a year no earlier than first_year ({first})")
        return v


class RecipeRow(Row):
    facility: Name = col("Facility code (must be in facilities.csv).", ref=refs.FACILITY)
    product: Name = col("Product code (must be in products.csv).", ref=refs.PRODUCT)
    direction: Literal["in", "out"] = col("`in`: consumed by the activity; `out`: made by it.")
    ratio: float = col("Tonnes of product per unit of activity; > 0.", "t/unit", gt=0)


class LaneRow(Row):
    origin: Name = col("Shipping facility (must make the product).", ref=refs.FACILITY)
    destination: Name = col("Receiving facility (must use the product) or customer (in demands.csv).",
                            ref=(refs.FACILITY, refs.CUSTOMER))
    product: Name = col("Product shipped.", ref=refs.PRODUCT)
    cost: float = col("Transport and handling cost.", "USD/t", default=0.0, ge=0)
    tariff: float = col("Import duty or other per-tonne charge.", "USD/t", default=0.0, ge=0)
    capacity: float | None = col("Lane limit (blank: unlimited).", "t/yr", default=None, ge=0)


class DemandRow(Row):
    customer: Name = col("Customer code (a lane destination that is not a facility).")
    country: Name = col("Customer's country (must be in countries.csv).", ref=refs.COUNTRY)
    product: Name = col("Product demanded.", ref=refs.PRODUCT)
    period: int = col("Year (must be one of the instance's periods).", "year")
    quantity: float = col("Demand.", "t/yr", ge=0)
    penalty: float | None = col(
        "Cost of each unmet tonne. Blank: the demand is hard (must be met).", "USD/t", default=None, ge=0
    )
    provenance: Literal["any", "clean"] = col(
        "`clean`: only material never mined or processed in the provenance group may be delivered.",
        default="any",
    )


class CapacityRow(Row):
    facility: Name = col("Facility code.", ref=refs.FACILITY)
    period: int = col("Year.", "year")
    capacity: float | None = col(
        "Activity limit in that year (overrides facilities.csv; blank: facilities.csv's).", "units of activity/yr",
        default=None, ge=0,
    )
    cost: float | None = col(
        "Variable cost in that year, e.g. as a tax credit phases out (blank: facilities.csv's).", "USD/unit",
        default=None,
    )
    min_activity: float | None = col(
        "Least activity in that year (must-run: a producer that runs whatever the plan prefers, e.g. "
        "under contract); for a candidate, only while open (blank: none).", "units of activity/yr",
        default=None, ge=0,
    )

    @model_validator(mode="after")
    def _says_something(self) -> "CapacityRow":
        if self.capacity is None and self.cost is None and self.min_activity is None:
            raise ValueError("a capacity.csv row needs a capacity, a cost or a min_activity for its year")
        return self


class LanePeriodRow(Row):
    origin: Name = col("Lane origin (the lane must be in lanes.csv).")
    destination: Name = col("Lane destination.")
    product: Name = col("Lane product.")
    period: int = col("Year.", "year")
    cost: float | None = col("Transport cost in that year (blank: the lane's).", "USD/t", default=None, ge=0)
    tariff: float | None = col("Tariff in that year (blank: the lane's).", "USD/t", default=None, ge=0)
    capacity: float | None = col("Lane limit in that year (blank: the lane's).", "t/yr", default=None, ge=0)


class ExpansionRow(Row):
    facility: Name = col("Facility code (must have a finite capacity).", ref=refs.FACILITY)
    first_period: int = col("First year a step can be built.", "year")
    size: float = col("Capacity added by one step.", "units of activity/yr", gt=0)
    capex: float = col(
        "Cost of building one step, charged as an annuity over `lifetime` at the discount rate in every year from the "
        "year built to the end of the horizon.", "USD/step", default=0.0, ge=0,
    )
    lifetime: int | None = col("Years over which a step's capex is annualised (blank: 20; needs a capex).", "years",
                               default=None, ge=1)
    lead_time: int | None = col(
        "Years from the decision to build a step to the first year its capacity is available: steps can be built in a "
        "period only if its first year minus `lead_time` falls within the horizon (blank: 0).", "years", default=None, ge=0,
    )
    integer: bool = col("`true`: whole steps only (integer decision); `false`: any fraction.", default=False)
    max_steps: float | None = col("Most steps over the horizon (blank: unlimited).", "steps", default=None, ge=0)

    @field_validator("integer", mode="before")
    @classmethod
    def _blank_false(cls, v: Any) -> Any:
        return False if v is None else v


class StorageRow(Row):
    """A store of one product at one facility: stock carried from year to year (a stockpile, an inventory)."""

    facility: Name = col("Facility holding the stock (must make or use the product).", ref=refs.FACILITY)
    product: Name = col("Product held.", ref=refs.PRODUCT)
    capacity: float | None = col("Most that can be held at any time. Blank: unlimited.", "t", default=None, ge=0)
    initial: float = col("Stock held at the start of the first period.", "t", default=0.0, ge=0)
    holding_cost: float = col("Cost of holding one tonne for a year, charged on the level held at the end of each "
                              "year.", "USD/t/yr", default=0.0, ge=0)
    provenance: Literal["auto", "clean", "touched"] = col(
        "Provenance of the initial stock when provenance is tracked: `clean`, `touched`, or `auto` (touched at a "
        "facility in the provenance group, clean elsewhere). Stock added later keeps the tag it arrives with.",
        default="auto",
    )


@dataclass(frozen=True)
class TableSpec:
    name: str
    row: type[Row]
    key: tuple[str, ...]
    required: bool
    summary: str

    @property
    def default_file(self) -> str:
        return f"{self.name}.csv"


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec("countries", CountryRow, ("country",), True, "Countries and the groups they belong to."),
        TableSpec("products", ProductRow, ("product",), True, "Products and the value of unwanted surplus."),
        TableSpec("facilities", FacilityRow, ("facility",), True, "Mines, plants, recyclers and markets."),
        TableSpec("recipes", RecipeRow, ("facility", "product", "direction"), True,
                  "What one unit of a facility's activity consumes and makes (co-products in fixed ratios)."),
        TableSpec("lanes", LaneRow, ("origin", "destination", "product"), True,
                  "Transport links; only listed lanes exist."),
        TableSpec("demands", DemandRow, ("customer", "product", "period"), True, "Customer demand by year."),
        TableSpec("capacity", CapacityRow, ("facility", "period"), False,
                  "Capacity, variable cost and must-run by year (ramp-ups, cost paths); "
                  "a row applies to its year only."),
        TableSpec("expansions", ExpansionRow, ("facility",), False, "Capacity that can be built in steps."),
        TableSpec("lane_periods", LanePeriodRow, ("origin", "destination", "product", "period"), False,
                  "Lane cost, tariff or capacity by year (e.g. a tariff that starts in 2026)."),
        TableSpec("duties", DutyRow, ("origin", "destination", "product", "period", "measure"), False,
                  "Ad valorem duties by origin and destination country, product and year: rate x customs value "
                  "(USD/t), added to the tariff of every lane that carries the product between the two countries."),
        TableSpec("product_prices", ProductPriceRow, ("product", "period"), False,
                  "A product's surplus value (its market price) by year, e.g. the NdPr oxide price path."),
        TableSpec("storage", StorageRow, ("facility", "product"), False,
                  "Stores of a product at a facility (stockpiles, inventories): stock carried from period to period, "
                  "filled and drawn down through the facility's ordinary lanes."),
    )
}


# --------------------------------------------------------------------------------------------
# Policies (instance.yaml)
# --------------------------------------------------------------------------------------------

#: kind -> the policy's row model, from the registry of families.
POLICY_KINDS: dict[str, type[PolicyBase]] = {f.name: f.schema for f in POLICY_FAMILIES}

#: One policy of ``instance.yaml``: its ``kind`` picks the row model.
Policy = Annotated[Union[tuple(POLICY_KINDS.values())], Field(discriminator="kind")]  # type: ignore[valid-type]


# --------------------------------------------------------------------------------------------
# instance.yaml
# --------------------------------------------------------------------------------------------


class Scenario(BaseModel):
    """Named overrides applied on top of the base instance, in the order listed on the command line."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field("", description="What the scenario represents.")
    set: dict[str, Any] = Field(
        default_factory=dict,
        description="Header values to change: `discount_rate`, `provenance_group`, `description`, `period_years`, "
                    "`uncertainty` (the whole block).",
    )
    patch: dict[str, list[dict[str, Any]]] = Field(
        default_factory=dict,
        description="Rows to change or add, by table: each row names its key columns and the columns to set.",
    )
    remove: dict[str, list[dict[str, Any]]] = Field(default_factory=dict, description="Rows to drop, by table, named by key columns.")
    add_policies: list[dict[str, Any]] = Field(default_factory=list, description="Policies to add.")
    remove_policies: list[str] = Field(default_factory=list, description="Names of policies to drop.")
    update_policies: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Policy name -> fields to change (e.g. `{china_cap: {share: 0.5}}`)."
    )

    @field_validator("set", "patch", "remove", "add_policies", "remove_policies", "update_policies", mode="before")
    @classmethod
    def _blank_empty(cls, v: Any, info: ValidationInfo) -> Any:
        # `patch:` with nothing after it (YAML null) means "nothing to patch".
        return _empty_for(cls, info.field_name) if v is None else v


SCENARIO_SCALARS = ("discount_rate", "provenance_group", "description", "period_years", "uncertainty")


def _empty_for(model: type[BaseModel], field_name: str | None) -> Any:
    """The empty value of a list or mapping field (what a YAML null stands for)."""
    f = model.model_fields[field_name or ""]
    return f.default_factory() if f.default_factory is not None else f.default  # type: ignore[call-arg]


class Outcome(BaseModel):
    """One way the future may turn out: named scenarios applied on top of the instance, from the
    ``reveal`` period on, with the probability that it happens."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$", description="Outcome name (a column value in the results).")
    probability: float = Field(gt=0, le=1, description="Probability of the outcome; the outcomes' probabilities sum to 1.")
    scenarios: list[str] = Field(
        default_factory=list,
        description="Scenarios of `scenarios:` that make this outcome, applied in order (none: the instance as it is). "
                    "They may change nothing before `reveal`.",
    )

    @field_validator("scenarios", mode="before")
    @classmethod
    def _blank_empty(cls, v: Any) -> Any:
        return [] if v is None else v


class Risk(BaseModel):
    """What the hedged plan minimises: the expected cost over the outcomes, or a mix of the expected
    cost and the CVaR (the mean cost of the worst ``1 - alpha`` of probability, Rockafellar-Uryasev)."""

    model_config = ConfigDict(extra="forbid")

    measure: Literal["expected", "cvar"] = Field("expected", description="`expected`: minimise the expected cost; `cvar`: "
                                                 "minimise (1 - weight) x expected cost + weight x CVaR at alpha.")
    alpha: float | None = Field(None, gt=0, lt=1, description="CVaR level: the tail is the worst 1 - alpha of probability "
                                                             "(`measure: cvar` only, where it is required).")
    weight: float | None = Field(None, ge=0, le=1, description="Weight of the CVaR in the objective (`measure: cvar` only, "
                                                              "where it is required).")

    @model_validator(mode="after")
    def _fields_of_the_measure(self) -> "Risk":
        if self.measure == "cvar":
            missing = [k for k in ("alpha", "weight") if getattr(self, k) is None]
            if missing:
                raise ValueError(f"measure cvar needs {' and '.join(missing)}, e.g. {{measure: cvar, alpha: 0.9, weight: 0.5}}")
        else:
            given = [k for k in ("alpha", "weight") if getattr(self, k) is not None]
            if given:
                raise ValueError(f"{' and '.join(given)} has no effect with measure expected; expected measure: cvar, "
                                 f"or no {' and no '.join(given)}")
        return self


class Uncertainty(BaseModel):
    """Disruption outcomes for `m2m hedge`: decisions taken before `reveal` are the same in every
    outcome (non-anticipativity); later ones adapt to the outcome. `m2m solve` plans for the
    instance as it is and does not read this block."""

    model_config = ConfigDict(extra="forbid")

    reveal: int = Field(description="First period in which the outcome is known (a period of the instance).")
    reference: str = Field(description="The outcome a plan that ignores risk is made for (the basis of the VSS).")
    risk: Risk = Field(default_factory=Risk, description="What the hedged plan minimises: `{measure: expected}` or "
                                                         "`{measure: cvar, alpha: 0.9, weight: 0.5}`.")
    outcomes: list[Outcome] = Field(min_length=1, description="The outcomes, each `{name, probability, scenarios}`.")

    @field_validator("risk", mode="before")
    @classmethod
    def _blank_risk(cls, v: Any) -> Any:
        return {} if v is None else v

    def outcome(self, name: str) -> Outcome:
        return next(o for o in self.outcomes if o.name == name)


class InstanceHeader(BaseModel):
    """The scalar part of `instance.yaml` (policies and scenarios are validated on their own)."""

    model_config = ConfigDict(extra="forbid")

    format: int = Field(FORMAT_VERSION, description="Instance format version.")
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$", description="Instance name (used for the results folder).")
    description: str = Field("", description="What the instance represents; say if it is illustrative.")
    periods: list[int] = Field(
        min_length=1,
        description="Years modelled, increasing. Each period stands for the years from it to the next one; the last for as "
                    "many years as the one before it (1 when there is only one), unless `period_years` says otherwise.",
    )
    period_years: dict[int, int] = Field(
        default_factory=dict,
        description="Years a period stands for, by period (e.g. `{2035: 10}`). Only the last period's can differ from the "
                    "gap to the next period.",
    )
    discount_rate: float = Field(
        0.0, ge=0, lt=1,
        description="Discount rate per year; a cost in year y weighs (1+r)^-(y - first period), and a period's cost "
                    "counts once for each year it stands for.",
    )
    provenance_group: str = Field("covered", description="Country group whose facilities make material touched.")
    tables: dict[str, str] = Field(default_factory=dict, description="Table name -> CSV path inside the folder (default `<table>.csv`).")
    policies: list[Any] = Field(default_factory=list, description="Security and market policies (see below).")
    scenarios: dict[str, Any] = Field(default_factory=dict, description="Named scenarios (see below).")
    uncertainty: Uncertainty | None = Field(None, description="Disruption outcomes for `m2m hedge` (see below).")

    @field_validator("tables", "policies", "scenarios", "period_years", mode="before")
    @classmethod
    def _blank_empty(cls, v: Any, info: ValidationInfo) -> Any:
        return _empty_for(cls, info.field_name) if v is None else v

    @field_validator("format")
    @classmethod
    def _known_format(cls, v: int) -> int:
        if v != FORMAT_VERSION:
            raise ValueError(f"expected instance format {FORMAT_VERSION}, the format this version of mine2magnet reads")
        return v

    @field_validator("periods")
    @classmethod
    def _increasing(cls, v: list[int]) -> list[int]:
        if any(b <= a for a, b in zip(v, v[1:])):
            raise ValueError("periods must be strictly increasing years")
        return v

    @field_validator("period_years")
    @classmethod
    def _years_fit(cls, v: dict[int, int], info: ValidationInfo) -> dict[int, int]:
        periods = info.data.get("periods")
        if not periods:
            return v
        gaps = dict(zip(periods, (b - a for a, b in zip(periods, periods[1:]))))
        for t, n in v.items():
            if t not in periods:
                raise ValueError(f"{t} is not a period; expected years from {periods}")
            if n < 1:
                raise ValueError(f"period {t} stands for {n} years; expected a whole number >= 1")
            if t in gaps and n != gaps[t]:
                raise ValueError(f"period {t} stands for the {gaps[t]} years up to the next period ({t + gaps[t]}), "
                                 f"got {n}; only the last period's length can be set")
        return v


def period_lengths(periods: list[int] | tuple[int, ...], given: dict[int, int]) -> dict[int, int]:
    """Years each period stands for: up to the next period; the last as long as the one before
    it (1 for a single period), unless ``given`` says otherwise."""
    out = {a: b - a for a, b in zip(periods, periods[1:])}
    last = periods[-1]
    out[last] = given.get(last, out[periods[-2]] if len(periods) > 1 else 1)
    return out

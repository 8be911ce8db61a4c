"""The validated instance: plain data plus the lookups every later stage needs.

An :class:`Instance` is produced only by :func:`optimizer.input.load.load_instance`, after every
check has passed; model building, result checking and reporting read it and never change it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Iterable, Sequence
from pathlib import Path

from ..core.contract import ANY, CLEAN, TOUCHED
from ..core.errors import Finding
from ..core.policy import by_period
from .schema import (
    DEFAULT_LIFETIME,
    TABLES,
    capital_recovery_factor,
    decided_in_horizon,
    in_service,
    CountryRow,
    DemandRow,
    DutyRow,
    ExportCap,
    ExpansionRow,
    FacilityRow,
    LanePeriodRow,
    LaneRow,
    Offtake,
    Uncertainty,
    MaxShare,
    PolicyBase,
    PriceFloor,
    ProductRow,
    RecipeRow,
    StorageRow,
)

__all__ = ["ANY", "CLEAN", "TOUCHED", "Instance", "by_period"]


if TYPE_CHECKING:  # pandas is imported where a table is made: every command starts without it
    import pandas as pd

@dataclass(frozen=True, eq=False)
class Instance:
    name: str
    description: str
    folder: Path
    periods: tuple[int, ...]
    #: Years each period stands for (every period has an entry; see ``schema.period_lengths``).
    period_years: dict[int, int]
    discount_rate: float
    provenance_group: str
    countries: dict[str, CountryRow]
    products: dict[str, ProductRow]
    facilities: dict[str, FacilityRow]
    recipes: tuple[RecipeRow, ...]
    lanes: tuple[LaneRow, ...]
    demands: tuple[DemandRow, ...]
    capacity: dict[tuple[str, int], float]
    period_cost: dict[tuple[str, int], float]
    min_activity: dict[tuple[str, int], float]
    lane_periods: dict[tuple[str, str, str, int], LanePeriodRow]
    #: (product, period) -> surplus value in that year (product_prices.csv)
    product_prices: dict[tuple[str, int], float]
    expansions: tuple[ExpansionRow, ...]
    policies: tuple[PolicyBase, ...]
    #: (facility, product) -> the store's row (storage.csv)
    storage: dict[tuple[str, str], StorageRow] = field(default_factory=dict)
    scenario: tuple[str, ...] = ()
    scenario_names: tuple[str, ...] = ()
    input_digest: str = ""
    warnings: tuple[Finding, ...] = field(default=())
    #: The rows of duties.csv, as given.
    duty_rows: tuple[DutyRow, ...] = ()
    #: The ``uncertainty:`` block (``m2m hedge``), None when there is none.
    uncertainty: Uncertainty | None = None
    #: Line of each outcome in instance.yaml (for messages about an outcome).
    outcome_lines: dict[str, int] = field(default_factory=dict)

    @cached_property
    def duties(self) -> dict[tuple[str, str, str, int], float]:
        """(origin country, destination country, product, period) -> ad valorem duty, the sum of
        rate x value over its measures (USD/t)."""
        out: dict[tuple[str, str, str, int], float] = {}
        for r in self.duty_rows:
            k = (r.origin, r.destination, r.product, r.period)
            out[k] = out.get(k, 0.0) + r.rate * r.value
        return out

    # ---- time -------------------------------------------------------------------------------
    def discount(self, period: int) -> float:
        """Discount factor d_t = (1 + r)^-(t - t0) of a year."""
        return (1.0 + self.discount_rate) ** -(period - self.periods[0])

    def years(self, period: int) -> int:
        """Years period t stands for, n_t."""
        return self.period_years[period]

    def weight(self, period: int) -> float:
        r"""Weight of a period's per-year cost in the objective: :math:`w_t = \sum_{k=0}^{n_t-1} d_{t+k}`.

        The discounted sum over the years the period stands for (n_t for no discounting).
        """
        return self._weights[period]

    @cached_property
    def _weights(self) -> dict[int, float]:
        return {t: sum(self.discount(t + k) for k in range(self.years(t))) for t in self.periods}

    def holding_factor(self, period: int) -> float:
        r"""Discounted years' worth of one t/yr added to a store in period t, per unit of the period's
        weight: :math:`\kappa_t = \sum_{k=1}^{n_t} k\, d_{t+k-1} / w_t` (years).

        A store filled at I t/yr over the period holds k I more at the end of its k-th year, so its
        holding cost over the period is :math:`h\,(w_t L_{t-1} + w_t \kappa_t (I - O))`;
        :math:`\kappa_t = 1` for a one-year period."""
        n = self.years(period)
        return sum(k * self.discount(period + k - 1) for k in range(1, n + 1)) / self.weight(period)

    @property
    def store_tags(self) -> tuple[str, ...]:
        """Provenance tags a store keeps apart: clean and touched when provenance is tracked."""
        return (CLEAN, TOUCHED) if self.tracks_provenance else (ANY,)

    def initial_tag(self, store: StorageRow) -> str:
        """The tag of a store's initial stock: as given, or by location (``auto``)."""
        if not self.tracks_provenance:
            return ANY
        if store.provenance == "auto":
            return TOUCHED if self.is_covered(store.facility) else CLEAN
        return store.provenance

    @property
    def horizon_end(self) -> int:
        """Last year the horizon stands for: the last period plus its years, minus one."""
        return self.periods[-1] + self.years(self.periods[-1]) - 1

    def policy_periods(self, policy: PolicyBase) -> list[int]:
        return [t for t in self.periods if policy.periods is None or t in policy.periods]

    def policies_of(self, kind: type) -> list:
        """The policies of one kind (schema class), in instance order."""
        return [p for p in self.policies if isinstance(p, kind)]

    def values_of(self, policy: PolicyBase, param: str) -> list[tuple[int, float]]:
        """(year, value) of a by-year parameter of ``policy`` in each year it applies in and sets it."""
        value = getattr(policy, param)
        return [(t, v) for t in self.policy_periods(policy) if (v := by_period(value, t)) is not None]

    def policy_values(self, kind: type, param: str) -> list[tuple[PolicyBase, int, float]]:
        """(policy, year, value) over the policies of ``kind``: the rows such a policy makes, in order."""
        return [(pol, t, v) for pol in self.policies_of(kind) for t, v in self.values_of(pol, param)]

    # ---- geography ----------------------------------------------------------------------------
    def group_countries(self, group: str) -> frozenset[str]:
        return frozenset(c for c, row in self.countries.items() if group in row.group_set)

    def country_names(self, codes: Iterable[str]) -> str:
        """Countries in words, for outputs: "China, Russia, ..." (names from countries.csv, by code)."""
        return ", ".join(self.countries[c].name or c if c in self.countries else c for c in sorted(codes))

    def share_group(self, pol: MaxShare) -> tuple[str, frozenset[str]]:
        """(label, countries) of what a share policy measures: its group or countries (location), or
        the provenance group (provenance)."""
        if pol.basis == "provenance":
            return self.provenance_group, self.covered_countries
        if pol.group:
            return pol.group, self.group_countries(pol.group)
        return ";".join(pol.countries or ()), frozenset(pol.countries or ())

    def export_sides(self, pol: ExportCap) -> tuple[frozenset[str], frozenset[str] | None]:
        """(exporting countries, destination countries or None for anywhere) of an export cap;
        worked out once per policy of the instance (``export_counts`` asks it for every flow)."""
        known = self._export_sides.get(pol.name)
        if known is not None and known[0] is pol:
            return known[1]
        return self._sides_of(pol)

    def _sides_of(self, pol: ExportCap) -> tuple[frozenset[str], frozenset[str] | None]:
        exporters = self.group_countries(pol.group) if pol.group else frozenset(pol.countries or ())
        into = self.group_countries(pol.to_group) if pol.to_group else (
            frozenset(pol.to_countries) if pol.to_countries else None)
        return exporters, into

    @cached_property
    def _export_sides(self) -> dict[str | None, tuple[ExportCap, tuple[frozenset[str], frozenset[str] | None]]]:
        return {p.name: (p, self._sides_of(p)) for p in self.policies_of(ExportCap)}

    def export_counts(self, pol: ExportCap, origin: str, destination: str) -> bool:
        """Whether a flow from ``origin`` to ``destination`` leaves the cap's exporters (into its
        destination countries, if given): the flows an export cap counts, of its products."""
        exporters, into = self.export_sides(pol)
        if origin not in self.facilities or self.facilities[origin].country not in exporters:
            return False
        if destination not in self.facilities and destination not in self.customers:
            return False
        dest = self.country_of(destination)
        return dest not in exporters and (into is None or dest in into)

    @staticmethod
    def export_products(pol: ExportCap) -> tuple[str, ...]:
        """The products an export cap counts, in the order given."""
        return (pol.product,) if isinstance(pol.product, str) else tuple(dict.fromkeys(pol.product))

    @cached_property
    def covered_countries(self) -> frozenset[str]:
        return self.group_countries(self.provenance_group)

    @cached_property
    def customers(self) -> dict[str, str]:
        """Customer code -> country."""
        return {d.customer: d.country for d in self.demands}

    def country_of(self, node: str) -> str:
        fac = self.facilities.get(node)
        return fac.country if fac is not None else self.customers[node]

    def is_covered(self, facility: str) -> bool:
        return self.facilities[facility].country in self.covered_countries

    # ---- recipes ----------------------------------------------------------------------------
    @cached_property
    def inputs(self) -> dict[str, dict[str, float]]:
        """facility -> {product: t consumed per unit of activity}."""
        out: dict[str, dict[str, float]] = {f: {} for f in self.facilities}
        for r in self.recipes:
            if r.direction == "in":
                out[r.facility][r.product] = r.ratio
        return out

    @cached_property
    def outputs(self) -> dict[str, dict[str, float]]:
        """facility -> {product: t made per unit of activity}."""
        out: dict[str, dict[str, float]] = {f: {} for f in self.facilities}
        for r in self.recipes:
            if r.direction == "out":
                out[r.facility][r.product] = r.ratio
        return out

    @cached_property
    def origins(self) -> dict[tuple[str, str], list[str]]:
        """(destination, product) -> origins of the lanes delivering it, in lanes.csv order."""
        return {k: [lane.origin for lane in lanes] for k, lanes in self._lanes_in.items()}

    @cached_property
    def pass_through(self) -> frozenset[tuple[str, str]]:
        """(facility, product) pairs the facility both consumes and makes: a hub, port, warehouse
        or toll processor passing the product on.  Their arrivals and their output balance
        separately, so what passes through is activity (bounded by capacity, paying its cost)."""
        return frozenset((f, p) for f in self.facilities for p in self.inputs[f] if p in self.outputs[f])

    def stage_product(self, stage: str, product: str | None = None) -> str | None:
        """The product a stage share is measured in (t): ``product`` if given, else the one product
        every facility at the stage makes (None when they make several or different ones)."""
        if product is not None:
            return product
        made = {frozenset(self.outputs[f]) for f, fac in self.facilities.items() if fac.stage == stage}
        if len(made) == 1:
            (only,) = made
            if len(only) == 1:
                return next(iter(only))
        return None

    def is_source(self, facility: str) -> bool:
        return not self.inputs[facility]

    def active_periods(self, facility: str) -> list[int]:
        """Periods the facility can operate: from ``first_year`` to ``last_year`` and, for a candidate
        with a ``lead_time``, only where the decision to build it falls within the horizon."""
        f = self.facilities[facility]
        return [t for t in self.periods if in_service(f.first_year, f.last_year, t) and self.decided_in_horizon(t, f.lead_time)]

    def decided_in_horizon(self, period: int, lead_time: int | None) -> bool:
        """Whether capacity available from ``period`` can have been decided within the horizon
        (:func:`optimizer.input.schema.decided_in_horizon`)."""
        return decided_in_horizon(period, lead_time, self.periods[0])

    def step_periods(self, e: ExpansionRow) -> list[int]:
        """Periods in which steps of expansion ``e`` can be built (available): from ``first_period``,
        while the facility operates, and decided within the horizon (``lead_time``)."""
        active = self._active[e.facility]
        return [t for t in self.periods if t >= e.first_period and t in active and self.decided_in_horizon(t, e.lead_time)]

    @cached_property
    def _active(self) -> dict[str, frozenset[int]]:
        return {f: frozenset(self.active_periods(f)) for f in self.facilities}

    @cached_property
    def _demand_rows(self) -> dict[tuple[str, str, int], DemandRow]:
        return {(d.customer, d.product, d.period): d for d in self.demands}

    def lane_tags(self, lane: LaneRow, period: int) -> tuple[str, ...]:
        """Provenance tags the lane can carry in ``period`` (a flow exists for each): none unless its
        origin operates that year and its destination can take the product then (a facility that
        operates, or a customer with a demand for it that year); the origin's output tags, only
        the clean one to a customer who takes only clean material."""
        o, d = lane.origin, lane.destination
        if period not in self._active[o]:
            return ()
        tags = self.output_tags(o)
        if d in self.facilities:
            return tags if period in self._active[d] else ()
        demand = self._demand_rows.get((d, lane.product, period))
        if demand is None:
            return ()
        return tuple(g for g in tags if g == CLEAN) if demand.provenance == CLEAN else tags

    def base_capacity(self, facility: str, period: int) -> float | None:
        """Capacity before expansions (units of activity/yr); None = unlimited."""
        return self.capacity.get((facility, period), self.facilities[facility].capacity)

    @cached_property
    def demand_quantity(self) -> dict[tuple[str, str, int], float]:
        """(customer, product, period) -> demand (t/yr)."""
        return {(d.customer, d.product, d.period): d.quantity for d in self.demands}

    def _lanes_by(self, end: str) -> dict[tuple[str, str], list[LaneRow]]:
        """Lanes grouped by (their ``end``, product), in lanes.csv order."""
        out: dict[tuple[str, str], list[LaneRow]] = {}
        for lane in self.lanes:
            out.setdefault((getattr(lane, end), lane.product), []).append(lane)
        return out

    @cached_property
    def _lanes_out(self) -> dict[tuple[str, str], list[LaneRow]]:
        return self._lanes_by("origin")

    @cached_property
    def _lanes_in(self) -> dict[tuple[str, str], list[LaneRow]]:
        return self._lanes_by("destination")

    def lane_bound(self, lane: LaneRow, period: int) -> float:
        r"""Most that can flow on a lane in a year, from the data (t/yr; inf when nothing bounds it):
        the least of its capacity, what its origin can make of the product
        (:math:`r^{out} \bar{x}`) and what its destination can take (a customer's demand, or a
        facility's :math:`r^{in} \bar{x}`), with :math:`\bar{x}` from :meth:`activity_bound`."""
        return self._bounds.lane(lane, period)

    def activity_bound(self, facility: str, period: int) -> float:
        r"""An upper bound on a facility's activity in a year implied by the data (units/yr; inf when
        none can be derived): the least of its capacity, and, over its products, what can leave
        (:math:`\sum_{\text{lanes out}} \text{lane bound} / r^{out}`, for an output without a surplus
        value) and what can arrive (:math:`\sum_{\text{lanes in}} \text{lane bound} / r^{in}`, for an
        input).  Used to link an unlimited candidate's activity to its open decision without an
        arbitrary big-M; it ignores expansions, which only unlimited facilities cannot have."""
        return self._bounds.activity(facility, period)

    @cached_property
    def _bounds(self) -> "_Bounds":
        return _Bounds(self)

    def cost(self, facility: str, period: int) -> float:
        """Variable cost per unit of activity in that year (USD/unit)."""
        return self.period_cost.get((facility, period), self.facilities[facility].cost)

    # ---- prices -----------------------------------------------------------------------------
    def surplus_value(self, product: str, period: int) -> float | None:
        """Value of a tonne of ``product`` left over in that year (USD/t); None: no surplus allowed."""
        return self.product_prices.get((product, period), self.products[product].surplus_value)

    def floor_market(self, pol: PriceFloor, period: int) -> float | None:
        """The market price a price floor compares with in that year (USD/t): its own, or the product's value."""
        if pol.market is not None:
            return by_period(pol.market, period)
        return self.surplus_value(pol.product, period)

    def floor_payout(self, pol: PriceFloor, period: int) -> float:
        """What the floor pays per t of covered product in that year: max(0, floor - market) (USD/t); 0 where the
        floor or the market price is not set."""
        floor, market = by_period(pol.floor, period), self.floor_market(pol, period)
        if floor is None or market is None:
            return 0.0
        return max(0.0, floor - market)

    # ---- capital ----------------------------------------------------------------------------
    def annuity(self, capex: float, lifetime: int | None) -> float:
        """Yearly charge of a capex over its lifetime at the discount rate (USD/yr): capex x CRF."""
        return capex * capital_recovery_factor(self.discount_rate, lifetime or DEFAULT_LIFETIME) if capex else 0.0

    def open_annuity(self, facility: str) -> float:
        """A candidate's capex as a yearly charge while it is open (USD/yr)."""
        f = self.facilities[facility]
        return self.annuity(f.capex, f.lifetime)

    def step_annuity(self, expansion: ExpansionRow) -> float:
        """An expansion step's capex as a yearly charge from the year built (USD/yr per step)."""
        return self.annuity(expansion.capex, expansion.lifetime)

    def _lane_value(self, lane: LaneRow, period: int, column: str):
        row = self.lane_periods.get((lane.origin, lane.destination, lane.product, period))
        value = None if row is None else getattr(row, column)
        return getattr(lane, column) if value is None else value

    def lane_cost(self, lane: LaneRow, period: int) -> float:
        """Transport cost on the lane in that year (USD/t)."""
        return self._lane_value(lane, period, "cost")

    def lane_tariff(self, lane: LaneRow, period: int) -> float:
        """Tariff on the lane in that year (USD/t): its own (lanes.csv, lane_periods.csv) plus the ad
        valorem duties (duties.csv) from its origin's country into its destination's on its product."""
        return self._lane_value(lane, period, "tariff") + self.lane_duty(lane, period)

    def lane_duty(self, lane: LaneRow, period: int) -> float:
        r"""Ad valorem duties on the lane in that year, :math:`\sum_m \text{rate}_m \times \text{value}` (USD/t)."""
        if not self.duties:
            return 0.0
        key = (self.facilities[lane.origin].country, self.country_of(lane.destination), lane.product, period)
        return self.duties.get(key, 0.0)

    def lane_capacity(self, lane: LaneRow, period: int) -> float | None:
        """Lane limit in that year (t/yr); None = unlimited."""
        return self._lane_value(lane, period, "capacity")

    # ---- provenance -------------------------------------------------------------------------
    @cached_property
    def tracks_provenance(self) -> bool:
        """True when a customer or policy cares whether material is clean."""
        if any(d.provenance == CLEAN for d in self.demands):
            return True
        for p in self.policies:
            if isinstance(p, MaxShare) and p.basis == "provenance":
                return True
            if isinstance(p, Offtake) and p.provenance == CLEAN:
                return True
        return False

    def touched_only(self, facility: str) -> bool:
        """True when everything the facility makes is touched: it is in the provenance group, or
        marked ``provenance: touched`` (e.g. it collects scrap of magnets made in the group)."""
        return self.is_covered(facility) or self.facilities[facility].provenance == TOUCHED

    def output_tags(self, facility: str) -> tuple[str, ...]:
        """Provenance tags a facility's activity can carry.

        Facilities in the provenance group, and those marked ``touched``, make only touched output;
        those marked ``clean``, and sources elsewhere (no inputs to taint them), make only clean
        output; other facilities run a clean and a touched mode.
        """
        if not self.tracks_provenance:
            return (ANY,)
        if self.touched_only(facility):
            return (TOUCHED,)
        if self.is_source(facility) or self.facilities[facility].provenance == CLEAN:
            return (CLEAN,)
        return (CLEAN, TOUCHED)

    def offtake_counts(self, pol: Offtake, origin: str, tag: str) -> bool:
        """Whether a delivery from ``origin`` with provenance ``tag`` counts towards offtake ``pol``."""
        return (
            (pol.provenance != CLEAN or tag == CLEAN)
            and (pol.countries is None or self.facilities[origin].country in pol.countries)
            and (pol.facilities is None or origin in pol.facilities)
        )

    # ---- tables -----------------------------------------------------------------------------
    def table(self, name: str) -> pd.DataFrame:
        """A table as a DataFrame with the schema's columns (for reports and checks)."""
        import pandas as pd

        rows = {
            "countries": self.countries.values(),
            "products": self.products.values(),
            "facilities": self.facilities.values(),
            "recipes": self.recipes,
            "lanes": self.lanes,
            "demands": self.demands,
            "expansions": self.expansions,
            "storage": self.storage.values(),
        }.get(name)
        spec = TABLES[name]
        columns = list(spec.row.model_fields)
        if name == "lane_periods":
            data = [r.model_dump() for r in self.lane_periods.values()]
        elif name == "duties":
            data = [r.model_dump() for r in self.duty_rows]
        elif name == "product_prices":
            data = [{"product": p, "period": t, "surplus_value": v} for (p, t), v in self.product_prices.items()]
        elif name == "capacity":
            keys = sorted(set(self.capacity) | set(self.period_cost))
            keys = sorted(set(keys) | set(self.min_activity))
            data = [{"facility": f, "period": t, "capacity": self.capacity.get((f, t)), "cost": self.period_cost.get((f, t)),
                     "min_activity": self.min_activity.get((f, t))} for f, t in keys]
        else:
            data = [r.model_dump() for r in rows]  # type: ignore[union-attr]
        return pd.DataFrame(data, columns=columns)

    def with_policy_value(self, name: str, param: str, value: float, periods: Sequence[int] | None = None) -> "Instance":
        """This instance with policy ``name``'s numeric ``param`` set to ``value``.

        In ``periods`` only (a by-year value results), or in every year the policy applies
        (a by-year value keeps its years).  The changed policy is validated again by its model;
        everything else is shared with this instance.  Used by sweeps and to re-check their points.
        """
        pol = self.policy(name)
        old = getattr(pol, param)
        if old is None and isinstance(pol, PriceFloor) and param == "market":  # the product's price path
            old = {t: m for t in self.policy_periods(pol) if (m := self.floor_market(pol, t)) is not None}
        if param == "count":
            value = int(value)
        if periods is None:
            new = {t: value for t in old} if isinstance(old, dict) else value
        else:
            base = dict(old) if isinstance(old, dict) else {t: old for t in self.policy_periods(pol)}
            new = dict(sorted({**base, **{t: value for t in periods}}.items()))
        changed = type(pol).model_validate({**pol.model_dump(), param: new})
        return replace(self, policies=tuple(changed if p.name == name else p for p in self.policies))

    def policy(self, name: str) -> PolicyBase:
        for p in self.policies:
            if p.name == name:
                return p
        raise KeyError(name)


class _Bounds:
    """Data-derived bounds on activity and lane flow (see :meth:`Instance.activity_bound`).

    The recursion walks the network both ways; a facility already on the path counts as
    unbounded, so every value is a valid (if sometimes loose) upper bound.
    """

    def __init__(self, inst: Instance):
        self.inst = inst
        self.memo: dict[tuple[str, int], float] = {}
        self.path: set[tuple[str, int]] = set()
        self.expandable = {e.facility for e in inst.expansions}

    def activity(self, f: str, t: int) -> float:
        key = (f, t)
        if key in self.memo:
            return self.memo[key]
        inst = self.inst
        if t not in inst.active_periods(f):
            return 0.0
        if key in self.path:
            return math.inf
        self.path.add(key)
        try:
            cap = None if f in self.expandable else inst.base_capacity(f, t)  # expansions add to the base
            best = math.inf if cap is None else cap
            for p, r in inst.outputs[f].items():
                if inst.surplus_value(p, t) is None:
                    best = min(best, sum(self.lane(l, t, skip_origin=True) for l in inst._lanes_out.get((f, p), [])) / r)
            for p, r in inst.inputs[f].items():
                best = min(best, sum(self.lane(l, t, skip_destination=True) for l in inst._lanes_in.get((f, p), [])) / r)
        finally:
            self.path.discard(key)
        self.memo[key] = best
        return best

    def lane(self, lane: LaneRow, t: int, skip_origin: bool = False, skip_destination: bool = False) -> float:
        inst = self.inst
        cap = inst.lane_capacity(lane, t)
        best = math.inf if cap is None else cap
        o, d, p = lane.origin, lane.destination, lane.product
        if not skip_origin:
            best = min(best, inst.outputs[o][p] * self.activity(o, t))
        if not skip_destination:
            if d in inst.facilities:
                best = min(best, inst.inputs[d][p] * self.activity(d, t))
            else:
                best = min(best, inst.demand_quantity.get((d, p, t), 0.0))
        return best

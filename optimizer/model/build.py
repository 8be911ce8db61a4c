r"""Stage 2: build the Pyomo model from a validated instance.

The model is a linear program (a MILP when candidate facilities or integer expansions exist).
Every index set is built from the data: a flow variable exists only for a lane that exists, in
a period when its origin operates, with a provenance tag both ends accept.  Each constraint
family is one module of :mod:`optimizer.families` whose docstring states its formula and units;
this module makes the variables, hands them to each family's ``build`` (a
:class:`~optimizer.families.base.BuildContext`) and makes the Pyomo rows it returns.  Costs
register themselves per term and period, so the objective and the reported cost breakdown are
the same expressions.

Notation (all per period t, a year):

* ``x[f,g,t]``  activity of facility f in provenance mode g (units of activity/yr)
* ``F[o,d,p,g,t]``  flow on lane (o, d, p) with tag g (t/yr)
* ``S[f,p,g,t]``  surplus of product p left at f (t/yr)
* ``D[f,p,t]``  clean input downgraded to touched at f (t/yr)
* ``U[k,p,t]``  unmet demand (t/yr)
* ``y[f,t]``  1 if candidate facility f is open (binary)
* ``z[e,t]``  expansion steps of e built in t (continuous or integer)
* ``r^in[f,p]``, ``r^out[f,p]``  recipe ratios (t per unit of activity)
* ``d_t = (1+r)^-(t - t0)``  discount factor

Tags g: ``any`` when no customer or policy cares about provenance; otherwise ``clean`` and
``touched``.  Facilities in the provenance group run only touched; sources elsewhere only clean.
"""

from __future__ import annotations

import copy
import gc
import logging
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Callable, Iterator

import pyomo.core as pyo  # the modelling layer only: pyomo.environ would also load every solver plugin
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression
from pyomo.core.expr.relational_expr import EqualityExpression, InequalityExpression, RangedExpression

from ..core import contract
from ..input.instance import CLEAN, TOUCHED, Instance
from ..families import FAMILIES, POLICY_FAMILIES, STRENGTHENING, BuildContext, DualSpec, PolicyFamily
from ..families.storage_level import previous

#: Cost terms the model registers: the contract's, and a relaxed model's violation.
MODEL_TERMS = (*contract.COST_TERMS, contract.VIOLATION_TERM)

Terms = list[tuple[float, object]]


def lin(terms: Terms, constant: float = 0.0) -> LinearExpression:
    """A linear expression from (coefficient, variable) pairs, built without operator overhead."""
    args: list = [constant] if constant else []
    args.extend(v if c == 1 else MonomialTermExpression((c, v)) for c, v in terms if c)
    return LinearExpression(args)


def lin_value(expr: LinearExpression) -> float:
    """The value of an expression made by :func:`lin`, from its variables' values: the products and
    the left-to-right sum Pyomo's evaluator makes (the same float), without its generic visitor."""
    parts = []
    for a in expr.args:
        if a.__class__ is MonomialTermExpression:
            c, v = a.args
            parts.append(c * v.value)
        elif a.__class__ in (int, float):
            parts.append(a)
        else:
            parts.append(a.value)
    return sum(parts)


def rel(lo, body, hi):
    """The relational expression lo <= body <= hi, made directly (no tuple parsing per row)."""
    if lo is None:
        return InequalityExpression((body, hi), False)
    if hi is None:
        return InequalityExpression((lo, body), False)
    if lo == hi:
        return EqualityExpression((body, hi))
    return RangedExpression((lo, body, hi), (False, False))


@contextmanager
def paused_gc() -> Iterator[None]:
    """Building creates many small objects; the cyclic collector only slows that down."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class Built:
    """The Pyomo model plus the sparse index lists and cost expressions it was built from."""

    model: pyo.ConcreteModel
    inst: Instance
    relaxed: bool
    costs: dict[str, dict[int, object]] = field(default_factory=dict)
    families: dict[str, DualSpec] = field(default_factory=dict)
    share_rows: dict[tuple[str, int], dict] = field(default_factory=dict)
    slacks: dict[str, str] = field(default_factory=dict)
    build_seconds: float = 0.0
    #: Provenance labelling: among equally cheap plans, the solver keeps clean material clean by
    #: minimising ``downgrade`` (these variables) with each tag group's total held.
    downgrades: list = field(default_factory=list)
    tag_groups: list[list] = field(default_factory=list)
    #: ... and then, among those labellings, delivers the least touched material to buyers.
    touched_deliveries: list = field(default_factory=list)
    #: Constraint families that only strengthen the LP relaxation of a MILP (valid inequalities
    #: implied once the integers are integral); left out of the LP that prices a MILP.
    strengthening: set[str] = field(default_factory=set)
    #: open_link rows (unlimited candidates) -> their open decision: freed in the LP that prices a
    #: MILP where the candidate is open (implied there; only its data-derived bound would price).
    open_links: dict = field(default_factory=dict)
    #: (destination, product, period) -> [(origin, tag, flow variable)]: what arrives where.
    flows_in: dict[tuple[str, str, int], list[tuple[str, str, object]]] = field(default_factory=dict)

    #: Transfers (``TRANSFER_TERMS``) per term and period, USD/yr: reported, not in the objective.
    transfers: dict[str, dict[int, object]] = field(default_factory=dict)
    #: What the matrices are assembled from (:mod:`optimizer.model.standard_form`): each constraint
    #: component with its rows ``key -> (lower, terms, upper)``, in the order added, and the
    #: objective as ``(weight, terms, constant)`` per cost term and period, in objective order.
    row_blocks: list[tuple[pyo.Constraint, dict]] = field(default_factory=list)
    objective_parts: list[tuple[float, Terms, float]] = field(default_factory=list)
    cost_terms: dict[tuple[str, int], tuple[Terms, float]] = field(default_factory=dict)
    #: The builder, kept when the model was built ``reusable``: what :func:`remake_policies` makes
    #: the policies' rows again with (None otherwise: the builder is freed once the model is built).
    builder: object = field(default=None, repr=False)

    def add_cost(self, term: str, period: int, terms: Terms, constant: float = 0.0) -> None:
        if terms or constant:
            self.costs.setdefault(term, {})[period] = lin(terms, constant)
            self.cost_terms[term, period] = (terms, constant)

    def add_transfer(self, term: str, period: int, terms: Terms) -> None:
        if terms:
            self.transfers.setdefault(term, {})[period] = lin(terms)

    @property
    def n_variables(self) -> int:
        """How many variables the model has (columns the matrices leave out included)."""
        return sum(len(var) for var in self.model.component_objects(pyo.Var, descend_into=True))

    def weight(self, period: int) -> float:
        """Objective weight of a period's per-year quantities: the discounted years it stands for."""
        return self.inst.weight(period)

    def share_denominator(self, k: tuple[str, int]) -> float:
        """The denominator of share row ``k`` in the solved plan (t/yr)."""
        return float(pyo.value(self.share_rows[k]["den"]))


# ============================================================================================
# index sets
# ============================================================================================


@dataclass
class Index:
    act: list[tuple[str, str, int]] = field(default_factory=list)
    flow: list[tuple[str, str, str, str, int]] = field(default_factory=list)
    surplus: list[tuple[str, str, str, int]] = field(default_factory=list)
    downgrade: list[tuple[str, str, int]] = field(default_factory=list)
    unmet: list[tuple[str, str, int]] = field(default_factory=list)
    open: list[tuple[str, int]] = field(default_factory=list)
    steps: list[tuple[str, int]] = field(default_factory=list)
    stock: list[tuple[str, str, str, int]] = field(default_factory=list)
    store_io: list[tuple[str, str, str, int]] = field(default_factory=list)


def build_index(inst: Instance) -> Index:
    """Sparse index lists: only what the data makes possible."""
    ix = Index()
    active = {f: set(inst.active_periods(f)) for f in inst.facilities}

    for f, fac in inst.facilities.items():
        for t in inst.periods:
            if t in active[f]:
                ix.act.extend((f, g, t) for g in inst.output_tags(f))
                if fac.status == "candidate":
                    ix.open.append((f, t))

    for lane in inst.lanes:
        o, d, p = lane.origin, lane.destination, lane.product
        for t in inst.periods:
            ix.flow.extend((o, d, p, g, t) for g in inst.lane_tags(lane, t))

    for f in inst.facilities:
        for p in inst.outputs[f]:
            ix.surplus.extend((f, p, g, t) for g in inst.output_tags(f) for t in inst.periods
                              if t in active[f] and inst.surplus_value(p, t) is not None)

    for (f, p) in inst.storage:
        for g in inst.store_tags:
            ix.stock.extend((f, p, g, t) for t in inst.periods)
            ix.store_io.extend((f, p, g, t) for t in inst.periods if t in active[f])

    if inst.tracks_provenance:
        clean_in = {(d, p, t) for (o, d, p, g, t) in ix.flow if g == CLEAN and d in inst.facilities}
        clean_in |= {(f, p, t) for (f, p, g, t) in ix.store_io if g == CLEAN and p in inst.inputs[f]}
        for f in inst.facilities:
            if TOUCHED in inst.output_tags(f):
                ix.downgrade.extend((f, p, t) for p in inst.inputs[f] for t in inst.periods if (f, p, t) in clean_in)

    ix.unmet = [(d.customer, d.product, d.period) for d in inst.demands if d.penalty is not None]
    for e in inst.expansions:
        ix.steps.extend((e.facility, t) for t in inst.step_periods(e))
    return ix


# ============================================================================================
# the builder
# ============================================================================================


class _Builder:
    def __init__(self, inst: Instance, relax: bool):
        self.inst = inst
        self.relax = relax
        self.m = m = pyo.ConcreteModel(name=inst.name)
        self.ix = ix = build_index(inst)
        self.built = Built(m, inst, relax)

        m.activity = pyo.Var(ix.act, within=pyo.NonNegativeReals, dense=True)
        m.flow = pyo.Var(ix.flow, within=pyo.NonNegativeReals, dense=True)
        m.surplus = pyo.Var(ix.surplus, within=pyo.NonNegativeReals, dense=True)
        m.downgrade = pyo.Var(ix.downgrade, within=pyo.NonNegativeReals, dense=True)
        m.unmet = pyo.Var(ix.unmet, within=pyo.NonNegativeReals, dense=True)
        m.stock = pyo.Var(ix.stock, within=pyo.NonNegativeReals, dense=True)
        m.store_in = pyo.Var(ix.store_io, within=pyo.NonNegativeReals, dense=True)
        m.store_out = pyo.Var(ix.store_io, within=pyo.NonNegativeReals, dense=True)
        m.open = pyo.Var(ix.open, within=pyo.Binary, dense=False)
        integer = {e.facility for e in inst.expansions if e.integer}
        m.steps = pyo.Var(
            ix.steps, within=lambda _m, f, t: pyo.NonNegativeIntegers if f in integer else pyo.NonNegativeReals, dense=False
        )

        # Variable objects pulled into plain dicts once: rules below only look them up.
        self.x = dict(m.activity.items())
        self.F = dict(m.flow.items())
        self.S = dict(m.surplus.items())
        self.D = dict(m.downgrade.items())
        self.U = dict(m.unmet.items())
        self.L = dict(m.stock.items())
        self.I = dict(m.store_in.items())
        self.O = dict(m.store_out.items())
        self.y = {k: m.open[k] for k in ix.open}
        self.z = {k: m.steps[k] for k in ix.steps}

        self.acts_of: dict[tuple[str, int], list[tuple[str, object]]] = defaultdict(list)
        for (f, g, t), v in self.x.items():
            self.acts_of[f, t].append((g, v))
        self.flows_in: dict[tuple[str, str, int], list[tuple[str, str, object]]] = defaultdict(list)
        for (o, d, p, g, t), v in self.F.items():
            self.flows_in[d, p, t].append((o, g, v))
        self.built.flows_in = self.flows_in
        self.lane = {(l.origin, l.destination, l.product): l for l in inst.lanes}
        self.flows_of: dict[tuple[str, int], list[tuple[str, str, object]]] = defaultdict(list)
        for (o, d, p, _g, t), v in self.F.items():
            self.flows_of[p, t].append((o, d, v))
        #: Policies' payments per (term, period): cost terms and transfers.
        self.payouts: dict[tuple[str, int], Terms] = defaultdict(list)
        self.transfer_terms: dict[tuple[str, int], Terms] = defaultdict(list)
        #: When not None, ``add_rows`` collects the rows here instead of adding them to the model.
        self.capture: dict[str, dict] | None = None

    # ---- helpers ----------------------------------------------------------------------------
    def slack(self, family: str, index: list, description: str) -> dict:
        """Named, penalised slack variables for one family (only in relaxed mode)."""
        if not self.relax or not index:
            return {}
        var = pyo.Var(index, within=pyo.NonNegativeReals, dense=False)
        self.m.add_component(f"{family}_violation", var)
        self.built.slacks[family] = description
        return {k: var[k] for k in index}

    def output_of(self, f: str, t: int, product: str | None, tag: str | None = None) -> Terms:
        """Production of ``product`` (or activity, if None) at f in t, optionally of one tag."""
        ratio = 1.0 if product is None else self.inst.outputs[f].get(product, 0.0)
        if not ratio:
            return []
        return [(ratio, v) for g, v in self.acts_of.get((f, t), []) if tag is None or g == tag]

    def tag_groups(self) -> None:
        """Variables that differ only by provenance tag: their totals are what the plan decides."""
        b = self.built
        b.downgrades = list(self.D.values())
        if not b.downgrades:
            return
        groups: dict[tuple, list] = defaultdict(list)
        for (f, _g, t), v in self.x.items():
            groups["activity", f, t].append(v)
        for (o, d, p, _g, t), v in self.F.items():
            groups["flow", o, d, p, t].append(v)
        for (f, p, _g, t), v in self.S.items():
            groups["surplus", f, p, t].append(v)
        for name, table in (("stock", self.L), ("store_in", self.I), ("store_out", self.O)):
            for (f, p, _g, t), v in table.items():
                groups[name, f, p, t].append(v)
        b.tag_groups = [vs for vs in groups.values() if len(vs) > 1]
        b.touched_deliveries = [v for (_o, d, _p, g, _t), v in self.F.items()
                                if g == TOUCHED and d not in self.inst.facilities]

    # ---- build ------------------------------------------------------------------------------
    def build(self) -> Built:
        for step in (
            self.families,
            self.cost_terms,
            self.tag_groups,
        ):
            step()
        self.objective()
        return self.built

    # ---- the families -----------------------------------------------------------------------
    def context(self) -> BuildContext:
        """What each family's ``build`` is given."""
        return BuildContext(
            inst=self.inst, built=self.built, activity=self.x, flow=self.F, surplus=self.S, downgrade=self.D,
            unmet=self.U, open=self.y, steps=self.z, acts_of=self.acts_of, flows_in=self.flows_in,
            flows_of=self.flows_of, lanes=self.lane, output_of=self.output_of, expression=lin, add_rows=self.add_rows,
            slack=self.slack, constrain=self.constrain, payout=self.payout, memo={},
            stock=self.L, store_in=self.I, store_out=self.O,
        )

    def families(self) -> None:
        """Each family's rows (see :mod:`optimizer.families`), in the registry's order; the
        dual specs of those that report duals."""
        ctx = self.context()
        self.built.strengthening = set(STRENGTHENING)
        for family in FAMILIES:
            family.build(ctx)
            if isinstance(family.dual, DualSpec):
                self.built.families[family.name] = family.dual

    def policy_rows(self, inst: Instance) -> _Builder:
        """A copy of this builder that has made the policy families' rows for ``inst`` (this model's
        variables), collected in its ``capture`` and its ``built`` (a scratch one), and its payouts:
        nothing is added to the model."""
        probe = copy.copy(self)
        probe.inst, probe.built, probe.capture = inst, Built(self.m, inst, self.relax), {}
        probe.payouts, probe.transfer_terms = defaultdict(list), defaultdict(list)
        ctx = probe.context()
        for family in POLICY_FAMILIES:
            family.build(ctx)
        return probe

    def add_rows(self, name: str, rows: dict[tuple, tuple[float | None, Terms, float | None]]) -> pyo.Constraint:
        """The constraint component ``name``: one row ``lower <= sum(terms) <= upper`` per key, in key order."""
        if self.capture is not None:
            self.capture[name] = rows
            return None
        comp = pyo.Constraint(list(rows), rule=lambda _m, *k: rel(rows[k][0], lin(rows[k][1]), rows[k][2]))
        self.m.add_component(name, comp)
        self.built.row_blocks.append((comp, rows))
        return comp

    def constrain(self, family: PolicyFamily, make: Callable) -> None:
        """Rows of one policy family: ``make(policy, year, value)`` for every policy of its kind and
        year in which it sets the family's ``param``; a slack per row when relaxed; rows with no
        terms that hold are left out."""
        raw: dict = {}
        for pol, t, value in self.inst.policy_values(family.schema, family.param):
            made = make(pol, t, value)
            if made is not None:
                raw.update(made)
        slack = self.slack(family.name, list(raw), family.slack) if family.slack else {}
        le = family.sense == "<="
        rows = {}
        for k, (terms, rhs) in raw.items():
            if not terms and k not in slack and (rhs >= 0 if le else rhs <= 0):
                continue  # nothing to constrain, and trivially satisfied
            body = terms + ([(-1.0 if le else 1.0, slack[k])] if k in slack else [])
            rows[k] = (None, body, rhs) if le else (rhs, body, None)
        self.add_rows(family.name, rows)

    def payout(self, term: str, period: int, terms: Terms, accounting: str) -> None:
        """A policy's payment: a cost term (``accounting: cost``) or a transfer, added up per year."""
        (self.payouts if accounting == "cost" else self.transfer_terms)[term, period].extend(terms)

    # ---- costs and objective ----------------------------------------------------------------
    def cost_terms(self) -> None:
        r"""Register each cost term per period (undiscounted USD/yr):

        production :math:`\sum c_{ft} x`; transport :math:`\sum c_{odpt} F`; tariff
        :math:`\sum \tau_{odp} F`; fixed :math:`\sum \phi_f y` (+ existing facilities' fixed cost,
        a constant); capex, as annuities :math:`A = \kappa \cdot CRF(\rho, L)` in every year the capacity
        is available, :math:`\sum_e A_e \sum_{\tau \le t} z[e,\tau] + \sum_f A_f y[f,t]`;
        unmet_penalty :math:`\sum \pi U`; surplus
        :math:`-\sum v_{pt} S`; price_floor :math:`\sum \max(0, \text{floor}-\text{market}) r^{out} x` for
        floors with ``accounting: cost`` (with ``transfer``, the default, the same payout is registered as a
        transfer, reported but not in the objective); violation (relaxed models only) :math:`\sum` slacks.
        """
        inst, b = self.inst, self.built
        by_t: dict[str, dict[int, Terms]] = {term: defaultdict(list) for term in MODEL_TERMS}
        const: dict[tuple[str, int], float] = defaultdict(float)
        for (f, _g, t), v in self.x.items():
            by_t["production"][t].append((inst.cost(f, t), v))
        for (o, d, p, _g, t), v in self.F.items():
            lane = self.lane[o, d, p]
            by_t["transport"][t].append((inst.lane_cost(lane, t), v))
            by_t["tariff"][t].append((inst.lane_tariff(lane, t), v))
        for f, fac in inst.facilities.items():
            if fac.fixed_cost:
                for t in inst.active_periods(f):
                    if fac.status == "existing":
                        const["fixed", t] += fac.fixed_cost
                    else:
                        by_t["fixed"][t].append((fac.fixed_cost, self.y[f, t]))
        annuity = {e.facility: inst.step_annuity(e) for e in inst.expansions}
        for (f, tau), v in self.z.items():
            if annuity[f]:
                for t in inst.active_periods(f):
                    if t >= tau:
                        by_t["capex"][t].append((annuity[f], v))
        for (f, t), v in self.y.items():
            if inst.facilities[f].capex:
                by_t["capex"][t].append((inst.open_annuity(f), v))
        penalty = {(d.customer, d.product, d.period): d.penalty for d in inst.demands}
        for k, v in self.U.items():
            by_t["unmet_penalty"][k[2]].append((penalty[k], v))
        for (f, p, _g, t), v in self.S.items():
            by_t["surplus"][t].append((-inst.surplus_value(p, t), v))  # type: ignore[operator]
        self.holding(by_t, const)
        for (term, t), terms in self.payouts.items():
            by_t[term][t].extend(terms)
        for (term, t), terms in self.transfer_terms.items():
            b.add_transfer(term, t, terms)
        if self.relax:
            for name in self.built.slacks:
                var = getattr(self.m, f"{name}_violation")
                for k in var:
                    by_t["violation"][k[-1]].append((1.0, var[k]))
        for term in MODEL_TERMS:
            for t in inst.periods:
                b.add_cost(term, t, by_t[term].get(t, []), const.get((term, t), 0.0))

    def holding(self, by_t: dict[str, dict[int, Terms]], const: dict[tuple[str, int], float]) -> None:
        r"""The ``holding`` term (USD/yr in period t): the holding cost on the level at the end of each
        year, :math:`h\,(L_{t^-} + \kappa_t \sum_g (I_t - O_t))` summed over tags, with
        :math:`L_{t^-}` the initial stock in the first period and :math:`\kappa_t` =
        ``Instance.holding_factor`` (1 for a one-year period)."""
        inst = self.inst
        before = previous(inst.periods)
        for (f, p), st in inst.storage.items():
            h = st.holding_cost
            if not h:
                continue
            for t in inst.periods:
                prev = before[t]
                if prev is None:
                    const["holding", t] += h * st.initial
                else:
                    by_t["holding"][t].extend((h, self.L[f, p, g, prev]) for g in inst.store_tags)
                k = inst.holding_factor(t)
                for g in inst.store_tags:
                    if (f, p, g, t) in self.I:
                        by_t["holding"][t] += [(h * k, self.I[f, p, g, t]), (-h * k, self.O[f, p, g, t])]

    def objective(self) -> None:
        r"""Minimise total discounted cost (USD): :math:`\sum_t d_t \sum_{\text{terms}} C_{\text{term},t}`.

        A relaxed (diagnostic) model minimises only the total violation.
        """
        b = self.built
        parts = []
        for term, per in b.costs.items():
            if self.relax and term != "violation":
                continue
            for t, expr in per.items():
                weight = 1 if self.relax else b.weight(t)
                parts.append(weight * expr if not self.relax else expr)
                b.objective_parts.append((weight, *b.cost_terms[term, t]))
        self.m.total_cost = pyo.Objective(expr=sum(parts) if parts else 0.0, sense=pyo.minimize)


def build_model(inst: Instance, *, relax: bool = False, freeze: bool = False, reusable: bool = False) -> Built:
    """Build the Pyomo model for ``inst``.  ``relax=True`` adds named, penalised slacks for diagnosis.
    ``reusable=True`` keeps the builder, so that :func:`remake_policies` can make it the model of
    the same instance with other policy numbers.

    ``freeze=True`` moves everything built out of the cyclic collector's sight (``gc.freeze``),
    which spares a full collection over the model (a quarter of build time at 100k variables);
    the caller must ``gc.unfreeze()`` when done with the model, as ``pipeline.run`` does.
    """
    start = time.perf_counter()
    with paused_gc(), _construction_errors_raised_only():
        builder = _Builder(inst, relax)
        built = builder.build()
        if reusable:
            built.builder = builder
        if freeze:
            gc.freeze()
    built.build_seconds = time.perf_counter() - start
    return built


class _ConstructionFailed(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Constructing component")


@contextmanager
def _construction_errors_raised_only() -> Iterator[None]:
    """Pyomo logs a component whose construction raised (an interrupt, say) before raising it on;
    the exception reaches the caller, which says it once (a Ctrl-C is one line on stderr)."""
    log = logging.getLogger("pyomo.core")
    quiet = _ConstructionFailed()
    log.addFilter(quiet)
    try:
        yield
    finally:
        log.removeFilter(quiet)


def remake_policies(built: Built, inst: Instance) -> bool:
    """Make ``built`` (built ``reusable``) the model of ``inst`` in place, when ``inst`` is
    ``built.inst`` with other numbers in its policies (a sweep's next point); False, with
    ``built`` untouched, when it cannot (the caller builds ``inst``'s model afresh).

    Policies enter the model only through the policy families' rows, the share rows kept for
    ``max_share`` and the payouts of price floors.  Every policy family makes its rows again for
    ``inst`` with this model's variables; when they have the same keys as the model's (no row
    appears or goes) and the payouts are the same, the new rows replace the old ones, in
    ``row_blocks`` and in the Pyomo constraints alike, as do the share rows and the instance.
    The model is then the one ``build_model(inst)`` makes: the same variables, and the same rows
    in the same order with the same terms, so its matrices are the same to the bit.
    """
    b = built.builder
    if not isinstance(b, _Builder) or built.relaxed or not _same_but_policies(built.inst, inst):
        return False
    probe = b.policy_rows(inst)
    if _money(probe.payouts) != _money(b.payouts) or _money(probe.transfer_terms) != _money(b.transfer_terms):
        return False
    blocks = {comp.local_name: i for i, (comp, _rows) in enumerate(built.row_blocks)}
    kinds = {f.name for f in POLICY_FAMILIES}
    if set(probe.capture) != {name for name in blocks if name in kinds} or any(
            list(rows) != list(built.row_blocks[blocks[name]][1]) for name, rows in probe.capture.items()):
        return False
    for name, rows in probe.capture.items():
        comp = built.row_blocks[blocks[name]][0]
        built.row_blocks[blocks[name]] = (comp, rows)
        for k, (lower, terms, upper) in rows.items():
            comp[k].set_value(rel(lower, lin(terms), upper))
    built.share_rows = probe.built.share_rows
    built.inst = b.inst = inst
    return True


def _same_but_policies(a: Instance, b: Instance) -> bool:
    """``b`` is ``a`` with (at most) other numbers in its policies: every other part the same object,
    the same policies by name and kind, in the same order."""
    return all(getattr(a, f.name) is getattr(b, f.name) for f in fields(a) if f.name != "policies") and (
        [(type(p), p.name) for p in a.policies] == [(type(p), p.name) for p in b.policies])


def _money(payouts: dict[tuple[str, int], Terms]) -> dict:
    """Payouts as (coefficient, variable identity) lists, to compare two builds' payouts."""
    return {k: [(c, id(v)) for c, v in terms] for k, terms in payouts.items() if terms}

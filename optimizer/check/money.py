"""The checker's money: every cost term and transfer recomputed, costs.csv and the objective held to them."""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property

from .certificate import num
from ..core.contract import COST_KINDS, COST_TERMS, TRANSFER_TERMS, VIOLATION_TERM
from ..families import POLICY_FAMILIES


class MoneyChecks:
    """Checks of costs.csv and summary.json's objective (a part of :class:`~optimizer.check.checker.Checker`)."""

    # ---- 7. costs and objective -------------------------------------------------------------
    @cached_property
    def recomputed_costs(self) -> dict[tuple[str, int], float]:
        """The cost terms (kind ``cost``) per (term, period), undiscounted (USD/yr)."""
        return {(term, t): c for (kind, term, t), c in self.recomputed_money.items() if kind == "cost"}

    @cached_property
    def recomputed_money(self) -> dict[tuple[str, str, int], float]:
        r"""Every cost term and transfer per (kind, term, period), undiscounted (USD/yr):

        production :math:`\sum c_f X`; transport :math:`\sum c_{odp} F`; tariff :math:`\sum \tau_{odp} F`;
        fixed :math:`\phi_f` per operating year for existing facilities + :math:`\phi_f y` for candidates;
        capex as annuities, :math:`A_e \sum_{\tau \le t} z[e,\tau]` in every operating year t of an expanded
        facility plus :math:`A_f y[f,t]` for candidates, where :math:`A = \kappa\, \rho / (1 - (1+\rho)^{-L})`
        (:math:`\kappa / L` without discounting); unmet_penalty :math:`\pi U`; surplus :math:`-v_p S`;
        price_floor :math:`\max(0, \text{floor}-\text{market})\, r^{out}_{fp} X`, kind ``transfer`` unless the
        floor's accounting is ``cost``; holding :math:`h\,(L_{t^-} + \kappa_t \sum_g (I - O))` per store, from
        inventory.csv (the initial stock before the first period).
        """
        inst, plan = self.inst, self.plan
        cost: dict[tuple[str, int], float] = defaultdict(float)
        for (f, _g, t), x in plan.act.items():
            if f in inst.facilities:
                cost["production", t] += inst.cost(f, t) * x
        for (o, d, p, t), q in plan.lane_flow.items():
            lane = self.lanes.get((o, d, p))
            if lane is not None:
                cost["transport", t] += inst.lane_cost(lane, t) * q
                cost["tariff", t] += inst.lane_tariff(lane, t) * q
        for f, fac in inst.facilities.items():
            for t in self.active[f]:
                cost["fixed", t] += fac.fixed_cost * self.open.get((f, t), 0.0)
        for (f, tau), z in plan.steps.items():
            if f in self.expansions:
                for t in self.active[f]:
                    if t >= tau:
                        cost["capex", t] += inst.step_annuity(self.expansions[f]) * z
        for f, fac in inst.facilities.items():
            if fac.status == "candidate":
                for t in self.active[f]:
                    cost["capex", t] += inst.open_annuity(f) * self.open.get((f, t), 0.0)
        for r in plan.tables["unmet"]:
            d = self.demands.get((r["customer"], r["product"], r["period"]))
            if d is not None and d.penalty is not None:
                cost["unmet_penalty", d.period] += d.penalty * r["unmet"]
        for (f, p, t), by_tag in plan.surplus.items():
            value = inst.surplus_value(p, t) if p in inst.products else None
            cost["surplus", t] -= (value or 0.0) * sum(by_tag.values())
        for (f, p), st in inst.storage.items():
            level = st.initial
            for t in inst.periods:
                tags = [plan.inventory.get((f, p, g, t), (0.0, 0.0, 0.0)) for g in inst.store_tags]
                net = sum(put - took for _, put, took in tags)
                cost["holding", t] += st.holding_cost * (level + inst.holding_factor(t) * net)
                level = sum(lv for lv, _, _ in tags)
        money = {("cost", term, t): c for (term, t), c in cost.items()}
        for family in POLICY_FAMILIES:
            if family.money is not None:
                for k, c in family.money(self).items():
                    money[k] = money.get(k, 0.0) + c
        return money

    def cost_coefficients(self) -> dict[str, float]:
        """Largest |coefficient| of each cost term (USD per unit of its quantity).

        Part of a cost row's scale: a quantity the tables round to zero (or a 0/1 decision within
        solver tolerance of 0 or 1) still moves the solver's cost by up to coefficient x rounding.
        """
        inst = self.inst
        values = {
            "production": [f.cost for f in inst.facilities.values()] + list(inst.period_cost.values()),
            "transport": [l.cost for l in inst.lanes] + [r.cost or 0.0 for r in inst.lane_periods.values()],
            "tariff": [l.tariff for l in inst.lanes] + [r.tariff or 0.0 for r in inst.lane_periods.values()]
            + list(inst.duties.values()),
            "fixed": [f.fixed_cost for f in inst.facilities.values()],
            "capex": [inst.step_annuity(e) for e in inst.expansions] + [inst.open_annuity(f) for f in inst.facilities],
            "unmet_penalty": [d.penalty or 0.0 for d in inst.demands],
            "surplus": [p.surplus_value or 0.0 for p in inst.products.values()]
            + list(inst.product_prices.values()),
            "holding": [st.holding_cost for st in inst.storage.values()],
        }
        values.update({f.name: f.coefficients(self) for f in POLICY_FAMILIES if f.coefficients is not None})
        return {term: max([abs(v) for v in vs] + [0.0]) for term, vs in values.items()}

    def check_costs(self) -> None:
        r"""costs.csv: each (term, period, kind) cost equals its recomputation, discount_factor = (1+r)^-(t-t0),
        years = :math:`n_t`, weight = :math:`w_t = \sum_{k<n_t} d_{t+k}`, discounted = cost x weight;
        a term missing from costs.csv must recompute to 0.  Kind ``cost`` rows are the objective's terms,
        kind ``transfer`` rows the transfers (a price floor's payout unless its accounting is ``cost``)."""
        inst = self.inst
        expected = self.recomputed_money
        coefficient = self.cost_coefficients()
        rows = self.plan.keyed("costs", "term", "period", "kind")
        for kind, term in ((k, term) for k, terms in COST_KINDS.items() for term in terms):
            for t in inst.periods:
                self.count("costs")
                label = f"{term} {t}" + (f" ({kind})" if kind != "cost" else "")
                row = rows.pop((term, t, kind), None)
                want = expected.get((kind, term, t), 0.0)
                if row is None:
                    if abs(want) > self.slack(want, coefficient[term]):
                        self.fail("costs", label, f"costs.csv has no row; recomputed cost {num(want)}")
                    continue
                self.eq("costs", label, "costs.csv cost", row["cost"], "recomputed", want, coefficient[term])
                self.eq("costs", label, "discount_factor", row["discount_factor"], "(1+r)^-(t-t0)", inst.discount(t))
                self.eq("costs", label, "years", row["years"], "years the period stands for", inst.years(t))
                self.eq("costs", label, "weight", row["weight"], "discounted years of the period", inst.weight(t))
                self.eq("costs", label, "discounted", row["discounted"], "cost x weight", row["cost"] * row["weight"])
        for (term, t, kind), row in rows.items():
            self.count("costs")
            if term == VIOLATION_TERM and kind == "cost":
                self.eq("costs", f"{term} {t}", "constraint violation cost", row["cost"], "none in a plan", 0.0)
            else:
                self.fail("costs", f"{term} {t} ({kind})", "unknown cost term, kind or year")

    def check_objective(self) -> None:
        r"""summary.json: objective = :math:`\sum_{\text{term},t} w_t C_{\text{term},t}` (USD, recomputed),
        and each cost_breakdown entry = its term's discounted sum."""
        inst = self.inst
        expected = self.recomputed_costs
        by_term: dict[str, float] = defaultdict(float)
        for (term, t), c in expected.items():
            by_term[term] += c * inst.weight(t)
        magnitude = sum(abs(c * inst.weight(t)) for (_term, t), c in expected.items()) \
            + max(self.cost_coefficients().values(), default=0.0)
        total = sum(by_term.values())
        objective = self.summary.get("objective")
        self.count("objective")
        if not isinstance(objective, (int, float)):
            self.fail("objective", "summary.json", f"objective is {objective!r}; expected a number")
        else:
            self.eq("objective", "summary.json", "objective", float(objective), "sum of recomputed cost terms",
                    total, magnitude)
        breakdown = self.summary.get("cost_breakdown") or {}
        for term in COST_TERMS:
            self.count("objective")
            reported = breakdown.get(term, 0.0)
            if not isinstance(reported, (int, float)):
                self.fail("objective", f"cost_breakdown {term}", f"{reported!r} is not a number")
                continue
            self.eq("objective", f"cost_breakdown {term}", "summary.json", float(reported), "recomputed",
                    by_term.get(term, 0.0), magnitude)
        self.check_transfers(magnitude)
        extra = sorted(set(breakdown) - set(COST_TERMS))
        for term in extra:
            value = breakdown[term]
            harmless = term == VIOLATION_TERM and isinstance(value, (int, float)) and abs(value) <= self.slack(magnitude)
            if not harmless:
                self.fail("objective", f"cost_breakdown {term}", f"unexpected term (value {value!r})")


    def check_transfers(self, magnitude: float) -> None:
        r"""summary.json ``transfers``: for each transfer term, ``by_period`` (USD/yr), ``total``
        :math:`= \sum_t n_t C_t` (USD of each year) and ``discounted`` :math:`= \sum_t w_t C_t`, recomputed."""
        inst = self.inst
        reported = self.summary.get("transfers") or {}
        for term in TRANSFER_TERMS:
            per = {t: c for (kind, name, t), c in self.recomputed_money.items() if kind == "transfer" and name == term}
            got = reported.get(term)
            self.count("transfers")
            if got is None:
                if any(abs(c) > self.slack(c) for c in per.values()):
                    self.fail("transfers", term, "summary.json has no entry; recomputed payouts "
                                                 f"{', '.join(f'{t}: {num(c)}' for t, c in sorted(per.items()))}")
                continue
            total = sum(c * inst.years(t) for t, c in per.items())
            discounted = sum(c * inst.weight(t) for t, c in per.items())
            self.eq("transfers", term, "summary.json total", got.get("total"), "recomputed total", total, magnitude)
            self.eq("transfers", term, "summary.json discounted", got.get("discounted"), "recomputed discounted",
                    discounted, magnitude)
            by_period = got.get("by_period") or {}
            for t in inst.periods:
                self.eq("transfers", f"{term} {t}", "summary.json by_period", by_period.get(str(t), 0.0),
                        "recomputed", per.get(t, 0.0), magnitude)
        for term in sorted(set(reported) - set(TRANSFER_TERMS)):
            self.fail("transfers", term, "unknown transfer term in summary.json")

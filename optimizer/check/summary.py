"""The checker's summary.json: its lists of shares, offtakes, unmet demand and investments recomputed from the plan."""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property
from typing import Any

from ..input.instance import by_period
from .certificate import num
from ..core.tolerances import HALF
from ..core.contract import BINDING_TOL, ZERO_DENOMINATOR
from ..families import max_share, offtake
from ..input.schema import MaxShare, Offtake


class SummaryChecks:
    """Checks of summary.json's lists and shares.csv's columns (a part of :class:`~optimizer.check.checker.Checker`)."""

    # ---- 8. summary.json's lists --------------------------------------------------------------
    @cached_property
    def recomputed_shares(self) -> dict[tuple[str, int], dict[str, Any]]:
        r"""Every max_share policy and year in force (a share given), as shares.csv and summary.json report it.

        num, den from :func:`optimizer.families.max_share.parts`; share = num / den, None when den <= ZERO_DENOMINATOR;
        cap = the policy's share :math:`a_t`; stage = the policy's stage or ``customers:k1;k2``; basis;
        group, members = :meth:`Instance.share_group` (members in words); product = the policy's
        (customers) or the stage's measured product; scale = max(1, num, den) / den, the change of the
        ratio a change of ``tol x max(1, num, den)`` in num or den makes (1 when den is empty).
        """
        inst = self.inst
        out: dict[tuple[str, int], dict[str, Any]] = {}
        for pol, t in self.policy_years(MaxShare):
            a = by_period(pol.share, t)
            if a is None:
                continue
            numerator, denominator = max_share.parts(self, pol, t)
            empty = denominator <= ZERO_DENOMINATOR
            group, members = inst.share_group(pol)
            out[pol.name, t] = {
                "num": numerator, "den": denominator, "share": None if empty else numerator / denominator, "cap": a,
                "scale": 1.0 if empty else max(1.0, numerator, denominator) / denominator,
                "stage": pol.stage or ("customers:" + ";".join(pol.customers or [])), "basis": pol.basis,
                "group": group, "members": inst.country_names(members),
                "product": (pol.product or "") if pol.customers else inst.stage_product(pol.stage, pol.product),
            }
        return out

    def expected_binding(self, s: dict[str, Any]) -> bool | None:
        r"""Whether a share cap binds, by the tables' rule, or None when the recomputed share is within
        tolerance of the border (then either answer passes):

        empty denominator (den <= ZERO_DENOMINATOR): binding = :math:`a_t < 1` (the row holds only as 0 <= 0);
        otherwise binding when :math:`\text{share} \ge a_t - \text{BINDING\_TOL} + m`, not binding when
        :math:`\text{share} < a_t - \text{BINDING\_TOL} - m`, with margin m = tol x max(1, share, scale).
        """
        if s["share"] is None:
            return s["cap"] < 1.0
        edge = s["cap"] - BINDING_TOL
        margin = self.slack(s["share"], s["scale"])
        if s["share"] >= edge + margin:
            return True
        if s["share"] < edge - margin:
            return False
        return None

    def check_binding(self, family: str, label: str, source: str, reported: bool, s: dict[str, Any]) -> None:
        """A reported ``binding`` flag against :meth:`expected_binding` (no violation near the border)."""
        want = self.expected_binding(s)
        if want is not None and reported != want:
            self.fail(family, label, f"{source} binding {reported} != recomputed {want} "
                                     f"(share {num(s['share'])}, cap {num(s['cap'])})")

    def check_share_columns(self) -> None:
        r"""shares.csv's policy rows also report ``stage`` (the policy's stage or ``customers:k1;k2``),
        ``basis``, ``group`` (the policy's group label) and ``binding`` (True/False, see
        :meth:`expected_binding`).  A missing or extra row is reported by :meth:`check_max_share`,
        which also counts the rows."""
        rows = self.plan.keyed("shares", "policy", "period")
        for k, s in self.recomputed_shares.items():
            row = rows.get(k)
            if row is None:
                continue
            label = f"{k[0]} {k[1]}"
            for column in ("stage", "basis", "group"):
                if row[column] != s[column]:
                    self.fail("max_share", label, f"shares.csv {column} {row[column]!r} != policy {column} {s[column]!r}")
            self.check_binding("max_share", label, "shares.csv", row["binding"], s)

    def summary_list(self, key: str, columns: tuple[str, ...]) -> dict[tuple, dict[str, Any]] | None:
        """summary.json's list ``key`` as its entries by ``columns``; None when the key is absent or not
        a list (the latter is a violation).  An entry that is not an object with every key column, or
        that repeats a key, is a violation and is left out."""
        if key not in self.summary:
            return None
        entries = self.summary[key]
        if not isinstance(entries, list):
            self.fail("summary", key, f"summary.json {key} is {type(entries).__name__}; expected a list")
            return None
        out: dict[tuple, dict[str, Any]] = {}
        for i, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict) or any(c not in entry for c in columns):
                self.fail("summary", f"{key} entry {i}", f"expected an object with {', '.join(columns)}")
                continue
            k = tuple(entry[c] for c in columns)
            if not all(isinstance(x, (str, int, float)) for x in k):
                self.fail("summary", f"{key} entry {i}", f"{', '.join(columns)} must be text or numbers")
                continue
            if k in out:
                self.fail("summary", f"{key} {' '.join(map(str, k))}", "repeated in summary.json")
                continue
            out[k] = entry
        return out

    def summary_eq(self, label: str, name: str, reported: Any, want: float | None, *scale: float) -> None:
        """A number of summary.json (None = blank/null) equal to its recomputation within tolerance."""
        if reported is not None and (isinstance(reported, bool) or not isinstance(reported, (int, float))):
            self.fail("summary", label, f"summary.json {name} {reported!r} is not a number")
            return
        self.eq("summary", label, f"summary.json {name}", None if reported is None else float(reported),
                "recomputed", want, *scale)

    def summary_text(self, label: str, name: str, reported: Any, want: Any) -> None:
        """A text field of summary.json equal to its recomputation (None and "" count as equal)."""
        if (reported or "") != (want or ""):
            self.fail("summary", label, f"summary.json {name} {reported!r} != recomputed {want!r}")

    def check_summary_shares(self) -> None:
        r"""summary.json ``shares``: one entry per max_share policy and year in force, each
        ``{policy, stage, period, share, cap, binding, product, group, members}`` as recomputed by
        :meth:`recomputed_shares`: share = num / den (null when den <= ZERO_DENOMINATOR, compared within
        tol x max(1, share, max(1, num, den) / den)), cap = :math:`a_t`, binding per :meth:`expected_binding`.

        A missing entry is a violation unless its denominator is within tolerance of 0 (the model
        then may have no row); an entry for no policy and year in force is a violation.
        """
        expected = self.recomputed_shares
        required = {k for k, s in expected.items() if s["den"] > self.slack(s["den"])}
        got = self.summary_list("shares", ("policy", "period"))
        if got is None:
            if "shares" not in self.summary and required:
                self.fail("summary", "shares", "summary.json has no shares")
            return
        for k, s in expected.items():
            self.count("summary")
            label = f"shares {k[0]} {k[1]}"
            entry = got.pop(k, None)
            if entry is None:
                if k in required:
                    self.fail("summary", label, "missing from summary.json")
                continue
            self.summary_text(label, "stage", entry.get("stage"), s["stage"])
            self.summary_eq(label, "share", entry.get("share"), s["share"], s["scale"])
            self.summary_eq(label, "cap", entry.get("cap"), s["cap"])
            binding = entry.get("binding")
            if not isinstance(binding, bool):
                self.fail("summary", label, f"summary.json binding {binding!r} is not true or false")
            else:
                self.check_binding("summary", label, "summary.json", binding, s)
            for name in ("product", "group", "members"):
                self.summary_text(label, name, entry.get(name), s[name])
        for policy, t in got:
            self.fail("summary", f"shares {policy} {t}", "summary.json entry for no max_share policy in force")

    def check_summary_offtakes(self) -> None:
        r"""summary.json ``offtakes``: one ``{policy, period, required, delivered, short}`` per offtake
        policy and year in force: required = :math:`Q_t`, delivered = :func:`optimizer.families.offtake.delivered` (t/yr),
        short = :math:`\max(0, Q_t - \text{delivered})`, each within tol x max(1, Q_t, value)."""
        expected: dict[tuple[str, int], tuple[float, float]] = {}
        for pol, t in self.policy_years(Offtake):
            q = by_period(pol.quantity, t)
            if q is not None:
                expected[pol.name, t] = (q, offtake.delivered(self, pol, t))
        got = self.summary_list("offtakes", ("policy", "period"))
        if got is None:
            if "offtakes" not in self.summary and expected:
                self.fail("summary", "offtakes", "summary.json has no offtakes")
            return
        for (name, t), (q, delivered) in expected.items():
            self.count("summary")
            label = f"offtakes {name} {t}"
            entry = got.pop((name, t), None)
            if entry is None:
                self.fail("summary", label, "missing from summary.json")
                continue
            self.summary_eq(label, "required", entry.get("required"), q, q)
            self.summary_eq(label, "delivered", entry.get("delivered"), delivered, q)
            self.summary_eq(label, "short", entry.get("short"), max(0.0, q - delivered), q)
        for name, t in got:
            self.fail("summary", f"offtakes {name} {t}", "summary.json entry for no offtake policy in force")

    def check_summary_unmet(self) -> None:
        r"""summary.json ``unmet``: ``total_t`` = :math:`\sum_{k,p,t} U_{kpt}` and ``by_product[p]`` =
        :math:`\sum_{k,t} U_{kpt}` (listed when > 0; an unlisted product counts as 0), t/yr summed over
        the years, with :math:`U_{kpt} = \max(0, \text{quantity}_{kpt} - \sum_{o,g} F[o,k,p,g,t])` recomputed
        from the flows (not unmet.csv).  Scale: the demand summed over the same rows."""
        unmet: dict[str, float] = defaultdict(float)
        demand: dict[str, float] = defaultdict(float)
        for k, d in self.demands.items():
            delivered = sum(q for _o, _g, q in self.plan.arrivals.get(k, []))
            unmet[d.product] += max(0.0, d.quantity - delivered)
            demand[d.product] += d.quantity
        total, total_demand = sum(unmet.values()), sum(demand.values())
        self.count("summary")
        got = self.summary.get("unmet")
        if got is None:
            if "unmet" not in self.summary and total > self.slack(total_demand):
                self.fail("summary", "unmet", f"summary.json has no unmet; recomputed total {num(total)}")
            return
        if not isinstance(got, dict):
            self.fail("summary", "unmet", f"summary.json unmet is {type(got).__name__}; expected an object")
            return
        self.summary_eq("unmet", "total_t", got.get("total_t"), total, total_demand)
        by_product = got.get("by_product") or {}
        if not isinstance(by_product, dict):
            self.fail("summary", "unmet", f"summary.json by_product is {type(by_product).__name__}; expected an object")
            return
        for p in sorted(set(unmet) | set(by_product)):
            self.count("summary")
            self.summary_eq(f"unmet {p}", "by_product", by_product.get(p, 0.0), unmet.get(p, 0.0), demand.get(p, 0.0))

    def check_summary_built(self) -> None:
        r"""summary.json ``built``: ``{facility, period, kind, capacity_added, decision_year}`` for what was built, keyed by
        (facility, period, kind): an ``open`` entry per candidate in its first year with y[f,t] = 1
        (activity.csv ``open``), capacity_added = its base capacity that year (null: unlimited), and an
        ``expansion`` entry per (f, t) with z[f,t] > 0, capacity_added = :math:`z[f,t] \cdot \text{size}_f`
        (units of activity/yr); decision_year = period - lead_time.  Missing, extra and changed entries are violations."""
        inst = self.inst
        expected: dict[tuple[str, int, str], float | None] = {}
        for f, fac in inst.facilities.items():
            if fac.status != "candidate":
                continue
            first = next((t for t in sorted(self.active[f]) if self.open.get((f, t), 0.0) > HALF), None)
            if first is not None:
                expected[f, first, "open"] = inst.base_capacity(f, first)
        for (f, t), z in sorted(self.plan.steps.items()):
            if f in self.expansions and z > 0:
                expected[f, t, "expansion"] = z * self.expansions[f].size
        got = self.summary_list("built", ("facility", "period", "kind"))
        if got is None:
            if "built" not in self.summary and expected:
                self.fail("summary", "built", "summary.json has no built")
            return
        for k, capacity in sorted(expected.items()):
            self.count("summary")
            label = f"built {' '.join(map(str, k))}"
            entry = got.pop(k, None)
            if entry is None:
                self.fail("summary", label, "missing from summary.json")
                continue
            self.summary_eq(label, "capacity_added", entry.get("capacity_added"), capacity)
            lead = (inst.facilities[k[0]].lead_time if k[2] == "open" else self.expansions[k[0]].lead_time) or 0
            self.summary_eq(label, "decision_year", entry.get("decision_year"), k[1] - lead)
        for k in got:
            self.fail("summary", f"built {' '.join(map(str, k))}", "summary.json entry for nothing built")

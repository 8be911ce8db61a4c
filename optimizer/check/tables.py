"""The results folder as the checker reads it: the tables it needs, summed and keyed like the model's variables."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from ..core.errors import Finding, InputError
from ..core.contract import Column, read_rows


#: Columns of each results table the check reads (kinds from the contract).
CHECKED_COLUMNS: dict[str, tuple[str, ...]] = {
    "flows": ("origin", "destination", "product", "period", "provenance", "quantity"),
    "activity": ("facility", "period", "provenance", "activity", "capacity", "open", "built"),
    "unmet": ("customer", "product", "period", "provenance", "demand", "delivered", "unmet", "penalty"),
    "surplus": ("facility", "product", "period", "provenance", "quantity", "value_per_t", "value"),
    "costs": ("term", "period", "cost", "discount_factor", "discounted", "years", "weight", "kind"),
    "investments": ("facility", "period", "kind", "steps", "capacity_added", "capex", "lifetime", "annuity",
                    "lead_time", "decision_year"),
    "offtakes": ("policy", "customer", "product", "period", "provenance", "required", "delivered", "short"),
    "shares": ("policy", "stage", "period", "basis", "group", "numerator", "denominator", "share", "cap", "binding",
               "product", "members"),
    "duals": ("constraint", "index", "value", "unit"),
    "inventory": ("facility", "product", "period", "provenance", "level", "in", "out"),
}

Table = list[dict[str, Any]]

#: The columns that identify a row of each results table (a key appears at most once).
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "flows": ("origin", "destination", "product", "period", "provenance"),
    "activity": ("facility", "period", "provenance"),
    "surplus": ("facility", "product", "period", "provenance"),
    "unmet": ("customer", "product", "period"),
    "costs": ("term", "period", "kind"),
    "investments": ("facility", "period", "kind"),
    "offtakes": ("policy", "period"),
    "shares": ("policy", "stage", "product", "period"),
    "inventory": ("facility", "product", "period", "provenance"),
}




# ============================================================================================
# reading the results folder
# ============================================================================================


def read_tables(folder: Path, leading: tuple[Column, ...] = ()) -> dict[str, Table]:
    """Every results table the check needs (with the ``leading`` columns a hedge folder puts
    first); raise InputError listing every unreadable one."""
    findings: list[Finding] = []
    tables = {name: read_rows(folder, name, findings, columns, leading) for name, columns in CHECKED_COLUMNS.items()}
    if findings:
        raise InputError(findings)
    return tables


# ============================================================================================
# the plan, indexed
# ============================================================================================


class PlanTables:
    """The tables of a results folder as sums keyed like the model's variables."""

    def __init__(self, tables: dict[str, Table]):
        self.tables = tables
        self.act: dict[tuple[str, str, int], float] = defaultdict(float)  # (f, g, t) -> units/yr
        self.act_row: dict[tuple[str, int], dict[str, Any]] = {}  # (f, t) -> first activity row
        self.act_tags: dict[tuple[str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for r in tables["activity"]:
            f, g, t = r["facility"], r["provenance"], r["period"]
            self.act[f, g, t] += r["activity"]
            self.act_tags[f, t][g] += r["activity"]
            self.act_row.setdefault((f, t), r)
        self.total_act: dict[tuple[str, int], float] = {k: sum(v.values()) for k, v in self.act_tags.items()}

        # (node, p, t) -> {tag: t/yr}, for arrivals at and departures from each node
        self.inflow: dict[tuple[str, str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.outflow: dict[tuple[str, str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.lane_flow: dict[tuple[str, str, str, int], float] = defaultdict(float)  # (o, d, p, t)
        self.arrivals: dict[tuple[str, str, int], list[tuple[str, str, float]]] = defaultdict(list)  # (d,p,t)->[(o,g,q)]
        self.by_period: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for r in tables["flows"]:
            o, d, p, g, t, q = (r["origin"], r["destination"], r["product"], r["provenance"], r["period"], r["quantity"])
            self.inflow[d, p, t][g] += q
            self.outflow[o, p, t][g] += q
            self.lane_flow[o, d, p, t] += q
            self.arrivals[d, p, t].append((o, g, q))
            self.by_period[t].append(r)

        self.surplus: dict[tuple[str, str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for r in tables["surplus"]:
            self.surplus[r["facility"], r["product"], r["period"]][r["provenance"]] += r["quantity"]

        # stores: (f, p, g, t) -> (level t, in t/yr, out t/yr); (f, p, t) -> {tag: t/yr} put in and taken out
        self.inventory: dict[tuple[str, str, str, int], tuple[float, float, float]] = {}
        self.stored: dict[tuple[str, str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.released: dict[tuple[str, str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for r in tables["inventory"]:
            f, p, g, t = r["facility"], r["product"], r["provenance"], r["period"]
            self.inventory[f, p, g, t] = (r["level"], r["in"], r["out"])
            self.stored[f, p, t][g] += r["in"]
            self.released[f, p, t][g] += r["out"]

        self.steps: dict[tuple[str, int], float] = defaultdict(float)  # (f, t) -> steps built in t
        self.open_investments: dict[str, list[int]] = defaultdict(list)
        for r in tables["investments"]:
            if r["kind"] == "expansion":
                self.steps[r["facility"], r["period"]] += r["steps"]
            elif r["kind"] == "open":
                self.open_investments[r["facility"]].append(r["period"])

    def keyed(self, name: str, *columns: str) -> dict[tuple, dict[str, Any]]:
        """Rows of a table by key columns (the first row wins; duplicates are reported elsewhere)."""
        out: dict[tuple, dict[str, Any]] = {}
        for r in self.tables[name]:
            out.setdefault(tuple(r[c] for c in columns), r)
        return out

    def steps_to(self, facility: str, period: int) -> float:
        r"""Expansion steps built up to and including ``period``: :math:`\sum_{\tau \le t} z[f,\tau]` (steps)."""
        return sum(s for (f, t), s in self.steps.items() if f == facility and t <= period)

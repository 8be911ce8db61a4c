"""The HTML report of a results folder: one self-contained file, plotly.js inlined.

``m2m report RUN [--compare RUN_B] [--out FILE]`` reads a results folder written by ``m2m solve``
(the tables and ``summary.json`` of docs/results.md), re-reads the instance it names for the
network (stages, countries, customers; the report falls back on the results alone when the
instance cannot be read) and writes one HTML file that needs no network to open:

* a Sankey diagram of the chain for each year (nodes are the facilities and customers with
  flows that year, in columns ordered by stage), coloured by country or by provenance;
* the share of each stage in the provenance group over time, and each share policy against its cap;
* the cost breakdown by term and year, and the discounted totals;
* capacity built, unmet demand and offtakes, and the duals table.

With a second folder (``--compare``) the costs and shares of both plans are overlaid and the
Sankey of each is drawn.  Every text taken from the data is escaped; the figures are embedded as
JSON in ``<script type="application/json">`` blocks and drawn by the inlined plotly.js.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd

from ...core.atomic import staged_file
from ...core.contract import INFEASIBILITY, PLAN_TABLES, SOLVED, SUMMARY, read_frame, read_summary, results_folder, scenario_label
from ...core.errors import Finding, InputError
from ...families import DEMAND_DUALS, POLICY_DUALS
from ...results.outputs import REPORT_GENERATOR, guard_report

REPORT_FILE = "report.html"
MAX_DUALS = 50  # rows of the duals table (the whole table is in duals.csv)
POLICY_FAMILIES = POLICY_DUALS
DEMAND_FAMILIES = DEMAND_DUALS
CUSTOMERS = ""  # the stage key of customers (a facility's stage is never empty)

# Colours: the provenance group's countries in reds, the others from a palette without red.
COVERED_COLOURS = ("#d62728", "#a50f15", "#ef6548", "#fb6a4a", "#cb181d", "#fc9272")
OTHER_COLOURS = ("#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#bcbd22", "#e377c2",
                 "#393b79", "#637939", "#7b4173", "#3182bd", "#31a354", "#756bb1", "#e6550d", "#636363",
                 "#6baed6", "#74c476", "#9e9ac8", "#fdae6b", "#969696")
UNKNOWN_COLOUR = "#7f7f7f"
PROVENANCE_COLOURS = {"clean": "#2ca02c", "touched": "#d62728", "any": "#9e9e9e"}
NODE_GREY = "#8c8c8c"
SERIES = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
          "#bcbd22", "#17becf")


# ============================================================================================
# reading a results folder
# ============================================================================================


@dataclass
class RunData:
    """A results folder: its summary, its tables and (if it can be read) its instance."""

    folder: Path
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    infeasibility: pd.DataFrame | None = None
    instance: Any = None  # optimizer.input.instance.Instance, or None when it could not be read
    instance_note: str = ""
    tag: str = ""  # "A" / "B" in a comparison

    @property
    def has_plan(self) -> bool:
        return self.summary.get("status") in SOLVED and bool(self.tables)

    @property
    def name(self) -> str:
        return str((self.summary.get("instance") or {}).get("name") or self.folder.name)

    @property
    def scenario(self) -> list[str]:
        return [str(s) for s in (self.summary.get("instance") or {}).get("scenario") or []]

    @property
    def scenario_text(self) -> str:
        return scenario_label(self.scenario)

    @property
    def label(self) -> str:
        """Short name of the run in legends: ``A: baseline`` in a comparison, else the scenario."""
        return f"{self.tag}: {self.scenario_text}" if self.tag else self.scenario_text

    @property
    def periods(self) -> list[int]:
        periods = (self.summary.get("instance") or {}).get("periods") or []
        found = {int(t) for df in self.tables.values() if "period" in df for t in df["period"].dropna()}
        return sorted({int(t) for t in periods} | found)


def read_run(path: str | Path, tag: str = "") -> RunData:
    """Read a results folder (or its ``summary.json``); raise InputError if it cannot be read."""
    folder = results_folder(Path(path))
    summary = read_summary(folder)
    findings: list[Finding] = []
    tables: dict[str, pd.DataFrame] = {}
    if summary.get("status") in SOLVED:
        for name in PLAN_TABLES:
            df = read_frame(folder, name, findings)
            if df is not None:
                tables[name] = df
    infeasibility = None
    if (folder / INFEASIBILITY).is_file():
        infeasibility = read_frame(folder, "infeasibility", findings)
    if findings:
        raise InputError(findings)
    run = RunData(folder=folder, summary=summary, tables=tables, infeasibility=infeasibility, tag=tag)
    run.instance, run.instance_note = _instance(summary)
    return run


def _instance(summary: dict[str, Any]) -> tuple[Any, str]:
    """The instance named in the summary, for the network; (None, why) if it cannot be read."""
    from ...input.load import load_instance

    named = summary.get("instance") or {}
    path = named.get("path")
    if not path:
        return None, "summary.json names no instance: stages and countries are taken from the results"
    try:
        inst = load_instance(path, named.get("scenario") or [], check_network=False)
    except InputError as exc:
        first = str(exc.findings[0]) if exc.findings else "unreadable"
        return None, f"the instance {path} could not be read ({first}): stages and countries are taken from the results"
    except OSError as exc:
        return None, f"the instance {path} could not be read ({exc}): stages and countries are taken from the results"
    solved = (summary.get("stamp") or {}).get("inputs_sha256")
    if solved and inst.input_digest != solved:
        return inst, f"note: the instance {path} changed after this solve; stages and countries are read from it as it is now"
    return inst, ""


# ============================================================================================
# the chain: stages in columns, countries, colours
# ============================================================================================


def stage_columns(edges: Iterable[tuple[str, str]], stages: Iterable[str]) -> dict[str, int]:
    """Column of each stage in the Sankey, left to right, from the stage graph ``edges``.

    A stage's column is its longest path from a source stage (cycles, such as swarf going back
    to a recycler, are cut where a depth-first walk from the sources meets them); customers
    (stage ``CUSTOMERS``) take the last column, and a stage that ships only to customers (a
    magnet recycler, say) the one before it.  Unused columns are closed up.
    """
    nodes = set(stages)
    edges = {(a, b) for a, b in edges if a != b}
    nodes |= {s for e in edges for s in e}
    succ: dict[str, list[str]] = {s: sorted({b for a, b in edges if a == s}) for s in nodes}
    pred: dict[str, set[str]] = {s: {a for a, b in edges if b == s} for s in nodes}
    state: dict[str, int] = {}
    order: list[str] = []
    dropped: set[tuple[str, str]] = set()

    def visit(s: str) -> None:
        state[s] = 1
        for t in succ[s]:
            if state.get(t) == 1:
                dropped.add((s, t))
            elif t not in state:
                visit(t)
        state[s] = 2
        order.append(s)

    for s in sorted(nodes, key=lambda s: (bool(pred[s]), s == CUSTOMERS, s)):
        if s not in state:
            visit(s)
    depth = {s: 0 for s in nodes}
    for s in reversed(order):
        for t in succ[s]:
            if (s, t) not in dropped:
                depth[t] = max(depth[t], depth[s] + 1)
    last = max(depth.values(), default=0)
    if CUSTOMERS in nodes:
        depth[CUSTOMERS] = last
        for s in nodes - {CUSTOMERS}:
            if succ[s] and set(succ[s]) == {CUSTOMERS}:
                depth[s] = max(last - 1, 0)
    used = sorted(set(depth.values()))
    return {s: used.index(d) for s, d in depth.items()}


@dataclass
class Chain:
    """What the Sankey needs to know about the network of one run."""

    stage: dict[str, str]  # node -> stage (CUSTOMERS for a customer)
    country: dict[str, str]  # node -> country code ("" if unknown)
    column: dict[str, int]  # stage -> column
    covered: frozenset[str]
    group: str
    country_names: dict[str, str]
    units: dict[str, str]

    @property
    def n_columns(self) -> int:
        return max(self.column.values(), default=0) + 1

    def node_key(self, node: str) -> tuple:
        stage = self.stage.get(node, CUSTOMERS)
        country = self.country.get(node, "")
        return (self.column.get(stage, 0), stage, country not in self.covered, country, node)


def build_chain(run: RunData) -> Chain:
    inst = run.instance
    stage: dict[str, str] = {}
    country: dict[str, str] = {}
    edges: set[tuple[str, str]] = set()
    covered: frozenset[str] = frozenset()
    group = ""
    names: dict[str, str] = {}
    units: dict[str, str] = {}
    if inst is not None:
        stage.update({f: r.stage for f, r in inst.facilities.items()})
        country.update({f: r.country for f, r in inst.facilities.items()})
        for d in inst.demands:
            country.setdefault(d.customer, d.country)
        edges |= {(ln.origin, ln.destination) for ln in inst.lanes}
        covered = inst.covered_countries
        group = inst.provenance_group
        names = {c: r.name or c for c, r in inst.countries.items()}
        units = {p: r.unit for p, r in inst.products.items()}
    act = run.tables.get("activity")
    if act is not None:
        for f, s, c in act[["facility", "stage", "country"]].drop_duplicates().itertuples(index=False):
            stage.setdefault(f, s)
            country.setdefault(f, c)
    flows = run.tables.get("flows")
    if flows is not None:
        edges |= set(flows[["origin", "destination"]].drop_duplicates().itertuples(index=False, name=None))
        for node in set(flows["origin"]) | set(flows["destination"]):
            stage.setdefault(node, CUSTOMERS)
    if not group:
        shares = run.tables.get("shares")
        if shares is not None and (shares["policy"] == "").any():
            group = str(shares.loc[shares["policy"] == "", "group"].iloc[0])
    stage_edges = {(stage.get(a, CUSTOMERS), stage.get(b, CUSTOMERS)) for a, b in edges}
    column = stage_columns(stage_edges, set(stage.values()))
    return Chain(stage, country, column, covered, group, names, units)


def country_colours(chains: Iterable[Chain]) -> dict[str, str]:
    """One colour per country, the same in every Sankey of the report.

    Countries of the provenance group get reds, the others a palette without red, each in
    order of the number of nodes they have (most first), then by code.
    """
    count: dict[str, int] = {}
    covered: set[str] = set()
    for ch in chains:
        covered |= ch.covered
        for node, c in ch.country.items():
            if c:
                count[c] = count.get(c, 0) + 1
    colours: dict[str, str] = {}
    for members, palette in ((covered, COVERED_COLOURS), (set(count) - covered, OTHER_COLOURS)):
        ranked = sorted((c for c in count if c in members), key=lambda c: (-count[c], c))
        for i, c in enumerate(ranked):
            colours[c] = palette[i % len(palette)]
    return colours


def _rgba(colour: str, alpha: float) -> str:
    colour = colour.lstrip("#")
    r, g, b = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


# ============================================================================================
# figures (plain plotly.js figure specs)
# ============================================================================================


def esc(text: Any) -> str:
    """Text for HTML, and for plotly.js labels (which read a small subset of HTML)."""
    return html.escape(str(text), quote=False)


def _num(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) or math.isinf(v) else v


#: The Sankey's views: each facility and customer a node, or one node per stage and country.
SANKEY_VIEWS = (("facility", "facilities"), ("aggregate", "stage \u00d7 country"))


def _aggregate(links: pd.DataFrame, chain: Chain) -> tuple[pd.DataFrame, Chain]:
    """Links between (stage, country) groups instead of nodes: quantities summed per group pair
    and provenance tag, with the products they carry; and a chain that places the groups."""
    def key(node: str) -> str:
        return f"{chain.stage.get(node, CUSTOMERS)}\x1f{chain.country.get(node, '')}"

    grouped = links.assign(origin=links["origin"].map(key), destination=links["destination"].map(key))
    out = (grouped.groupby(["origin", "destination", "provenance"], sort=True)
           .agg(quantity=("quantity", "sum"), product=("product", lambda p: ", ".join(sorted(set(p)))))
           .reset_index())
    keys = set(out["origin"]) | set(out["destination"])
    stage = {k: k.split("\x1f")[0] for k in keys}
    country = {k: k.split("\x1f")[1] for k in keys}
    return out, Chain(stage, country, chain.column, chain.covered, chain.group, chain.country_names, chain.units)


def _group_label(key: str, chain: Chain) -> str:
    stage, country = key.split("\x1f")
    name = chain.country_names.get(country, country) or "country unknown"
    return f"{stage or 'customers'}: {name}"


def _sankey_trace(links: pd.DataFrame, chain: Chain, colours: dict[str, str], ncols: int,
                  label: Callable[[str], str] | None = None) -> tuple[dict[str, Any], dict[str, dict[str, list[str]]], int]:
    """One Sankey trace of ``links`` (origin, destination, product, provenance, quantity), its
    colourings (by country, by provenance) and the most nodes in one column; ``label`` names a
    node (default: its key)."""
    nodes = sorted(set(links["origin"]) | set(links["destination"]), key=chain.node_key)
    index = {n: i for i, n in enumerate(nodes)}
    size = {n: max(links.loc[links["origin"] == n, "quantity"].sum(),
                   links.loc[links["destination"] == n, "quantity"].sum()) for n in nodes}
    x, y = _positions(nodes, links, size, chain, ncols)
    columns: dict[int, int] = {}
    for n in nodes:
        c = chain.column.get(chain.stage.get(n, CUSTOMERS), 0)
        columns[c] = columns.get(c, 0) + 1
    colourings = {
        "country": {"node": [colours.get(chain.country.get(n, ""), UNKNOWN_COLOUR) for n in nodes],
                    "link": [_rgba(colours.get(chain.country.get(o, ""), UNKNOWN_COLOUR), 0.45) for o in links["origin"]]},
        "provenance": {"node": [NODE_GREY] * len(nodes),
                       "link": [_rgba(PROVENANCE_COLOURS.get(p, UNKNOWN_COLOUR), 0.55) for p in links["provenance"]]},
    }
    node_data = []
    for n in nodes:
        st = chain.stage.get(n, CUSTOMERS)
        c = chain.country.get(n, "")
        name = chain.country_names.get(c, c) or "country unknown"
        node_data.append([esc(st or "customer"), esc(f"{name} ({c})" if c and name != c else name)])
    units = [", ".join(sorted({chain.units.get(q.strip(), "t") for q in str(p).split(",")})) for p in links["product"]]
    trace = {
        "type": "sankey",
        "visible": False,
        "arrangement": "snap",
        "valueformat": ",.0f",
        "node": {
            "label": [esc(label(n) if label else n) for n in nodes],
            "x": x, "y": y,
            "pad": 12, "thickness": 16,
            "color": colourings["country"]["node"],
            "line": {"color": "#444", "width": 0.5},
            "customdata": node_data,
            "hovertemplate": "<b>%{label}</b><br>%{customdata[0]}, %{customdata[1]}<br>"
                             "%{value:,.0f} t/yr<extra></extra>",
        },
        "link": {
            "source": [index[o] for o in links["origin"]],
            "target": [index[d] for d in links["destination"]],
            "value": [round(float(q), 6) for q in links["quantity"]],
            "color": colourings["country"]["link"],
            "customdata": [[esc(p), esc(v), esc(u)] for p, v, u in zip(links["product"], links["provenance"], units)],
            "hovertemplate": "%{source.label} to %{target.label}<br>%{customdata[0]} (%{customdata[1]})<br>"
                             "%{value:,.1f} %{customdata[2]}/yr<extra></extra>",
        },
    }
    return trace, colourings, max(columns.values(), default=1)


def sankey_figure(run: RunData, chain: Chain, colours: dict[str, str]) -> dict[str, Any]:
    """The flows of each year as a Sankey, in two views: every facility and customer a node, or
    one node per stage and country (``SANKEY_VIEWS``); the last year with flows first.

    One trace per view and year; the page's controls (``controls`` below, drawn as HTML above
    the diagram, so that nothing the diagram draws, such as a loop of swarf going back upstream,
    can cover them) pick the view, the year and the colouring (by the country a link ships from,
    or by provenance).  ``m2m`` holds what the controls switch: each trace's view, year, title
    and colourings.
    """
    flows = run.tables["flows"]
    periods = run.periods
    traces: list[dict[str, Any]] = []
    meta: list[dict[str, Any]] = []
    ncols = chain.n_columns
    busiest = 1
    with_flows = sorted(int(t) for t in flows["period"].unique())
    default = with_flows[-1] if with_flows else (periods[-1] if periods else None)
    for view, words in SANKEY_VIEWS:
        for t in periods:
            f = flows[(flows["period"] == t) & (flows["quantity"] > 0)]
            links = (f.groupby(["origin", "destination", "product", "provenance"], sort=True)["quantity"].sum()
                     .reset_index())
            if view == "aggregate":
                links, ch = _aggregate(links, chain)
                trace, colourings, most = _sankey_trace(links, ch, colours, ncols, lambda k, ch=ch: _group_label(k, ch))
            else:
                trace, colourings, most = _sankey_trace(links, chain, colours, ncols)
            trace["name"] = f"{t} ({words})"
            trace["visible"] = view == "facility" and t == default
            busiest = max(busiest, most) if view == "facility" else busiest
            traces.append(trace)
            title = f"{_title(run)}: flows in {t}" + (", by stage and country" if view == "aggregate" else "")
            meta.append({"view": view, "year": str(t), "title": esc(title), "colours": colourings})
    heads = _column_heads(chain, ncols)
    max_heads = max((h["text"].count("<br>") + 1 for h in heads), default=1)
    layout: dict[str, Any] = {
        "title": _title_layout(f"{_title(run)}: flows in {default}", 16),
        "height": int(min(1000, max(560, 200 + 36 * busiest))),
        # room above the nodes for loops (material going back upstream) below the title
        "margin": {"l": 10, "r": 10, "t": 130, "b": 12 + 16 * max_heads},
        "font": {"size": 12},
        "paper_bgcolor": "#ffffff",
        "annotations": heads,
    }
    controls = [
        {"key": "view", "label": "view", "options": [[v, w] for v, w in SANKEY_VIEWS], "active": "facility"},
        {"key": "year", "label": "year", "options": [[str(t), str(t)] for t in periods],
         "active": str(default) if default is not None else ""},
        {"key": "colour", "label": "colour", "options": [["country", "by country"], ["provenance", "by provenance"]],
         "active": "country"},
    ]
    return {"data": traces, "layout": layout, "m2m": {"controls": controls, "traces": meta}}


def _title_layout(text: str, size: int = 15) -> dict[str, Any]:
    """A chart title at the top left, below the row plotly's toolbar takes at the top right, so
    that the toolbar never covers it (``TITLE_TOP`` px from the top of the figure)."""
    return {"text": esc(text), "x": 0.01, "xanchor": "left", "y": 1.0, "yref": "container", "yanchor": "top",
            "pad": {"t": TITLE_TOP}, "font": {"size": size}}


#: Where chart titles start, px from the top: below plotly's toolbar (about 30 px high).
TITLE_TOP = 34


def _title(run: RunData) -> str:
    return f"{run.tag}: {run.name} [{run.scenario_text}]" if run.tag else f"{run.name} [{run.scenario_text}]"


def _x(column: int, ncols: int) -> float:
    # plotly.js ignores a node position of exactly 0, so the outer columns sit just inside.
    return 0.5 if ncols <= 1 else 0.001 + 0.998 * column / (ncols - 1)


def _column_heads(chain: Chain, ncols: int) -> list[dict[str, Any]]:
    heads: dict[int, list[str]] = {}
    for stage, c in sorted(chain.column.items(), key=lambda kv: (kv[1], kv[0] != CUSTOMERS, kv[0])):
        heads.setdefault(c, []).append("customers" if stage == CUSTOMERS else stage)
    out = []
    for c, stages in sorted(heads.items()):
        anchor = "left" if c == 0 and ncols > 1 else "right" if c == ncols - 1 and ncols > 1 else "center"
        # Below the diagram: loops of material going back upstream (swarf) are drawn above it.
        out.append({"text": "<br>".join(esc(s) for s in stages), "align": anchor,
                    "x": _x(c, ncols), "xref": "paper", "xanchor": anchor,
                    "y": 0.0, "yref": "paper", "yanchor": "top", "yshift": -4, "showarrow": False,
                    "font": {"size": 12, "color": "#222"}})
    return out


def _positions(nodes: list[str], links: pd.DataFrame, size: dict[str, float], chain: Chain,
               ncols: int) -> tuple[list[float], list[float]]:
    """Node centres (fractions of the diagram): x by stage column, y stacked down each column.

    Each column starts in ``nodes`` order (by stage, the provenance group first, then by country)
    and is then reordered by the barycentre of each node's neighbours, sweeping left to right and
    back, which uncrosses most links.  plotly.js then only pushes overlapping nodes apart.
    """
    pad, top0 = 0.022, 0.01
    column = {n: chain.column.get(chain.stage.get(n, CUSTOMERS), 0) for n in nodes}
    cols: dict[int, list[str]] = {}
    for n in nodes:
        cols.setdefault(column[n], []).append(n)
    scale = min(((1 - top0 - pad * (len(ns) - 1)) / max(sum(size[n] for n in ns), 1e-9) for ns in cols.values()),
                default=1.0)
    edges = [(o, d, float(q)) for (o, d), q in links.groupby(["origin", "destination"])["quantity"].sum().items()]

    def stack() -> dict[str, float]:
        y: dict[str, float] = {}
        for ns in cols.values():
            top = top0
            for n in ns:
                h = size[n] * scale
                y[n] = top + h / 2
                top += h + pad
        return y

    y = stack()
    for sweep in range(4):
        forward = sweep % 2 == 0
        for c in sorted(cols, reverse=not forward):
            def centre(n: str) -> float:
                near = ([(y[o], q) for o, d, q in edges if d == n and column[o] < c] if forward
                        else [(y[d], q) for o, d, q in edges if o == n and column[d] > c])
                weight = sum(q for _, q in near)
                return sum(v * q for v, q in near) / weight if weight > 0 else y[n]
            cols[c].sort(key=lambda n: (centre(n), n))
            y = stack()
    xs = [round(_x(column[n], ncols), 5) for n in nodes]
    ys = [round(min(max(y[n], 0.001), 0.999), 5) for n in nodes]
    return xs, ys


def _stage_order(chain: Chain, stages: Iterable[str]) -> list[str]:
    return sorted(set(stages), key=lambda s: (chain.column.get(s, 99), s))


def shares_figures(runs: list[RunData], chains: list[Chain]) -> tuple[dict[str, Any], dict[str, Any] | None, list[str]]:
    """The stage overview (share of each stage in the provenance group), the policies against their
    caps, and sentences for the policies a chart would show as nothing: held at 0% (a ban) in
    every year, or with nothing counted (an empty denominator) in every year."""
    dash = ("solid", "dash")
    overview: list[dict[str, Any]] = []
    policies: list[dict[str, Any]] = []
    flat: list[str] = []
    stage_colour: dict[str, str] = {}
    policy_colour: dict[str, str] = {}
    for k, (run, chain) in enumerate(zip(runs, chains)):
        sh = run.tables["shares"]
        rows = sh[sh["policy"] == ""]
        keys = [(stage, product) for stage in _stage_order(chain, rows["stage"])
                for product in sorted(set(rows.loc[rows["stage"] == stage, "product"]))]
        for stage, product in keys:
            r = rows[(rows["stage"] == stage) & (rows["product"] == product)].sort_values("period")
            label = f"{stage}: {product}"
            colour = stage_colour.setdefault(label, SERIES[len(stage_colour) % len(SERIES)])
            overview.append({
                "type": "scatter", "mode": "lines+markers", "name": esc(label if len(runs) == 1 else f"{label} ({run.label})"),
                "legendgroup": esc(stage), "x": [int(t) for t in r["period"]], "y": [_pct(v) for v in r["share"]],
                "line": {"color": colour, "dash": dash[k % 2]},
                "customdata": [[_fmt(a), _fmt(b)] for a, b in zip(r["numerator"], r["denominator"])],
                "hovertemplate": "%{fullData.name} %{x}: %{y:.1f}%<br>%{customdata[0]} t of %{customdata[1]} t<extra></extra>",
            })
        pol = sh[sh["policy"] != ""]
        for (policy, stage), r in pol.groupby(["policy", "stage"], sort=True):
            r = r.sort_values("period")
            name = f"{policy} ({stage})" if len(runs) == 1 else f"{policy} ({stage}, {run.label})"
            years = f"{int(r['period'].min())}-{int(r['period'].max())}" if len(r) > 1 else str(int(r["period"].iloc[0]))
            shares, caps = r["share"].dropna(), r["cap"].dropna()
            if shares.empty:
                flat.append(f"{name}: nothing counted towards it in {years} (the share is undefined), cap "
                            + ", ".join(sorted({f'{_pct(c):g}%' for c in caps})) + ".")
                continue
            if (caps.abs() < 1e-12).all() and (shares.abs() < 1e-9).all():
                flat.append(f"{name}: a cap of 0% (a ban) in {years}, held in every year (share 0%).")
                continue
            colour = policy_colour.setdefault(f"{policy}|{stage}", SERIES[len(policy_colour) % len(SERIES)])
            policies.append({
                "type": "scatter", "mode": "lines+markers", "name": esc(f"share: {name}"), "legendgroup": esc(policy),
                "x": [int(t) for t in r["period"]], "y": [_pct(v) for v in r["share"]],
                "line": {"color": colour, "dash": dash[k % 2]},
                "hovertemplate": "%{fullData.name} %{x}: %{y:.1f}%<extra></extra>",
            })
            policies.append({
                "type": "scatter", "mode": "lines", "name": esc(f"cap: {name}"), "legendgroup": esc(policy),
                "x": [int(t) for t in r["period"]], "y": [_pct(v) for v in r["cap"]],
                "line": {"color": colour, "dash": "dot" if k == 0 else "dashdot", "width": 3, "shape": "hv"},
                "opacity": 0.6,
                "hovertemplate": "%{fullData.name} %{x}: %{y:.1f}%<extra></extra>",
            })
    both = f" ({', '.join(f'{r.label} {line}' for r, line in zip(runs, ('solid', 'dashed')))})" if len(runs) > 1 else ""
    group = chains[0].group or "provenance group"
    members = sorted(set().union(*(c.covered for c in chains)))
    names = ", ".join(chains[0].country_names.get(c, c) for c in members)
    title = f"Share of each stage's tonnes made in the {group} group" + (f" ({names})" if names else "") + both
    axis = {"title": {"text": "share (%)"}, "rangemode": "tozero", "ticksuffix": "%", "gridcolor": "#e5e5e5"}
    first = {"data": overview, "layout": {
        "title": _title_layout(title), "height": 440, "yaxis": axis,
        "xaxis": {"title": {"text": "year"}, "dtick": 1, "gridcolor": "#e5e5e5"},
        "margin": {"l": 60, "r": 10, "t": TITLE_TOP + 44, "b": 50}, "legend": {"font": {"size": 11}}}}
    second = None
    if policies:
        second = {"data": policies, "layout": {
            "title": _title_layout("Share policies: share against cap" + both), "height": 440,
            "yaxis": axis, "xaxis": {"title": {"text": "year"}, "dtick": 1, "gridcolor": "#e5e5e5"},
            "margin": {"l": 60, "r": 10, "t": TITLE_TOP + 44, "b": 50}, "legend": {"font": {"size": 11}}}}
    return first, second, flat


def _pct(v: Any) -> float | None:
    x = _num(v)
    return None if x is None else round(100 * x, 6)


def cost_figure(run: RunData) -> dict[str, Any]:
    """Cost by term and year, stacked (credits below zero), in USD of each year or discounted (transfers are
    not costs: they are listed in the table below the figure)."""
    costs = run.tables["costs"]
    costs = costs[costs["kind"] == "cost"]
    periods = sorted(int(t) for t in costs["period"].unique())
    terms = list(dict.fromkeys(costs["term"]))
    traces = []
    undiscounted, discounted = [], []
    for i, term in enumerate(terms):
        c = costs[costs["term"] == term].set_index("period")
        u = [_num(c["cost"].get(t)) if t in c.index else None for t in periods]
        d = [_num(c["discounted"].get(t)) if t in c.index else None for t in periods]
        undiscounted.append(u)
        discounted.append(d)
        traces.append({"type": "bar", "name": esc(term), "x": periods, "y": u,
                       "marker": {"color": SERIES[i % len(SERIES)]},
                       "hovertemplate": "%{fullData.name} %{x}: %{y:,.0f} USD<extra></extra>"})
    layout = {
        "title": _title_layout("Cost by term and year"), "barmode": "relative", "height": 460,
        "yaxis": {"title": {"text": "USD of each year"}, "gridcolor": "#e5e5e5", "zerolinecolor": "#999"},
        "xaxis": {"title": {"text": "year"}, "dtick": 1},
        "margin": {"l": 80, "r": 10, "t": TITLE_TOP + 64, "b": 50},
        # right-aligned just above the plot: below the toolbar, beside or below the title
        "updatemenus": [{"type": "buttons", "direction": "right", "active": 0, "x": 1, "xanchor": "right",
                         "y": 1.0, "yanchor": "bottom", "pad": {"b": 6}, "showactive": True, "font": {"size": 11},
                         "buttons": [
                             {"label": "USD of each year", "method": "update",
                              "args": [{"y": undiscounted}, {"yaxis.title.text": "USD of each year"}]},
                             {"label": "discounted", "method": "update",
                              "args": [{"y": discounted}, {"yaxis.title.text": "USD, discounted to the first year"}]},
                         ]}],
    }
    return {"data": traces, "layout": layout}


def cost_compare_figures(runs: list[RunData]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Discounted totals per term side by side, and the total cost per year of each plan."""
    terms = list(dict.fromkeys(t for r in runs for t in (r.summary.get("cost_breakdown") or {})))
    bars = []
    for k, r in enumerate(runs):
        cb = r.summary.get("cost_breakdown") or {}
        bars.append({"type": "bar", "name": esc(r.label), "x": [esc(t) for t in terms],
                     "y": [_num(cb.get(t)) for t in terms], "marker": {"color": SERIES[k]},
                     "hovertemplate": "%{fullData.name} %{x}: %{y:,.0f} USD<extra></extra>"})
    lines = []
    for k, r in enumerate(runs):
        if "costs" not in r.tables:
            continue
        costs = r.tables["costs"]
        by_year = costs[costs["kind"] == "cost"].groupby("period")["cost"].sum()
        lines.append({"type": "scatter", "mode": "lines+markers", "name": esc(r.label),
                      "x": [int(t) for t in by_year.index], "y": [_num(v) for v in by_year.values],
                      "line": {"color": SERIES[k], "dash": ("solid", "dash")[k % 2]},
                      "hovertemplate": "%{fullData.name} %{x}: %{y:,.0f} USD<extra></extra>"})
    first = {"data": bars, "layout": {
        "title": _title_layout("Cost breakdown, discounted totals"), "barmode": "group",
        "height": 440, "yaxis": {"title": {"text": "USD, discounted"}, "gridcolor": "#e5e5e5", "zerolinecolor": "#999"},
        "margin": {"l": 80, "r": 10, "t": TITLE_TOP + 44, "b": 60}}}
    second = {"data": lines, "layout": {
        "title": _title_layout("Total cost per year (USD of each year)"), "height": 440,
        "yaxis": {"title": {"text": "USD"}, "gridcolor": "#e5e5e5"}, "xaxis": {"title": {"text": "year"}, "dtick": 1},
        "margin": {"l": 80, "r": 10, "t": TITLE_TOP + 44, "b": 50}}}
    return first, second


def built_figure(run: RunData) -> dict[str, Any] | None:
    """Capacity added per year and facility (activity.csv ``built``), stacked."""
    act = run.tables["activity"]
    built = act[act["built"] > 0].drop_duplicates(["facility", "period"])
    if built.empty:
        return None
    traces = []
    for i, (fac, r) in enumerate(built.groupby("facility", sort=True)):
        traces.append({"type": "bar", "name": esc(fac), "x": [int(t) for t in r["period"]],
                       "y": [_num(v) for v in r["built"]], "marker": {"color": SERIES[i % len(SERIES)]},
                       "customdata": [esc(f"{st}, {c}") for st, c in zip(r["stage"], r["country"])],
                       "hovertemplate": "%{fullData.name} (%{customdata}) %{x}: %{y:,.0f} units/yr added<extra></extra>"})
    periods = run.periods
    return {"data": traces, "layout": {
        "title": _title_layout("Capacity built per year" + (f", {run.label}" if run.tag else "")), "barmode": "stack", "height": 380,
        "xaxis": {"title": {"text": "year"}, "dtick": 1, "range": [periods[0] - 0.5, periods[-1] + 0.5] if periods else None},
        "yaxis": {"title": {"text": "units of activity/yr"}, "gridcolor": "#e5e5e5"},
        "margin": {"l": 70, "r": 10, "t": TITLE_TOP + 44, "b": 50}}}


def unmet_figure(runs: list[RunData]) -> dict[str, Any] | None:
    traces = []
    for k, run in enumerate(runs):
        u = run.tables["unmet"]
        u = u[u["unmet"] > 0]
        for i, ((cust, prod), r) in enumerate(u.groupby(["customer", "product"], sort=True)):
            r = r.groupby("period")["unmet"].sum()
            name = f"{cust}: {prod}" + (f" ({run.label})" if len(runs) > 1 else "")
            traces.append({"type": "bar", "name": esc(name), "x": [int(t) for t in r.index],
                           "y": [_num(v) for v in r.values],
                           "offsetgroup": str(k), "marker": {"color": SERIES[(i + 3 * k) % len(SERIES)]},
                           "hovertemplate": "%{fullData.name} %{x}: %{y:,.1f} t unmet<extra></extra>"})
    if not traces:
        return None
    return {"data": traces, "layout": {
        "title": _title_layout("Unmet demand" + (f" ({' and '.join(r.label for r in runs)}, side by side)"
                                               if len(runs) > 1 else "")), "barmode": "stack" if len(runs) == 1 else "group",
        "height": 360, "xaxis": {"title": {"text": "year"}, "dtick": 1},
        "yaxis": {"title": {"text": "t/yr"}, "gridcolor": "#e5e5e5"}, "margin": {"l": 70, "r": 10, "t": TITLE_TOP + 44, "b": 50}}}


# ============================================================================================
# tables and page
# ============================================================================================


def _fmt(x: Any, digits: int = 0) -> str:
    v = _num(x)
    if v is None:
        return ""
    if digits == 0 and v != 0 and abs(v) < 10:
        return f"{v:,.4g}"
    return f"{v:,.{digits}f}"


def _usd(x: Any) -> str:
    v = _num(x)
    return "-" if v is None else f"{v:,.0f} USD"


def html_table(columns: list[tuple[str, str]], rows: Iterable[dict[str, Any]], cls: str = "") -> str:
    """An HTML table; ``columns`` are (key, heading), a heading ending in `` #`` is right-aligned."""
    head = "".join(f'<th class="num">{esc(h[:-2])}</th>' if h.endswith(" #") else f"<th>{esc(h)}</th>" for _, h in columns)
    body = []
    for r in rows:
        cells = "".join(f'<td class="num">{esc(r.get(k, ""))}</td>' if h.endswith(" #") else f"<td>{esc(r.get(k, ''))}</td>"
                        for k, h in columns)
        body.append(f"<tr>{cells}</tr>")
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


class Page:
    """Collects the figures (as JSON blocks) of one page."""

    def __init__(self) -> None:
        self.blocks: list[str] = []

    def figure(self, name: str, fig: dict[str, Any], cls: str = "figure") -> str:
        """The figure's div (and its controls, if it has any: see ``controls_html``)."""
        fig_id = f"fig-{name}"
        self.blocks.append(f'<script type="application/json" id="{fig_id}-data">{_json(fig)}</script>')
        controls = controls_html(fig_id, fig["m2m"]["controls"]) if "m2m" in fig else ""
        return f'{controls}<div class="{cls}" id="{fig_id}" data-figure="{fig_id}-data"></div>'


def controls_html(fig_id: str, controls: list[dict[str, Any]]) -> str:
    """Buttons above a figure, in groups (one choice per group); the page's script (``BOOT``) shows
    the traces whose ``m2m.traces`` entry matches the choices, with that entry's colouring and title."""
    groups = []
    for c in controls:
        on = ' class="on"'
        buttons = "".join(f'<button type="button" data-value="{esc(v)}"{on if v == c["active"] else ""}>{esc(words)}</button>'
                          for v, words in c["options"])
        groups.append(f'<span class="group" data-key="{esc(c["key"])}"><b>{esc(c["label"])}</b>{buttons}</span>')
    return f'<div class="controls" data-for="{fig_id}">{"".join(groups)}</div>'


def _json(obj: Any) -> str:
    """JSON safe inside <script>: no NaN, and <, >, & written as escapes."""
    text = json.dumps(_clean(obj), separators=(",", ":"), allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _clean(o: Any) -> Any:
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    if hasattr(o, "item") and not isinstance(o, (str, bytes)):
        o = o.item()
    if isinstance(o, float) and (math.isnan(o) or math.isinf(o)):
        return None
    return o


def header_html(run: RunData) -> str:
    s = run.summary
    stamp = s.get("stamp") or {}
    versions = ", ".join(f"{k} {stamp[k]}" for k in ("package", "pyomo", "highspy", "python") if stamp.get(k))
    options = stamp.get("options") or {}
    opts = ", ".join(f"{k}={v}" for k, v in options.items() if v not in (None, False))
    gap = s.get("mip_gap")
    rows = [
        ("instance", run.name),
        ("scenario", run.scenario_text),
        ("status", f"{s.get('status', '?')} ({s.get('termination', '')})"),
        ("total cost", f"{_usd(s.get('objective'))} (discounted to the first year)"
                       if _num(s.get("objective")) is not None else "none (no plan)"),
    ]
    if gap is not None:
        rows.append(("mip gap", f"{_num(gap):.2e}" if _num(gap) is not None else str(gap)))
    size = s.get("size") or {}
    if size:
        rows.append(("model", f"{size.get('variables', 0):,} variables, {size.get('constraints', 0):,} constraints, "
                              f"{size.get('integers', 0):,} integer"))
    rows.append(("results", str(run.folder)))
    rows.append(("stamp", str(stamp.get("sha256", "-"))))
    rows.append(("inputs", str(stamp.get("inputs_sha256", "-"))))
    if versions:
        rows.append(("versions", versions))
    if opts:
        rows.append(("options", opts))
    desc = (s.get("instance") or {}).get("description") or ""
    items = "".join(f'<tr><th>{esc(k)}</th><td class="{esc(k.replace(" ", "-"))}">{esc(v)}</td></tr>' for k, v in rows)
    tag = f'<span class="tag">{esc(run.tag)}</span> ' if run.tag else ""
    status_cls = "ok" if s.get("status") in SOLVED else "bad"
    return (f'<div class="run-head {status_cls}"><h2 class="run-name">{tag}{esc(run.name)} '
            f'<span class="scen">[{esc(run.scenario_text)}]</span></h2>'
            + (f'<p class="desc">{esc(desc)}</p>' if desc else "")
            + f'<table class="kv">{items}</table>'
            + (f'<p class="note">{esc(run.instance_note)}</p>' if run.instance_note else "")
            + "".join(f'<p class="note">warning: {esc(w)}</p>' for w in s.get("warnings") or [])
            + "</div>")


def legend_html(chains: list[Chain], colours: dict[str, str], runs: list[RunData]) -> str:
    shown: dict[str, str] = {}
    for run, chain in zip(runs, chains):
        nodes = set(run.tables["flows"]["origin"]) | set(run.tables["flows"]["destination"])
        for n in nodes:
            c = chain.country.get(n, "")
            if c:
                shown[c] = chain.country_names.get(c, c)
    covered = set().union(*(c.covered for c in chains))
    order = sorted(shown, key=lambda c: (c not in covered, c))
    chips = "".join(f'<span class="chip"><i style="background:{colours.get(c, UNKNOWN_COLOUR)}"></i>'
                    f'{esc(name)} ({esc(c)}){" *" if c in covered else ""}</span>'
                    for c, name in ((c, shown[c]) for c in order))
    tags = sorted({p for r in runs for p in r.tables["flows"]["provenance"]})
    prov = "".join(f'<span class="chip"><i style="background:{PROVENANCE_COLOURS.get(p, UNKNOWN_COLOUR)}"></i>{esc(p)}</span>'
                   for p in tags)
    note = ' (provenance is not tracked in this instance: every link is "any")' if tags == ["any"] else ""
    group = chains[0].group
    star = f'<span class="small">* in the provenance group {esc(group)}</span>' if covered else ""
    return (f'<div class="legend"><div><b>country</b> {chips} {star}</div>'
            f'<div><b>provenance</b> {prov}{esc(note)}</div></div>')


def costs_table(runs: list[RunData]) -> str:
    terms = list(dict.fromkeys(t for r in runs for t in (r.summary.get("cost_breakdown") or {})))
    cols = [("term", "term")] + [(f"v{k}", f"{r.label if len(runs) > 1 else 'discounted'} (USD) #") for k, r in enumerate(runs)]
    if len(runs) == 1:
        cols.append(("share", "share of total #"))
    else:
        cols.append(("diff", f"{runs[1].tag} - {runs[0].tag} (USD) #"))
    rows = []
    objective = [_num(r.summary.get("objective")) for r in runs]
    for t in terms:
        vals = [_num((r.summary.get("cost_breakdown") or {}).get(t)) for r in runs]
        row: dict[str, Any] = {"term": t, **{f"v{k}": _fmt(v) for k, v in enumerate(vals)}}
        if len(runs) == 1:
            row["share"] = f"{vals[0] / objective[0]:.1%}" if objective[0] and vals[0] is not None else ""
        else:
            row["diff"] = _fmt((vals[1] or 0) - (vals[0] or 0))
        rows.append(row)
    total: dict[str, Any] = {"term": "total (objective)", **{f"v{k}": _fmt(v) for k, v in enumerate(objective)}}
    if len(runs) == 1:
        total["share"] = "100.0%" if objective[0] else ""
    elif None not in objective:
        total["diff"] = _fmt(objective[1] - objective[0])
    rows.append(total)
    for t in dict.fromkeys(t for r in runs for t in (r.summary.get("transfers") or {})):
        vals = [_num(((r.summary.get("transfers") or {}).get(t) or {}).get("discounted")) for r in runs]
        row = {"term": f"{t}: transfer, not in the objective", **{f"v{k}": _fmt(v) for k, v in enumerate(vals)}}
        if len(runs) == 1:
            row["share"] = ""
        else:
            row["diff"] = _fmt((vals[1] or 0) - (vals[0] or 0))
        rows.append(row)
    return html_table(cols, rows, "costs")


def duals_table(run: RunData, limit: int = MAX_DUALS) -> str:
    duals = run.tables["duals"]
    if duals.empty:
        return '<p class="empty">No duals were reported for this plan (see duals.csv in docs/results.md).</p>'
    d = duals.copy()
    d["rank"] = [0 if c in POLICY_FAMILIES else 1 if c in DEMAND_FAMILIES else 2 for c in d["constraint"]]
    d["abs"] = d["value"].abs()
    d = d.sort_values(["rank", "abs", "constraint", "index"], ascending=[True, False, True, True], kind="stable")
    shown = d.head(limit)
    rows = [{"constraint": r.constraint, "index": r.index, "value": _fmt(r.value, 2), "unit": r.unit, "meaning": r.meaning}
            for r in shown.itertuples(index=False)]
    cols = [("constraint", "constraint"), ("index", "index"), ("value", "value #"), ("unit", "unit"), ("meaning", "meaning")]
    note = (f'<p class="small">{len(shown):,} of {len(d):,} rows: policy families first, then demand, '
            f"then the others; largest |value| first. All rows are in duals.csv.</p>")
    return note + html_table(cols, rows, "duals")


def investments_table(run: RunData) -> str:
    inv = run.tables["investments"]
    if inv.empty:
        return '<p class="empty">Nothing built: no candidate opens and no expansion is built.</p>'
    rows = [{"facility": r.facility, "period": int(r.period), "kind": r.kind, "steps": _fmt(r.steps, 2),
             "added": _fmt(r.capacity_added), "capex": _fmt(r.capex)} for r in inv.itertuples(index=False)]
    return html_table([("facility", "facility"), ("period", "year #"), ("kind", "kind"), ("steps", "steps #"),
                       ("added", "capacity added (units/yr) #"), ("capex", "capex (USD) #")], rows, "investments")


def unmet_table(run: RunData) -> str:
    u = run.tables["unmet"]
    u = u[u["unmet"] > 0]
    if u.empty:
        return '<p class="empty">All demand is met.</p>'
    rows = [{"customer": r.customer, "product": r.product, "period": int(r.period), "provenance": r.provenance,
             "demand": _fmt(r.demand, 1), "delivered": _fmt(r.delivered, 1), "unmet": _fmt(r.unmet, 1),
             "penalty": _fmt(r.penalty)} for r in u.itertuples(index=False)]
    return html_table([("customer", "customer"), ("product", "product"), ("period", "year #"), ("provenance", "provenance"),
                       ("demand", "demand (t) #"), ("delivered", "delivered (t) #"), ("unmet", "unmet (t) #"),
                       ("penalty", "penalty (USD/t) #")], rows, "unmet")


def offtakes_table(run: RunData) -> str:
    o = run.tables["offtakes"]
    if o.empty:
        return ""
    rows = [{"policy": r.policy, "customer": r.customer, "period": int(r.period), "provenance": r.provenance,
             "required": _fmt(r.required, 1), "delivered": _fmt(r.delivered, 1)} for r in o.itertuples(index=False)]
    return "<h3>Offtakes</h3>" + html_table(
        [("policy", "policy"), ("customer", "customer"), ("period", "year #"), ("provenance", "provenance"),
         ("required", "required (t) #"), ("delivered", "delivered (t) #")], rows, "offtakes")


def infeasibility_html(run: RunData) -> str:
    df = run.infeasibility
    lines = (run.summary.get("infeasibility") or [])
    if df is not None and not df.empty:
        rows = [{"rank": int(r.rank), "constraint": r.constraint, "index": r.index, "violation": _fmt(r.violation, 2),
                 "unit": r.unit, "explanation": r.explanation} for r in df.itertuples(index=False)]
        return html_table([("rank", "rank #"), ("constraint", "constraint"), ("index", "index"),
                           ("violation", "violation #"), ("unit", "unit"), ("explanation", "what must give")], rows, "infeasibility")
    if lines:
        return "<ul>" + "".join(f"<li>{esc(x)}</li>" for x in lines) + "</ul>"
    return ""


def _pair(parts: list[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    return '<div class="pair">' + "".join(f'<div class="col">{p}</div>' for p in parts) + "</div>"


def _section(sid: str, title: str, body: str, intro: str = "") -> str:
    intro_html = f'<p class="intro">{intro}</p>' if intro else ""
    return f'<section id="{sid}"><h2>{esc(title)}</h2>{intro_html}{body}</section>'


SECTIONS = (("sankey", "Flows"), ("shares", "Shares"), ("costs", "Costs"), ("built", "Capacity built"),
            ("unmet", "Unmet demand"), ("duals", "Duals"))


def render(runs: list[RunData]) -> str:
    """The whole page for one run, or for two side by side."""
    page = Page()
    planned = [r for r in runs if r.has_plan]
    chains = [build_chain(r) for r in planned]
    colours = country_colours(chains)
    body: list[str] = ['<header id="header">' + _pair([header_html(r) for r in runs])]
    if len(runs) == 2 and all(_num(r.summary.get("objective")) is not None for r in runs):
        a, b = (_num(r.summary["objective"]) for r in runs)
        body.append(f'<p class="diff">total cost {esc(runs[1].label)} - {esc(runs[0].label)}: <b>{esc(_usd(b - a))}</b>'
                    + (f" ({(b - a) / a:+.2%})" if a else "") + "</p>")
    body.append("</header>")
    for r in runs:
        if not r.has_plan:
            body.append(_section(f"noplan{r.tag.lower()}", f"No plan{': ' + r.label if r.tag else ''}",
                                 infeasibility_html(r),
                                 esc(f"Status {r.summary.get('status', '?')}: the run has no plan to draw.")))
    if planned:
        body.append('<nav>' + " ".join(f'<a href="#{sid}">{esc(t)}</a>' for sid, t in SECTIONS) + "</nav>")
        # Flows
        parts = []
        for r, ch in zip(planned, chains):
            parts.append(page.figure(f"sankey{r.tag.lower()}", sankey_figure(r, ch, colours), "figure sankey-figure"))
        parts.append(legend_html(chains, colours, planned))
        body.append(_section("sankey", "Flows", "".join(parts),
                             "What moves on each lane, in t/yr: nodes are the facilities and customers with flows in "
                             "the year chosen (or, in the stage \u00d7 country view, one node per stage and country), in "
                             "columns by stage; the buttons above the diagram choose the view, the year and whether "
                             "links are coloured by the country they ship from or by provenance."))
        # Shares
        first, second, flat = shares_figures(planned, chains)
        figs = [page.figure("shares-stages", first)]
        held = ('<div class="held"><p class="small">Share policies without a chart (it would show nothing):</p><ul>'
                + "".join(f'<li class="small">{esc(x)}</li>' for x in flat) + "</ul></div>") if flat else ""
        if second is not None:
            figs.append(page.figure("shares-policies", second) + held)
        else:
            figs.append(held or '<p class="empty">No share policy in this plan.</p>')
        body.append(_section("shares", "Shares", _pair(figs) if len(figs) == 2 else figs[0],
                             "Left: the share of each stage's activity that takes place in the provenance group "
                             "(overview rows of shares.csv). Right: each share policy against its cap."
                             + (" Solid lines: A; dashed: B." if len(planned) == 2 else "")))
        # Costs
        if len(planned) == 1:
            cost_body = page.figure("costs-years", cost_figure(planned[0])) + costs_table(planned)
        else:
            f1, f2 = cost_compare_figures(planned)
            cost_body = _pair([page.figure("costs-terms", f1), page.figure("costs-years", f2)]) + costs_table(planned)
        body.append(_section("costs", "Costs", cost_body,
                             "Cost terms by year (costs.csv) and the discounted totals of summary.json; "
                             "the totals sum to the objective."))
        # Built
        parts = []
        for r in planned:
            fig = built_figure(r)
            head = f"<h3>{esc(r.label)}</h3>" if r.tag else ""
            parts.append(head + (page.figure(f"built{r.tag.lower()}", fig) if fig else "") + investments_table(r))
        body.append(_section("built", "Capacity built", _pair(parts),
                             "Candidates opened and expansions built (investments.csv); the chart shows activity.csv "
                             "<code>built</code>, capacity added per year."))
        # Unmet
        fig = unmet_figure(planned)
        parts = [(f"<h3>{esc(r.label)}</h3>" if r.tag else "") + unmet_table(r) + offtakes_table(r) for r in planned]
        body.append(_section("unmet", "Unmet demand", (page.figure("unmet-years", fig) if fig else "") + _pair(parts),
                             "Demand left unmet (unmet.csv), and the offtakes with what was delivered against them."))
        # Duals
        parts = [(f"<h3>{esc(r.label)}</h3>" if r.tag else "") + duals_table(r) for r in planned]
        body.append(_section("duals", "Duals", "".join(parts),
                             "What each unit of security costs at the margin, in USD of the row's year "
                             "(duals.csv; signs and units in docs/results.md)."))
    title = " vs ".join(f"{r.name} [{r.scenario_text}]" for r in runs)
    return _page(title, "\n".join(body), page.blocks, wide=len(runs) > 1)


CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;padding:0 24px 40px;color:#222;background:#fff}
h1{font-size:22px;margin:18px 0 6px}h2{font-size:19px;margin:10px 0 6px}h3{font-size:15px;margin:14px 0 6px}
header{border-bottom:1px solid #ddd;padding-bottom:8px}
.run-head h2{font-size:18px}.scen{color:#555;font-weight:normal}.tag{background:#333;color:#fff;border-radius:3px;padding:0 6px}
.run-head.bad .status{color:#b00020;font-weight:bold}.run-head.ok .status{color:#1b5e20;font-weight:bold}
.desc{color:#444;max-width:1100px;margin:2px 0 6px}
table{border-collapse:collapse;font-size:13px;margin:6px 0 12px}
th,td{border-bottom:1px solid #e3e3e3;padding:3px 8px;text-align:left;vertical-align:top}
thead th{background:#f4f4f4;border-bottom:1px solid #ccc}
table.kv th{background:none;color:#555;font-weight:normal;padding-left:0}
table.kv td{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
nav{position:sticky;top:0;background:#fff;padding:6px 0;border-bottom:1px solid #eee;z-index:10}
nav a{margin-right:14px;color:#1565c0;text-decoration:none}
section{padding-top:8px;border-bottom:1px solid #eee;padding-bottom:8px}
.intro{color:#555;font-size:13px;max-width:1100px;margin:0 0 4px}
.note,.small{color:#666;font-size:12px}.empty{color:#555;font-style:italic}
.legend{font-size:12px;margin:4px 0 8px}.legend div{margin:3px 0}
.chip{display:inline-block;margin:0 10px 2px 0;white-space:nowrap}
.chip i{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px;border:1px solid #555}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:16px}.pair .col{min-width:0;overflow-x:auto}
.figure{width:100%}.diff{font-size:14px}
.controls{display:flex;flex-wrap:wrap;gap:6px 18px;align-items:center;margin:8px 0 2px;font-size:12px}
.controls .group{display:inline-flex;flex-wrap:wrap;align-items:center;gap:2px}
.controls b{font-weight:normal;color:#555;margin-right:4px}
.controls button{font:inherit;border:1px solid #bbb;background:#f7f7f7;color:#222;padding:2px 8px;border-radius:3px;cursor:pointer}
.controls button.on{background:#1565c0;border-color:#1565c0;color:#fff}
code{font-size:12px}
"""

BOOT = """
(function () {
  var config = {responsive: true, displaylogo: false, showLink: false, showSendToCloud: false,
                modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines",
                                         "hoverClosestCartesian", "hoverCompareCartesian"]};
  // A figure with controls (spec.m2m): show the traces that match the buttons chosen.
  function wire(div, m2m) {
    var bar = document.querySelector('.controls[data-for="' + div.id + '"]');
    if (!bar) return;
    function apply() {
      var state = {};
      bar.querySelectorAll(".group").forEach(function (g) {
        var on = g.querySelector("button.on");
        state[g.getAttribute("data-key")] = on ? on.getAttribute("data-value") : null;
      });
      var visible = [], nodes = [], links = [], title = null;
      m2m.traces.forEach(function (t) {
        var shown = t.view === state.view && t.year === state.year;
        visible.push(shown);
        nodes.push(t.colours[state.colour].node);
        links.push(t.colours[state.colour].link);
        if (shown) title = t.title;
      });
      Plotly.update(div, {visible: visible, "node.color": nodes, "link.color": links},
                    title === null ? {} : {"title.text": title});
    }
    bar.querySelectorAll("button").forEach(function (b) {
      b.addEventListener("click", function () {
        b.parentNode.querySelectorAll("button").forEach(function (o) { o.classList.toggle("on", o === b); });
        apply();
      });
    });
  }
  var divs = document.querySelectorAll("div[data-figure]");
  for (var i = 0; i < divs.length; i++) {
    var spec = JSON.parse(document.getElementById(divs[i].getAttribute("data-figure")).textContent);
    Plotly.newPlot(divs[i], spec.data, spec.layout, config);
    if (spec.m2m) wire(divs[i], spec.m2m);
  }
})();
"""


def _page(title: str, body: str, blocks: list[str], wide: bool) -> str:
    """The document; plotly.js is inlined once, and only when there is a figure to draw."""
    from plotly.offline import get_plotlyjs

    plotly = f"<script>{get_plotlyjs()}</script>\n" if blocks else ""
    boot = f"\n<script>{BOOT}</script>" if blocks else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"{REPORT_GENERATOR}\n"
        f"<title>{esc(title)}: mine2magnet report</title>\n<style>{CSS}</style>\n"
        f"{plotly}</head>\n<body>\n"
        f"<h1>mine2magnet report{': comparison' if wide else ''}</h1>\n{body}\n"
        + "\n".join(blocks)
        + f"{boot}\n</body>\n</html>\n"
    )


# ============================================================================================
# entry point
# ============================================================================================


def write_report(run: str | Path, compare: str | Path | None = None, out: str | Path | None = None) -> Path:
    """Write the report of ``run`` (beside ``compare`` if given); return the path of the HTML file.

    Raises :class:`InputError` when a results folder or its summary cannot be read.
    """
    first = results_folder(run)
    target = guard_report(Path(out) if out is not None else first / REPORT_FILE,
                          protect=[first / SUMMARY] + ([results_folder(compare) / SUMMARY] if compare is not None else []))
    runs = [read_run(run, tag="A" if compare is not None else "")]
    if compare is not None:
        runs.append(read_run(compare, tag="B"))
    text = render(runs)
    with staged_file(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target

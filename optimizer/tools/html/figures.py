"""The report's figures as plotly JSON: the Sankey of the chain, shares against caps, costs, capacity built, unmet demand."""

from __future__ import annotations

import html
from typing import Any, Callable, Iterable

import pandas as pd

from .data import CUSTOMERS, NODE_GREY, PROVENANCE_COLOURS, SERIES, UNKNOWN_COLOUR, Chain, RunData, fmt, num, rgba


# ============================================================================================
# figures (plain plotly.js figure specs)
# ============================================================================================


def esc(text: Any) -> str:
    """Text for HTML, and for plotly.js labels (which read a small subset of HTML)."""
    return html.escape(str(text), quote=False)


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
                    "link": [rgba(colours.get(chain.country.get(o, ""), UNKNOWN_COLOUR), 0.45) for o in links["origin"]]},
        "provenance": {"node": [NODE_GREY] * len(nodes),
                       "link": [rgba(PROVENANCE_COLOURS.get(p, UNKNOWN_COLOUR), 0.55) for p in links["provenance"]]},
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
                "customdata": [[fmt(a), fmt(b)] for a, b in zip(r["numerator"], r["denominator"])],
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
    x = num(v)
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
        u = [num(c["cost"].get(t)) if t in c.index else None for t in periods]
        d = [num(c["discounted"].get(t)) if t in c.index else None for t in periods]
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
                     "y": [num(cb.get(t)) for t in terms], "marker": {"color": SERIES[k]},
                     "hovertemplate": "%{fullData.name} %{x}: %{y:,.0f} USD<extra></extra>"})
    lines = []
    for k, r in enumerate(runs):
        if "costs" not in r.tables:
            continue
        costs = r.tables["costs"]
        by_year = costs[costs["kind"] == "cost"].groupby("period")["cost"].sum()
        lines.append({"type": "scatter", "mode": "lines+markers", "name": esc(r.label),
                      "x": [int(t) for t in by_year.index], "y": [num(v) for v in by_year.values],
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
                       "y": [num(v) for v in r["built"]], "marker": {"color": SERIES[i % len(SERIES)]},
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
                           "y": [num(v) for v in r.values],
                           "offsetgroup": str(k), "marker": {"color": SERIES[(i + 3 * k) % len(SERIES)]},
                           "hovertemplate": "%{fullData.name} %{x}: %{y:,.1f} t unmet<extra></extra>"})
    if not traces:
        return None
    return {"data": traces, "layout": {
        "title": _title_layout("Unmet demand" + (f" ({' and '.join(r.label for r in runs)}, side by side)"
                                               if len(runs) > 1 else "")), "barmode": "stack" if len(runs) == 1 else "group",
        "height": 360, "xaxis": {"title": {"text": "year"}, "dtick": 1},
        "yaxis": {"title": {"text": "t/yr"}, "gridcolor": "#e5e5e5"}, "margin": {"l": 70, "r": 10, "t": TITLE_TOP + 44, "b": 50}}}

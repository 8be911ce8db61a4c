"""The report's page: its tables, controls and sections, and the HTML that holds the figures."""

from __future__ import annotations

import json
import math
from typing import Any, Iterable


from ...core.contract import SOLVED
from ...families import DEMAND_DUALS, POLICY_DUALS
from ...results.outputs import REPORT_GENERATOR
from .data import (MAX_DUALS, PROVENANCE_COLOURS, UNKNOWN_COLOUR, Chain, RunData,
                   build_chain, country_colours, fmt, num)
from .figures import built_figure, cost_compare_figures, cost_figure, esc, sankey_figure, shares_figures, unmet_figure


# ============================================================================================
# tables and page
# ============================================================================================


def _usd(x: Any) -> str:
    v = num(x)
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
        *([("outcome", f"{run.outcome}: the hedged plan (m2m hedge) in this outcome")] if run.outcome else []),
        ("status", f"{s.get('status', '?')} ({s.get('termination', '')})"),
        ("total cost", f"{_usd(s.get('objective'))} (discounted to the first year)"
                       if num(s.get("objective")) is not None else "none (no plan)"),
    ]
    if gap is not None:
        rows.append(("mip gap", f"{num(gap):.2e}" if num(gap) is not None else str(gap)))
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
    objective = [num(r.summary.get("objective")) for r in runs]
    for t in terms:
        vals = [num((r.summary.get("cost_breakdown") or {}).get(t)) for r in runs]
        row: dict[str, Any] = {"term": t, **{f"v{k}": fmt(v) for k, v in enumerate(vals)}}
        if len(runs) == 1:
            row["share"] = f"{vals[0] / objective[0]:.1%}" if objective[0] and vals[0] is not None else ""
        else:
            row["diff"] = fmt((vals[1] or 0) - (vals[0] or 0))
        rows.append(row)
    total: dict[str, Any] = {"term": "total (objective)", **{f"v{k}": fmt(v) for k, v in enumerate(objective)}}
    if len(runs) == 1:
        total["share"] = "100.0%" if objective[0] else ""
    elif None not in objective:
        total["diff"] = fmt(objective[1] - objective[0])
    rows.append(total)
    for t in dict.fromkeys(t for r in runs for t in (r.summary.get("transfers") or {})):
        vals = [num(((r.summary.get("transfers") or {}).get(t) or {}).get("discounted")) for r in runs]
        row = {"term": f"{t}: transfer, not in the objective", **{f"v{k}": fmt(v) for k, v in enumerate(vals)}}
        if len(runs) == 1:
            row["share"] = ""
        else:
            row["diff"] = fmt((vals[1] or 0) - (vals[0] or 0))
        rows.append(row)
    return html_table(cols, rows, "costs")


def duals_table(run: RunData, limit: int = MAX_DUALS) -> str:
    duals = run.tables["duals"]
    if duals.empty:
        return '<p class="empty">No duals were reported for this plan (see duals.csv in docs/results.md).</p>'
    d = duals.copy()
    d["rank"] = [0 if c in POLICY_DUALS else 1 if c in DEMAND_DUALS else 2 for c in d["constraint"]]
    d["abs"] = d["value"].abs()
    d = d.sort_values(["rank", "abs", "constraint", "index"], ascending=[True, False, True, True], kind="stable")
    shown = d.head(limit)
    rows = [{"constraint": r.constraint, "index": r.index, "value": fmt(r.value, 2), "unit": r.unit, "meaning": r.meaning}
            for r in shown.itertuples(index=False)]
    cols = [("constraint", "constraint"), ("index", "index"), ("value", "value #"), ("unit", "unit"), ("meaning", "meaning")]
    note = (f'<p class="small">{len(shown):,} of {len(d):,} rows: policy families first, then demand, '
            f"then the others; largest |value| first. All rows are in duals.csv.</p>")
    return note + html_table(cols, rows, "duals")


def investments_table(run: RunData) -> str:
    inv = run.tables["investments"]
    if inv.empty:
        return '<p class="empty">Nothing built: no candidate opens and no expansion is built.</p>'
    rows = [{"facility": r.facility, "period": int(r.period), "kind": r.kind, "steps": fmt(r.steps, 2),
             "added": fmt(r.capacity_added), "capex": fmt(r.capex)} for r in inv.itertuples(index=False)]
    return html_table([("facility", "facility"), ("period", "year #"), ("kind", "kind"), ("steps", "steps #"),
                       ("added", "capacity added (units/yr) #"), ("capex", "capex (USD) #")], rows, "investments")


def unmet_table(run: RunData) -> str:
    u = run.tables["unmet"]
    u = u[u["unmet"] > 0]
    if u.empty:
        return '<p class="empty">All demand is met.</p>'
    rows = [{"customer": r.customer, "product": r.product, "period": int(r.period), "provenance": r.provenance,
             "demand": fmt(r.demand, 1), "delivered": fmt(r.delivered, 1), "unmet": fmt(r.unmet, 1),
             "penalty": fmt(r.penalty)} for r in u.itertuples(index=False)]
    return html_table([("customer", "customer"), ("product", "product"), ("period", "year #"), ("provenance", "provenance"),
                       ("demand", "demand (t) #"), ("delivered", "delivered (t) #"), ("unmet", "unmet (t) #"),
                       ("penalty", "penalty (USD/t) #")], rows, "unmet")


def offtakes_table(run: RunData) -> str:
    o = run.tables["offtakes"]
    if o.empty:
        return ""
    rows = [{"policy": r.policy, "customer": r.customer, "period": int(r.period), "provenance": r.provenance,
             "required": fmt(r.required, 1), "delivered": fmt(r.delivered, 1)} for r in o.itertuples(index=False)]
    return "<h3>Offtakes</h3>" + html_table(
        [("policy", "policy"), ("customer", "customer"), ("period", "year #"), ("provenance", "provenance"),
         ("required", "required (t) #"), ("delivered", "delivered (t) #")], rows, "offtakes")


def infeasibility_html(run: RunData) -> str:
    df = run.infeasibility
    lines = (run.summary.get("infeasibility") or [])
    if df is not None and not df.empty:
        rows = [{"rank": int(r.rank), "constraint": r.constraint, "index": r.index, "violation": fmt(r.violation, 2),
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
    if len(runs) == 2 and all(num(r.summary.get("objective")) is not None for r in runs):
        a, b = (num(r.summary["objective"]) for r in runs)
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

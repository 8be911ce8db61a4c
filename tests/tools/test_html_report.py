"""``m2m report``: the HTML report of a results folder.

The file's content (sections, the data in each figure and table, escaping, no network
references), the command line (default file, ``--compare``, bad input), and the page drawn in
headless Chromium (tests/browser.py): the Sankey's nodes year by year, the colour switch, the
charts, no errors, and a screenshot kept as a test artifact (copied to ``$M2M_ARTIFACTS`` when
that is set).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from optimizer import solve
from optimizer.cli import EXIT_INPUT, EXIT_OK, main
from optimizer.families import POLICY_DUALS
from optimizer.tools.html.data import (CUSTOMERS, MAX_DUALS, PROVENANCE_COLOURS, REPORT_FILE,
                                      stage_columns)
from optimizer.tools.html.report import write_report
from optimizer.results.write import write_results
from tests import browser
from tests.helpers import ROOT

DEMO = ROOT / "instances" / "demo_mine_to_magnet"
SECTIONS = ("header", "sankey", "shares", "costs", "built", "unmet", "duals")


# --------------------------------------------------------------------------------------------
# fixtures and helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """The demo solved twice: the base instance and the scenario without Chinese magnets."""
    root = tmp_path_factory.mktemp("runs")
    return {key: write_results(solve(DEMO, scenario=scen), root / key)
            for key, scen in (("base", []), ("nocn", ["no_china_magnets"]))}


@pytest.fixture(scope="module")
def report(runs, tmp_path_factory) -> Path:
    return write_report(runs["base"], out=tmp_path_factory.mktemp("report") / REPORT_FILE)


@pytest.fixture(scope="module")
def html_text(report) -> str:
    return report.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def compared(runs, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("compare") / "compare.html"
    result = CliRunner().invoke(main, ["report", str(runs["base"]), "--compare", str(runs["nocn"]), "--out", str(out)])
    assert result.exit_code == EXIT_OK, result.output + result.stderr
    assert result.stdout.strip() == f"wrote {out}"
    return out


def tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(folder / f"{name}.csv", keep_default_na=False, na_values=[""])
            for name in ("flows", "shares", "costs", "duals", "investments", "unmet", "activity")}


def figures(text: str) -> dict[str, dict]:
    """The figures embedded in the page, by the id of their div."""
    return {m.group(1): json.loads(m.group(2))
            for m in re.finditer(r'<script type="application/json" id="([^"]+)-data">(.*?)</script>', text, re.DOTALL)}


class Parsed(HTMLParser):
    """Start tags with their attributes, the text of <style>, and the text of elements by id."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self.text_by_class: dict[str, list[str]] = {}
        self._stack: list[tuple[str, str]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("meta", "br", "i"):
            self._stack.append((tag, dict(attrs).get("class") or ""))

    def handle_endtag(self, tag):
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self._stack and self._stack[-1][0] == "style":
            self.styles.append(data)
        for _, cls in self._stack:
            for c in cls.split():
                self.text_by_class.setdefault(c, []).append(data)


def invoke(*args) -> object:
    return CliRunner().invoke(main, [str(a) for a in args])


def money(x: float) -> str:
    return f"{x:,.0f}"


# --------------------------------------------------------------------------------------------
# the file
# --------------------------------------------------------------------------------------------


def test_report_is_self_contained(html_text):
    from plotly.offline import get_plotlyjs

    parsed = Parsed(html_text)
    for tag, attrs in parsed.tags:
        assert "src" not in attrs, (tag, attrs)  # no <script src=>, <img src=>, <iframe src=>
        assert tag != "link", attrs  # no <link href=> (stylesheets, fonts)
        href = attrs.get("href")
        assert href is None or href.startswith("#"), (tag, attrs)
    style = "".join(parsed.styles)
    assert style and "url(" not in style and "@import" not in style
    bundle = get_plotlyjs()
    assert html_text.count(bundle[:300]) == 1, "the plotly.js bundle is inlined exactly once"
    rest = html_text.replace(bundle, "")
    assert "http://" not in rest and "https://" not in rest
    # Every <script> is closed by its own </script>: nothing from the data closed one early.
    assert html_text.count("<script") == html_text.count("</script>") == 2 + len(figures(html_text))


def test_sections_and_header(html_text, runs):
    summary = json.loads((runs["base"] / "summary.json").read_text())
    parsed = Parsed(html_text)
    ids = {attrs.get("id") for _, attrs in parsed.tags}
    assert set(SECTIONS) <= ids
    for heading in ("Flows", "Shares", "Costs", "Capacity built", "Unmet demand", "Duals"):
        assert f"<h2>{heading}</h2>" in html_text
    head = "".join(parsed.text_by_class["run-head"])
    assert "demo_mine_to_magnet" in head and "[base]" in head
    assert "optimal (Optimal)" in "".join(parsed.text_by_class["status"])
    assert f"{money(summary['objective'])} USD" in "".join(parsed.text_by_class["total-cost"])
    assert summary["stamp"]["sha256"] in "".join(parsed.text_by_class["stamp"])
    assert summary["stamp"]["inputs_sha256"] in "".join(parsed.text_by_class["inputs"])


def test_sankey_has_the_flows_of_each_year_in_stage_order(html_text, runs):
    flows = tables(runs["base"])["flows"]
    fig = figures(html_text)["fig-sankey"]
    periods = sorted(flows["period"].unique())
    meta = fig["m2m"]["traces"]
    # one trace per view and year; the facility view of the last year shown first
    assert [(m["view"], m["year"]) for m in meta] == [(v, str(t)) for v in ("facility", "aggregate") for t in periods]
    assert [t["visible"] for t in fig["data"]] == [m["view"] == "facility" and m["year"] == str(periods[-1]) for m in meta]
    facility = [tr for tr, m in zip(fig["data"], meta) if m["view"] == "facility"]
    aggregate = [tr for tr, m in zip(fig["data"], meta) if m["view"] == "aggregate"]
    activity = tables(runs["base"])["activity"].drop_duplicates("facility").set_index("facility")
    for trace, group, t in zip(facility, aggregate, periods):
        f = flows[flows["period"] == t]
        assert set(trace["node"]["label"]) == set(f["origin"]) | set(f["destination"])
        assert sum(trace["link"]["value"]) == pytest.approx(f["quantity"].sum(), rel=1e-9)
        pairs = {(trace["node"]["label"][s], trace["node"]["label"][d])
                 for s, d in zip(trace["link"]["source"], trace["link"]["target"])}
        assert pairs == set(zip(f["origin"], f["destination"]))
        # the aggregated view: one node per stage and country, the same tonnes
        stages = {n: f"{activity.loc[n, 'stage']}: " for n in set(f["origin"]) | set(f["destination"]) if n in activity.index}
        assert len(group["node"]["label"]) < len(trace["node"]["label"])
        assert all(label.split(": ")[0] + ": " in set(stages.values()) | {"customers: "} for label in group["node"]["label"])
        assert sum(group["link"]["value"]) == pytest.approx(f["quantity"].sum(), rel=1e-9)
    last = facility[-1]
    x = dict(zip(last["node"]["label"], last["node"]["x"]))
    # mine -> separation -> metal -> magnet -> customers, left to right; the recycler beside the magnet plants
    assert x["mp_mine"] < x["mp_separation"] < x["us_metal"] < x["mp_10x"] < x["dod"]
    assert x["cn_mine"] == x["au_mine"] and x["cn_magnet"] == x["mp_independence"] == x["us_recycler"]
    # the controls: view, year and colouring, drawn in HTML above the figure (not inside it)
    assert "updatemenus" not in fig["layout"]
    assert [(c["key"], [o[0] for o in c["options"]], c["active"]) for c in fig["m2m"]["controls"]] == [
        ("view", ["facility", "aggregate"], "facility"), ("year", [str(t) for t in periods], str(periods[-1])),
        ("colour", ["country", "provenance"], "country")]
    assert '<div class="controls" data-for="fig-sankey">' in html_text
    for trace, m in zip(fig["data"], meta):
        assert m["colours"]["country"]["link"] == trace["link"]["color"]
        if m["view"] == "facility":
            f = flows[flows["period"] == int(m["year"])]
            touched = f[f["provenance"] == "touched"][["origin", "destination", "product"]].drop_duplicates()
            red = sum(c.startswith("rgba(214,39,40,") for c in m["colours"]["provenance"]["link"])
            assert red == len(touched) > 0


def test_shares_costs_built_and_unmet_hold_the_tables(html_text, runs):
    t = tables(runs["base"])
    figs = figures(html_text)
    overview = t["shares"][t["shares"]["policy"].isna()]
    stages = {tr["name"]: tr for tr in figs["fig-shares-stages"]["data"]}
    assert set(stages) == {f"{a}: {b}" for a, b in zip(overview["stage"], overview["product"])}
    sep = overview[(overview["stage"] == "separation") & (overview["product"] == "ndpr_oxide")].sort_values("period")
    assert stages["separation: ndpr_oxide"]["y"] == pytest.approx(list(100 * sep["share"]))
    pol = t["shares"][t["shares"]["policy"].notna()].sort_values("period")
    lines = {tr["name"]: tr for tr in figs["fig-shares-policies"]["data"]}
    name = "china_share_us_commercial (customers:us_commercial)"
    assert lines[f"share: {name}"]["y"] == pytest.approx(list(100 * pol["share"]))
    assert lines[f"cap: {name}"]["y"] == pytest.approx(list(100 * pol["cap"]))

    costs = {tr["name"]: tr for tr in figs["fig-costs-years"]["data"]}
    prod = t["costs"][t["costs"]["term"] == "production"].sort_values("period")
    assert costs["production"]["y"] == pytest.approx(list(prod["cost"]))
    discounted = figs["fig-costs-years"]["layout"]["updatemenus"][0]["buttons"][1]["args"][0]["y"]
    assert discounted[list(costs).index("production")] == pytest.approx(list(prod["discounted"]))
    summary = json.loads((runs["base"] / "summary.json").read_text())
    for term, value in summary["cost_breakdown"].items():
        assert f"<td>{term}</td><td class=\"num\">{money(value)}</td>" in html_text
    assert f"<td>total (objective)</td><td class=\"num\">{money(summary['objective'])}</td>" in html_text

    built = t["activity"][t["activity"]["built"] > 0].drop_duplicates(["facility", "period"])
    bars = {tr["name"]: tr for tr in figs["fig-built"]["data"]}
    assert set(bars) == set(built["facility"]) == set(t["investments"]["facility"]) == {"mp_10x"}
    assert bars["mp_10x"]["y"] == pytest.approx(list(built["built"]))
    assert "<td>mp_10x</td><td class=\"num\">2028</td><td>open</td>" in html_text
    assert t["unmet"]["unmet"].sum() == 0 and "All demand is met." in html_text
    assert "fig-unmet-years" not in figs


def test_duals_table_puts_policies_first_largest_first(runs, tmp_path):
    # the plan without Chinese magnets in the US: its export cap has non-zero duals
    duals = tables(runs["nocn"])["duals"]
    html_text = write_report(runs["nocn"], out=tmp_path / REPORT_FILE).read_text(encoding="utf-8")
    part = html_text.split('<section id="duals">', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr><td>([a-z_]+)</td><td>([^<]*)</td><td class=\"num\">([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>",
                      part)
    assert len(rows) == min(MAX_DUALS, len(duals))
    assert f"{len(rows)} of {len(duals)} rows" in part
    families = [r[0] for r in rows]
    n_policy = int(duals["constraint"].isin(POLICY_DUALS).sum())
    assert set(families[:n_policy]) <= set(POLICY_DUALS) and families[n_policy] == "demand_balance"
    values = [abs(float(r[2].replace(",", ""))) for r in rows[:n_policy]]
    assert values == sorted(values, reverse=True) and values[0] > 0
    top = duals[duals["constraint"].isin(POLICY_DUALS)].assign(a=lambda d: d["value"].abs()).sort_values("a").iloc[-1]
    assert rows[0][1] == top["index"] and rows[0][3] == top["unit"] and rows[0][4] == top["meaning"]


def test_figures_are_valid_plotly(html_text):
    import plotly.graph_objects as go

    figs = figures(html_text)
    assert {"fig-sankey", "fig-shares-stages", "fig-shares-policies", "fig-costs-years", "fig-built"} <= set(figs)
    for spec in figs.values():
        go.Figure(data=spec["data"], layout=spec["layout"])  # raises on an attribute plotly does not know


def test_compare_overlays_costs_and_shares_and_draws_both_sankeys(compared, runs):
    text = compared.read_text(encoding="utf-8")
    figs = figures(text)
    sa = json.loads((runs["base"] / "summary.json").read_text())
    sb = json.loads((runs["nocn"] / "summary.json").read_text())
    assert {"fig-sankeya", "fig-sankeyb", "fig-costs-terms", "fig-costs-years", "fig-shares-stages"} <= set(figs)
    bars = {tr["name"]: tr for tr in figs["fig-costs-terms"]["data"]}
    assert set(bars) == {"A: base", "B: no_china_magnets"}
    terms = bars["A: base"]["x"]
    assert bars["A: base"]["y"] == pytest.approx([sa["cost_breakdown"].get(t) for t in terms])
    assert bars["B: no_china_magnets"]["y"] == pytest.approx([sb["cost_breakdown"].get(t) for t in terms])
    names = {tr["name"] for tr in figs["fig-shares-stages"]["data"]}
    assert {"magnet: ndfeb_magnet (A: base)", "magnet: ndfeb_magnet (B: no_china_magnets)"} <= names
    flows_b = tables(runs["nocn"])["flows"]
    (last_b, meta_b), = [(tr, m) for tr, m in zip(figs["fig-sankeyb"]["data"], figs["fig-sankeyb"]["m2m"]["traces"])
                         if tr["visible"]]
    f = flows_b[flows_b["period"] == int(meta_b["year"])]
    assert set(last_b["node"]["label"]) == set(f["origin"]) | set(f["destination"])
    assert "no_china_magnets" in text and f"{money(sb['objective'] - sa['objective'])} USD" in text
    # the scenario's unmet demand appears in B's table and in the overlaid chart
    unmet = tables(runs["nocn"])["unmet"]
    assert unmet["unmet"].sum() > 0
    assert {tr["name"] for tr in figs["fig-unmet-years"]["data"]} == {
        f"{c}: {p} (B: no_china_magnets)" for c, p in unmet[unmet["unmet"] > 0][["customer", "product"]].drop_duplicates().itertuples(index=False)}


def test_cli_writes_report_html_in_the_results_folder(runs, tmp_path):
    folder = shutil.copytree(runs["base"], tmp_path / "run")
    result = invoke("report", folder)
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout.strip() == f"wrote {folder / REPORT_FILE}"
    assert (folder / REPORT_FILE).stat().st_size > 1_000_000
    # The summary.json path works as well.
    out = tmp_path / "sub" / "r.html"
    assert invoke("report", folder / "summary.json", "-o", out).exit_code == EXIT_OK and out.is_file()


@pytest.mark.parametrize("case", ["missing", "no_summary", "missing_table", "compare_missing"])
def test_bad_input_exits_2_with_one_line(case, runs, tmp_path):
    folder = shutil.copytree(runs["base"], tmp_path / "run")
    if case == "missing":
        args, expect = [tmp_path / "nope"], "no such results folder"
    elif case == "no_summary":
        (folder / "summary.json").unlink()
        args, expect = [folder], "no summary.json"
    elif case == "missing_table":
        (folder / "flows.csv").unlink()
        args, expect = [folder], "flows.csv:-:-: results table is missing"
    else:
        args, expect = [folder, "--compare", tmp_path / "other"], "no such results folder"
    result = invoke("report", *args)
    assert result.exit_code == EXIT_INPUT
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expect in lines[0], result.stderr
    assert result.stdout == ""
    assert not (folder / REPORT_FILE).exists()


def test_text_from_the_data_is_escaped(runs, tmp_path):
    folder = shutil.copytree(runs["base"], tmp_path / "run")
    evil = '<script>alert("name")</script> & <em>co</em>'
    summary = json.loads((folder / "summary.json").read_text())
    summary["instance"]["name"] = evil
    summary["instance"]["description"] = "</script><img src=x onerror=alert(1)>"
    (folder / "summary.json").write_text(json.dumps(summary))
    duals = pd.read_csv(folder / "duals.csv", keep_default_na=False)
    duals.loc[duals["constraint"] == "max_share", "meaning"] = "<img src=y onerror=alert(2)> & </td>"
    duals.to_csv(folder / "duals.csv", index=False)
    text = write_report(folder).read_text(encoding="utf-8")
    assert "<script>alert" not in text and "<img" not in text and "<em>" not in text
    parsed = Parsed(text)
    assert not [t for t, _ in parsed.tags if t in ("img", "em")]
    assert evil in "".join(parsed.text_by_class["run-name"])
    assert "<img src=y onerror=alert(2)> & </td>" in "".join(parsed.text_by_class["duals"])
    assert text.count("<script") == text.count("</script>")
    # In the figures the name is escaped for plotly.js, which reads a little HTML in its labels.
    title = figures(text)["fig-sankey"]["layout"]["title"]["text"]
    assert title.startswith("&lt;script&gt;alert(\"name\")&lt;/script&gt; &amp; &lt;em&gt;co&lt;/em&gt; [base]")


def test_without_its_instance_the_report_uses_the_results(runs, tmp_path):
    folder = shutil.copytree(runs["base"], tmp_path / "run")
    summary = json.loads((folder / "summary.json").read_text())
    summary["instance"]["path"] = str(tmp_path / "moved_away")
    (folder / "summary.json").write_text(json.dumps(summary))
    text = write_report(folder).read_text(encoding="utf-8")
    assert f"the instance {tmp_path / 'moved_away'} could not be read" in text
    fig = figures(text)["fig-sankey"]
    last = [tr for tr, m in zip(fig["data"], fig["m2m"]["traces"]) if m["view"] == "facility"][-1]
    x = dict(zip(last["node"]["label"], last["node"]["x"]))
    # stages from activity.csv; customers are the destinations that are not facilities
    assert x["mp_mine"] < x["mp_separation"] < x["us_metal"] < x["mp_10x"] < x["dod"] == x["us_commercial"]


def test_run_without_a_plan_shows_what_must_give(tmp_path):
    folder = write_results(solve(ROOT / "instances" / "tiny_infeasible"), tmp_path / "inf")
    result = invoke("report", folder)
    assert result.exit_code == EXIT_OK, result.output
    text = (folder / REPORT_FILE).read_text(encoding="utf-8")
    assert "<h2>No plan</h2>" in text and "infeasible (Infeasible)" in text
    assert "demand buyer 2026: short 50 t of magnet" in text
    assert "<script" not in text and not figures(text)  # nothing to draw, so no plotly.js either


def test_stage_columns_order_the_chain_and_cut_cycles():
    edges = [("mine", "cracking"), ("mine", "separation"), ("cracking", "separation"), ("separation", "metal"),
             ("metal", "magnet"), ("magnet", CUSTOMERS), ("collection", "recycle_magnet"),
             ("recycle_magnet", CUSTOMERS), ("collection", "recycle_oxide"), ("recycle_oxide", "metal"),
             ("magnet", "recycle_oxide"),  # swarf back upstream: a cycle
             ("mine_byproduct", "separation")]
    col = stage_columns(edges, ["mine", "market"])
    assert col["mine"] == col["collection"] == col["mine_byproduct"] == 0
    assert col["mine"] < col["cracking"] < col["separation"] < col["metal"] < col["magnet"] < col[CUSTOMERS]
    assert col["recycle_magnet"] == col["magnet"] == col[CUSTOMERS] - 1
    assert col["recycle_oxide"] == 1
    assert col["market"] == 0  # a stage without lanes stays at the left
    assert sorted(set(col.values())) == list(range(col[CUSTOMERS] + 1))  # no empty column


# --------------------------------------------------------------------------------------------
# in the browser
# --------------------------------------------------------------------------------------------

PROBE = """async function (m) {
  var out = {figures: {}, years: {}, divs: document.querySelectorAll("div[data-figure]").length};
  document.querySelectorAll(".js-plotly-plot").forEach(function (d) {
    out.figures[d.id] = {svg: d.querySelectorAll(".main-svg").length, bars: d.querySelectorAll(".bars .point").length,
                         lines: d.querySelectorAll(".scatterlayer .trace .js-line").length};
  });
  var div = document.getElementById("fig-sankey");
  function count() {
    return {nodes: div.querySelectorAll(".sankey .sankey-node").length, links: div.querySelectorAll(".sankey .sankey-link").length,
            rects: div.querySelectorAll(".sankey .sankey-node .node-rect").length,
            labels: Array.prototype.map.call(div.querySelectorAll(".sankey .node-label"), function (e) { return e.textContent; }),
            title: (div.querySelector(".gtitle") || {}).textContent};
  }
  function button(label) {
    return Array.prototype.filter.call(document.querySelectorAll('.controls[data-for="fig-sankey"] button'), function (b) {
      return b.textContent.trim() === label; })[0];
  }
  out.initial = count();
  for (var i = 0; i < YEARS.length; i++) {
    m.click(button(YEARS[i]));
    await m.sleep(1200);
    out.years[YEARS[i]] = count();
  }
  function fills() {
    return Array.prototype.map.call(div.querySelectorAll(".sankey .sankey-link"), function (p) { return getComputedStyle(p).fill; });
  }
  out.country_fills = fills();
  m.click(button("by provenance"));
  await m.sleep(1200);
  out.provenance_fills = fills();
  return out;
}"""


def keep(png: Path) -> None:
    """Copy a screenshot to $M2M_ARTIFACTS (CI keeps that folder) when it is set."""
    target = os.environ.get("M2M_ARTIFACTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(target) / png.name)


def rgb(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(h[i:i + 2], 16) for i in (0, 2, 4)))


def test_report_draws_in_chromium(report, runs, tmp_path):
    from matplotlib.image import imread

    binary = browser.require_chromium()
    flows = tables(runs["base"])["flows"]
    periods = sorted(int(t) for t in flows["period"].unique())
    seen = browser.probe(report, PROBE.replace("YEARS", json.dumps([str(t) for t in periods])), binary=binary)
    assert "exception" not in seen, seen.get("exception")
    assert seen["errors"] == [] and seen["resources"] == []
    got = seen["result"]
    # every figure drawn, with its bars and lines
    assert len(got["figures"]) == got["divs"] == 5
    assert all(f["svg"] >= 1 for f in got["figures"].values())
    assert got["figures"]["fig-costs-years"]["bars"] >= len(periods) * 5
    assert got["figures"]["fig-built"]["bars"] == 1
    shares = tables(runs["base"])["shares"]
    overview = shares[shares["policy"].isna()]
    assert got["figures"]["fig-shares-stages"]["lines"] == len(overview[["stage", "product"]].drop_duplicates())
    # the Sankey: the last year first, then each year chosen with its button
    for year, state in [(str(periods[-1]), got["initial"]), *got["years"].items()]:
        f = flows[flows["period"] == int(year)]
        nodes = set(f["origin"]) | set(f["destination"])
        links = f[["origin", "destination", "product", "provenance"]].drop_duplicates()
        assert state["nodes"] == state["rects"] == len(nodes), year
        assert sorted(state["labels"]) == sorted(nodes), year
        assert state["links"] == len(links), year
        assert state["title"].endswith(f"flows in {year}"), state["title"]
    # colour by provenance: touched links red, clean ones green, in the last year chosen
    last = flows[flows["period"] == periods[-1]][["origin", "destination", "product", "provenance"]].drop_duplicates()
    prov = got["provenance_fills"]
    assert prov != got["country_fills"]
    assert prov.count(rgb(PROVENANCE_COLOURS["touched"])) == (last["provenance"] == "touched").sum() > 0
    assert prov.count(rgb(PROVENANCE_COLOURS["clean"])) == (last["provenance"] == "clean").sum() > 0

    page = browser.screenshot(report, tmp_path / "report-demo.png", (1400, 1000), binary=binary)
    sankey = browser.screenshot(report, tmp_path / "report-demo-sankey.png", (1400, 900), only="sankey", binary=binary)
    for png in (page, sankey):
        keep(png)
    assert browser.png_size(page) == (1400, 1000) and browser.png_size(sankey) == (1400, 900)
    pixels = imread(sankey)[..., :3]
    assert (pixels.mean(axis=2) < 0.9).mean() > 0.05, "the Sankey screenshot is mostly blank"
    china = (abs(pixels[..., 0] - 214 / 255) < 0.03) & (abs(pixels[..., 1] - 39 / 255) < 0.03) & (abs(pixels[..., 2] - 40 / 255) < 0.03)
    assert china.sum() > 500, "no node in China's red in the Sankey screenshot"


def test_comparison_draws_both_sankeys_in_chromium(compared, runs, tmp_path):
    binary = browser.require_chromium()
    script = """function () {
      var out = {};
      ["fig-sankeya", "fig-sankeyb"].forEach(function (id) {
        out[id] = document.getElementById(id).querySelectorAll(".sankey .sankey-node").length; });
      out.plots = document.querySelectorAll(".js-plotly-plot").length;
      out.divs = document.querySelectorAll("div[data-figure]").length;
      return out;
    }"""
    seen = browser.probe(compared, script, binary=binary)
    assert seen["errors"] == [] and seen["resources"] == [] and "exception" not in seen
    got = seen["result"]
    assert got["plots"] == got["divs"]
    for key, fig in (("base", "fig-sankeya"), ("nocn", "fig-sankeyb")):
        flows = tables(runs[key])["flows"]
        f = flows[flows["period"] == flows["period"].max()]
        assert got[fig] == len(set(f["origin"]) | set(f["destination"])), fig
    png = browser.screenshot(compared, tmp_path / "report-compare.png", (1400, 1000), binary=binary)
    keep(png)
    assert browser.png_size(png) == (1400, 1000)


def test_in_a_comparison_every_chart_says_which_plan_it_shows(compared):
    """Its title names the plan (or both, with the line style of each), or every trace does."""
    labels = ("A: base", "B: no_china_magnets")
    for fid, fig in figures(compared.read_text(encoding="utf-8")).items():
        title = fig["layout"].get("title", {}).get("text", "")
        names = [str(t.get("name", "")) for t in fig["data"]]
        told = (any(label in title or title.startswith(label[:2]) for label in labels)
                or all(any(label in n for label in labels) for n in names))
        assert told, (fid, title, names[:3])


# --------------------------------------------------------------------------------------------
# the flagship's report, as a planner reads it
# --------------------------------------------------------------------------------------------

FLAGSHIP = ROOT / "instances" / "us_mine_to_magnet"

LAYOUT_PROBE = """async function (m) {
  function box(e) { var r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }
  function boxes(root, sel) {
    return Array.prototype.filter.call(root.querySelectorAll(sel), function (e) {
      var r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; }).map(box);
  }
  function sankey() {
    var div = document.getElementById("fig-sankey");
    return {title: (div.querySelector(".gtitle") || {}).textContent, title_box: boxes(div, ".gtitle")[0],
            links: boxes(div, ".sankey .sankey-link"),
            labels: Array.prototype.map.call(div.querySelectorAll(".sankey .node-label"), function (e) { return e.textContent; }),
            value: Array.prototype.reduce.call(div.querySelectorAll(".sankey .sankey-link"), function (s, p) {
              return s + (p.__data__ && p.__data__.link ? p.__data__.link.value : 0); }, 0)};
  }
  var out = {figures: {}};
  document.querySelectorAll(".js-plotly-plot").forEach(function (d) {
    out.figures[d.id] = {title: boxes(d, ".gtitle"), toolbar: boxes(d, ".modebar-container, .modebar"),
                         menus: boxes(d, ".updatemenu-button")};
  });
  out.controls = boxes(document, '.controls[data-for="fig-sankey"]')[0];
  out.facility = sankey();
  var agg = Array.prototype.filter.call(document.querySelectorAll('.controls[data-for="fig-sankey"] button'),
                                        function (b) { return b.getAttribute("data-value") === "aggregate"; })[0];
  m.click(agg);
  await m.sleep(1500);
  out.aggregate = sankey();
  return out;
}"""


def overlaps(a: list[float], b: list[float]) -> bool:
    """Whether two boxes (left, top, right, bottom) share any area."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.fixture(scope="module")
def flagship_report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("flagship")
    return write_report(write_results(solve(FLAGSHIP), root / "run"), out=root / REPORT_FILE)


def test_flagship_report_has_no_chart_with_nothing_to_show(flagship_report):
    text = flagship_report.read_text(encoding="utf-8")
    for fid, fig in figures(text).items():
        if fid.startswith("fig-sankey"):
            continue
        values = [v for tr in fig["data"] for v in tr.get("y", []) if v not in (None, 0)]
        assert values, f"{fid} would draw an empty chart"
    # the DFARS ban (a 0% cap on China in DoD's magnets, met in every year) is said, not drawn
    assert "fig-shares-policies" not in figures(text)
    assert "dfars_2019 (customers:dod): a cap of 0% (a ban) in 2025-2035, held in every year (share 0%)." in text


def test_flagship_report_words_the_dual_of_a_ban_as_raising_it(flagship_report):
    text = flagship_report.read_text(encoding="utf-8")
    assert "value of raising the dfars_2019 cap from 0% by one percentage point in 2030 (at most)" in text
    assert "lowering the dfars_2019 cap" not in text


def test_flagship_report_reads_well_in_chromium(flagship_report, tmp_path):
    binary = browser.require_chromium()
    seen = browser.probe(flagship_report, LAYOUT_PROBE, binary=binary)
    assert "exception" not in seen, seen.get("exception")
    assert seen["errors"] == [] and seen["resources"] == []
    got = seen["result"]
    # no chart title under plotly's toolbar or under a chart's own buttons
    for fid, fig in got["figures"].items():
        assert fig["title"], f"{fid} has no title"
        for other in fig["toolbar"] + fig["menus"]:
            assert not overlaps(fig["title"][0], other), (fid, fig["title"][0], other)
    # nothing the Sankey draws (a swarf loop back upstream included) reaches its controls or its title
    for view in ("facility", "aggregate"):
        state = got[view]
        assert state["links"], view
        for link in state["links"]:
            assert not overlaps(link, got["controls"]), (view, link, got["controls"])
            assert not overlaps(link, state["title_box"]), (view, link, state["title_box"])
    # the aggregated view: one node per stage and country, the same tonnes as the facility view
    flows = pd.read_csv(flagship_report.parent / "run" / "flows.csv")
    last = flows[flows["period"] == flows["period"].max()]
    assert got["facility"]["title"].endswith(f"flows in {last['period'].iloc[0]}")
    assert got["aggregate"]["title"].endswith(f"flows in {last['period'].iloc[0]}, by stage and country")
    assert sorted(got["facility"]["labels"]) == sorted(set(last["origin"]) | set(last["destination"]))
    assert all(": " in label for label in got["aggregate"]["labels"])
    from optimizer.input.load import load_instance
    inst = load_instance(FLAGSHIP)
    groups = {(inst.facilities[n].stage, inst.country_of(n)) if n in inst.facilities else ("", inst.country_of(n))
              for n in set(last["origin"]) | set(last["destination"])}
    assert len(got["aggregate"]["labels"]) == len(groups) < len(got["facility"]["labels"])
    assert got["aggregate"]["value"] == pytest.approx(got["facility"]["value"], rel=1e-6)
    assert got["facility"]["value"] == pytest.approx(last["quantity"].sum(), rel=1e-6)
    png = browser.screenshot(flagship_report, tmp_path / "report-flagship.png", (1400, 1000), binary=binary)
    keep(png)

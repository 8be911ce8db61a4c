"""Stage 5b: the short console summary of a run (rich tables)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .run import Run

#: Rows of a list (shares, offtakes, investments) the console shows at most.
MAX_LISTED = 12


def _usd(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


def print_whole(console: Console, table: Table) -> None:
    """Print ``table`` as wide as it needs: a cell cut short would hide the very number it shows."""
    from rich.measure import Measurement

    needed = Measurement.get(console, console.options.update(max_width=100_000), table).maximum
    if needed > console.width:
        wide = Console(file=console.file, width=needed, highlight=False, soft_wrap=True,
                       color_system=console.color_system, force_terminal=console.is_terminal)
        wide.print(table)
    else:
        console.print(table)


def print_summary(run: Run, out: Path | None, console: Console | None = None) -> None:
    console = console or Console()
    s = run.summary
    inst = run.instance
    title = inst.name + (f" [{'+'.join(inst.scenario)}]" if inst.scenario else "")
    head = Table(title=title, show_header=False, box=None, pad_edge=False)
    head.add_column(style="bold")
    head.add_column()
    head.add_row("status", f"{s['status']} ({s['termination']})")
    head.add_row("total cost", f"{_usd(s['objective'])} USD (discounted)")
    if s.get("mip_gap") is not None:
        head.add_row("mip gap", f"{s['mip_gap']:.2e}")
    size = s.get("size", {})
    if size:
        head.add_row("size", f"{size['variables']:,} variables, {size['constraints']:,} constraints, {size['integers']:,} integer")
    t = s.get("timings", {})
    head.add_row("time", ", ".join(f"{k} {t[k]:.2f}s" for k in ("load", "build", "solve") if k in t))
    if out is not None:
        head.add_row("results", str(out))
    console.print(head)

    if s.get("cost_breakdown"):
        costs = Table(title="cost breakdown (USD, discounted)")
        costs.add_column("term")
        costs.add_column("USD", justify="right")
        for term, v in s["cost_breakdown"].items():
            if abs(v) > 0.5:
                costs.add_row(term, _usd(v))
        console.print(costs)

    transfers = s.get("transfers") or {}
    if transfers:
        tab = Table(title="transfers, not in the total cost (USD)")
        tab.add_column("term")
        tab.add_column("sum over the years", justify="right")
        tab.add_column("discounted", justify="right")
        for term, v in transfers.items():
            tab.add_row(term, _usd(v["total"]), _usd(v["discounted"]))
        console.print(tab)

    shares = s.get("shares") or []
    if shares:
        shown = shares if len(shares) <= MAX_LISTED else [r for r in shares if r["binding"]][:MAX_LISTED]
        tab = Table(title="shares vs caps" + ("" if shown is shares else f" (binding rows, {len(shown)} of {len(shares)})"))
        for c in ("policy", "stage", "period", "share", "cap"):
            tab.add_column(c, justify="right" if c in ("share", "cap", "period") else "left")
        for r in shown:
            share = "-" if r["share"] is None else f"{r['share']:.1%}"  # None: nothing made, undefined
            tab.add_row(r["policy"], str(r["stage"]), str(r["period"]), share, f"{r['cap']:.1%}")
        console.print(tab)
        groups = dict.fromkeys(f"{r['group']} group: {r['members']}" for r in shown if r.get("members"))
        for g in groups:
            console.print(f"{g}", markup=False)

    offtakes = s.get("offtakes") or []
    if offtakes:
        tab = Table(title="offtakes")
        for c in ("policy", "period", "required t", "delivered t"):
            tab.add_column(c, justify="left" if c == "policy" else "right")
        for r in offtakes[:MAX_LISTED]:
            tab.add_row(r["policy"], str(r["period"]), f"{r['required']:,.1f}", f"{r['delivered']:,.1f}")
        console.print(tab)

    built = s.get("built") or []
    if built:
        tab = Table(title="built")
        for c in ("facility", "year", "what", "capacity added", "decided"):
            tab.add_column(c, justify="right" if c in ("year", "capacity added", "decided") else "left")
        for r in built[:MAX_LISTED]:
            size = "unlimited" if r["capacity_added"] is None else f"{r['capacity_added']:,.1f} units/yr"
            tab.add_row(r["facility"], str(r["period"]), "opened" if r["kind"] == "open" else "expansion", size,
                        str(r.get("decision_year", "")))
        if len(built) > MAX_LISTED:
            tab.caption = f"{len(built) - MAX_LISTED} more in investments.csv"
        console.print(tab)

    if "unmet" in s:
        total = s["unmet"]["total_t"]
        detail = ", ".join(f"{p} {v:,.1f} t" for p, v in s["unmet"]["by_product"].items())
        console.print(f"unmet demand: {total:,.1f} t" + (f" ({detail})" if detail else ""))
    for line in s.get("infeasibility", []):
        console.print("[red]must give:[/red] " + escape(line))
    if s.get("iis"):
        console.print("IIS rows: " + ", ".join(s["iis"]), markup=False)
    for w in s.get("warnings", []):
        console.print("[yellow]warning:[/yellow] " + escape(w))

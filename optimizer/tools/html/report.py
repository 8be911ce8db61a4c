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

from pathlib import Path
from typing import Sequence


from ...core.atomic import staged_file
from ...core.contract import SUMMARY, read_summary, results_folder
from ...core.errors import InputError, finding
from ...results.outputs import guard_report
from .data import REPORT_FILE, RunData, hedge_outcomes, read_run
from .page import render



# ============================================================================================
# entry point
# ============================================================================================


def write_report(run: str | Path, compare: str | Path | None = None, out: str | Path | None = None,
                 outcomes: Sequence[str] = ()) -> Path:
    """Write the report of ``run`` (beside ``compare`` if given); return the path of the HTML file.

    For a hedge folder (``m2m hedge``) the report draws its plan in two outcomes side by side:
    ``outcomes`` (one or two), by default the ``reference`` outcome and the most expensive other.
    Raises :class:`InputError` when a results folder or its summary cannot be read.
    """
    first = results_folder(run)
    target = guard_report(Path(out) if out is not None else first / REPORT_FILE,
                          protect=[first / SUMMARY] + ([results_folder(compare) / SUMMARY] if compare is not None else []))
    known = hedge_outcomes(run)
    if known is not None or outcomes:
        return _write(target, render(_hedge_runs(run, known, compare, list(outcomes))))
    runs = [read_run(run, tag="A" if compare is not None else "")]
    if compare is not None:
        runs.append(read_run(compare, tag="B"))
    return _write(target, render(runs))


def _write(target: Path, text: str) -> Path:
    with staged_file(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def _hedge_runs(run: str | Path, known: list[str] | None, compare: str | Path | None, outcomes: list[str]) -> list[RunData]:
    """The plans of a hedge folder to draw: the outcomes asked for, or its reference outcome and
    the most expensive other one."""
    where = str(results_folder(run) / SUMMARY)
    if known is None:
        raise InputError([finding(where, "-", "--outcome", "--outcome applies to a hedge folder (m2m hedge); "
                                                          "this is a results folder")])
    if compare is not None:
        raise InputError([finding(where, "-", "--compare", "a hedge folder is drawn in two of its outcomes, not beside "
                                                          "another folder; use --outcome (m2m compare compares hedges)")])
    if len(outcomes) > 2:
        raise InputError([finding(where, "-", "--outcome", f"got {len(outcomes)} outcomes; expected one or two")])
    if not outcomes:
        summary = read_summary(results_folder(run))
        reference = str((summary.get("uncertainty") or {}).get("reference"))
        plans = summary.get("outcomes") or {}
        others = [o for o in known if o != reference and isinstance((plans.get(o) or {}).get("objective"), (int, float))]
        outcomes = [reference] + ([max(others, key=lambda o: plans[o]["objective"])] if others else [])
    tags = ["A", "B"] if len(outcomes) == 2 else [""]
    return [read_run(run, tag=t, outcome=o) for t, o in zip(tags, outcomes)]

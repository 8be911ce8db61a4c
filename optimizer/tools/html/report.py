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


from ...core.atomic import staged_file
from ...core.contract import SUMMARY, results_folder
from ...results.outputs import guard_report
from .data import REPORT_FILE, read_run
from .page import render



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

"""The large OR-Library capacitated facility location MILPs through ``m2m solve``, against their
published optima.

    python benchmarks/milp.py                                   # capa at its 4 capacities, 60 s each (make bench)
    python benchmarks/milp.py --instances capa capb capc --time-limit 100 --section milp-12   # the 12, 20 min
    python benchmarks/milp.py --setting default --setting nosym:mip_detect_symmetry=false   # what helps

Each case (Beasley's capa, capb, capc: 100 candidate warehouses, 1000 customers, each at the four
capacities of the published ``split`` optima in ``tests/data/orlib/optima.csv``) is written as an
instance folder by ``tests/orlib.py`` and solved by a fresh ``m2m solve --threads 1 --time-limit T``
process, with HiGHS's default relative gap (1e-4).  ``--setting NAME:OPTION=VALUE,...`` runs every
case once per setting, the options going to HiGHS through ``m2m solve --highs-option``.  The table gives the status, the time, the
objective and its distance to the published optimum, and the gap HiGHS had left when it stopped.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

from end_to_end import m2m, run_child  # noqa: E402
import targets  # noqa: E402
from report import ORDER, busy, markdown, write_section  # noqa: E402
from tests.orlib import write_cflp_instance  # noqa: E402

DATA = ROOT / "tests" / "data" / "orlib"


def cases(instances: list[str], capacities: list[str] | None = None) -> list[dict[str, str]]:
    with (DATA / "optima.csv").open(newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["variant"] == "split" and r["instance"] in instances
                and (not capacities or r["capacity"] in capacities)]


def setting(text: str) -> tuple[str, list[str]]:
    """``NAME`` or ``NAME:OPTION=VALUE,OPTION=VALUE`` as a name and its ``--highs-option`` values."""
    name, _, options = text.partition(":")
    return name, [o for o in options.split(",") if o]


def run_case(case: dict[str, str], folder: Path, out: Path, label: str, options: list[str],
             time_limit: float) -> tuple[list[str], bool, float]:
    """One ``m2m solve`` of one case with one setting: its table row, whether it was proven optimal
    at the published optimum, and its wall time."""
    highs = [a for o in options for a in ("--highs-option", o)]
    c = run_child(m2m() + ["solve", str(folder), "--out", str(out), "--quiet", "--threads", "1",
                           "--time-limit", str(time_limit), *highs], ok=(0, 1))
    s = json.loads((out / "summary.json").read_text())
    optimum = float(case["optimum"])
    obj, gap, status = s.get("objective"), s.get("mip_gap"), s["status"]
    ok = status == "optimal" and obj is not None and abs(obj - optimum) <= 1e-4 * optimum
    print(f"  {case['instance']}-{case['capacity']} {label}: {status} in {c.wall:.1f} s, objective {obj}, "
          f"optimum {optimum}, gap {gap}", flush=True)
    return ([case["instance"], case["capacity"], " ".join(options) or label, status, f"{c.wall:.1f}",
             "-" if obj is None else f"{obj:,.3f}", f"{optimum:,.3f}",
             "-" if obj is None else f"{(obj - optimum) / optimum:+.2e}", "-" if gap is None else f"{gap:.2e}",
             f"{s['size']['variables']:,}", f"{s['size']['integers']:,}", f"{c.peak / 2**30:.2f} GiB"], ok, c.wall)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instances", nargs="+", default=["capa"], choices=["capa", "capb", "capc"])
    ap.add_argument("--capacities", nargs="+", help="only these capacities (e.g. 6000)")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds per case")
    ap.add_argument("--setting", type=setting, action="append", metavar="NAME[:OPTION=VALUE,...]",
                    help="HiGHS options to run every case with (repeatable; default: HiGHS's defaults only)")
    ap.add_argument("--section", default="milp", help="section of the report to write (the 12 in the issue's 20 "
                                                      "minutes: milp-12; what helps: milp-settings)")
    ap.add_argument("--results", type=Path, default=HERE / "results.md")
    ap.add_argument("--no-results", action="store_true", help="print only; do not write the report")
    args = ap.parse_args(argv)
    settings = args.setting or [("default", [])]
    command = "python benchmarks/milp.py " + " ".join(argv if argv is not None else sys.argv[1:])
    t0 = time.perf_counter()
    load = f"{busy():.1f} at the start"
    scratch = Path(tempfile.mkdtemp(prefix="m2m_milp_"))
    rows = []
    proven = 0
    total = 0.0
    try:
        for case in cases(args.instances, args.capacities):
            name = f"{case['instance']}-{case['capacity']}"
            folder = write_cflp_instance(DATA / f"{case['instance']}.txt", scratch / name, capacity=float(case["capacity"]))
            for label, options in settings:
                row, ok, wall = run_case(case, folder, scratch / f"{name}-{label}-out", label, options, args.time_limit)
                rows.append(row)
                proven += ok
                total += wall
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    head = ["instance", "capacity", "setting", "status", "wall s", "objective", "published optimum", "vs optimum",
            "MIP gap left", "variables", "integers", "peak"]
    text = "\n".join([
        f"## OR-Library MILPs: `{command.strip()}`",
        "",
        f"- took {time.perf_counter() - t0:.0f} s; load average (1 min) {load}, {busy():.1f} at the end; one HiGHS "
        f"thread; time limit {args.time_limit:.0f} s per case",
        f"- {proven} of {len(rows)} proven optimal at the published optimum (HiGHS's relative gap 1e-4) in "
        f"{total:.0f} s in total",
        "- a case stopped by its time limit ends where HiGHS got to in that time, which depends on the machine's "
        "load: another run can end at another plan, so one run per setting is an indication, not a ranking",
        "",
        markdown(head, rows),
        "",
    ])
    print(text)
    if not args.no_results:
        write_section(args.section, text, args.results, order=ORDER)
        targets.refresh(args.results)
        print(f"wrote {args.results}")


if __name__ == "__main__":
    main()

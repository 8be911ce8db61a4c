"""``docs/api_example.py`` runs as shipped and prints what it says it prints.

It is run as a user would run it (a separate Python process from the repository root); its
figures are checked against the pinned results of the flagship (``expected.json``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "instances" / "us_mine_to_magnet"


@pytest.fixture(scope="module")
def printed() -> str:
    proc = subprocess.run([sys.executable, str(ROOT / "docs" / "api_example.py")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_it_loads_the_flagship_and_solves_both_scenarios(printed):
    pinned = json.loads((FLAGSHIP / "expected.json").read_text())
    assert re.search(r"^instance us_mine_to_magnet: \d+ facilities, periods 2025-2035$", printed, re.MULTILINE)
    assert "baseline" in re.search(r"^scenarios: (.*)$", printed, re.MULTILINE).group(1).split(", ")
    for name in ("baseline", "export_ban"):
        assert f"{name}: optimal, total cost {pinned[name]['objective']:,.0f} USD (discounted)" in printed


def test_it_prints_the_cost_of_the_export_ban(printed):
    pinned = json.loads((FLAGSHIP / "expected.json").read_text())
    delta = pinned["export_ban"]["objective"] - pinned["baseline"]["objective"]
    assert delta > 0
    assert f"cost of the export ban: {delta:+,.0f} USD (discounted, 2025-2035)" in printed
    # The Section 301 tariff on Chinese magnets is no longer paid: nothing crosses.
    tariff = re.search(r"^tariff\s+(\S+)\s+(\S+)\s+(\S+)$", printed, re.MULTILINE)
    assert tariff is not None and tariff.group(2) == "0"
    assert tariff.group(3) == f"-{pinned['baseline']['cost_breakdown']['tariff']:,.0f}"


def test_it_prints_china_share_of_us_magnet_supply(printed):
    part = printed.split("China-made share of US magnet supply:\n", 1)[1]
    years = {int(m.group(1)): (m.group(2), m.group(3))
             for m in re.finditer(r"^(20\d\d)\s+(\S+)%\s+(\S+)%$", part, re.MULTILINE)}
    assert sorted(years) == list(range(2025, 2036))
    # Before the ban (2025) both plans buy most US magnets from China; from 2026 none under the ban.
    assert years[2025][0] == years[2025][1] and float(years[2025][0]) > 50
    for t in range(2026, 2036):
        assert years[t][1] == "0.0", t
        assert float(years[t][0]) > 20, t


def test_it_builds_the_comparison_tables(printed):
    assert "comparison tables: overview, flows, activity, costs, shares" in printed
    part = printed.split("China magnet flows to US customers that change (t/yr):\n", 1)[1]
    moved = re.findall(r"^\s*us_commercial\s+(20\d\d)\s+(\S+)\s+(\S+)\s+(\S+)$", part, re.MULTILINE)
    assert [int(t) for t, *_ in moved] == list(range(2026, 2036))
    for _t, baseline, ban, delta in moved:
        assert float(ban) == 0.0 and float(delta) == pytest.approx(-float(baseline))

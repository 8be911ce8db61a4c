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
    # Duties fall (no Chinese magnets cross) but do not vanish: allied magnets still pay theirs.
    tariff = re.search(r"^tariff\s+(\S+)\s+(\S+)\s+(\S+)$", printed, re.MULTILINE)
    assert tariff is not None
    base, ban, change = (float(x.replace(",", "")) for x in tariff.groups())
    assert base == pytest.approx(pinned["baseline"]["cost_breakdown"]["tariff"], abs=1)
    assert ban == pytest.approx(pinned["export_ban"]["cost_breakdown"]["tariff"], abs=1)
    assert 0 < ban < base and change == pytest.approx(ban - base, abs=1)


def _china_shares(printed) -> dict[int, tuple[float, float]]:
    part = printed.split("China-made share of US magnet supply:\n", 1)[1]
    return {int(m.group(1)): (float(m.group(2)), float(m.group(3)))
            for m in re.finditer(r"^(20\d\d)\s+(\S+)%\s+(\S+)%$", part, re.MULTILINE)}


def test_it_prints_china_share_of_us_magnet_supply(printed):
    years = _china_shares(printed)
    assert sorted(years) == list(range(2025, 2036))
    # Before the ban (2025) both plans buy most US magnets from China; from 2026 none under the ban,
    # while the baseline still buys from China in the first year of the ban.
    assert years[2025][0] == years[2025][1] and years[2025][0] > 50
    assert years[2026][0] > 50
    for t in range(2026, 2036):
        assert years[t][1] == 0.0, t
        assert 0.0 <= years[t][0] <= 100.0, t


def test_it_builds_the_comparison_tables(printed):
    assert "comparison tables: overview, flows, activity, costs, shares" in printed
    part = printed.split("China magnet flows to US customers that change (t/yr):\n", 1)[1]
    moved = re.findall(r"^\s*us_commercial\s+(20\d\d)\s+(\S+)\s+(\S+)\s+(\S+)$", part, re.MULTILINE)
    # The flows that change are exactly the ban years in which the baseline buys China-made magnets.
    shares = _china_shares(printed)
    assert [int(t) for t, *_ in moved] == [t for t in range(2026, 2036) if shares[t][0] > 0]
    for _t, baseline, ban, delta in moved:
        assert float(baseline) > 0
        assert float(ban) == 0.0 and float(delta) == pytest.approx(-float(baseline))

"""Regression over every shipped instance: each pinned entry of ``expected.json`` must still hold.

Discovery: every folder directly under ``instances/`` with an ``instance.yaml`` is an instance.
Each entry of its ``expected.json`` (``base`` = no scenario, otherwise scenario names joined with
``+``) becomes one test id ``<instance>:<entry>``; it is solved, compared with
:func:`optimizer.results.expected.compare`, written with :func:`optimizer.results.write.write_results` and
re-checked by the independent checker :func:`optimizer.check.checker.check_results`; its files must be
byte for byte the ones fingerprinted in ``tests/data/result_fingerprints.json`` (``tests/fingerprints.py``).

An instance cannot skip being pinned: a folder without ``expected.json``, without a ``base``
entry, or with a scenario that has no entry of its own gives a failing test id too.  Pin with
``m2m solve instances/<x> --update-expected`` (and ``--scenario s --update-expected`` per scenario)
after checking the numbers by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from optimizer.results import expected
from optimizer.check.results import check_results
from optimizer.pipeline import run
from optimizer.results.write import INFEASIBILITY, write_results
from optimizer.tools.hedge import run_hedge, write_hedge
from tests import fingerprints
from tests.helpers import INSTANCES, ROOT, scenario_names, shipped_instances


def _has_uncertainty(folder: Path) -> bool:
    data = yaml.safe_load((folder / "instance.yaml").read_text(encoding="utf-8")) or {}
    return isinstance(data, dict) and bool(data.get("uncertainty"))


def _cases() -> list:
    """One pytest param per pinned entry, plus a failing one per missing pin."""
    cases = []
    for folder in shipped_instances():
        name = folder.name

        def missing(what: str, problem: str, _name: str = name, _folder: Path = folder):
            return pytest.param(_folder, None, problem, id=f"{_name}:{what}")

        path = folder / expected.FILE
        if not path.is_file():
            cases.append(missing("no-expected-json", f"{name} has no {expected.FILE}; pin it with "
                                 f"`m2m solve instances/{name} --update-expected` (and once per scenario)"))
            continue
        try:
            pinned = json.loads(path.read_text(encoding="utf-8"))
            scenarios = scenario_names(folder)
        except (ValueError, yaml.YAMLError) as exc:
            cases.append(missing("unreadable", f"{name}: cannot read {expected.FILE} or instance.yaml: {exc}"))
            continue
        for key in pinned:
            cases.append(pytest.param(folder, key, None, id=f"{name}:{key}"))
        if _has_uncertainty(folder) and expected.hedge_key([]) not in pinned:
            cases.append(missing("hedge-not-pinned", f"{name}: no `{expected.hedge_key([])}` entry in {expected.FILE}; "
                                 f"pin it with `m2m hedge instances/{name} --update-expected`"))
        for key in ["base", *scenarios]:
            if key not in pinned:
                flag = "" if key == "base" else f" --scenario {key}"
                cases.append(missing(f"{key}-not-pinned", f"{name}: no `{key}` entry in {expected.FILE}; pin it with "
                                     f"`m2m solve instances/{name}{flag} --update-expected`"))
    if not cases:  # an empty instances/ would make the regression vacuous
        cases.append(pytest.param(INSTANCES, None, f"no instance folders found under {INSTANCES}", id="no-instances"))
    return cases


CASES = _cases()


@pytest.mark.parametrize(("folder", "key", "problem"), CASES)
def test_instance_matches_expected(folder: Path, key: str | None, problem: str | None, tmp_path: Path) -> None:
    if problem is not None:
        pytest.fail(problem)
    want = expected.read(folder)[key]
    if key.startswith(expected.HEDGE):
        _hedge_matches(folder, key, want, tmp_path)
        return
    scenarios = [] if key == "base" else key.split("+")
    r = run(folder, scenarios)

    diffs = expected.compare(want, expected.entry(r))
    assert not diffs, f"{folder.name} [{key}] differs from {expected.FILE}:\n  " + "\n  ".join(diffs)

    out = write_results(r, tmp_path / f"{folder.name}-{key}")
    report = _as_stored_and_checked(folder, key, out)
    if r.solution.status.has_solution:
        assert report.ok, f"{folder.name} [{key}]: {report.headline()}\n  " + "\n  ".join(report.violations)
        assert report.certified, f"{folder.name} [{key}]: duals.csv does not certify optimality: {report.headline()}"
    else:
        # Nothing to check, but the explanation of why must have been written.
        assert not report.ok and not report.violations, report.headline()
        if "infeasibility" in want:
            assert (out / INFEASIBILITY).is_file(), f"{folder.name} [{key}]: no {INFEASIBILITY} written"


def _hedge_matches(folder: Path, key: str, want: dict, tmp_path: Path) -> None:
    """A pinned hedge: its figures as pinned, and its folder passes the independent check."""
    label = key[len(expected.HEDGE):]
    h = run_hedge(folder, [] if label == "base" else label.split("+"), workers=1)
    diffs = expected.compare(want, expected.hedge_entry(h.summary))
    assert not diffs, f"{folder.name} [{key}] differs from {expected.FILE}:\n  " + "\n  ".join(diffs)
    report = _as_stored_and_checked(folder, key, write_hedge(h, tmp_path / f"{folder.name}-hedge"))
    assert report.ok, f"{folder.name} [{key}]: {report.headline()}\n  " + "\n  ".join(report.violations)


def _as_stored_and_checked(folder: Path, key: str, out: Path):
    """Every result file of ``out`` as it was stored (a refactor must leave them byte for byte),
    and the independent check's report on it."""
    changed = fingerprints.differences(f"{folder.name}:{key}", fingerprints.fingerprint(out))
    assert not changed, ("result files differ from tests/data/result_fingerprints.json (if meant, "
                         "`python -m tests.fingerprints --update` and say why in the commit):\n  " + "\n  ".join(changed))
    return check_results(out)


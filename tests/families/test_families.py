"""The family protocol: every registered family has every part, and its rows are pinned.

* each family in ``optimizer.families.FAMILIES`` has a build, a check (or the sentence saying
  which check covers it), a dual spec (or a stated reason for none), an explanation where it is
  relaxed, its certificate rows and dual rule where it reports a dual, and a docs entry that
  ``docs/model.md`` shows; a policy kind also its loader rules, sweep measure and stage, and
  ``docs/instance-format.md`` shows its entry;
* :func:`optimizer.families.problems` finds a family that lacks any of these (so this test can fail);
* each family's rows on ``tests/data/golden/instance`` equal the checked-in text (golden LP rows).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from optimizer import docs, families
from optimizer.families import FAMILIES, POLICY_FAMILIES, problems
from optimizer.input.load import load_instance
from optimizer.model.build import build_model
from optimizer.input.schema import POLICY_KINDS
from tests import golden
from tests.helpers import ROOT



@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_every_family_has_every_part(family):
    assert problems(family) == []


@pytest.mark.parametrize("part", ["build", "check", "dual", "explain", "doc", "lp_rows", "achieved", "validate", "param"])
def test_a_family_missing_a_part_is_found(part):
    offtake = families.BY_KIND["offtake"]
    broken = _without(offtake, part)
    assert any(part in p for p in problems(broken)), problems(broken)


def _without(family, part):
    """A copy of ``family`` with one part removed (bypassing the constructor's own checks)."""
    copy = object.__new__(type(family))
    for f in dataclasses.fields(family):
        object.__setattr__(copy, f.name, None if f.name == part else getattr(family, f.name))
    if part == "doc":
        object.__setattr__(copy, "doc", "")
    return copy


def test_a_slack_without_its_explanation_is_refused_when_declared():
    with pytest.raises(TypeError, match="explanation"):
        dataclasses.replace(families.BY_KIND["offtake"], explain=None)
    with pytest.raises(TypeError, match="to_lp"):
        offtake = families.BY_KIND["offtake"]
        dataclasses.replace(offtake, dual=dataclasses.replace(offtake.dual, to_lp=None))


def test_the_schema_kinds_are_the_registry():
    assert list(POLICY_KINDS) == [f.name for f in POLICY_FAMILIES]
    for f in POLICY_FAMILIES:
        assert f.schema.model_fields["kind"].annotation.__args__ == (f.name,)


def test_every_family_doc_is_in_the_docs():
    reference = (ROOT / "docs" / "instance-format.md").read_text(encoding="utf-8")
    model = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    for f in FAMILIES:
        assert f.doc in model, f"docs entry of {f.name} missing from docs/model.md: run make docs"
    for f in POLICY_FAMILIES:
        assert f.doc in reference, f"docs entry of {f.name} missing from docs/instance-format.md: run make docs"


def test_the_model_docs_family_index_is_generated():
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    assert docs.render_model(text) == text, "docs/model.md's family index differs from the registry: run make docs"


@pytest.mark.parametrize("part", ["build", "check", "dual", "explain", "doc"])
def test_a_network_family_missing_a_part_is_found(part):
    broken = _without(families.BY_NAME["capacity_limit"], part)
    assert any(part in p for p in problems(broken)), problems(broken)


def test_every_family_builds_its_rows_or_pays():
    built = build_model(load_instance(golden.INSTANCE))
    for f in FAMILIES:
        rows = golden.family_rows(built, f.name)
        assert rows, f"{f.name}: nothing built on the golden instance"


def test_every_relaxed_family_explains_a_violation():
    inst = load_instance(golden.INSTANCE)
    keys = {"demand_balance": ("dod", "magnet", 2025), "capacity_limit": ("sep_cn", 2025),
            "activity_floor": ("mine_au", 2030), "lane_capacity": ("mine_au", "sep_us", "ore", 2025),
            "max_open": ("two_refineries", 2025), "output_share": ("dod_takes_a_tenth", 2025), "max_share": ("cn_separation_cap", 2025), "offtake": ("defence", 2025),
            "export_cap": ("cn_oxide_cap", 2025), "max_supplier_share": ("no_single_mine", "mine_cn", 2025),
            "storage_capacity": ("magnet_us", "oxide", 2025)}
    for f in FAMILIES:
        if f.explain is None:
            continue
        unit, text = f.explain(inst, keys[f.name], 2.5)
        assert unit and "2.5" in text and str(keys[f.name][0]) in text


RENDERED = golden.render()


@pytest.mark.parametrize("name", list(RENDERED))
def test_golden_rows(name):
    path = golden.GOLDEN / f"{name}.txt"
    assert path.exists(), f"no golden rows for {name}: python -m tests.golden --update"
    assert RENDERED[name] == path.read_text(), f"rows of {name} changed: python -m tests.golden shows which"


def test_every_family_has_golden_rows():
    assert {f.name for f in FAMILIES} == set(RENDERED)

"""The worked example of docs/architecture.md works: a policy kind added as one module.

The ``min_output`` module shown there is loaded from the page, found complete by the family
protocol, registered (for this test only) beside the shipped families, and then: its rows are
built on the golden instance, the instance is solved with it, ``duals.csv`` prices it in its
words, and ``m2m check`` re-checks and certifies the plan against it.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import types
from pathlib import Path

import pytest

from optimizer import families
from optimizer.check import certificate, checker
from optimizer.families import problems
from optimizer.core.contract import read_summary
from optimizer.input.load import load_instance
from optimizer.model import build as model_build
from optimizer.pipeline import run
from optimizer.results.write import write_results
from optimizer.solving import extract, infeasibility
from tests import golden

ROOT = Path(__file__).resolve().parent.parent


def example_source() -> str:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    (source,) = [b for b in blocks if "FAMILY = PolicyFamily(" in b]
    return source


@pytest.fixture(scope="module")
def min_output():
    module = types.ModuleType("optimizer.families.min_output")
    module.__package__ = "optimizer.families"
    sys.modules[module.__name__] = module
    exec(compile(example_source(), "docs/architecture.md", "exec"), module.__dict__)
    yield module
    del sys.modules[module.__name__]


@pytest.fixture()
def registered(min_output, monkeypatch):
    """The example family added to the registry where the builder, checker and certificate read it."""
    everything = (*families.FAMILIES, min_output.FAMILY)
    monkeypatch.setattr(model_build, "FAMILIES", everything)
    monkeypatch.setattr(checker, "FAMILIES", everything)
    monkeypatch.setattr(certificate, "PRICED_FAMILIES", {**certificate.PRICED_FAMILIES, "min_output": min_output.FAMILY})
    monkeypatch.setattr(infeasibility, "RELAXED", {**infeasibility.RELAXED, "min_output": min_output.FAMILY})
    monkeypatch.setattr(extract, "ALWAYS_LISTED", (*extract.ALWAYS_LISTED, "min_output"))
    return min_output


def with_min_output(module, quantity: float):
    inst = load_instance(golden.INSTANCE)
    pol = module.MinOutput(kind="min_output", name="backed_plant", facility="sep_us", product="oxide", quantity=quantity)
    return dataclasses.replace(inst, policies=(*inst.policies, pol))


def test_the_example_family_is_complete(min_output):
    assert problems(min_output.FAMILY) == []


def test_its_rows_are_built(registered):
    built = model_build.build_model(with_min_output(registered, 12.0))
    rows = golden.family_rows(built, "min_output")
    assert rows == [
        "min_output[backed_plant|2025]: 12 <= activity[sep_us,clean,2025] + activity[sep_us,touched,2025]",
        "min_output[backed_plant|2030]: 12 <= activity[sep_us,clean,2030] + activity[sep_us,touched,2030]",
    ]


def test_a_plan_is_priced_checked_and_certified_with_it(registered, tmp_path):
    inst = with_min_output(registered, 20.0)  # above what the plan makes there (5 and 12.5 t): it binds
    r = run(golden.INSTANCE, instance=inst)
    assert r.solution.status.value == "optimal"
    duals = r.tables["duals"]
    priced = duals[duals["constraint"] == "min_output"]
    assert len(priced) == 2 and (priced["meaning"].str.startswith("cost of one more t/yr of minimum output")).all()
    assert (priced["value"] > 0).all()  # the contract binds: it costs the plan
    out = write_results(r, tmp_path / "out")
    report = checker.check_plan(out, read_summary(out), inst)
    assert report.ok and report.certified, report.violations
    assert report.checked.get("min_output") == 2

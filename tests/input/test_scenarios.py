"""Scenarios: named overrides applied on top of the base instance, in the order given."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli import _scenarios, main
from optimizer.core.errors import InputError
from optimizer.input.load import load_instance
from tests.helpers import two_mine_chain, write_table

BASE_POLICIES = """\
policies:
  - {kind: max_open, stage: mine, count: 2}
  - {kind: max_share, name: china_cap, stage: mine, group: covered, share: 0.8}
  - {kind: max_supplier_share, stage: mine, share: 0.9}
"""


@pytest.fixture
def inst(tmp_path: Path) -> Path:
    return two_mine_chain(tmp_path / "chain", periods=[2025, 2030])


def with_scenarios(folder: Path, scenarios: str, policies: str = BASE_POLICIES) -> Path:
    head = "name: chain\ndescription: base\nperiods: [2025, 2030]\n"
    text = head + policies + "scenarios:\n" + textwrap.indent(textwrap.dedent(scenarios), "  ")
    (folder / "instance.yaml").write_text(text)
    return folder


def names(inst_policies) -> list[str]:
    return [p.name for p in inst_policies]


# --------------------------------------------------------------------------------------------
# set
# --------------------------------------------------------------------------------------------


def test_set_scalars(inst: Path) -> None:
    with_scenarios(inst, """\
        s:
          description: dearer money, new group
          set:
            discount_rate: 0.07
            provenance_group: asia
            description: what-if
        """)
    write_table(inst / "countries.csv", [{"country": "CN", "name": "China", "groups": "covered;asia"},
                                         {"country": "US", "name": "United States", "groups": ""}])
    base = load_instance(inst)
    assert (base.discount_rate, base.provenance_group, base.description) == (0.0, "covered", "base")
    s = load_instance(inst, ["s"])
    assert (s.discount_rate, s.provenance_group, s.description) == (0.07, "asia", "what-if")
    assert s.scenario == ("s",)
    assert s.scenario_names == ("s",)


def test_set_provenance_group_must_name_a_group(inst: Path) -> None:
    with_scenarios(inst, "s: {set: {provenance_group: asia}}\n")
    with pytest.raises(InputError) as exc:
        load_instance(inst, ["s"])
    (f,) = exc.value.findings
    assert (f.file, f.row, f.column) == ("instance.yaml", "9", "provenance_group")


# --------------------------------------------------------------------------------------------
# patch and remove
# --------------------------------------------------------------------------------------------


def test_patch_updates_a_row_by_key(inst: Path) -> None:
    with_scenarios(inst, """\
        s:
          patch:
            facilities:
              - {facility: mine_us, capacity: 5, cost: 12.5}
        """)
    base, s = load_instance(inst), load_instance(inst, ["s"])
    assert (base.facilities["mine_us"].capacity, base.facilities["mine_us"].cost) == (100.0, 20.0)
    us = s.facilities["mine_us"]
    assert (us.capacity, us.cost, us.stage, us.country) == (5.0, 12.5, "mine", "US")  # other columns kept
    assert s.facilities["mine_cn"] == base.facilities["mine_cn"]


def test_patch_to_null_blanks_a_cell(inst: Path) -> None:
    with_scenarios(inst, """\
        s:
          patch:
            facilities:
              - {facility: mine_us, capacity: null}
        """)
    assert load_instance(inst, ["s"]).facilities["mine_us"].capacity is None  # blank: unlimited


def test_patch_keyed_by_period_updates_only_that_year(inst: Path) -> None:
    with_scenarios(inst, """\
        s:
          patch:
            demands:
              - {customer: buyer, product: magnet, period: 2030, quantity: 70}
        """)
    demands = load_instance(inst, ["s"]).demands
    assert [(d.period, d.quantity) for d in demands] == [(2025, 40.0), (2030, 70.0)]


def test_patch_inserts_a_row_with_a_new_key(inst: Path) -> None:
    with_scenarios(inst, """\
        s:
          patch:
            demands:
              - {customer: buyer2, country: US, product: magnet, period: 2030, quantity: 3, penalty: 500}
            lanes:
              - {origin: plant, destination: buyer2, product: magnet, cost: 2}
            capacity:
              - {facility: mine_cn, period: 2030, capacity: 10}
        """)
    s = load_instance(inst, ["s"])
    new = [d for d in s.demands if d.customer == "buyer2"]
    assert [(d.country, d.period, d.quantity, d.penalty, d.provenance) for d in new] == [("US", 2030, 3.0, 500.0, "any")]
    assert [(lane.destination, lane.cost, lane.tariff) for lane in s.lanes if lane.destination == "buyer2"] == [("buyer2", 2.0, 0.0)]
    assert s.capacity == {("mine_cn", 2030): 10.0}  # capacity.csv does not exist: the row is inserted anyway
    assert len(load_instance(inst).demands) == 2


def test_patch_may_add_a_column_the_csv_lacks(inst: Path) -> None:
    assert "tariff" not in (inst / "lanes.csv").read_text().splitlines()[0]
    with_scenarios(inst, """\
        s:
          patch:
            lanes:
              - {origin: mine_cn, destination: plant, product: ore, tariff: 4}
        """)
    lanes = load_instance(inst, ["s"]).lanes
    assert [lane.tariff for lane in lanes] == [4.0, 0.0, 0.0]


def test_remove_rows(inst: Path) -> None:
    with_scenarios(inst, """\
        s:
          remove:
            lanes:
              - {origin: mine_cn, destination: plant, product: ore}
            demands:
              - {customer: buyer, product: magnet, period: 2030}
        """)
    s = load_instance(inst, ["s"])
    assert [(lane.origin, lane.destination) for lane in s.lanes] == [("mine_us", "plant"), ("plant", "buyer")]
    assert [d.period for d in s.demands] == [2025]


def test_scenario_does_not_touch_the_files(inst: Path) -> None:
    with_scenarios(inst, """\
        s:
          patch: {facilities: [{facility: mine_us, capacity: 5}]}
          remove: {lanes: [{origin: mine_cn, destination: plant, product: ore}]}
        """)
    before = {p.name: p.read_bytes() for p in inst.iterdir()}
    load_instance(inst, ["s"])
    assert {p.name: p.read_bytes() for p in inst.iterdir()} == before
    assert load_instance(inst).input_digest == load_instance(inst, ["s"]).input_digest


# --------------------------------------------------------------------------------------------
# policies
# --------------------------------------------------------------------------------------------


def test_default_policy_names_are_kind_and_position(inst: Path) -> None:
    with_scenarios(inst, "s: {}\n")
    assert names(load_instance(inst).policies) == ["max_open_1", "china_cap", "max_supplier_share_3"]


def test_add_policies(inst: Path) -> None:
    with_scenarios(inst, """\
        s:
          add_policies:
            - {kind: export_cap, name: ore_ban, group: covered, product: ore, quantity: 0}
            - {kind: max_open, stage: magnet, count: 1}
        """)
    s = load_instance(inst, ["s"])
    assert names(s.policies) == ["max_open_1", "china_cap", "max_supplier_share_3", "ore_ban", "max_open_5"]
    assert s.policy("ore_ban").quantity == 0
    assert s.policy("max_open_5").stage == "magnet"


def test_remove_policies_by_given_and_default_name(inst: Path) -> None:
    with_scenarios(inst, """\
        s:
          remove_policies: [china_cap, max_open_1]
          add_policies:
            - {kind: max_open, stage: magnet, count: 1}
        """)
    s = load_instance(inst, ["s"])
    # Base names do not shift when earlier policies are removed; an added policy takes the next position.
    assert names(s.policies) == ["max_supplier_share_3", "max_open_2"]


def test_update_policies(inst: Path) -> None:
    with_scenarios(inst, """\
        s:
          update_policies:
            china_cap: {share: {2025: 0.8, 2030: 0.5}, periods: [2030]}
            max_open_1: {count: 1}
        """)
    s = load_instance(inst, ["s"])
    cap = s.policy("china_cap")
    assert (cap.share, cap.periods, cap.group, cap.stage) == ({2025: 0.8, 2030: 0.5}, [2030], "covered", "mine")
    assert s.policy("max_open_1").count == 1
    assert load_instance(inst).policy("china_cap").share == 0.8


def test_update_can_rename_a_policy(inst: Path) -> None:
    with_scenarios(inst, "s: {update_policies: {china_cap: {name: asia_cap}}}\n")
    assert names(load_instance(inst, ["s"]).policies) == ["max_open_1", "asia_cap", "max_supplier_share_3"]


# --------------------------------------------------------------------------------------------
# several scenarios, in order
# --------------------------------------------------------------------------------------------

ORDERED = """\
a:
  set: {discount_rate: 0.1}
  patch: {facilities: [{facility: mine_us, capacity: 50}]}
  add_policies:
    - {kind: max_open, name: cap, stage: magnet, count: 1}
b:
  set: {discount_rate: 0.2}
  patch: {facilities: [{facility: mine_us, capacity: 70}]}
  update_policies:
    cap: {count: 2}
c:
  set: {description: third}
"""


def test_scenarios_apply_in_the_order_given(inst: Path) -> None:
    with_scenarios(inst, ORDERED)
    ab = load_instance(inst, ["a", "b"])
    assert (ab.discount_rate, ab.facilities["mine_us"].capacity, ab.policy("cap").count) == (0.2, 70.0, 2)
    assert ab.scenario == ("a", "b")
    ac = load_instance(inst, ["c", "a"])
    assert (ac.discount_rate, ac.description, ac.facilities["mine_us"].capacity) == (0.1, "third", 50.0)


def test_later_scenario_may_need_an_earlier_one(inst: Path) -> None:
    with_scenarios(inst, ORDERED)
    with pytest.raises(InputError) as exc:
        load_instance(inst, ["b", "a"])  # b updates the policy that a adds
    (f,) = exc.value.findings
    assert (f.file, f.row, f.column) == ("instance.yaml", "18", "cap")
    assert "no policy named 'cap' to update" in f.message


def test_scenario_option_splits_commas_and_repeats() -> None:
    assert _scenarios(("a,b", " c ", "", "d,,")) == ["a", "b", "c", "d"]


@pytest.mark.parametrize("args", [["--scenario", "a,b"], ["-s", "a", "-s", "b"], ["--scenario", "a", "--scenario", "b,c"]])
def test_cli_applies_several_scenarios(inst: Path, args: list[str]) -> None:
    with_scenarios(inst, ORDERED)
    result = CliRunner().invoke(main, ["validate", str(inst), *args])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: chain:")


@pytest.mark.parametrize("args", [["--scenario", "b,a"], ["-s", "b", "-s", "a"]])
def test_cli_scenario_order_matters(inst: Path, args: list[str]) -> None:
    with_scenarios(inst, ORDERED)
    result = CliRunner().invoke(main, ["validate", str(inst), *args])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith("instance.yaml:18:cap: no policy named 'cap' to update")


def test_empty_scenario_and_null_sections(inst: Path) -> None:
    with_scenarios(inst, """\
        nothing:
        blanks:
          set:
          patch:
          remove:
          add_policies:
          remove_policies:
          update_policies:
        """)
    base = load_instance(inst)
    for name in ("nothing", "blanks"):
        s = load_instance(inst, [name])
        assert names(s.policies) == names(base.policies)
        assert s.facilities == base.facilities and s.lanes == base.lanes

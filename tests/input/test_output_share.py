"""output_share policies: their references and rules, each refused at its field, and the CLI's exit 2."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from optimizer.cli import EXIT_INPUT, main
from optimizer.core.errors import InputError
from optimizer.input.load import load_instance
from tests.helpers import two_mine_chain


def chain(tmp_path, **policy):
    pol = {"kind": "output_share", "name": "contract", "facility": "plant", "product": "magnet",
           "destinations": ["buyer"], "share": 0.5, **policy}
    return two_mine_chain(tmp_path / "chain", policies=[pol])


def findings(folder) -> list[str]:
    with pytest.raises(InputError) as exc:
        load_instance(folder)
    return [str(f) for f in exc.value.findings]


def test_a_valid_contract_loads(tmp_path):
    assert load_instance(chain(tmp_path)).policy("contract").share == 0.5


def test_an_unknown_destination_is_refused(tmp_path):
    lines = findings(chain(tmp_path, destinations=["nobody"]))
    assert any("destinations: policy 'contract': unknown destinations 'nobody'" in f for f in lines), lines


def test_a_destination_without_a_lane_is_refused(tmp_path):
    lines = findings(chain(tmp_path, facility="mine_cn", product="ore", destinations=["buyer"]))
    assert any("no lane mine_cn -> buyer (ore)" in f for f in lines), lines


def test_a_product_the_facility_does_not_make_is_refused(tmp_path):
    lines = findings(chain(tmp_path, product="ore"))
    assert any("facility 'plant' does not make 'ore'" in f for f in lines), lines


def test_a_share_above_one_is_refused(tmp_path):
    lines = findings(chain(tmp_path, share=1.5))
    assert any("share: policy 'contract': got 1.5; expected a fraction between 0 and 1" in f for f in lines), lines


def test_the_cli_exits_2_and_writes_nothing(tmp_path):
    folder = chain(tmp_path, destinations=["nobody"])
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["solve", str(folder), "--out", str(out)])
    assert result.exit_code == EXIT_INPUT
    assert not out.exists()

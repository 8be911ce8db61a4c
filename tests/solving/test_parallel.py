"""Independent solves on this process, a local process pool and a Dask LocalCluster give the
same results in the same order (``optimizer.solving.parallel``, through ``m2m stress``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli import EXIT_INPUT, main
from optimizer.solving.parallel import pinned, solve_all
from optimizer.solving.solver import SolveOptions
from optimizer.tools.stress import STRESS_CSV, run_stress

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny_stockpile"


def square(x: int) -> int:
    return x * x


def test_results_come_back_in_task_order_from_a_pool():
    seen = []
    assert solve_all(square, range(7), workers=2, on_result=lambda i, r: seen.append((i, r))) == [x * x for x in range(7)]
    assert seen == [(i, i * i) for i in range(7)]


def test_each_solve_gets_one_thread_unless_told():
    assert pinned(SolveOptions()).threads == 1 and pinned(SolveOptions(threads=2)).threads == 2


@pytest.fixture(scope="module")
def serial(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("serial") / "s"
    run_stress(TINY, [], kind="lane", year=2025, workers=1, out=out)
    return (out / STRESS_CSV).read_text()


def test_a_process_pool_gives_the_serial_results(serial, tmp_path):
    run_stress(TINY, [], kind="lane", year=2025, workers=2, out=tmp_path / "p")
    assert (tmp_path / "p" / STRESS_CSV).read_text() == serial


def test_a_dask_cluster_gives_the_serial_results(serial, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        run_stress(TINY, [], kind="lane", year=2025, scheduler=cluster.scheduler_address, out=tmp_path / "d")
    assert (tmp_path / "d" / STRESS_CSV).read_text() == serial


def test_no_scheduler_at_the_address_is_an_input_error(tmp_path):
    result = CliRunner().invoke(main, ["stress", str(TINY), "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "x")])
    assert result.exit_code == EXIT_INPUT
    assert "--scheduler:-:--scheduler: no Dask scheduler at tcp://127.0.0.1:9" in result.output
    assert not (tmp_path / "x").exists()


def test_a_sweep_gives_the_same_frontier_on_a_pool_and_a_dask_cluster(tmp_path):
    """Its chains of points (two of two here, each second point warm) are the same however spread."""
    import pandas as pd

    from optimizer.tools.sweep import run_sweep

    folder = TINY.parent / "tiny_china_cap"
    values = [0.9, 0.7, 0.5, 0.3]
    a = run_sweep(folder, [], "china_cap", "share", values, workers=1, out=tmp_path / "a").frontier
    b = run_sweep(folder, [], "china_cap", "share", values, workers=2, out=tmp_path / "b").frontier
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        c = run_sweep(folder, [], "china_cap", "share", values, scheduler=cluster.scheduler_address,
                      out=tmp_path / "c").frontier
    timing = [col for col in a.columns if col.endswith("seconds")]
    pd.testing.assert_frame_equal(a.drop(columns=timing), b.drop(columns=timing))
    pd.testing.assert_frame_equal(a.drop(columns=timing), c.drop(columns=timing))
    assert a["value"].tolist() == values
    assert a["start"].tolist() == ["cold", "warm", "cold", "warm"]
    assert a["objective"].tolist() == pytest.approx([6400, 7200, 8000, 8800])  # 10,000 - 4,000 x share (docs/cli.md)


def test_kept_points_stay_on_this_machine(tmp_path):
    result = CliRunner().invoke(main, ["sweep", str(TINY.parent / "tiny_china_cap"), "--policy", "china_cap", "--param",
                                       "share", "--from", "0.9", "--to", "0.5", "--steps", "2", "--keep",
                                       "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "s")])
    assert result.exit_code == EXIT_INPUT and "--keep:-:--keep: points are kept on this machine's disk" in result.output


def test_a_compare_gives_the_same_diff_tables_on_a_pool(tmp_path):
    """m2m compare's plans, solved side by side, compare as they do solved one after another."""
    folder = TINY.parent / "tiny_stockpile"
    outs = {}
    for workers in ("1", "2"):
        outs[workers] = tmp_path / f"w{workers}"
        result = CliRunner().invoke(main, ["compare", str(folder), "-s", "no_store", "-s", "no_ban", "--workers", workers,
                                           "--out", str(outs[workers]), "--quiet"])
        assert result.exit_code == 0, result.output
    for name in ("flows_diff.csv", "activity_diff.csv", "costs_diff.csv", "shares_diff.csv"):
        assert (outs["1"] / name).read_text() == (outs["2"] / name).read_text(), name

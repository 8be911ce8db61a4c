"""Ctrl-C (SIGINT) and SIGTERM stop any command with one line and exit 130 / 143, leaving the
previous results whole and no temporary folder behind.

A real ``m2m`` process solves a synthetic instance of about 100,000 variables (about ten seconds
here) into a folder that holds an earlier run; the signal is sent while it works.  Python acts on
it between bytecodes, so a signal that arrives while HiGHS is inside its C code takes effect when
the solver returns: the outcome is the same, only later.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import two_mine_chain

ROOT = Path(__file__).resolve().parent.parent
M2M = Path(sys.executable).with_name("m2m")


def snapshot(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (None if p.is_dir() else p.read_bytes()) for p in sorted(root.rglob("*"))}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synthetic") / "m2m_100k"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "synthetic.py"), "--size", "100k", "--out", str(out)],
                   check=True, capture_output=True)
    return out


@pytest.mark.parametrize("sig, code, name", [(signal.SIGINT, 130, "SIGINT"), (signal.SIGTERM, 143, "SIGTERM")])
def test_a_signal_stops_solve_with_one_line_and_the_previous_results_whole(synthetic, tmp_path, sig, code, name):
    work = tmp_path / "work"
    work.mkdir()
    results = work / "results"
    subprocess.run([str(M2M), "solve", str(two_mine_chain(tmp_path / "chain")), "--out", str(results), "-q"],
                   check=True, capture_output=True)
    before = snapshot(work)
    proc = subprocess.Popen([str(M2M), "solve", str(synthetic), "--out", str(results)], cwd=work,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)  # past start-up, while the instance is loaded, built or solved
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == code, (proc.returncode, stderr)
    assert stderr == f"interrupted ({name}): stopped; outputs are swapped in whole, so no partial output is left\n"
    assert stdout == ""
    assert snapshot(work) == before  # the earlier results byte for byte, and no temporary folder


def test_a_swap_holds_signals_back():
    """The two renames that swap a folder in run with SIGINT and SIGTERM held back: a SIGINT sent
    inside the block does nothing there, and is raised as the block ends."""
    from optimizer.core.atomic import signals_held

    reached = False
    with pytest.raises(KeyboardInterrupt):
        with signals_held():
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(100):  # time for the signal to arrive: it must not interrupt the block
                time.sleep(0.001)
            reached = True
    assert reached


def test_a_signal_that_surfaces_as_another_error_still_ends_as_the_signal(monkeypatch):
    """A signal can land inside a library that wraps it (an import that then fails, say): the run
    still ends as interrupted, with its exit code, not as an internal error."""
    import click
    from click.testing import CliRunner

    from optimizer import cli

    monkeypatch.setattr(cli, "_received", [])

    @click.command()
    @cli.polite
    def stopped_mid_import():
        cli._received.append(signal.SIGTERM)
        raise ImportError("initialization failed")

    result = CliRunner().invoke(stopped_mid_import, [])
    assert result.exit_code == 143
    assert "interrupted (SIGTERM)" in result.output and "internal error" not in result.output


def test_a_signal_received_by_an_earlier_command_does_not_stop_the_next(monkeypatch):
    """Commands invoked one after another in one process (tests, notebooks): the signal that
    stopped the first is not the second's, so an error in the second is an internal error."""
    import click
    from click.testing import CliRunner

    from optimizer import cli

    monkeypatch.setattr(cli, "_received", [])

    @click.command()
    @cli.polite
    def stopped():
        cli._received.append(signal.SIGINT)  # what the handler does before it raises
        raise KeyboardInterrupt()

    @click.command()
    @cli.polite
    def fails():
        raise RuntimeError("disk full")

    assert CliRunner().invoke(stopped, []).exit_code == 130
    result = CliRunner().invoke(fails, [])
    assert result.exit_code == 3
    assert "internal error: RuntimeError: disk full" in result.output


def test_a_ctrl_c_between_commands_in_one_process_does_not_stop_the_next(monkeypatch):
    """In a notebook, a Ctrl-C while no command runs (after one has set its handlers up) raises
    there, as Python's own would, and the next command runs as usual."""
    import click
    from click.testing import CliRunner

    from optimizer import cli

    monkeypatch.setattr(cli, "_received", [])

    @click.command()
    @cli.polite
    def works():
        return 0

    assert CliRunner().invoke(works, []).exit_code == 0  # its handlers are now the process's
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)
    assert CliRunner().invoke(works, []).exit_code == 0


def test_a_signal_before_the_command_starts_stops_it_before_it_runs(monkeypatch):
    """Until a command starts, the command line's handlers only record a signal (click would turn
    a KeyboardInterrupt in its parsing into "Aborted!", exit 1): the command then stops at once."""
    import click
    from click.testing import CliRunner

    from optimizer import cli

    from optimizer.core import signals

    ran = []
    monkeypatch.setattr(signals, "received", [signal.SIGTERM])  # recorded while m2m started up

    @click.command()
    @cli.polite
    def work():
        ran.append(True)
        return 0

    result = CliRunner().invoke(work, [])
    assert result.exit_code == 143 and not ran
    assert result.output.strip() == "interrupted (SIGTERM): stopped; outputs are swapped in whole, so no partial output is left"


@pytest.mark.parametrize("delay", [0.05, 0.15, 0.3])
def test_ctrl_c_while_m2m_starts_up_never_lets_the_solve_finish(tmp_path, delay):
    """A SIGINT in the first moments of ``m2m solve`` (the interpreter starting, the package and
    its libraries imported, the command line read) stops it: never exit 0, nothing written.
    Before the command line's handlers are set up it is Python's own KeyboardInterrupt; after,
    the one line and exit 130."""
    chain = two_mine_chain(tmp_path / "chain")
    out = tmp_path / "out"
    proc = subprocess.Popen([str(M2M), "solve", str(chain), "--out", str(out), "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode != 0, stderr
    assert not out.exists()
    if proc.returncode == 130:
        assert stderr == "interrupted (SIGINT): stopped; outputs are swapped in whole, so no partial output is left\n"


def test_an_interrupt_whose_exception_was_lost_still_stops_the_command(monkeypatch):
    """Python runs some callbacks (importlib's module-lock cleanup, during an import) without
    letting an exception out: a Ctrl-C raised there is only printed.  The signal is still on
    record, so the command ends as interrupted when it returns, not with exit 0."""
    import click
    from click.testing import CliRunner

    from optimizer import cli

    monkeypatch.setattr(cli, "_received", [])

    @click.command()
    @cli.polite
    def interrupted_in_a_callback():
        cli._received.append(signal.SIGINT)  # what the handler did before its exception was lost
        return 0

    result = CliRunner().invoke(interrupted_in_a_callback, [])
    assert result.exit_code == 130
    assert "interrupted (SIGINT)" in result.output


def test_solve_writes_nothing_after_an_interrupt_whose_exception_was_lost(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from optimizer import cli, pipeline

    real = pipeline.run

    def run_then_lose_an_interrupt(*args, **kwargs):
        cli._received.append(signal.SIGINT)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "run", run_then_lose_an_interrupt)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli.main, ["solve", str(two_mine_chain(tmp_path / "chain")), "--out", str(out)])
    assert result.exit_code == 130, result.output
    assert result.output.strip().splitlines() == [
        "interrupted (SIGINT): stopped; outputs are swapped in whole, so no partial output is left"]
    assert not out.exists()

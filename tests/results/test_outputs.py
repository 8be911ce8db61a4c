"""``--out`` never destroys what m2m did not write (optimizer.results.outputs), for every command that writes.

Each refused case exits 2 with one ``PATH:-:--out:`` line on stderr and leaves every file of the
workspace byte-identical.  The workspace is a temporary working directory holding the two-mine
chain (``chain/``), a folder of someone else's files (``thesis/``), a plain file (``notes.txt``)
and one results folder of each kind m2m writes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli import EXIT_INPUT, EXIT_OK, main
from optimizer.results.outputs import folder_kind
from tests.helpers import two_mine_chain

SHARE = {"kind": "max_share", "name": "cn_cap", "stage": "mine", "group": "covered", "share": 0.25}


def invoke(*args, ok: int | None = EXIT_OK):
    result = CliRunner().invoke(main, [str(a) for a in args])
    if ok is not None:
        assert result.exit_code == ok, (result.exit_code, result.output, result.exception)
    return result


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file and folder under ``root``: path -> bytes (None for a folder)."""
    return {str(p.relative_to(root)): (None if p.is_dir() else p.read_bytes()) for p in sorted(root.rglob("*"))}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Path:
    """One folder of each kind m2m writes, made once: solve/, compare/, sweep/ and report.html."""
    root = tmp_path_factory.mktemp("outputs")
    chain = two_mine_chain(root / "chain", policies=[SHARE])
    invoke("solve", chain, "--out", root / "solve", "-q")
    invoke("solve", chain, "--out", root / "solve2", "-q")
    invoke("compare", root / "solve", root / "solve2", "--out", root / "compare", "-q")
    invoke("sweep", chain, "--policy", "cn_cap", "--param", "share", "--from", 0.5, "--to", 0.25, "--steps", 2,
           "--out", root / "sweep", "-q")
    invoke("report", root / "solve", "--out", root / "report.html")
    return root


@pytest.fixture
def workspace(outputs, tmp_path, monkeypatch) -> Path:
    for name in ("chain", "solve", "solve2", "compare", "sweep", "report.html"):
        src = outputs / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, tmp_path / name)
    (tmp_path / "thesis").mkdir()
    (tmp_path / "thesis" / "chapter1.tex").write_text("\\chapter{Rare earths}\n")
    (tmp_path / "notes.txt").write_text("my notes\n")
    (tmp_path / "page.html").write_text("<html><body>my own page</body></html>\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_each_kind_of_output_carries_its_marker(outputs):
    assert [folder_kind(outputs / k) for k in ("solve", "compare", "sweep", "chain")] == ["solve", "compare", "sweep", None]
    assert json.loads((outputs / "solve" / "summary.json").read_text())["run"] == "solve"
    assert '<meta name="generator" content="mine2magnet">' in (outputs / "report.html").read_text()


# command -> the arguments before --out
COMMANDS = {
    "solve": ["solve", "chain", "-q"],
    "compare": ["compare", "chain", "-s", "base", "-s", "cap_low", "--no-base", "-q", "--workers", "1"],
    "sweep": ["sweep", "chain", "--policy", "cn_cap", "--param", "share", "--from", 0.5, "--to", 0.25, "--steps", 2, "-q"],
}

REFUSED = [
    # --out, phrase of the refusal
    ("notes.txt", "is a file, not a folder"),
    ("thesis", "exists and is not a folder m2m wrote"),
    (".", "is the working directory or a folder holding it"),
    ("..", "is the working directory or a folder holding it"),
    ("chain", "which this run reads"),
]


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("out, phrase", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_out_touches_nothing(workspace, command, out, phrase):
    before = snapshot(workspace)
    args = COMMANDS[command]
    if command == "compare":
        scenarios = {"cap_low": {"update_policies": {"cn_cap": {"share": 0.2}}}}
        text = (workspace / "chain" / "instance.yaml").read_text()
        (workspace / "chain" / "instance.yaml").write_text(text + "scenarios: " + json.dumps(scenarios) + "\n")
        before = snapshot(workspace)
    result = invoke(*args, "--out", out, ok=EXIT_INPUT)
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"{out}:-:--out: ")
    assert phrase in result.stderr and result.stderr.rstrip().endswith("nothing written")
    assert snapshot(workspace) == before


@pytest.mark.parametrize("command, other", [("solve", "sweep"), ("sweep", "compare"), ("compare", "solve")])
def test_an_output_folder_of_another_kind_is_refused(workspace, command, other):
    if command == "compare":  # an m2m solve folder that is not one of the plans compared
        shutil.copytree(workspace / "solve", workspace / "solve3")
        args = ["compare", "solve2", "solve3", "-q"]
    else:
        args = COMMANDS[command]
    before = snapshot(workspace)
    result = invoke(*args, "--out", other, ok=EXIT_INPUT)
    assert f"exists and is an m2m {other} folder; m2m replaces only a {command} folder it wrote" in result.stderr
    assert snapshot(workspace) == before


def test_a_folder_holding_the_instance_is_refused(workspace):
    (workspace / "project").mkdir()
    (workspace / "chain").rename(workspace / "project" / "chain")
    before = snapshot(workspace)
    result = invoke("solve", "project/chain", "--out", "project", "-q", ok=EXIT_INPUT)
    assert "which this run reads" in result.stderr
    assert snapshot(workspace) == before


def test_an_m2m_folder_of_the_same_kind_and_an_empty_folder_are_replaced(workspace):
    (workspace / "empty").mkdir()
    invoke("solve", "chain", "--out", "empty", "-q")
    invoke("solve", "chain", "--out", "solve", "-q")
    invoke("sweep", *COMMANDS["sweep"][1:], "--out", "sweep")
    invoke("compare", "solve", "solve2", "--out", "compare", "-q")
    assert folder_kind(workspace / "empty") == "solve"
    assert not [p for p in workspace.iterdir() if p.name.startswith(".")]  # no temporary folder left


@pytest.mark.parametrize("out, phrase", [
    ("notes.txt", "does not end in .html"),
    ("page.html", "exists and is not a report m2m wrote"),
    ("thesis", "does not end in .html"),
    ("solve/summary.json", "does not end in .html"),
])
def test_report_writes_html_files_only_and_never_over_another_file(workspace, out, phrase):
    before = snapshot(workspace)
    result = invoke("report", "solve", "--out", out, ok=EXIT_INPUT)
    assert result.stderr.startswith(f"{out}:-:--out: ") and phrase in result.stderr
    assert snapshot(workspace) == before


def test_report_replaces_its_own_report(workspace):
    invoke("report", "solve", "--out", "report.html")
    invoke("report", "solve")  # default: solve/report.html, new
    assert (workspace / "solve" / "report.html").is_file()


def test_a_report_inside_a_results_folder_is_kept_when_the_folder_is_solved_again(workspace):
    invoke("report", "solve")
    report = (workspace / "solve" / "report.html").read_bytes()
    result = invoke("solve", "chain", "--out", "solve", "-q")
    assert (workspace / "solve" / "report.html").read_bytes() == report
    assert "kept from the previous results in solve: report.html" in result.output

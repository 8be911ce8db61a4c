"""Console examples in README.md and docs/*.md are transcripts of the tool (docs/console.py).

Every ```console block is run and what each command prints must be what the document shows,
durations aside; ``python docs/console.py`` rewrites the documents after an intended change.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))
import console  # noqa: E402

DOCUMENTS = [p for p in console.DOCUMENTS if console.blocks(p.read_text(encoding="utf-8").split("\n"))]


@pytest.mark.parametrize("path", DOCUMENTS, ids=[p.name for p in DOCUMENTS])
def test_console_examples_are_what_the_tool_prints(path: Path) -> None:
    problems = console.run_document(path, write=False)
    assert not problems, "\n".join(problems) + "\nrun `python docs/console.py` to rewrite them"


def test_readme_and_cli_reference_have_transcripts() -> None:
    assert {p.name for p in DOCUMENTS} >= {"README.md", "cli.md"}


SHOWN = ["total cost  1,200 USD (discounted)", "time        load 0.01s, build 0.00s, solve 0.71s"]
TABLE = ["┏━━━━━━┳━━━━━━━━━┓", "┃ x    ┃ solve s ┃", "┡━━━━━━╇━━━━━━━━━┩", "│ 0.9  │    0.39 │", "└──────┴─────────┘"]


def test_durations_may_differ_but_nothing_else() -> None:
    assert console.matches(SHOWN, ["total cost  1,200 USD (discounted)", "time        load 0.02s, build 0.01s, solve 1.30s"])
    assert not console.matches(SHOWN, ["total cost  1,201 USD (discounted)", SHOWN[1]])
    assert not console.matches(SHOWN, SHOWN + ["one more line"])
    other = TABLE[:3] + ["│ 0.9  │    1.07 │"] + TABLE[4:]
    assert console.matches(TABLE, other)
    assert not console.matches(TABLE, TABLE[:3] + ["│ 0.8  │    0.39 │"] + TABLE[4:])


def test_an_excerpt_shows_lines_in_order() -> None:
    printed = ["a 1", "b 2", "c 3", *TABLE]
    assert console.matches(["...", "b 2", "│ 0.9  │    0.11 │", "..."], printed)  # the timed cell is found by its table
    assert not console.matches(["...", "c 3", "b 2", "..."], printed)
    assert not console.matches(["...", "b 3", "..."], printed)


def test_rewrite_keeps_the_excerpt_and_takes_the_printed_lines() -> None:
    printed = ["head", "total cost  1,300 USD", "tail"]
    assert console.rewrite(["...", "total cost  1,200 USD", "..."], printed) == ["...", "total cost  1,300 USD", "..."]
    assert console.rewrite(["...", "other line", "..."], printed) is None
    assert console.rewrite(["old"], printed) == printed

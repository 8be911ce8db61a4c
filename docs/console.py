"""Console examples in the docs are transcripts: run them, and check or rewrite what they show.

    python docs/console.py            # run every ```console block of README.md and docs/*.md; rewrite the outputs
    python docs/console.py --check    # exit 1 when a shown output is not what the command prints now

A ```console block is a transcript: each line starting with ``$ `` is a command, run with bash
in a fresh folder per document (the repository's ``instances`` folder linked in, the project's
``m2m`` on the PATH, a 120-column console), and the lines after it, up to the next command, are
what it prints (standard output and standard error).  A block with a line ``...`` is an
excerpt: its other lines must appear in what the command prints, in that order.  Commands see the files earlier commands of the same document
wrote.  An HTML comment ``<!-- console-setup: COMMAND -->`` on the line before a block runs
COMMAND first, unseen (to make an input the example needs).  Blocks that only list commands
use ```sh instead.

Timings differ from run to run: durations (``0.71s``, ``0:00:04``) and the cells of table
columns whose title ends in `` s`` are compared as "a duration".  Everything else must match
exactly.  Rewriting keeps each ``...`` and replaces every shown line by the line the command
printed in its place (the line with the same text once numbers are masked and a table's padding
is ignored).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ELIDED = "..."
SETUP = re.compile(r"^<!-- console-setup: (.*) -->$")
DURATION = re.compile(r"\b\d+(?:\.\d+)?s\b|\b\d+:\d\d:\d\d\b")
NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?")


@dataclass
class Command:
    line: int  # 0-based line of the ``$ `` line in the document
    text: str
    shown: list[str] = field(default_factory=list)


@dataclass
class Block:
    start: int  # line of the opening fence
    end: int  # line of the closing fence
    setup: str | None
    commands: list[Command]


def blocks(lines: list[str]) -> list[Block]:
    """The ```console blocks of a document."""
    out: list[Block] = []
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```console":
            setup = SETUP.match(lines[i - 1].strip()) if i else None
            j = i + 1
            commands: list[Command] = []
            while j < len(lines) and lines[j].strip() != "```":
                if lines[j].startswith("$ "):
                    commands.append(Command(j, lines[j][2:]))
                elif commands:
                    commands[-1].shown.append(lines[j])
                j += 1
            out.append(Block(i, j, setup.group(1) if setup else None, commands))
            i = j
        i += 1
    return out


def _mask(line: str, timed: list[int]) -> str:
    """``line`` with durations masked, and the cells ``timed`` of a table row."""
    line = DURATION.sub("<duration>", line.rstrip())
    if timed and line.startswith("│"):
        cells = line.split("│")
        for k in timed:
            if k < len(cells):
                cells[k] = "<duration>"
        line = "│".join(cells)
    return line


def timed_columns(lines: list[str]) -> list[list[int]]:
    """For each line, the cells that are durations: the columns of the table it belongs to whose
    title ends in `` s`` (none outside a table)."""
    out: list[list[int]] = []
    timed: list[int] = []
    for line in lines:
        if line.startswith("┃"):
            timed = [k for k, c in enumerate(line.split("┃")) if c.strip().endswith(" s")]
        elif not line.startswith(("│", "┏", "┡", "└", "├")):
            timed = []
        out.append(timed)
    return out


def _key(line: str) -> str:
    """A line with its numbers masked, its blanks collapsed and its runs of one character (table
    rules, padding) shortened to one: the same line of a table drawn wider or with other numbers."""
    masked = NUMBER.sub("#", DURATION.sub("<duration>", line.strip()))
    return re.sub(r"(.)\1+", r"\1", re.sub(r"\s+", " ", masked))


def matches(shown: list[str], printed: list[str]) -> bool:
    """``shown`` is what was ``printed``, durations aside: line for line, or, for an excerpt (with a
    ``...`` line), its other lines appear in what was printed, in that order."""
    timed = timed_columns(printed)
    got = [_mask(line, t) for line, t in zip(printed, timed)]
    if ELIDED not in [line.strip() for line in shown]:
        return [_mask(line, t) for line, t in zip(shown, timed)] == got and len(shown) == len(printed)
    at = 0
    for line in shown:
        if line.strip() == ELIDED:
            continue
        while at < len(got) and _mask(line, timed[at]) != got[at]:
            at += 1
        if at == len(got):
            return False
        at += 1
    return True


def rewrite(shown: list[str], printed: list[str]) -> list[str] | None:
    """The shown lines replaced by what was printed: all of it, or, with ``...``, each shown line by
    the next printed line with the same text once numbers are masked (None when one is not found)."""
    if ELIDED not in [line.strip() for line in shown]:
        return list(printed)
    out: list[str] = []
    at = 0
    for line in shown:
        if line.strip() == ELIDED:
            out.append(line)
            continue
        key = _key(line)
        hit = next((k for k in range(at, len(printed)) if _key(printed[k]) == key), None)
        if hit is None:
            return None
        out.append(printed[hit])
        at = hit + 1
    return out


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update({"COLUMNS": "120", "LINES": "50", "NO_COLOR": "1", "TERM": "dumb"})
    env.pop("FORCE_COLOR", None)
    return env


def run_document(path: Path, write: bool) -> list[str]:
    """Run every console block of ``path``; return the problems (and rewrite the file if ``write``)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    found = blocks(lines)
    if not found:
        return []
    problems: list[str] = []
    replacements: dict[int, list[str]] = {}
    env = environment()
    with tempfile.TemporaryDirectory(prefix="m2m-console-") as tmp:
        cwd = Path(tmp)
        (cwd / "instances").symlink_to(ROOT / "instances")
        for block in found:
            if block.setup:
                subprocess.run(["bash", "-c", block.setup], cwd=cwd, env=env, check=True, capture_output=True)
            for cmd in block.commands:
                proc = subprocess.run(["bash", "-c", cmd.text], cwd=cwd, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True)
                printed = proc.stdout.rstrip("\n").split("\n") if proc.stdout.strip() else []
                where = f"{path.relative_to(ROOT)}:{cmd.line + 1}"
                if write:
                    new = rewrite(cmd.shown, printed)
                    if new is None:
                        problems.append(f"{where}: `{cmd.text}`: a shown line has no counterpart in what it prints now; "
                                        "edit the example by hand")
                    else:
                        replacements[cmd.line] = new
                elif not matches(cmd.shown, printed):
                    problems.append(f"{where}: `{cmd.text}` prints something else now:\n    "
                                    + "\n    ".join(printed[:40]))
    if write and not problems:
        out: list[str] = []
        skip_to = -1
        commands = {c.line: c for b in found for c in b.commands}
        for i, line in enumerate(lines):
            if i <= skip_to:
                continue
            out.append(line)
            if i in commands:
                out.extend(replacements[i])
                skip_to = i + len(commands[i].shown)
        path.write_text("\n".join(out), encoding="utf-8")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 on a difference")
    parser.add_argument("documents", nargs="*", type=Path, help="markdown files (default: README.md and docs/*.md)")
    args = parser.parse_args(argv)
    problems: list[str] = []
    for path in [p.resolve() for p in args.documents] or DOCUMENTS:
        problems += run_document(path, write=not args.check)
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

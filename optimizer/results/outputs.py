"""Where m2m may write: never over anything it did not write itself.

Every folder m2m writes carries a marker, a JSON file with the kind of run that wrote it:
``summary.json`` (``"run": "solve"``) in a results folder, ``summary_diff.json``
(``"run": "compare"``) in a comparison folder, ``sweep.json`` (``"run": "sweep"``) in a
sweep folder.  A report is an ``.html`` file whose head names mine2magnet as its generator.

Before anything is computed, :func:`guard_folder` and :func:`guard_report` refuse an output path
that would destroy something else: an existing file where a folder goes, a folder that is not
an m2m output of the same kind (an empty folder is fine), the working directory or a folder
holding it, the instance folder or a folder holding it, an input of the run.  The refusal is one
``PATH:-:--out:`` line (exit code 2) and nothing is touched.  Folders are then replaced whole
(:mod:`optimizer.core.atomic`).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Iterable, Sequence

from ..core.contract import MODEL_FORMATS, MODEL_MARKER, SUMMARY
from ..core.errors import InputError, finding

#: The marker file of each kind of output folder.
MARKERS = {"solve": SUMMARY, "compare": "summary_diff.json", "sweep": "sweep.json", "stress": "stress.json",
           "hedge": SUMMARY}

#: What a report's head says, so that an existing report can be told from any other HTML file.
REPORT_GENERATOR = '<meta name="generator" content="mine2magnet">'


def default_out(kind: str, instance: str | None = None, scenario: Sequence[str] = (), *, names: Sequence[str] = (),
                policy: str | None = None, param: str | None = None, root: str | Path = "results") -> Path:
    """Where a run of ``kind`` writes without ``--out`` (the one rule for every command):

    * ``solve``: ``results/<instance>[-<scenario>[+<scenario>...]]``;
    * ``sweep``: that folder's name followed by ``-sweep-<policy>-<param>``;
    * ``stress``: that folder's name followed by ``-stress-<param>`` (what is taken out: facility, lane, country);
    * ``hedge``: that folder's name followed by ``-hedge``;
    * ``compare``: ``results/compare-[<instance>-]<a>_vs_<b>...`` (shortened with a digest past 150
      characters).
    """
    if kind == "compare":
        label = "_vs_".join(names)
        if instance:
            label = f"{instance}-{label}"
        label = label.replace(os.sep, "_")
        if len(label) > 150:
            label = f"{label[:120]}-{hashlib.sha256(label.encode()).hexdigest()[:12]}"
        return Path(root) / f"compare-{label}"
    name = f"{instance}" + (f"-{'+'.join(scenario)}" if scenario else "")
    if kind == "sweep":
        name += f"-sweep-{policy}-{param}"
    elif kind == "stress":
        name += f"-stress-{param}"
    elif kind == "hedge":
        name += "-hedge"
    elif kind != "solve":
        raise ValueError(f"no default folder for {kind!r}")
    return Path(root) / name


def folder_kind(folder: Path) -> str | None:
    """The kind of m2m output ``folder`` is (None: not one).

    A marker without ``run`` (written before markers said which) counts by its file name when it
    holds what that kind writes: ``stamp`` (solve), ``plans`` (compare), ``policy`` (sweep).
    """
    for kind, name in MARKERS.items():
        path = folder / name
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        if data.get("run") == kind or ("run" not in data and {"solve": "stamp", "compare": "plans", "sweep": "policy",
                                                              "stress": "outages", "hedge": "risk"}[kind] in data):
            return kind
    return None


def _refuse(out: Path, message: str, option: str = "--out") -> InputError:
    return InputError([finding(str(out), "-", option, f"{message}; nothing written")])


def _held(out: Path, protected: Iterable[Path | str | None]) -> Path | None:
    """The first of ``protected`` that ``out`` is or holds (None when it holds none)."""
    target = out.resolve()
    for p in protected:
        if p is None:
            continue
        p = Path(p).resolve()
        if target == p or target in p.parents:
            return p
    return None


def guard_folder(out: str | Path, kind: str, protect: Iterable[Path | str | None] = ()) -> Path:
    """Refuse (InputError) an output folder that would replace anything but an m2m ``kind`` folder.

    ``protect`` names what the run reads (the instance folder, input results folders): ``out``
    may be none of them and hold none of them.  Returns ``out`` as a Path.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise _refuse(out, "is a file, not a folder: m2m does not replace it")
    if _held(out, [Path.cwd()]) is not None:
        raise _refuse(out, "is the working directory or a folder holding it: m2m does not replace it")
    held = _held(out, protect)
    if held is not None:
        raise _refuse(out, f"is or holds {held}, which this run reads: m2m does not replace it")
    if out.is_dir() and any(out.iterdir()):
        found = folder_kind(out)
        if found != kind:
            what = f"an m2m {found} folder" if found else "not a folder m2m wrote"
            raise _refuse(out, f"exists and is {what}; m2m replaces only a {kind} folder it wrote "
                               f"(with {MARKERS[kind]}): choose another folder, or remove this one yourself")
    return out


def guard_report(out: str | Path, protect: Iterable[Path | str | None] = ()) -> Path:
    """Refuse (InputError) a report path that is not ``.html``, is a folder, is an input of the
    run, or is an existing file m2m did not write as a report."""
    out = Path(out)
    if out.suffix.lower() != ".html":
        raise _refuse(out, "does not end in .html: m2m report writes .html files only")
    if out.exists() and not out.is_file():
        raise _refuse(out, "is a folder, not a file: m2m does not replace it")
    if _held(out, protect) is not None:
        raise _refuse(out, "is a file this run reads: m2m does not replace it")
    if out.is_file():
        try:
            head = out.read_text(encoding="utf-8", errors="replace")[:4000]
        except OSError:
            head = ""
        if REPORT_GENERATOR not in head:
            raise _refuse(out, "exists and is not a report m2m wrote: choose another file, or remove this one yourself")
    return out


def guard_model_file(out: str | Path, protect: Iterable[Path | str | None] = ()) -> Path:
    """Refuse (InputError) a model file path that is not ``.mps`` or ``.lp``, is a folder, is or
    lies in an input of the run, or is an existing file m2m did not write as a model file."""
    out = Path(out)
    if out.suffix.lower() not in MODEL_FORMATS:
        raise InputError([finding(str(out), "-", "--write-model", "does not end in .mps or .lp: the model is written in "
                                                                  "one of these formats; nothing written")])
    if out.exists() and not out.is_file():
        raise _refuse(out, "is a folder, not a file: m2m does not replace it", "--write-model")
    if _held(out, protect) is not None:
        raise _refuse(out, "is or lies in a folder this run reads: m2m does not write there", "--write-model")
    if out.is_file():
        with out.open(encoding="utf-8", errors="replace") as fh:
            first = fh.readline()
        if MODEL_MARKER not in first:
            raise _refuse(out, "exists and is not a model file m2m wrote: choose another file, or remove this one "
                               "yourself", "--write-model")
    return out


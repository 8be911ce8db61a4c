"""Stage 5a: write a run's results folder, atomically (see :mod:`optimizer.core.atomic`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
import math
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.atomic import staged_folder
from ..core.contract import INFEASIBILITY, RESULTS_BOOK, SUMMARY
from .outputs import guard_folder

if TYPE_CHECKING:  # the pipeline (Pyomo, HiGHS) is not needed to write or name a folder
    from .run import Run



def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _clean(o: Any) -> Any:
    if isinstance(o, float) and (math.isnan(o) or math.isinf(o)):
        return None
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_clean(v) for v in o]
    return o


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(_clean(data), indent=2, default=_json_default) + "\n")


#: Files a solve may write besides its tables: replaced (or dropped) when a folder is re-solved.
SOLVE_FILES = (SUMMARY, INFEASIBILITY, RESULTS_BOOK)


@dataclass(frozen=True)
class Written:
    """What writing a run did: the folder, and the files of a previous results folder kept in it."""

    path: Path
    kept: tuple[str, ...]


def write_run(run: Run, out: str | Path, extra_writers: tuple[Any, ...] | list[Any] = ()) -> Written:
    """Write every table and summary.json into ``out`` (replacing it whole).

    ``out`` must be new, empty or a results folder m2m wrote, and may not be or hold the instance
    folder (:func:`optimizer.results.outputs.guard_folder`).  Files in a previous results folder that a
    solve does not write (a report, a note) are kept, and listed in the answer.  Each of
    ``extra_writers`` is called as ``writer(run, folder)`` to add its files to the folder before
    it is swapped in (e.g. ``results.xlsx``), so they are part of the atomic write.  summary.json
    is the run's summary with the time this write took (``timings.write``); the run is unchanged."""
    out = guard_folder(out, "solve", protect=[run.instance.folder])
    t0 = time.perf_counter()
    solve_files = set(SOLVE_FILES) | {f"{name}.csv" for name in run.tables}
    with staged_folder(out) as tmp:
        if run.solution.status.has_solution:
            for name, df in run.tables.items():
                df.to_csv(tmp / f"{name}.csv", index=False)
        if run.infeasibility is not None:
            run.infeasibility.to_csv(tmp / INFEASIBILITY, index=False)
        for writer in extra_writers:
            writer(run, tmp)
        timings = {**run.summary.get("timings", {}), "write": round(time.perf_counter() - t0, 4)}
        write_json(tmp / SUMMARY, {**run.summary, "timings": timings})
        kept = keep_previous(out, tmp, solve_files)
    return Written(out, tuple(kept))


def keep_previous(out: Path, staged: Path, written: set[str]) -> list[str]:
    """Copy into ``staged`` the files and folders of the previous ``out`` that this write does not
    make (``written``, or anything already staged): a report, a note.  Answers their names."""
    kept: list[str] = []
    if out.is_dir():
        for old in sorted(out.iterdir()):
            if old.name not in written and not (staged / old.name).exists():
                (shutil.copytree if old.is_dir() else shutil.copy2)(old, staged / old.name)
                kept.append(old.name)
    return kept


def write_results(run: Run, out: str | Path, extra_writers: tuple[Any, ...] | list[Any] = ()) -> Path:
    """:func:`write_run`, answering the folder written."""
    return write_run(run, out, extra_writers).path

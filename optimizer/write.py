"""Stage 5a: write a run's results folder, atomically.

Everything is written into a temporary sibling folder which replaces the target only when
complete, so a failure never leaves a half-written results folder behind.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from .pipeline import Run

SUMMARY = "summary.json"
INFEASIBILITY = "infeasibility.csv"


def default_out(instance_name: str, scenario: tuple[str, ...] | list[str], root: str | Path = "results") -> Path:
    """``results/<instance>[-<scenario>[+<scenario>...]]``."""
    name = instance_name + (f"-{'+'.join(scenario)}" if scenario else "")
    return Path(root) / name


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


def write_results(run: Run, out: str | Path) -> Path:
    """Write every table and summary.json into ``out`` (replacing it whole); return the path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        if run.solution.status.has_solution:
            for name, df in run.tables.items():
                df.to_csv(tmp / f"{name}.csv", index=False)
        if run.infeasibility is not None:
            run.infeasibility.to_csv(tmp / INFEASIBILITY, index=False)
        run.summary["timings"]["write"] = round(time.perf_counter() - t0, 4)
        write_json(tmp / SUMMARY, run.summary)
        _replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _replace(tmp: Path, out: Path) -> None:
    if out.exists():
        old = out.with_name(f".{out.name}.old.{os.getpid()}")
        os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)

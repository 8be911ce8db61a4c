"""Independent solves, in order, on this process, a local process pool or a Dask cluster.

A task is plain data: the instance (already loaded and validated, with its scenarios and the
change the task makes) and what to solve it with.  Each worker builds and solves its own model,
so nothing but data and result rows crosses a process boundary: no Pyomo model is ever pickled.
Results come back in task order whatever the number of workers, and each solve uses one HiGHS
thread (:func:`pinned`) wherever it runs, so a run's results do not depend on how it was spread.

* ``workers=1`` (and no scheduler): in this process, one after another.
* ``workers=N``: a local pool of N processes (``spawn``: each worker imports the package afresh).
* ``scheduler="tcp://host:8786"``: an existing Dask distributed scheduler; its workers need the
  package installed (``pip install mine2magnet[cluster]``).
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from typing import Any, Callable, Iterable, Sequence, TypeVar

from ..core.errors import InputError, finding
from .solver import SolveOptions

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """The core count this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def pinned(opts: SolveOptions) -> SolveOptions:
    """``opts`` with one HiGHS thread per solve (unless set): solves side by side do not compete for
    cores, and a solve gives the same result in this process, a pool or a cluster."""
    return opts if opts.threads is not None else replace(opts, threads=1)


def solve_all(fn: Callable[[T], R], tasks: Sequence[T], *, workers: int | None = None,
              scheduler: str | None = None, on_result: Callable[[int, R], None] | None = None) -> list[R]:
    """``[fn(t) for t in tasks]``, spread as asked; ``on_result(i, result)`` is called as each
    result arrives (in task order)."""
    tasks = list(tasks)
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise InputError([finding("--workers", "-", "--workers", f"got {workers}; expected at least 1")])
    if scheduler:
        results = _dask(fn, tasks, scheduler)
    elif workers == 1 or len(tasks) <= 1:
        results = []
        for i, t in enumerate(tasks):
            results.append(fn(t))
            if on_result is not None:
                on_result(i, results[-1])
        return results
    else:
        with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=get_context("spawn")) as pool:
            results = []
            for i, r in enumerate(pool.map(fn, tasks)):
                results.append(r)
                if on_result is not None:
                    on_result(i, r)
            return results
    if on_result is not None:
        for i, r in enumerate(results):
            on_result(i, r)
    return results


def _dask(fn: Callable[[Any], Any], tasks: Iterable[Any], scheduler: str) -> list[Any]:
    try:
        from distributed import Client
    except ImportError as exc:  # the optional extra is not installed
        raise InputError([finding("--scheduler", "-", "--scheduler",
                                  "Dask distributed is not installed; expected `pip install mine2magnet[cluster]`")]) from exc
    try:
        client = Client(scheduler, timeout="5s")
    except (OSError, TimeoutError) as exc:
        raise InputError([finding("--scheduler", "-", "--scheduler", f"no Dask scheduler at {scheduler}: {exc}")]) from exc
    with client:
        futures = client.map(fn, list(tasks), pure=False)
        return client.gather(futures)

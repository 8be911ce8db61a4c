"""Signals on record from the program's first step, before the libraries are imported.

``m2m`` spends its first second importing (pandas, Pyomo, HiGHS, the schemas).  Python raises a
Ctrl-C there as a KeyboardInterrupt wherever the import is, and where that is a callback Python
runs without letting exceptions out (importlib's module-lock cleanup, say) the interrupt is only
printed and the command would run on to the end.  So the program records SIGINT and SIGTERM from
its first step (:mod:`optimizer.entry`); :mod:`optimizer.cli` acts on what is recorded as a
command starts and ends, and raises them where they land from then on.  Importing the package
(tests, notebooks) changes no handler; only running ``m2m`` or one of its commands does.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

#: The numbers of the signals received, oldest first, until a command takes them.
received: list[int] = []


def _record(signum: int, frame: Any) -> None:
    received.append(signum)


def record_signals() -> None:
    """Record SIGINT and SIGTERM without raising them (main thread only)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _record)
        signal.signal(signal.SIGTERM, _record)

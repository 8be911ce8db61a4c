"""The ``m2m`` console script: signals on record first, then the command line.

Recording SIGINT and SIGTERM before anything else is imported (:mod:`optimizer.core.signals`)
means a Ctrl-C while ``m2m`` starts up is acted on by the command (:mod:`optimizer.cli`), never
lost.
"""

from __future__ import annotations

from .core.signals import record_signals


def main() -> None:
    """Record signals, then run :func:`optimizer.cli.entry`."""
    record_signals()
    from .cli import entry

    entry()

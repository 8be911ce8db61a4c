"""Writing outputs whole or not at all.

Every output folder or file is first written beside its destination under a temporary name and
swapped in only when complete, so a failure (bad input found late, a full disk, Ctrl-C) never
leaves a half-written result behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back for the block, so that a swap of two renames is never cut in half.

    Python runs signal handlers in the main thread; for the block they only note the signal, which
    is then handed to the handler it was meant for as the block ends (a KeyboardInterrupt for
    Ctrl-C).  Outside the main thread the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, lambda signum, _frame: caught.append(signum)) for s in held}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        for s in dict.fromkeys(caught):
            if callable(previous[s]):
                previous[s](s, None)
            elif previous[s] == signal.SIG_DFL:
                signal.raise_signal(s)


@contextmanager
def staged_folder(out: str | Path) -> Iterator[Path]:
    """A temporary sibling folder that replaces ``out`` whole when the block succeeds.

    If the block raises, the temporary folder is removed and ``out`` is left as it was.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        yield tmp
        with signals_held():  # the two renames happen together or not at all
            if out.exists():
                old = out.with_name(f".{out.name}.old.{os.getpid()}")
                os.replace(out, old)
                os.replace(tmp, out)
            else:
                old = None
                os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextmanager
def staged_file(target: str | Path) -> Iterator[Path]:
    """A temporary sibling file path that replaces ``target`` when the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise

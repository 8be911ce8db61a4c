"""The docs produced by running code: ``python -m optimizer.docs`` prints the instance-format
reference (:mod:`optimizer.docs.format`, from the schema); ``python -m optimizer.docs NAME FILE``
rewrites the generated blocks of docs/results.md, docs/model.md or docs/architecture.md
(:mod:`optimizer.docs.blocks`).  ``make docs`` runs them all; tests keep the committed files equal.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .blocks import (BLOCK, LAYERS, REWRITERS, render_architecture, render_families, render_model,  # noqa: F401
                     render_results)
from .format import EXAMPLE_YAML, render  # noqa: F401


def main(argv: list[str] | None = None) -> None:
    """``python -m optimizer.docs`` prints the instance format; ``... NAME FILE`` (NAME: results,
    model, architecture) rewrites that document's generated blocks in place."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 2 and args[0] in REWRITERS:
        path = Path(args[1])
        path.write_text(REWRITERS[args[0]](path.read_text(encoding="utf-8")), encoding="utf-8")
        return
    sys.stdout.write(render())

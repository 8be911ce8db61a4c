"""Fingerprints of every result file of every shipped instance and scenario.

``expected.json`` pins the figures a planner quotes; a fingerprint pins every byte of every
table ``m2m solve`` writes, so that a change meant to leave results alone (a refactor, a faster
path) can show it did.  ``summary.json`` is compared without the fields that depend on the
machine or the checkout (``timings``, ``stamp``, ``instance.path``).

    python -m tests.fingerprints            # list the entries whose files differ from the stored ones
    python -m tests.fingerprints --update   # solve everything again and store the fingerprints

A result that is meant to change (a new column, a corrected model) is re-fingerprinted with
``--update``; the commit says why.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORE = ROOT / "tests" / "data" / "result_fingerprints.json"
INSTANCES = ROOT / "instances"

#: summary.json fields that depend on the run's machine, time or checkout, not on its results.
VOLATILE = ("timings", "stamp")


def fingerprint(folder: Path) -> dict[str, str]:
    """file name -> sha256 of its content (summary.json without its volatile fields)."""
    out = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.name == "summary.json":
            summary = json.loads(data)
            for key in VOLATILE:
                summary.pop(key, None)
            (summary.get("instance") or {}).pop("path", None)
            data = json.dumps(summary, sort_keys=True).encode()
        out[path.name] = hashlib.sha256(data).hexdigest()
    return out


def stored() -> dict[str, dict[str, str]]:
    return json.loads(STORE.read_text(encoding="utf-8")) if STORE.is_file() else {}


def differences(key: str, got: dict[str, str]) -> list[str]:
    """What differs from the stored fingerprint of ``key`` (``<instance>:<entry>``)."""
    want = stored().get(key)
    if want is None:
        return [f"{key}: no stored fingerprint (python -m tests.fingerprints --update)"]
    return [f"{key}: {name} {'missing' if name not in got else 'new' if name not in want else 'differs'}"
            for name in sorted(set(want) | set(got)) if want.get(name) != got.get(name)]


def entries() -> list[tuple[Path, str]]:
    """(instance folder, expected.json key) of every pinned entry."""
    out = []
    for folder in sorted(p for p in INSTANCES.iterdir() if (p / "instance.yaml").is_file()):
        pinned = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
        out.extend((folder, key) for key in pinned)
    return out


def solve_all() -> dict[str, dict[str, str]]:
    prints = {}
    with tempfile.TemporaryDirectory() as tmp:
        for folder, key in entries():
            prints[f"{folder.name}:{key}"] = fingerprint(write_entry(folder, key, Path(tmp) / f"{folder.name}-{key}"))
    return prints


def write_entry(folder: Path, key: str, out: Path) -> Path:
    """Solve (or hedge, for a ``hedge:`` entry) as pinned, and write the results to ``out``."""
    from optimizer.pipeline import run
    from optimizer.results.expected import HEDGE
    from optimizer.results.write import write_results
    from optimizer.tools.hedge import run_hedge, write_hedge

    label = key[len(HEDGE):] if key.startswith(HEDGE) else key
    scenarios = [] if label == "base" else label.split("+")
    if key.startswith(HEDGE):
        return write_hedge(run_hedge(folder, scenarios, workers=1), out)
    return write_results(run(folder, scenarios), out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="store the fingerprints of a fresh solve of everything")
    args = parser.parse_args(argv)
    prints = solve_all()
    if args.update:
        STORE.write_text(json.dumps(prints, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"stored {len(prints)} fingerprints in {STORE.relative_to(ROOT)}")
        return 0
    problems = [line for key, got in prints.items() for line in differences(key, got)]
    print("\n".join(problems) or f"all {len(prints)} entries match")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

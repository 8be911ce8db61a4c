"""Build small instances on disk from Python literals, for tests.

    write_instance(tmp_path, header={"periods": [2025]}, tables={"facilities": [...], ...})

Tables are lists of dicts (one per row; the first row's keys, plus any later ones, become the
header).  Missing tables are written empty with the schema's columns, so a test only states
what matters to it.
"""

from __future__ import annotations

import csv
import random
import shutil
from pathlib import Path
from typing import Any

import yaml

from optimizer.input.schema import TABLES

#: The repository's root (instances/, docs/, tests/data/ are below it).
ROOT = Path(__file__).resolve().parent.parent
#: Where the shipped instances are.
INSTANCES = ROOT / "instances"


def shipped_instances() -> list[Path]:
    """The shipped instance folders (those with an instance.yaml), by name."""
    if not INSTANCES.is_dir():
        return []
    return sorted(p for p in INSTANCES.iterdir() if p.is_dir() and (p / "instance.yaml").is_file())


def scenario_names(folder: Path) -> list[str]:
    """The scenarios an instance defines, read from its instance.yaml without loading it."""
    data = yaml.safe_load((folder / "instance.yaml").read_text(encoding="utf-8")) or {}
    return list((data.get("scenarios") or {}).keys()) if isinstance(data, dict) else []


def write_table(path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None) -> None:
    cols: list[str] = list(columns or [])
    for r in rows:
        cols.extend(k for k in r if k not in cols)
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if v is None else v) for k, v in r.items()})


def write_instance(folder: Path, header: dict[str, Any], tables: dict[str, list[dict[str, Any]]]) -> Path:
    """Write ``instance.yaml`` and every table into ``folder``; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    head = {"name": folder.name.replace(" ", "_"), **header}
    (folder / "instance.yaml").write_text(yaml.safe_dump(head, sort_keys=False))
    for name, spec in TABLES.items():
        if name in tables:
            write_table(folder / spec.default_file, tables[name], list(spec.row.model_fields) if not tables[name] else None)
        elif spec.required:
            write_table(folder / spec.default_file, [], list(spec.row.model_fields))
    return folder


def two_mine_chain(folder: Path, **header: Any) -> Path:
    """Two mines (CN cheap, US dear) -> one US magnet plant -> one customer.

    One magnet takes 2 t of ore.  Mine costs 10 (CN) and 20 (US) USD/t, plant 5 USD/t, each
    lane 1 USD/t of ore.  Demand 40 t/yr of magnets in each period.
    """
    periods = header.pop("periods", [2025])
    return write_instance(
        folder,
        {"periods": periods, **header},
        {
            "countries": [{"country": "CN", "name": "China", "groups": "covered"}, {"country": "US", "name": "United States", "groups": ""}],
            "products": [{"product": "ore", "unit": "t", "surplus_value": None}, {"product": "magnet", "unit": "t", "surplus_value": None}],
            "facilities": [
                {"facility": "mine_cn", "stage": "mine", "country": "CN", "capacity": 100, "cost": 10},
                {"facility": "mine_us", "stage": "mine", "country": "US", "capacity": 100, "cost": 20},
                {"facility": "plant", "stage": "magnet", "country": "US", "capacity": None, "cost": 5},
            ],
            "recipes": [
                {"facility": "mine_cn", "product": "ore", "direction": "out", "ratio": 1},
                {"facility": "mine_us", "product": "ore", "direction": "out", "ratio": 1},
                {"facility": "plant", "product": "ore", "direction": "in", "ratio": 2},
                {"facility": "plant", "product": "magnet", "direction": "out", "ratio": 1},
            ],
            "lanes": [
                {"origin": "mine_cn", "destination": "plant", "product": "ore", "cost": 1},
                {"origin": "mine_us", "destination": "plant", "product": "ore", "cost": 1},
                {"origin": "plant", "destination": "buyer", "product": "magnet", "cost": 0},
            ],
            "demands": [
                {"customer": "buyer", "country": "US", "product": "magnet", "period": t, "quantity": 40, "penalty": None, "provenance": "any"}
                for t in periods
            ],
        },
    )


def shipped_copy(name: str, folder: Path) -> Path:
    """A copy of the shipped instance ``instances/<name>`` in ``folder``, free to edit (without its pins)."""
    out = folder / name
    shutil.copytree(Path(__file__).resolve().parent.parent / "instances" / name, out)
    (out / "expected.json").unlink()
    return out


def edit_csv(path: Path, match: dict[str, Any], **values: Any) -> None:
    """Set ``values`` in the rows of a CSV file whose columns equal ``match`` (at least one must)."""
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    hit = [r for r in rows if all(r[k] == str(v) for k, v in match.items())]
    assert hit, (path, match)
    for r in hit:
        r.update({k: str(v) for k, v in values.items()})
    fields = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, restval="")
        w.writeheader()
        w.writerows(rows)


def cflp(folder: Path, n_fac: int = 40, n_cust: int = 80, seed: int = 1) -> Path:
    """A random capacitated facility location MIP: candidates with fixed costs, hard demands.

    Total capacity (>= 60 per facility) exceeds total demand (<= 30 per customer) when
    n_fac >= n_cust / 2, so it is feasible; at the default size HiGHS needs seconds to prove
    optimality, far more than the tiny time limits the tests give it.
    """
    rng = random.Random(seed)
    return write_instance(folder, {"periods": [2025]}, {
        "countries": [{"country": "XX", "name": "X", "groups": ""}],
        "products": [{"product": "good", "unit": "t", "surplus_value": None}],
        "facilities": [{"facility": f"w{i}", "stage": "warehouse", "country": "XX", "capacity": rng.randint(60, 120),
                        "cost": 0, "fixed_cost": rng.randint(300, 900), "status": "candidate"} for i in range(n_fac)],
        "recipes": [{"facility": f"w{i}", "product": "good", "direction": "out", "ratio": 1} for i in range(n_fac)],
        "lanes": [{"origin": f"w{i}", "destination": f"c{j}", "product": "good", "cost": rng.randint(1, 60)}
                  for i in range(n_fac) for j in range(n_cust)],
        "demands": [{"customer": f"c{j}", "country": "XX", "product": "good", "period": 2025,
                     "quantity": rng.randint(5, 30), "penalty": None, "provenance": "any"} for j in range(n_cust)],
    })

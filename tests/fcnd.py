"""Published fixed-charge network and distribution-design instances as mine2magnet instances.

The data in ``tests/data/fcnd/`` (see its README.md for sources and published optima) is in a
plain node-arc layout; :func:`write_fcnd_instance` rewrites one instance as an instance folder,
using only the ordinary instance format:

* a **supply** node is a source facility (stage ``supply``) whose capacity is its supply;
* a **transship** node (a depot) is a pass-through facility (stage ``depot``, recipe ``in good
  1`` and ``out good 1``) whose capacity is its throughput (blank: unlimited); with a fixed cost
  it is a ``candidate`` paying it while open, otherwise an ``existing`` facility;
* a **demand** node is a customer with a hard demand;
* an arc **without** a fixed cost is a lane with its unit cost and capacity;
* an arc **with** a fixed cost is an arc that must be opened to carry flow: a candidate
  pass-through facility (stage ``arc``) with the arc's unit cost as its variable cost, its
  fixed cost and its capacity (blank: unlimited), between two free lanes;
* a depot expansion (Williams' Birmingham) is an ``expansions.csv`` row: one whole step of the
  extra throughput, its fixed cost as capex over one year (so its annuity is the fixed cost);
* ``max_open_transship`` is a ``max_open`` policy on the depot stage.

One period (2025), no discounting.  ``objective_constant`` (Williams' closing savings, written as
opening costs plus a constant) has no place in an instance: the translation returns it, to be
added to the objective before comparing with the published optimum.
"""

from __future__ import annotations

import csv
from pathlib import Path

from tests.helpers import write_instance

DATA = Path(__file__).resolve().parent / "data" / "fcnd"
PERIOD = 2025
PRODUCT = "good"
COUNTRY = "XX"


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _num(text: str | None) -> float | None:
    text = (text or "").strip()
    return None if text == "" else float(text)


def arc_facility(origin: str, destination: str) -> str:
    return f"arc.{origin}.{destination}"


def write_fcnd_instance(name: str, folder: Path) -> tuple[Path, float]:
    """Write instance ``name`` of tests/data/fcnd as an instance folder; return (folder, objective constant)."""
    src = DATA / name
    nodes = _rows(src / "nodes.csv")
    kind = {n["node"]: n["kind"] for n in nodes}
    settings = {r["key"]: float(r["value"]) for r in _rows(src / "settings.csv")}
    facilities, recipes, lanes, demands, expansions = [], [], [], [], []

    def facility(code: str, stage: str, capacity: float | None, cost: float, fixed: float | None,
                 passes: bool) -> None:
        facilities.append({"facility": code, "stage": stage, "country": COUNTRY, "capacity": capacity, "cost": cost,
                           "fixed_cost": fixed or 0.0, "status": "candidate" if fixed is not None else "existing"})
        recipes.append({"facility": code, "product": PRODUCT, "direction": "out", "ratio": 1})
        if passes:
            recipes.append({"facility": code, "product": PRODUCT, "direction": "in", "ratio": 1})

    for n in nodes:
        if n["kind"] == "supply":
            facility(n["node"], "supply", _num(n["supply"]), 0.0, None, passes=False)
        elif n["kind"] == "transship":
            facility(n["node"], "depot", _num(n["capacity"]), 0.0, _num(n["fixed_cost"]), passes=True)
        else:
            demands.append({"customer": n["node"], "country": COUNTRY, "product": PRODUCT, "period": PERIOD,
                            "quantity": _num(n["demand"]), "penalty": None, "provenance": "any"})
    for a in _rows(src / "arcs.csv"):
        o, d = a["origin"], a["destination"]
        fixed = _num(a["fixed_cost"])
        if fixed is None:
            lanes.append({"origin": o, "destination": d, "product": PRODUCT, "cost": _num(a["unit_cost"]),
                          "capacity": _num(a["capacity"])})
            continue
        arc = arc_facility(o, d)
        facility(arc, "arc", _num(a["capacity"]), _num(a["unit_cost"]) or 0.0, fixed, passes=True)
        lanes.append({"origin": o, "destination": arc, "product": PRODUCT, "cost": 0.0})
        lanes.append({"origin": arc, "destination": d, "product": PRODUCT, "cost": 0.0})
    for e in _rows(src / "expansions.csv"):
        assert kind.get(e["node"]) == "transship", e
        expansions.append({"facility": e["node"], "first_period": PERIOD, "size": _num(e["extra_capacity"]),
                           "capex": _num(e["fixed_cost"]), "lifetime": 1, "integer": "true", "max_steps": 1})
    policies = []
    if "max_open_transship" in settings:
        policies.append({"kind": "max_open", "name": "max_depots", "stage": "depot",
                         "count": int(settings["max_open_transship"])})
    tables = {
        "countries": [{"country": COUNTRY, "name": "network", "groups": ""}],
        "products": [{"product": PRODUCT, "unit": "t", "surplus_value": None}],
        "facilities": facilities, "recipes": recipes, "lanes": lanes, "demands": demands,
    }
    if expansions:
        tables["expansions"] = expansions
    header = {"description": f"{name}: published fixed-charge network instance (tests/data/fcnd), not a supply chain.",
              "periods": [PERIOD], "policies": policies}
    return write_instance(folder, header, tables), settings.get("objective_constant", 0.0)

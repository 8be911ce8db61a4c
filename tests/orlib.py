"""OR-Library capacitated warehouse location (Beasley) as mine2magnet instances.

The OR-Library ``cap*`` files (J.E. Beasley, 1988/1990) are read and rewritten as an instance
folder, so the published optima can be checked against what the optimizer finds:

* one country, one period, one product (``good``), no discounting;
* each warehouse i is a ``candidate`` facility (stage ``warehouse``) with the file's capacity
  and fixed cost, variable cost 0 and one recipe row ``out good 1``;
* each customer j with a positive demand is a hard demand (blank penalty) of its demand;
* a lane i -> j for every pair, costing (cost of serving all of j from i) / demand_j USD/t.

Demand may be split between warehouses (the ``split`` variant of the published optima).  With
``uncapacitated=True`` every warehouse's capacity is left blank (the ``uncap`` variant:
capacities ignored): an unlimited candidate, which the model links to its open decision by
the bound the data implies (what its lanes can carry to the demand), never a big-M.

Beasley's format: ``m n`` (warehouses, customers); m lines ``capacity fixed_cost`` (in
capa/capb/capc the capacity field is the literal word ``capacity``, to be supplied); then for
each customer its demand followed by m allocation costs; numbers may wrap across lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.helpers import write_instance

COUNTRY = "XX"
PRODUCT = "good"
PERIOD = 2025
STAGE = "warehouse"


@dataclass(frozen=True)
class CFLP:
    """A capacitated facility location problem as read from a Beasley file."""

    name: str
    capacity: tuple[float | None, ...]  # None where the file says ``capacity``
    fixed_cost: tuple[float, ...]
    demand: tuple[float, ...]
    cost: tuple[tuple[float, ...], ...]  # cost[j][i]: serve all of customer j from warehouse i

    @property
    def m(self) -> int:
        return len(self.fixed_cost)

    @property
    def n(self) -> int:
        return len(self.demand)

    @property
    def served(self) -> list[int]:
        """Customers with a positive demand (the others cost nothing and are left out)."""
        return [j for j, d in enumerate(self.demand) if d > 0]

    @property
    def total_demand(self) -> float:
        return float(sum(self.demand))


def read_beasley(path: str | Path) -> CFLP:
    """Parse one OR-Library ``cap*`` file."""
    path = Path(path)
    tokens = path.read_text().split()
    pos = 0

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise ValueError(f"{path.name}: file ends early (token {pos + 1} missing)")
        pos += 1
        return tokens[pos - 1]

    m, n = int(take()), int(take())
    capacity: list[float | None] = []
    fixed: list[float] = []
    for _ in range(m):
        cap = take()
        capacity.append(None if cap.lower() == "capacity" else float(cap))
        fixed.append(float(take()))
    demand: list[float] = []
    cost: list[tuple[float, ...]] = []
    for _ in range(n):
        demand.append(float(take()))
        cost.append(tuple(float(take()) for _ in range(m)))
    if pos != len(tokens):
        raise ValueError(f"{path.name}: {len(tokens) - pos} tokens left after {m} warehouses and {n} customers")
    return CFLP(path.stem, tuple(capacity), tuple(fixed), tuple(demand), tuple(cost))


def warehouse_code(i: int) -> str:
    return f"w{i + 1:03d}"


def customer_code(j: int) -> str:
    return f"c{j + 1:04d}"


def write_cflp_instance(
    txt_path: str | Path,
    folder: str | Path,
    capacity: float | None = None,
    uncapacitated: bool = False,
) -> Path:
    """Write the instance folder for one Beasley file; return the folder.

    ``capacity`` replaces the word ``capacity`` in capa/capb/capc (it is required there and
    refused elsewhere).  ``uncapacitated=True`` leaves every warehouse's capacity blank.
    """
    p = read_beasley(txt_path)
    missing = any(c is None for c in p.capacity)
    if missing and capacity is None and not uncapacitated:
        raise ValueError(f"{p.name}: the file leaves capacities open; pass capacity=")
    if not missing and capacity is not None:
        raise ValueError(f"{p.name}: the file states its capacities; capacity= is only for capa/capb/capc")

    def cap_of(i: int) -> float | None:
        if uncapacitated:
            return None
        c = p.capacity[i]
        return float(capacity) if c is None else c  # type: ignore[arg-type]

    facilities = [
        {"facility": warehouse_code(i), "stage": STAGE, "country": COUNTRY, "capacity": cap_of(i), "cost": 0.0,
         "fixed_cost": p.fixed_cost[i], "status": "candidate"}
        for i in range(p.m)
    ]
    recipes = [{"facility": warehouse_code(i), "product": PRODUCT, "direction": "out", "ratio": 1} for i in range(p.m)]
    demands = [
        {"customer": customer_code(j), "country": COUNTRY, "product": PRODUCT, "period": PERIOD,
         "quantity": p.demand[j], "penalty": None, "provenance": "any"}
        for j in p.served
    ]
    lanes = [
        {"origin": warehouse_code(i), "destination": customer_code(j), "product": PRODUCT,
         "cost": p.cost[j][i] / p.demand[j]}
        for j in p.served
        for i in range(p.m)
    ]
    variant = "uncapacitated" if uncapacitated else "capacitated, split demand"
    cap_note = f", capacity {capacity:g}" if capacity is not None and not uncapacitated else ""
    return write_instance(
        Path(folder),
        {
            "description": f"OR-Library {p.name} ({variant}{cap_note}): validation instance, not a supply chain.",
            "periods": [PERIOD],
        },
        {
            "countries": [{"country": COUNTRY, "name": "OR-Library", "groups": ""}],
            "products": [{"product": PRODUCT, "unit": "t", "surplus_value": None}],
            "facilities": facilities,
            "recipes": recipes,
            "lanes": lanes,
            "demands": demands,
        },
    )

"""Independent reference solver for the published fixed-charge network / distribution-design
instances in ``tests/data/fcnd/`` (see the README there for sources and published optima).

This module deliberately shares nothing with the ``optimizer`` package and does not use Pyomo:
it reads the instance CSVs itself and builds one mixed-integer program for
``scipy.optimize.milp`` (HiGHS), so that the published optima can be checked independently of
the model under test.

Data (one folder per instance; blank cell = "not given"):

* ``nodes.csv``  node, kind (supply | transship | demand), supply, demand, capacity, fixed_cost
* ``arcs.csv``   origin, destination, unit_cost, fixed_cost, capacity
* ``expansions.csv`` (optional)  node, extra_capacity, fixed_cost
* ``settings.csv``   (optional)  key, value with keys ``max_open_transship`` and
  ``objective_constant``

Formulation.  Sets: nodes N = S (supply) + T (transship) + D (demand); arcs A; T_f = transship
nodes with a fixed_cost (open/close decision); T_0 = T \\ T_f (always open, no cost); A_f = arcs
with a fixed_cost; E = expansions (each belongs to one transship node).  Variables: flow
x_a >= 0 (a in A); y_t in {0,1} (t in T_f); z_e in {0,1} (e in E); w_a in {0,1} (a in A_f).

    min  sum_a c_a x_a + sum_{t in T_f} F_t y_t + sum_e G_e z_e + sum_{a in A_f} H_a w_a + K
    s.t. out(s) - in(s) <= supply_s                        s in S  (supply is an upper bound)
         in(d) - out(d)  = demand_d                        d in D  (demand is met exactly)
         in(t) - out(t)  = 0                               t in T  (conservation)
         in(t) <= cap_t * y_t + sum_{e at t} ext_e z_e     t in T_f (in(t) <= cap_t + ... for T_0;
                                                                     no row if cap_t is blank)
         z_e <= y_t                                        e at a node t in T_f
         x_a <= u_a                                        a with a capacity u_a
         x_a <= M_a w_a                                    a in A_f
         sum_{t in T_f} y_t + |T_0| <= max_open_transship  (only if that setting is given)

Here K = objective_constant (0 unless given).  A transship node with a fixed cost and a blank
capacity uses M = total demand.  M_a is the smallest bound implied by the data (arc capacity,
the origin's supply, the destination's demand, the origin's or destination's throughput
capacity including expansions, total demand), the same strengthening as GLPK's fctp.mod
(min(supply_i, demand_j)); it does not cut off any optimal solution.  The MIP is solved with a
zero relative gap so the optimum can be compared at 1e-6.

Run ``python tests/fcnd_reference.py`` (from the repository root) to solve every instance and
compare with the published optimum in ``tests/data/fcnd/sources.csv``.
"""

from __future__ import annotations

import csv
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

DATA_DIR = Path(__file__).resolve().parent / "data" / "fcnd"
INSTANCES = ("williams_distribution1", "williams_distribution2", "balinski_bal8x12")


def _num(text: str | None) -> float | None:
    text = (text or "").strip()
    return None if text == "" else float(text)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass
class Node:
    name: str
    kind: str  # supply | transship | demand
    supply: float | None = None
    demand: float | None = None
    capacity: float | None = None
    fixed_cost: float | None = None


@dataclass
class Arc:
    origin: str
    destination: str
    unit_cost: float
    fixed_cost: float | None = None
    capacity: float | None = None


@dataclass
class Expansion:
    node: str
    extra_capacity: float
    fixed_cost: float


@dataclass
class Instance:
    name: str
    nodes: dict[str, Node]
    arcs: list[Arc]
    expansions: list[Expansion] = field(default_factory=list)
    max_open_transship: int | None = None
    objective_constant: float = 0.0


@dataclass
class Solution:
    objective: float
    flows: dict[tuple[str, str], float]
    open_transship: list[str]  # transship nodes open (always-open ones included)
    expanded: list[str]  # nodes whose expansion is bought
    open_arcs: list[tuple[str, str]]  # arcs with a fixed cost whose charge is paid


def load(name: str) -> Instance:
    """Read one instance folder under tests/data/fcnd."""
    folder = DATA_DIR / name
    nodes: dict[str, Node] = {}
    for row in _rows(folder / "nodes.csv"):
        kind = row["kind"].strip()
        if kind not in ("supply", "transship", "demand"):
            raise ValueError(f"{name}: node {row['node']!r} has unknown kind {kind!r}")
        node = Node(
            row["node"].strip(),
            kind,
            _num(row["supply"]),
            _num(row["demand"]),
            _num(row["capacity"]),
            _num(row["fixed_cost"]),
        )
        if node.name in nodes:
            raise ValueError(f"{name}: node {node.name!r} repeated")
        nodes[node.name] = node
    arcs = []
    seen = set()
    for row in _rows(folder / "arcs.csv"):
        arc = Arc(
            row["origin"].strip(),
            row["destination"].strip(),
            float(row["unit_cost"]),
            _num(row["fixed_cost"]),
            _num(row["capacity"]),
        )
        for end in (arc.origin, arc.destination):
            if end not in nodes:
                raise ValueError(f"{name}: arc end {end!r} is not a node")
        if (arc.origin, arc.destination) in seen:
            raise ValueError(f"{name}: arc {arc.origin}->{arc.destination} repeated")
        seen.add((arc.origin, arc.destination))
        arcs.append(arc)
    expansions = []
    if (folder / "expansions.csv").exists():
        for row in _rows(folder / "expansions.csv"):
            exp = Expansion(row["node"].strip(), float(row["extra_capacity"]), float(row["fixed_cost"]))
            if nodes.get(exp.node) is None or nodes[exp.node].kind != "transship":
                raise ValueError(f"{name}: expansion at {exp.node!r}, which is not a transship node")
            if nodes[exp.node].capacity is None:
                raise ValueError(f"{name}: expansion at {exp.node!r}, whose capacity is blank")
            expansions.append(exp)
    settings: dict[str, str] = {}
    if (folder / "settings.csv").exists():
        settings = {row["key"].strip(): row["value"].strip() for row in _rows(folder / "settings.csv")}
    unknown = set(settings) - {"max_open_transship", "objective_constant"}
    if unknown:
        raise ValueError(f"{name}: unknown settings {sorted(unknown)}")
    max_open = settings.get("max_open_transship")
    return Instance(
        name,
        nodes,
        arcs,
        expansions,
        int(max_open) if max_open else None,
        float(settings.get("objective_constant", 0) or 0),
    )


def solve(instance: Instance | str) -> Solution:
    """Solve an instance to proven optimality (zero gap) with scipy.optimize.milp (HiGHS)."""
    inst = load(instance) if isinstance(instance, str) else instance
    nodes, arcs = inst.nodes, inst.arcs
    total_demand = sum(n.demand or 0.0 for n in nodes.values() if n.kind == "demand")
    decided = [t for t, n in nodes.items() if n.kind == "transship" and n.fixed_cost is not None]
    always = [t for t, n in nodes.items() if n.kind == "transship" and n.fixed_cost is None]
    fixed_arcs = [k for k, a in enumerate(arcs) if a.fixed_cost is not None]

    n_x = len(arcs)
    y_of = {t: n_x + k for k, t in enumerate(decided)}
    z_of = {k: n_x + len(decided) + k for k in range(len(inst.expansions))}
    w_of = {k: n_x + len(decided) + len(inst.expansions) + j for j, k in enumerate(fixed_arcs)}
    n_var = n_x + len(decided) + len(inst.expansions) + len(fixed_arcs)

    cost = np.zeros(n_var)
    lower = np.zeros(n_var)
    upper = np.full(n_var, np.inf)
    integrality = np.zeros(n_var)
    for k, arc in enumerate(arcs):
        cost[k] = arc.unit_cost
        if arc.capacity is not None:
            upper[k] = arc.capacity
    for t, col in y_of.items():
        cost[col], upper[col], integrality[col] = nodes[t].fixed_cost, 1.0, 1
    for k, col in z_of.items():
        cost[col], upper[col], integrality[col] = inst.expansions[k].fixed_cost, 1.0, 1
    for k, col in w_of.items():
        cost[col], upper[col], integrality[col] = arcs[k].fixed_cost, 1.0, 1

    extra = {t: 0.0 for t in nodes}
    for exp in inst.expansions:
        extra[exp.node] += exp.extra_capacity

    rows: list[tuple[dict[int, float], float, float]] = []
    for name, node in nodes.items():
        coef: dict[int, float] = {}
        for k, arc in enumerate(arcs):
            if arc.origin == name:
                coef[k] = coef.get(k, 0.0) + 1.0  # out
            if arc.destination == name:
                coef[k] = coef.get(k, 0.0) - 1.0  # in
        if node.kind == "supply":
            bound = node.supply if node.supply is not None else np.inf
            rows.append((coef, -np.inf, bound))
        elif node.kind == "demand":
            need = node.demand or 0.0
            rows.append(({k: -v for k, v in coef.items()}, need, need))
        else:
            rows.append((coef, 0.0, 0.0))
            inflow = {k: 1.0 for k, arc in enumerate(arcs) if arc.destination == name}
            if name in y_of:
                cap = node.capacity if node.capacity is not None else total_demand
                row = dict(inflow)
                row[y_of[name]] = -cap
                for k, exp in enumerate(inst.expansions):
                    if exp.node == name:
                        row[z_of[k]] = -exp.extra_capacity
                        rows.append(({z_of[k]: 1.0, y_of[name]: -1.0}, -np.inf, 0.0))
                rows.append((row, -np.inf, 0.0))
            elif node.capacity is not None:
                row = dict(inflow)
                for k, exp in enumerate(inst.expansions):
                    if exp.node == name:
                        row[z_of[k]] = -exp.extra_capacity
                rows.append((row, -np.inf, node.capacity))

    def node_bound(name: str) -> float:
        node = nodes[name]
        if node.kind == "supply" and node.supply is not None:
            return node.supply
        if node.kind == "demand" and node.demand is not None:
            return node.demand
        if node.kind == "transship" and node.capacity is not None:
            return node.capacity + extra[name]
        return math.inf

    for k, col in w_of.items():
        arc = arcs[k]
        big_m = min(
            arc.capacity if arc.capacity is not None else math.inf,
            node_bound(arc.origin),
            node_bound(arc.destination),
            total_demand,
        )
        rows.append(({k: 1.0, col: -big_m}, -np.inf, 0.0))

    if inst.max_open_transship is not None:
        rows.append(({y_of[t]: 1.0 for t in decided}, -np.inf, inst.max_open_transship - len(always)))

    matrix = lil_matrix((len(rows), n_var))
    lo = np.empty(len(rows))
    hi = np.empty(len(rows))
    for r, (coef, row_lo, row_hi) in enumerate(rows):
        for col, value in coef.items():
            if value != 0.0:
                matrix[r, col] = value
        lo[r], hi[r] = row_lo, row_hi

    result = milp(
        cost,
        constraints=LinearConstraint(matrix.tocsr(), lo, hi),
        integrality=integrality,
        bounds=Bounds(lower, upper),
        options={"mip_rel_gap": 0.0, "presolve": True},
    )
    if result.status != 0 or result.x is None:
        raise RuntimeError(f"{inst.name}: milp did not reach optimality: {result.message}")
    x = result.x
    flows = {(a.origin, a.destination): float(x[k]) for k, a in enumerate(arcs) if x[k] > 1e-7}
    return Solution(
        objective=float(result.fun) + inst.objective_constant,
        flows=flows,
        open_transship=[
            t for t, n in nodes.items() if n.kind == "transship" and (t in always or x[y_of[t]] > 0.5)
        ],
        expanded=[inst.expansions[k].node for k, col in z_of.items() if x[col] > 0.5],
        open_arcs=[(arcs[k].origin, arcs[k].destination) for k, col in w_of.items() if x[col] > 0.5],
    )


def optimum(name: str) -> float:
    """Optimal objective of an instance as computed by this reference model."""
    return solve(name).objective


def published(name: str) -> dict[str, str]:
    """The row of tests/data/fcnd/sources.csv for an instance."""
    for row in _rows(DATA_DIR / "sources.csv"):
        if row["instance"] == name:
            return row
    raise KeyError(name)


def published_optimum(name: str) -> float:
    return float(published(name)["published_optimum"])


def check(name: str, rtol: float = 1e-6) -> tuple[float, float]:
    """Solve and compare with the published optimum; raise AssertionError on a mismatch."""
    ours, theirs = optimum(name), published_optimum(name)
    if abs(ours - theirs) > rtol * max(1.0, abs(theirs)):
        raise AssertionError(f"{name}: reference optimum {ours!r} != published {theirs!r}")
    return ours, theirs


def main() -> int:
    failed = 0
    for name in INSTANCES:
        sol = solve(name)
        theirs = published_optimum(name)
        ok = abs(sol.objective - theirs) <= 1e-6 * max(1.0, abs(theirs))
        failed += not ok
        print(f"{name}: reference {sol.objective:.6f}  published {theirs:.6f}  {'OK' if ok else 'MISMATCH'}")
        if sol.open_transship:
            print(f"  transship nodes open or always available: {', '.join(sol.open_transship)}")
        if sol.expanded:
            print(f"  expansions bought at: {', '.join(sol.expanded)}")
        if sol.open_arcs:
            paid = ", ".join(f"{o}->{d}" for o, d in sol.open_arcs)
            print(f"  fixed-charge arcs paid ({len(sol.open_arcs)}): {paid}")
        print("  flows: " + ", ".join(f"{o}->{d}={v:g}" for (o, d), v in sol.flows.items()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Synthetic mine-to-magnet instances for benchmarks, sized by a target number of variables.

    python benchmarks/synthetic.py --size 100k --out /tmp/m2m_100k
    python benchmarks/synthetic.py --size 10k --no-policies --out /tmp/m2m_10k_plain

The chain has four stages and the customers:

    mine (concentrate) -> separation (NdPr oxide + La/Ce oxide co-product)
        -> metal (NdPr metal) -> magnet (NdFeB magnet) -> customers

Facilities sit in a dozen and a half countries; China and Myanmar form the ``covered`` group
(the provenance group) and hold most of the processing capacity, at lower cost.  Lanes are
sparse: every facility buys from ``--fanout`` facilities of the stage before it (one of them
in its own bloc) and every customer from ``--fanout`` magnet plants, never a dense cross
product.  Some lanes have a capacity; lanes from the covered group into allied countries pay a
tariff.  Some facilities are new projects (a first year and a ramp-up in ``capacity.csv``);
some non-covered plants have continuous expansions (the model stays a linear program).  Every
demand has a penalty, so the instance is always feasible.

With policies (the default) the instance carries a cap on the covered group's share of
separation output (``max_share``) and a clean offtake for one customer, so provenance tags are
on: non-covered processing facilities run a clean and a touched mode and flows carry a tag.
A "backbone" chain outside the covered group guarantees the offtake can be delivered.

The numbers are illustrative orders of magnitude, not data.  The generator is deterministic
for a given seed.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from optimizer.input.schema import TABLES  # noqa: E402

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}

COVERED = ("CN", "MM")
ALLIED = ("US", "AU", "CA", "JP", "KR", "DE", "FR", "GB", "EE")
COUNTRIES = {
    "CN": "China", "MM": "Myanmar", "US": "United States", "AU": "Australia", "CA": "Canada",
    "BR": "Brazil", "VN": "Viet Nam", "MY": "Malaysia", "EE": "Estonia", "DE": "Germany",
    "FR": "France", "GB": "United Kingdom", "JP": "Japan", "KR": "Korea", "IN": "India",
    "ZA": "South Africa", "TZ": "Tanzania", "GL": "Greenland",
}

#: Where each stage's facilities are (country -> probability weight).
WHERE = {
    "mine": {"CN": 35, "MM": 10, "AU": 12, "US": 8, "BR": 7, "CA": 5, "VN": 5, "ZA": 5, "TZ": 5, "IN": 4, "GL": 4},
    "separation": {"CN": 60, "MY": 10, "EE": 5, "US": 7, "AU": 5, "VN": 5, "JP": 4, "FR": 4},
    "metal": {"CN": 65, "VN": 8, "JP": 8, "US": 6, "GB": 5, "KR": 4, "DE": 4},
    "magnet": {"CN": 60, "JP": 12, "DE": 6, "US": 7, "KR": 5, "VN": 5, "IN": 5},
    "customer": {"US": 20, "DE": 15, "JP": 12, "CN": 25, "KR": 8, "FR": 6, "GB": 5, "IN": 5, "BR": 4},
}
STAGES = ("mine", "separation", "metal", "magnet")
#: Facilities per stage (and customers) per unit of scale.
PER_UNIT = {"mine": 3, "separation": 2, "metal": 2, "magnet": 3, "customer": 2}
#: product made by each stage, product consumed, t consumed per unit of activity
OUTPUT = {"mine": "concentrate", "separation": "ndpr_oxide", "metal": "ndpr_metal", "magnet": "ndfeb_magnet"}
INPUT = {"separation": ("concentrate", 8.0), "metal": ("ndpr_oxide", 1.03), "magnet": ("ndpr_metal", 0.32)}
COPRODUCT = ("la_ce_oxide", 3.0)  # made by separation per t of NdPr oxide; stored at a cost
#: variable cost per unit of activity (USD), covered / elsewhere
COST = {"mine": (900, 1500), "separation": (12_000, 20_000), "metal": (5_000, 8_000), "magnet": (15_000, 25_000)}
#: indicative value of one t (USD), for tariffs
VALUE = {"concentrate": 1_500, "ndpr_oxide": 60_000, "ndpr_metal": 75_000, "ndfeb_magnet": 90_000}
PENALTY = 250_000.0  # USD per unmet t of magnets


@dataclass
class Spec:
    scale: int
    periods: tuple[int, ...] = (2025, 2026, 2027, 2028, 2029, 2030)
    fanout: int = 4
    policies: bool = True
    seed: int = 1
    name: str = "synthetic"


@dataclass
class Generated:
    header: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]]
    counts: dict[str, int] = field(default_factory=dict)


def _pick(rng: random.Random, weights: dict[str, int], n: int) -> list[str]:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys], k=n)


def generate(spec: Spec) -> Generated:
    """Tables (lists of row dicts) and the instance.yaml header for ``spec``."""
    rng = random.Random(spec.seed)
    periods = list(spec.periods)
    t0, last = periods[0], periods[-1]
    k = spec.fanout

    countries = [
        {"country": c, "name": name,
         "groups": ";".join(g for g, members in (("covered", COVERED), ("allied", ALLIED)) if c in members)}
        for c, name in COUNTRIES.items()
    ]
    products = [{"product": p, "unit": "t", "surplus_value": None} for p in OUTPUT.values()]
    products.insert(2, {"product": COPRODUCT[0], "unit": "t", "surplus_value": -30.0})

    n = {s: max(2, PER_UNIT[s] * spec.scale) for s in PER_UNIT}
    where = {s: _pick(rng, WHERE[s], n[s]) for s in n}
    # Guarantee at least one facility outside the covered group at every stage (the backbone).
    for s in STAGES:
        if all(c in COVERED for c in where[s]):
            where[s][0] = "US"
    names = {s: [f"{s[:3]}_{i:05d}_{where[s][i].lower()}" for i in range(n[s])] for s in STAGES}
    country = {f: c for s in STAGES for f, c in zip(names[s], where[s])}
    customers = [f"cust_{i:05d}_{c.lower()}" for i, c in enumerate(where["customer"])]
    cust_country = dict(zip(customers, where["customer"]))

    # ---- demand: t of magnets per customer and year, growing --------------------------------
    base = {c: rng.uniform(50, 800) for c in customers}
    growth = {c: rng.uniform(0.03, 0.08) for c in customers}
    quantity = {(c, t): round(base[c] * (1 + growth[c]) ** (t - t0), 1) for c in customers for t in periods}
    peak_magnets = sum(quantity[c, last] for c in customers)

    # ---- facilities and capacities: 1.3x the peak need at each stage ------------------------
    need = {"magnet": peak_magnets}
    need["metal"] = need["magnet"] * INPUT["magnet"][1]
    need["separation"] = need["metal"] * INPUT["metal"][1]
    need["mine"] = need["separation"] * INPUT["separation"][1]
    facilities, recipes, capacity_rows, expansions = [], [], [], []
    new_project: set[str] = set()
    for s in STAGES:
        weight = {f: rng.lognormvariate(0, 0.6) * (1.6 if country[f] in COVERED else 1.0) for f in names[s]}
        total = sum(weight.values())
        for i, f in enumerate(names[s]):
            covered = country[f] in COVERED
            cap = round(1.3 * need[s] * weight[f] / total, 1)
            first = None
            if i > 0 and not covered and rng.random() < 0.15 and len(periods) > 2:
                first = rng.choice(periods[1:-1])
                new_project.add(f)
            cost = COST[s][0 if covered else 1] * rng.uniform(0.85, 1.15)
            facilities.append({
                "facility": f, "stage": s, "country": country[f], "capacity": cap, "cost": round(cost, 2),
                "fixed_cost": round(cap * 50.0, 0) if rng.random() < 0.3 else 0.0,
                "status": "existing", "first_year": first, "last_year": None,
            })
            recipes.append({"facility": f, "product": OUTPUT[s], "direction": "out", "ratio": 1.0})
            if s in INPUT:
                recipes.append({"facility": f, "product": INPUT[s][0], "direction": "in", "ratio": INPUT[s][1]})
            if s == "separation":
                recipes.append({"facility": f, "product": COPRODUCT[0], "direction": "out", "ratio": COPRODUCT[1]})
            if first is not None:
                capacity_rows.append({"facility": f, "period": first, "capacity": round(cap * 0.5, 1)})
            if s in ("separation", "magnet") and not covered and first is None and rng.random() < 0.1:
                expansions.append({
                    "facility": f, "first_period": periods[min(1, len(periods) - 1)], "size": round(0.3 * cap, 1),
                    "capex": round(0.3 * cap * 4_000, 0), "integer": False, "max_steps": 3,
                })

    # ---- lanes: each buyer picks `fanout` suppliers of the stage before ---------------------
    lanes: dict[tuple[str, str, str], dict[str, Any]] = {}

    def lane(o: str, d: str, dest_country: str) -> None:
        p = OUTPUT[stage_of[o]]
        if (o, d, p) in lanes:
            return
        covered_to_allied = country[o] in COVERED and dest_country in ALLIED
        lanes[o, d, p] = {
            "origin": o, "destination": d, "product": p,
            "cost": round(rng.uniform(0.002, 0.02) * VALUE[p], 2),
            "tariff": round(VALUE[p] * rng.choice((0.1, 0.25)), 2) if covered_to_allied else 0.0,
            "capacity": None,
        }

    stage_of = {f: s for s in STAGES for f in names[s]}
    for up, down in zip(STAGES, STAGES[1:]):
        same_bloc = {b: [f for f in names[up] if (country[f] in COVERED) == b] for b in (True, False)}
        for d in names[down]:
            pool = same_bloc[country[d] in COVERED] or names[up]
            lane(rng.choice(pool), d, country[d])
            for o in rng.sample(names[up], min(k - 1, len(names[up]))):
                lane(o, d, country[d])
        buyers = {o for (o, _d, _p) in lanes}
        for o in names[up]:
            if o not in buyers:
                d = rng.choice(names[down])
                lane(o, d, country[d])
    for c in customers:
        for o in rng.sample(names["magnet"], min(k, len(names["magnet"]))):
            lane(o, c, cust_country[c])

    # ---- policies: covered share of separation, clean offtake on a backbone chain -----------
    policies: list[dict[str, Any]] = []
    if spec.policies:
        backbone = {s: next(f for f in names[s] if country[f] not in COVERED and f not in new_project) for s in STAGES}
        buyer = next((c for c in customers if cust_country[c] not in COVERED), customers[0])
        chain = [backbone[s] for s in STAGES]
        for o, d in zip(chain, chain[1:]):
            lane(o, d, country[d])
        lane(chain[-1], buyer, cust_country[buyer])
        cap = {f["facility"]: f["capacity"] for f in facilities}
        ratio = {"magnet": 1.0}
        ratio["metal"] = INPUT["magnet"][1]
        ratio["separation"] = ratio["metal"] * INPUT["metal"][1]
        ratio["mine"] = ratio["separation"] * INPUT["separation"][1]
        through = min(cap[backbone[s]] / ratio[s] for s in STAGES)
        q = round(min(0.4 * quantity[buyer, t0], 0.3 * through), 1)
        policies = [
            {"kind": "max_share", "name": "covered_separation_cap", "stage": "separation", "group": "covered",
             "share": {t: round(0.8 - 0.05 * i, 2) for i, t in enumerate(periods)}, "basis": "location",
             "product": "ndpr_oxide"},
            {"kind": "offtake", "name": "clean_magnets", "customer": buyer, "product": "ndfeb_magnet",
             "quantity": q, "provenance": "clean"},
        ]

    # Lane capacities (half the buyer's intake) on a fifth of the lanes between facilities;
    # the backbone chain stays uncapacitated.
    cap_of = {r["facility"]: r["capacity"] for r in facilities}
    keep_open = set(zip(chain, chain[1:] + [buyer])) if spec.policies else set()
    for (o, d, _p), row in lanes.items():
        if d in stage_of and (o, d) not in keep_open and rng.random() < 0.2:
            row["capacity"] = round(0.5 * cap_of[d] * INPUT[stage_of[d]][1], 1)

    demands = [
        {"customer": c, "country": cust_country[c], "product": "ndfeb_magnet", "period": t,
         "quantity": quantity[c, t], "penalty": PENALTY, "provenance": "any"}
        for c in customers for t in periods
    ]
    header = {
        "name": spec.name,
        "description": f"Synthetic benchmark chain (scale {spec.scale}, seed {spec.seed}); illustrative numbers, not data.",
        "periods": periods,
        "discount_rate": 0.05,
        "provenance_group": "covered",
        "policies": policies,
    }
    tables = {
        "countries": countries, "products": products, "facilities": facilities, "recipes": recipes,
        "lanes": list(lanes.values()), "demands": demands, "capacity": capacity_rows, "expansions": expansions,
    }
    g = Generated(header, tables)
    g.counts = {**{s: n[s] for s in STAGES}, "customers": len(customers), "lanes": len(lanes)}
    g.counts["variables_est"] = estimate_variables(g)
    return g


# ============================================================================================
# size
# ============================================================================================


def estimate_variables(g: Generated) -> int:
    """Columns the model will have, counted with the model's own index rules (no Pyomo)."""
    periods = g.header["periods"]
    track = bool(g.header["policies"]) and any(
        p["kind"] == "offtake" and p.get("provenance", "clean") == "clean" for p in g.header["policies"]
    )
    covered = {c["country"] for c in g.tables["countries"] if "covered" in c["groups"].split(";")}
    fac = {f["facility"]: f for f in g.tables["facilities"]}
    has_input = {r["facility"] for r in g.tables["recipes"] if r["direction"] == "in"}

    def tags(f: str) -> tuple[str, ...]:
        if not track:
            return ("any",)
        if fac[f]["country"] in covered:
            return ("touched",)
        if f not in has_input:
            return ("clean",)
        return ("clean", "touched")

    def active(f: str) -> list[int]:
        first = fac[f]["first_year"]
        return [t for t in periods if first is None or t >= first]

    act = {f: active(f) for f in fac}
    n = sum(len(act[f]) * len(tags(f)) for f in fac)
    demand_periods = {(d["customer"], d["product"]): set() for d in g.tables["demands"]}
    for d in g.tables["demands"]:
        demand_periods[d["customer"], d["product"]].add(d["period"])
    clean_in: set[tuple[str, int]] = set()
    for l in g.tables["lanes"]:
        o, d = l["origin"], l["destination"]
        for t in act[o]:
            if d in fac:
                if t in act[d]:
                    n += len(tags(o))
                    if "clean" in tags(o):
                        clean_in.add((d, t))
            elif t in demand_periods.get((d, l["product"]), ()):
                n += len(tags(o))
    surplus_products = {p["product"] for p in g.tables["products"] if p["surplus_value"] is not None}
    for r in g.tables["recipes"]:
        if r["direction"] == "out" and r["product"] in surplus_products:
            n += len(act[r["facility"]]) * len(tags(r["facility"]))
    if track:
        n += sum(1 for f, t in clean_in if "touched" in tags(f))
    n += sum(1 for d in g.tables["demands"] if d["penalty"] is not None)
    for e in g.tables["expansions"]:
        n += sum(1 for t in act[e["facility"]] if t >= e["first_period"])
    return n


def sized(target: int, *, policies: bool = True, seed: int = 1, periods: int = 6, fanout: int = 4,
          name: str | None = None) -> Generated:
    """An instance with about ``target`` variables (within a few per cent)."""
    years = tuple(range(2025, 2025 + periods))
    label = name or f"synthetic_{target}"
    scale = 4
    for _ in range(4):
        g = generate(Spec(scale, years, fanout, policies, seed, label))
        est = g.counts["variables_est"]
        if abs(est - target) <= 0.03 * target:
            break
        scale = max(1, round(scale * target / est))
    return g


def parse_size(text: str) -> int:
    t = text.strip().lower()
    if t in SIZES:
        return SIZES[t]
    mult = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    return int(float(t[:-1] if t[-1:] in "km" else t) * mult)


# ============================================================================================
# writing
# ============================================================================================


def write(g: Generated, folder: Path) -> Path:
    """Write ``instance.yaml`` and the CSV tables (columns in the schema's order)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "instance.yaml").write_text(yaml.safe_dump(g.header, sort_keys=False))
    for name, spec in TABLES.items():
        rows = g.tables.get(name, [])
        if not rows and not spec.required:
            continue
        cols = list(spec.row.model_fields)
        with (folder / spec.default_file).open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(cols)
            for r in rows:
                w.writerow(["" if r.get(c) is None else _fmt(r.get(c)) for c in cols])
    return folder


def _fmt(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return int(v)
    return v


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="10k", help="target number of variables: 10k, 100k, 1m or a number")
    ap.add_argument("--out", required=True, type=Path, help="folder to write the instance into")
    ap.add_argument("--no-policies", action="store_true", help="no max_share and no clean offtake (no provenance tags)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--periods", type=int, default=6)
    ap.add_argument("--fanout", type=int, default=4, help="suppliers per facility and per customer")
    a = ap.parse_args(argv)
    g = sized(parse_size(a.size), policies=not a.no_policies, seed=a.seed, periods=a.periods, fanout=a.fanout,
              name=a.out.name.replace(" ", "_"))
    write(g, a.out)
    print(f"{a.out}: " + ", ".join(f"{k} {v}" for k, v in g.counts.items()))


if __name__ == "__main__":
    main()

"""mine2magnet from Python: solve two scenarios of the flagship and compare them.

A walkthrough in the style of a notebook: each block below can be a cell.  Run it from the
repository root:

    .venv/bin/python docs/api_example.py

It loads the flagship instance (the US mine-to-magnet chain 2025-2035, docs/flagship.md),
solves the `baseline` and `export_ban` scenarios, prints what the export ban costs and how much
of the US magnet supply is made in China, and builds the comparison tables that
`m2m compare` writes (docs/results.md, "Comparing plans").
"""

from pathlib import Path

import pandas as pd

from optimizer import load_instance, solve
from optimizer.tools.compare import compare_runs

FLAGSHIP = Path(__file__).resolve().parent.parent / "instances" / "us_mine_to_magnet"

# %% Load the instance: the tables, policies and scenarios, validated (no solve yet).
instance = load_instance(FLAGSHIP)
print(f"instance {instance.name}: {len(instance.facilities)} facilities, periods {instance.periods[0]}-{instance.periods[-1]}")
print(f"scenarios: {', '.join(instance.scenario_names)}")

# %% Solve two scenarios.  Each run holds the same tables `m2m solve` writes, as DataFrames.
runs = {name: solve(FLAGSHIP, scenario=[name]) for name in ("baseline", "export_ban")}
for name, run in runs.items():
    print(f"{name}: {run.summary['status']}, total cost {run.summary['objective']:,.0f} USD (discounted)")

# %% What the export ban costs: the difference of the objectives, and the terms that move.
base, ban = runs["baseline"].summary, runs["export_ban"].summary
print(f"cost of the export ban: {ban['objective'] - base['objective']:+,.0f} USD (discounted, 2025-2035)")
terms = pd.DataFrame({"baseline": base["cost_breakdown"], "export_ban": ban["cost_breakdown"]})
terms["change"] = terms["export_ban"] - terms["baseline"]
print(terms[terms["change"].abs() > 1].map(lambda x: f"{x:,.0f}").to_string())


# %% China's share of US magnet supply: deliveries to US customers from magnet plants in China.
def china_share_of_us_magnets(run) -> pd.Series:
    """Share of the NdFeB magnets delivered to US customers that were made in China, by year."""
    inst = run.instance
    flows = run.tables["flows"]
    us_customers = [c for c, country in inst.customers.items() if country == "US"]
    to_us = flows[flows["destination"].isin(us_customers) & (flows["product"] == "ndfeb_magnet")]
    made_in_china = to_us["origin"].map(inst.country_of) == "CN"
    total = to_us.groupby("period")["quantity"].sum()
    china = to_us[made_in_china].groupby("period")["quantity"].sum()
    return (china.reindex(total.index, fill_value=0.0) / total).rename(run.summary["instance"]["scenario"][0])


shares = pd.concat([china_share_of_us_magnets(run) for run in runs.values()], axis=1)
print("China-made share of US magnet supply:")
print(shares.map(lambda x: f"{x:.1%}").to_string())

# %% The comparison tables of `m2m compare`, in memory: the side-by-side overview and the diffs.
tables = compare_runs(runs)
print(f"comparison tables: {', '.join(tables)}")
flows = tables["flows"]
china_to_us = flows[(flows["origin"] == "cn_magnet") & flows["destination"].isin(["us_commercial", "dod"])]
print("China magnet flows to US customers that change (t/yr):")
print(china_to_us[["destination", "period", "baseline", "export_ban", "delta_export_ban"]].to_string(index=False))

# %% To keep the tables, write them as `m2m compare --out` does (uncomment):
# from optimizer.tools.compare import as_plans, compare
# compare(as_plans(runs)).write("results/compare-baseline_vs_export_ban")

"""Planner tools built on runs: compare, sweep, plots, Excel, the HTML report."""

"""Building the Pyomo model from an Instance, family by family (optimizer.families)."""

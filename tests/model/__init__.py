"""Tests of optimizer.model: the Pyomo model built from an instance."""

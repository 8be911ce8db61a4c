"""Solving with HiGHS, extracting tidy tables, and diagnosing an infeasible instance."""

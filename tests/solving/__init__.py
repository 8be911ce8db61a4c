"""Tests of optimizer.solving: HiGHS, extraction and the infeasibility diagnosis."""

"""The independent checker of a results folder and its optimality certificate (no Pyomo, no HiGHS)."""

"""Tests of optimizer.check: the independent checker and its optimality certificate."""

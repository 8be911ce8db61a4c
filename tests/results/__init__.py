"""Tests of optimizer.results: results folders, guards, and the pins of every shipped instance."""

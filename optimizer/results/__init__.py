"""A run and its results folder: writing, the console summary, expected pins."""

"""The HTML report of a results folder."""

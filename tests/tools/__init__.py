"""Tests of optimizer.tools: compare, sweep, Excel and the HTML report."""

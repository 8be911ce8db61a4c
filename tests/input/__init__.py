"""Tests of optimizer.input: reading, validating and patching an instance."""

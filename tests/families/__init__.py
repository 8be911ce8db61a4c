"""Tests of optimizer.families: the protocol, and each family's golden rows."""

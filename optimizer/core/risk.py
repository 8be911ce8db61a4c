"""Risk measures over outcomes: the expected cost, the CVaR and the mean-CVaR objective of ``m2m hedge``.

Plain arithmetic on outcome costs and probabilities (no solver), shared by ``m2m hedge`` and
``m2m compare``; ``m2m check`` recomputes them its own way (:mod:`optimizer.check.hedge`).
"""

from __future__ import annotations

from typing import Any


def expected(costs: list[float], probabilities: list[float]) -> float:
    """The probability-weighted cost."""
    return sum(p * c for c, p in zip(costs, probabilities))


def cvar(costs: list[float], probabilities: list[float], alpha: float) -> float:
    r"""CVaR at ``alpha``: the mean cost of the worst :math:`1-\alpha` of probability (the most
    expensive outcomes first, the last one in part)."""
    tail = 1.0 - alpha
    left, total = tail, 0.0
    for c, p in sorted(zip(costs, probabilities), key=lambda cp: -cp[0]):
        take = min(p, left)
        total += take * c
        left -= take
        if left <= 1e-15:
            break
    return total / tail


def risk_objective(costs: list[float], probabilities: list[float], risk: Any) -> float:
    """What the hedged plan minimises, for these outcome costs; ``risk`` has ``measure``, ``alpha``
    and ``weight`` (``instance.yaml``'s ``uncertainty.risk``)."""
    mean = expected(costs, probabilities)
    if risk.measure == "expected":
        return mean
    w = float(risk.weight)
    return (1.0 - w) * mean + w * cvar(costs, probabilities, float(risk.alpha))


def worst(names: list[str], costs: list[float]) -> str:
    """The most expensive outcome; equally expensive ones (to 1e-9 relative) all, in listed order, joined by ", "."""
    top = max(costs)
    return ", ".join(n for n, c in zip(names, costs) if c >= top - 1e-9 * max(1.0, abs(top)))

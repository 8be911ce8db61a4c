"""Pyomo without the SciPy packages it would load and the model does not use.

Pyomo declares SciPy a deferred import whose first use, or any ``import scipy`` once Pyomo is
loaded, also imports ``scipy.stats``, ``scipy.integrate`` and ``scipy.spatial`` (about 1.2 s of
every ``m2m solve``). The project uses ``scipy.sparse`` only (the model's matrices and the
solver's), so importing this module before SciPy takes that extra import away. If
Pyomo's internals differ from what is expected here, nothing changes but the time.
"""

from __future__ import annotations

from pyomo.common import dependencies


def _without_scipy_extras() -> None:
    indicator = getattr(dependencies, "scipy_available", None)
    if indicator is None or getattr(indicator, "_module", True) is not None:  # unknown, or already imported
        return
    try:
        indicator._callback = None
        dependencies.DeferredImportCallbackFinder._callbacks.pop("scipy", None)
    except AttributeError:
        pass


_without_scipy_extras()

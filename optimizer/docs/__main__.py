"""``python -m optimizer.docs``: see :mod:`optimizer.docs`."""

from . import main

main()

"""oscwire: Open Sound Control for Python, complete, correct and fast.

A C-accelerated (Cython) implementation of OSC 1.0 and 1.1 that keeps osc4py3's module
names and signatures. ``IMPLEMENTATION`` tells whether the compiled core is in use
(``"cython"``) or the pure-Python twins (``"python"``); set ``OSCWIRE_NO_EXTENSIONS=1``
to force the latter.
"""

from __future__ import annotations

from ._accel import IMPLEMENTATION, implementations, warn_if_fallen_back
from ._runtime import OSCSystem
from ._version import __version__

# No NullHandler on the package logger (unlike many libraries): with no logging
# configured, oscwire's warnings and errors reach stderr through Python's last resort, as
# asyncio's do. Configure logging to route or silence them (``oscwire.*`` loggers).

__all__ = ["IMPLEMENTATION", "OSCSystem", "__version__", "implementations"]

warn_if_fallen_back()

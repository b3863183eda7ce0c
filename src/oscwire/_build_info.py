"""What the build of this installation did (rewritten by ``setup.py build_ext``).

``FALLBACK`` is None when the compiled core was built, or when a pure build was asked for
(``OSCWIRE_NO_EXTENSIONS=1``); otherwise it says why the build fell back to pure Python,
and ``import oscwire`` warns about it (see :mod:`oscwire._accel`).
"""

from __future__ import annotations

from typing import Optional

FALLBACK: Optional[str] = None

"""``python -m oscwire``: the command line (see :mod:`oscwire.cli`)."""

from __future__ import annotations

import sys

from oscwire.cli import main

if __name__ == "__main__":
    sys.exit(main())

"""``python -m irp.configuration``: see :mod:`irp.configuration.cli`."""

from __future__ import annotations

import sys

from irp.configuration.cli import main

if __name__ == "__main__":
    sys.exit(main())

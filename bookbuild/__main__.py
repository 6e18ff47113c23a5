"""``python -m bookbuild``: the same as the ``bookbuild`` command."""

import sys

from .cli import main

sys.exit(main())

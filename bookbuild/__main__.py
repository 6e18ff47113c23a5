"""``python -m bookbuild``: the same as the ``bookbuild`` command."""

import sys

from . import launch

sys.exit(launch())

#!/usr/bin/env python3
"""Build this book (or any book folder): see README.md, or run `python build.py --help`."""

import sys

from bookbuild.cli import main

if __name__ == "__main__":
    sys.exit(main())

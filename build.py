#!/usr/bin/env python3
"""Build this book (or any book folder): see README.md, or run `python3 build.py --help`."""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv"

if __name__ == "__main__":
    try:
        import bookbuild.pipeline  # noqa: F401  the toolchain, with the packages it needs to build
    except ModuleNotFoundError as missing:
        if (missing.name or "").startswith("bookbuild"):
            raise
        # The packages live in .venv (`make setup`): run with its Python when this one lacks them.
        python = VENV / "bin" / "python"
        if python.exists() and Path(sys.prefix).resolve() != VENV.resolve():
            os.execv(python, [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])
        # Without .venv, --help and --version still answer; any command says to run `make setup`.
    except Exception:  # a dependency that fails while it is imported: a bug, as in the CLI
        import traceback

        from bookbuild import BUG_LINE

        traceback.print_exc()
        print(BUG_LINE, file=sys.stderr)
        sys.exit(3)
    from bookbuild.cli import main

    sys.exit(main())

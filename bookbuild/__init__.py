"""Turn a book folder of numbered Markdown essays into EPUB 3, print PDF and screen PDF."""

__version__ = "0.1.0"

# The last line of a toolchain bug's report (exit 3): printed by the CLI, and by build.py
# and launch() when the toolchain cannot even be imported, so it is kept here, with no imports.
BUG_LINE = "internal error: this is a bug in the build tool, not in your book; please report it"


def launch() -> int:
    """The ``bookbuild`` command and ``python -m bookbuild``: the CLI, with a failure while
    it is imported (a broken dependency), which the CLI itself cannot catch, reported as a
    bug too."""
    import sys

    try:
        from .cli import main
    except Exception:
        import traceback

        traceback.print_exc()
        print(BUG_LINE, file=sys.stderr)
        return 3
    return main()

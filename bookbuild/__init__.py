"""Turn a book folder of numbered Markdown essays into EPUB 3, print PDF and screen PDF."""

__version__ = "0.1.0"

# The last line of a toolchain bug's report (exit 3), in the CLI and in build.py, which
# also prints it when the toolchain cannot even be imported: kept here, with no imports.
BUG_LINE = "internal error: this is a bug in the build tool, not in your book; please report it"

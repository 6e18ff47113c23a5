"""The stylesheets of each edition: the default theme, then the book's own styles/.

A book's ``styles/<name>.css`` is read after the default file of the same name,
so its rules win; ``book.css`` applies to every edition.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_THEME = Path(__file__).resolve().parent.parent / "styles"
EDITION_FILES = {
    "epub": ("book.css", "epub.css"),
    "print": ("book.css", "pdf.css", "print.css"),
    "screen": ("book.css", "pdf.css", "screen.css"),
}


def stylesheets(book_root: Path, edition: str) -> list[Path]:
    """The CSS files for ``edition`` in cascade order (later files override earlier ones)."""
    folders = [DEFAULT_THEME]
    own = book_root / "styles"
    if own.is_dir() and own.resolve() != DEFAULT_THEME:
        folders.append(own)
    return [folder / name for folder in folders for name in EDITION_FILES[edition] if (folder / name).is_file()]


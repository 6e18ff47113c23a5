"""The stylesheets of each edition: the default theme, then the book's own styles/.

A book's ``styles/<name>.css`` is read after the default file of the same name,
so its rules win; ``book.css`` applies to every edition.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .model import Problem, error

BODY_FAMILY = "Source Serif Pro"
DEFAULT_THEME = Path(__file__).resolve().parent.parent / "styles"
EDITION_FILES = {
    "epub": ("book.css", "epub.css"),
    "pdf": ("book.css", "pdf.css"),  # both PDFs: they share one layout
}


_LOADS_A_FILE = re.compile(r"@import|url\s*\(", re.IGNORECASE)


def check_book_styles(book_root: Path) -> list[Problem]:
    """A book's own styles stay inside the book and load nothing: no @import, no url()."""
    own = book_root / "styles"
    if not own.is_dir():
        return []
    if not own.resolve().is_relative_to(book_root.resolve()):
        return [error("styles", 1, 1, "styles/ is a link to a folder outside the book: copy the stylesheets in instead")]
    problems = []
    for css in sorted(own.glob("*.css")):
        path = css.relative_to(book_root).as_posix()
        if not css.resolve().is_relative_to(book_root.resolve()):
            problems.append(error(path, 1, 1, "this stylesheet is a link to a file outside the book: copy it in instead"))
            continue
        text = css.read_text(encoding="utf-8", errors="replace")
        for found in _LOADS_A_FILE.finditer(text):
            line = text.count("\n", 0, found.start()) + 1
            col = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
            problems.append(error(path, line, col, f"`{found.group(0)}`: a book's styles may not load other files "
                                  "(the theme brings the fonts; images belong in the manuscript)"))
    return problems


def stylesheets(book_root: Path, edition: str) -> list[Path]:
    """The CSS files for ``edition`` in cascade order (later files override earlier ones)."""
    folders = [DEFAULT_THEME]
    own = book_root / "styles"
    if own.is_dir() and own.resolve() != DEFAULT_THEME:
        folders.append(own)
    return [folder / name for folder in folders for name in EDITION_FILES[edition] if (folder / name).is_file()]



@dataclass(frozen=True)
class FontFace:
    family: str
    weight: int
    style: str  # "normal" or "italic"
    path: Path


def theme_fonts() -> tuple[FontFace, ...]:
    """The default theme's text face, Source Serif Pro (SIL OFL), from its PyPI package."""
    import font_source_serif_pro

    folder = Path(font_source_serif_pro.font_directory)
    faces = (("Regular", 400, "normal"), ("It", 400, "italic"), ("Bold", 700, "normal"), ("BoldIt", 700, "italic"))
    return tuple(FontFace(BODY_FAMILY, weight, style, folder / f"SourceSerifPro-{name}.ttf") for name, weight, style in faces)


def font_face_css(url_of: Callable[[FontFace], str]) -> str:
    return "\n".join(
        f'@font-face {{ font-family: "{face.family}"; font-weight: {face.weight}; font-style: {face.style}; '
        f'src: url("{url_of(face)}"); }}'
        for face in theme_fonts()
    )

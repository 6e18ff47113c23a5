"""The stylesheets of each edition: the default theme, then the book's own styles/.

A book's ``styles/<name>.css`` is read after the default file of the same name,
so its rules win; ``book.css`` applies to every edition.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import characters
from .model import Problem, error
from .resources import ResourceRefused, read_inside

BODY_FAMILY = "Source Serif Pro"
MONO_FAMILY = "DejaVu Sans Mono"  # code, from Debian's fonts-dejavu-core


def _default_theme() -> Path:
    """The default theme's folder: the repository's styles/, which an installed copy carries
    as bookbuild/default_theme (pyproject.toml maps one to the other: one copy of the theme)."""
    package = Path(__file__).resolve().parent
    installed = package / "default_theme"
    return installed if installed.is_dir() else package.parent / "styles"


DEFAULT_THEME = _default_theme()
EDITION_FILES = {
    "epub": ("book.css", "epub.css"),
    "pdf": ("book.css", "pdf.css"),  # both PDFs: they share one layout
    "cover": ("cover.css",),  # the print cover: a sheet of its own, not a page of the book
}


# CSS that makes a reader fetch something: functions and at-rules, by their names as the
# CSS tokenizer reads them (escapes decoded: "u\\72l(" is url).
_LOADING_FUNCTIONS = {"url", "src", "image", "image-set", "-webkit-image-set", "cross-fade", "element", "paint"}
_LOADING_AT_RULES = {"import", "font-face", "namespace"}


@dataclass(frozen=True)
class CssFinding:
    line: int  # within the CSS text, from 1
    col: int
    what: str  # as an author would write it: "url(...)", "@import"


def css_loads(css: str) -> list[CssFinding]:
    """Everything in a stylesheet (or a ``style`` attribute's declarations) that loads
    another file, however it is escaped: read by a CSS tokenizer, not by patterns."""
    import tinycss2

    found: list[CssFinding] = []

    def walk(tokens) -> None:
        for token in tokens:
            if token.type == "url":
                found.append(CssFinding(token.source_line, token.source_column, "url(...)"))
            elif token.type == "at-keyword" and token.lower_value in _LOADING_AT_RULES:
                found.append(CssFinding(token.source_line, token.source_column, f"@{token.lower_value}"))
            elif token.type == "function":
                if token.lower_name in _LOADING_FUNCTIONS:
                    found.append(CssFinding(token.source_line, token.source_column, f"{token.lower_name}(...)"))
                walk(token.arguments)
            elif token.type in ("() block", "[] block", "{} block"):
                walk(token.content)

    walk(tinycss2.parse_component_value_list(css, skip_comments=True))
    return found


def check_book_styles(book_root: Path) -> list[Problem]:
    """A book's own styles stay inside the book and load nothing (url(), @import, fonts)."""
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
        try:
            text = read_inside(book_root, css).decode("utf-8", errors="replace")
        except ResourceRefused as refused:
            problems.append(error(path, 1, 1, str(refused)))
            continue
        problems.extend(characters.problems_in(text, path))
        for found in css_loads(text):
            problems.append(error(path, found.line, found.col, f"`{found.what}`: a book's styles may not load other files "
                                  "(the theme brings the fonts; images belong in the manuscript)"))
    return problems


# What asks WeasyPrint for transparency that a press cannot print and that cannot be
# flattened onto the paper as a tint: soft masks (a gradient through a transparent
# colour, a mask) and blend modes.
_UNFLATTENABLE = {
    "soft mask": "a gradient through a transparent colour, or a mask",
    "blend mode": "a blend mode",
}
_MASK_PROPERTIES = ("mask",)
_BLEND_PROPERTIES = ("mix-blend-mode", "background-blend-mode")
_GRADIENTS = ("linear-gradient", "radial-gradient", "repeating-linear-gradient", "repeating-radial-gradient", "conic-gradient")


def css_asking_for(css: str, kind: str) -> list[CssFinding]:
    """Where a stylesheet (or a ``style`` attribute) asks for ``kind`` of transparency
    ("soft mask" or "blend mode")."""
    import tinycss2

    found: list[CssFinding] = []

    def transparent(tokens) -> bool:
        for token in tokens:
            if token.type == "ident" and token.lower_value == "transparent":
                return True
            if token.type == "hash" and len(token.value) in (4, 8):  # #rgba, #rrggbbaa
                return True
            if token.type == "function":
                if token.lower_name in ("rgba", "hsla", "rgb", "hsl") and (
                        sum(1 for t in token.arguments if t.type == "number" or t.type == "percentage") == 4
                        or any(t.type == "literal" and t.value == "/" for t in token.arguments)):
                    return True
                if transparent(token.arguments):
                    return True
        return False

    def walk(tokens, prop: str = "") -> None:
        for token in tokens:
            if token.type == "ident" and kind == "soft mask" and token.lower_value.startswith(_MASK_PROPERTIES):
                found.append(CssFinding(token.source_line, token.source_column, token.value))
            elif token.type == "ident" and kind == "blend mode" and token.lower_value in _BLEND_PROPERTIES:
                found.append(CssFinding(token.source_line, token.source_column, token.value))
            elif token.type == "function":
                if kind == "soft mask" and token.lower_name in _GRADIENTS and transparent(token.arguments):
                    found.append(CssFinding(token.source_line, token.source_column, f"{token.lower_name}(...)"))
                else:
                    walk(token.arguments)
            elif token.type in ("() block", "[] block", "{} block"):
                walk(token.content)

    walk(tinycss2.parse_component_value_list(css, skip_comments=True))
    return found


def unflattenable_transparency(book_root: Path, kinds: set[str]) -> list[Problem]:
    """Each place in the book's styles, or in its chapters' raw HTML, that asks for
    transparency the print edition cannot flatten; where nothing does (an SVG image),
    one problem that says so."""
    problems = []
    files = sorted((book_root / "styles").glob("*.css")) if (book_root / "styles").is_dir() else []
    files += sorted((book_root / "manuscript").rglob("*.md"))
    sources = []
    for file in files:
        try:
            sources.append((file.relative_to(book_root).as_posix(),
                            read_inside(book_root, file).decode("utf-8", errors="replace")))
        except ResourceRefused:
            continue  # refused, and said so, when the book was gathered
    for kind in sorted(kinds):
        advice = (f"the print edition cannot flatten {_UNFLATTENABLE.get(kind, kind)} onto the paper: "
                  "use solid colours (an opacity or an rgba() colour is fine)")
        before = len(problems)
        for path, text in sources:
            if path.endswith(".css"):
                problems += [error(path, f.line, f.col, f"`{f.what}`: {advice}") for f in css_asking_for(text, kind)]
            else:
                for number, line in enumerate(text.splitlines(), start=1):
                    for match in _STYLE_ATTRIBUTE.finditer(line):
                        for f in css_asking_for(match.group(2), kind):
                            problems.append(error(path, number, match.start(2) + f.col, f"`{f.what}`: {advice}"))
        if len(problems) == before:
            problems.append(error("manuscript", 1, 1, f"{advice} (it comes from an image, such as an SVG with a mask)"))
    return problems


_STYLE_ATTRIBUTE = re.compile(r"""\bstyle\s*=\s*(["'])(.*?)\1""", re.IGNORECASE)


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
    index: int = 0  # the face's index in a collection (.ttc)
    name: str = ""  # its PostScript name, where the file is not named after it

    @property
    def postscript_name(self) -> str:
        return self.name or self.path.stem  # the body font's package names its files after them


def theme_fonts() -> tuple[FontFace, ...]:
    """The default theme's text face, Source Serif Pro (SIL OFL), from its PyPI package."""
    import font_source_serif_pro

    folder = Path(font_source_serif_pro.font_directory)
    faces = (("Regular", 400, "normal"), ("It", 400, "italic"), ("Bold", 700, "normal"), ("BoldIt", 700, "italic"))
    return tuple(FontFace(BODY_FAMILY, weight, style, folder / f"SourceSerifPro-{name}.ttf") for name, weight, style in faces)


def font_face_css(url_of: Callable[[FontFace], str], family: str = BODY_FAMILY) -> str:
    """@font-face rules for the theme's faces, under ``family``."""
    return "\n".join(
        f'@font-face {{ font-family: "{family}"; font-weight: {face.weight}; font-style: {face.style}; '
        f'src: url("{url_of(face)}"); }}'
        for face in theme_fonts()
    )


# What the body face lacks, each from a Debian package (tools/system-deps.sh installs them),
# tried in this order for each character, and embedded and subset like the body face:
# Noto Serif for the rest of Latin, Greek and Cyrillic (and the narrow no-break space French
# sets before ; ! ?), Noto Serif CJK for Chinese, Japanese and Korean, DejaVu Sans and then
# Symbola for symbols and emoji (drawn in outline: a press prints no colour bitmaps).
FALLBACK_PACKAGES = {"Noto Serif": "fonts-noto-core", "Noto Serif CJK": "fonts-noto-cjk",
                     "DejaVu Sans": "fonts-dejavu-core", "Symbola": "fonts-symbola"}


def cjk_family(language: str) -> str:
    """The Noto Serif CJK face whose glyph shapes the language reads: Japanese for Japanese
    (and for a book in any other language), Simplified or Traditional Chinese, Korean."""
    tag = language.lower()
    if tag.startswith("zh"):
        traditional = any(part in tag.split("-") for part in ("hant", "tw", "hk", "mo"))
        return "Noto Serif CJK TC" if traditional else "Noto Serif CJK SC"
    return "Noto Serif CJK KR" if tag.split("-")[0] == "ko" else "Noto Serif CJK JP"


def fallback_families(language: str) -> tuple[str, ...]:
    return ("Noto Serif", cjk_family(language), "DejaVu Sans", "Symbola")


def package_of(family: str) -> str:
    return FALLBACK_PACKAGES.get(family, FALLBACK_PACKAGES.get(family.rsplit(" ", 1)[0], ""))


def family_css(language: str, numbers_family: str = "") -> str:
    """The font family of every edition's text: the body face, then the fallbacks; and of the
    page numbers the PDFs fill in (``numbers_family``), with the same fallbacks for the words
    around them. Read before the theme's stylesheets, so a book's styles may set another."""
    fallbacks = ", ".join(f'"{family}"' for family in fallback_families(language))
    rules = [f'html {{ font-family: "{BODY_FAMILY}", {fallbacks}, serif; }}',
             f'pre, code, kbd, samp {{ font-family: "{MONO_FAMILY}", {fallbacks}, monospace; }}']
    if numbers_family:
        rules.append(f'a.xref::after, .toc .toc-end::after {{ font-family: "{numbers_family}", {fallbacks}, serif; }}')
    return "\n".join(rules)


def fallback_faces(language: str) -> tuple[FontFace, ...]:
    """The installed faces of the fallback families, in the order they are tried."""
    return tuple(face for family in fallback_families(language) for face in _installed_faces(family))


def mono_faces() -> tuple[FontFace, ...]:
    """The installed faces of the code's family."""
    return _installed_faces(MONO_FAMILY)


@lru_cache(maxsize=None)
def _installed_faces(family: str) -> tuple[FontFace, ...]:
    """A family's faces that fontconfig knows: regular, italic, bold and bold italic where it
    has them (at its normal width, else the nearest)."""
    from . import fonts

    chosen: dict[tuple[int, str], fonts.SystemFace] = {}
    for face in fonts.system_faces():
        if family not in face.families or face.weight not in (80, 200):
            continue
        key = (400 if face.weight == 80 else 700, "italic" if face.slant else "normal")
        if key not in chosen or abs(face.width - 100) < abs(chosen[key].width - 100):
            chosen[key] = face
    return tuple(FontFace(family, weight, style, face.path, face.index, face.postscript_name)
                 for (weight, style), face in sorted(chosen.items()))


def face_for(text: str, weight: int = 400, style: str = "normal", language: str = "en") -> FontFace:
    """The first face of the chain (the body's, then the fallbacks') of this weight and style
    (else the family's regular) that has every character of ``text``: what draws a line of the
    covers, which are drawn with one face at a time. The body face when none has them all."""
    from . import fonts

    body = next(f for f in theme_fonts() if (f.weight, f.style) == (weight, style))
    wanted = {ord(c) for c in text if not c.isspace()}
    chain: list[FontFace] = [body]
    fallbacks = fallback_faces(language) if not wanted <= fonts.characters_of(body.path) else ()
    for family in dict.fromkeys(face.family for face in fallbacks):
        faces = [f for f in fallbacks if f.family == family]
        chain += [f for f in faces if (f.weight, f.style) == (weight, style)] or [f for f in faces if f.weight == 400][:1]
    return next((face for face in chain if wanted <= fonts.characters_of(face.path, face.index)), body)

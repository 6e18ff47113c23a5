"""Which face draws each character of the book, and the characters no face has.

The body face first, then the fallback faces (``theme.fallback_faces``), as WeasyPrint
and a reading system try them: a character the body face lacks is drawn by the first
fallback that has it, and the EPUB carries a subset of each fallback face its text needs.
A character that no face of the chain has would print as a missing-glyph box: it is an
error at the first place the book writes it, in ``check`` and the build alike.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from . import fonts, theme
from .model import Book, ParsedPart, Problem, error
from .metadata import METADATA_FILE

MAX_NAMED = 8  # characters named in one message


def drawn(char: str) -> bool:
    """Whether a character needs a glyph: not a space, a control or format character (soft
    hyphen, joiners, direction marks) or a variation selector, which no font draws."""
    category = unicodedata.category(char)
    code = ord(char)
    return not (category in ("Cc", "Cf", "Zs", "Zl", "Zp") or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF
                or char in "\n\r\t")


@lru_cache(maxsize=1)
def _body_characters() -> frozenset[int]:
    found: set[int] = set()
    for face in theme.theme_fonts():
        found |= fonts.characters_of(face.path)
    return frozenset(found)


def lacking(text: str, spaces: bool = False) -> list[str]:
    """The characters of ``text`` that need a glyph the body face does not have, in order of
    code point; with ``spaces``, the spaces it lacks too (U+202F, the narrow no-break space
    French sets before ; ! ?), which a reading system without them may show as boxes (the
    PDFs' shaper draws them as spaces of its own)."""
    body = _body_characters()
    return sorted({c for c in text if ord(c) not in body and (drawn(c) or (spaces and unicodedata.category(c) == "Zs"))})


def fallback_text(language: str, text: str) -> list[tuple[theme.FontFace, str]]:
    """Each fallback face that draws some of ``text`` (the characters the body face lacks,
    each given to the first family that has it), and those characters it draws."""
    wanted = lacking(text, spaces=True)
    if not wanted:
        return []
    faces = theme.fallback_faces(language)
    found: list[tuple[theme.FontFace, str]] = []
    for family in dict.fromkeys(face.family for face in faces):
        members = [face for face in faces if face.family == family]
        have = set().union(*(fonts.characters_of(face.path, face.index) for face in members))
        mine = [c for c in wanted if ord(c) in have]
        wanted = [c for c in wanted if ord(c) not in have]
        for face in members:
            text_of_face = "".join(c for c in mine if ord(c) in fonts.characters_of(face.path, face.index))
            if text_of_face:
                found.append((face, text_of_face))
    return found


def undrawable(language: str, text: str) -> list[str]:
    """The characters of ``text`` that no face of the chain has."""
    wanted = lacking(text)
    if not wanted:
        return []
    have: set[int] = set()
    for face in theme.fallback_faces(language) + theme.mono_faces():
        have |= fonts.characters_of(face.path, face.index)
    return [c for c in wanted if ord(c) not in have]


def problems(book: Book, parsed: list[ParsedPart]) -> list[Problem]:
    """An error for each file (and metadata.yaml) that writes characters no installed face
    has, at the first of them, naming them and the package that would bring the faces."""
    if book.metadata is None:
        return []
    language = book.metadata.language
    found = []
    sources = [(METADATA_FILE, _metadata_text(book), _read(book, METADATA_FILE), 1)]
    sources += [(part.source.path, _part_text(part), _read(book, part.source.path), 1) for part in parsed]
    for path, shown, written, first_line in sources:
        missing = undrawable(language, shown)
        if not missing:
            continue
        offset = min((written.find(c) for c in missing if c in written), default=-1)
        line, col = (written.count("\n", 0, offset) + first_line, offset - written.rfind("\n", 0, offset)) if offset >= 0 else (1, 1)
        where = f"chapter {part_number(parsed, path)}" if part_number(parsed, path) is not None else "this file"
        named = ", ".join(_named(c) for c in missing[:MAX_NAMED]) + (f" and {len(missing) - MAX_NAMED} more" if len(missing) > MAX_NAMED else "")
        found.append(error(path, line, col, f"no font the editions use has {named} ({where}): they would print "
                           f"as missing-glyph boxes (the fonts are Source Serif Pro, then "
                           f"{', '.join(theme.fallback_families(language))}: tools/system-deps.sh installs "
                           f"{', '.join(sorted(set(theme.FALLBACK_PACKAGES.values())))}); write the text without them"))
    return found


def part_number(parsed: list[ParsedPart], path: str) -> int | None:
    return next((part.source.number for part in parsed if part.source.path == path), None)


def _named(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"{char} (U+{ord(char):04X}{' ' + name if name else ''})"


def _part_text(part: ParsedPart) -> str:
    from lxml import html as lxml_html

    text = " ".join([part.source.title, part.source.subtitle, part.source.running_head, part.source.image_alt,
                     part.source.image_credit])
    if part.html.strip():
        root = lxml_html.fragment_fromstring(part.html, create_parent="div")
        for back in [a for a in root.iter("a") if "footnote-back" in a.get("class", "").split()]:
            back.drop_tree()  # pandoc's "↩" after a note, which no edition shows
        text += " " + root.text_content()
    return text


def _metadata_text(book: Book) -> str:
    m = book.metadata
    return " ".join([m.title, m.subtitle, m.publisher, m.rights, m.description, m.series, m.edition, m.back_cover,
                     *m.authors, *m.subjects])


def _read(book: Book, path: str) -> str:
    from .resources import ResourceRefused, read_inside

    try:
        return read_inside(book.root, book.root / path).decode("utf-8", errors="replace")
    except (ResourceRefused, OSError):
        return ""

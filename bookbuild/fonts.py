"""Font programs: subsetting with HarfBuzz, and finding the file a subset came from.

Every edition embeds subsets of the theme's fonts. They are cut here, in one
way, by HarfBuzz's subsetter: glyph ids are kept (a PDF's text is written in
glyph ids of the original font), and the name table keeps every entry, so the
copyright notice and licence that the SIL Open Font License asks each copy to
carry travel with it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# Layout tables a PDF never reads: its text is already shaped.
_PDF_DROPPED_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG ")


def subset_for_pdf(font: bytes, index: int, glyph_ids: Iterable[int], hinting: bool = False) -> bytes:
    """The glyphs ``glyph_ids`` of a font (and the glyphs they are built from), each
    at its original glyph id, so text shaped with the whole font draws the same."""
    import uharfbuzz as hb

    wanted = hb.SubsetInput()
    wanted.sets(hb.SubsetInputSets.GLYPH_INDEX).update(glyph_ids)
    _keep_every_name(wanted)
    wanted.sets(hb.SubsetInputSets.DROP_TABLE_TAG).update(_tag(tag) for tag in _PDF_DROPPED_TABLES)
    # .notdef keeps its outline: a character no font has shows as a box, not as nothing.
    flags = (hb.SubsetFlags.RETAIN_GIDS | hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED | hb.SubsetFlags.DESUBROUTINIZE
             | hb.SubsetFlags.NOTDEF_OUTLINE)
    if not hinting:
        flags |= hb.SubsetFlags.NO_HINTING
    wanted.flags = flags
    return hb.subset(hb.Face(hb.Blob(font), index), wanted).blob.data


def subset_for_text(path: Path, text: str, index: int = 0) -> bytes:
    """A font for a reading system: the glyphs of ``text`` with their layout features
    (kerning, ligatures), renumbered compactly (an EPUB's text is characters, not glyph ids);
    ``index``: the face's in a collection (.ttc), which becomes a font file of its own."""
    import uharfbuzz as hb

    wanted = hb.SubsetInput()
    wanted.unicode_set.update(ord(character) for character in set(text))
    _keep_every_name(wanted)
    return hb.subset(hb.Face(hb.Blob.from_file_path(str(path)), index), wanted).blob.data


def _keep_every_name(wanted) -> None:
    import uharfbuzz as hb

    for kind in (hb.SubsetInputSets.NAME_ID, hb.SubsetInputSets.NAME_LANG_ID):
        names = wanted.sets(kind)
        names.clear()  # HarfBuzz starts from a default set; empty, then inverted, is every one
        names.invert()


def _tag(tag: str) -> int:
    return struct.unpack(">I", tag.encode("latin-1"))[0]


# --- which file a font program came from ------------------------------------------------


@dataclass(frozen=True)
class FontIdentity:
    """What a subset keeps of its font file and two releases of one font do not share."""

    postscript_name: str
    revision: bytes  # head: version, fontRevision
    dates: bytes  # head: created, modified
    units_per_em: int


def identity(program: bytes, index: int = 0) -> FontIdentity | None:
    """The identity of a TrueType/OpenType font program (face ``index`` of a collection),
    read from its raw tables."""
    head, name = sfnt_table(program, "head", index), sfnt_table(program, "name", index)
    if len(head) < 54 or not name:
        return None
    return FontIdentity(_postscript_name(name), head[0:8], head[20:36], struct.unpack(">H", head[18:20])[0])


def sfnt_table(program: bytes, tag: str, index: int = 0) -> bytes:
    """One table of an sfnt font program (of face ``index`` of a collection), or b"" (the
    table directory read by hand: a joined book has hundreds of programs, and only two
    small tables of each are needed). A collection's table offsets count from its start."""
    start = 0
    if program[:4] == b"ttcf":
        if len(program) < 16 + 4 * index:
            return b""
        (faces,) = struct.unpack(">I", program[8:12])
        if index >= faces:
            return b""
        (start,) = struct.unpack(">I", program[12 + 4 * index:16 + 4 * index])
    if len(program) < start + 12:
        return b""
    (count,) = struct.unpack(">H", program[start + 4:start + 6])
    wanted = tag.encode("latin-1")
    for n in range(count):
        record = program[start + 12 + 16 * n:start + 28 + 16 * n]
        if len(record) == 16 and record[:4] == wanted:
            offset, length = struct.unpack(">II", record[8:16])
            return program[offset:offset + length]
    return b""


def _postscript_name(name: bytes) -> str:
    """Name id 6, from the Windows (UTF-16) or Macintosh (Roman) record."""
    if len(name) < 6:
        return ""
    count, strings = struct.unpack(">HH", name[2:6])
    for n in range(count):
        record = name[6 + 12 * n:18 + 12 * n]
        if len(record) < 12:
            break
        platform, _, _, name_id, length, offset = struct.unpack(">HHHHHH", record)
        if name_id == 6:
            raw = name[strings + offset:strings + offset + length]
            return raw.decode("utf-16-be", "replace") if platform in (0, 3) else raw.decode("latin-1")
    return ""


@lru_cache(maxsize=None)
def original_file(wanted: FontIdentity) -> tuple[Path, int] | None:
    """The font file a program was cut from (and the face's index in it): one of the theme's
    faces, else a font fontconfig knows (where WeasyPrint finds fonts the theme does not bring)."""
    for path, index in _candidate_files(wanted.postscript_name):
        if identity(path.read_bytes(), index) == wanted:
            return path, index
    return None


def _candidate_files(postscript_name: str) -> Iterator[tuple[Path, int]]:
    """The theme's faces, then (only if none is the one) the system's fonts of that name:
    listing those loads fontconfig, which a build that needs only the theme's never does."""
    from .theme import theme_fonts

    theme = [(face.path, 0) for face in theme_fonts()]
    yield from theme
    yield from (found for found in _system_fonts().get(postscript_name, []) if found not in theme)


@dataclass(frozen=True)
class SystemFace:
    """A font face fontconfig knows: where WeasyPrint finds the fonts the theme does not bring."""

    families: tuple[str, ...]
    postscript_name: str
    path: Path
    index: int  # the face's index in a collection (.ttc), else 0
    weight: int  # fontconfig's scale: 80 regular, 200 bold
    slant: int  # 0 upright, 100 italic, 110 oblique
    width: int  # 100 normal, 87 semi-condensed


@lru_cache(maxsize=1)
def system_faces() -> tuple[SystemFace, ...]:
    """Every face in fontconfig's list of the fonts on this machine."""
    from weasyprint.text.ffi import ffi, fontconfig

    try:
        get_integer = fontconfig.FcPatternGetInteger
    except AttributeError:  # WeasyPrint declares only what it calls itself
        ffi.cdef("FcResult FcPatternGetInteger (FcPattern *p, const char *object, int n, int *i);")
        get_integer = fontconfig.FcPatternGetInteger
    config = fontconfig.FcInitLoadConfigAndFonts()
    found: list[SystemFace] = []
    try:
        fonts = fontconfig.FcConfigGetFonts(config, fontconfig.FcSetSystem)
        text, number = ffi.new("FcChar8 **"), ffi.new("int *")

        def string(pattern, name: bytes, n: int = 0) -> str | None:
            if fontconfig.FcPatternGetString(pattern, name, n, text) != fontconfig.FcResultMatch:
                return None
            return ffi.string(text[0]).decode("utf-8", "surrogateescape")

        def integer(pattern, name: bytes, default: int) -> int:
            return number[0] if get_integer(pattern, name, 0, number) == fontconfig.FcResultMatch else default

        for n in range(fonts.nfont if fonts != ffi.NULL else 0):
            pattern = fonts.fonts[n]
            name, file = string(pattern, b"postscriptname"), string(pattern, b"file")
            if name is None or file is None:
                continue
            families = []
            while (family := string(pattern, b"family", len(families))) is not None:
                families.append(family)
            found.append(SystemFace(tuple(families), name, Path(file), integer(pattern, b"index", 0),
                                    integer(pattern, b"weight", 80), integer(pattern, b"slant", 0),
                                    integer(pattern, b"width", 100)))
    finally:
        fontconfig.FcConfigDestroy(config)
    return tuple(sorted(found, key=lambda face: (str(face.path), face.index)))


@lru_cache(maxsize=1)
def _system_fonts() -> dict[str, list[tuple[Path, int]]]:
    """PostScript name -> font files (and the face's index in each)."""
    found: dict[str, list[tuple[Path, int]]] = {}
    for face in system_faces():
        found.setdefault(face.postscript_name, []).append((face.path, face.index))
    return found


@lru_cache(maxsize=None)
def characters_of(path: Path, index: int = 0) -> frozenset[int]:
    """The code points a face maps to glyphs (its character map)."""
    import uharfbuzz as hb

    return frozenset(hb.Face(hb.Blob.from_file_path(str(path)), index).unicodes)

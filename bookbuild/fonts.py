"""Font programs: subsetting with HarfBuzz, and finding the file a subset came from.

Every edition embeds subsets of the theme's fonts. They are cut here, in one
way, by HarfBuzz's subsetter: glyph ids are kept (a PDF's text is written in
glyph ids of the original font), and the name table keeps every entry, so the
copyright notice and licence that the SIL Open Font License asks each copy to
carry travel with it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
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


def subset_for_text(path: Path, text: str) -> bytes:
    """A font for a reading system: the glyphs of ``text`` with their layout features
    (kerning, ligatures), renumbered compactly (an EPUB's text is characters, not glyph ids)."""
    import uharfbuzz as hb

    wanted = hb.SubsetInput()
    wanted.unicode_set.update(ord(character) for character in set(text))
    _keep_every_name(wanted)
    return hb.subset(hb.Face(hb.Blob.from_file_path(str(path))), wanted).blob.data


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


def identity(program: bytes) -> FontIdentity | None:
    """The identity of a TrueType/OpenType font program, read from its raw tables."""
    head, name = sfnt_table(program, "head"), sfnt_table(program, "name")
    if len(head) < 54 or not name:
        return None
    return FontIdentity(_postscript_name(name), head[0:8], head[20:36], struct.unpack(">H", head[18:20])[0])


def sfnt_table(program: bytes, tag: str) -> bytes:
    """One table of an sfnt font program, or b"" (the table directory read by hand: a
    joined book has hundreds of programs, and only two small tables of each are needed)."""
    if len(program) < 12:
        return b""
    (count,) = struct.unpack(">H", program[4:6])
    wanted = tag.encode("latin-1")
    for n in range(count):
        record = program[12 + 16 * n:28 + 16 * n]
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
def original_file(wanted: FontIdentity) -> Path | None:
    """The font file a program was cut from: one of the theme's faces, else a font
    fontconfig knows (where WeasyPrint finds fonts the theme does not bring)."""
    for path in _candidate_files(wanted.postscript_name):
        if identity(path.read_bytes()) == wanted:
            return path
    return None


def _candidate_files(postscript_name: str):
    """The theme's faces, then (only if none is the one) the system's fonts of that name:
    listing those loads fontconfig, which a build that needs only the theme's never does."""
    from .theme import theme_fonts

    theme = [face.path for face in theme_fonts()]
    yield from theme
    yield from (path for path in _system_fonts().get(postscript_name, []) if path not in theme)


@lru_cache(maxsize=1)
def _system_fonts() -> dict[str, list[Path]]:
    """PostScript name -> font files, from fontconfig's list of the fonts on this machine."""
    from weasyprint.text.ffi import ffi, fontconfig

    config = fontconfig.FcInitLoadConfigAndFonts()
    found: dict[str, list[Path]] = {}
    try:
        fonts = fontconfig.FcConfigGetFonts(config, fontconfig.FcSetSystem)
        value = ffi.new("FcChar8 **")
        for n in range(fonts.nfont if fonts != ffi.NULL else 0):
            pattern = fonts.fonts[n]
            if fontconfig.FcPatternGetString(pattern, b"postscriptname", 0, value) != fontconfig.FcResultMatch:
                continue
            name = ffi.string(value[0]).decode("utf-8", "replace")
            if fontconfig.FcPatternGetString(pattern, b"file", 0, value) == fontconfig.FcResultMatch:
                found.setdefault(name, []).append(Path(ffi.string(value[0]).decode("utf-8", "surrogateescape")))
    finally:
        fontconfig.FcConfigDestroy(config)
    return found

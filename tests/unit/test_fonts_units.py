"""bookbuild.fonts in-process, on the theme's own font files, with fontTools as the oracle:
the subsets a PDF and an EPUB embed, the identity of a font program (also inside a
collection) and the file it was cut from, the characters a face maps."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from fontTools.ttLib import TTCollection, TTFont

from bookbuild import fonts, theme

REGULAR, ITALIC = (face.path for face in theme.theme_fonts()[:2])


def glyph_of(font: TTFont, character: str) -> int:
    return font.getGlyphID(font.getBestCmap()[ord(character)])


def test_a_pdf_subset_keeps_each_glyph_at_its_id_with_its_outline_and_every_name():
    original = TTFont(REGULAR)
    wanted = {glyph_of(original, c) for c in "Roots"} | {glyph_of(original, "\ufb01")}  # a ligature's glyph too
    subset = TTFont(io.BytesIO(fonts.subset_for_pdf(REGULAR.read_bytes(), 0, wanted)))
    order = original.getGlyphOrder()
    assert max(wanted) < subset["maxp"].numGlyphs <= original["maxp"].numGlyphs  # ids kept
    drawn = {n for n in range(subset["maxp"].numGlyphs) if subset["glyf"][subset.getGlyphOrder()[n]].numberOfContours}
    assert drawn == wanted | {0}  # and .notdef's box
    for n in wanted:
        assert subset["glyf"][subset.getGlyphOrder()[n]].coordinates == original["glyf"][order[n]].coordinates
    assert not {"GPOS", "GSUB", "BASE", "DSIG"} & set(subset.keys())
    windows = lambda font: {(r.nameID, r.langID, r.toUnicode()) for r in font["name"].names if r.platformID == 3}  # noqa: E731
    assert windows(subset) == windows(original) and {0, 13, 14} <= {name for name, _, _ in windows(subset)}
    assert "fpgm" not in subset and "prep" not in subset  # unhinted unless asked
    hinted = fonts.subset_for_pdf(REGULAR.read_bytes(), 0, wanted, hinting=True)
    assert len(hinted) >= len(fonts.subset_for_pdf(REGULAR.read_bytes(), 0, wanted))


def test_an_epub_subset_maps_the_texts_characters_with_its_layout_features_and_every_name():
    original = TTFont(ITALIC)
    subset = TTFont(io.BytesIO(fonts.subset_for_text(ITALIC, "fine roots")))
    assert set(subset.getBestCmap()) == set(map(ord, "fine roots"))
    assert subset["maxp"].numGlyphs < 30  # renumbered compactly
    assert "GSUB" in subset and "GPOS" in subset
    assert {(r.nameID, r.toUnicode()) for r in subset["name"].names if r.platformID == 3} == {
        (r.nameID, r.toUnicode()) for r in original["name"].names if r.platformID == 3}


def head_fields(font: TTFont) -> tuple:
    head = font["head"]
    return head.fontRevision, head.created, head.modified, head.unitsPerEm


def test_a_programs_identity_is_read_from_its_tables_and_leads_back_to_its_file(tmp_path):
    program = fonts.subset_for_pdf(REGULAR.read_bytes(), 0, {5, 6})
    found = fonts.identity(program)
    original = TTFont(REGULAR)
    assert found.postscript_name == original["name"].getDebugName(6) == "SourceSerifPro-Regular"
    assert found.units_per_em == original["head"].unitsPerEm == 1000
    raw_head = original.reader["head"]
    assert (found.revision, found.dates) == (raw_head[0:8], raw_head[20:36])
    assert fonts.identity(program) != fonts.identity(ITALIC.read_bytes())
    assert fonts.original_file(found) == (REGULAR, 0)
    assert fonts.original_file(fonts.identity(ITALIC.read_bytes())) == (ITALIC, 0)
    # The same name in another release (another revision) was not cut from the theme's file.
    other = TTFont(REGULAR)
    other["head"].fontRevision += 1
    released = io.BytesIO()
    other.save(released)
    assert fonts.original_file(fonts.identity(released.getvalue())) is None
    assert fonts.identity(b"") is None and fonts.identity(b"\0\1\0\0" + b"\0" * 8) is None


def test_tables_of_a_face_in_a_collection_count_from_the_collections_start(tmp_path):
    collection = TTCollection()
    collection.fonts = [TTFont(REGULAR), TTFont(ITALIC)]
    path = tmp_path / "two.ttc"
    collection.save(str(path))
    data = path.read_bytes()
    assert fonts.identity(data, 0).postscript_name == "SourceSerifPro-Regular"
    assert fonts.identity(data, 1).postscript_name == "SourceSerifPro-It"
    for index in (0, 1):
        as_read = TTFont(path, fontNumber=index)
        assert fonts.sfnt_table(data, "head", index) == as_read.reader["head"]
        assert fonts.sfnt_table(data, "cmap", index) == as_read.reader["cmap"]
    assert fonts.sfnt_table(data, "head", 2) == b"" and fonts.sfnt_table(data[:16], "head", 1) == b""
    assert fonts.sfnt_table(REGULAR.read_bytes(), "nope") == b"" and fonts.sfnt_table(b"\0\1\0\0", "head") == b""
    assert fonts.characters_of(path, 1) == frozenset(TTFont(ITALIC).getBestCmap())


def test_a_postscript_name_from_a_macintosh_record():
    strings = b"Mac-Name"
    record = struct.pack(">HHHHHH", 1, 0, 0, 6, len(strings), 0)
    other = struct.pack(">HHHHHH", 3, 1, 0x409, 1, len(strings), 0)
    name = struct.pack(">HHH", 0, 2, 6 + 24) + other + record + strings
    assert fonts._postscript_name(name) == "Mac-Name"
    windows = "Win-Name".encode("utf-16-be")
    name = struct.pack(">HHH", 0, 1, 18) + struct.pack(">HHHHHH", 3, 1, 0x409, 6, len(windows), 0) + windows
    assert fonts._postscript_name(name) == "Win-Name"
    assert fonts._postscript_name(struct.pack(">HHH", 0, 3, 42) + b"\0" * 12) == ""  # records cut short
    assert fonts._postscript_name(b"\0\0") == ""


def test_the_characters_of_a_face_are_its_character_map():
    assert fonts.characters_of(REGULAR) == frozenset(TTFont(REGULAR).getBestCmap())


def test_fontconfigs_faces_are_read_with_their_names_and_files():
    faces = fonts.system_faces()
    assert faces and list(faces) == sorted(faces, key=lambda face: (str(face.path), face.index))
    face = next(f for f in faces if f.path.suffix.lower() in (".ttf", ".otf"))
    assert face.path.is_file()
    assert face.postscript_name == TTFont(face.path, fontNumber=face.index)["name"].getDebugName(6)
    assert face.families and 0 <= face.weight <= 215 and face.slant in (0, 100, 110) and 50 <= face.width <= 200
    assert (face.path, face.index) in fonts._system_fonts()[face.postscript_name]

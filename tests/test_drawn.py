"""What the PDFs draw: every glyph as the original font draws it, and every page of the
joined book as its chapter was laid out.

Text extraction reads a PDF's Unicode maps, so a font program that draws the wrong
outline still reads right (a chapter "3" drawn as "2"). These tests judge what is
drawn, with the original font files and PDFium's renders as the oracles (see drawn.py).
"""

from __future__ import annotations

import pikepdf
import pytest

from bookbuild.cache import Cache
from drawn import Band, Likeness, glyph_mismatches, original_fonts, render_mismatches

# The default theme's page margins (styles/pdf.css): the join lays folios and running
# heads over the page above and below the text area.
TEXT_AREA = Band(top=0.75, bottom=0.8)
BOOKS = ["sample", "long_book"]
EDITIONS = ["print_pdf", "screen_pdf"]
# The screen edition draws its segments' own content: pixel for pixel. The print edition
# draws it in CMYK, which PDFium renders a little lighter and anti-aliases a little
# differently (at most 39 of 255 in 4x4-pixel averages on the long book); one glyph
# drawn as another differs by 100 or more.
LIKENESS = {"print_pdf": Likeness(block=4, tolerance=48), "screen_pdf": Likeness(block=1, tolerance=0)}


def text_segments(book) -> list[bytes]:
    """The tagged PDF of each segment of the book (chapter, front matter, back-matter
    part) as it was laid out, before joining: from the build's cache."""
    root = book.out.parent
    cache = Cache(root)
    found = []
    for entry in sorted((root / ".cache" / "segments").iterdir()):
        layout = cache.load("segments", entry.name)
        if layout is not None and layout.pdf is not None:
            with pikepdf.open(__import__("io").BytesIO(layout.pdf)) as pdf:
                if "/StructTreeRoot" in pdf.Root:  # not a page decoration
                    found.append(layout.pdf)
    return found


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("book", BOOKS)
def test_every_glyph_is_drawn_as_the_original_font_draws_it(book, edition, request):
    assert glyph_mismatches(getattr(request.getfixturevalue(book), edition)) == []


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("book", BOOKS)
def test_every_page_draws_what_its_segment_drew(book, edition, request, tmp_path):
    built = request.getfixturevalue(book)
    segments = text_segments(built)
    problems, compared = render_mismatches(getattr(built, edition), segments, TEXT_AREA, LIKENESS[edition], tmp_path)
    assert problems == []
    with pikepdf.open(getattr(built, edition)) as pdf:
        assert compared == len(pdf.pages) and len(segments) > 5


def test_the_long_book_draws_every_face(long_book):
    """So that the tests above judge every face of the theme, monospace included."""
    names = set()
    with pikepdf.open(long_book.screen_pdf) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor" and "/FontFile2" in obj:
                from fontTools.ttLib import TTFont
                import io

                names.add(TTFont(io.BytesIO(obj.FontFile2.read_bytes()))["name"].getDebugName(6))
    assert {"SourceSerifPro-Regular", "SourceSerifPro-It", "SourceSerifPro-Bold", "SourceSerifPro-BoldIt"} <= names
    assert any("Mono" in name for name in names), names
    assert names <= set(original_fonts())

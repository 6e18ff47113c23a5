"""What a printer gets, measured on the pages: the inside margin for the page count (KDP's
gutter table plus a quarter inch for the thumbs, laid out again when the page count
crosses into another bracket), an even page count for IngramSpark with a blank last
page, KDP's page limit, a failed preflight check stopping the build, and a book's own
CMYK profile (``print.color_profile``) embedded as the output intent, with the colours
converted through it.
"""

from __future__ import annotations

import io
import itertools
import re
import struct

import pikepdf
import pypdfium2
import pytest
from conftest import build_book, copy_book, run_build

from inks import read_inks

# KDP's minimum inside margin by page count (up to this many pages, inches), as the
# README gives it, and what the toolchain adds for the reader's thumbs; the outside margin.
KDP_GUTTER = ((150, 0.375), (300, 0.5), (500, 0.625), (700, 0.75), (828, 0.875))
THUMBS = 0.25
OUTSIDE = 0.6
# Running heads and folios sit above and below the text area (the default theme's margins).
HEAD, FOOT = 0.75, 0.8
TOLERANCE = 0.03  # inches: a glyph's side bearing or overhang; the brackets are 0.125in apart


def inside_margin_for(pages: int) -> float:
    return next(inches for up_to, inches in KDP_GUTTER if pages <= up_to) + THUMBS


def text_margins(pdf_path) -> dict[str, float]:
    """The narrowest distance, in inches, from the trim edge to the text of the text area on
    each side of right-hand and left-hand pages, from PDFium's rectangles of the text it draws."""
    document = pypdfium2.PdfDocument(str(pdf_path))
    found = {"recto inside": 9.0, "recto outside": 9.0, "verso inside": 9.0, "verso outside": 9.0}
    for index in range(len(document)):
        page = document[index]
        left, bottom, right, top = page.get_trimbox()
        text = page.get_textpage()
        side = "recto" if index % 2 == 0 else "verso"  # page 1, a right-hand page, is index 0
        for n in range(text.count_rects()):
            x0, y0, x1, y1 = text.get_rect(n)
            if y0 > bottom + FOOT * 72 and y1 < top - HEAD * 72:
                near_left, near_right = (x0 - left) / 72, (right - x1) / 72
                inner, outer = (near_left, near_right) if side == "recto" else (near_right, near_left)
                found[f"{side} inside"] = min(found[f"{side} inside"], inner)
                found[f"{side} outside"] = min(found[f"{side} outside"], outer)
    document.close()
    return found


def page_count(pdf_path) -> int:
    with pikepdf.open(pdf_path) as pdf:
        return len(pdf.pages)


# --- a book that crosses a gutter bracket: 159 pages of its own ---------------------------------

PARAGRAPH = ("Page {p} of chapter {c}: a line of text long enough to be justified across the measure "
             "of the page, and then some more words to fill it.")


@pytest.fixture(scope="module")
def crossing(tmp_path_factory):
    """A book of a paragraph a page (its styles put a page break after each), for
    IngramSpark: 14 chapters, under 150 pages; then a 15th chapter is added and the book
    built again: 159 pages of its own, in the next gutter bracket. The chapters before it
    are unchanged (a rebuild would only fill in their page numbers): each must be laid
    out again with the wider gutter."""
    book = tmp_path_factory.mktemp("crossing") / "book"
    (book / "manuscript").mkdir(parents=True)
    (book / "styles").mkdir()
    (book / "styles" / "pdf.css").write_text("p { break-after: page; }\n")
    (book / "metadata.yaml").write_text("title: Crossing the bracket\nauthor: A. Tester\nlanguage: en-GB\n"
                                        "print:\n  target: ingramspark\n  trim: 5in 8in\n")

    def write_chapter(chapter: int, pages: int) -> None:
        paragraphs = "\n\n".join(PARAGRAPH.format(p=p, c=chapter) for p in range(1, pages + 1))
        (book / "manuscript" / f"{chapter:03d}-chapter.md").write_text(f"---\ntitle: Chapter {chapter}\n---\n\n{paragraphs}\n")

    for chapter in range(1, 15):
        write_chapter(chapter, 10)
    before = build_book(book, book / "dist", "crossing-the-bracket", "--formats", "print,screen")
    assert page_count(before.print_pdf) <= 150, "the book should start in the first gutter bracket"
    write_chapter(15, 11)
    return build_book(book, book / "dist", "crossing-the-bracket", "--formats", "print,screen")


@pytest.mark.parametrize("book", ["refs", "crossing", "long_book"])
def test_the_inside_margin_is_the_gutter_for_the_page_count_plus_a_quarter_inch(book, request):
    built = request.getfixturevalue(book)
    pages = page_count(built.print_pdf)
    inside = inside_margin_for(pages)
    measured = text_margins(built.print_pdf)
    for side in ("recto", "verso"):
        assert abs(measured[f"{side} inside"] - inside) < TOLERANCE, (pages, inside, measured)
        assert abs(measured[f"{side} outside"] - OUTSIDE) < TOLERANCE, (pages, measured)
    if book == "crossing":
        assert 150 < pages <= 300  # in another bracket than the first guess


def test_ingramspark_gets_an_even_page_count_with_a_blank_last_page(crossing):
    """The book has 159 pages of its own; the printer gets 160, the last one blank (and the
    one before it the book's last, with text: were the book's own count even, the test would
    see a page of text last)."""
    assert page_count(crossing.print_pdf) == 160
    document = pypdfium2.PdfDocument(str(crossing.print_pdf))
    last, before = (document[i].render(scale=0.5).to_pil().convert("L") for i in (159, 158))
    assert last.getextrema() == (255, 255), "the page added at the end is not blank"
    assert before.getextrema()[0] < 200  # the book's own last page has text
    document.close()


# --- the preflight stops a build, and KDP's page limit ----------------------------------------


def test_a_failed_preflight_check_stops_the_build_and_writes_nothing(tmp_path):
    """A book's pdf.css that sets another page size: the print edition's trim box is not the
    metadata's, the preflight says so, and the build is refused."""
    book = copy_book("refs", tmp_path / "book")
    (book / "styles").mkdir()
    (book / "styles" / "pdf.css").write_text("@page { size: 4in 4in; }\n")
    out = tmp_path / "dist"
    out.mkdir()
    (out / "cross-references-print.pdf").write_bytes(b"the previous print edition")
    done = run_build("--book", book, "--out", out)
    assert done.returncode == 1, done.stderr
    assert re.search(r"^metadata\.yaml:\d+:\d+: error: preflight of cross-references-print\.pdf: "
                     r"trim box is not 5in x 8in on every page$", done.stderr, re.MULTILINE), done.stderr
    assert [p.name for p in out.iterdir()] == ["cross-references-print.pdf"]
    assert (out / "cross-references-print.pdf").read_bytes() == b"the previous print edition"


def test_kdp_takes_828_pages_and_no_more(refs):
    from bookbuild.model import PrintSettings
    from bookbuild.preflight import preflight_print

    def with_pages(count: int) -> bytes:
        """The print edition made ``count`` pages long with empty pages (quick to check)."""
        with pikepdf.open(refs.print_pdf) as pdf:
            last = pdf.pages[-1].obj
            while len(pdf.pages) < count:
                pdf.pages.append(pikepdf.Page(pikepdf.Dictionary(
                    Type=pikepdf.Name.Page, MediaBox=last.MediaBox, TrimBox=last.TrimBox, BleedBox=last.BleedBox,
                    Resources=pikepdf.Dictionary(), Contents=pikepdf.Stream(pdf, b""))))
            out = io.BytesIO()
            pdf.save(out, force_version=pdf.pdf_version)
            return out.getvalue()

    kdp = PrintSettings("5in", "8in", "0.125in", "none", "kdp")
    inside = inside_margin_for(828)
    assert not [e for e in preflight_print(with_pages(828), kdp, inside, "kdp.pdf").errors if "prints at most" in e]
    assert "830 pages: kdp prints at most 828" in " | ".join(preflight_print(with_pages(830), kdp, inside, "kdp.pdf").errors)


# --- the book's own colour profile ----------------------------------------------------------------


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _lut8(inputs: int, outputs: int, corner_value) -> bytes:
    """An ICC lut8 tag with a 2-point grid: ``corner_value`` gives the outputs (0-1) at each
    corner of the inputs' cube (the first input varies slowest, as ICC orders a grid)."""
    grid = b"".join(bytes(round(v * 255) for v in corner_value(corner))
                    for corner in itertools.product((0.0, 1.0), repeat=inputs))
    identity = bytes(range(256))
    matrix = b"".join(_s15(v) for v in (1, 0, 0, 0, 1, 0, 0, 0, 1))
    return (b"mft1" + bytes(4) + struct.pack(">BBBB", inputs, outputs, 2, 0) + matrix
            + identity * inputs + grid + identity * outputs)


PROFILE_NAME = "Cyan only, for tests"


def cyan_only_profile() -> bytes:
    """A CMYK output profile written by this test, which prints every colour in cyan ink
    alone (as much cyan as the colour is dark: 1 - L*/100): no real press profile does
    that, so cyan alone on the page shows the colours went through this profile."""
    to_cmyk = _lut8(3, 4, lambda lab: (1 - lab[0], 0, 0, 0))
    to_lab = _lut8(4, 3, lambda cmyk: ((1 - cmyk[0]) * (1 - cmyk[3]), 128 / 255, 128 / 255))
    name = PROFILE_NAME.encode("ascii") + b"\0"
    tags = [(b"desc", b"desc" + bytes(4) + struct.pack(">I", len(name)) + name + bytes(8) + bytes(3) + bytes(67)),
            (b"cprt", b"text" + bytes(4) + b"No copyright: written by the tests\0"),
            (b"wtpt", b"XYZ " + bytes(4) + _s15(0.9642) + _s15(1.0) + _s15(0.8249)),
            (b"A2B0", to_lab), (b"B2A0", to_cmyk), (b"A2B1", to_lab), (b"B2A1", to_cmyk)]
    offset, directory, data = 128 + 4 + 12 * len(tags), b"", b""
    for signature, body in tags:
        directory += signature + struct.pack(">II", offset + len(data), len(body))
        data += body + bytes(-len(body) % 4)
    header = (bytes(8) + struct.pack(">I", 0x02100000) + b"prtrCMYKLab " + struct.pack(">6H", 2026, 1, 1, 0, 0, 0)
              + b"acsp" + bytes(24) + struct.pack(">I", 0) + _s15(0.9642) + _s15(1.0) + _s15(0.8249) + bytes(48))
    body = header[4:] + struct.pack(">I", len(tags)) + directory + data
    return struct.pack(">I", 4 + len(body)) + body


def lightness(red: int, green: int, blue: int) -> float:
    """CIE L* (0-100) of an sRGB colour."""
    linear = [(c / 255 / 12.92) if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)]
    y = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 116 * (y ** (1 / 3) if y > 216 / 24389 else (24389 / 27 * y + 16) / 116) - 16


RED = (192, 0, 0)


@pytest.fixture(scope="module")
def own_profile(tmp_path_factory):
    from PIL import Image

    book = tmp_path_factory.mktemp("profile") / "book"
    (book / "manuscript" / "images").mkdir(parents=True)
    (book / "print").mkdir()
    (book / "print" / "cyan-only.icc").write_bytes(cyan_only_profile())
    Image.new("RGB", (40, 30), RED).save(book / "manuscript" / "images" / "red.png")
    (book / "metadata.yaml").write_text("title: Own profile\nauthor: A. Tester\nlanguage: en-GB\n"
                                        "print:\n  trim: 5in 8in\n  color_profile: print/cyan-only.icc\n")
    (book / "manuscript" / "001-colours.md").write_text(
        "---\ntitle: Colours\n---\n\nBlack text, and <span style=\"color: #c00000\">red words</span>.\n\n"
        "![A red rectangle](images/red.png)\n")
    return build_book(book, book / "dist", "own-profile", "--formats", "print")


def test_a_books_own_profile_is_the_output_intent(own_profile, tmp_path):
    with pikepdf.open(own_profile.print_pdf) as pdf:
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == pikepdf.Name.GTS_PDFX
        assert str(intent.OutputConditionIdentifier) == PROFILE_NAME
        assert intent.DestOutputProfile.read_bytes() == cyan_only_profile() and int(intent.DestOutputProfile.N) == 4


def test_colours_are_converted_through_the_books_own_profile(own_profile):
    inks = read_inks(own_profile.print_pdf)
    cyan = 1 - lightness(*RED) / 100
    coloured = [c for space, c in inks.text_colours if space == "DeviceCMYK" and c != (0.0, 0.0, 0.0, 1.0)]
    assert all(c[1:] == (0, 0, 0) for c in coloured), inks.text_colours  # the theme's colours too: cyan alone
    assert any(abs(c[0] - cyan) < 0.03 for c in coloured), (cyan, inks.text_colours)  # the red words
    assert ("DeviceCMYK", (0.0, 0.0, 0.0, 1.0)) in inks.text_colours  # black text stays black ink alone
    with pikepdf.open(own_profile.print_pdf) as pdf:
        pictures = [pikepdf.PdfImage(obj).as_pil_image() for obj in pdf.objects
                    if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image" and int(obj.Width) == 40]
    assert len(pictures) == 1 and pictures[0].mode == "CMYK"
    c, m, y, k = (band.getextrema() for band in pictures[0].split())
    assert m == y == k == (0, 0) and abs(c[0] / 255 - cyan) < 0.03 and abs(c[1] / 255 - cyan) < 0.03, (c, m, y, k)


# --- crop marks, as a press operator sees them ---------------------------------------------------

MARK_GAP, MARK_LENGTH = 3, 12  # points: marks start 3pt outside the bleed and are 12pt long (a printer's usual)


@pytest.mark.parametrize("page_index", [0, 1], ids=["right-hand page", "left-hand page"])
def test_crop_marks_are_drawn_in_line_with_the_trim_edges_outside_the_bleed(refs, page_index):
    """Rendered by PDFium (the whole sheet: trim, bleed and slug): a mark on each side of
    each corner, in line with the trim edge, in the slug; nothing where the marks would
    reach into the bleed."""
    document = pypdfium2.PdfDocument(str(refs.print_pdf))
    page = document[page_index]
    x_min, _, _, y_max = page.get_mediabox()
    trim_left, trim_bottom, trim_right, trim_top = page.get_trimbox()
    bleed = trim_left - page.get_bleedbox()[0]
    scale = 4
    sheet = page.render(scale=scale).to_pil().convert("L")
    document.close()

    def darkest(x: float, y: float, reach: int = 2) -> int:
        cx, cy = round((x - x_min) * scale), round((y_max - y) * scale)
        return min(sheet.getpixel((i, j)) for i in range(cx - reach, cx + reach + 1) for j in range(cy - reach, cy + reach + 1))

    middle = bleed + MARK_GAP + MARK_LENGTH / 2  # how far outside the trim edge the middle of a mark is
    for x, y, outward_x, outward_y in ((trim_left, trim_bottom, -1, -1), (trim_right, trim_bottom, 1, -1),
                                       (trim_left, trim_top, -1, 1), (trim_right, trim_top, 1, 1)):
        assert darkest(x + outward_x * middle, y) < 200, ("no horizontal mark in line with the trim edge", x, y)
        assert darkest(x, y + outward_y * middle) < 200, ("no vertical mark in line with the trim edge", x, y)
        assert darkest(x + outward_x * middle, y + outward_y * middle) == 255  # marks are lines, not blots
        for inside_the_bleed in range(1, round(bleed)):  # the marks' lines, followed into the bleed: nothing
            assert darkest(x + outward_x * inside_the_bleed, y, reach=0) == 255, ("a mark inside the bleed", x, y)
            assert darkest(x, y + outward_y * inside_the_bleed, reach=0) == 255, ("a mark inside the bleed", x, y)

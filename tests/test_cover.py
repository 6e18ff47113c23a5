"""The print cover, ``dist/<slug>-cover.pdf``, judged from its bytes with the printers'
published figures written here: its size from the page count and the paper (KDP's
thicknesses; IngramSpark's from ``print.paper_thickness``), text on the spine exactly
when the printer allows it, every glyph (PDFium's boxes) inside the safe area, the
barcode read back by ZXing from a 600 dpi render, CMYK within the ink limit (the tests'
own ink reader), embedded fonts drawing their own outlines, and the same bytes again.

Most page counts are made in-process from a given count (``make_cover``); two books are
built for real: a KDP book with an ISBN and a price, and one whose styles push text out
of the safe area, which the cover's preflight refuses.
"""

from __future__ import annotations

import io
import math
import subprocess
from dataclasses import replace
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
import zxingcpp
from conftest import run_build
from drawn import glyph_mismatches

from inks import read_inks

# KDP Help, "Create a Paperback Cover": inches a page by paper; text on the spine from 79 pages.
KDP_PAPER = {"white": 0.002252, "cream": 0.0025, "color": 0.002347}
SPINE_TEXT_FROM = {"kdp": 79, "ingramspark": 48, "generic": 79}
SAFE_MARGIN = {"kdp": 0.125, "ingramspark": 0.25, "generic": 0.125}  # IngramSpark: 0.25in for cover art
FOLD_CLEARANCE = 0.0625  # spine text from each fold
BARCODE_AREA = (2.0, 1.2, 0.25)  # width, height, from the bottom trim and from the spine
TOLERANCE = 0.001  # inches
# What the test books give as print.paper_thickness for IngramSpark: a thick paper, on which
# 48 pages make a spine with room for text 0.0625in clear of both folds.
INGRAM_THICKNESS = 0.0035
ISBN, PRICE = "9780000000019", "51995"


def expected_size(pages: int, thickness: float, trim=(6.0, 9.0), bleed=0.125) -> tuple[float, float, float]:
    """Trim width, trim height and spine of the whole cover, by the printers' formula."""
    spine = pages * thickness
    return 2 * trim[0] + spine, trim[1], spine


def write_book(folder: Path, target: str, paper: str = "white", extra: str = "", chapters: int = 2,
               paragraphs: int = 1) -> Path:
    (folder / "manuscript").mkdir(parents=True)
    thickness = f", paper_thickness: {INGRAM_THICKNESS}" if target == "ingramspark" else ""
    (folder / "metadata.yaml").write_text(
        f"title: The Cover Test\nauthor: Ada Lane\nlanguage: en-GB\npublisher: Test Press\n"
        f"description: A book about covers, with a back that says so in a sentence or two.\n"
        f"isbn: {{print: 978-0-00-000001-9}}\n"
        f"print: {{target: {target}, paper: {paper}{thickness}, price_code: \"{PRICE}\"}}\n{extra}", encoding="utf-8")
    for n in range(1, chapters + 1):
        body = "\n\n".join(f"Paragraph {p} of chapter {n}, long enough to be a line of text." for p in range(paragraphs))
        (folder / "manuscript" / f"{n:03d}-chapter.md").write_text(f"---\ntitle: Chapter {n}\n---\n\n{body}\n",
                                                                      encoding="utf-8")
    return folder


# --- reading a cover -------------------------------------------------------------------


def glyph_boxes(data: bytes) -> tuple[list[tuple[str, tuple[float, float, float, float]]], tuple[float, ...]]:
    """Each drawn character's box (PDFium's, from the glyph's outline), in inches from the
    trim's top-left corner with y downwards; and the trim box in points."""
    document = pypdfium2.PdfDocument(data)
    page = document[0]
    left, bottom, right, top = page.get_trimbox()
    text = page.get_textpage()
    found = []
    for n in range(text.count_chars()):
        character = text.get_text_range(n, 1)
        if not character.strip():
            continue
        x0, y0, x1, y1 = text.get_charbox(n)
        found.append((character, ((x0 - left) / 72, (top - y1) / 72, (x1 - left) / 72, (top - y0) / 72)))
    document.close()
    return found, (left, bottom, right, top)


def safe_areas(target: str, pages: int, thickness: float) -> list[tuple[float, float, float, float]]:
    """Where text may go, by the printers' rules: each panel less the safe margin, and the
    spine less its clearance from the folds when it may carry text."""
    margin = SAFE_MARGIN[target]
    spine = pages * thickness
    areas = [(margin, margin, 6 - margin, 9 - margin), (6 + spine + margin, margin, 12 + spine - margin, 9 - margin)]
    if pages >= SPINE_TEXT_FROM[target]:
        areas.append((6 + FOLD_CLEARANCE, margin, 6 + spine - FOLD_CLEARANCE, 9 - margin))
    return areas


def outside_safe_areas(boxes, areas) -> list[str]:
    def inside(box, area):
        return box[0] >= area[0] and box[1] >= area[1] and box[2] <= area[2] and box[3] <= area[3]

    return [f"{c!r} at {box[0]:.3f}, {box[1]:.3f}" for c, box in boxes if not any(inside(box, a) for a in areas)]


def spine_text(boxes, spine: float) -> str:
    return "".join(c for c, box in boxes if 6 < (box[0] + box[2]) / 2 < 6 + spine)


def read_barcode(data: bytes, spine: float) -> list[str]:
    """ZXing's reading of a 600 dpi render of the barcode area (and a little around it)."""
    width, height, inset = BARCODE_AREA
    document = pypdfium2.PdfDocument(data)
    page = document[0]
    media_left, media_bottom, media_right, media_top = page.get_mediabox()
    trim_left, trim_bottom, _, _ = page.get_trimbox()
    margin = 0.1
    area = (trim_left + (6 - inset - width - margin) * 72, trim_bottom + (inset - margin) * 72,
            trim_left + (6 - inset + margin) * 72, trim_bottom + (inset + height + margin) * 72)
    crop = (area[0] - media_left, area[1] - media_bottom, media_right - area[2], media_top - area[3])
    picture = page.render(scale=600 / 72, crop=crop).to_pil()
    document.close()
    return [found.text for found in zxingcpp.read_barcodes(picture, ean_add_on_symbol=zxingcpp.EanAddOnSymbol.Require)]


# --- the cover for a given page count, in-process -----------------------------------------

CASES = [  # target, paper, pages: each printer's paper, and both sides of each spine-text rule
    ("kdp", "white", 24), ("kdp", "cream", 100), ("kdp", "color", 78), ("kdp", "white", 79), ("kdp", "white", 80),
    ("ingramspark", "white", 47), ("ingramspark", "cream", 48), ("ingramspark", "white", 50), ("generic", "cream", 100),
]


@pytest.fixture(scope="module")
def covers(tmp_path_factory) -> dict[tuple[str, str, int], bytes]:
    """The cover of each case, made from the page count by the build's own step."""
    import weasyprint  # noqa: F401  imported once here: each cover is laid out in a fork of this process

    from bookbuild.editions.cover import make_cover
    from bookbuild.pipeline import check

    made = {}
    books = {}
    for target, paper, pages in CASES:
        if (target, paper) not in books:
            folder = write_book(tmp_path_factory.mktemp("cover") / "book", target, paper)
            books[target, paper] = check(folder)
        made[target, paper, pages] = make_cover(books[target, paper], pages).pdf
    return made


@pytest.mark.parametrize("target, paper, pages", CASES)
def test_the_cover_is_the_size_the_printer_computes(covers, target, paper, pages):
    thickness = INGRAM_THICKNESS if target == "ingramspark" else KDP_PAPER[paper]
    width, height, _ = expected_size(pages, thickness)
    with pikepdf.open(io.BytesIO(covers[target, paper, pages])) as pdf:
        assert len(pdf.pages) == 1
        page = pdf.pages[0]
        trim, bleed = [float(v) for v in page.trimbox], [float(v) for v in page.bleedbox]
        media = [float(v) for v in page.mediabox]
    assert math.isclose((trim[2] - trim[0]) / 72, width, abs_tol=TOLERANCE)
    assert math.isclose((trim[3] - trim[1]) / 72, height, abs_tol=TOLERANCE)
    assert math.isclose((bleed[2] - bleed[0]) / 72, width + 0.25, abs_tol=TOLERANCE)  # 0.125in bleed all round
    assert math.isclose((bleed[3] - bleed[1]) / 72, height + 0.25, abs_tol=TOLERANCE)
    assert (media == bleed) == (target != "generic")  # KDP and IngramSpark want no marks; generic has crop marks


@pytest.mark.parametrize("target, paper, pages", CASES)
def test_spine_text_exactly_when_the_printer_allows_it_and_all_text_in_the_safe_area(covers, target, paper, pages):
    thickness = INGRAM_THICKNESS if target == "ingramspark" else KDP_PAPER[paper]
    boxes, _ = glyph_boxes(covers[target, paper, pages])
    on_spine = spine_text(boxes, pages * thickness)
    if pages >= SPINE_TEXT_FROM[target]:
        assert on_spine.startswith("TheCoverTest") and "AdaLane" in on_spine and "TestPress" in on_spine
    else:
        assert on_spine == ""
    assert outside_safe_areas(boxes, safe_areas(target, pages, thickness)) == []
    assert any(c == "9" for c, _ in boxes)  # the barcode's digits are text too, and were checked


def test_every_cover_is_cmyk_within_the_ink_limit_with_fonts_that_draw_their_glyphs(covers, tmp_path):
    for (target, paper, pages), data in covers.items():
        path = tmp_path / f"{target}-{paper}-{pages}.pdf"
        path.write_bytes(data)
        inks = read_inks(path)
        assert inks.spaces <= {"DeviceCMYK", "DeviceGray"} and inks.image_spaces <= {"DeviceCMYK", "DeviceGray"}, path.name
        assert not inks.transparency and inks.images_with_alpha == 0
        assert inks.most_ink <= (240 if target == "ingramspark" else 300) + 0.5
        assert ("DeviceCMYK", (0.0, 0.0, 0.0, 1.0)) in inks.colours  # the barcode's bars: black ink alone
        assert glyph_mismatches(path) == []
        with pikepdf.open(path) as pdf:
            assert pdf.docinfo["/GTS_PDFXVersion"] == ("PDF/X-1a:2001" if target == "ingramspark" else "PDF/X-1a:2003")
            fonts = pdf.pages[0].Resources.Font.values()
            assert all("/FontFile2" in font.DescendantFonts[0].FontDescriptor for font in fonts)


def test_the_barcode_reads_as_the_isbn_and_its_price(covers):
    for (target, paper, pages), data in covers.items():
        thickness = INGRAM_THICKNESS if target == "ingramspark" else KDP_PAPER[paper]
        assert read_barcode(data, pages * thickness) == [ISBN + PRICE], (target, paper, pages)


def test_the_add_on_follows_its_standard_for_every_check_value():
    """The five-digit add-on drawn for each of its ten parity patterns, and ZXing reads it."""
    from bookbuild.editions import ean

    from PIL import Image, ImageDraw

    for price in ("90000", "51995", "00000", "12345", "54321", "99999", "50750", "07777", "31415", "27182"):
        main, addon = ean.ean13_modules(ISBN), ean.addon_modules(price)
        modules = "0" * 11 + main.replace("G", "1") + "0" * 9 + addon + "0" * 10
        picture = Image.new("L", (len(modules) * 4, 200), 255)
        draw = ImageDraw.Draw(picture)
        for n, module in enumerate(modules):
            if module == "1":
                draw.rectangle((n * 4, 20, n * 4 + 3, 180), fill=0)
        found = zxingcpp.read_barcodes(picture, ean_add_on_symbol=zxingcpp.EanAddOnSymbol.Require)
        assert [b.text for b in found] == [ISBN + price], price


# --- real builds ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kdp(tmp_path_factory):
    """A KDP book on cream paper of more than 79 pages (one paragraph a page), with a print
    ISBN, a price, and a back cover of its own in Markdown."""
    book = write_book(tmp_path_factory.mktemp("kdp") / "book", "kdp", "cream",
                      extra='back_cover: |\n  A back cover *in Markdown*: two paragraphs.<script>alert(1)</script>\n\n'
                            '  The second one.\n',
                      chapters=8, paragraphs=9)
    (book / "styles").mkdir()
    (book / "styles" / "pdf.css").write_text("p { break-after: page; }\n", encoding="utf-8")
    done = run_build("--book", book, "--out", book / "dist")
    assert done.returncode == 0, done.stderr
    return book, done


def test_a_built_cover_fits_its_print_edition_and_passes_its_preflight(kdp, tmp_path):
    book, done = kdp
    cover = (book / "dist" / "the-cover-test-cover.pdf").read_bytes()
    with pikepdf.open(book / "dist" / "the-cover-test-print.pdf") as pdf:
        pages = len(pdf.pages)
    assert pages >= 79
    width, height, spine = expected_size(pages, KDP_PAPER["cream"])
    with pikepdf.open(io.BytesIO(cover)) as pdf:
        trim = [float(v) for v in pdf.pages[0].trimbox]
    assert math.isclose((trim[2] - trim[0]) / 72, width, abs_tol=TOLERANCE)
    assert math.isclose((trim[3] - trim[1]) / 72, height, abs_tol=TOLERANCE)
    boxes, _ = glyph_boxes(cover)
    assert spine_text(boxes, spine).startswith("TheCoverTest")
    assert outside_safe_areas(boxes, safe_areas("kdp", pages, KDP_PAPER["cream"])) == []
    assert "Markdown" in "".join(c for c, _ in boxes)  # the back_cover text, not the description
    assert "metadata.yaml:8:1: warning: back_cover: <script> removed" in done.stderr  # sanitised as chapters are
    assert "alert" not in "".join(c for c, _ in boxes) and "WeasyPrint" not in done.stderr
    assert read_barcode(cover, spine) == [ISBN + PRICE]
    report = done.stdout.split("preflight the-cover-test-cover.pdf:\n", 1)[1].split("\nPDF:", 1)[0]
    assert "FAIL" not in report and "text and barcode inside the safe area" in report
    assert subprocess.run(["qpdf", "--check", str(book / "dist" / "the-cover-test-cover.pdf")],
                          capture_output=True).returncode == 0


def test_a_cover_is_the_same_bytes_from_another_folder_without_a_cache(kdp, tmp_path):
    import shutil

    book, _ = kdp
    copy = tmp_path / "another place" / "book"
    shutil.copytree(book, copy, ignore=shutil.ignore_patterns(".cache", "dist"))
    done = run_build("--book", copy, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "the-cover-test-cover.pdf").read_bytes() == (book / "dist" / "the-cover-test-cover.pdf").read_bytes()


def test_text_a_book_moves_out_of_the_safe_area_fails_the_cover_preflight(tmp_path):
    book = write_book(tmp_path / "book", "kdp")
    (book / "styles").mkdir()
    (book / "styles" / "cover.css").write_text(".back { margin-left: -0.55in; }\n", encoding="utf-8")
    done = run_build("--book", book, "--out", book / "dist")
    assert done.returncode == 1
    assert "metadata.yaml:1:1: error: preflight of the-cover-test-cover.pdf: outside the cover's safe area" in done.stderr
    assert not (book / "dist").exists()


def test_the_sample_says_its_spine_is_empty_and_leaves_the_barcode_area_white(sample):
    """34 pages, no print ISBN: no text between the folds, a note in the summary, and the
    barcode area white for the printer's own."""
    cover = (sample.out / f"{sample.slug}-cover.pdf").read_bytes()
    with pikepdf.open(sample.print_pdf) as pdf:
        pages = len(pdf.pages)
    spine = pages * KDP_PAPER["white"]
    boxes, _ = glyph_boxes(cover)
    assert spine_text(boxes, spine) == ""
    assert "cover: the spine is left empty" in sample.process.stdout
    assert "the barcode area is left white" in sample.process.stdout
    assert read_barcode(cover, spine) == []
    document = pypdfium2.PdfDocument(cover)
    page = document[0]
    _, _, _, top = page.get_mediabox()
    trim_left, trim_bottom, _, _ = page.get_trimbox()
    media_left, media_bottom = page.get_mediabox()[:2]
    picture = page.render(scale=1).to_pil().convert("RGB")
    document.close()
    width, height, inset = BARCODE_AREA
    x = round(trim_left - media_left + (6 - inset - width / 2) * 72)
    y = round(top - (trim_bottom + (inset + height / 2) * 72))
    assert picture.getpixel((x, y)) == (255, 255, 255)


# --- what metadata.yaml says about the cover -------------------------------------------------


@pytest.mark.parametrize("lines, expected", [
    ("print: {paper: glossy}\n", "metadata.yaml:4:9: error: `paper: glossy` must be one of white, cream, color"),
    ("print: {paper_thickness: 0.5}\n", "metadata.yaml:4:9: error: `paper_thickness: 0.5` must be the inches a page"),
    ("print: {price_code: 5199}\n", "metadata.yaml:4:9: error: `price_code: 5199` must be five digits"),
    ("print: {price_code: 05000}\n", "metadata.yaml:4:9: error: `price_code: 2560` must be five digits, in quotes"),
    ("cover_text: maybe\n", "metadata.yaml:4:1: error: `cover_text` must be true or false"),
    ("print: {target: ingramspark}\n", "metadata.yaml:4:9: warning: ingramspark publishes its paper thickness only"),
])
def test_the_cover_keys_are_checked_where_they_are_written(tmp_path, lines, expected):
    book = tmp_path / "book"
    (book / "manuscript").mkdir(parents=True)
    (book / "metadata.yaml").write_text(f"title: T\nauthor: A\nlanguage: en\n{lines}", encoding="utf-8")
    (book / "manuscript" / "001-one.md").write_text("---\ntitle: One\n---\n\nText.\n", encoding="utf-8")
    done = run_build("check", "--book", book)
    assert expected in done.stderr, done.stderr
    assert done.returncode == (0 if ": warning: " in expected else 1)


def test_paper_thickness_in_millimetres_and_given_for_any_target(tmp_path):
    from bookbuild.editions.cover import cover_geometry
    from bookbuild.metadata import load_metadata

    book = tmp_path / "book"
    book.mkdir()
    (book / "metadata.yaml").write_text("title: T\nauthor: A\nlanguage: en\ndate: 2026-01-02\nprint: {target: kdp, paper_thickness: 0.0635mm}\n")
    metadata, problems = load_metadata(book)
    assert problems == []
    assert math.isclose(cover_geometry(metadata.print, 200).spine, 200 * 0.0635 / 25.4, abs_tol=1e-6)


def test_cover_text_sets_the_title_over_the_picture_in_print_and_in_the_epub(tmp_path):
    """With ``cover_text: true``, the print front carries the title and authors as text over
    the picture, and the EPUB's cover image is the picture with them drawn on it."""
    import weasyprint  # noqa: F401
    from PIL import Image

    from bookbuild.editions.cover import make_cover
    from bookbuild.editions.epub import cover_image
    from bookbuild.pipeline import check

    book = write_book(tmp_path / "book", "kdp", extra="cover: manuscript/images/front.png\ncover_text: true\n")
    (book / "manuscript" / "images").mkdir()
    picture = Image.new("RGB", (1900, 2850), (40, 120, 200))  # a picture without words: plain blue
    picture.save(book / "manuscript" / "images" / "front.png")
    resolved = check(book)
    boxes, _ = glyph_boxes(make_cover(resolved, 100).pdf)
    front = "".join(c for c, box in boxes if box[0] > 6 + 100 * KDP_PAPER["white"])
    assert "TheCoverTest" in front and "AdaLane" in front
    data, media_type = cover_image(resolved)
    assert media_type == "image/png"
    with Image.open(io.BytesIO(data)) as drawn:
        colours = {colour for _, colour in drawn.convert("RGB").getcolors(1 << 20)}
    assert (40, 120, 200) in colours and len(colours) > 10  # the picture, and the title drawn over it
    plain_book = write_book(tmp_path / "plain", "kdp", extra="cover: manuscript/images/front.png\n")
    (plain_book / "manuscript" / "images").mkdir()
    picture.save(plain_book / "manuscript" / "images" / "front.png")
    plain = check(plain_book)
    assert cover_image(plain)[0] == (tmp_path / "plain" / "manuscript" / "images" / "front.png").read_bytes()

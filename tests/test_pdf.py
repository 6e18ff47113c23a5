"""The print and screen PDFs: boxes, recto chapter starts, links, bookmarks, and
"page N" numbers that agree with the pages their targets are on."""

import re

import pikepdf
import pytest
from conftest import pdf_destinations, pdf_link_targets, pdf_page_texts

POINTS_PER_INCH = 72


def boxes(pdf):
    with pikepdf.open(pdf) as document:
        page = document.pages[0]
        return {name: [float(v) for v in page.obj[name]] for name in ("/MediaBox", "/TrimBox", "/BleedBox") if name in page.obj}


def test_print_pdf_has_trim_and_bleed_boxes(refs):
    found = boxes(refs.print_pdf)
    bleed = 0.125 * POINTS_PER_INCH
    assert found["/TrimBox"] == [0, 0, 5 * POINTS_PER_INCH, 8 * POINTS_PER_INCH]
    assert found["/BleedBox"] == [-bleed, -bleed, 5 * POINTS_PER_INCH + bleed, 8 * POINTS_PER_INCH + bleed]
    assert found["/MediaBox"] == found["/BleedBox"]


def test_screen_pdf_is_the_trim_size_without_bleed(refs):
    found = boxes(refs.screen_pdf)
    assert found["/MediaBox"] == [0, 0, 5 * POINTS_PER_INCH, 8 * POINTS_PER_INCH]
    assert found.get("/TrimBox", found["/MediaBox"]) == found["/MediaBox"]


@pytest.mark.parametrize("edition", ["print_pdf", "screen_pdf"])
def test_chapters_start_on_right_hand_pages(refs, edition):
    destinations = pdf_destinations(getattr(refs, edition))
    for chapter in ("c001", "c007", "c012"):
        assert destinations[chapter] % 2 == 1, (chapter, destinations[chapter])


@pytest.mark.parametrize("edition", ["print_pdf", "screen_pdf"])
def test_printed_page_numbers_are_the_pages_of_the_targets(refs, edition):
    pdf = getattr(refs, edition)
    texts = pdf_page_texts(pdf)
    destinations = pdf_destinations(pdf)
    expected = {
        "the seventh": "c007", "its ending": "c007-final-thoughts", "12. Twelfth": "c012",
        "12. Twelfth: Final thoughts": "c012-final-thoughts", "seven by wiki": "c007", "the start": "c001-start-here",
    }
    first_chapter = " ".join(texts[destinations["c001"] - 1: destinations["c001"] + 3])
    for text, anchor in expected.items():
        printed = re.search(re.escape(text) + r" \(page (\d+)\)", first_chapter)
        assert printed, f"no page number after {text!r}"
        assert int(printed.group(1)) == destinations[anchor], text
    # the pages really hold what they are said to hold
    assert "seventh chapter’s final thoughts" in texts[destinations["c007-final-thoughts"] - 1]
    assert "twelfth chapter’s final thoughts" in texts[destinations["c012-final-thoughts"] - 1]
    assert destinations["c007-final-thoughts"] != destinations["c007"]  # on a later page than the opener


@pytest.mark.parametrize("edition", ["print_pdf", "screen_pdf"])
def test_cross_references_are_working_links(refs, edition):
    pdf = getattr(refs, edition)
    destinations = pdf_destinations(pdf)
    from_first = pdf_link_targets(pdf)[destinations["c001"]]
    assert {"c007", "c007-final-thoughts", "c012", "c012-final-thoughts"} <= from_first


def test_contents_page_numbers_match_the_chapters(refs):
    texts = pdf_page_texts(refs.print_pdf)
    destinations = pdf_destinations(refs.print_pdf)
    contents = texts[destinations["front-contents"] - 1]
    for title, anchor in (("1. First", "c001"), ("7. Seventh", "c007"), ("12. Twelfth", "c012")):
        printed = re.search(re.escape(title) + r"[ .]*?(\d+)\b", contents)
        assert printed and int(printed.group(1)) == destinations[anchor], (title, contents)


@pytest.mark.parametrize("edition", ["print_pdf", "screen_pdf"])
def test_bookmarks_nest_sections_under_chapters(refs, edition):
    with pikepdf.open(getattr(refs, edition)) as document, document.open_outline() as outline:
        tree = {item.title: [child.title for child in item.children] for item in outline.root}
    assert tree["1. First"] == ["Start here", "Going back"]
    assert tree["7. Seventh"] == ["Final thoughts"]
    assert tree["12. Twelfth"] == ["Final thoughts"]


def test_footnote_is_on_the_page_of_its_call(refs):
    texts = pdf_page_texts(refs.print_pdf)
    page = pdf_destinations(refs.print_pdf)["c001-fnref1"]
    assert "The footnote of the first chapter." in texts[page - 1]


def test_sample_book_pdfs(sample):
    for pdf in (sample.print_pdf, sample.screen_pdf):
        texts = pdf_page_texts(pdf)
        assert len(texts) > 20
        assert any("Let some of them go" in text for text in texts)
    # web links print their address in a footnote in print, and stay links on screen
    assert any("https://www.rhs.org.uk/" in text for text in pdf_page_texts(sample.print_pdf))


@pytest.mark.parametrize("edition", ["print_pdf", "screen_pdf"])
def test_fonts_are_embedded(refs, edition):
    with pikepdf.open(getattr(refs, edition)) as document:
        fonts = {}
        for page in document.pages:
            for font in page.Resources.get("/Font", {}).values():
                descriptor = font.DescendantFonts[0].FontDescriptor if "/DescendantFonts" in font else font.FontDescriptor
                fonts[str(font.BaseFont)] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all(fonts.values()), fonts
    assert any("Source-Serif-Pro" in name for name in fonts)

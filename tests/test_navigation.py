"""What a reader finds to move about the book, besides the contents: the EPUB's landmarks,
the generated "Image credits" page, and footnotes numbered from 1 in each chapter, in
every edition."""

from __future__ import annotations

import re

import pytest
from conftest import XHTML, epub_names, epub_spine, epub_xhtml, pdf_destinations, pdf_page_labels, pdf_page_texts, text_of

from footnotes import footnotes_by_page

EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def landmarks(epub) -> list[tuple[str, str, str]]:
    nav = epub_xhtml(epub, "nav.xhtml")
    found = [n for n in nav.iter(f"{XHTML}nav") if n.get(EPUB_TYPE) == "landmarks"]
    assert len(found) == 1, "the navigation document has no landmarks"
    return [(a.get(EPUB_TYPE), a.get("href"), text_of(a)) for a in found[0].iter(f"{XHTML}a")]


@pytest.mark.parametrize("book, first_chapter", [("refs", "c001.xhtml"), ("sample", "c001.xhtml")])
def test_landmarks_lead_to_the_cover_the_contents_and_the_first_chapter(book, first_chapter, request):
    epub = request.getfixturevalue(book).epub
    found = landmarks(epub)
    kinds = {kind: href for kind, href, _ in found}
    assert kinds["cover"] == "cover.xhtml" and kinds["toc"] == "nav.xhtml#toc"
    assert kinds["bodymatter"] == first_chapter  # where reading starts: the first chapter, after the front matter
    assert first_chapter == next(name for name in epub_spine(epub) if re.fullmatch(r"c\d+\.xhtml", name))
    cover = epub_xhtml(epub, "cover.xhtml")
    assert any(img.get("src") for img in cover.iter(f"{XHTML}img")), "the cover landmark leads to no picture"
    for kind, href, text in found:  # every landmark leads somewhere in the package
        name, _, fragment = href.partition("#")
        assert f"EPUB/{name}" in epub_names(epub), (kind, href)
        if fragment:
            assert any(el.get("id") == fragment for el in epub_xhtml(epub, name).iter()), (kind, href)
        assert text, kind


# --- the Image credits page ------------------------------------------------------------------

CREDIT = "Illustration by Marigold Ashcombe, generated for this book"  # chapter 1 of the sample


def test_image_credits_close_the_back_matter_of_the_epub(sample):
    spine = epub_spine(sample.epub)
    assert spine[-1] == "back-image-credits.xhtml" and spine[-2].startswith("back-")
    page = epub_xhtml(sample.epub, "back-image-credits.xhtml")
    assert text_of(next(page.iter(f"{XHTML}h1"))) == "Image credits"
    assert [text_of(li) for li in page.iter(f"{XHTML}li")] == [f"1. Water less than you think: {CREDIT}"]
    toc = next(n for n in epub_xhtml(sample.epub, "nav.xhtml").iter(f"{XHTML}nav") if n.get("id") == "toc")
    assert ("back-image-credits.xhtml", "Image credits") in [(a.get("href"), text_of(a)) for a in toc.iter(f"{XHTML}a")]


@pytest.mark.parametrize("edition", ["print_pdf", "screen_pdf"])
def test_image_credits_close_the_back_matter_of_the_pdfs(sample, edition):
    pdf = getattr(sample, edition)
    texts, labels, destinations = pdf_page_texts(pdf), pdf_page_labels(pdf), pdf_destinations(pdf)
    page = destinations["back-image-credits"]
    assert texts[page - 1].startswith("Image credits") and CREDIT in texts[page - 1]
    assert page > destinations["back-01-about-the-author"]
    assert all(not text for text in texts[page:]), "something follows the Image credits page"
    contents = texts[destinations["front-contents"] - 1]
    assert re.search(r"Image credits[ .]*" + labels[page - 1] + r"\b", contents), contents


def test_a_book_without_credits_has_no_credits_page(refs):
    assert "EPUB/back-image-credits.xhtml" not in epub_names(refs.epub)
    assert "back-image-credits" not in pdf_destinations(refs.print_pdf)
    assert not any("Image credits" in text for text in pdf_page_texts(refs.print_pdf))


# --- footnotes numbered from 1 in each chapter ---------------------------------------------------


def epub_note_numbers(epub) -> dict[str, list[int]]:
    """Each chapter's note calls, in reading order, as numbers (their text)."""
    found = {}
    for name in epub_spine(epub):
        if re.fullmatch(r"c\d+\.xhtml", name):
            calls = [a for a in epub_xhtml(epub, name).iter(f"{XHTML}a") if a.get(EPUB_TYPE) == "noteref"]
            if calls:
                found[name.removesuffix(".xhtml")] = [int(text_of(a)) for a in calls]
    return found


def test_epub_footnotes_are_numbered_from_one_in_each_chapter(long_book):
    numbers = epub_note_numbers(long_book.epub)
    assert len(numbers) > 10
    for chapter, calls in numbers.items():
        assert calls == list(range(1, len(calls) + 1)), chapter


def test_pdf_footnotes_are_numbered_from_one_in_each_chapter(long_book):
    """The calls in the text and the markers at the foot of the print edition's pages,
    read from what is drawn, grouped by the part whose pages they are on. The PDFs have
    the EPUB's notes and, besides, a note for each web address."""
    in_the_epub = epub_note_numbers(long_book.epub)
    destinations = pdf_destinations(long_book.print_pdf)
    starts = sorted((page, anchor) for anchor, page in destinations.items() if re.fullmatch(r"c\d+|back-.*|front-.*", anchor))
    part_of_page = {}
    for (first, anchor), (following, _) in zip(starts, starts[1:] + [(10**6, "")]):
        for page in range(first, following):
            part_of_page[page] = anchor
    calls: dict[str, list[int]] = {}
    markers: dict[str, list[int]] = {}
    for page in footnotes_by_page(long_book.print_pdf):
        calls.setdefault(part_of_page[page.page], []).extend(page.calls)
        markers.setdefault(part_of_page[page.page], []).extend(page.markers)
    numbered = {part: found for part, found in markers.items() if found}
    assert set(in_the_epub) <= set(numbered) and len(numbered) > 10
    for part, found in numbered.items():
        assert found == list(range(1, len(found) + 1)) == calls[part], part
        assert len(found) >= len(in_the_epub.get(part, ())), part

"""Printed page numbers are filled into the laid-out pages: an edit that moves another
chapter changes the digits of "(page N)" and of the contents, and nothing else on those
pages; no chapter is laid out again for it."""

from __future__ import annotations

import re
import shutil

import pikepdf
import pypdfium2
from conftest import copy_sample, pdf_destinations, pdf_page_labels, pdf_page_texts, run_build

from drawn import render_mismatches

FAMILY = "Bookbuild Page Numbers"


def build(book, out):
    done = run_build("--book", book, "--out", out)
    assert done.returncode == 0, done.stderr
    return done


def pages_of(pdf_path, anchor: str, count: int) -> list[int]:
    first = pdf_destinations(pdf_path)[anchor] - 1
    return list(range(first, first + count))


def instructions(pdf: pikepdf.Pdf, index: int):
    return pikepdf.parse_content_stream(pdf.pages[index])


def number_fonts(page: pikepdf.Page) -> set[str]:
    return {name for name, font in page.Resources.get("/Font", {}).items()
            if str(font.DescendantFonts[0].FontDescriptor.get("/FontFamily", "")) == FAMILY}


def test_an_edit_that_moves_a_chapter_changes_only_the_numbers_that_point_at_it(tmp_path):
    book = copy_sample(tmp_path / "book")
    before = tmp_path / "before"
    build(book, before)
    pdf_name = next(p.name for p in before.iterdir() if p.name.endswith("-screen.pdf"))
    twelve = book / "manuscript" / "012-repot-only-when-asked.md"
    twelve.write_text(twelve.read_text() + "\n\n" + "\n\n".join(
        "A paragraph added to push the chapters after this one two pages further on, "
        "so that every reference to them prints another page number. " * 4 for _ in range(6)) + "\n")
    after = tmp_path / "after"
    again = build(book, after)
    assert re.search(r"PDF: laid out 1 of \d+ parts \(1 round", again.stdout), again.stdout  # chapter 12 alone

    old, new = before / pdf_name, after / pdf_name
    moved = pdf_destinations(new)["c045"] - pdf_destinations(old)["c045"]
    assert moved == 2
    old_labels, new_labels = pdf_page_labels(old), pdf_page_labels(new)
    old_45 = old_labels[pdf_destinations(old)["c045"] - 1]
    new_45 = new_labels[pdf_destinations(new)["c045"] - 1]
    assert len(old_45) == len(new_45) and old_45 != new_45
    with pikepdf.open(old) as first, pikepdf.open(new) as second:
        chapter_one = pages_of(old, "c001", pdf_destinations(old)["c002"] - pdf_destinations(old)["c001"])
        changed = 0
        for index in chapter_one:
            fonts = number_fonts(second.pages[index])
            font = None
            for (a_operands, a_op), (b_operands, b_op) in zip(instructions(first, index), instructions(second, index), strict=True):
                if str(b_op) == "Tf":
                    font = str(b_operands[0])
                if (a_operands, str(a_op)) == (b_operands, str(b_op)):
                    continue
                # The one thing allowed to differ: the glyphs of a page number.
                assert str(a_op) == str(b_op) == "TJ" and font in fonts, (index, a_operands, b_operands)
                changed += 1
        assert changed >= 1  # "(page 15)" for [[45]] in chapter 1 is now "(page 17)"
    document = pypdfium2.PdfDocument(str(new))
    texts = [" ".join(document[index].get_textpage().get_text_range().split()) for index in chapter_one]
    assert any(f"(page {new_45})" in text for text in texts), texts


def test_the_filled_in_pages_draw_what_their_segments_hold(tmp_path):
    """After an edit that fills numbers in, every page of both PDFs still draws what the
    (filled-in) segment in the cache draws: render truth holds through the edit."""
    from test_drawn import LIKENESS, TEXT_AREA, text_segments

    book = copy_sample(tmp_path / "book")
    build(book, book / "dist")
    twelve = book / "manuscript" / "012-repot-only-when-asked.md"
    twelve.write_text(twelve.read_text() + "\n\n" + "More words to move the chapters after this one. " * 60 + "\n")
    build(book, book / "dist")

    class Built:
        out = book / "dist"

    segments = text_segments(Built)
    for edition in ("print", "screen"):
        pdf = next((book / "dist").glob(f"*-{edition}.pdf"))
        problems, _ = render_mismatches(pdf, segments, TEXT_AREA, LIKENESS[f"{edition}_pdf"], tmp_path)
        assert problems == []


def test_numbers_filled_in_give_the_bytes_of_a_clean_build_whatever_the_jobs(tmp_path):
    """An edit that fills numbers in, a clean build of the edited book, and clean builds on
    one worker and on two: the same bytes, every edition."""
    book = copy_sample(tmp_path / "book")
    build(book, tmp_path / "first")
    twelve = book / "manuscript" / "012-repot-only-when-asked.md"
    twelve.write_text(twelve.read_text() + "\n\n" + "More words to move the chapters after this one. " * 60 + "\n")
    build(book, tmp_path / "incremental")
    for jobs in ("1", "2"):
        shutil.rmtree(book / ".cache")
        done = run_build("--book", book, "--out", tmp_path / f"clean-{jobs}", "--jobs", jobs)
        assert done.returncode == 0, done.stderr
    editions = sorted(p.name for p in (tmp_path / "incremental").iterdir() if p.suffix in (".pdf", ".epub"))
    assert len(editions) == 4  # the print cover too
    for name in editions:
        incremental = (tmp_path / "incremental" / name).read_bytes()
        assert incremental == (tmp_path / "clean-1" / name).read_bytes() == (tmp_path / "clean-2" / name).read_bytes(), name


def test_printed_page_numbers_past_100_are_the_pages_of_their_targets(long_book):
    """The long book (249 pages): every "(page N)" of a cross-reference and every page number
    of the contents is the folio of the page its target is on, three-digit ones too (a number
    that gains a digit, 99 to 100, must not print cut short). The words under each link of the
    screen PDF, as PDFium reads them, against the page of the link's destination; the print PDF
    prints the same numbers in the same order."""
    labels = pdf_page_labels(long_book.screen_pdf)
    destinations = pdf_destinations(long_book.screen_pdf)
    document = pypdfium2.PdfDocument(str(long_book.screen_pdf))
    compared = []
    with pikepdf.open(long_book.screen_pdf) as pdf:
        for index, page in enumerate(pdf.pages):
            for annotation in page.obj.get("/Annots", []):
                if "/Dest" not in annotation:
                    continue
                left, bottom, right, top = (float(value) for value in annotation.Rect)
                words = " ".join(document[index].get_textpage().get_text_bounded(left, bottom, right, top).split())
                printed = re.search(r"\(page (\w+)\)$", words) or re.search(r"(?:\. ){3,}(\w+)$", words)  # or the contents' leader
                if printed:
                    compared.append((printed.group(1), labels[destinations[str(annotation.Dest)] - 1], words))
    assert all(number == target for number, target, _ in compared), [c for c in compared if c[0] != c[1]]
    three_digits = [number for number, _, _ in compared if len(number) == 3 and number.isdigit()]
    assert len(three_digits) >= 40 and len(compared) >= 120, (len(three_digits), len(compared))
    screen, print_ = (re.findall(r"\(page (\w+)\)", " ".join(pdf_page_texts(pdf)))
                      for pdf in (long_book.screen_pdf, long_book.print_pdf))
    assert print_ == screen and len(screen) >= 90

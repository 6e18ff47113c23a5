"""The cache in <book>/.cache: rebuilds give exactly what a clean build gives."""

import re
import shutil
import zipfile

import pytest
from conftest import copy_book, pdf_destinations, pdf_page_labels, pdf_page_texts, run_build

EDITIONS = ("cross-references.epub", "cross-references-print.pdf", "cross-references-screen.pdf")


@pytest.fixture
def book(tmp_path):
    copy = tmp_path / "book"
    return copy_book("refs", copy)


def build(book, out):
    done = run_build("--book", book, "--out", out)
    assert done.returncode == 0, done.stderr
    return {path.name: path.read_bytes() for path in out.iterdir()}


def test_an_edited_chapter_rebuilds_to_the_bytes_of_a_clean_build(book, tmp_path):
    build(book, tmp_path / "first")
    assert (book / ".cache" / "parse").is_dir()
    chapter = book / "manuscript" / "0012-twelfth.md"
    chapter.write_text(chapter.read_text().replace("which are not the seventh's", "which are not, at all, the seventh's"))
    rebuilt = build(book, tmp_path / "rebuilt")
    shutil.rmtree(book / ".cache")
    clean = build(book, tmp_path / "clean")
    assert rebuilt == clean
    assert b"not, at all" in zipfile.ZipFile(tmp_path / "clean" / EDITIONS[0]).read("EPUB/c012.xhtml")


def test_an_edit_lays_out_only_its_own_chapter_again(book, tmp_path):
    first = run_build("--book", book, "--out", tmp_path / "first")
    parts = int(re.search(r"PDF: laid out (\d+) of \1 parts", first.stdout).group(1))
    assert parts == 4  # the front matter and three chapters, each laid out once
    chapter = book / "manuscript" / "0012-twelfth.md"
    chapter.write_text(chapter.read_text().replace("which are not the seventh's", "which are not the seventh one's"))
    again = run_build("--book", book, "--out", tmp_path / "again")
    assert f"PDF: laid out 1 of {parts} parts (1 round for page numbers)" in again.stdout, again.stdout
    unchanged = run_build("--book", book, "--out", tmp_path / "unchanged")
    assert "nothing changed since the last build" in unchanged.stdout


def test_a_no_op_rebuild_writes_the_same_bytes(book, tmp_path):
    assert build(book, tmp_path / "a") == build(book, tmp_path / "b")


def test_metadata_and_theme_changes_reach_the_editions(book, tmp_path):
    build(book, tmp_path / "before")
    metadata = book / "metadata.yaml"
    metadata.write_text(metadata.read_text().replace("date: 2026-01-02", "date: 2026-03-04"))
    (book / "styles").mkdir()
    (book / "styles" / "book.css").write_text(".part-title { letter-spacing: 0.02em; }\n")
    build(book, tmp_path / "after")
    with zipfile.ZipFile(tmp_path / "after" / EDITIONS[0]) as epub:
        assert "2026-03-04" in epub.read("EPUB/content.opf").decode()
        assert "letter-spacing: 0.02em" in epub.read("EPUB/style/book.css").decode()


def test_pdf_styles_and_title_changes_reach_laid_out_chapters(book, tmp_path):
    """Chapters' layouts are cached: the book's own pdf.css and its title must reach them."""
    (book / "styles").mkdir()
    (book / "styles" / "pdf.css").write_text("/* the theme as it is */\n")
    build(book, tmp_path / "before")
    (book / "styles" / "pdf.css").write_text('a.xref::after { content: " (see page " attr(data-page) ")"; }\n')
    build(book, tmp_path / "restyled")
    assert "(see page " in " ".join(pdf_page_texts(tmp_path / "restyled" / EDITIONS[1]))
    metadata = book / "metadata.yaml"
    metadata.write_text(metadata.read_text().replace("title: Cross references", "title: Crossed wires"))
    build(book, tmp_path / "retitled")
    texts = " ".join(pdf_page_texts(tmp_path / "retitled" / "crossed-wires-print.pdf"))
    assert "Crossed wires" in texts and "Cross references" not in texts  # running heads, title pages


def test_page_references_follow_an_edit_that_moves_later_chapters(book, tmp_path):
    build(book, tmp_path / "before")
    before = pdf_destinations(tmp_path / "before" / EDITIONS[1])["c012"]
    chapter = book / "manuscript" / "07-seventh.md"
    extra = "\n\n".join(f"An added paragraph {n}, long enough to need most of a line or two on the page "
                        f"so that the chapters after this one move on by a few pages." for n in range(40))
    chapter.write_text(chapter.read_text().replace("## Final thoughts", extra + "\n\n## Final thoughts"))
    build(book, tmp_path / "after")
    pdf = tmp_path / "after" / EDITIONS[1]
    destinations, labels = pdf_destinations(pdf), pdf_page_labels(pdf)
    assert destinations["c012"] > before
    first = " ".join(pdf_page_texts(pdf)[destinations["c001"] - 1: destinations["c001"] + 2])
    printed = re.search(r"12\. Twelfth \(page (\w+)\)", first).group(1)
    assert printed == labels[destinations["c012"] - 1]

"""Promises of the README without a test elsewhere: metadata.yaml's keys in the EPUB, the
modification date, section levels, link texts filled in, the "In this chapter" list,
a book's styles that would load files, and the book folder taken from the current
folder. Judged from the EPUB a reader gets and the lines an author reads."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest
from conftest import REPO, XHTML, epub_xhtml, run_build, text_of

DC = "{http://purl.org/dc/elements/1.1/}"
OPF = "{http://www.idpf.org/2007/opf}"


def test_metadata_reaches_the_epub(sample):
    """The sample's metadata.yaml, key by key, in the package document readers and shops read."""
    opf = epub_xhtml(sample.epub, "content.opf")
    values = {}
    for element in opf.iter():
        if isinstance(element.tag, str) and element.tag.startswith(DC):
            values.setdefault(element.tag[len(DC):], []).append(text_of(element))
    assert values["subject"] == ["Houseplants", "Indoor gardening", "Container gardening", "Humour"]
    assert values["publisher"] == ["Potting Shed Press"]
    assert values["rights"] == ["© 2026 Marigold Ashcombe. All rights reserved."]
    assert values["description"][0].startswith("A friendly, practical and occasionally embarrassing field guide")
    assert values["date"][0].startswith("2026-11-01")
    assert values["language"] == ["en-GB"] and values["creator"] == ["Marigold Ashcombe"]
    modified = [m.text for m in opf.iter(f"{OPF}meta") if m.get("property") == "dcterms:modified"]
    assert modified == ["2026-11-01T00:00:00Z"]  # the book's date: rebuilding gives the same bytes


BOOK = {
    "metadata.yaml": "title: Choices\nauthor: Cho Ices\nlanguage: en-GB\ndate: 2026-02-03\n",
    "manuscript/front/01-foreword.md": "---\ntitle: A few words first\n---\n\nBefore anything.\n",
    "manuscript/001-first.md": """---
title: First
contents: true
---

# Top level

See [](#top-level), [](#below) and [](front/01-foreword.md).

## Below

Text.

# Another top

Text.
""",
    "manuscript/002-second.md": "---\ntitle: Second\n---\n\n## Second level only\n\nText.\n\n### Third\n\nText.\n",
}


@pytest.fixture(scope="module")
def choices(tmp_path_factory):
    book = tmp_path_factory.mktemp("choices") / "book"
    for path, text in BOOK.items():
        (book / path).parent.mkdir(parents=True, exist_ok=True)
        (book / path).write_text(text, encoding="utf-8")
    done = run_build("--book", book, "--formats", "epub")
    assert done.returncode == 0, done.stderr
    return book / "dist" / "choices.epub"


def headings(epub, document: str) -> list[tuple[str, str]]:
    body = epub_xhtml(epub, document)
    return [(el.tag[len(XHTML):], text_of(el)) for el in body.iter() if el.tag in {f"{XHTML}h{n}" for n in range(1, 7)}
            and not any(a.tag == f"{XHTML}nav" for a in el.iterancestors())]


def test_the_chapter_title_is_the_only_h1_and_the_bodys_highest_level_is_h2(choices):
    assert headings(choices, "c001.xhtml") == [("h1", "1 First"), ("h2", "Top level"), ("h3", "Below"), ("h2", "Another top")]
    assert headings(choices, "c002.xhtml") == [("h1", "2 Second"), ("h2", "Second level only"), ("h3", "Third")]


def test_empty_links_show_the_heading_or_the_parts_title(choices):
    links = [(a.get("href"), text_of(a)) for a in epub_xhtml(choices, "c001.xhtml").iter(f"{XHTML}a")
             if a.get("class") == "xref"]
    assert links == [("#c001-top-level", "Top level"), ("#c001-below", "Below"),
                     ("front-01-foreword.xhtml#front-01-foreword", "A few words first")]


def test_contents_true_lists_the_chapters_sections(choices):
    chapter = epub_xhtml(choices, "c001.xhtml")
    (listing,) = [nav for nav in chapter.iter(f"{XHTML}nav") if "in-this-chapter" in nav.get("class", "")]
    assert "In this chapter" in text_of(listing)
    assert [(a.get("href"), text_of(a)) for a in listing.iter(f"{XHTML}a")] == [
        ("#c001-top-level", "Top level"), ("#c001-another-top", "Another top")]
    assert not [nav for nav in epub_xhtml(choices, "c002.xhtml").iter(f"{XHTML}nav")]  # only where asked


def modified(epub) -> str:
    opf = epub_xhtml(epub, "content.opf")
    return next(m.text for m in opf.iter(f"{OPF}meta") if m.get("property") == "dcterms:modified")


def build_epub_dated(book, out, epoch: str) -> zipfile.Path:
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "--book", str(book), "--out", str(out),
                           "--formats", "epub"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "SOURCE_DATE_EPOCH": epoch})
    assert done.returncode == 0, done.stderr
    return out / "choices.epub"


def test_source_date_epoch_sets_the_date_the_editions_carry(choices, tmp_path):
    assert modified(choices) == "2026-02-03T00:00:00Z"  # the book's date
    book = tmp_path / "book"
    shutil.copytree(choices.parent.parent, book, ignore=shutil.ignore_patterns(".cache", "dist"))
    epub = build_epub_dated(book, tmp_path / "out", "1700000000")
    assert modified(epub) == "2023-11-14T22:13:20Z"
    with zipfile.ZipFile(epub) as archive:
        assert {info.date_time[:3] for info in archive.infolist()} == {(2023, 11, 14)}


def test_a_rebuild_with_another_source_date_epoch_carries_that_date(choices, tmp_path):
    """The same book folder, its cache made by a build without SOURCE_DATE_EPOCH: deleting
    .cache must change nothing but the time."""
    epub = build_epub_dated(choices.parent.parent, tmp_path / "out", "1700000000")
    assert modified(epub) == "2023-11-14T22:13:20Z"


def test_a_books_styles_may_not_load_files(tmp_path):
    book = tmp_path / "book"
    for path, text in BOOK.items():
        (book / path).parent.mkdir(parents=True, exist_ok=True)
        (book / path).write_text(text, encoding="utf-8")
    (book / "styles").mkdir()
    (book / "styles" / "book.css").write_text('p { margin: 0; }\n@import url("more.css");\nh2 { background: url(x.png); }\n')
    done = run_build("check", "--book", book)
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if ": error: " in line]
    assert [line.split(": error: ")[0] for line in errors] == ["styles/book.css:2:1", "styles/book.css:2:9", "styles/book.css:3:18"]
    assert "`@import`: a book's styles may not load other files" in errors[0]


def test_the_book_is_the_current_folder_unless_given(choices):
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "check"], cwd=choices.parent.parent,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"book: 2 chapters, no errors; what only the layout shows .* is checked by a build\n", done.stdout)

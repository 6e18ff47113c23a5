"""An edit finishes only what it changed, and nothing a change touched is taken from the
cache: each segment's finished pages (press-ready and screen-ready, read for the preflight
as they were finished) are kept under a key of everything that made them.

The counts are what the build says it did ("laid out 1 of 4 parts, finished and
preflighted 1 (4 pages) for print ..."), checked against the cache's entries and the
pages of the PDFs; whether anything stale was reused is judged by the bytes: every
incremental build here gives the editions a clean build of the same book gives, on one
worker, without a cache.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, copy_book, pdf_destinations, pdf_page_texts

FORMATS = ("--formats", "print,screen")  # the EPUB has no finished pages: left out, for time
SUMMARY = re.compile(r"PDF: laid out (\d+) of (\d+) parts .*, finished and preflighted (\d+) \((\d+) pages\) for print "
                     r"and (\d+) \((\d+) pages\) for the screen")


def build(book: Path, out: Path, *extra: str, env: dict | None = None) -> dict[str, int]:
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "--book", str(book), "--out", str(out), *FORMATS, *extra],
                          capture_output=True, text=True, timeout=600, cwd=REPO,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})})
    assert done.returncode == 0, done.stderr
    found = SUMMARY.search(done.stdout)
    assert found, done.stdout
    names = ("laid out", "parts", "print", "print pages", "screen", "screen pages")
    return dict(zip(names, map(int, found.groups())))


def entries(book: Path, kind: str) -> set[str]:
    folder = book / ".cache" / kind
    return {entry.name for entry in folder.iterdir()} if folder.is_dir() else set()


def editions(out: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(out.glob("*.pdf"))}


def clean_build_of(book: Path, tmp_path: Path, env: dict | None = None) -> dict[str, bytes]:
    """The editions a clean build of ``book`` as it is now gives: a copy without its cache, one worker."""
    copy = tmp_path / "clean-copy"
    shutil.copytree(book, copy, ignore=shutil.ignore_patterns(".cache", "dist"))
    build(copy, tmp_path / "clean-out", "--jobs", "1", env=env)
    return editions(tmp_path / "clean-out")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """tests/books/refs, built once with its cache, for each test to copy."""
    book = copy_book("refs", tmp_path_factory.mktemp("incremental") / "book")
    build(book, book / "dist")
    return book


def copied(built: Path, to: Path) -> Path:
    shutil.copytree(built, to, symlinks=True)
    return to


def test_an_edit_finishes_and_reads_for_the_preflight_only_its_own_segment(built, tmp_path):
    book = copied(built, tmp_path / "book")
    before = {kind: entries(book, kind) for kind in ("print-pages", "screen-pages")}
    first = book / "manuscript" / "1-first.md"
    first.write_text(first.read_text(encoding="utf-8").replace("It says little", "It says less", 1), encoding="utf-8")
    counts = build(book, book / "dist")
    # Chapter 1 alone, and every page of it read: as many as it has in the print edition.
    printed = next((book / "dist").glob("*-print.pdf"))
    places, texts = pdf_destinations(printed), pdf_page_texts(printed)
    end = places["c007"] - 1 - (texts[places["c007"] - 2] == "")  # (an empty page before chapter 7)
    chapter_pages = end - places["c001"] + 1
    assert counts["parts"] == 4 and chapter_pages >= 2  # the front matter, chapters 1, 7 and 12
    assert (counts["laid out"], counts["print"], counts["screen"]) == (1, 1, 1), counts
    assert counts["print pages"] == counts["screen pages"] == chapter_pages, counts
    for kind, earlier in before.items():
        now = entries(book, kind)
        assert len(now - earlier) == 1 and len(earlier - now) == 1 and len(now) == 4, kind  # one made, one forgotten
    assert editions(book / "dist") == clean_build_of(book, tmp_path)
    # Nothing the PDFs are made from changed since (--strict is not a layout's): nothing finished.
    again = build(book, tmp_path / "elsewhere", "--strict")
    assert (again["laid out"], again["print"], again["screen"]) == (0, 0, 0), again


def new_picture(book: Path) -> dict:
    from PIL import Image, ImageOps

    path = book / "manuscript" / "images" / "translucent.png"
    with Image.open(path) as picture:
        red, green, blue, alpha = picture.convert("RGBA").split()
    Image.merge("RGBA", (*ImageOps.invert(Image.merge("RGB", (red, green, blue))).split(), alpha)).save(path)
    return {}


def another_font(book: Path) -> dict:
    (book / "styles").mkdir(exist_ok=True)
    (book / "styles" / "pdf.css").write_text("p { font-family: monospace; }\n", encoding="utf-8")
    return {}


def another_style(book: Path) -> dict:
    (book / "styles").mkdir(exist_ok=True)
    (book / "styles" / "pdf.css").write_text("h2 { color: #0a6e3c; }\n", encoding="utf-8")
    return {}


def another_printer(book: Path) -> dict:
    metadata = book / "metadata.yaml"
    metadata.write_text(metadata.read_text(encoding="utf-8") + "  target: ingramspark\n", encoding="utf-8")
    return {}


def another_date(book: Path) -> dict:
    return {"SOURCE_DATE_EPOCH": "1798761600"}  # 2027-01-01


CHANGES = {
    # change: (what it does to the book, (laid out, finished for print, finished for the screen) at least)
    "an image": (new_picture, (1, 1, 1)),
    "a font": (another_font, (4, 4, 4)),
    "a style": (another_style, (4, 4, 4)),
    "the printer's target": (another_printer, (0, 4, 0)),
    "the date": (another_date, (4, 4, 4)),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_finished_pages_whose_inputs_changed_are_never_taken_from_the_cache(built, change, tmp_path):
    book = copied(built, tmp_path / "book")
    make_change, (laid_out, printed, screen) = CHANGES[change]
    env = make_change(book)
    counts = build(book, book / "dist", env=env)
    assert counts["laid out"] >= laid_out and counts["print"] >= printed and counts["screen"] >= screen, counts
    if change == "the printer's target":  # the screen edition does not depend on the printer
        assert (counts["laid out"], counts["screen"]) == (0, 0), counts
    assert editions(book / "dist") == clean_build_of(book, tmp_path, env)

"""What the author is told is true: `check` writes nothing, and agrees with the build.

The contract: "`check` reads the book and writes nothing anywhere. Whatever a build would
refuse, `check` refuses at the same line, except what only layout can find (it says so)."
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, copy_book


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every path under ``folder`` with its kind, mode, size, modification time and bytes."""
    found = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
        found[path.relative_to(folder).as_posix()] = (info.st_mode, info.st_size, info.st_mtime_ns, data)
    return found


def run_with_cache_home(cache_home: Path, *args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "build.py"), *map(str, args)], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "XDG_CACHE_HOME": str(cache_home), "PYTHONDONTWRITEBYTECODE": "1"})


@pytest.mark.parametrize("name", ["refs", "scripts", "hostile"])
def test_check_leaves_the_book_folder_byte_identical_and_writes_nowhere_else(tmp_path, name):
    """Before any build (no .cache, no secret of the user's), and after one (check reads its
    cache, and neither adds to it nor prunes it)."""
    book = copy_book(name, tmp_path / "book")
    cache_home = tmp_path / "cache-home"
    cache_home.mkdir()
    before = snapshot(book)
    checked = run_with_cache_home(cache_home, "check", "--book", book)
    assert checked.returncode == 0, checked.stderr
    assert snapshot(book) == before
    assert list(cache_home.iterdir()) == [], "check made the user's cache folder"
    built = run_with_cache_home(cache_home, "--book", book, "--out", tmp_path / "out", "--formats", "epub")
    assert built.returncode == 0, built.stderr
    assert (book / ".cache").is_dir()
    before = snapshot(book)
    secret = snapshot(cache_home)
    again = run_with_cache_home(cache_home, "check", "--book", book)
    assert (again.returncode, again.stdout, again.stderr) == (0, checked.stdout, checked.stderr)
    assert snapshot(book) == before
    assert snapshot(cache_home) == secret


# --- a heading that is an image ------------------------------------------------------------------

HEADINGS = """---
title: Logos
---

Our logos, each a heading of its own.

## ![The red square](images/square.png)

A section named by its picture.

## ![](images/square.png)

A heading with nothing to call it by.

##

An empty heading.
"""


def _square(path: Path) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (60, 40), (200, 30, 30)).save(path)


def test_a_heading_that_is_an_image_is_named_by_its_alt_text_or_refused_at_its_line(tmp_path):
    """An image-only heading once gave empty contents entries (nine EPUBCheck errors) while the
    build said it succeeded. Now it is named by its alt text; without alt text, or with no
    words at all, check and the build refuse it at its line, alike."""
    import pikepdf

    from conftest import epubcheck, epubcheck_summary, epub_xhtml, text_of

    book = tmp_path / "book"
    (book / "manuscript").mkdir(parents=True)
    (book / "metadata.yaml").write_text("title: Logos\nauthor: A\nlanguage: en\n", encoding="utf-8")
    _square(book / "manuscript" / "images" / "square.png")
    chapter = book / "manuscript" / "001-logos.md"
    chapter.write_text(HEADINGS, encoding="utf-8")
    expected = [
        "manuscript/001-logos.md:11:4: error: this heading is an image without alt text",
        "manuscript/001-logos.md:15:1: error: this heading has no words",
    ]
    checked = run_with_cache_home(tmp_path / "home", "check", "--book", book)
    built = run_with_cache_home(tmp_path / "home", "--book", book, "--out", tmp_path / "refused", "--formats", "epub")
    for process in (checked, built):
        assert process.returncode == 1
        errors = [line for line in process.stderr.splitlines() if ": error: " in line]
        assert len(errors) == 2 and all(line.startswith(start) for line, start in zip(errors, expected)), process.stderr
    assert not (tmp_path / "refused").exists()

    chapter.write_text(HEADINGS.split("## ![](images")[0], encoding="utf-8")
    out = tmp_path / "out"
    built = run_with_cache_home(tmp_path / "home", "--book", book, "--out", out, "--formats", "epub,screen")
    assert built.returncode == 0, built.stderr
    epub = next(out.glob("*.epub"))
    fatal, errors, warnings, messages = epubcheck_summary(epubcheck(epub))
    assert (fatal, errors, warnings) == (0, 0, 0), messages
    nav = epub_xhtml(epub, "nav.xhtml")
    entries = [text_of(a) for a in nav.iter("{http://www.w3.org/1999/xhtml}a")]
    assert "The red square" in entries and "" not in entries
    with pikepdf.open(next(out.glob("*-screen.pdf"))) as pdf, pdf.open_outline() as outline:
        titles = {item.title: [child.title for child in item.children] for item in outline.root}
    assert titles["1. Logos"] == ["The red square"]


# --- the EPUB's preflight, judged by EPUBCheck -----------------------------------------------------

def _rewritten(epub: bytes, change) -> bytes:
    """The EPUB with ``change({name: bytes})`` applied, written back as an EPUB is (mimetype first, stored)."""
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(epub)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    change(files)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), files.pop("mimetype"), compress_type=zipfile.ZIP_STORED)
        for name, data in files.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _replace_once(name: str, old: bytes, new: bytes):
    def change(files: dict[str, bytes]) -> None:
        assert old in files[name], (name, old)
        files[name] = files[name].replace(old, new, 1)
    return change


def _empty_first_nav_entry(files: dict[str, bytes]) -> None:
    import re

    files["EPUB/nav.xhtml"] = re.sub(rb'(<nav epub:type="toc".*?<a href="[^"]*">)[^<]*(</a>)', rb"\1\2", files["EPUB/nav.xhtml"], 1)


def _drop_an_image(files: dict[str, bytes]) -> None:
    del files[next(name for name in files if name.startswith("EPUB/media/") and "cover" not in name)]


# mutation -> (the change, what our preflight says). EPUBCheck must refuse each as well.
BROKEN_EPUBS = {
    "a navigation entry with no text": (_empty_first_nav_entry, "navigation entry with no text"),
    "a link to an id that is not there": (_replace_once("EPUB/c001.xhtml", b'href="#c001-', b'href="#nowhere-'),
                                          "to nothing in the book"),
    "a file of the manifest missing": (_drop_an_image, "in the manifest but not in the archive"),
    "a document the spine names that is not in the manifest": (
        _replace_once("EPUB/content.opf", b'<itemref idref="c001"', b'<itemref idref="c999"'), "naming no manifest item"),
    "an id used twice": (_replace_once("EPUB/c001.xhtml", b"</body>", b'<p id="twice">a</p><p id="twice">b</p></body>'),
                         "used twice in a document"),
    "a document that is not XML": (_replace_once("EPUB/c001.xhtml", b"</body>", b"<p></body>"), "not well-formed XHTML"),
}


def test_the_epubs_preflight_refuses_what_epubcheck_refuses(refs, tmp_path):
    """Each mutation of a good EPUB: EPUBCheck (the oracle) reports it, and so does the preflight
    that every build runs on its EPUB; the good EPUB passes both."""
    from concurrent.futures import ThreadPoolExecutor

    from conftest import epubcheck, epubcheck_summary

    from bookbuild.epub_preflight import preflight_epub

    good = refs.epub.read_bytes()
    assert preflight_epub(good, "good.epub").errors == []
    paths = {}
    for name, (change, _) in BROKEN_EPUBS.items():
        paths[name] = tmp_path / f"{len(paths)}.epub"
        paths[name].write_bytes(_rewritten(good, change))
    with ThreadPoolExecutor(2) as pool:
        verdicts = dict(zip(paths, pool.map(lambda path: epubcheck_summary(epubcheck(path)), paths.values())))
    for name, (_, says) in BROKEN_EPUBS.items():
        fatal, errors, warnings, messages = verdicts[name]
        assert fatal + errors + warnings > 0, f"EPUBCheck accepts {name}: the mutation is no test"
        found = preflight_epub(paths[name].read_bytes(), "broken.epub").errors
        assert len(found) == 1 and says in found[0], (name, found, messages)


@pytest.mark.parametrize("change, says", [
    (_replace_once("EPUB/c001.xhtml", b"</body>", b"<h2></h2></body>"), "1 heading with no text: EPUB/c001.xhtml#h2"),
    (_replace_once("EPUB/c001.xhtml", b"</body>", b'<h2><img src="media/generated-cover.png" alt=""/></h2></body>'),
     "1 heading with no text"),
    (_replace_once("EPUB/c001.xhtml", b"</body>", b'<p><img src="media/generated-cover.png"/></p></body>'),
     "1 image without an alt attribute"),
], ids=["empty heading", "heading of a decorative image", "image without alt"])
def test_the_epubs_preflight_refuses_what_ace_refuses(refs, change, says):
    """Ace's rules (empty-heading, image-alt), which EPUBCheck leaves alone."""
    from bookbuild.epub_preflight import preflight_epub

    found = preflight_epub(_rewritten(refs.epub.read_bytes(), change), "broken.epub").errors
    assert any(says in message for message in found), found

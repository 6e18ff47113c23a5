"""A manuscript imported from a blog: nothing that runs, embeds or submits reaches an edition."""

import re
import zipfile

import pikepdf
import pytest
from conftest import BOOKS, build_book, epubcheck, epubcheck_summary

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
ACTIVE = re.compile(rb"<script|<iframe|<object|<embed|<form|\bon(click|mouseover)=|javascript:", re.IGNORECASE)


@pytest.fixture(scope="session")
def hostile(tmp_path_factory):
    return build_book(BOOKS / "hostile", tmp_path_factory.mktemp("hostile"), "hostile")


def test_each_removal_is_reported_where_it_was_written(hostile):
    warnings = [line for line in hostile.process.stderr.splitlines() if ": warning: " in line]
    assert len(warnings) == len(REMOVALS), warnings
    for line, removal in zip(warnings, REMOVALS):
        assert line.startswith(f"manuscript/01-imported.md:{removal}"), (line, removal)


def test_no_active_content_in_the_epub(hostile):
    with zipfile.ZipFile(hostile.epub) as archive:
        for name in archive.namelist():
            if name.endswith((".xhtml", ".opf", ".css")):
                assert not ACTIVE.search(archive.read(name)), name
        chapter = archive.read("EPUB/c001.xhtml").decode()
    assert "Raw paragraph with a handler." in chapter and "The end." in chapter  # the text itself stays
    fatal, errors, warnings, messages = epubcheck_summary(epubcheck(hostile.epub))
    assert (fatal, errors, warnings) == (0, 0, 0), messages


@pytest.mark.parametrize("edition", ["print_pdf", "screen_pdf"])
def test_no_javascript_in_the_pdfs(hostile, edition):
    with pikepdf.open(getattr(hostile, edition)) as document:
        assert "/Names" not in document.Root or "/JavaScript" not in document.Root.Names
        assert "/OpenAction" not in document.Root
        for page in document.pages:
            for annotation in page.obj.get("/Annots", []):
                action = annotation.get("/A")
                assert action is None or action.get("/S") not in ("/JavaScript", "/Launch", "/SubmitForm")

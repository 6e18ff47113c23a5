"""Accessibility: Ace by DAISY on the real EPUBs, the metadata it relies on, alt text."""

import json
import os
import shutil
import subprocess

import pytest
from conftest import BOOKS, REPO, epub_xhtml, run_build

ACE = REPO / ".tools" / "node_modules" / ".bin" / "ace-cli"
CHROMIUM = shutil.which("chromium")
OPF = "{http://www.idpf.org/2007/opf}"


def ace_outcome(epub, out):
    if not ACE.exists():
        subprocess.run([str(REPO / "tools" / "install-ace.sh")], check=True, timeout=600)
    done = subprocess.run(
        [str(ACE), "-s", "-f", "-E", "-o", str(out), str(epub)],
        env={**os.environ, "PUPPETEER_EXECUTABLE_PATH": CHROMIUM}, capture_output=True, text=True, timeout=600,
    )
    report = json.loads((out / "report.json").read_text())
    failures = [
        (assertion["earl:testSubject"]["url"], test["earl:test"]["dct:title"])
        for assertion in report.get("assertions", [])
        for test in assertion.get("assertions", [])
        if test["earl:result"]["earl:outcome"] != "pass"
    ]
    return done.returncode, report["earl:result"]["earl:outcome"], failures


@pytest.mark.skipif(not (shutil.which("node") and CHROMIUM), reason="Ace needs node and chromium")
@pytest.mark.parametrize("book", ["sample", "refs"])
def test_ace_by_daisy_passes(book, request, tmp_path):
    built = request.getfixturevalue(book)
    code, outcome, failures = ace_outcome(built.epub, tmp_path / "ace")
    assert (code, outcome, failures) == (0, "pass", [])


def accessibility_metadata(epub):
    opf = epub_xhtml(epub, "content.opf")
    found = {}
    for meta in opf.iter(f"{OPF}meta"):
        if meta.get("property"):
            found.setdefault(meta.get("property"), []).append(meta.text)
    return opf, found


def test_accessibility_metadata_is_declared(sample):
    opf, meta = accessibility_metadata(sample.epub)
    assert opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-GB"
    assert meta["schema:accessMode"] == ["textual", "visual"]  # the sample has images
    assert meta["schema:accessModeSufficient"] == ["textual"]
    assert {"tableOfContents", "readingOrder", "structuralNavigation", "alternativeText",
            "pageNavigation", "printPageNumbers"} <= set(meta["schema:accessibilityFeature"])
    assert meta["schema:accessibilityHazard"] == ["none"]
    assert meta["schema:accessibilitySummary"][0]
    assert meta["dcterms:conformsTo"] == ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]


def test_every_document_declares_its_language(sample):
    import zipfile

    with zipfile.ZipFile(sample.epub) as archive:
        documents = [n for n in archive.namelist() if n.endswith(".xhtml")]
    for name in documents:
        root = epub_xhtml(sample.epub, name.removeprefix("EPUB/"))
        assert root.get("lang") == "en-GB" and root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-GB", name


def test_missing_alt_text_is_a_warning_and_an_error_when_strict():
    relaxed = run_build("check", "--book", BOOKS / "no-alt")
    assert relaxed.returncode == 0
    assert "manuscript/01-pictures.md:7:1: warning: image has no alt text" in relaxed.stderr
    strict = run_build("check", "--book", BOOKS / "no-alt", "--strict")
    assert strict.returncode == 1
    assert "manuscript/01-pictures.md:7:1: error: image has no alt text" in strict.stderr


def test_a_book_without_a_cover_gets_a_generated_one(refs, tmp_path):
    import zipfile

    with zipfile.ZipFile(refs.epub) as archive:
        cover = archive.read("EPUB/media/generated-cover.png")
    assert cover.startswith(b"\x89PNG")
    opf = epub_xhtml(refs.epub, "content.opf")
    item = next(i for i in opf.iter(f"{OPF}item") if i.get("properties") == "cover-image")
    assert item.get("href") == "media/generated-cover.png"

"""Accessibility: Ace by DAISY on the real EPUBs, the metadata it relies on, alt text."""

import json
import os
import shutil
import subprocess
import zipfile

import pytest
from lxml import etree
from pathlib import Path

from conftest import BOOKS, REPO, epub_xhtml, epubcheck, epubcheck_summary, run_build

CHROMIUM = shutil.which("chromium")
OPF = "{http://www.idpf.org/2007/opf}"
_INSTALLED: dict[Path, Path | str] = {}  # tools folder -> Ace, or why it could not be installed (tried once)


def installed_ace(tools: Path = REPO / ".tools") -> Path:
    """Ace, installed into ``tools`` by tools/install-ace.sh on first use; without npm, or
    with npm unable to reach its registry, the test that needs it is skipped, saying why
    (every other test runs)."""
    if tools not in _INSTALLED:
        ace = tools / "node_modules" / ".bin" / "ace-cli"
        if ace.exists():
            _INSTALLED[tools] = ace
        elif not shutil.which("npm"):
            _INSTALLED[tools] = "Ace by DAISY is not installed and there is no npm to install it with " \
                                "(apt-get install npm; then tools/install-ace.sh)"
        else:
            done = subprocess.run([str(REPO / "tools" / "install-ace.sh")], capture_output=True, text=True, timeout=900,
                                  env={**os.environ, "BOOKBUILD_TOOLS": str(tools)})
            said = [line for line in done.stderr.splitlines() if line.strip()]
            _INSTALLED[tools] = ace if done.returncode == 0 and ace.exists() else (
                "Ace by DAISY could not be installed: npm failed"
                + (f" ({next((line for line in said if 'FetchError' in line or 'code' in line), said[-1])})" if said else "")
                + "; is npm's registry reachable? tools/install-ace.sh tries again")
    found = _INSTALLED[tools]
    if isinstance(found, str):
        pytest.skip(found)
    return found


def ace_outcome(epub, out):
    done = subprocess.run(
        [str(installed_ace()), "-s", "-f", "-E", "-o", str(out), str(epub)],
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


def test_without_npm_or_its_registry_the_ace_test_is_skipped_saying_why(tmp_path, monkeypatch):
    """`make test` needs npm and its registry for Ace alone: without them that one test is
    skipped, with the reason."""
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs"))
    with pytest.raises(pytest.skip.Exception, match="there is no npm to install it"):
        installed_ace(tmp_path / "tools-without-npm")
    monkeypatch.undo()
    if not shutil.which("npm"):
        pytest.skip("no npm here to try an unreachable registry with")
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/")  # nothing listens: refused at once
    monkeypatch.setenv("npm_config_fetch_retries", "0")
    with pytest.raises(pytest.skip.Exception, match="could not be installed: npm failed .*ECONNREFUSED.*registry reachable"):
        installed_ace(tmp_path / "tools-offline")
    assert (tmp_path / "tools-offline" / ".npm" / "_logs").is_dir()  # npm's log stays in the tools folder, not ~/.npm


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


def drawn_images(pdf: Path) -> list[tuple[int, str]]:
    """(page, innermost marked-content tag) of every image the screen PDF draws, read from
    the content streams themselves (not with the preflight's code)."""
    import pikepdf

    found = []
    with pikepdf.open(pdf) as document:
        for number, page in enumerate(document.pages, start=1):
            xobjects = page.obj.get("/Resources", {}).get("/XObject", {})
            images = {str(name) for name in xobjects.keys() if xobjects[name].get("/Subtype") == "/Image"}
            marks = []
            for operands, operator in pikepdf.parse_content_stream(page):
                if str(operator) in ("BDC", "BMC"):
                    marks.append(str(operands[0]))
                elif str(operator) == "EMC":
                    marks.pop()
                elif str(operator) == "Do" and str(operands[0]) in images:
                    found.append((number, marks[-1] if marks else ""))
    return found


def test_an_image_without_alt_text_is_decorative_in_check_and_build(tmp_path):
    import pikepdf

    book = tmp_path / "book"
    shutil.copytree(BOOKS / "no-alt", book)
    chapter = book / "manuscript" / "01-pictures.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n![A green watering can](images/can.png)\n", encoding="utf-8")
    warning = "manuscript/01-pictures.md:7:1: warning: no alt text: shown as decorative; describe it if it carries meaning"

    checked = run_build("check", "--book", book)
    built = run_build("--book", book, "--out", tmp_path / "out", "--formats", "epub,screen")
    assert (checked.returncode, built.returncode) == (0, 0), built.stderr
    assert warning in checked.stderr.splitlines() and warning in built.stderr.splitlines()
    epub = next((tmp_path / "out").glob("*.epub"))
    with zipfile.ZipFile(epub) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".xhtml") and b"can.png" in archive.read(n))
        images = etree.fromstring(archive.read(name)).iter("{http://www.w3.org/1999/xhtml}img")
        assert [img.get("alt") for img in images] == ["", "A green watering can"]
    fatal, errors, warnings, messages = epubcheck_summary(epubcheck(epub))
    assert (fatal, errors, warnings) == (0, 0, 0), messages
    screen = next((tmp_path / "out").glob("*-screen.pdf"))
    with pikepdf.open(screen) as pdf:
        figures = [e for e in pdf.objects if isinstance(e, pikepdf.Dictionary) and e.get("/S") == "/Figure"]
        assert [str(f.get("/Alt")) for f in figures] == ["A green watering can"]
    drawn = drawn_images(screen)
    assert [tag for _, tag in drawn] == ["/Artifact", "/Figure"]  # both drawn; the decorative one is no Figure

    # --strict from the cache the build above left (the same editions asked for): the
    # warning is an error all the same, and nothing is written.
    for command in (("check",), ("--out", tmp_path / "strict", "--formats", "epub,screen")):
        strict = run_build(*command, "--book", book, "--strict")
        assert strict.returncode == 1
        assert warning.replace(": warning: ", ": error: ") in strict.stderr.splitlines(), strict.stderr
    assert not (tmp_path / "strict").exists()
    again = run_build("--book", book, "--out", tmp_path / "out", "--formats", "epub,screen")
    assert again.returncode == 0 and "nothing changed since the last build" in again.stdout + again.stderr


def test_a_book_without_a_cover_gets_a_generated_one(refs, tmp_path):
    import zipfile

    with zipfile.ZipFile(refs.epub) as archive:
        cover = archive.read("EPUB/media/generated-cover.png")
    assert cover.startswith(b"\x89PNG")
    opf = epub_xhtml(refs.epub, "content.opf")
    item = next(i for i in opf.iter(f"{OPF}item") if i.get("properties") == "cover-image")
    assert item.get("href") == "media/generated-cover.png"

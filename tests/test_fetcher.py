"""The second line of defence: the URL fetcher WeasyPrint is given (resources.py).

The first line (resolve refuses images outside the book, sanitize.py removes what
would fetch, a book's styles may not load files) is switched off here: the fetcher is
called directly with hostile URLs, and a segment is laid out from HTML written by hand
that asks for remote files and for files outside the book, as if the first line had
let them through. Observed as an attacker would: connections arriving at a listening
socket, and a secret file's bytes and size in what is returned or drawn.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pikepdf
import pytest
from conftest import REPO, pdf_page_texts

from test_no_leaks import Listener, marked_png

SECRET_SIZE = (12, 7)  # the secret picture's pixels: no other picture here has that size
INSIDE_SIZE = (5, 3)  # the book's own picture


@pytest.fixture
def listener():
    server = Listener()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def places(tmp_path):
    """A book with one picture of its own; beside it, a secret picture and stylesheet."""
    from PIL import Image

    book = tmp_path / "book"
    (book / "manuscript" / "images").mkdir(parents=True)
    Image.new("RGB", INSIDE_SIZE, (20, 120, 40)).save(book / "manuscript" / "images" / "inside.png")
    secret = tmp_path / "secret.png"
    marked_png(secret, b"SECRETPIXELSOFTHEFETCHERTEST" + b"XXXXXXXX")  # 36 bytes: 12 pixels a row
    (tmp_path / "secret.css").write_text('body::after { content: "SECRETSTYLESHEETTEXT"; }\n')
    (book / "manuscript" / "images" / "link.png").symlink_to(secret)
    return book, tmp_path


def hostile_urls(port: int, book: Path, outside: Path) -> list[str]:
    from bookbuild.resources import BOOK_URL

    host = f"127.0.0.1:{port}"
    return [
        f"http://{host}/a.png", f"https://{host}/b.png", f"ftp://{host}/c.png", f"HTTP://{host}/d.png",
        f"//{host}/e.png",  # scheme-relative, as a browser would complete it
        "data:image/png;base64,iVBORw0KGgo=",
        (outside / "secret.png").as_uri(), (outside / "secret.css").as_uri(), "file:///etc/passwd",
        f"file://127.0.0.1{outside / 'secret.png'}",
        BOOK_URL + "../secret.png", BOOK_URL + "%2e%2e/secret.png", BOOK_URL + "manuscript/../../secret.png",
        BOOK_URL + "manuscript/images/link.png",  # a link inside the book to the secret outside
    ]


def test_the_fetcher_refuses_every_hostile_url(places, listener):
    from bookbuild.resources import BOOK_URL, book_url_fetcher

    book, outside = places
    fetcher = book_url_fetcher(book, [])
    secret = (outside / "secret.png").read_bytes()
    let_through = []
    for url in hostile_urls(listener.port, book, outside):
        try:
            response = fetcher.fetch(url)
        except Exception:  # WeasyPrint catches what a fetcher raises and leaves the resource out
            continue
        data = response.read()
        let_through.append(f"{url}: {len(data)} bytes{' (the secret)' if data == secret else ''}")
    time.sleep(0.5)  # a connection has time to arrive
    assert let_through == [] and listener.accepted == []
    own = fetcher.fetch(BOOK_URL + "manuscript/images/inside.png")  # what the book may use, it gets
    assert own.read() == (book / "manuscript" / "images" / "inside.png").read_bytes()


SEGMENT = """\
import json, sys
from pathlib import Path
from bookbuild.editions.typeset import SegmentJob, Typesetter, TypesetterSetup

book, html, out = Path(sys.argv[1]), Path(sys.argv[2]).read_text(), Path(sys.argv[3])
layout = Typesetter(TypesetterSetup(book, (), "fetcher-test")).typeset(SegmentJob(html, "@page { size: 4in 4in; }"))
out.write_bytes(layout.pdf)
print(json.dumps(list(layout.warnings)))
"""


def test_a_segment_that_asks_for_remote_and_outside_files_gets_none(places, listener, tmp_path):
    """A segment's HTML as no manuscript could make it (the sanitizer and resolve would
    remove or refuse all of it), laid out by WeasyPrint with the build's fetcher."""
    book, outside = places
    host = f"http://127.0.0.1:{listener.port}"
    secret_png, secret_css = (outside / "secret.png").as_uri(), (outside / "secret.css").as_uri()
    html = f"""<!DOCTYPE html><html lang="en"><head><title>Hostile</title>
<link rel="stylesheet" href="{host}/remote.css"><link rel="stylesheet" href="{secret_css}">
<style>@import url("{host}/imported.css"); @import url("{secret_css}");
p {{ background: url("{host}/background.png"); }} h1 {{ background: url("{secret_png}"); }}
@font-face {{ font-family: Remote; src: url("{host}/font.woff"); }} body {{ font-family: Remote, serif; }}</style>
</head><body><h1>A hostile segment</h1><p>Text that is laid out.</p>
<img src="{host}/remote.png" alt="r"><img src="{secret_png}" alt="s"><img src="../secret.png" alt="t">
<img src="manuscript/images/link.png" alt="l"><object data="{host}/object.svg"></object>
<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><image href="{secret_png}" width="20" height="20"/></svg>
<img src="manuscript/images/inside.png" alt="the book's own picture"></body></html>"""
    (tmp_path / "segment.html").write_text(html)
    pdf_path = tmp_path / "segment.pdf"
    done = subprocess.run([sys.executable, "-c", SEGMENT, str(book), str(tmp_path / "segment.html"), str(pdf_path)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    time.sleep(0.5)
    connections = [request.split(b"\r\n")[0].decode("latin-1") for _, request in listener.accepted]
    assert connections == [], f"the layout connected to the network: {connections}"
    sizes = []
    with pikepdf.open(pdf_path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                assert b"SECRET" not in obj.read_bytes(), obj.objgen
                if obj.get("/Subtype") == "/Image":
                    sizes.append((int(obj.Width), int(obj.Height)))
    assert SECRET_SIZE not in sizes, "the secret picture was drawn"
    assert INSIDE_SIZE in sizes, "the book's own picture was not drawn: the test would see nothing"
    assert "SECRETSTYLESHEETTEXT" not in " ".join(pdf_page_texts(pdf_path))
    assert "Text that is laid out." in " ".join(pdf_page_texts(pdf_path))
    warnings = " ".join(json.loads(done.stdout))
    assert "refused" in warnings  # WeasyPrint reports what it could not load

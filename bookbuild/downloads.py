"""The download page for readers, ``dist/index.html``, and what it says about each edition.

Every figure on the page (size, pages, SHA-256) is computed from the very bytes
written beside it, in the same atomic write: the page never describes other files.
The page is one self-contained file: the cover is inside it as a ``data:`` URI,
the styles are inline, nothing is fetched, so it works offline or from any host.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from lxml import etree

from .model import Metadata

PAGE = "index.html"
# What each edition is, in the --formats vocabulary, and in plain words for readers.
KINDS = {"epub": ("EPUB", "for e-readers"), "print": ("PDF", "for printing"), "screen": ("PDF", "for reading on screen"),
         "cover": ("PDF", "the printer's cover")}
_PAGE_LIST = "//*[local-name()='nav'][@*[local-name()='type']='page-list']//*[local-name()='a']"


@dataclass(frozen=True)
class Edition:
    """One written edition, described from its bytes."""

    name: str  # file name in the output folder
    format: str  # "epub", "print" or "screen"
    bytes: int
    pages: int | None  # a PDF's pages; an EPUB's page-list entries (the print edition's pages), None without one
    sha256: str

    @property
    def kind(self) -> str:
        return KINDS[self.format][0]

    @property
    def purpose(self) -> str:
        return KINDS[self.format][1]


def describe(format: str, name: str, data: bytes) -> Edition:
    return Edition(name, format, len(data), _pages(format, data), hashlib.sha256(data).hexdigest())


def _pages(format: str, data: bytes) -> int | None:
    if format == "epub":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            nav = next((n for n in archive.namelist() if n.endswith("/nav.xhtml")), None)
            entries = etree.fromstring(archive.read(nav)).xpath(_PAGE_LIST) if nav else []
        return len(entries) or None
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


def size_in_words(count: int) -> str:
    """``173 KB``, ``1.4 MB``: sizes as readers and authors say them (1 KB = 1024 bytes)."""
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.0f} KB"
    return f"{count / 1024 / 1024:.1f} MB"


def download_page(metadata: Metadata, editions: tuple[Edition, ...], cover: tuple[bytes, str], draft: bool = False) -> bytes:
    """The HTML page: cover, title, subtitle, author, description, and each edition."""
    title = escape(metadata.title)
    authors = escape(" and ".join(metadata.authors))
    data, media_type = cover
    cover_uri = f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"
    about = ['<p class="draft">Draft: not for publication</p>' if draft else "",
             f"<h1>{title}</h1>",
             f'<p class="subtitle">{escape(metadata.subtitle)}</p>' if metadata.subtitle else "",
             f'<p class="author">by {authors}</p>',
             f'<p class="description">{escape(" ".join(metadata.description.split()))}</p>' if metadata.description else ""]
    # The print cover is the author's file for the printer: readers get the front, above.
    items = "\n".join(_edition_item(edition) for edition in editions if edition.format != "cover")
    lang = escape(metadata.language)
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}{" (draft)" if draft else ""}: download</title>
<meta name="description" content="{escape(" ".join(metadata.description.split())) or title}">
<style>{_STYLE}</style>
</head>
<body>
<main>
<header class="book">
<img class="cover" src="{cover_uri}" alt="Cover of {title} by {authors}"{_dimensions(data, media_type)}>
<div>{"".join(about)}</div>
</header>
<section aria-labelledby="download">
<h2 id="download">Download</h2>
<ul class="editions">
{items}
</ul>
<p class="note">Check a download with <code>sha256sum FILE</code> (or <code>shasum -a 256 FILE</code>): it should print the SHA-256 shown here.</p>
</section>
</main>
</body>
</html>
""".encode("utf-8")


def _edition_item(edition: Edition) -> str:
    href = quote(edition.name)
    if edition.pages is None:
        pages = "no fixed pages (the text reflows to fit the screen)"
    elif edition.format == "epub":
        pages = f'<span class="pages">{edition.pages}</span> (the print edition\'s page numbers)'
    else:
        pages = f'<span class="pages">{edition.pages}</span>'
    return f"""<li class="edition" data-format="{edition.format}">
<h3><a class="get" href="{href}" download>{edition.kind} <span class="purpose">{edition.purpose}</span></a></h3>
<dl>
<dt>File</dt><dd><a class="file" href="{href}">{escape(edition.name)}</a></dd>
<dt>Size</dt><dd>{size_in_words(edition.bytes)} (<span class="bytes">{edition.bytes:,}</span> bytes)</dd>
<dt>Pages</dt><dd>{pages}</dd>
<dt>SHA-256</dt><dd><code class="sha256">{edition.sha256}</code></dd>
</dl>
</li>"""


def _dimensions(data: bytes, media_type: str) -> str:
    """The cover's width and height, so the page does not jump as it loads."""
    if media_type == "image/svg+xml":
        return ""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return f' width="{image.width}" height="{image.height}"'


_STYLE = """
* { box-sizing: border-box; }
body { margin: 0; background: #f6f3ee; color: #222; font: 1.0625rem/1.5 Georgia, "Source Serif Pro", "DejaVu Serif", serif; }
main { max-width: 54rem; margin: 0 auto; padding: 2rem 1rem 3rem; }
.book { display: grid; grid-template-columns: minmax(0, 15rem) minmax(0, 1fr); gap: 1.5rem 2.5rem; align-items: start; }
.cover { display: block; width: 100%; height: auto; border-radius: 3px; box-shadow: 0 0.3rem 1.2rem rgba(0, 0, 0, 0.25); }
h1 { font-size: 2rem; line-height: 1.2; margin: 0 0 0.5rem; font-weight: normal; }
.subtitle { font-style: italic; font-size: 1.2rem; margin: 0 0 1rem; }
.author { margin: 0 0 1rem; }
.description { margin: 0; }
.draft { display: inline-block; margin: 0 0 0.75rem; padding: 0.1rem 0.6rem; border: 2px solid #a3241c; color: #a3241c;
  font-weight: bold; letter-spacing: 0.05em; text-transform: uppercase; font-size: 0.85rem; }
h2 { font-size: 1.4rem; margin: 2.5rem 0 1rem; font-weight: normal; }
.editions { list-style: none; margin: 0; padding: 0; display: grid; gap: 1rem; }
.edition { background: #fff; border: 1px solid #ddd6cb; border-radius: 6px; padding: 1rem 1.25rem; }
h3 { margin: 0 0 0.75rem; font-size: 1.15rem; }
a.get { display: inline-block; padding: 0.45rem 1rem; border-radius: 4px; background: #1f3a4d; color: #fff; text-decoration: none; }
a.get:hover, a.get:focus { background: #2c5570; }
.purpose { font-weight: normal; }
dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.2rem 1rem; margin: 0; font-size: 0.95rem; }
dt { color: #555; }
dd { margin: 0; overflow-wrap: anywhere; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.85em; overflow-wrap: anywhere; word-break: break-all; }
a { color: #1f3a4d; }
.note { font-size: 0.9rem; color: #555; margin-top: 1.5rem; }
@media (max-width: 40rem) {
  main { padding-top: 1rem; }
  .book { grid-template-columns: minmax(0, 1fr); }
  .cover { max-width: 11rem; }
  h1 { font-size: 1.6rem; }
  dl { grid-template-columns: minmax(0, 1fr); }
  dt { margin-top: 0.4rem; }
}
"""

"""The download page for readers, ``dist/index.html``, and what it says about each edition.

Every figure on the page (size, pages, SHA-256) is computed from the very bytes
written beside it, in the same atomic write: the page never describes other files.
The page is one self-contained file: the cover is inside it as a ``data:`` URI,
the styles are inline, nothing is fetched, so it works offline or from any host.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import zipfile
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from lxml import etree

from .model import Metadata
from .words import Words, words_for

PAGE = "index.html"
# What each edition is, in the --formats vocabulary (its purpose, in plain words for readers, is
# the book's language's ``purpose_<format>``).
KINDS = {"epub": "EPUB", "print": "PDF", "screen": "PDF", "cover": "PDF"}
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
        return KINDS[self.format]


def describe(format: str, name: str, data: bytes, pages: int | None = None) -> Edition:
    """``pages``: the count, when the maker of ``data`` knows it (a long PDF is not opened to count them)."""
    return Edition(name, format, len(data), pages if pages is not None else _pages(format, data), hashlib.sha256(data).hexdigest())


def _pages(format: str, data: bytes) -> int | None:
    if format == "epub":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            nav = next((n for n in archive.namelist() if n.endswith("/nav.xhtml")), None)
            entries = etree.fromstring(archive.read(nav)).xpath(_PAGE_LIST) if nav else []
        return len(entries) or None
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        return int(pdf.Root.Pages.Count)  # the page tree's own count: not every page read


def size_in_words(count: int, words: Words | None = None) -> str:
    """``173 KB``, ``1.4 MB``, ``1,4 Mo``: sizes as readers and authors say them (1 KB = 1024 bytes)."""
    return (words or words_for("en")).size(count)


def download_page(metadata: Metadata, editions: tuple[Edition, ...], cover: tuple[bytes, str], draft: bool = False) -> bytes:
    """The HTML page, in the order a reader needs it: what the book is; which file to take
    for an e-reader, a phone, a computer and printing at home; the files, with size and
    pages; the checksums, folded; the rights. The press PDF (CMYK, crop marks) is the
    author's, for a printer: on the page only when the book says ``downloads: {print: true}``."""
    # The press PDF and the print cover are the author's files for a printer (the readers get
    # the cover's front, above); the press PDF is offered only when the book says so.
    offered = tuple(e for e in editions if e.format not in ("print", "cover") or (e.format == "print" and metadata.downloads_print))
    words = words_for(metadata.language)
    title = escape(metadata.title)
    authors = words.names(metadata.authors)
    data, media_type = cover
    cover_uri = f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"
    description = escape(" ".join(metadata.description.split()))
    about = [f'<p class="draft">{escape(words["draft"])}</p>' if draft else "",
             f"<h1>{title}</h1>",
             f'<p class="subtitle">{escape(metadata.subtitle)}</p>' if metadata.subtitle else "",
             f'<p class="author">{escape(words.say("by", authors=authors))}</p>',
             _edition_line(metadata, words)]
    page_title = words.say("draft_title", title=metadata.title) if draft else metadata.title
    checksum_how = _with_markup(words.say("checksums_how", sha256sum="\x00", shasum="\x01"),
                                {"\x00": "<code>sha256sum FILE</code>", "\x01": "<code>shasum -a 256 FILE</code>"})
    rights = f'<footer><p class="rights">{escape(metadata.rights)}</p></footer>' if metadata.rights else ""
    lang = escape(metadata.language)
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(words.say("download_title", title=page_title))}</title>
<meta name="description" content="{description or title}">
<link rel="icon" href="data:,">
<style>{_STYLE}</style>
</head>
<body>
<main>
<header class="book">
<img class="cover" src="{cover_uri}" alt="{escape(words.say("cover_of", title=metadata.title, authors=authors))}"{_dimensions(data, media_type)}>
<div class="about">{"".join(about)}</div>
{f'<p class="description">{description}</p>' if description else ""}
</header>
{_choices(offered, words)}
<section class="files" aria-labelledby="files">
<h2 id="files">{escape(words["the_files"])}</h2>
<ul class="editions">
{"".join(_edition_item(edition, metadata, words) for edition in offered)}
</ul>
</section>
<details class="checksums">
<summary>{escape(words["checksums"])}</summary>
<dl>
{"".join(f'<dt>{escape(e.name)}</dt><dd><code class="sha256" data-format="{e.format}">{e.sha256}</code></dd>' for e in offered)}
</dl>
<p>{checksum_how}</p>
</details>
{rights}
</main>
</body>
</html>
""".encode("utf-8")


# Who reads on what (the words' keys ``reader_<who>`` and ``why_<who>``), and the edition that
# suits them best, then the next best.
_CHOICES = (("ereader", ("epub",)), ("phone", ("epub", "screen")), ("computer", ("screen", "epub")), ("home", ("screen",)))
_PRINT_SHOP = ("shop", ("print",))


def _choices(editions: tuple[Edition, ...], words: Words) -> str:
    """One line per way of reading: the file to take, as a button."""
    by_format = {edition.format: edition for edition in editions}
    rows = []
    for reader, formats in _CHOICES + ((_PRINT_SHOP,) if "print" in by_format else ()):
        edition = next((by_format[f] for f in formats if f in by_format), None)
        if edition is None:
            continue
        rows.append(f'<li data-format="{edition.format}"><span class="reader">'
                    f'{escape(words["reader_" + reader])}</span> <a class="get" href="{quote(edition.name)}" download>'
                    f'{escape(_label(edition, words))} <span class="size">{escape(words.size(edition.bytes))}</span></a> '
                    f'<span class="why">{escape(words["why_" + reader])}</span></li>')
    return (f'<section class="choose" aria-labelledby="choose">\n<h2 id="choose">{escape(words["which_file"])}</h2>\n'
            f'<ul class="choices">\n{chr(10).join(rows)}\n</ul>\n</section>')


def _label(edition: Edition, words: Words) -> str:
    return words["label_print"] if edition.format == "print" else edition.kind


def _edition_item(edition: Edition, metadata: Metadata, words: Words) -> str:
    href = quote(edition.name)
    if edition.pages is not None:
        shown = f'<span class="pages">{edition.pages}</span>'
        key = "epub_pages" if edition.format == "epub" else "pdf_pages"
        size = "" if edition.format == "epub" else _trim(metadata, words, bleed=edition.format == "print")
        pages = _with_markup(words.count(key, edition.pages, shown="\x00", size=size), {"\x00": shown})
    else:
        pages = escape(words["epub_reflows"])
    count = _with_markup(words.count("bytes", edition.bytes, shown="\x00"),
                         {"\x00": f'<span class="bytes">{escape(words.number(edition.bytes))}</span>'})
    file_size = _with_markup(words.say("file_size", size=words.size(edition.bytes), bytes="\x01"), {"\x01": count})
    return f"""<li class="edition" data-format="{edition.format}">
<h3><a class="file" href="{href}" download>{edition.kind}</a> <span class="purpose">{escape(words["purpose_" + edition.format])}</span></h3>
<p><span class="name">{escape(edition.name)}</span>, {file_size}: {pages}</p>
</li>
"""


def _with_markup(text: str, markup: dict[str, str]) -> str:
    """``text`` escaped, with each placeholder character in it replaced by its markup."""
    text = escape(text)
    for placeholder, html in markup.items():
        text = text.replace(placeholder, html)
    return text


def _trim(metadata: Metadata, words: Words, bleed: bool) -> str:
    """``6 × 9 in``: the page size as a reader says it (and the bleed, for the press PDF)."""
    width, height = metadata.print.trim_width, metadata.print.trim_height
    unit = width.lstrip("0123456789.")
    shown = f"{width[:-len(unit)]} × {height[:-len(unit)]} {unit}" if unit and height.endswith(unit) else f"{width} × {height}"
    return words.say("bleed_and_marks", size=shown, bleed=metadata.print.bleed) if bleed else shown


def _edition_line(metadata: Metadata, words: Words) -> str:
    """``First edition, 1 November 2026, Potting Shed Press``: which book this is (a book
    without a ``date`` gives none: no date is made up)."""
    parts = [escape(metadata.edition)] if metadata.edition else []
    if metadata.date:
        day = datetime.date.fromisoformat(metadata.date)
        parts.append(f'<time datetime="{day.isoformat()}">{escape(words.date(day))}</time>')
    if metadata.publisher:
        parts.append(escape(metadata.publisher))
    return f'<p class="edition">{", ".join(parts)}</p>' if parts else ""


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
.book { display: grid; grid-template-columns: minmax(0, 13rem) minmax(0, 1fr); grid-template-rows: auto 1fr; gap: 1rem 2.5rem;
  align-items: start; }
.cover { grid-row: 1 / span 2; display: block; width: 100%; height: auto; border-radius: 3px; box-shadow: 0 0.3rem 1.2rem rgba(0, 0, 0, 0.25); }
h1 { font-size: 2rem; line-height: 1.2; margin: 0 0 0.4rem; font-weight: normal; }
.subtitle { font-style: italic; font-size: 1.2rem; line-height: 1.3; margin: 0 0 0.6rem; }
.author { margin: 0 0 0.3rem; }
.edition { margin: 0; color: #555; font-size: 0.9rem; }
.description { margin: 0; max-width: 40rem; }
.draft { display: inline-block; margin: 0 0 0.75rem; padding: 0.1rem 0.6rem; border: 2px solid #a3241c; color: #a3241c;
  font-weight: bold; letter-spacing: 0.05em; text-transform: uppercase; font-size: 0.85rem; }
h2 { font-size: 1.35rem; margin: 2rem 0 0.75rem; font-weight: normal; }
.choices { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.5rem; }
.choices li { display: grid; grid-template-columns: 12.5rem max-content minmax(0, 1fr); gap: 0.2rem 1rem; align-items: center;
  background: #fff; border: 1px solid #ddd6cb; border-radius: 6px; padding: 0.5rem 0.75rem; }
.reader { font-weight: bold; }
.why { color: #555; font-size: 0.9rem; line-height: 1.35; }
a.get { display: inline-block; padding: 0.3rem 0.8rem; border-radius: 4px; background: #1f3a4d; color: #fff; text-decoration: none;
  font-weight: bold; white-space: nowrap; }
a.get:hover, a.get:focus { background: #2c5570; }
.size { font-weight: normal; font-size: 0.85em; opacity: 0.85; }
.editions { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.75rem; font-size: 0.95rem; }
.edition h3 { margin: 0; font-size: 1rem; }
.edition p { margin: 0.1rem 0 0; }
.purpose { font-weight: normal; }
.name { overflow-wrap: anywhere; }
a { color: #1f3a4d; }
.checksums { margin-top: 2rem; font-size: 0.85rem; color: #555; }
.checksums summary { cursor: pointer; }
.checksums dl { display: grid; grid-template-columns: minmax(0, 1fr); gap: 0.1rem; margin: 0.75rem 0; }
.checksums dd { margin: 0 0 0.5rem; }
dt { overflow-wrap: anywhere; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.85em; overflow-wrap: anywhere; word-break: break-all; }
footer { margin-top: 2rem; font-size: 0.85rem; color: #555; }
@media (max-width: 40rem) {
  main { padding-top: 1rem; }
  .book { grid-template-columns: 5.5rem minmax(0, 1fr); gap: 0.5rem 1rem; }
  .cover { grid-row: auto; }
  h1 { font-size: 1.35rem; }
  .subtitle { font-size: 1rem; }
  .author, .edition { font-size: 0.9rem; }
  .description { grid-column: 1 / -1; margin-top: 0.25rem; font-size: 0.95rem; line-height: 1.45; }
  h2 { margin-top: 1.25rem; }
  .choices li { grid-template-columns: minmax(0, 1fr) max-content; padding: 0.4rem 0.6rem; }
  .why { grid-column: 1 / -1; }
}
"""

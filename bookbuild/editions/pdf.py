"""The print and screen PDFs (WeasyPrint), and the page map of the layout.

Both PDFs are one HTML document with paged-media CSS: page numbers for
cross-references and the contents come from ``target-counter()``, which
WeasyPrint resolves across the whole layout.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from html import escape

from lxml import etree
from lxml import html as lxml_html

from .. import theme
from ..ids import book_identifier
from ..model import ResolvedBook, ResolvedPart
from ..pagemap import PageStart, find_page_starts, tag_blocks
from ..resources import book_url_fetcher

PRINT = "print"
SCREEN = "screen"


@dataclass(frozen=True)
class PdfEdition:
    data: bytes
    page_of_anchor: dict[str, int]  # book-wide anchor -> 1-based page number
    page_count: int
    page_starts: tuple[PageStart, ...]  # what each page begins with, for the EPUB's page-list
    warnings: tuple[str, ...]


def render_pdf(book: ResolvedBook, variant: str) -> PdfEdition:
    import weasyprint  # slow to import (about 1 s): only builds that make a PDF pay for it

    html = book_html(book, variant)
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()  # @font-face rules only apply through one of these
    fonts = theme.theme_fonts()
    fetcher = book_url_fetcher([book.root, theme.DEFAULT_THEME] + [face.path.parent for face in fonts])
    css = [
        weasyprint.CSS(string=theme.font_face_css(lambda face: face.path.as_uri()), url_fetcher=fetcher,
                       font_config=font_config),
        weasyprint.CSS(string=_page_css(book, variant)),
    ] + [
        weasyprint.CSS(filename=str(path), url_fetcher=fetcher, font_config=font_config) for path in theme.stylesheets(book.root, variant)
    ]
    with _collected_warnings() as warnings:
        document = weasyprint.HTML(string=html, base_url=book.root.as_uri() + "/", url_fetcher=fetcher).render(
            stylesheets=css, font_config=font_config
        )
        data = document.write_pdf(
            pdf_identifier=book_identifier(book.metadata).encode("utf-8"),
            pdf_tags=variant == SCREEN,
        )
    pages = {}
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            pages.setdefault(anchor, number)
    return PdfEdition(data, pages, len(document.pages), tuple(find_page_starts(document.pages)), tuple(warnings))


def book_html(book: ResolvedBook, variant: str) -> str:
    meta = book.metadata
    parts = []
    for part in book.parts:
        parts.append(_for_pdf(part, variant))
        if part.part_id == "front-copyright":
            parts.append(_contents(book))
    created = f'<meta name="dcterms.created" content="{escape(meta.date)}"/>' if meta.date else ""
    return (
        f'<!DOCTYPE html><html lang="{escape(meta.language)}"><head><meta charset="utf-8"/>'
        f"<title>{escape(meta.title)}</title>"
        f'<meta name="author" content="{escape(", ".join(meta.authors))}"/>'
        f'<meta name="description" content="{escape(meta.description)}"/>{created}'
        f'</head><body class="{variant}" data-book-title="{escape(meta.title)}">{"".join(parts)}</body></html>'
    )


def _contents(book: ResolvedBook) -> str:
    items = []
    for part in book.parts:
        if part.in_contents:
            entry = part.toc[0]
            items.append(f'<li class="toc-{part.kind.value}"><a href="#{entry.anchor}">{escape(entry.text)}</a></li>')
    return (
        '<section id="front-contents" class="part contents" data-title="Contents">'
        '<header class="part-head"><h1 class="part-title" data-label="Contents"><span class="title-text">Contents</span></h1></header>'
        f'<ol class="toc">{"".join(items)}</ol></section>'
    )


def _for_pdf(part: ResolvedPart, variant: str) -> str:
    """Footnotes to the foot of their page; in print, web addresses into footnotes too."""
    root = lxml_html.fragment_fromstring(part.html)
    tag_blocks(root)
    notes_section = next((s for s in root.iter("section") if "footnotes" in s.get("class", "").split()), None)
    if notes_section is not None:
        notes = {li.get("id"): li for li in notes_section.iter("li")}
        for ref in list(root.iter("a")):
            if "footnote-ref" not in ref.get("class", ""):
                continue
            note = notes.get(ref.get("href", "").lstrip("#"))
            if note is None:
                continue
            for back in list(note.iter("a")):
                if "footnote-back" in back.get("class", ""):
                    back.drop_tree()
            footnote = lxml_html.Element("span", {"class": "footnote", "id": ref.get("id", "")})
            _move_inline_content(note, footnote)
            ref.addprevious(footnote)
            footnote.tail = ref.tail
            ref.getparent().remove(ref)
        notes_section.drop_tree()
    if variant == PRINT:
        for link in list(root.iter("a")):
            href = link.get("href", "")
            if "external" in link.get("class", "").split() and href.removeprefix("mailto:") != link.text_content().strip():
                url_note = lxml_html.Element("span", {"class": "footnote url"})
                url_note.text = href.removeprefix("mailto:")
                url_note.tail = link.tail
                link.tail = None
                link.addnext(url_note)
    return etree.tostring(root, method="xml", encoding="unicode")


def _move_inline_content(note: etree._Element, target: etree._Element) -> None:
    """A footnote is inline in the text it belongs to: its paragraphs become runs of text."""
    blocks = [child for child in note if child.tag == "p"] or [note]
    for n, block in enumerate(blocks):
        if n:
            etree.SubElement(target, "br")
        last = target[-1] if len(target) else None
        if block.text:
            if last is None:
                target.text = (target.text or "") + block.text
            else:
                last.tail = (last.tail or "") + block.text
        for child in list(block):
            target.append(child)


def _page_css(book: ResolvedBook, variant: str) -> str:
    settings = book.metadata.print
    size = f"size: {settings.trim_width} {settings.trim_height};"
    if variant == PRINT:
        marks = "none" if settings.marks == "none" else settings.marks
        return f"@page {{ {size} bleed: {settings.bleed}; marks: {marks}; }}"
    return f"@page {{ {size} }}"


class _collected_warnings:
    """WeasyPrint reports problems through logging; a clean build must be silent."""

    def __enter__(self) -> list[str]:
        self.messages: list[str] = []
        self.handler = logging.Handler(logging.WARNING)
        self.handler.emit = lambda record: self.messages.append(record.getMessage())  # type: ignore[method-assign]
        self.logger = logging.getLogger("weasyprint")
        self.logger.addHandler(self.handler)
        self.propagate = self.logger.propagate
        self.logger.propagate = False
        return self.messages

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.propagate = self.propagate


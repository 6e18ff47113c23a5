"""The EPUB 3 edition: one XHTML document per part, packaged with ebooklib.

We write each XHTML document and the navigation document ourselves (ebooklib's
HTML items re-parse and reshape content); ebooklib writes the package document,
the NCX and the archive, which we then re-pack with fixed timestamps so the same
sources always give the same bytes.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Callable
from html import escape
from urllib.parse import quote

from ebooklib import epub
from lxml import etree
from lxml import html as lxml_html

from .. import fonts, generated, ids, theme
from ..cover import typographic_cover
from ..model import PartKind, ResolvedBook, ResolvedPart
from ..pagemap import PageStart, Placement, insert_page_markers, placements
from ..resources import image_bytes

STYLE_FILE = "style/book.css"
NAV_FILE = "nav.xhtml"
COVER_FILE = "cover.xhtml"
_XHTML_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
    '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" '
    'lang="{lang}" xml:lang="{lang}"><head><meta charset="utf-8"/><title>{title}</title>'
    '<link rel="stylesheet" type="text/css" href="' + STYLE_FILE + '"/></head>'
)
_BODY_TYPE = {PartKind.FRONT: "frontmatter", PartKind.CHAPTER: "bodymatter", PartKind.BACK: "backmatter"}


def render_epub(book: ResolvedBook, page_starts: tuple[PageStart, ...] = ()) -> bytes:
    """The EPUB; with the print edition's ``page_starts``, a page-list of its pages."""
    package = epub.EpubBook()
    _describe(package, book, has_page_list=bool(page_starts))
    _add_resources(package, book)
    _add_documents(package, book, placements(list(page_starts), {p.part_id for p in book.parts}))
    out = io.BytesIO()
    epub.write_epub(out, package, {"mtime": ids.build_date(book.metadata), "raise_exceptions": True, "epub3_pages": False})
    return _repack(out.getvalue(), ids.build_date(book.metadata), book.metadata.language)


def _describe(package: epub.EpubBook, book: ResolvedBook, has_page_list: bool) -> None:
    meta = book.metadata
    package.set_identifier(ids.book_identifier(meta))
    package.set_title(meta.title)
    package.set_language(meta.language)
    for n, author in enumerate(meta.authors, start=1):
        package.add_author(author, uid=f"creator{n}")  # ebooklib's default id repeats
    for name, value in (("publisher", meta.publisher), ("rights", meta.rights),
                        ("description", meta.description), ("date", meta.date)):
        if value:
            package.add_metadata("DC", name, value)
    for subject in meta.subjects:
        package.add_metadata("DC", "subject", subject)
    if meta.series:
        package.add_metadata(None, "meta", meta.series, {"property": "belongs-to-collection", "id": "series"})
        package.add_metadata(None, "meta", "series", {"refines": "#series", "property": "collection-type"})
    _accessibility_metadata(package, book, has_page_list)
    if has_page_list:
        package.add_metadata(None, "meta", ids.print_identifier(meta), {"property": "pageBreakSource"})


def _add_resources(package: epub.EpubBook, book: ResolvedBook) -> None:
    """Styles, the subset body font, the images and the cover image."""
    package.add_item(epub.EpubItem(uid="style", file_name=STYLE_FILE, media_type="text/css",
                                   content=_css(book).encode("utf-8")))
    characters = "".join(sorted(set("".join(part.html for part in book.parts))))
    for face in theme.theme_fonts():
        package.add_item(epub.EpubItem(uid=_item_id(face.path.name), file_name=_font_name(face),
                                       media_type="font/ttf", content=_subset_font(face.path, characters)))
    for image in book.images:
        if image.path != book.metadata.cover:
            package.add_item(epub.EpubItem(uid=_item_id(image.path), file_name=media_name(image.path),
                                           media_type=image.media_type,
                                           content=image_bytes(book.root / image.path, image.media_type)))
    package.set_cover(_cover_image_name(book), cover_image(book)[0], create_page=False)


def cover_image(book: ResolvedBook) -> tuple[bytes, str]:
    """The cover's bytes and media type: the book's own image (an SVG sanitised), else the
    typographic cover."""
    cover = book.metadata.cover
    if not cover:
        return typographic_cover(book.metadata), "image/png"
    kind = next(i.media_type for i in book.images if i.path == cover)
    return image_bytes(book.root / cover, kind), kind


def _add_documents(package: epub.EpubBook, book: ResolvedBook, pages: list[Placement]) -> None:
    """The cover page, one document per part, the navigation document, and the reading order."""
    anchors = book.part_of_anchor()
    documents = [_document("cover", COVER_FILE, _cover_page(book), [])]
    for part in book.parts:
        here = [placement for placement in pages if placement.part_id == part.part_id]
        documents.append(_document(part.part_id, ids.epub_file_name(part.part_id),
                                   _part_xhtml(book, part, anchors, here), ["svg"] if "<svg" in part.html else []))
    nav = _document("nav", NAV_FILE, _nav_xhtml(book, pages), ["nav"])
    for document in documents + [nav]:
        package.add_item(document)
    # Cover, title page and copyright, then the contents where a printed book has it.
    opening = 1 + sum(1 for p in book.parts if not p.in_contents and p.kind is PartKind.FRONT)
    package.spine = documents[:opening] + [nav] + documents[opening:]
    package.toc = [epub.Link(ids.epub_file_name(p.part_id), p.title, p.part_id) for p in book.parts if p.in_contents]
    package.add_item(epub.EpubNcx())


def _cover_image_name(book: ResolvedBook) -> str:
    return media_name(book.metadata.cover) if book.metadata.cover else "media/generated-cover.png"


def _document(uid: str, file_name: str, content: str, properties: list[str]) -> epub.EpubItem:
    item = epub.EpubItem(uid=uid, file_name=file_name, media_type="application/xhtml+xml",
                         content=content.encode("utf-8"))
    item.properties = properties
    return item


def media_name(path: str) -> str:
    return "media/" + path


def _item_id(path: str) -> str:
    return ids.resource_id(path)


def _font_name(face: theme.FontFace) -> str:
    return "fonts/" + face.path.name


def _css(book: ResolvedBook) -> str:
    return stylesheet(book, lambda face: "../" + _font_name(face))


def stylesheet(book: ResolvedBook, font_url: Callable[[theme.FontFace], str]) -> str:
    """The EPUB's one stylesheet: the body font, the theme's and the book's own styles."""
    faces = theme.font_face_css(font_url)
    return "\n".join([faces] + [path.read_text(encoding="utf-8") for path in theme.stylesheets(book.root, "epub")])


def _subset_font(path, text: str) -> bytes:
    """Only the glyphs the book uses (plus printable ASCII and typographic punctuation),
    so the EPUB stays small."""
    return fonts.subset_for_text(path, text + "".join(map(chr, range(0x20, 0x7F))) + "‘’“”–—…")


def _part_xhtml(book: ResolvedBook, part: ResolvedPart, anchors: dict[str, str], pages: list[Placement]) -> str:
    body_type = _BODY_TYPE[part.kind]
    head = _XHTML_HEAD.format(lang=escape(book.metadata.language), title=escape(part.title))
    body = etree.tostring(part_body(part, anchors, pages), method="xml", encoding="unicode")
    return f'{head}<body epub:type="{body_type}">{body}</body></html>'


def part_body(part: ResolvedPart, anchors: dict[str, str], pages: list[Placement] = ()) -> etree._Element:
    """A part's ``<section>`` as the EPUB shows it: page markers, links to the other parts'
    documents (``c045.xhtml#c045-final-thoughts``), images under ``media/``, footnotes as
    pop-up notes. ``anchors`` is ``ResolvedBook.part_of_anchor()``."""
    root = lxml_html.fragment_fromstring(part.html)
    insert_page_markers(root, pages, _page_marker)
    for a in root.iter("a"):
        href = a.get("href", "")
        if href.startswith("#"):
            target = anchors.get(href[1:])
            if target and target != part.part_id:
                a.set("href", ids.epub_file_name(target) + href)
    for img in root.iter("img"):
        img.set("src", quote(media_name(img.get("src", ""))))
    _footnotes_as_asides(root)
    return root


def _page_marker(page: str) -> etree._Element:
    return lxml_html.Element("span", {"id": f"page-{page}", "epub:type": "pagebreak",
                                      "role": "doc-pagebreak", "aria-label": str(page)})


def _footnotes_as_asides(root: etree._Element) -> None:
    """Pandoc's endnote list becomes one ``aside epub:type="footnote"`` per note, for pop-up notes."""
    section, notes = generated.endnotes(root)
    if section is None:
        return
    for ref in root.iter("a"):
        if "footnote-ref" in ref.get("class", ""):
            ref.set("epub:type", "noteref")
    asides = []
    for li in notes:
        aside = lxml_html.Element("aside", {"id": li.get("id", ""), "class": "footnote",
                                           "epub:type": "footnote", "role": "doc-footnote"})
        aside.text = li.text
        for child in list(li):
            aside.append(child)
        asides.append(aside)
    for aside in asides:
        section.addprevious(aside)
    section.drop_tree()


def _cover_page(book: ResolvedBook) -> str:
    meta = book.metadata
    head = _XHTML_HEAD.format(lang=escape(meta.language), title="Cover")
    alt = f"Cover of {meta.title} by {' and '.join(meta.authors)}"
    return (f'{head}<body epub:type="cover"><section class="cover">'
            f'<img role="doc-cover" src="{quote(_cover_image_name(book))}" alt="{escape(alt)}"/></section></body></html>')


def _nav_xhtml(book: ResolvedBook, pages: list[Placement]) -> str:
    meta = book.metadata
    items = []
    for part in book.parts:
        if not part.in_contents:
            continue
        href = ids.epub_file_name(part.part_id)
        sections = "".join(
            f'<li><a href="{href}#{entry.anchor}">{escape(entry.text)}</a></li>' for entry in part.toc[1:]
        )
        nested = f"<ol>{sections}</ol>" if sections else ""
        items.append(f'<li><a href="{href}">{escape(part.title)}</a>{nested}</li>')
    landmarks = [(COVER_FILE, "cover", "Cover"), (f"{NAV_FILE}#toc", "toc", "Contents")]
    first_chapter = next(p for p in book.parts if p.kind is PartKind.CHAPTER)
    for part in book.parts:
        if part is first_chapter:
            landmarks.append((ids.epub_file_name(part.part_id), "bodymatter", "Start of content"))
        elif part.kind is not PartKind.CHAPTER:
            landmarks.append((ids.epub_file_name(part.part_id), part.epub_type, part.title))
    landmark_items = "".join(f'<li><a epub:type="{kind}" href="{href}">{escape(text)}</a></li>' for href, kind, text in landmarks)
    page_list = ""
    if pages:
        entries = "".join(
            f'<li><a href="{ids.epub_file_name(placement.part_id)}#page-{page}">{page}</a></li>'
            for placement in pages for page in placement.pages
        )
        page_list = f'<nav epub:type="page-list" id="page-list" role="doc-pagelist" hidden=""><h2>Pages</h2><ol>{entries}</ol></nav>'
    head = _XHTML_HEAD.format(lang=escape(meta.language), title="Contents")
    return (f'{head}<body><nav epub:type="toc" id="toc" role="doc-toc"><h1>Contents</h1><ol>{"".join(items)}</ol></nav>'
            f'<nav epub:type="landmarks" id="landmarks" hidden=""><h2>Landmarks</h2><ol>{landmark_items}</ol></nav>'
            f'{page_list}</body></html>')


def _accessibility_metadata(package: epub.EpubBook, book: ResolvedBook, has_page_list: bool) -> None:
    has_images = bool(book.images)
    modes = ["textual"] + (["visual"] if has_images else [])
    features = ["structuralNavigation", "tableOfContents", "readingOrder"]
    features += ["alternativeText"] if has_images else []
    features += ["pageNavigation", "printPageNumbers"] if has_page_list else []
    for mode in modes:
        package.add_metadata(None, "meta", mode, {"property": "schema:accessMode"})
    package.add_metadata(None, "meta", "textual", {"property": "schema:accessModeSufficient"})
    for feature in features:
        package.add_metadata(None, "meta", feature, {"property": "schema:accessibilityFeature"})
    package.add_metadata(None, "meta", "none", {"property": "schema:accessibilityHazard"})
    package.add_metadata(None, "meta", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA", {"property": "dcterms:conformsTo"})
    package.add_metadata(None, "meta", "A reflowable book with a navigable table of contents, headings in order"
                         + (" and text descriptions of every image." if has_images else "."),
                         {"property": "schema:accessibilitySummary"})


def _repack(data: bytes, when: datetime.datetime, language: str) -> bytes:
    """The same entries in the same order with one fixed timestamp: reproducible bytes.

    The package document also gets the book's language, which ebooklib leaves out
    and accessibility checkers ask for."""
    stamp = max(when, datetime.datetime(1980, 1, 1)).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            content = source.read(info.filename)
            if info.filename.endswith(".opf"):
                content = content.replace(b"<package ", f'<package xml:lang="{escape(language)}" '.encode(), 1)
            target.writestr(entry, content)
    return out.getvalue()

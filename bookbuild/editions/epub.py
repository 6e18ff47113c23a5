"""The EPUB 3 edition: one XHTML document per part, and the package around them.

Everything in the archive is written here: the XHTML documents, the navigation
document, the package document (content.opf), the NCX and the OCF container, with
lxml and zipfile. The same sources always give the same bytes: entries in one
order, one fixed timestamp, ``mimetype`` first and stored.
"""

from __future__ import annotations

import datetime
import io
import itertools
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from lxml import etree
from lxml import html as lxml_html

from .. import characters, fonts, generated, glyphs, ids, theme
from ..cache import Cache, key_of
from ..cover import titled_cover, typographic_cover
from ..model import BookError, PartKind, ResolvedBook, ResolvedPart, error
from ..pagemap import PageStart, Placement, insert_page_markers, placements
from ..resources import image_bytes
from ..words import words_for

PACKAGE_FOLDER = "EPUB"  # in the archive: META-INF/container.xml points to EPUB/content.opf
PACKAGE_FILE = "content.opf"
NCX_FILE = "toc.ncx"
STYLE_FILE = "style/book.css"
NAV_FILE = "nav.xhtml"
COVER_FILE = "cover.xhtml"
COVER_IMAGE_ID = "cover-image"
_XHTML_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
    '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" '
    'lang="{lang}" xml:lang="{lang}"><head><meta charset="utf-8"/><title>{title}</title>'
    '<link rel="stylesheet" type="text/css" href="' + STYLE_FILE + '"/></head>'
)
_BODY_TYPE = {PartKind.FRONT: "frontmatter", PartKind.CHAPTER: "bodymatter", PartKind.BACK: "backmatter"}
_OPF = "http://www.idpf.org/2007/opf"
_DC = "http://purl.org/dc/elements/1.1/"
_NCX = "http://www.daisy.org/z3986/2005/ncx/"
_CONTAINER = "urn:oasis:names:tc:opendocument:xmlns:container"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True)
class Item:
    """One file of the package, as the manifest lists it."""

    item_id: str
    href: str  # its name in the package folder, as stored in the archive (not URL-escaped)
    media_type: str
    content: bytes
    properties: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContentsEntry:
    """One line of the table of contents, which the navigation document and the NCX share."""

    href: str
    text: str
    sections: tuple[ContentsEntry, ...] = ()


def render_epub(book: ResolvedBook, page_starts: tuple[PageStart, ...] = (), cache: Cache | None = None) -> bytes:
    """The EPUB; with the print edition's ``page_starts``, a page-list of its pages. ``cache``
    keeps its font subsets and cover picture, which change far less often than its text."""
    pages = placements(list(page_starts), {p.part_id for p in book.parts})
    resources = _resources(book, cache)
    documents = _documents(book, pages)
    nav = _xhtml_item("nav", NAV_FILE, _nav_xhtml(book, pages), ("nav",))
    # Cover, title page and copyright, then the contents where a printed book has it.
    opening = 1 + sum(1 for p in book.parts if not p.in_contents and p.kind is PartKind.FRONT)
    spine = documents[:opening] + [nav] + documents[opening:]
    items = resources + documents + [nav]
    package = _package_document(book, items, spine, has_page_list=bool(pages))
    files = [("META-INF/container.xml", _container()), (f"{PACKAGE_FOLDER}/{PACKAGE_FILE}", package)]
    files += [(f"{PACKAGE_FOLDER}/{item.href}", item.content) for item in items]
    files.append((f"{PACKAGE_FOLDER}/{NCX_FILE}", _ncx(book)))
    _refuse_forbidden_characters(files)
    return _archive(files, ids.build_date(book.metadata))


_TEXT_FILES = (".xhtml", ".opf", ".ncx", ".xml", ".css", ".svg")


def _refuse_forbidden_characters(files: list[tuple[str, bytes]]) -> None:
    """The last look before the archive is made: a control character or noncharacter in
    any document makes EPUB readers (and EPUBCheck) stop. Every way into the book refuses
    them where they are written (``characters``); this catches a way that does not."""
    problems = []
    for name, content in files:
        if name.endswith(_TEXT_FILES):
            text = content.decode("utf-8", errors="replace")
            for offset, char in characters.forbidden_in(text):
                line, col = characters.position(text, offset)
                problems.append(error("manuscript", 1, 1, f"the EPUB's {name} would hold {characters.described(char)} "
                                                         f"at its line {line}, column {col}, which EPUB readers refuse: "
                                                         "find it in the book and delete it"))
                break
    if problems:
        raise BookError(problems)


def _resources(book: ResolvedBook, cache: Cache | None = None) -> list[Item]:
    """Styles, the subset body font (and the fallback faces the text needs), the images and
    the cover image; the font subsets kept in ``cache`` under the font and the characters."""
    items = [Item("style", STYLE_FILE, "text/css", _css(book).encode("utf-8"))]
    characters = "".join(sorted(set("".join(part.html for part in book.parts))))
    keys = set()
    for face in theme.theme_fonts():
        key = key_of(_FONTS, face.path.read_bytes(), characters)
        keys.add(key)
        subset = _kept(cache, _FONTS, key, lambda face=face: _subset_font(face.path, characters))
        items.append(Item("font-" + ids.slugify(face.path.stem), _font_name(face), "font/ttf", subset))
    for face, text in glyphs.fallback_text(book.metadata.language, shown_text(book)):
        key = key_of(_FONTS, face.path.read_bytes(), str(face.index), text)
        keys.add(key)
        subset = _kept(cache, _FONTS, key, lambda face=face, text=text: fonts.subset_for_text(face.path, text, face.index))
        items.append(Item("font-" + ids.slugify(face.postscript_name), _font_name(face), _FONT_TYPES[_font_name(face)[-3:]],
                          subset))
    if cache is not None:
        cache.keep_only(_FONTS, keys)
    # Images are numbered rather than named after their files: ids stay unique and valid
    # XML names whatever the file names are.
    inside = [image for image in book.images if image.path != book.metadata.cover]
    for n, image in enumerate(inside, start=1):
        items.append(Item(f"image-{n}", media_name(image.path), image.media_type,
                          image_bytes(book.root, book.root / image.path, image.media_type)))
    content, media_type = cover_image(book, cache)
    items.append(Item(COVER_IMAGE_ID, _cover_image_name(book), media_type, content, ("cover-image",)))
    return items


def cover_image(book: ResolvedBook, cache: Cache | None = None) -> tuple[bytes, str]:
    """The cover's bytes and media type: the book's own image (an SVG sanitised; with
    ``cover_text``, a picture with the title and author set on it), else the typographic cover
    (a drawn one kept in ``cache`` under the metadata and the picture it is drawn from)."""
    cover = book.metadata.cover
    if not cover:
        key = key_of(_COVERS, repr(book.metadata))
        drawn = _kept(cache, _COVERS, key, lambda: typographic_cover(book.metadata))
    else:
        kind = next(i.media_type for i in book.images if i.path == cover)
        picture = image_bytes(book.root, book.root / cover, kind)
        if not _titled(book):
            return picture, kind
        key = key_of(_COVERS, repr(book.metadata), picture)
        drawn = _kept(cache, _COVERS, key, lambda: titled_cover(picture, book.metadata))
    if cache is not None:
        cache.keep_only(_COVERS, {key})
    return drawn, "image/png"


_FONTS, _COVERS = "epub-fonts", "epub-covers"  # their kinds in the cache


def _kept(cache: Cache | None, kind: str, key: str, make: Callable[[], bytes]) -> bytes:
    """``make()``, or what the cache kept of it."""
    made = cache.load(kind, key) if cache is not None else None
    if not isinstance(made, bytes):
        made = make()
        if cache is not None:
            cache.store(kind, key, made)
    return made


def _titled(book: ResolvedBook) -> bool:
    """A picture the EPUB sets the title on (an SVG cover carries its own: metadata warns)."""
    return book.metadata.cover_text and not book.metadata.cover.lower().endswith(".svg")


def _documents(book: ResolvedBook, pages: list[Placement]) -> list[Item]:
    """The cover page, then one document per part."""
    anchors = book.part_of_anchor()
    documents = [_xhtml_item("cover", COVER_FILE, _cover_page(book))]
    for part in book.parts:
        here = [placement for placement in pages if placement.part_id == part.part_id]
        documents.append(_xhtml_item(part.part_id, ids.epub_file_name(part.part_id), _part_xhtml(book, part, anchors, here),
                                     ("svg",) if "<svg" in part.html else ()))
    return documents


def _cover_image_name(book: ResolvedBook) -> str:
    if _titled(book):
        return "media/titled-cover.png"
    return media_name(book.metadata.cover) if book.metadata.cover else "media/generated-cover.png"


def _xhtml_item(item_id: str, file_name: str, content: str, properties: tuple[str, ...] = ()) -> Item:
    return Item(item_id, file_name, "application/xhtml+xml", content.encode("utf-8"), properties)


def media_name(path: str) -> str:
    return "media/" + path


_FONT_TYPES = {"ttf": "font/ttf", "otf": "font/otf"}


def _font_name(face: theme.FontFace) -> str:
    """``fonts/SourceSerifPro-Regular.ttf``; a face from a collection is a file of its own,
    named after it (``fonts/NotoSerifCJKjp-Regular.otf``)."""
    if face.path.suffix.lower() in (".ttc", ".otc"):
        return f"fonts/{face.postscript_name}.otf"
    return "fonts/" + face.path.name


def _css(book: ResolvedBook) -> str:
    return stylesheet(book, lambda face: "../" + _font_name(face))


def stylesheet(book: ResolvedBook, font_url: Callable[[theme.FontFace], str], embedded_fallbacks: bool = True) -> str:
    """The EPUB's one stylesheet: the body font and the fallback faces the text needs, the
    family that lists them, the theme's and the book's own styles."""
    used = glyphs.fallback_text(book.metadata.language, shown_text(book)) if embedded_fallbacks else []
    faces = [theme.font_face_css(font_url)] + [
        f'@font-face {{ font-family: "{face.family}"; font-weight: {face.weight}; font-style: {face.style}; '
        f'src: url("{font_url(face)}"); }}' for face, _ in used]
    return "\n".join(faces + [theme.family_css(book.metadata.language)]
                     + [path.read_text(encoding="utf-8") for path in theme.stylesheets(book.root, "epub")])


def shown_text(book: ResolvedBook) -> str:
    """Every character the EPUB's documents show as text (pandoc's "↩" after a note is not
    among them: the EPUB numbers its notes instead), once each."""
    found: set[str] = set()
    for part in book.parts:
        root = lxml_html.fragment_fromstring(part.html)
        for back in [a for a in root.iter("a") if "footnote-back" in a.get("class", "").split()]:
            back.drop_tree()
        found.update(root.text_content())
    return "".join(sorted(found))


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
    for number, li in enumerate(notes, start=1):
        aside = lxml_html.Element("aside", {"id": li.get("id", ""), "class": "footnote",
                                           "epub:type": "footnote", "role": "doc-footnote"})
        aside.text = li.text
        for child in list(li):
            aside.append(child)
        _number_the_note(aside, number)
        asides.append(aside)
    for aside in asides:
        section.addprevious(aside)
    section.drop_tree()


def _number_the_note(aside: etree._Element, number: int) -> None:
    """A note begins with its number, as its call shows it, and the number leads back to the
    call (pandoc's "↩" at the note's end goes: one way back is enough)."""
    backs = [a for a in aside.iter("a") if "footnote-back" in a.get("class", "").split()]
    label = lxml_html.Element("a", {"class": "footnote-label", "role": "doc-backlink"})
    label.text = f"{number}."
    if backs:
        label.set("href", backs[0].get("href", ""))
    for back in backs:
        back.drop_tree()
    first = aside[0] if len(aside) and aside[0].tag == "p" and not (aside.text or "").strip() else aside
    label.tail = " " + (first.text or "").lstrip()
    first.text = None
    first.insert(0, label)
    if not label.get("href"):
        label.tag = "span"
        del label.attrib["role"]


def _cover_page(book: ResolvedBook) -> str:
    meta = book.metadata
    words = words_for(meta.language)
    head = _XHTML_HEAD.format(lang=escape(meta.language), title=escape(words["cover"]))
    alt = words.say("cover_of", title=meta.title, authors=words.names(meta.authors))
    return (f'{head}<body epub:type="cover"><section class="cover">'
            f'<img role="doc-cover" src="{quote(_cover_image_name(book))}" alt="{escape(alt)}"/></section></body></html>')


def _contents(book: ResolvedBook) -> list[ContentsEntry]:
    """The parts listed in the contents, each with its sections."""
    entries = []
    for part in book.parts:
        if part.in_contents:
            href = ids.epub_file_name(part.part_id)
            sections = tuple(ContentsEntry(f"{href}#{entry.anchor}", entry.text) for entry in part.toc[1:])
            entries.append(ContentsEntry(href, part.title, sections))
    return entries


def _nav_xhtml(book: ResolvedBook, pages: list[Placement]) -> str:
    meta = book.metadata

    def listed(entries: tuple[ContentsEntry, ...] | list[ContentsEntry]) -> str:
        return "".join(f'<li><a href="{escape(entry.href)}">{escape(entry.text)}</a>'
                       + (f"<ol>{listed(entry.sections)}</ol>" if entry.sections else "") + "</li>" for entry in entries)

    words = words_for(meta.language)
    landmarks = [(COVER_FILE, "cover", words["cover"]), (f"{NAV_FILE}#toc", "toc", words["contents"])]
    first_chapter = next(p for p in book.parts if p.kind is PartKind.CHAPTER)
    for part in book.parts:
        if part is first_chapter:
            landmarks.append((ids.epub_file_name(part.part_id), "bodymatter", words["start_of_content"]))
        elif part.kind is not PartKind.CHAPTER:
            landmarks.append((ids.epub_file_name(part.part_id), part.epub_type, part.title))
    landmark_items = "".join(f'<li><a epub:type="{kind}" href="{href}">{escape(text)}</a></li>' for href, kind, text in landmarks)
    page_list = ""
    if pages:
        entries = "".join(
            f'<li><a href="{ids.epub_file_name(placement.part_id)}#page-{page}">{page}</a></li>'
            for placement in pages for page in placement.pages
        )
        page_list = (f'<nav epub:type="page-list" id="page-list" role="doc-pagelist" hidden="">'
                     f'<h2>{escape(words["pages"])}</h2><ol>{entries}</ol></nav>')
    contents = escape(words["contents"])
    head = _XHTML_HEAD.format(lang=escape(meta.language), title=contents)
    return (f'{head}<body><nav epub:type="toc" id="toc" role="doc-toc"><h1>{contents}</h1><ol>{listed(_contents(book))}</ol></nav>'
            f'<nav epub:type="landmarks" id="landmarks" hidden=""><h2>{escape(words["landmarks"])}</h2><ol>{landmark_items}</ol></nav>'
            f'{page_list}</body></html>')


# --- the package document, the NCX, the container and the archive ----------------------------


def _package_document(book: ResolvedBook, items: list[Item], spine: list[Item], has_page_list: bool) -> bytes:
    """content.opf: the book's metadata, every file (the manifest) and the reading order (the spine)."""
    meta = book.metadata
    package = etree.Element(f"{{{_OPF}}}package", nsmap={None: _OPF, "dc": _DC})
    package.set("version", "3.0")
    package.set("unique-identifier", "pub-id")
    package.set(_XML_LANG, meta.language)
    metadata = etree.SubElement(package, f"{{{_OPF}}}metadata")

    def dc(name: str, text: str, attributes: dict[str, str] | None = None) -> None:
        etree.SubElement(metadata, f"{{{_DC}}}{name}", attributes or {}).text = text

    def meta_property(name: str, text: str, attributes: dict[str, str] | None = None) -> None:
        etree.SubElement(metadata, f"{{{_OPF}}}meta", {"property": name, **(attributes or {})}).text = text

    dc("identifier", ids.book_identifier(meta), {"id": "pub-id"})
    dc("title", meta.title)
    dc("language", meta.language)
    for n, author in enumerate(meta.authors, start=1):
        dc("creator", author, {"id": f"creator{n}"})
        meta_property("role", "aut", {"refines": f"#creator{n}", "scheme": "marc:relators"})
    for name, value in (("publisher", meta.publisher), ("rights", meta.rights),
                        ("description", meta.description), ("date", meta.date)):
        if value:
            dc(name, value)
    for subject in meta.subjects:
        dc("subject", subject)
    if meta.series:
        meta_property("belongs-to-collection", meta.series, {"id": "series"})
        meta_property("collection-type", "series", {"refines": "#series"})
    meta_property("dcterms:modified", ids.build_date(meta).strftime("%Y-%m-%dT%H:%M:%SZ"))
    for name, value in _accessibility_metadata(book, has_page_list):
        meta_property(name, value)
    if has_page_list:
        meta_property("pageBreakSource", ids.print_identifier(meta))
    # EPUB 2 reading systems find the cover image by this; EPUB 3 ones by its "cover-image" property.
    etree.SubElement(metadata, f"{{{_OPF}}}meta", {"name": "cover", "content": COVER_IMAGE_ID})

    manifest = etree.SubElement(package, f"{{{_OPF}}}manifest")
    for item in items + [Item("ncx", NCX_FILE, "application/x-dtbncx+xml", b"")]:
        entry = etree.SubElement(manifest, f"{{{_OPF}}}item",
                                 {"id": item.item_id, "href": quote(item.href), "media-type": item.media_type})
        if item.properties:
            entry.set("properties", " ".join(item.properties))
    reading_order = etree.SubElement(package, f"{{{_OPF}}}spine", {"toc": "ncx"})
    for item in spine:
        etree.SubElement(reading_order, f"{{{_OPF}}}itemref", {"idref": item.item_id})
    return etree.tostring(package, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _accessibility_metadata(book: ResolvedBook, has_page_list: bool) -> list[tuple[str, str]]:
    """The package's accessibility metadata (EPUB Accessibility 1.1), as (property, value)."""
    has_images = bool(book.images)
    modes = ["textual"] + (["visual"] if has_images else [])
    features = ["structuralNavigation", "tableOfContents", "readingOrder"]
    features += ["alternativeText"] if has_images else []
    features += ["pageNavigation", "printPageNumbers"] if has_page_list else []
    words = words_for(book.metadata.language)
    summary = words["accessibility_summary_images" if has_images else "accessibility_summary"]
    return ([("schema:accessMode", mode) for mode in modes]
            + [("schema:accessModeSufficient", "textual")]
            + [("schema:accessibilityFeature", feature) for feature in features]
            + [("schema:accessibilityHazard", "none"),
               ("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"),
               ("schema:accessibilitySummary", summary)])


def _ncx(book: ResolvedBook) -> bytes:
    """toc.ncx: the contents for EPUB 2 reading systems, which do not read the navigation
    document (many e-ink readers built on Adobe's RMSDK are still among them); EPUB 3 allows
    it for them, and EPUB 3 reading systems ignore it."""
    meta = book.metadata
    contents = _contents(book)

    def element(parent: etree._Element, tag: str, attributes: dict[str, str] | None = None) -> etree._Element:
        return etree.SubElement(parent, f"{{{_NCX}}}{tag}", attributes or {})

    ncx = etree.Element(f"{{{_NCX}}}ncx", {"version": "2005-1", _XML_LANG: meta.language}, nsmap={None: _NCX})
    head = element(ncx, "head")
    depth = 2 if any(entry.sections for entry in contents) else 1
    for name, value in (("dtb:uid", ids.book_identifier(meta)), ("dtb:depth", str(depth)),
                        ("dtb:totalPageCount", "0"), ("dtb:maxPageNumber", "0")):
        element(head, "meta", {"name": name, "content": value})
    element(element(ncx, "docTitle"), "text").text = meta.title
    nav_map = element(ncx, "navMap")
    play_order: dict[str, int] = {}  # one number per place, in reading order (the contents' order)
    points = itertools.count(1)

    def add(parent: etree._Element, entry: ContentsEntry) -> None:
        order = play_order.setdefault(entry.href, len(play_order) + 1)
        point = element(parent, "navPoint", {"id": f"navpoint-{next(points)}", "playOrder": str(order)})
        element(element(point, "navLabel"), "text").text = entry.text
        element(point, "content", {"src": entry.href})
        for section in entry.sections:
            add(point, section)

    for entry in contents:
        add(nav_map, entry)
    return etree.tostring(ncx, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _container() -> bytes:
    """META-INF/container.xml: where the package document is."""
    return (f'<?xml version="1.0" encoding="utf-8"?>\n'
            f'<container xmlns="{_CONTAINER}" version="1.0">\n  <rootfiles>\n'
            f'    <rootfile full-path="{PACKAGE_FOLDER}/{PACKAGE_FILE}" media-type="application/oebps-package+xml"/>\n'
            f'  </rootfiles>\n</container>\n').encode("utf-8")


def _archive(files: list[tuple[str, bytes]], when: datetime.datetime) -> bytes:
    """The OCF zip: ``mimetype`` first and stored (a reader recognises an EPUB by its first
    bytes), then the files in the order given, deflated, all with one timestamp: the same
    files always give the same bytes."""
    stamp = max(when, datetime.datetime(1980, 1, 1)).timetuple()[:6]  # zip cannot say earlier
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in [("mimetype", b"application/epub+zip"), *files]:
            entry = zipfile.ZipInfo(name, date_time=stamp)
            entry.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, content)
    return out.getvalue()

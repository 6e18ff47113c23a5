"""The book's two PDFs written from its segments' finished pages, a segment at a time.

Each segment's pages were finished for each edition (``finishing``) and kept as a
fragment of objects. Joining writes them one after another (``pdfwriter``), numbering
their objects as it goes, with an empty left-hand page before a segment that would
otherwise start on the left (print; the screen edition has none), and the blank pages
that make the print edition's count even at its end; each segment is read when it is
written and let go, so memory does not grow with the book. What belongs to the whole
book is written last: the page tree, one structure tree holding every segment's elements
under one ``Document`` element (their parent-tree keys moved past those of the segments
before), the named destinations of every anchor, the bookmarks, the page labels, one
program per font file for the glyphs that all the segments use, and, from the front
matter's own document (``shell``: its information, metadata, language, viewer
preferences), the catalog and the document information, with the print edition's
PDF/X keys and output intent (``pdfx``). Identical objects that segments each brought
(an image used twice, its colour profile) are written once.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pikepdf

from ..printing import TARGETS
from . import pdfx
from .finishing import Bookmark, FinishedPages, FontUse, Press
from .pdfwriter import DOCUMENT, LEFT_OUT, PAGES, PdfWriter, Serializer, number, reference, resolved, string

# A font file's program for a set of glyph ids: compressed, and its size uncompressed (made by
# the caller, which may keep it).
FontProgram = Callable[[FontUse, frozenset[int]], tuple[bytes, int]]


@dataclass
class _Book:
    """What the catalog needs, gathered as the segments are written."""

    pages: list[int]
    destinations: dict[str, bytes]
    bookmarks: list[tuple[Bookmark, int]]  # (bookmark, the book's page its segment begins on, from 0)
    fonts: dict[str, tuple[int, FontUse, set[int]]]  # key -> (object number, identity, glyphs)
    structure: list[bytes]
    parent_tree: list[tuple[int, bytes]]
    keys: int = 0


def join_print(parts: Iterable[FinishedPages], blank_before: list[bool], labels: tuple[str, ...], shell: bytes,
               press: Press, program: FontProgram) -> bytes:
    """The print edition: ``labels`` has one folio for each printed page, the blank pages
    that end the book included."""
    target = TARGETS[press.settings.target]
    out = io.BytesIO()
    writer = PdfWriter(out, pdfx.pdf_version(press.settings), compact=False)
    catalog, tree = writer.reserve(), writer.reserve()
    book = _Book([], {}, [], {}, [], [])
    shared: dict[bytes, int] = {}
    last = None
    for part, blank in zip(parts, blank_before):
        if blank and book.pages:
            book.pages.append(_blank_page(writer, tree, part, len(book.pages), press))
        _write_segment(writer, part, book, shared, tree, None)
        last = part
    while last is not None and len(book.pages) < len(labels):
        book.pages.append(_blank_page(writer, tree, last, len(book.pages), press))
    with pikepdf.open(io.BytesIO(shell)) as document:
        pdfx.set_pdfx_version(document, target.pdfx)
        pdfx.set_output_intent(document, press.profile)
        document.Root.PageLabels = pdfx.page_labels(labels[:len(book.pages)])
        entries = ["/Lang", "/ViewerPreferences", "/Metadata", "/OutputIntents", "/PageLabels"]
        if target.bookmarks:
            entries.append("/PageMode")
        _write_book(writer, document, catalog, tree, book, entries, bookmarks=target.bookmarks, program=program)
    return out.getvalue()


def join_screen(parts: Iterable[FinishedPages], labels: tuple[str, ...], shell: bytes, program: FontProgram) -> bytes:
    """The screen edition: ``labels`` has the folio of each of its pages (the print
    edition's, but for the pages left blank)."""
    with pikepdf.open(io.BytesIO(shell)) as document:
        out = io.BytesIO()
        writer = PdfWriter(out, document.pdf_version, compact=True)
        catalog, tree, element = writer.reserve(), writer.reserve(), writer.reserve()
        book = _Book([], {}, [], {}, [], [])
        shared: dict[bytes, int] = {}
        for part in parts:
            _write_segment(writer, part, book, shared, tree, element)
        document.Root.PageLabels = pdfx.page_labels(labels[:len(book.pages)])
        _write_book(writer, document, catalog, tree, book, ["/Lang", "/ViewerPreferences", "/Metadata", "/MarkInfo",
                                                            "/PageMode", "/PageLabels"],
                    bookmarks=True, program=program, element=element)
    return out.getvalue()


def _write_segment(writer: PdfWriter, part: FinishedPages, book: _Book, shared: dict[bytes, int], tree: int,
                   element: int | None) -> None:
    """A segment's objects, each numbered as it is written (an object identical to one
    written before is that one); what the catalog needs of it, kept."""
    for use in part.fonts:
        if use.key not in book.fonts:
            book.fonts[use.key] = (writer.reserve(), use, set())
        book.fonts[use.key][2].update(use.glyphs)
    tokens = {PAGES: reference(tree), LEFT_OUT: b"null"}
    if element is not None:
        tokens[DOCUMENT] = reference(element)
    tokens.update((b"F" + key.encode(), reference(found[0])) for key, found in book.fonts.items())
    numbers, table = writer.add_fragment(part.fragment, tokens, book.keys, part.keys, shared)
    first = len(book.pages)
    book.pages.extend(numbers[:part.pages])
    for name, destination in part.destinations:
        book.destinations.setdefault(name, resolved(destination, table))
    book.bookmarks.extend((bookmark, first) for bookmark in part.bookmarks)
    book.structure.extend(resolved(kid, table) for kid in part.structure)
    book.parent_tree.extend((key + book.keys, resolved(value, table)) for key, value in part.parent_tree)
    book.keys += part.keys


def _blank_page(writer: PdfWriter, tree: int, beside: FinishedPages, index: int, press: Press) -> int:
    """An empty page (but for the printer's marks) with the trim of the segment beside it."""
    media, bleed_box, marks = pdfx.boxes_of_page(beside.trim, beside.bleed, index, press.settings,
                                                 TARGETS[press.settings.target].bleed_sides)
    page = writer.reserve()
    contents = writer.reserve()
    writer.add_stream(contents, marks)
    writer.add(page, b"<< /Type /Page /Parent %s /MediaBox %s /TrimBox %s /BleedBox %s /Resources << >> /Contents %s >>"
               % (reference(tree), _box(media), _box(beside.trim), _box(bleed_box), reference(contents)))
    return page


def _box(values) -> bytes:
    return b"[ " + b" ".join(number(v) for v in values) + b" ]"


def _write_book(writer: PdfWriter, document: pikepdf.Pdf, catalog: int, tree: int, book: _Book, entries: list[str],
                bookmarks: bool, program: FontProgram, element: int | None = None) -> None:
    """What belongs to the whole book, then the cross-reference: ``entries`` are the keys of
    the front matter's catalog (``document``) that the book's catalog keeps."""
    for key, (n, use, glyphs) in book.fonts.items():
        data, size = program(use, frozenset(glyphs))
        # A TrueType program says its size uncompressed; an OpenType one (CFF outlines) its subtype.
        kind = b"/Subtype /OpenType" if use.entry == "/FontFile3" else b"/Length1 %d" % size
        writer.add(n, b"<< %s /Filter /FlateDecode /Length %d >>" % (kind, len(data)), data)
    writer.add(tree, b"<< /Type /Pages /Kids [ %s ] /Count %d >>"
               % (b" ".join(reference(n) for n in book.pages), len(book.pages)))
    # The front matter's document information and catalog entries, with their own objects.
    special = {document.Root.Pages.objgen: PAGES, **{page.objgen: LEFT_OUT for page in document.pages}}
    tokens = {PAGES: reference(tree), LEFT_OUT: b"null"}
    serializer = Serializer(document, special)
    serializer.reference(document.docinfo)  # object 0 (made, empty, if the front matter has none)
    kept = {key: serializer.text(document.Root[key]) for key in entries if key in document.Root}
    element_entries = b"/S /Document /Type /StructElem"
    root = document.Root.get("/StructTreeRoot")
    if element is not None and root is not None:
        first = root.K[0] if isinstance(root.K, pikepdf.Array) else root.K
        element_entries = b" ".join(k.encode() + b" " + serializer.text(v) for k, v in first.items() if k not in ("/K", "/P"))
    numbers, table = writer.add_fragment(serializer.fragment(), tokens, 0, 0, {})
    fields = [b"/Type /Catalog", b"/Pages " + reference(tree)]
    fields += [key.encode() + b" " + resolved(text, table) for key, text in kept.items()]
    if book.destinations:
        names = writer.reserve()
        writer.add(names, b"<< /Names [ %s ] >>" % b" ".join(string(name) + b" " + book.destinations[name]
                                                            for name in sorted(book.destinations)))
        fields.append(b"/Names << /Dests %s >>" % reference(names))
    if bookmarks and book.bookmarks:
        fields.append(b"/Outlines " + reference(_write_outline(writer, book)))
    if element is not None:
        root_number, parent_tree = writer.reserve(), writer.reserve()
        nums = b" ".join(b"%d %s" % (key, value) for key, value in sorted(book.parent_tree))
        writer.add(parent_tree, b"<< /Nums [ %s ] >>" % nums)
        writer.add(element, b"<< %s /K [ %s ] /P %s >>" % (resolved(element_entries, table),
                                                          b" ".join(book.structure), reference(root_number)))
        writer.add(root_number, b"<< /Type /StructTreeRoot /K [ %s ] /ParentTree %s /ParentTreeNextKey %d >>"
                   % (reference(element), reference(parent_tree), book.keys))
        fields.append(b"/StructTreeRoot " + reference(root_number))
    writer.add(catalog, b"<< " + b" ".join(fields) + b" >>")
    writer.close(catalog, numbers[0])


def _write_outline(writer: PdfWriter, book: _Book) -> int:
    """The bookmarks, each at its place in the book, all open."""
    root = writer.reserve()

    def write(items: list[tuple[Bookmark, int]], parent: int) -> tuple[list[int], int]:
        numbers = [writer.reserve() for _ in items]
        visible = len(items)
        for n, ((bookmark, first), own) in enumerate(zip(items, numbers)):
            fields = [b"/Title " + string(bookmark.title), b"/Parent " + reference(parent),
                      b"/Dest [ %s /XYZ 0 %s null ]" % (reference(book.pages[first + bookmark.page]), number(bookmark.top))]
            if n > 0:
                fields.append(b"/Prev " + reference(numbers[n - 1]))
            if n + 1 < len(numbers):
                fields.append(b"/Next " + reference(numbers[n + 1]))
            if bookmark.children:
                kids, count = write([(child, first) for child in bookmark.children], own)
                fields += [b"/First " + reference(kids[0]), b"/Last " + reference(kids[-1]), b"/Count %d" % count]
                visible += count
            writer.add(own, b"<< " + b" ".join(fields) + b" >>")
        return numbers, visible

    top, count = write(book.bookmarks, root)
    writer.add(root, b"<< /Type /Outlines /First %s /Last %s /Count %d >>" % (reference(top[0]), reference(top[-1]), count))
    return root


"""Joining the PDFs of the book's segments into one document (pikepdf).

Each segment was laid out and written alone (``typeset``), as a tagged PDF
with its own pages, named destinations, bookmarks and structure tree. Joining
keeps the first segment's document (its catalog: metadata, language, viewer
preferences) and appends the others: pages (with an empty left-hand page where a
segment would otherwise start on the left), structure elements under the one
``Document`` element with their parent-tree keys moved past the ones already
taken, named destinations, and bookmarks. Each page gets its decoration (folio,
running head) laid over it, marked as an artifact for screen readers. Links
between segments were written as ``bookbuild:<anchor>`` URIs, since the segment
holding them could not see their target; here they become links to it. Images
and font programs that every segment brought its own copy of are kept once.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from urllib.parse import unquote

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from .. import fonts
from .pdfx import add_blank_page

LINK_SCHEME = "bookbuild:"


@dataclass
class _Bookmark:
    title: str
    page: int  # in the joined document, from 0
    top: float
    children: list[_Bookmark]


def join(segments: list[bytes], decorations: list[bytes], blank_before: list[bool], labels: tuple[str, ...]) -> bytes:
    """The segments' PDFs as one; ``decorations[i]`` has the margin boxes of segment i's
    pages; ``blank_before[i]``: an empty page goes before segment i. ``labels`` are the
    folios of the joined pages, for the links' descriptions."""
    out = pikepdf.open(io.BytesIO(segments[0]))
    _decorate(out, 0, decorations[0])
    document = out.Root.StructTreeRoot.K[0]
    parent_tree: list = list(_nums(out.Root.StructTreeRoot.ParentTree))
    destinations = dict(_destinations(out))
    bookmarks = _bookmarks(out, 0)
    next_key = _next_key(parent_tree)
    for data, decoration, blank in zip(segments[1:], decorations[1:], blank_before[1:]):
        if blank:
            add_blank_page(out)
        source = pikepdf.open(io.BytesIO(data))
        first_page = len(out.pages)
        source_keys = list(_nums(source.Root.StructTreeRoot.ParentTree))
        for page in source.pages:
            _shift_struct_parents(page.obj, next_key)
        bookmarks += _bookmarks(source, first_page)
        out.pages.extend(source.pages)  # copied first, so that what follows maps onto the copies
        _decorate(out, first_page, decoration)
        for kid in list(source.Root.StructTreeRoot.K[0].K):
            del kid["/P"]  # otherwise the copy would drag in the whole source tree
            copied = out.copy_foreign(kid)
            copied.P = document
            document.K.append(copied)
        parent_tree += [(key + next_key, _copy(out, value)) for key, value in source_keys]
        next_key = _next_key(parent_tree)
        for name, destination in _destinations(source):
            destinations.setdefault(name, _copy(out, destination))
        source.close()
    _share_identical_resources(out)
    _one_program_per_font(out)
    _set_parent_tree(out, parent_tree, next_key)
    _link_across_segments(out, destinations, labels)
    _set_destinations(out, destinations)
    _set_bookmarks(out, bookmarks)
    # Handed on as bytes: the joined document still holds every segment's parsed PDF,
    # which is most of its memory (a 2,500-page book: 400 MB); its bytes are 20 MB.
    buffer = io.BytesIO()
    out.save(buffer, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    out.close()
    return buffer.getvalue()


def _decorate(pdf: pikepdf.Pdf, first_page: int, decoration: bytes) -> None:
    """Lay each page of ``decoration`` over the page of ``pdf`` it belongs to."""
    with pikepdf.open(io.BytesIO(decoration)) as source:
        for n, page in enumerate(source.pages):
            form = pdf.copy_foreign(page.as_form_xobject())
            target = pdf.pages[first_page + n]
            name = target.add_resource(form, Name.XObject, Name(f"/Decoration{first_page + n}"))
            target.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)  # the page's own state ends before ours
            target.contents_add(pikepdf.Stream(pdf, b"Q\n/Artifact BMC q " + str(name).encode() + b" Do Q EMC\n"))


def _share_identical_resources(pdf: pikepdf.Pdf) -> None:
    """Every segment brought its own copy of any image (and its colour profile) it shares
    with another: keep one of each (the rest are not written)."""
    kept: dict[bytes, pikepdf.Object] = {}
    chosen: dict[tuple[int, int], pikepdf.Object] = {}  # a stream met again (resources are shared by pages)

    def one_of(stream: pikepdf.Object) -> pikepdf.Object:
        if stream.objgen not in chosen:
            chosen[stream.objgen] = one_of_identical(stream)
        return chosen[stream.objgen]

    def one_of_identical(stream: pikepdf.Object) -> pikepdf.Object:
        digest = hashlib.sha256(stream.read_raw_bytes())
        for key, value in sorted(stream.stream_dict.items()):
            if key != "/Length":
                digest.update(key.encode() + (value.read_raw_bytes() if isinstance(value, pikepdf.Stream) else repr(value).encode()))
        return kept.setdefault(digest.digest(), stream)

    def share(resources: pikepdf.Object) -> None:
        for name, space in resources.get("/ColorSpace", Dictionary()).items():
            if isinstance(space, Array) and len(space) == 2 and space[0] == Name.ICCBased:
                resources.ColorSpace[name] = Array([Name.ICCBased, one_of(space[1])])
        for name, xobject in resources.get("/XObject", Dictionary()).items():
            if xobject.get("/Subtype") == Name.Image:
                resources.XObject[name] = one_of(xobject)
            elif str(name).startswith("/Decoration"):
                share(xobject.get("/Resources", Dictionary()))

    for page in pdf.pages:
        share(page.obj.get("/Resources", Dictionary()))


def _one_program_per_font(pdf: pikepdf.Pdf) -> None:
    """One embedded program per font file instead of one per segment.

    Each segment embedded its own subset of each font, with the original glyph ids
    (``typeset``). The font file is subset again, once, for the glyphs that every
    segment's text uses together, and all the segments' font dictionaries point at
    it (their widths and Unicode maps stay theirs). A program whose font file is not
    found stays as its segment wrote it: right, only not shared.
    """
    descriptors: dict[fonts.FontIdentity, list[pikepdf.Object]] = {}
    glyphs: dict[fonts.FontIdentity, set[int]] = {}
    known: dict[tuple[int, int], fonts.FontIdentity | None] = {}  # program -> identity
    seen: set[tuple[int, int]] = set()

    def collect(resources: pikepdf.Object) -> None:
        for font in resources.get("/Font", Dictionary()).values():
            for descendant in font.get("/DescendantFonts", Array()):
                descriptor = descendant.get("/FontDescriptor")
                if descriptor is None or _program_key(descriptor) is None or descendant.objgen in seen:
                    continue
                seen.add(descendant.objgen)
                program = descriptor[_program_key(descriptor)]
                if program.objgen not in known:
                    known[program.objgen] = fonts.identity(program.read_bytes())
                font_identity = known[program.objgen]
                if font_identity is None:
                    continue
                descriptors.setdefault(font_identity, []).append(descriptor)
                glyphs.setdefault(font_identity, set()).update(_glyph_ids(descendant))
        for name, xobject in resources.get("/XObject", Dictionary()).items():
            if str(name).startswith("/Decoration"):
                collect(xobject.get("/Resources", Dictionary()))

    for page in pdf.pages:
        collect(page.obj.get("/Resources", Dictionary()))
    for font_identity, users in descriptors.items():
        original = fonts.original_file(font_identity)
        if original is None:
            continue
        path, index = original
        subset = fonts.subset_for_pdf(path.read_bytes(), index, glyphs[font_identity])
        program = pdf.make_stream(subset)
        key = _program_key(users[0])
        if key == "/FontFile2":
            program.Length1 = len(subset)
        else:  # an OpenType program with CFF outlines (a CJK face from a collection)
            program.Subtype = Name.OpenType
        for descriptor in users:
            descriptor[key] = program


def _program_key(descriptor: pikepdf.Object) -> str | None:
    """Where a font descriptor keeps its program: ``/FontFile2`` (TrueType outlines) or
    ``/FontFile3`` of subtype OpenType (CFF outlines); None for any other kind."""
    if "/FontFile2" in descriptor:
        return "/FontFile2"
    program = descriptor.get("/FontFile3")
    if program is not None and program.get("/Subtype") == Name.OpenType:
        return "/FontFile3"
    return None


def _glyph_ids(descendant: pikepdf.Object) -> set[int]:
    """The glyph ids a CID font draws: the keys of its widths (``/W``), which WeasyPrint
    writes for every glyph its text uses (CIDs are glyph ids: ``CIDToGIDMap /Identity``)."""
    found: set[int] = set()
    widths = list(descendant.get("/W", Array()))
    n = 0
    while n < len(widths):
        first = int(widths[n])
        if isinstance(widths[n + 1], Array):
            found.update(range(first, first + len(widths[n + 1])))
            n += 2
        else:
            found.update(range(first, int(widths[n + 1]) + 1))
            n += 3
    return found


def _copy(pdf: pikepdf.Pdf, value: pikepdf.Object) -> pikepdf.Object:
    """An object, or an array of objects (a page's structure elements, a destination),
    from a segment into the joined document."""
    if isinstance(value, pikepdf.Object) and value.is_indirect:
        return pdf.copy_foreign(value)
    if isinstance(value, Array):
        return Array([_copy(pdf, element) for element in value])
    return value


def _nums(tree: pikepdf.Object):
    """(key, value) pairs of a flat number tree, as WeasyPrint writes them."""
    nums = tree.get("/Nums", Array())
    for index in range(0, len(nums), 2):
        yield int(nums[index]), nums[index + 1]


def _next_key(parent_tree: list) -> int:
    return max((key for key, _ in parent_tree), default=-1) + 1


def _shift_struct_parents(page: pikepdf.Object, offset: int) -> None:
    if "/StructParents" in page:
        page.StructParents = int(page.StructParents) + offset
    for annotation in page.get("/Annots", []):
        if "/StructParent" in annotation:
            annotation.StructParent = int(annotation.StructParent) + offset


def _set_parent_tree(pdf: pikepdf.Pdf, parent_tree: list, next_key: int) -> None:
    nums = [item for key, value in sorted(parent_tree, key=lambda pair: pair[0]) for item in (key, value)]
    root = pdf.Root.StructTreeRoot
    root.ParentTree = pdf.make_indirect(Dictionary(Nums=Array(nums)))  # one Array: growing one item by item is quadratic
    root.ParentTreeNextKey = next_key


def _destinations(pdf: pikepdf.Pdf):
    names = pdf.Root.get("/Names", Dictionary()).get("/Dests")
    if names is None:
        return
    for name, destination in pikepdf.NameTree(names).items():
        yield name, destination


def _set_destinations(pdf: pikepdf.Pdf, destinations: dict) -> None:
    """Every anchor of the book by name, so ``book.pdf#c045`` opens at chapter 45."""
    flat = [item for name in sorted(destinations) for item in (String(name), destinations[name])]
    pdf.Root.Names = Dictionary(Dests=pdf.make_indirect(Dictionary(Names=Array(flat))))


def _link_across_segments(pdf: pikepdf.Pdf, destinations: dict, labels: tuple[str, ...]) -> None:
    page_number = {page.objgen: n for n, page in enumerate(pdf.pages)}
    for page in pdf.pages:
        for annotation in page.get("/Annots", []):
            action = annotation.get("/A")
            if action is None or action.get("/S") != Name.URI or not str(action.URI).startswith(LINK_SCHEME):
                continue
            anchor = unquote(str(action.URI)[len(LINK_SCHEME):])  # WeasyPrint writes an id in another script %-encoded
            destination = destinations[anchor]
            del annotation["/A"]
            annotation.Dest = String(anchor)  # named, as WeasyPrint writes links within a document
            annotation.Contents = String(f"Go to page {labels[page_number[destination[0].objgen]]}")


def _bookmarks(pdf: pikepdf.Pdf, first_page: int) -> list[_Bookmark]:
    page_number = {page.objgen: n for n, page in enumerate(pdf.pages)}

    def read(item: pikepdf.Object) -> list[_Bookmark]:
        found = []
        while item is not None:
            destination = item.get("/Dest")
            children = read(item.get("/First")) if "/First" in item else []
            found.append(_Bookmark(str(item.Title), first_page + page_number[destination[0].objgen],
                                   float(destination[3]), children))
            item = item.get("/Next")
        return found

    outlines = pdf.Root.get("/Outlines")
    return read(outlines.get("/First")) if outlines is not None and "/First" in outlines else []


def _set_bookmarks(pdf: pikepdf.Pdf, bookmarks: list[_Bookmark]) -> None:
    def make(bookmark: _Bookmark) -> pikepdf.OutlineItem:
        item = pikepdf.OutlineItem(bookmark.title, bookmark.page, pikepdf.PageLocation.XYZ, left=0, top=bookmark.top)
        item.children.extend(make(child) for child in bookmark.children)
        return item

    with pdf.open_outline() as outline:
        outline.root.clear()
        outline.root.extend(make(bookmark) for bookmark in bookmarks)

"""Each segment's pages finished for each edition, once, and kept.

A segment's laid-out pages (their page numbers filled in) and its decoration become:

- for the print edition, press-ready pages: the decoration laid over each page, no
  tags or annotations, every colour in the printer's inks (``press``), the target's
  boxes and marks (``pdfx``);
- for the screen edition, screen-ready pages: the decoration laid over each page as an
  artifact, cut to the trim, the pages left blank to start a part on the right left
  out, and links to other segments made links to their anchors ("Go to page N").

Each is kept (``pdfjoin`` writes the book from them) as a ``FinishedPages``: the pages'
objects as a ``pdfwriter.Fragment``, with what the book's catalog needs of them (named
destinations, bookmarks, structure elements, the fonts and glyphs they use) and what
the preflight finds on them (``preflight.drawing``, ``preflight.tagging``). The cache
keeps each under a key of everything that made it: the laid-out pages' and the
decoration's bytes, and the printer's settings and colour profile (print) or the pages
left out and the page each link goes to (screen). An edit finishes its own segment, and
a changed image, font, style, date or printer target finishes what it changed.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from .. import fonts
from ..cache import key_of
from ..model import PrintSettings
from ..preflight.drawing import PrintFindings, scan_print_pages
from ..preflight.tagging import ScreenFindings, scan_screen_pages
from ..printing import TARGETS
from . import pdfx
from .pdfwriter import DOCUMENT, LEFT_OUT, PAGES, Fragment, Serializer
from .press import Separation, drop_keys, separate

LINK_SCHEME = "bookbuild:"
PRINT_KIND, SCREEN_KIND = "print-pages", "screen-pages"  # their kinds in the cache


@dataclass(frozen=True)
class Press:
    """What the print edition is finished for: the printer's settings and the CMYK profile."""

    settings: PrintSettings
    profile: Path
    profile_digest: str  # of the profile's bytes: a profile replaced under its name finishes anew


@dataclass(frozen=True)
class FinishJob:
    """One segment, as laid out, to finish."""

    text: bytes  # the segment's tagged PDF, its page numbers filled in
    decoration: bytes  # its folios and running heads, a page for each of its pages
    blank_pages: frozenset[int] = frozenset()  # pages left blank to start a part on its side (from 0)
    links: tuple[tuple[str, str], ...] = ()  # each anchor its links lead to in another segment, and the folio of its page

    def key(self, edition: str, press: Press | None = None) -> str:
        if edition == PRINT_KIND:
            assert press is not None
            return key_of(PRINT_KIND, self.text, self.decoration, repr(press.settings), str(press.profile), press.profile_digest)
        return key_of(SCREEN_KIND, self.text, self.decoration, repr(sorted(self.blank_pages)), repr(self.links))


@dataclass(frozen=True)
class FontUse:
    """A font program that the book embeds once, cut from its file (``fonts``) for the
    glyphs that every segment uses together."""

    key: str  # its token in the fragments
    postscript_name: str
    revision: str  # hex: the identity ``fonts.identity`` reads
    dates: str
    units_per_em: int
    glyphs: tuple[int, ...]
    file: str  # where its file was found (``fonts.original_file``: a system font needs fontconfig to find)
    index: int  # the face's in that file, if it is a collection (.ttc), else 0
    entry: str  # where a font descriptor keeps the program (``program_entry``)

    @property
    def identity(self) -> fonts.FontIdentity:
        return fonts.FontIdentity(self.postscript_name, bytes.fromhex(self.revision), bytes.fromhex(self.dates),
                                  self.units_per_em)

    def original(self) -> tuple[bytes, int]:
        """The font file's bytes and the face's index in it: from where it was found, if it
        is still that font, else found again."""
        path = Path(self.file)
        data = path.read_bytes() if path.is_file() else b""
        if fonts.identity(data, self.index) == self.identity:
            return data, self.index
        found = fonts.original_file(self.identity)
        return (found[0].read_bytes(), found[1]) if found is not None else (b"", 0)


@dataclass(frozen=True)
class Bookmark:
    title: str
    page: int  # among the segment's pages, from 0
    top: float
    children: tuple[Bookmark, ...]


@dataclass(frozen=True)
class FinishedPages:
    """One segment's pages, finished for one edition."""

    fragment: Fragment
    pages: int  # its first ``pages`` objects are the pages, in order
    trim: tuple[float, float, float, float]  # of its pages (a blank page after it gets the same)
    bleed: float  # as laid out
    destinations: tuple[tuple[str, bytes], ...]  # named destinations: name, and the destination's syntax
    bookmarks: tuple[Bookmark, ...]
    fonts: tuple[FontUse, ...]
    structure: tuple[bytes, ...] = ()  # screen: the structure elements under the document's
    parent_tree: tuple[tuple[int, bytes], ...] = ()  # screen: (key, what the key stands for)
    keys: int = 0  # screen: structure-parent keys it takes
    print_found: PrintFindings | None = None
    screen_found: ScreenFindings | None = None
    unflattened: frozenset[str] = frozenset()  # print: transparency that could not be flattened


def finish(job: FinishJob, edition: str, press: Press | None = None) -> FinishedPages:
    return finish_print(job, press) if edition == PRINT_KIND else finish_screen(job)


def finish_print(job: FinishJob, press: Press) -> FinishedPages:
    target = TARGETS[press.settings.target]
    with pikepdf.open(io.BytesIO(job.text)) as pdf:
        trim, bleed = _trim_and_bleed(pdf)
        decorate(pdf, job.decoration)
        pdfx.untag(pdf)
        unflattened = separate(pdf, _separation(press.profile, target.ink_limit / 100))
        for page in pdf.pages:
            # PDF/X allows no annotation on the printed area, links included (they never
            # print, but printers' preflights reject or strip them).
            drop_keys(page.obj, "/Annots")
        pdfx.set_boxes(pdf, press.settings, target.bleed_sides)
        found = scan_print_pages(list(pdf.pages))
        return _finished(pdf, list(pdf.pages), trim, bleed, tagged=False, print_found=found,
                         unflattened=frozenset(unflattened))


def finish_screen(job: FinishJob) -> FinishedPages:
    with pikepdf.open(io.BytesIO(job.text)) as pdf:
        trim, bleed = _trim_and_bleed(pdf)
        decorate(pdf, job.decoration)
        for page in pdf.pages:
            page.obj.MediaBox = page.obj.TrimBox
            drop_keys(page.obj, "/TrimBox", "/BleedBox", "/CropBox", "/ArtBox")
        _link_to_anchors(pdf, dict(job.links))
        # Nobody turns a screen's leaves: the pages left blank so that a part begins on a
        # right-hand page are left out.
        kept = [page for n, page in enumerate(pdf.pages) if n not in job.blank_pages]
        found = scan_screen_pages(pdf.Root.get("/StructTreeRoot"), kept)
        return _finished(pdf, kept, trim, bleed, tagged=True, screen_found=found)


def finish_in_worker(work: tuple[int, FinishJob, str, Press | None]) -> tuple[int, str, FinishedPages]:
    number, job, edition, press = work
    return number, edition, finish(job, edition, press)


_separations: dict[tuple[Path, float], Separation] = {}


def _separation(profile: Path, ink_limit: float) -> Separation:
    """One per profile and limit in a process: its colour transforms and the colours it
    has separated are kept for the next segment."""
    if (profile, ink_limit) not in _separations:
        _separations[(profile, ink_limit)] = Separation(profile, ink_limit)
    return _separations[(profile, ink_limit)]


def _trim_and_bleed(pdf: pikepdf.Pdf) -> tuple[tuple[float, float, float, float], float]:
    first = pdf.pages[0].obj
    trim = tuple(float(v) for v in first.TrimBox)
    return trim, float(first.BleedBox[2]) - trim[2]


def decorate(pdf: pikepdf.Pdf, decoration: bytes) -> None:
    """Lay each page of ``decoration`` over the page of ``pdf`` it belongs to, marked as an
    artifact for screen readers."""
    with pikepdf.open(io.BytesIO(decoration)) as source:
        for n, page in enumerate(source.pages):
            form = pdf.copy_foreign(page.as_form_xobject())
            target = pdf.pages[n]
            name = target.add_resource(form, Name.XObject, Name(f"/Decoration{n}"))
            target.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)  # the page's own state ends before ours
            target.contents_add(pikepdf.Stream(pdf, b"Q\n/Artifact BMC q " + str(name).encode() + b" Do Q EMC\n"))


def _link_to_anchors(pdf: pikepdf.Pdf, labels: dict[str, str]) -> None:
    """Links to another segment were written as ``bookbuild:<anchor>`` URIs, since the
    segment could not see their target: they become links to the named destination, which
    say the folio of its page."""
    for page in pdf.pages:
        for annotation in page.get("/Annots", []):
            action = annotation.get("/A")
            if action is None or action.get("/S") != Name.URI or not str(action.URI).startswith(LINK_SCHEME):
                continue
            anchor = unquote(str(action.URI)[len(LINK_SCHEME):])  # WeasyPrint writes an id in another script %-encoded
            if anchor not in labels:
                raise RuntimeError(f"a link to {anchor!r}, which no segment has")
            del annotation["/A"]
            annotation.Dest = String(anchor)  # named, as WeasyPrint writes links within a document
            annotation.Contents = String(f"Go to page {labels[anchor]}")


def _finished(pdf: pikepdf.Pdf, kept: list[pikepdf.Page], trim, bleed: float, tagged: bool,
              print_found: PrintFindings | None = None, screen_found: ScreenFindings | None = None,
              unflattened: frozenset[str] = frozenset()) -> FinishedPages:
    """The pages ``kept`` and everything they reach, as a fragment, with what the book's
    catalog needs of the segment."""
    special = {pdf.Root.Pages.objgen: PAGES}
    kept_objects = {page.objgen for page in kept}
    special.update((page.objgen, LEFT_OUT) for page in pdf.pages if page.objgen not in kept_objects)
    uses = _font_programs(kept, special)
    structure: tuple[bytes, ...] = ()
    parent_tree: tuple[tuple[int, bytes], ...] = ()
    keys = 0
    root = pdf.Root.get("/StructTreeRoot") if tagged else None
    if root is not None:
        document = root.K[0] if isinstance(root.K, Array) else root.K
        special[document.objgen] = DOCUMENT
    serializer = Serializer(pdf, special)
    for page in kept:
        serializer.reference(page.obj)  # the pages first: objects 0, 1, ...
    if root is not None:
        kids = document.get("/K", Array())
        structure = tuple(serializer.text(kid) for kid in (kids if isinstance(kids, Array) else [kids]))
        nums = root.get("/ParentTree", Dictionary()).get("/Nums", Array())
        parent_tree = tuple((int(nums[n]), serializer.text(nums[n + 1])) for n in range(0, len(nums), 2))
        keys = int(root.get("/ParentTreeNextKey", max((key for key, _ in parent_tree), default=-1) + 1))
    destinations = tuple((str(name), serializer.text(destination)) for name, destination in _destinations(pdf)
                         if destination[0].objgen in kept_objects)
    return FinishedPages(serializer.fragment(), len(kept), trim, bleed, destinations, _bookmarks(pdf, kept), uses,
                         structure, parent_tree, keys, print_found, screen_found, unflattened)


def _font_programs(pages: list[pikepdf.Page], special: dict) -> tuple[FontUse, ...]:
    """The font programs the pages use that the book embeds once (their file is found): each
    made a token of the fragment, with the glyph ids the pages draw with it."""
    uses: dict[str, tuple[fonts.FontIdentity, str, set[int]]] = {}
    known: dict[tuple[int, int], fonts.FontIdentity | None] = {}
    seen: set[tuple[int, int]] = set()

    def collect(resources: pikepdf.Object) -> None:
        for font in resources.get("/Font", Dictionary()).values():
            for descendant in font.get("/DescendantFonts", Array()):
                descriptor = descendant.get("/FontDescriptor")
                entry = program_entry(descriptor) if descriptor is not None else None
                if entry is None or descendant.objgen in seen:
                    continue
                seen.add(descendant.objgen)
                program = descriptor[entry]
                if program.objgen not in known:
                    identity = fonts.identity(program.read_bytes())
                    known[program.objgen] = identity if identity is not None and fonts.original_file(identity) else None
                identity = known[program.objgen]
                if identity is None:
                    continue  # stays as its segment wrote it: right, only not shared
                key = _font_key(identity)
                special[program.objgen] = b"F" + key.encode()
                uses.setdefault(key, (identity, entry, set()))[2].update(_glyph_ids(descendant))
        for xobject in resources.get("/XObject", Dictionary()).values():
            if xobject.get("/Subtype") == Name.Form and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                collect(xobject.get("/Resources", Dictionary()))

    for page in pages:
        collect(page.obj.get("/Resources", Dictionary()))
    found = {key: fonts.original_file(identity) for key, (identity, _, _) in uses.items()}
    return tuple(FontUse(key, identity.postscript_name, identity.revision.hex(), identity.dates.hex(),
                         identity.units_per_em, tuple(sorted(glyphs)), str(found[key][0]), found[key][1], entry)
                 for key, (identity, entry, glyphs) in sorted(uses.items()))


def program_entry(descriptor: pikepdf.Object) -> str | None:
    """Where a font descriptor keeps its program: ``/FontFile2`` (TrueType outlines) or
    ``/FontFile3`` of subtype OpenType (CFF outlines: a CJK face from a collection); None
    for any other kind."""
    if "/FontFile2" in descriptor:
        return "/FontFile2"
    program = descriptor.get("/FontFile3")
    if program is not None and program.get("/Subtype") == Name.OpenType:
        return "/FontFile3"
    return None


def _font_key(identity: fonts.FontIdentity) -> str:
    return hashlib.sha256(repr(identity).encode()).hexdigest()[:16]


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


def _destinations(pdf: pikepdf.Pdf):
    names = pdf.Root.get("/Names", Dictionary()).get("/Dests")
    if names is None:
        return
    yield from pikepdf.NameTree(names).items()


def _bookmarks(pdf: pikepdf.Pdf, kept: list[pikepdf.Page]) -> tuple[Bookmark, ...]:
    """The segment's outline, each item on its page among ``kept`` (one on a page left out
    goes to the next page kept)."""
    position = {page.objgen: n for n, page in enumerate(kept)}
    order = [page.objgen for page in pdf.pages]

    def page_of(objgen) -> int:
        for later in order[order.index(objgen):]:
            if later in position:
                return position[later]
        return max(len(kept) - 1, 0)

    def read(item: pikepdf.Object) -> tuple[Bookmark, ...]:
        found = []
        while item is not None:
            destination = item.get("/Dest")
            children = read(item.get("/First")) if "/First" in item else ()
            found.append(Bookmark(str(item.Title), page_of(destination[0].objgen), float(destination[3]), children))
            item = item.get("/Next")
        return tuple(found)

    outlines = pdf.Root.get("/Outlines")
    return read(outlines.get("/First")) if outlines is not None and "/First" in outlines else ()


class Finished:
    """Every segment's finished pages for the editions asked for: in the cache under their
    keys, or kept here when there is no cache to keep them in. ``made`` counts the
    segments this build finished, and ``read`` their pages (read for the preflight as they
    were finished), by edition."""

    def __init__(self, cache, jobs: list[FinishJob], editions: tuple[str, ...], press: Press | None):
        self.cache = cache if cache is not None and cache.writable else None
        self.jobs, self.press = jobs, press
        self.keys = {edition: [job.key(edition, press) for job in jobs] for edition in editions}
        self.here: dict[tuple[str, int], FinishedPages] = {}
        self.made = {edition: 0 for edition in editions}
        self.read = {edition: 0 for edition in editions}

    def missing(self) -> list[tuple[int, FinishJob, str, Press | None]]:
        """What is to be finished (``finish_in_worker``'s work)."""
        return [(n, job, edition, self.press) for edition, keys in self.keys.items() for n, (job, key) in
                enumerate(zip(self.jobs, keys)) if (edition, n) not in self.here
                and not (self.cache is not None and self.cache.has(edition, key))]

    def keep(self, n: int, edition: str, pages: FinishedPages) -> None:
        self.made[edition] += 1
        self.read[edition] += pages.pages
        if self.cache is not None:
            self.cache.store(edition, self.keys[edition][n], pages)
        else:
            self.here[(edition, n)] = pages

    def parts(self, edition: str):
        """Each segment's pages in order, read when asked for (an entry that cannot be read
        is finished again here, and counted)."""
        for n, key in enumerate(self.keys[edition]):
            pages = self.here.get((edition, n))
            if pages is None and self.cache is not None:
                pages = self.cache.load(edition, key)
            if not isinstance(pages, FinishedPages):
                pages = finish(self.jobs[n], edition, self.press)
                self.made[edition] += 1
                self.read[edition] += pages.pages
            yield pages

    def forget_others(self) -> None:
        """Keep this build's finished pages in the cache, and only those."""
        if self.cache is not None:
            for edition, keys in self.keys.items():
                self.cache.keep_only(edition, set(keys))

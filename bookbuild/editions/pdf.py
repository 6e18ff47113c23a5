"""The print and screen PDFs: the book laid out in segments, joined, and finished.

A segment is a run of the book that begins on a right-hand page: the front
matter, then each chapter and back-matter part. Segments are laid out
independently (``typeset``, in worker processes) and joined (``pdfjoin``).
The page numbers a segment prints in its text (cross-references, the contents)
are literal text in its HTML, taken from the page map of the layout before; so
page numbers are a fixed point: lay out, place the segments, and lay out again
only the segments whose numbers changed, until nothing changes. A rebuild starts
from the last build's page map and reuses every segment whose HTML is unchanged
(``.cache/segments``).

What depends on where a page falls in the book (folios, running heads: the
page-margin boxes) is laid out separately, as a decoration: the same sections
with empty pages, which takes a few milliseconds a page. So when an edit moves
the chapters after it, only their decorations are laid out again.

Both PDFs come from the one layout: ``press_ready`` makes the print edition,
``screen_ready`` the screen edition.
"""

from __future__ import annotations

import multiprocessing
import re
from dataclasses import dataclass, replace
from html import escape

from lxml import etree
from lxml import html as lxml_html

from .. import generated, ids, printing, theme
from ..cache import Cache, key_of
from ..parallel import each_in_parallel, in_child
from ..model import PartKind, Progress, ResolvedBook, ResolvedPart, no_progress, raise_if_errors
from ..pagemap import PageStart, tag_blocks
from .pdfjoin import LINK_SCHEME, join
from .pdfx import PressReady, press_ready, screen_ready
from .typeset import SegmentJob, SegmentLayout, Typesetter, TypesetterSetup, start_worker, typeset_in_worker

PRINT = "print"
SCREEN = "screen"
_MAX_ROUNDS = 5
_FINISH_BOTH_AT_ONCE_UP_TO = 1000  # pages
_PAGE_OF = re.compile(r'data-page-of="([^"]*)"')
_MARGIN_BOXES = ("top-left-corner", "top-left", "top-center", "top-right", "top-right-corner", "bottom-left-corner",
                 "bottom-left", "bottom-center", "bottom-right", "bottom-right-corner", "left-top", "left-middle",
                 "left-bottom", "right-top", "right-middle", "right-bottom")
_NO_MARGIN_BOXES = "@page { " + " ".join(f"@{box} {{ content: none !important; }}" for box in _MARGIN_BOXES) + " }"
_OPENING_TAG = re.compile(r"<section\b[^>]*>")
_LAST_LAYOUT = "last-layout"  # the cache entry with the last build's page counts and anchors


@dataclass(frozen=True)
class PdfEditions:
    """Both PDFs, written from one layout, and what the layout says about the pages."""

    data: dict[str, bytes]  # variant -> PDF
    page_labels: tuple[str, ...]  # the folio of each page of the print edition: roman in the front matter
    page_starts: tuple[PageStart, ...]  # what each page begins with, for the EPUB's page-list
    inside_margin: float  # inches, chosen from the page count
    warnings: tuple[str, ...]
    summary: str  # how much of the book was laid out, and in how many rounds


@dataclass(frozen=True)
class Segment:
    first_part: str  # the id of its first part: how a segment is known from one build to the next
    front: bool  # the front matter: folios in roman numerals
    body: str  # its sections' HTML for print, page numbers still to fill in (data-page-of)
    openings: tuple[str, ...]  # the opening tag of each of its sections
    section_ids: tuple[str, ...]
    anchors: frozenset[str]  # every anchor in its parts
    words: int  # for a first guess at its length

    @property
    def prints_page_numbers(self) -> bool:
        return "data-page-of=" in self.body


@dataclass(frozen=True)
class PageMap:
    """Where the segments fall in the book, from their page counts and anchors."""

    first_pages: tuple[int, ...]  # physical page (from 1) on which each segment begins
    blank_before: tuple[bool, ...]  # an empty left-hand page before the segment
    labels: tuple[str, ...]  # the folio of each physical page
    label_of_anchor: dict[str, str]

    @property
    def total(self) -> int:
        return len(self.labels)


def render_pdfs(book: ResolvedBook, variants: tuple[str, ...], jobs: int = 1, cache: Cache | None = None,
                progress: Progress = no_progress) -> PdfEditions:
    """Lay the segments out until their page numbers agree with the page map, join
    them, and make each PDF ready for its printer or its reader."""
    segments = _segments(book)
    last = (cache.load("pagemap", _LAST_LAYOUT) if cache else None) or {}
    known = [last.get(s.first_part) for s in segments]
    counts = [k[0] if k else _estimate_pages(s) for k, s in zip(known, segments)]
    anchors = [k[1] if k else dict.fromkeys(s.anchors, 0) for k, s in zip(known, segments)]
    page_map = _place(segments, counts, anchors)
    # Numbers from guesses are almost surely wrong: a segment that prints page numbers is
    # laid out without writing first, unless they come from the last build's map.
    write = all(known)
    unsettled: tuple[str, ...] = ()
    laid_out: set[int] = set()  # segments laid out by this build, not taken from the cache
    with _Typesetting(book, jobs, cache, progress) as typesetting:
        for round_number in range(1, _MAX_ROUNDS + 1):
            inside = printing.inside_margin_for(page_map.total)
            requests = [_job(book, s, page_map, inside, write or not s.prints_page_numbers) for s in segments]
            layouts = typesetting.typeset_all(requests)
            laid_out.update(typesetting.typeset_just_now)
            page_map = _place(segments, [r.pages for r in layouts], [r.anchors for r in layouts])
            settled = [_job(book, s, page_map, printing.inside_margin_for(page_map.total), True) for s in segments]
            if write and settled == requests:
                break
            if write and round_number == _MAX_ROUNDS:  # a number that moves its own target: rare, and reported
                unsettled = (f"page numbers still changed after {_MAX_ROUNDS} layouts: check the "
                             f"\"(page N)\" references in {', '.join(s.first_part for s, a, b in zip(segments, settled, requests) if a != b)}",)
            write = True
        decoration_requests = [_decoration_job(book, s, r, page_map, n, inside)
                               for n, (s, r) in enumerate(zip(segments, layouts))]
        decorations = typesetting.typeset_all(decoration_requests)
        for segment, layout, decoration in zip(segments, layouts, decorations):
            if decoration.pages != layout.pages:
                raise RuntimeError(f"the page decoration of {segment.first_part} has {decoration.pages} pages, "
                                   f"its text {layout.pages}")
        typesetting.forget_all_but(requests + decoration_requests)
    if cache is not None:
        cache.store("pagemap", _LAST_LAYOUT, {s.first_part: (r.pages, r.anchors) for s, r in zip(segments, layouts)})
    printed = printed_labels(page_map.labels)
    starts = _page_starts(layouts, page_map) + tuple(PageStart(n, "", 0, "", printed[n - 1])
                                                     for n in range(page_map.total + 1, len(printed) + 1))
    warnings = unsettled + tuple(dict.fromkeys(f"WeasyPrint: {w}" for r in layouts for w in r.warnings))
    # Joining holds every segment's parsed PDF at once: in a process of its own, whose
    # memory goes back when it ends, before finishing the editions needs as much again.
    joined = in_child(lambda: join([r.pdf for r in layouts], [d.pdf for d in decorations],
                                   list(page_map.blank_before), page_map.labels))
    progress("finish", 0, len(variants))

    def finish(variant: str) -> PressReady | bytes:
        if variant == PRINT:
            return press_ready(joined, book.metadata.print, printed, _color_profile(book))
        return screen_ready(joined, page_map.labels)

    # Finishing a PDF takes about 0.15 MB a page (pikepdf holds every page and structure
    # element): a long book's two are finished one after the other, to stay in memory.
    finished = each_in_parallel(finish, variants, jobs if page_map.total <= _FINISH_BOTH_AT_ONCE_UP_TO else 1)
    if PRINT in finished:
        press = finished[PRINT]
        raise_if_errors(theme.unflattenable_transparency(book.root, set(press.unflattened)))
        finished[PRINT] = press.pdf
    summary = f"laid out {len(laid_out)} of {len(segments)} parts ({round_number} round{'s' * (round_number > 1)} for page numbers)"
    return PdfEditions(finished, printed, starts, inside, warnings, summary)


def _segments(book: ResolvedBook) -> list[Segment]:
    """The front matter (with the half-title and the printed contents), then each chapter
    and back-matter part on its own."""
    runs: list[list[ResolvedPart]] = [[]]
    for part in book.parts:
        if part.kind in (PartKind.CHAPTER, PartKind.BACK) and runs[-1]:
            runs.append([])
        runs[-1].append(part)
    segments = []
    for n, run in enumerate(runs):
        front = n == 0 and run[0].kind is not PartKind.CHAPTER
        sections = [_half_title(book)] if n == 0 else []
        for part in run:
            sections.append(_for_pdf(part))
            if part.part_id == "front-copyright":
                sections.append(_contents(book))
        body = "".join(sections)
        openings = tuple(_OPENING_TAG.match(section).group(0) for section in sections)
        section_ids = tuple(re.search(r'\bid="([^"]*)"', opening).group(1) for opening in openings)
        anchors = frozenset(a for part in run for a in part.anchors) | frozenset(section_ids)
        segments.append(Segment(run[0].part_id, front, body, openings, section_ids, anchors, len(body.split())))
    return segments


def _estimate_pages(segment: Segment) -> int:
    """A first guess at a segment's length; its layout says how long it really is."""
    return 1 + int(segment.words * 0.8 / 330)  # markup counts as words in .split()


def _place(segments: list[Segment], counts: list[int], anchors: list[dict[str, int]]) -> PageMap:
    first_pages, blank_before = [], []
    page = 1  # the next physical page
    for n, count in enumerate(counts):
        blank = n > 0 and page % 2 == 0  # every segment begins on a right-hand (odd) page
        page += blank
        blank_before.append(blank)
        first_pages.append(page)
        page += count
    main = next((n for n, s in enumerate(segments) if not s.front), len(segments))
    first_main = first_pages[main] if main < len(segments) else page
    labels = page_labels(page - 1, first_main)
    label_of_anchor = {anchor: labels[first_pages[n] - 1 + local]
                       for n, found in enumerate(anchors) for anchor, local in found.items()}
    return PageMap(tuple(first_pages), tuple(blank_before), labels, label_of_anchor)


def _job(book: ResolvedBook, segment: Segment, page_map: PageMap, inside: float, write: bool) -> SegmentJob:
    """The text of a segment, with the page numbers it prints from ``page_map``."""
    body = _PAGE_OF.sub(lambda m: f'data-page="{escape(page_map.label_of_anchor.get(m.group(1), "?"))}"', segment.body)
    return SegmentJob(_document(book, body), _page_css(book, inside) + "\n" + _NO_MARGIN_BOXES, write)


def _decoration_job(book: ResolvedBook, segment: Segment, layout: SegmentLayout, page_map: PageMap, n: int,
                    inside: float) -> SegmentJob:
    """The page-margin boxes of a segment's pages where it falls in the book: its sections,
    each with an empty page for every page its text filled, each on the same side (a
    segment starts on a right-hand page), so that the pages left blank come out the same."""
    starts = [layout.anchors[section] for section in segment.section_ids] + [layout.pages]
    sections = []
    for opening, start, end in zip(segment.openings, starts, starts[1:]):
        pages = "".join(f'<div style="break-before: {"right" if page % 2 == 0 else "left"}"></div>'
                        for page in range(start, end) if page not in layout.blank_pages)
        sections.append(opening + pages + "</section>")
    first_folio = 1 if segment.front else int(page_map.labels[page_map.first_pages[n] - 1])
    page_css = f"{_page_css(book, inside)}\n@page :first {{ counter-reset: page {first_folio}; }}"
    return SegmentJob(_document(book, "".join(sections)), page_css, write=True, tagged=False)


def _page_starts(layouts: list[SegmentLayout], page_map: PageMap) -> tuple[PageStart, ...]:
    starts = []
    for layout, first, blank in zip(layouts, page_map.first_pages, page_map.blank_before):
        if blank:
            starts.append(PageStart(first - 1, "", 0, ""))
        starts += [replace(s, page=first + s.page - 1) for s in layout.starts]
    return tuple(replace(s, label=page_map.labels[s.page - 1]) for s in starts)


def printed_labels(labels: tuple[str, ...]) -> tuple[str, ...]:
    """The folios of the printed book: a printed book has an even number of pages (its
    sheets have two sides), so one of an odd count ends with a blank left-hand page."""
    return labels + ((str(int(labels[-1]) + 1),) if len(labels) % 2 else ())


def page_labels(count: int, first_main: int) -> tuple[str, ...]:
    """Front matter in lower-case roman numerals, the main matter from 1."""
    return tuple(_roman(n) if n < first_main else str(n - first_main + 1) for n in range(1, count + 1))


def _roman(number: int) -> str:
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                           (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while number >= value:
            out += letters
            number -= value
    return out


class _Typesetting:
    """Lays segments out: from this build's or the last builds' results where the job is
    the same, else in worker processes (or here, for a single segment)."""

    def __init__(self, book: ResolvedBook, jobs: int, cache: Cache | None, progress: Progress = no_progress):
        stylesheets = tuple(theme.stylesheets(book.root, "pdf"))
        self.setup = TypesetterSetup(book.root, stylesheets, ids.book_identifier(book.metadata))
        self.setup_key = key_of(repr(self.setup), *(path.read_bytes() for path in stylesheets))
        self.jobs, self.cache, self.progress = jobs, cache, progress
        self.done: dict[str, SegmentLayout] = {}
        self.typeset_just_now: tuple[int, ...] = ()  # which of the last requests were laid out, not found
        self.pool = None
        self.here: Typesetter | None = None

    def __enter__(self) -> _Typesetting:
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.clear()
        if self.pool is not None:
            self.pool.terminate()  # also on Ctrl-C: workers must not outlive the build
            self.pool.join()

    def _key(self, job: SegmentJob) -> str:
        return key_of(self.setup_key, job.page_css, job.html)

    def _known(self, key: str, job: SegmentJob) -> SegmentLayout | None:
        found = self.done.get(key)
        if found is None and job.write and self.cache is not None:
            found = self.cache.load("segments", key)
        if found is not None and (found.pdf is not None or not job.write):
            return found
        return None

    def typeset_all(self, requests: list[SegmentJob]) -> list[SegmentLayout]:
        keys = [self._key(job) for job in requests]
        results: list[SegmentLayout | None] = [self._known(key, job) for key, job in zip(keys, requests)]
        missing = sorted((n for n, r in enumerate(results) if r is None), key=lambda n: -len(requests[n].html))
        self.typeset_just_now = tuple(missing)
        for done, (n, layout) in enumerate(self._typeset([(n, requests[n]) for n in missing]), start=1):
            self.progress("lay out", done, len(missing))
            results[n] = layout
            self.done[keys[n]] = layout
            if layout.pdf is not None and self.cache is not None:
                self.cache.store("segments", keys[n], layout)
        return results  # type: ignore[return-value]

    def _typeset(self, work: list[tuple[int, SegmentJob]]):
        if self.jobs > 1 and (len(work) > 1 or self.pool is not None):
            if self.pool is None:
                context = multiprocessing.get_context("fork")
                self.pool = context.Pool(min(self.jobs, len(work)), initializer=start_worker, initargs=(self.setup,))
            yield from self.pool.imap_unordered(typeset_in_worker, work)
        else:
            if self.here is None:
                self.here = Typesetter(self.setup)
            for n, job in work:
                yield n, self.here.typeset(job)

    def forget_all_but(self, requests: list[SegmentJob]) -> None:
        """Keep this build's layouts in the cache, and only those."""
        if self.cache is not None:
            self.cache.keep_only("segments", {self._key(job) for job in requests})


def _color_profile(book: ResolvedBook):
    settings = book.metadata.print
    return (book.root / settings.color_profile) if settings.color_profile else printing.DEFAULT_COLOR_PROFILE


# --- the HTML of a segment ------------------------------------------------------------


def _document(book: ResolvedBook, body: str) -> str:
    meta = book.metadata
    date = ids.build_date(meta).strftime("%Y-%m-%dT%H:%M:%SZ")
    created = (f'<meta name="dcterms.created" content="{date}"/><meta name="dcterms.modified" content="{date}"/>')
    return (
        f'<!DOCTYPE html><html lang="{escape(meta.language)}"><head><meta charset="utf-8"/>'
        f"<title>{escape(meta.title)}</title>"
        f'<meta name="author" content="{escape(", ".join(meta.authors))}"/>'
        f'<meta name="description" content="{escape(meta.description)}"/>{created}'
        f'</head><body data-book-title="{escape(meta.title)}{" (draft)" * book.draft}">{body}</body></html>'
    )


def _half_title(book: ResolvedBook) -> str:
    return (f'<section id="front-half-title" class="part halftitle" data-title="">'
            f'<p class="half-title">{escape(book.metadata.title)}</p></section>')


def _contents(book: ResolvedBook) -> str:
    items = []
    for part in book.parts:
        if part.in_contents:
            entry = part.toc[0]
            items.append(f'<li class="toc-{part.kind.value}"><a href="{LINK_SCHEME}{entry.anchor}" '
                         f'data-page-of="{entry.anchor}">{escape(entry.text)}</a></li>')
    return (
        '<section id="front-contents" class="part contents front" data-title="Contents">'
        '<header class="part-head"><h1 class="part-title" data-label="Contents"><span class="title-text">Contents</span></h1></header>'
        f'<ol class="toc">{"".join(items)}</ol></section>'
    )


def _for_pdf(part: ResolvedPart) -> str:
    """Footnotes to the foot of their page, web addresses into footnotes too; links
    within the book go through ``pdfjoin``, and cross-references ask for a page number."""
    root = lxml_html.fragment_fromstring(part.html)
    tag_blocks(root)
    notes_section, items = generated.endnotes(root)
    if notes_section is not None:
        notes = {li.get("id"): li for li in items}
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
    for link in list(root.iter("a")):
        href = link.get("href", "")
        if href.startswith("#") and len(href) > 1:
            link.set("href", LINK_SCHEME + href[1:])
            if "xref" in link.get("class", "").split():
                link.set("data-page-of", href[1:])
        elif "external" in link.get("class", "").split() and href.removeprefix("mailto:") != link.text_content().strip():
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


def _page_css(book: ResolvedBook, inside: float) -> str:
    """Trim size and bleed from the metadata; mirrored margins with the gutter inside.
    Crop marks are drawn later, in a slug outside the bleed (``press_ready``)."""
    settings = book.metadata.print
    outside = printing.OUTSIDE_MARGIN_IN
    size = f"size: {settings.trim_width} {settings.trim_height}; bleed: {settings.bleed}; marks: none;"
    return (f"@page {{ {size} }}\n"
            f"@page :left {{ margin-left: {outside}in; margin-right: {inside}in; }}\n"
            f"@page :right {{ margin-left: {inside}in; margin-right: {outside}in; }}")

"""The print and screen PDFs: the book laid out in segments, joined, and finished.

The steps, each in a module of its own:

- ``segments``: the book cut into segments (front matter, each chapter, each
  back-matter part), each a small HTML document that starts on a right-hand page;
- ``layouts``: each segment laid out by WeasyPrint (``typeset``), in worker
  processes, or taken from the cache;
- ``pagination``: where the segments fall in the book, and so the page of every
  anchor and the folio of every page;
- ``pagenumbers``: the page numbers a segment prints ("(page 123)", the contents)
  written in once the page map is known; a segment is laid out again only when one
  of its numbers changes width;
- ``decorations``: folios and running heads, laid out apart from the text;
- ``pdfjoin``: the segments joined into one PDF;
- ``pdfx``: the print edition made press-ready, the screen edition screen-ready.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .. import printing, theme
from ..cache import Cache
from ..model import PRINT, Progress, ResolvedBook, no_progress, raise_if_errors
from ..pagemap import PageStart
from ..parallel import each_in_parallel, in_child
from .decorations import decoration_job
from .layouts import Layouts, layout_again
from .pagination import PageMap, page_starts, place, printed_labels
from .pdfjoin import join
from .pdfx import PressReady, press_ready, screen_ready
from .segments import Segment, plan, text_job

_MAX_ROUNDS = 5
_FINISH_BOTH_AT_ONCE_UP_TO = 1000  # pages
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


def render_pdfs(book: ResolvedBook, variants: tuple[str, ...], jobs: int = 1, cache: Cache | None = None,
                progress: Progress = no_progress, keep_warm: bool = False) -> PdfEditions:
    """Lay the segments out (again only where a printed page number changes width), fill
    in their page numbers, lay out their folios and running heads, join them, and make
    each PDF ready for its printer or its reader."""
    segments = plan(book)
    page_map = _first_guess(segments, cache)
    unsettled: tuple[str, ...] = ()
    laid_out: set[int] = set()  # segments laid out by this build, not taken from the cache
    exact: set[int] = set()  # segments to lay out with their numbers as they are
    with Layouts(book, jobs, cache, progress, keep_warm) as layouts:
        for round_number in range(1, _MAX_ROUNDS + 1):
            inside = printing.inside_margin_for(page_map.total)
            requests = [text_job(book, s, page_map, inside, n in exact) for n, s in enumerate(segments)]
            done = layouts.typeset_all(requests)
            laid_out.update(layouts.typeset_just_now)
            page_map = _place(segments, done)
            reasons = [layout_again(job, layout, page_map.label_of_anchor) for job, layout in zip(requests, done)]
            exact.update(n for n, reason in enumerate(reasons) if reason == "unfound")
            again = [n for n, reason in enumerate(reasons) if reason]
            if printing.inside_margin_for(page_map.total) != inside:  # the gutter of another page count
                again = list(range(len(segments)))
            if not again:
                break
            if round_number == _MAX_ROUNDS:  # a number that moves its own target: rare, and reported
                unsettled = (f"page numbers still changed after {_MAX_ROUNDS} layouts: check the "
                             f"\"(page N)\" references in {', '.join(segments[n].first_part for n in again)}",)
        done = layouts.fill_all(requests, done, [tuple(page_map.label_of_anchor.get(number.anchor, number.label)
                                                       for number in layout.numbers) for layout in done])
        decoration_requests = [decoration_job(book, s, r, page_map, n, inside) for n, (s, r) in enumerate(zip(segments, done))]
        decorations = layouts.typeset_all(decoration_requests)
        # A decoration whose folios could not all be found is laid out with them as they are.
        decoration_requests = [replace(job, exact_numbers=True) if not layout.all_numbers_found else job
                               for job, layout in zip(decoration_requests, decorations)]
        decorations = layouts.typeset_all(decoration_requests)
        decorations = layouts.fill_all(decoration_requests, decorations, [tuple(job.folios[number.page] for number in layout.numbers)
                                                                          for job, layout in zip(decoration_requests, decorations)])
        for segment, layout, decoration in zip(segments, done, decorations):
            if decoration.pages != layout.pages:
                raise RuntimeError(f"the page decoration of {segment.first_part} has {decoration.pages} pages, "
                                   f"its text {layout.pages}")
        layouts.forget_all_but(requests + decoration_requests)
    if cache is not None:
        cache.store("pagemap", _LAST_LAYOUT, {s.first_part: (r.pages, r.anchors) for s, r in zip(segments, done)})
    printed = printed_labels(page_map.labels)
    starts = page_starts([layout.starts for layout in done], page_map) + tuple(
        PageStart(n, "", 0, "", printed[n - 1]) for n in range(page_map.total + 1, len(printed) + 1))
    warnings = unsettled + tuple(dict.fromkeys(f"WeasyPrint: {w}" for r in done for w in r.warnings))
    # Joining holds every segment's parsed PDF at once: in a process of its own, whose
    # memory goes back when it ends, before finishing the editions needs as much again.
    joined = in_child(lambda: join([r.pdf for r in done], [d.pdf for d in decorations],
                                   list(page_map.blank_before), page_map.labels))
    progress("finish", 0, len(variants))

    # Pages left blank so that a part begins on a right-hand page: before a segment, or
    # inside one (the front matter's); the screen edition leaves them out.
    blank = frozenset(first - 2 for first, before in zip(page_map.first_pages, page_map.blank_before) if before) | {
        first - 1 + page for first, layout in zip(page_map.first_pages, done) for page in layout.blank_pages}

    def finish(variant: str) -> PressReady | bytes:
        if variant == PRINT:
            return press_ready(joined, book.metadata.print, printed, _color_profile(book))
        return screen_ready(joined, page_map.labels, blank)

    # Finishing a PDF takes about 0.15 MB a page (pikepdf holds every page and structure
    # element): a long book's two are finished one after the other, to stay in memory.
    finished = each_in_parallel(finish, variants, jobs if page_map.total <= _FINISH_BOTH_AT_ONCE_UP_TO else 1)
    if PRINT in finished:
        press = finished[PRINT]
        raise_if_errors(theme.unflattenable_transparency(book.root, set(press.unflattened)))
        finished[PRINT] = press.pdf
    rounds = f"{round_number} round{'s' * (round_number > 1)}"
    summary = f"laid out {len(laid_out)} of {len(segments)} parts ({rounds} for page numbers)"
    return PdfEditions(finished, printed, starts, inside, warnings, summary)


def _first_guess(segments: list[Segment], cache: Cache | None) -> PageMap:
    """Where the segments fall: as in the last build, or as their length suggests."""
    last = (cache.load("pagemap", _LAST_LAYOUT) if cache else None) or {}
    known = [last.get(s.first_part) for s in segments]
    counts = [k[0] if k else s.estimated_pages for k, s in zip(known, segments)]
    anchors = [k[1] if k else s.estimated_anchors() for k, s in zip(known, segments)]
    return place([s.front for s in segments], counts, anchors)


def _place(segments: list[Segment], layouts) -> PageMap:
    return place([s.front for s in segments], [r.pages for r in layouts], [r.anchors for r in layouts])


def _color_profile(book: ResolvedBook):
    settings = book.metadata.print
    return (book.root / settings.color_profile) if settings.color_profile else printing.DEFAULT_COLOR_PROFILE



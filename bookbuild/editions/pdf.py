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
- ``finishing``: each segment's pages made press-ready (``press``, ``pdfx``) and
  screen-ready, and read for the preflight, once, and kept in the cache;
- ``pdfjoin``: each edition written from its segments' finished pages (``pdfwriter``),
  a segment at a time.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace

from .. import fonts, printing, theme
from ..cache import Cache, file_digest, key_of
from ..model import PRINT, SCREEN, Progress, ResolvedBook, no_progress, raise_if_errors
from ..pagemap import PageStart
from ..parallel import each_in_parallel
from ..preflight.drawing import PrintFindings
from ..preflight.drawing import merged as merged_print
from ..preflight.tagging import ScreenFindings
from ..preflight.tagging import merged as merged_screen
from .cover import PrintCover, cover_work, finished_cover, make_cover
from .decorations import decoration_job
from .layouts import Layouts, layout_again
from .pagination import PageMap, page_starts, place, printed_labels
from .finishing import PRINT_KIND, SCREEN_KIND, Finished, FinishedPages, FinishJob, FontUse, Press
from .pdfjoin import join_print, join_screen
from .segments import Segment, plan, text_job

_MAX_ROUNDS = 5
_FINISH_BOTH_AT_ONCE_UP_TO = 1000  # pages
_LAST_LAYOUT = "last-layout"  # the cache entry with the last build's page counts and anchors
_PROGRAMS = "font-programs"  # the cache's kind for the font programs cut for a book
_KIND = {PRINT: PRINT_KIND, SCREEN: SCREEN_KIND}


@dataclass(frozen=True)
class PdfEditions:
    """Both PDFs, written from one layout, and what the layout says about the pages."""

    data: dict[str, bytes]  # variant -> PDF
    page_labels: tuple[str, ...]  # the folio of each page of the print edition: roman in the front matter
    page_starts: tuple[PageStart, ...]  # what each page begins with, for the EPUB's page-list
    inside_margin: float  # inches, chosen from the page count
    warnings: tuple[str, ...]
    summary: str  # how much of the book was laid out, and in how many rounds, and how much finished
    drawn: PrintFindings | None = None  # what the print edition's pages draw, for its preflight
    screen_found: ScreenFindings | None = None  # what the screen edition's pages and structure hold
    pages: dict[str, int] = field(default_factory=dict)  # variant -> its page count
    cover: PrintCover | None = None  # the print cover, made with the print edition


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
        press = Press(book.metadata.print, _color_profile(book), file_digest(book.root, _color_profile(book))
                      if book.metadata.print.color_profile else "") if PRINT in variants else None
        jobs_to_finish = [FinishJob(layout.pdf, decoration.pdf, layout.blank_pages,
                                    tuple((anchor, page_map.label_of_anchor[anchor]) for anchor in segment.linked_anchors
                                          if anchor in page_map.label_of_anchor))
                          for segment, layout, decoration in zip(segments, done, decorations)]
        finished = Finished(cache, jobs_to_finish, tuple(_KIND[v] for v in variants), press)
        # The print cover, fed the page count, is laid out beside (by a worker, if there are any).
        to_cover = cover_work(book, len(printed_labels(page_map.labels)), cache) if PRINT in variants else None
        made_cover = layouts.finish_all(finished, to_cover.job if to_cover is not None and to_cover.made is None else None)
    cover = None
    if to_cover is not None:
        made_cover = made_cover or to_cover.made
        cover = (finished_cover(to_cover, made_cover, cache) if made_cover is not None
                 else make_cover(book, to_cover.geometry.pages, cache))
    if cache is not None:
        cache.store("pagemap", _LAST_LAYOUT, {s.first_part: (r.pages, r.anchors) for s, r in zip(segments, done)})
    printed = printed_labels(page_map.labels)
    starts = page_starts([layout.starts for layout in done], page_map) + tuple(
        PageStart(n, "", 0, "", printed[n - 1]) for n in range(page_map.total + 1, len(printed) + 1))
    warnings = unsettled + tuple(dict.fromkeys(f"WeasyPrint: {w}" for r in done for w in r.warnings))
    progress("finish", 0, len(variants))

    # Pages left blank so that a part begins on a right-hand page: before a segment, or
    # inside one (the front matter's); the screen edition leaves them out.
    blank = frozenset(first - 2 for first, before in zip(page_map.first_pages, page_map.blank_before) if before) | {
        first - 1 + page for first, layout in zip(page_map.first_pages, done) for page in layout.blank_pages}
    screen_labels = tuple(label for n, label in enumerate(page_map.labels) if n not in blank)
    shell = done[0].pdf  # the front matter: the book's document information and catalog come from it
    programs = _FontPrograms(cache)

    def make(variant: str) -> _Joined:
        """An edition written from the finished segments (read one at a time), and what the
        preflight needs of them."""
        kind = _KIND[variant]
        found: list[FinishedPages] = []
        parts = _passing(finished.parts(kind), found)
        if variant == PRINT:
            data = join_print(parts, list(page_map.blank_before), printed, shell, press, programs)
            drawn = merged_print([(part.print_found, first) for part, first in zip(found, page_map.first_pages)])
            unflattened = frozenset().union(*(part.unflattened for part in found))
            return _Joined(data, drawn, None, unflattened, finished.made[kind], finished.read[kind], frozenset(programs.used))
        data = join_screen(parts, screen_labels, shell, programs)
        return _Joined(data, None, merged_screen([part.screen_found for part in found]), frozenset(),
                       finished.made[kind], finished.read[kind], frozenset(programs.used))

    # Each edition is written in a process of its own (both at once when there are two
    # cores), reading the segments' finished pages from the cache one at a time: a long
    # book's two are written one after the other, to stay in memory.
    made = each_in_parallel(make, variants, jobs if page_map.total <= _FINISH_BOTH_AT_ONCE_UP_TO else 1)
    finished.forget_others()
    if cache is not None:
        cache.keep_only(_PROGRAMS, set().union(*(joined.programs for joined in made.values())))
    if PRINT in made:
        raise_if_errors(theme.unflattenable_transparency(book.root, set(made[PRINT].unflattened)))
    rounds = f"{round_number} round{'s' * (round_number > 1)}"
    # What this build finished and read for the preflight, not what it took from the cache.
    counts = " and ".join(f"{made[variant].made} ({made[variant].read} pages) for {'print' if variant == PRINT else 'the screen'}"
                          for variant in variants)
    summary = f"laid out {len(laid_out)} of {len(segments)} parts ({rounds} for page numbers), finished and preflighted {counts}"
    return PdfEditions({variant: joined.pdf for variant, joined in made.items()}, printed, starts, inside, warnings, summary,
                       made[PRINT].drawn if PRINT in made else None, made[SCREEN].screen_found if SCREEN in made else None,
                       {PRINT: len(printed), SCREEN: len(screen_labels)}, cover)


@dataclass(frozen=True)
class _Joined:
    pdf: bytes
    drawn: PrintFindings | None
    screen_found: ScreenFindings | None
    unflattened: frozenset[str]
    made: int  # segments finished by this build
    read: int  # their pages, read for the preflight
    programs: frozenset[str]  # the font programs' cache entries it used


def _passing(parts, found: list):
    """``parts``, each noted in ``found`` as it passes."""
    for part in parts:
        found.append(part)
        yield part


class _FontPrograms:
    """Each font file's program for the glyphs the book uses, cut once (``fonts``) and kept
    in the cache under the file's bytes and the glyphs."""

    def __init__(self, cache: Cache | None):
        self.cache = cache
        self.used: set[str] = set()

    def __call__(self, use: FontUse, glyphs: frozenset[int]) -> tuple[bytes, int]:
        original, index = use.original()
        key = key_of(_PROGRAMS, original, str(index), ",".join(map(str, sorted(glyphs))))
        self.used.add(key)
        made = self.cache.load(_PROGRAMS, key) if self.cache is not None else None
        if not (isinstance(made, tuple) and len(made) == 2 and isinstance(made[0], bytes)):
            program = fonts.subset_for_pdf(original, index, glyphs)
            made = (zlib.compress(program), len(program))
            if self.cache is not None:
                self.cache.store(_PROGRAMS, key, made)
        return made


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



"""Laying out one segment of the book with WeasyPrint: the work of a layout worker.

A segment is a run of the book that starts on a right-hand page: the front
matter, or one chapter, or one back-matter part. Segments are laid out
independently (in parallel, and only when their HTML changed), and
``pdfjoin`` puts their PDFs together. Everything a segment prints that depends
on the rest of the book (its first folio, the page numbers of its
cross-references and contents) is written into its HTML and page CSS as
literal text, so a segment's layout is a pure function of its ``SegmentJob``.
"""

from __future__ import annotations

import logging
import math
import re
from html import escape
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import fonts, theme
from ..pagemap import PageStart, find_page_starts, page_lines
from ..resources import BOOK_URL, book_url_fetcher
from . import pagenumbers, vertical
from .paragraphs import active_setter, optimal_paragraphs
from .pagenumbers import NumberFont, PrintedNumber

HYPHEN_LADDER = 3  # this many hyphenated lines in a row is one too many
_HYPHENS = ("\u2010", "\u00ad")  # how a line the typesetter hyphenated ends (an author's own "-" does not count)
_MAX_AMENDMENTS = 3  # rounds of pages made again


@dataclass(frozen=True)
class TypesetterSetup:
    """What every worker needs to set WeasyPrint up for a book (picklable)."""

    root: Path  # the book folder: the only place images may come from
    stylesheets: tuple[Path, ...]  # the theme's and the book's, in cascade order
    identifier: str  # the PDF's document id
    language: str = "en"  # the book's: which fallback faces its text is set in (``theme.family_css``)


@dataclass(frozen=True)
class SegmentJob:
    html: str  # a complete document: the segment's sections, labels filled in
    page_css: str  # trim, bleed, margins and the first folio
    tagged: bool = True  # PDF/UA; the page decorations laid over the pages are not
    labels: dict[str, str] = field(default_factory=dict)  # anchor -> the page label printed for it
    folios: tuple[str, ...] = ()  # a page decoration: the folio each page prints
    exact_numbers: bool = False  # cached by the numbers themselves, not only by their widths (see layouts)


@dataclass(frozen=True)
class SegmentLayout:
    pages: int
    anchors: dict[str, int]  # anchor -> page within the segment, from 0
    starts: tuple[PageStart, ...]  # what each page begins with; page numbers from 1 within the segment
    pdf: bytes  # tagged PDF/UA-1; both editions are made from it
    warnings: tuple[str, ...]
    blank_pages: frozenset[int]  # pages left blank to start a part on its side, from 0
    numbers: tuple[PrintedNumber, ...] = ()  # the page numbers it prints that can be filled in afresh
    number_fonts: tuple[NumberFont, ...] = ()
    all_numbers_found: bool = True  # every number it prints is among ``numbers``


class Typesetter:
    """WeasyPrint set up once for a book: fonts and stylesheets."""

    def __init__(self, setup: TypesetterSetup):
        import weasyprint  # slow to import (about 1 s): only builds that make a PDF pay for it
        from weasyprint.text.fonts import FontConfiguration

        self.weasyprint = weasyprint
        _subset_fonts_keeping_every_glyph_id()
        _footnotes_in_document_order()
        _pages_set_as_a_book()
        _notes_stay_on_the_page_of_their_call()
        _decorative_images_as_artifacts()
        self.setup = setup
        self.font_config = FontConfiguration()  # @font-face rules only apply through one of these
        # No @color-profile: every segment would embed the print profile (190 KB); the
        # print edition gets its output intent when it is made press-ready.
        self.color_profiles: dict = {}
        fonts = theme.theme_fonts()
        self.fetcher = book_url_fetcher(setup.root, [theme.DEFAULT_THEME] + [face.path.parent for face in fonts])
        self.font_files = {face.postscript_name: str(face.path) for face in fonts}
        # The theme's faces, and the same faces as the family printed page numbers are set
        # in, so that they can be told from the text around them (``pagenumbers``).
        rules = "\n".join([theme.font_face_css(lambda face: face.path.as_uri(), family)
                            for family in (theme.BODY_FAMILY, pagenumbers.PAGE_NUMBER_FAMILY)]
                           + [theme.family_css(setup.language, pagenumbers.PAGE_NUMBER_FAMILY)])
        self.stylesheets = [self._css(string=rules)] + [self._css(filename=str(p)) for p in setup.stylesheets]
        self._whole_lines_css: dict[str, str] = {}

    def _css(self, **source):
        return self.weasyprint.CSS(url_fetcher=self.fetcher, font_config=self.font_config,
                                   color_profiles=self.color_profiles, **source)

    def typeset(self, job: SegmentJob) -> SegmentLayout:
        """Lay the segment out (its pages amended as they are made: ``_pages_set_as_a_book``)
        and write it; note the page numbers it prints."""
        with _collected_warnings() as warnings:
            document = self._layout(job)
            if job.folios:  # a page decoration: its running heads made to fit on one line
                shortened = _running_heads_shortened(document.pages)
                if shortened:
                    html = job.html
                    for full, short in shortened.items():
                        html = html.replace(f'="{escape(full)}"', f'="{escape(short)}"')
                    document = self._layout(replace(job, html=html))
            anchors: dict[str, int] = {}
            for number, page in enumerate(document.pages):
                for anchor in page.anchors:
                    anchors.setdefault(anchor, number)
            pdf = document.write_pdf(pdf_variant="pdf/ua-1" if job.tagged else None,
                                     pdf_identifier=self.setup.identifier.encode())
        blank = frozenset(n for n, page in enumerate(document.pages) if _left_blank(page))
        numbers, number_fonts, found_all = (), (), True
        if job.labels:
            pdf, numbers, number_fonts = pagenumbers.find_references(pdf, self.font_files)
            found_all = {n.anchor for n in numbers} >= {a for a, label in job.labels.items() if label.isdigit()}
        elif job.folios:
            pdf, numbers, number_fonts = pagenumbers.find_folios(pdf, job.folios, self.font_files)
            found_all = {n.page for n in numbers} >= {page for page, folio in enumerate(job.folios)
                                                      if folio.isdigit() and page not in blank}
        return SegmentLayout(len(document.pages), anchors, tuple(find_page_starts(document.pages)), pdf,
                             tuple(warnings), blank, numbers, number_fonts, found_all)

    def _layout(self, job: SegmentJob):
        # The book's pages (their text and their decorations) have text blocks of whole lines;
        # other jobs (the print cover) are laid out as their page CSS says.
        whole_lines = self._whole_lines(job.page_css) if job.tagged or job.folios else ""
        page_css = self._css(string=job.page_css + "\n" + whole_lines)
        html = self.weasyprint.HTML(string=job.html, base_url=BOOK_URL, url_fetcher=self.fetcher)
        with _at_most_two_hyphens_in_a_row(), optimal_paragraphs(html.etree_element):
            # Presentational hints: an ordered list keeps the numbers it was written with
            # (`<ol start="3" type="i">`, as pandoc writes `iii.`), as HTML says it does.
            return html.render(stylesheets=[page_css] + self.stylesheets, font_config=self.font_config,
                               presentational_hints=True, color_profiles=self.color_profiles)


    def _whole_lines(self, page_css: str) -> str:
        """The text block made a whole number of the body's lines high (the bottom margin
        takes what is left over), so that a full page's last line ends at its foot, as in
        TeX, and pages that are full end at one depth."""
        key = re.sub(r"counter-reset: page \d+;?", "", page_css)
        if key not in self._whole_lines_css:
            probe = self.weasyprint.HTML(string='<html lang="en"><body><section class="part chapter">'
                                                '<p>x</p></section></body></html>', base_url=BOOK_URL,
                                         url_fetcher=self.fetcher)
            page = probe.render(stylesheets=[self._css(string=page_css)] + self.stylesheets,
                                font_config=self.font_config, color_profiles=self.color_profiles).pages[0]._page_box
            lines = [box.height for box in page.descendants() if type(box).__name__ == "LineBox"]
            rule = ""
            if lines and lines[0] > 0:
                spare = page.height - math.floor(page.height / lines[0] + 1e-6) * lines[0]
                rule = f"@page {{ margin-bottom: {page.margin_bottom + spare:.4f}px !important; }}"
            self._whole_lines_css[key] = rule
        return self._whole_lines_css[key]


def _subset_fonts_keeping_every_glyph_id() -> None:
    """WeasyPrint 70 (pinned) subsets a font twice, the second time to drop the glyphs
    after the last one used, and renumbers: a used glyph built from a later one (a
    figure made of its lining variant) then draws its neighbour's outline. Subset once,
    keeping every glyph id (``fonts.subset_for_pdf``)."""
    from weasyprint.pdf.fonts import Font

    def subset(font, to_unicode, hinting):
        if to_unicode:
            font.file_content = fonts.subset_for_pdf(font.file_content, font.index, to_unicode, hinting)

    Font.subset = subset


def _footnotes_in_document_order() -> None:
    """Keep a page's footnotes, and those moved on to the next page, in the order of their
    calls. WeasyPrint 70 (pinned) appends a footnote to these lists when it lays out (or
    moves on) the line that calls it, so a line laid out again after a later one (when a
    paragraph is broken anew) puts its note after the later note: "5" above "4"."""
    from weasyprint import document
    from weasyprint.layout import LayoutContext

    if getattr(LayoutContext, "_bookbuild_ordered", False):
        return
    original_layout, original_report, original_add = (document.layout_document, LayoutContext.report_footnote,
                                                      LayoutContext.layout_footnote)

    def layout_document(html, root_box, context, *args, **kwargs):
        context.footnote_order = {id(footnote): n for n, footnote in enumerate(context.footnotes)}
        return original_layout(html, root_box, context, *args, **kwargs)

    def report_footnote(context, footnote):
        context.reported_footnotes = _InDocumentOrder(context.reported_footnotes, context.footnote_order)
        return original_report(context, footnote)

    def layout_footnote(context, footnote):
        context.current_page_footnotes = _InDocumentOrder(context.current_page_footnotes, context.footnote_order)
        return original_add(context, footnote)

    document.layout_document = layout_document
    LayoutContext.report_footnote = report_footnote
    LayoutContext.layout_footnote = layout_footnote
    LayoutContext._bookbuild_ordered = True


def _notes_stay_on_the_page_of_their_call() -> None:
    """WeasyPrint 70 (pinned) makes room at a page's foot for one more line (to keep a
    paragraph's last lines together) by moving that page's notes to the next one, away from
    their calls. A note stays beside its call: the line goes on to the next page instead
    (the page is then filled, ``vertical``). The one condition that allows it is turned off
    in ``block._linebox_layout``, whose source is read, changed on that line alone, and run
    again in the module's place."""
    import inspect

    from weasyprint.layout import block

    if getattr(block, "_bookbuild_notes_stay", False):
        return
    source = inspect.getsource(block._linebox_layout)
    allowed = "report = not context.in_column and can_break_now and not could_break_before"
    if source.count(allowed) != 1:
        raise RuntimeError("WeasyPrint's line layout is not the one this toolchain was made for (see constraints.txt)")
    exec(compile(source.replace(allowed, "report = False"), block.__file__, "exec"), block.__dict__)
    block._bookbuild_notes_stay = True


def _pages_set_as_a_book() -> None:
    """Pages amended as WeasyPrint 70 (pinned) makes them (``make_all_pages``), before their
    margin boxes, backgrounds, links and anchors are placed: where a page ends with a
    hyphen, a paragraph has a ladder of hyphens or a page of running text ends short, the
    paragraphs concerned are set again (``amended``) and the pages made again from the
    first one they are on (WeasyPrint makes again only as far as the pages change, and
    keeps the others); then every page of running text is filled to the foot of its text
    block (``vertical``)."""
    from weasyprint import layout

    from weasyprint.layout import page as page_layout

    if getattr(layout, "_bookbuild_set", False):
        return
    make_all_pages, remake_page = layout.make_all_pages, page_layout.remake_page

    def remake_recording_notes(index, context, root_box, html):
        # The notes still to be placed, and those carried over from the page before, as this
        # page begins: a page made again begins from them (``page_maker`` keeps the rest).
        context._bookbuild_notes_at[index] = (list(context.footnotes), list(context.reported_footnotes))
        return remake_page(index, context, root_box, html)

    def set_as_a_book(context, root_box, html, pages):
        if not hasattr(context, "_bookbuild_notes_at"):
            context._bookbuild_notes_at = {}
        pages = list(make_all_pages(context, root_box, html, pages))
        setter = active_setter()
        for _ in range(_MAX_AMENDMENTS):
            first = amended(pages, root_box, setter) if setter is not None else None
            if first is None or first not in context._bookbuild_notes_at:
                break
            notes, carried = context._bookbuild_notes_at[first]
            context.footnotes, context.reported_footnotes = list(notes), list(carried)
            context.page_maker[first][-1]["content_changed"] = True
            pages = list(make_all_pages(context, root_box, html, pages))
        yield from vertical.fill_pages(pages)

    layout.make_all_pages = set_as_a_book
    page_layout.remake_page = remake_recording_notes
    layout._bookbuild_set = True


def amended(pages: list, root_box, setter) -> int | None:
    """Set again what the pages show is wrong; the first page to make again, or None."""
    if setter.decoration:
        return None
    ladders = set(_hyphen_ladders(pages))
    page_ends = _hyphenated_page_ends(pages)
    planned = setter.planned_blocks()
    changed: set[tuple[str, int]] = set()
    for key, lines in page_ends.items():
        if key in planned:
            changed |= {key} if setter.keep_whole(key, lines) else set()
        else:
            ladders |= {key}
    for key in ladders:
        changed |= {key} if setter.unhyphenate(root_box, key) else set()
    running = vertical.running_pages(pages)
    floated = [n for n, page in enumerate(pages) if page in running and vertical.deferred_float(pages, n, root_box)]
    looser, alone = _filling_short_pages(pages, setter) if not floated else (set(), set())
    for key in looser:
        changed |= {key} if setter.set_a_line_longer(key) else set()
    for key in alone:
        changed |= {key} if setter.allow_a_line_alone(root_box, key) else set()
    first_pages = [n for n, page in enumerate(pages) if any(block in changed for _, block in _blocks_on(page))]
    return min(first_pages + floated, default=None)


def _blocks_on(page) -> list[tuple[str, tuple[str, int]]]:
    return [("", (part, block)) for part, block, _ in page_lines(page) if block is not None]


def _decorative_images_as_artifacts() -> None:
    """An image with ``alt=""`` is decorative (README: "Choices where the contract is
    silent"): in the tagged PDF it is an artifact, as the page decorations are, not a
    Figure without the alt text PDF/UA asks of one. WeasyPrint 70 (pinned) draws every
    image as a Figure (``Stream.marked``) and gives it a structure element
    (``tags._build_box_tree``); both are skipped for such an image."""
    from weasyprint.pdf import tags
    from weasyprint.pdf.stream import Stream

    if getattr(Stream, "_bookbuild_artifacts", False):
        return
    original_marked, original_tree = Stream.marked, tags._build_box_tree

    @contextmanager
    def marked(stream, box, tag):
        with (stream.artifact() if decorative_image(box) else original_marked(stream, box, tag)):
            yield

    def build_box_tree(box, *args, **kwargs):
        if decorative_image(getattr(box, "_box", box)):  # an absolutely placed one, too
            return iter(())
        return original_tree(box, *args, **kwargs)

    Stream.marked = marked
    tags._build_box_tree = build_box_tree  # it calls itself through this name, so every level is covered
    Stream._bookbuild_artifacts = True


def decorative_image(box) -> bool:
    """An ``<img>`` whose alt text is empty: it carries no meaning a reader must be told."""
    element = getattr(box, "element", None)
    return (getattr(box, "element_tag", None) == "img" and element is not None
            and not (element.get("alt") or "").strip())


class _InDocumentOrder(list):
    """A list of footnotes that stays in the order of their calls, whatever is added."""

    def __init__(self, items, order: dict[int, int]):
        self.order = order
        super().__init__(sorted(items, key=self._key))

    def _key(self, footnote) -> int:
        return self.order.get(id(footnote), len(self.order))

    def append(self, item) -> None:
        super().append(item)
        self.sort(key=self._key)

    def __setitem__(self, index, value) -> None:
        super().__setitem__(index, value)
        self.sort(key=self._key)


def _left_blank(page) -> bool:
    """A page the layout left empty so that the next part starts on its side. (WeasyPrint
    calls a page that only carries footnotes run over from the page before blank too.)"""
    from weasyprint.formatting_structure import boxes

    box = page._page_box
    return box.page_type.blank and not any(isinstance(child, boxes.FootnoteAreaBox) and child.children
                                           for child in box.children)


@contextmanager
def _at_most_two_hyphens_in_a_row():
    """Set a paragraph's next line without hyphenation after two hyphenated lines.

    CSS has no ``hyphenate-limit-lines`` in WeasyPrint, so this wraps its line
    layout (``get_next_linebox``, WeasyPrint 70, pinned) for the length of one
    layout. It saves a second layout; ``_hyphen_ladders`` still checks the result
    (a ladder across a page break is set again, unhyphenated).
    """
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import inline

    original = inline.get_next_linebox
    hyphenated_before: dict[int, int] = {}

    def next_line(context, linebox, *args, **kwargs):
        # Keyed by the paragraph's element, so a run continues across a page break.
        key = id(linebox.element) if linebox.element is not None else id(linebox)
        relaxed = []
        if hyphenated_before.get(key, 0) >= HYPHEN_LADDER - 1:
            for box in [linebox, *linebox.descendants()]:
                if box.style["hyphens"] == "auto":
                    box.style["hyphens"] = "manual"
                    relaxed.append(box.style)
        try:
            line, resume_at = original(context, linebox, *args, **kwargs)
        finally:
            for style in relaxed:
                style["hyphens"] = "auto"
        if line is not None:
            texts = [b.text for b in line.descendants() if isinstance(b, boxes.TextBox)]
            ends_hyphenated = bool(texts) and texts[-1].rstrip().endswith(_HYPHENS)
            hyphenated_before[key] = hyphenated_before.get(key, 0) + 1 if ends_hyphenated else 0
        return line, resume_at

    inline.get_next_linebox = next_line
    try:
        yield
    finally:
        inline.get_next_linebox = original


def _hyphen_ladders(pages: list) -> frozenset[tuple[str, int]]:
    """Blocks (part, block index) with too many hyphenated line ends in a row on a page
    (a page break ends a ladder: the reader never sees its rungs together)."""
    ladders: set[tuple[str, int]] = set()
    for page in pages:
        key, count = None, 0
        for part, block, texts in page_lines(page):
            hyphenated = bool(texts) and texts[-1].rstrip().endswith(_HYPHENS)
            if not hyphenated:
                key, count = None, 0
            elif key == (part, block):
                count += 1
            else:
                key, count = (part, block), 1
            if count >= HYPHEN_LADDER and block is not None:
                ladders.add((part, block))
    return frozenset(ladders)


def _filling_short_pages(pages: list, setter) -> tuple[set[tuple[str, int]], set[tuple[str, int]]]:
    """What fills the pages of running text left short by whole lines (a line held back from
    a widow or an orphan, or a heading gone on with its first lines, where there were too
    few gaps to share the space) that face a page ending elsewhere: the paragraphs that
    begin on such a page and can be set a line longer at the least cost, one a missing line
    (the page is then fuller, and the next page begins where it did; the gaps share what is
    left); where there are not enough of them, and the next page begins with a paragraph,
    that paragraph may leave a line alone there, as TeX lets it at a price."""
    index = {id(page): n for n, page in enumerate(pages)}
    blocks_on = [[(part, block) for part, block, _ in page_lines(page) if block is not None] for page in pages]
    short = {index[id(page)]: vertical.lines_short(page) for page in vertical.running_pages(pages)}
    looser: set[tuple[str, int]] = set()
    alone: set[tuple[str, int]] = set()
    for n, missing in short.items():
        # A segment begins on a right-hand page: pages 1 and 2, 3 and 4, ... face each other.
        facing = n + 1 if n % 2 else n - 1
        if not missing or n + 1 >= len(pages) or short.get(facing, missing) == missing:
            continue  # a full page, or one facing a page as short (or a part's end, or nothing)
        earlier = {key for blocks in blocks_on[:n] for key in blocks}
        begun_here = [key for key in dict.fromkeys(blocks_on[n]) if key not in earlier]
        costs = sorted((cost, key) for key in begun_here if (cost := setter.cost_of_a_line_more(key)) is not None)
        looser.update(key for _, key in costs[:missing])
        following = blocks_on[n + 1][0] if blocks_on[n + 1] else None
        if len(costs) < missing and following is not None and not setter.is_heading(following):
            alone.add(following)  # (a heading kept with its text is not made up for by a line left alone)
    return looser, alone


def _running_heads_shortened(pages: list) -> dict[str, str]:
    """Running heads too long for their margin box (a long chapter title, with no
    ``running_head`` of its own), each cut after the last word that fits, with an ellipsis:
    by its full text, the shortened text. (CSS's ``text-overflow`` does nothing in WeasyPrint
    70's margin boxes: the text runs off the page.)"""
    from weasyprint.formatting_structure import boxes
    from weasyprint.text.line_break import create_layout, line_size

    def width(text: str, style) -> float:
        layout = create_layout(text, style, None, None, 0)
        line, _ = layout.get_first_line()
        measured = line_size(line, style)[0]
        layout.deactivate()
        return measured

    room: dict[str, tuple[float, object]] = {}  # full text -> the narrowest room it overflows, and its style
    for page in pages:
        # A margin box alone in its row grows with its text, past the page's edge: the
        # room a head has is the width between the page's margins, at most.
        measure = page._page_box.width
        for margin_box in page._page_box.children:
            if not isinstance(margin_box, boxes.MarginBox):
                continue
            available = min(margin_box.width, measure)
            for line in (b for b in margin_box.descendants() if isinstance(b, boxes.LineBox)):
                texts = [b for b in line.descendants() if isinstance(b, boxes.TextBox)]
                text = "".join(b.text for b in texts).strip()
                if texts and text and line.width > available + 0.5:
                    if text not in room or available < room[text][0]:
                        room[text] = (available, texts[0].style)
    shortened = {}
    for text, (available, style) in room.items():
        words = text.split(" ")
        fitting = [" ".join(words[:count]).rstrip(",;:.\u2013\u2014 ") + "\u2026" for count in range(len(words) - 1, 0, -1)]
        fitting = [candidate for candidate in fitting if width(candidate, style) <= available]
        # Not cut after a little word ("of", "the"), where a cut before it fits.
        strong = [candidate for candidate in fitting if len(candidate[:-1].rsplit(" ", 1)[-1]) > 3]
        if strong or fitting:
            shortened[text] = (strong or fitting)[0]
    return shortened


def _hyphenated_page_ends(pages: list) -> dict[tuple[str, int], frozenset[int]]:
    """The lines (part, block, the line's number in its block) that end a page with the
    typesetter's hyphen: a word split over a page, or over a leaf."""
    counted: dict[tuple[str, int], int] = {}
    found: dict[tuple[str, int], set[int]] = {}
    for page in pages:
        last = None
        for part, block, texts in page_lines(page):
            if block is None:
                continue
            key = (part, block)
            last = (key, counted.get(key, 0), texts)
            counted[key] = counted.get(key, 0) + 1
        if last is not None:
            key, line, texts = last
            if texts and texts[-1].rstrip().endswith(_HYPHENS):
                found.setdefault(key, set()).add(line)
    return {key: frozenset(lines) for key, lines in found.items()}


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


# --- worker processes -----------------------------------------------------------------

_worker: Typesetter | None = None
_worker_failure = ""  # the traceback of a Typesetter that could not start in this worker


def prepare_worker(temporary_folder: str) -> None:
    """A worker's start, before it knows the book: the parent handles Ctrl-C and stops the
    workers itself, and removes ``temporary_folder``, where this worker keeps its temporary
    files, after them (a stopped worker cannot clean up: WeasyPrint's font folders stayed
    behind); WeasyPrint imported (about a second)."""
    import signal
    import tempfile

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the build's handler, inherited through fork
    tempfile.tempdir = temporary_folder
    try:
        import weasyprint  # noqa: F401
    except Exception:  # said by ``start_worker``, which tries again
        pass


def start_worker(setup: TypesetterSetup) -> None:
    """The worker's typesetter for the book."""
    import traceback

    global _worker, _worker_failure
    try:
        _worker = Typesetter(setup)
    except Exception:
        # An initializer that raises makes multiprocessing start the worker again, forever:
        # the failure is reported with the first job instead, and ends the build.
        _worker_failure = traceback.format_exc()


def typeset_in_worker(numbered: tuple[int, SegmentJob]) -> tuple[int, SegmentLayout]:
    if _worker is None:
        raise RuntimeError(f"the layout worker could not start:\n{_worker_failure}")
    number, job = numbered
    return number, _worker.typeset(job)


def fill_in_worker(work: tuple[int, SegmentLayout, tuple[str, ...]]) -> tuple[int, SegmentLayout]:
    """A layout with the page numbers it prints filled in (no WeasyPrint needed)."""
    number, layout, wanted = work
    pdf, numbers = pagenumbers.fill(layout.pdf, layout.numbers, layout.number_fonts, wanted)
    return number, replace(layout, pdf=pdf, numbers=numbers)

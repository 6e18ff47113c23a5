"""The print and screen PDFs (WeasyPrint), and the page map of the layout.

The book is one HTML document with paged-media CSS, laid out once for both
PDFs: they have the same pages, and differ only in how they are written and
finished. Page numbers for cross-references and the contents come from
``target-counter()``, which WeasyPrint resolves across the whole layout, so
they are right after any change in length.
"""

from __future__ import annotations

import logging
import multiprocessing
from contextlib import contextmanager
from dataclasses import dataclass, replace
from html import escape

from lxml import etree
from lxml import html as lxml_html

from .. import generated, ids, printing, theme
from ..model import PartKind, ResolvedBook, ResolvedPart
from ..pagemap import PageStart, find_page_starts, page_blocks, page_lines, tag_blocks
from ..resources import book_url_fetcher
from .pdfx import press_ready, screen_ready

PRINT = "print"
SCREEN = "screen"
HYPHEN_LADDER = 3  # this many hyphenated lines in a row is one too many
_HYPHENS = ("\u2010", "\u00ad")  # how a line the typesetter hyphenated ends (an author's own "-" does not count)
_MAX_LAYOUTS = 3


@dataclass(frozen=True)
class PdfEditions:
    """Both PDFs, written from one layout, and what the layout says about the pages."""

    data: dict[str, bytes]  # variant -> PDF
    page_of_anchor: dict[str, int]  # book-wide anchor -> 1-based physical page
    page_labels: tuple[str, ...]  # the folio printed on each page: roman in the front matter
    page_starts: tuple[PageStart, ...]  # what each page begins with, for the EPUB's page-list
    inside_margin: float  # inches, chosen from the page count
    warnings: tuple[str, ...]


def render_pdfs(book: ResolvedBook, variants: tuple[str, ...], jobs: int = 1) -> PdfEditions:
    """Lay the book out until the gutter suits the page count and no paragraph has a
    ladder of hyphens, then write each PDF from that one layout and make it ready for
    its printer (``press_ready``) or its reader (``screen_ready``)."""
    engine = _Engine(book)
    pages = _estimate_pages(book)
    unhyphenated: frozenset[tuple[str, int]] = frozenset()
    with _collected_warnings() as warnings:
        for _ in range(_MAX_LAYOUTS):
            inside = printing.inside_margin_for(pages)
            document = engine.layout(inside, unhyphenated)
            pages = len(document.pages)
            ladders = _hyphen_ladders(document.pages)
            if printing.inside_margin_for(pages) == inside and ladders <= unhyphenated:
                break
            unhyphenated |= ladders
        page_of_anchor: dict[str, int] = {}
        for number, page in enumerate(document.pages, start=1):
            for anchor in page.anchors:
                page_of_anchor.setdefault(anchor, number)
        labels = page_labels(pages, _first_main_page(book, page_of_anchor))

        def finish(variant: str) -> bytes:
            if variant == PRINT:
                return press_ready(engine.write(document, PRINT), book.metadata.print, labels, engine.color_profile)
            return screen_ready(engine.write(document, SCREEN), labels)

        finished = _each_in_parallel(finish, variants, jobs)
    starts = tuple(replace(start, label=labels[start.page - 1]) for start in find_page_starts(document.pages))
    return PdfEditions(finished, page_of_anchor, labels, starts, inside, tuple(warnings))


def _each_in_parallel(work, variants: tuple[str, ...], jobs: int) -> dict[str, bytes]:
    """``work(variant)`` for each variant; with two cores, the second in a forked process,
    which shares the finished layout with this one instead of copying it."""
    if jobs < 2 or len(variants) < 2:
        return {variant: work(variant) for variant in variants}
    first, second = variants
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child() -> None:
        try:
            sender.send(("ok", work(second)))
        except BaseException as failure:  # reported by the parent, which owns the terminal
            sender.send(("failed", f"{type(failure).__name__}: {failure}"))

    process = context.Process(target=child, daemon=True)
    process.start()
    sender.close()
    try:
        done = {first: work(first)}
        try:
            status, value = receiver.recv()
        except EOFError:
            status, value = "failed", f"the process writing the {second} PDF ended without a result"
    finally:
        process.join(timeout=5)
        if process.is_alive():
            process.terminate()
    if status != "ok":
        raise RuntimeError(value)
    done[second] = value
    return done


class _Engine:
    """WeasyPrint set up once for a book: fonts, colour profile, stylesheets."""

    def __init__(self, book: ResolvedBook):
        import weasyprint  # slow to import (about 1 s): only builds that make a PDF pay for it
        from weasyprint.text.fonts import FontConfiguration

        self.weasyprint = weasyprint
        self.book = book
        self.font_config = FontConfiguration()  # @font-face rules only apply through one of these
        self.color_profiles: dict = {}  # and @color-profile rules through this
        settings = book.metadata.print
        self.color_profile = (book.root / settings.color_profile) if settings.color_profile else printing.DEFAULT_COLOR_PROFILE
        fonts = theme.theme_fonts()
        allowed = [book.root, theme.DEFAULT_THEME, self.color_profile.parent] + [face.path.parent for face in fonts]
        self.fetcher = book_url_fetcher(allowed)
        rules = [theme.font_face_css(lambda face: face.path.as_uri()),
                 f"@color-profile device-cmyk {{ src: url({self.color_profile.resolve().as_uri()}); components: c, m, y, k; }}"]
        self.stylesheets = [self._css(string="\n".join(rules))] + [
            self._css(filename=str(path)) for path in theme.stylesheets(book.root, "pdf")
        ]

    def _css(self, **source):
        return self.weasyprint.CSS(url_fetcher=self.fetcher, font_config=self.font_config,
                                   color_profiles=self.color_profiles, **source)

    def layout(self, inside_margin: float, unhyphenated: frozenset[tuple[str, int]]):
        html = book_html(self.book, unhyphenated)
        page_css = self._css(string=_page_css(self.book, inside_margin))
        with _at_most_two_hyphens_in_a_row():
            return self.weasyprint.HTML(string=html, base_url=self.book.root.as_uri() + "/", url_fetcher=self.fetcher).render(
                stylesheets=[page_css] + self.stylesheets, font_config=self.font_config, color_profiles=self.color_profiles)

    def write(self, document, variant: str) -> bytes:
        return document.write_pdf(
            pdf_variant="pdf/x-1a" if variant == PRINT else "pdf/ua-1",
            pdf_identifier=ids.book_identifier(self.book.metadata).encode("utf-8"),
        )


@contextmanager
def _at_most_two_hyphens_in_a_row():
    """Set a paragraph's next line without hyphenation after two hyphenated lines.

    CSS has no ``hyphenate-limit-lines`` in WeasyPrint, so this wraps its line
    layout (``get_next_linebox``, WeasyPrint 70, pinned) for the length of one
    layout. It saves a second layout of the whole book; ``_hyphen_ladders`` still
    checks the result (a ladder across a page break is set again, unhyphenated).
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


def page_labels(count: int, first_main: int) -> tuple[str, ...]:
    """Front matter in lower-case roman numerals, the main matter from 1."""
    return tuple(_roman(n) if n < first_main else str(n - first_main + 1) for n in range(1, count + 1))


def _first_main_page(book: ResolvedBook, page_of_anchor: dict[str, int]) -> int:
    first = next(p for p in book.parts if p.kind is PartKind.CHAPTER)
    return page_of_anchor[first.part_id]


def _roman(number: int) -> str:
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                           (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while number >= value:
            out += letters
            number -= value
    return out


def _estimate_pages(book: ResolvedBook) -> int:
    """A first guess for the gutter; the layout says how many pages there really are."""
    words = sum(len(part.html.split()) for part in book.parts) * 0.8  # markup counts as words in .split()
    return int(words / 330) + 2 * len(book.parts)


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


def book_html(book: ResolvedBook, unhyphenated: frozenset[tuple[str, int]] = frozenset()) -> str:
    meta = book.metadata
    parts = [_half_title(book)]
    first_chapter = next(p for p in book.parts if p.kind is PartKind.CHAPTER)
    for part in book.parts:
        parts.append(_for_pdf(part, {block for pid, block in unhyphenated if pid == part.part_id},
                              first_main=part is first_chapter))
        if part.part_id == "front-copyright":
            parts.append(_contents(book))
    date = ids.build_date(meta).strftime("%Y-%m-%dT%H:%M:%SZ")
    created = (f'<meta name="dcterms.created" content="{date}"/><meta name="dcterms.modified" content="{date}"/>')
    return (
        f'<!DOCTYPE html><html lang="{escape(meta.language)}"><head><meta charset="utf-8"/>'
        f"<title>{escape(meta.title)}</title>"
        f'<meta name="author" content="{escape(", ".join(meta.authors))}"/>'
        f'<meta name="description" content="{escape(meta.description)}"/>{created}'
        f'</head><body data-book-title="{escape(meta.title)}">{"".join(parts)}</body></html>'
    )


def _half_title(book: ResolvedBook) -> str:
    return (f'<section id="front-half-title" class="part halftitle" data-title="">'
            f'<p class="half-title">{escape(book.metadata.title)}</p></section>')


def _contents(book: ResolvedBook) -> str:
    items = []
    for part in book.parts:
        if part.in_contents:
            entry = part.toc[0]
            items.append(f'<li class="toc-{part.kind.value}"><a href="#{entry.anchor}">{escape(entry.text)}</a></li>')
    return (
        '<section id="front-contents" class="part contents front" data-title="Contents">'
        '<header class="part-head"><h1 class="part-title" data-label="Contents"><span class="title-text">Contents</span></h1></header>'
        f'<ol class="toc">{"".join(items)}</ol></section>'
    )


def _for_pdf(part: ResolvedPart, unhyphenated: set[int], first_main: bool) -> str:
    """Footnotes to the foot of their page, web addresses into footnotes too."""
    root = lxml_html.fragment_fromstring(part.html)
    tag_blocks(root)
    for index, block in enumerate(page_blocks(root)):
        if index in unhyphenated:
            block.set("class", (block.get("class", "") + " no-hyphens").strip())
    if first_main:
        root.set("class", root.get("class", "") + " first-main")
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


def _page_css(book: ResolvedBook, inside: float) -> str:
    """Trim size and bleed from the metadata; mirrored margins with the gutter inside.
    Crop marks are drawn later, in a slug outside the bleed (``press_ready``)."""
    settings = book.metadata.print
    outside = printing.OUTSIDE_MARGIN_IN
    size = f"size: {settings.trim_width} {settings.trim_height}; bleed: {settings.bleed}; marks: none;"
    return (f"@page {{ {size} }}\n"
            f"@page :left {{ margin-left: {outside}in; margin-right: {inside}in; }}\n"
            f"@page :right {{ margin-left: {inside}in; margin-right: {outside}in; }}")


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


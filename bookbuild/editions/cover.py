"""The print cover: back, spine and front on one PDF/X sheet, for the book's printer.

An edition of its own, made after the print edition from its final page count: the
spine is that many pages of the paper's thickness (``printing``), so the cover is
always as wide as the book it wraps. The sheet is laid out by WeasyPrint from HTML
and the theme's ``cover.css`` (with the book's own ``styles/cover.css``), through the
same typesetter, fonts and book-only URL fetcher as the pages, then made press-ready
by ``pdfx.cover_ready`` (the interior's colour separation, ink limit and PDF/X keys),
and checked by ``preflight.preflight_cover``.

- **Front**: the book's ``cover`` picture filling the front panel and its bleed (and,
  with ``cover_text: true``, the title and author on bands over it), or the
  typographic cover of the EPUB drawn again as text at print size.
- **Spine**: title, author and publisher reading top to bottom, sized to the spine
  with its clearance from both folds, when the target allows text on a spine that
  thin; else empty, in the cover's colour.
- **Back**: ``back_cover`` (Markdown) or ``description``, a line with the authors,
  and the print ISBN as an EAN-13 barcode with its price add-on (``ean``) on a white
  box in the target's barcode area; without a print ISBN the box is left white for
  the printer's own.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from pathlib import Path

from .. import cover as typographic, ids, printing, theme
from ..cache import Cache, key_of
from ..model import PrintSettings, Problem, ResolvedBook, warning
from ..words import words_for
from ..parallel import in_child
from . import ean

POINTS_PER_INCH = 72.0
MM_PER_INCH = 25.4
MIN_PPI = 300
_SPINE_LARGEST = 12.0  # points: spine text no larger, however wide the spine
_SPINE_GAP = 2.0  # ems between the spine's title, author and publisher
_BACK_SIZES = (14.0, 13.0, 12.0, 11.0, 10.5, 10.0, 9.5, 9.0, 8.5, 8.0)  # points: the back's text, the largest that fits
_BACK_MARGIN = (0.75, 0.6)  # inches: the back's text from the top, and from the sides (more than the safe margin)
_BACK_LEADING = 1.4
_BYLINE_ROOM = 0.45  # inches kept under the back's text for the authors' line
SPINE_TEXT_BAND = 0.04  # inches: the least room across the spine, inside its clearances, for text (3 pt letters)


@dataclass(frozen=True)
class Box:
    """A rectangle in inches from the trim's top-left corner (y grows downwards)."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def css(self) -> str:
        return f"left: {self.left:.4f}in; top: {self.top:.4f}in; width: {self.width:.4f}in; height: {self.height:.4f}in"


@dataclass(frozen=True)
class CoverGeometry:
    """The sheet's measures, in inches, for a book of ``pages`` pages."""

    pages: int
    panel_width: float  # the trim width of the book: each of the back and front panels
    height: float  # the trim height
    spine: float  # pages x paper thickness
    bleed: float
    paper_thickness: float  # inches a page
    safe_margin: float  # text and barcode this far inside the trim and the folds
    spine_clearance: float  # spine text this far from each fold
    spine_text: bool  # the target allows text on this spine, and it fits between the folds' clearances
    barcode: Box  # the barcode area, on the back panel by the spine

    @property
    def width(self) -> float:
        """The trimmed cover: back, spine and front."""
        return 2 * self.panel_width + self.spine

    @property
    def sheet_width(self) -> float:
        return self.width + 2 * self.bleed

    @property
    def sheet_height(self) -> float:
        return self.height + 2 * self.bleed

    @property
    def folds(self) -> tuple[float, float]:
        """Where the spine folds, from the trim's left edge."""
        return self.panel_width, self.panel_width + self.spine

    def safe_areas(self) -> dict[str, Box]:
        """Where text and the barcode may go: each panel inside its safe margin (the spine's
        only when it may carry text)."""
        m = self.safe_margin
        areas = {"back": Box(m, m, self.panel_width - 2 * m, self.height - 2 * m),
                 "front": Box(self.folds[1] + m, m, self.panel_width - 2 * m, self.height - 2 * m)}
        if self.spine_text:
            c = self.spine_clearance
            areas["spine"] = Box(self.folds[0] + c, m, self.spine - 2 * c, self.height - 2 * m)
        return areas


def inches(length: str) -> float:
    """A CSS length of the metadata (``6in``, ``3mm``, ``0``) in inches."""
    units = {"in": 1.0, "mm": 1 / MM_PER_INCH, "cm": 10 / MM_PER_INCH, "pt": 1 / 72, "px": 1 / 96}
    for unit, factor in units.items():
        if length.endswith(unit):
            return float(length[: -len(unit)]) * factor
    return float(length)


def cover_geometry(settings: PrintSettings, pages: int) -> CoverGeometry:
    """The cover of a book of ``pages`` pages printed as ``settings`` say."""
    target = printing.TARGETS[settings.target]
    rules = target.cover
    thickness = printing.paper_thickness(target, settings.paper, settings.paper_thickness)
    width, height = inches(settings.trim_width), inches(settings.trim_height)
    area_width, area_height = rules.barcode_area
    barcode = Box(width - rules.barcode_inset - area_width, height - rules.barcode_inset - area_height,
                  area_width, area_height)
    spine = pages * thickness
    fits = spine - 2 * rules.spine_clearance >= SPINE_TEXT_BAND
    return CoverGeometry(pages, width, height, spine, inches(settings.bleed) if settings.bleed != "0" else 0.0,
                         thickness, rules.safe_margin, rules.spine_clearance, pages >= rules.spine_text_from and fits,
                         barcode)


@dataclass(frozen=True)
class PrintCover:
    pdf: bytes
    geometry: CoverGeometry
    problems: tuple[Problem, ...]  # warnings, located in metadata.yaml
    notes: tuple[str, ...]  # for the build summary: an empty spine, no barcode
    warnings: tuple[str, ...] = ()  # WeasyPrint's, about the cover's styles


@dataclass(frozen=True)
class _Sheet:
    """What the cover is laid out from: a whole HTML document and its page rule."""

    html: str
    page_css: str


@dataclass(frozen=True)
class CoverWork:
    """A cover to make: what it is made from, and the cache's copy if it has one."""

    geometry: CoverGeometry
    problems: tuple[Problem, ...]
    notes: tuple[str, ...]
    key: str
    job: tuple  # ``render_cover``'s arguments
    made: tuple[bytes, tuple[str, ...]] | None  # from the cache: the press-ready PDF and WeasyPrint's warnings


def make_cover(book: ResolvedBook, pages: int, cache: Cache | None = None) -> PrintCover:
    """The cover of the print edition of ``pages`` pages, press-ready (from the cache
    when nothing it is made from has changed)."""
    work = cover_work(book, pages, cache)
    if work.made is not None:
        return finished_cover(work, work.made, cache)
    # WeasyPrint keeps font files in a temporary folder, which a forked process that
    # ends cannot remove: it works in one of ours, removed here whatever happens to it.
    folder = tempfile.mkdtemp(prefix="bookbuild-cover-")
    try:
        made = in_child(lambda: render_cover(work.job, folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return finished_cover(work, made, cache)


def cover_work(book: ResolvedBook, pages: int, cache: Cache | None = None) -> CoverWork:
    """What the cover of a book of ``pages`` pages is made from (``render_cover`` makes it,
    where a WeasyPrint is at hand: a layout worker's, or a process of its own)."""
    metadata = book.metadata
    settings = metadata.print
    geometry = cover_geometry(settings, pages)
    problems: list[Problem] = []
    notes: list[str] = []
    sheet = _Sheet(_document(book, geometry, problems), _page_css(geometry))
    rules = printing.TARGETS[settings.target].cover
    if pages < rules.spine_text_from:
        notes.append(f"cover: the spine is left empty: {settings.target} allows text on the spine from "
                     f"{rules.spine_text_from} pages; the book has {pages}")
    elif not geometry.spine_text:
        notes.append(f"cover: the spine is left empty: at {geometry.spine:.3f}in it is too narrow for text "
                     f"{geometry.spine_clearance:g}in clear of each fold")
    if not metadata.isbn_print:
        notes.append("cover: no print ISBN (isbn.print): the barcode area is left white for the printer's own barcode")
    stylesheets = theme.stylesheets(book.root, "cover")
    profile = _profile(book)
    picture = (book.root / metadata.cover).read_bytes() if metadata.cover else b""
    key = key_of("cover", metadata.language, sheet.html, sheet.page_css, repr(settings), str(profile), picture,
                 *(path.read_bytes() for path in stylesheets),
                 profile.read_bytes() if settings.color_profile else b"")
    made = cache.load("cover", key) if cache is not None else None
    if not (isinstance(made, tuple) and len(made) == 2 and isinstance(made[0], bytes)):
        made = None
    job = (book.root, tuple(stylesheets), ids.print_identifier(metadata), sheet, settings, profile, geometry,
           metadata.language)
    return CoverWork(geometry, tuple(problems), tuple(notes), key, job, made)


def finished_cover(work: CoverWork, made: tuple[bytes, tuple[str, ...]], cache: Cache | None = None) -> PrintCover:
    """The cover as made (``render_cover``), kept in the cache."""
    if cache is not None and made != work.made:
        cache.store("cover", work.key, made)
        cache.keep_only("cover", {work.key})
    pdf, warnings = made
    return PrintCover(pdf, work.geometry, work.problems, work.notes, tuple(warnings))


def preview_document(book: ResolvedBook, pages: int, picture_url: Callable[[str], str],
                     font_url: Callable[[theme.FontFace], str], width_px: float) -> tuple[str, CoverGeometry]:
    """The cover's own HTML for a browser (``watch``): the sheet with its bleed, scaled to
    ``width_px`` CSS pixels wide, pictures and fonts at the preview's URLs."""
    geometry = cover_geometry(book.metadata.print, pages)
    scale = width_px / (geometry.sheet_width * 96)
    css = "\n".join([theme.font_face_css(font_url), theme.family_css(book.metadata.language)] + [path.read_text(encoding="utf-8")
                                                     for path in theme.stylesheets(book.root, "cover")])
    sheet = (f"html {{ margin: 0; overflow: hidden; }} body {{ position: relative; left: {geometry.bleed}in; "
             f"top: {geometry.bleed}in; width: {geometry.width}in; height: {geometry.height}in; }} "
             f"html {{ transform: scale({scale:.6f}); transform-origin: 0 0; }}")
    head = f"<style>{css}\n{sheet}</style>"
    return _document(book, geometry, [], head, picture_url), geometry


def _profile(book: ResolvedBook) -> Path:
    settings = book.metadata.print
    return (book.root / settings.color_profile) if settings.color_profile else printing.DEFAULT_COLOR_PROFILE


def render_cover(job: tuple, temporary_folder: str | None = None) -> tuple[bytes, tuple[str, ...]]:
    """Lay the sheet out and make it press-ready (in a process whose memory goes with it:
    a layout worker, or one of its own); and what WeasyPrint said about it (a book's
    styles). ``job``: ``CoverWork.job``."""
    from .pdfx import POINTS_PER_INCH as points, cover_ready
    from .typeset import SegmentJob, Typesetter, TypesetterSetup

    root, stylesheets, identifier, sheet, settings, profile, geometry, language = job
    if temporary_folder is not None:
        tempfile.tempdir = temporary_folder
    typesetter = Typesetter(TypesetterSetup(root, stylesheets, identifier, language))
    layout = typesetter.typeset(SegmentJob(sheet.html, sheet.page_css, tagged=False))
    folds = tuple(fold * points for fold in geometry.folds)
    return cover_ready(layout.pdf, settings, profile, folds).pdf, tuple(layout.warnings)


def _page_css(geometry: CoverGeometry) -> str:
    return (f"@page {{ size: {geometry.width:.5f}in {geometry.height:.5f}in; margin: 0; "
            f"bleed: {geometry.bleed:.5f}in; marks: none; }}")


# --- the sheet -------------------------------------------------------------------------


def _document(book: ResolvedBook, geometry: CoverGeometry, problems: list[Problem], head: str = "",
              picture_url: Callable[[str], str] = lambda path: path) -> str:
    metadata = book.metadata
    colours = _colours(book)
    front = _front(book, geometry, colours, problems, picture_url)
    body = [_background(geometry, colours[0]), front, _spine(book, geometry, colours[1]),
            _back(book, geometry, colours[1], problems), _barcode(metadata.isbn_print, metadata.print.price_code, geometry.barcode)]
    date = ids.build_date(metadata).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (f'<!DOCTYPE html><html lang="{escape(metadata.language)}"><head><meta charset="utf-8"/>'
            f"<title>{escape(metadata.title)}</title>"
            f'<meta name="author" content="{escape(", ".join(metadata.authors))}"/>'
            f'<meta name="dcterms.created" content="{date}"/><meta name="dcterms.modified" content="{date}"/>'
            f'{head}</head><body class="cover">{"".join(body)}</body></html>')


def _rgb(colour: tuple[int, int, int]) -> str:
    return f"rgb({colour[0]}, {colour[1]}, {colour[2]})"


def _colours(book: ResolvedBook) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """The cover's colour (the spine's and the back's) and the colour of text on it: the
    typographic cover's palette, or the picture's colour along the edge that meets the spine."""
    metadata = book.metadata
    if not metadata.cover or metadata.cover.lower().endswith(".svg"):
        return typographic.palette(metadata)
    from PIL import Image, ImageStat

    with Image.open(book.root / metadata.cover) as picture:
        rgb = picture.convert("RGB")
        strip = rgb.crop((0, 0, max(1, rgb.width // 16), rgb.height))
        mean = tuple(round(v) for v in ImageStat.Stat(strip).mean[:3])
    r, g, b = mean
    light = 0.2126 * r + 0.7152 * g + 0.0722 * b > 140
    return (r, g, b), ((34, 30, 28) if light else (250, 246, 238))


def _background(geometry: CoverGeometry, colour) -> str:
    b = geometry.bleed
    box = Box(-b, -b, geometry.sheet_width, geometry.sheet_height)
    return f'<div class="sheet" style="{box.css()}; background: {_rgb(colour)}"></div>'


def _front(book: ResolvedBook, geometry: CoverGeometry, colours, problems: list[Problem],
           picture_url: Callable[[str], str]) -> str:
    metadata = book.metadata
    left, b = geometry.folds[1], geometry.bleed
    panel = Box(left, -b, geometry.panel_width + b, geometry.height + 2 * b)
    if not metadata.cover:
        return _front_text(metadata, geometry, colours, bands=False)
    _check_resolution(book, panel, problems)
    art = f'<img class="art" src="{escape(picture_url(metadata.cover))}" alt="" style="{panel.css()}"/>'
    return art + (_front_text(metadata, geometry, colours, bands=True) if metadata.cover_text else "")


def _check_resolution(book: ResolvedBook, panel: Box, problems: list[Problem]) -> None:
    """A located warning when the picture, scaled to fill the front and its bleed, prints
    under 300 pixels an inch."""
    path = book.metadata.cover
    if path.lower().endswith(".svg"):
        return
    from PIL import Image

    with Image.open(book.root / path) as picture:
        width, height = picture.size
    ppi = min(width / panel.width, height / panel.height)  # it is scaled to cover the panel
    if ppi < MIN_PPI:
        line, col = metadata_position(book.root, "cover")
        problems.append(warning("metadata.yaml", line, col,
                                f"cover: {path} ({width} x {height} pixels) prints at {ppi:.0f} ppi on the front of the "
                                f"print cover ({panel.width:g} x {panel.height:g}in with its bleed): printers want "
                                f"{MIN_PPI}; use a picture of at least {round(panel.width * MIN_PPI)} x "
                                f"{round(panel.height * MIN_PPI)} pixels"))


def metadata_position(root: Path, key: str) -> tuple[int, int]:
    """Where a top-level key is written in metadata.yaml (1, 1 when it is not)."""
    try:
        lines = (root / "metadata.yaml").read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1, 1
    return next(((n, 1) for n, line in enumerate(lines, start=1) if re.match(rf"{re.escape(key)}\s*:", line)), (1, 1))


def _front_text(metadata, geometry: CoverGeometry, colours, bands: bool) -> str:
    """Title, subtitle, a rule and the authors, placed as on the EPUB's typographic cover
    (its proportions, from its 1600 x 2560 pixel design), in the cover's colours; over a
    picture, on bands of the cover's colour that run from the spine into the bleed."""
    background, ink = colours
    unit = geometry.panel_width / typographic.WIDTH  # inches a pixel of the design
    down = geometry.height / typographic.HEIGHT
    inset = max(typographic.MARGIN * unit, geometry.safe_margin)
    left, width = geometry.folds[1] + inset, geometry.panel_width - 2 * inset
    title_top = max(typographic.TITLE_TOP * down, geometry.safe_margin + 0.1)
    author_top = geometry.height - max(typographic.AUTHOR_FROM_BOTTOM * down, geometry.safe_margin + 0.6)
    title = [f'<h1 class="title" style="font-size: {typographic.TITLE_SIZE * unit * 72:.2f}pt">{escape(metadata.title)}</h1>']
    if metadata.subtitle:
        title.append(f'<p class="subtitle" style="font-size: {typographic.SUBTITLE_SIZE * unit * 72:.2f}pt">'
                     f"{escape(metadata.subtitle)}</p>")
    title.append(f'<div class="rule" style="width: {typographic.RULE_LENGTH * unit:.4f}in; margin-top: '
                 f'{typographic.RULE_GAP * unit:.4f}in; border-top: {typographic.RULE_WIDTH * unit:.4f}in solid {_rgb(ink)}"></div>')
    author = [f'<p class="author" style="font-size: {typographic.AUTHOR_SIZE * unit * 72:.2f}pt">'
              f'{escape(words_for(metadata.language).names(metadata.authors))}</p>']

    def block(kind: str, top: float, content: list[str]) -> str:
        style = f"left: {left:.4f}in; top: {top:.4f}in; width: {width:.4f}in; color: {_rgb(ink)}"
        if bands:  # the band reaches back to the fold and on into the bleed; the text stays put
            pad, outside = 0.18, geometry.bleed
            style = (f"left: {geometry.folds[1]:.4f}in; top: {top - pad:.4f}in; width: {width:.4f}in; "
                     f"padding: {pad}in {inset + outside:.4f}in {pad}in {inset:.4f}in; color: {_rgb(ink)}; "
                     f"background: {_rgb(background)}")
        return f'<div class="{kind}" style="{style}">{"".join(content)}</div>'

    return block("front-title", title_top, title) + block("front-author", author_top, author)


def _spine(book: ResolvedBook, geometry: CoverGeometry, ink) -> str:
    """The spine's text, rotated to read top to bottom, its letters centred between the folds."""
    if not geometry.spine_text:
        return ""
    metadata = book.metadata
    pieces = [("title", metadata.title, "Bold"), ("author", words_for(metadata.language).names(metadata.authors), "Regular")]
    if metadata.publisher:
        pieces.append(("publisher", metadata.publisher, "It"))
    area = geometry.safe_areas()["spine"]
    inset = 0.04  # inches at each end: an italic's overhang past its advance
    length, across = (area.height - 2 * inset) * 72, area.width * 72  # points along the spine, and across it
    # Measured at 100 pt: each piece's advance, and the ink above and below the baseline.
    widths, above, below = [], 0.0, 0.0
    for _, text, face in pieces:
        advance, top, bottom = _measure(text, face, metadata.language)
        widths.append(advance)
        above, below = max(above, top), max(below, bottom)
    room_along = sum(widths) + _SPINE_GAP * 100 * (len(pieces) - 1)
    # A tenth to spare across and along: the layout rounds, and an italic overhangs its advance.
    size = min(_SPINE_LARGEST, 100 * across / (above + below) * 0.9, 100 * length / room_along * 0.95)
    # With the line as tall as the band across the spine, the baseline falls where the font's
    # ascent and descent put it; move it so that the ink is centred instead.
    ascent, descent = _font_extent()
    css_baseline = across / 2 + (ascent - descent) / 2 * size / 100
    wanted_baseline = across / 2 + (above - below) / 2 * size / 100
    # Rotated 90 degrees about its top-left corner, a box width L, height h lies left of
    # that corner: its top-left goes at the spine's right edge, less the clearance.
    spans = "".join(f'<span class="{kind}">{escape(text)}</span>' for kind, text, _ in pieces)
    return (f'<div class="spine" style="left: {area.right:.4f}in; top: {area.top + inset:.4f}in; width: {length:.3f}pt; '
            f'height: {across:.3f}pt; line-height: {across:.3f}pt; font-size: {size:.3f}pt; color: {_rgb(ink)}">'
            f'<div class="spine-line" style="top: {wanted_baseline - css_baseline:.3f}pt">{spans}</div></div>')


@lru_cache(maxsize=64)
def _measure(text: str, face: str, language: str) -> tuple[float, float, float]:
    """The advance of ``text`` at 100 pt in the theme's face (or the fallback that has its
    characters), and its ink above and below the baseline."""
    from PIL import ImageFont

    weight, style = {"Bold": (700, "normal"), "It": (400, "italic")}.get(face, (400, "normal"))
    drawn = theme.face_for(text, weight, style, language)
    font = ImageFont.truetype(str(drawn.path), 1000, index=drawn.index)
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    return font.getlength(text) / 10, -top / 10, bottom / 10


@lru_cache(maxsize=1)
def _font_extent() -> tuple[float, float]:
    """The body font's ascent and descent at 100 pt: what CSS centres a line by."""
    from PIL import ImageFont

    ascent, descent = ImageFont.truetype(str(_face_path("Regular")), 1000).getmetrics()
    return ascent / 10, descent / 10


def _face_path(face: str) -> Path:
    return next(f.path for f in theme.theme_fonts() if f.path.stem.endswith("-" + face))


def _back(book: ResolvedBook, geometry: CoverGeometry, ink, problems: list[Problem]) -> str:
    """The back's text in the body font, the largest size that fits above the barcode area,
    and the authors' line under it."""
    metadata = book.metadata
    top, side = (max(margin, geometry.safe_margin) for margin in _BACK_MARGIN)
    bottom = geometry.barcode.top - 0.25
    text_box = Box(side, top, geometry.panel_width - 2 * side, bottom - top - _BYLINE_ROOM)
    html, paragraphs = _back_text(book, problems)
    size = next((s for s in _BACK_SIZES if _lines(paragraphs, s, text_box.width) * s * _BACK_LEADING / 72
                 <= text_box.height * 0.92), _BACK_SIZES[-1])
    byline = "" if metadata.back_cover else f'<p class="byline">{escape(words_for(metadata.language).names(metadata.authors))}</p>'
    return (f'<div class="back" style="{text_box.css()}; height: auto; max-height: none; color: {_rgb(ink)}; '
            f'font-size: {size}pt; line-height: {_BACK_LEADING}">{html}{byline}</div>')


def _back_text(book: ResolvedBook, problems: list[Problem]) -> tuple[str, list[str]]:
    """The back's HTML (``back_cover`` through pandoc, sanitised, each removal a warning at
    its key; else ``description``), and its paragraphs as plain text, to measure."""
    metadata = book.metadata
    if not metadata.back_cover:
        return f"<p>{escape(metadata.description)}</p>", [metadata.description]
    from lxml import html as lxml_html

    from ..parse import metadata_markdown
    from ..sanitize import sanitize

    root = lxml_html.fragment_fromstring(metadata_markdown(metadata.back_cover, metadata.language), create_parent="div")
    line, col = metadata_position(book.root, "back_cover")
    sanitize(root, lambda needle, message: problems.append(warning("metadata.yaml", line, col, f"back_cover: {message}")))
    for element in list(root.iter("img", "figure", "video", "audio", "picture")):
        element.drop_tree()
    for link in root.iter("a"):  # nothing on a printed cover can be followed
        link.attrib.pop("href", None)
    paragraphs = [" ".join(p.text_content().split()) for p in root if p.text_content().strip()]
    inner = "".join(lxml_html.tostring(child, encoding="unicode") for child in root)
    return inner, paragraphs


def _lines(paragraphs: list[str], size: float, width: float) -> int:
    """How many lines the paragraphs take at ``size`` points in a measure of ``width``
    inches, broken greedily (the layout justifies no tighter); a paragraph's space after it
    counted as half a line."""
    from PIL import ImageFont

    font = ImageFont.truetype(str(_face_path("Regular")), 1000)
    measure = width * 72 * 1000 / size
    space = font.getlength(" ")
    count = 0.0
    for paragraph in paragraphs:
        line = 0.0
        lines = 1
        for word in paragraph.split():
            advance = font.getlength(word)
            if line and line + space + advance > measure:
                lines, line = lines + 1, advance
            else:
                line += (space if line else 0) + advance
        count += lines + 0.5
    return int(count + 0.999)


def _barcode(isbn: str, price_code: str, area: Box) -> str:
    """The white box of the barcode area, and the barcode centred in it."""
    if not isbn:
        return f'<div class="barcode-box" style="{area.css()}"></div>'
    code = ean.isbn_barcode(isbn, price_code)
    left = (area.width * MM_PER_INCH - code.width) / 2
    top = (area.height * MM_PER_INCH - code.height) / 2
    size = 2.9  # mm: the digits' font size
    ascent, descent = _font_extent()
    baseline_in_line = size / 2 + (ascent - descent) / 2 * size / 100  # line-height equal to the size
    labels = "".join(f'<span class="label {label.kind}" style="left: {label.centre - 15:.3f}mm; '
                     f'top: {label.baseline - baseline_in_line:.3f}mm; font-size: {size}mm; line-height: {size}mm">'
                     f"{escape(label.text)}</span>" for label in code.labels)
    return (f'<div class="barcode-box" style="{area.css()}"><div class="barcode" style="left: {left:.3f}mm; '
            f'top: {top:.3f}mm; width: {code.width:.3f}mm; height: {code.height:.3f}mm">{code.svg}{labels}</div></div>')

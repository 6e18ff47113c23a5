"""Finishing the PDFs WeasyPrint wrote.

WeasyPrint's PDF/X option only labels a file. ``press_ready`` makes the print
edition hold up at a printer: every colour and image in CMYK through the output
profile, no transparency, no annotations, bleed only on the sides the target wants,
crop marks in a slug outside the bleed, an even number of pages, the target's
PDF/X version with its output intent, ``Trapped`` and page labels.
``screen_ready`` adds page labels to the screen edition. Both save with a
deterministic document id, so rebuilding gives the same bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from ..model import PrintSettings
from ..printing import DEFAULT_COLOR_PROFILE, DEFAULT_CONDITION, TARGETS
from .press import Separation, drop_keys, separate

POINTS_PER_INCH = 72.0
SLUG = 18.0  # points of paper outside the bleed that carry the crop marks
MARK_LENGTH = 12.0
MARK_GAP = 3.0  # marks start this far outside the bleed, so they never print on the page


@dataclass(frozen=True)
class PressReady:
    pdf: bytes
    unflattened: frozenset[str]  # kinds of transparency that could not be flattened (and were dropped)


def press_ready(data: bytes, settings: PrintSettings, labels: tuple[str, ...], profile: Path) -> PressReady:
    """The print edition, made from the joined layout; ``labels`` has one folio for each
    printed page, the blank pages that end the book included."""
    target = TARGETS[settings.target]
    with pikepdf.open(io.BytesIO(data)) as pdf:
        while len(pdf.pages) < len(labels):
            add_blank_page(pdf)
        _untag(pdf)
        unflattened = separate(pdf, Separation(profile, target.ink_limit / 100))
        for page in pdf.pages:
            # PDF/X allows no annotation on the printed area, links included (they never
            # print, but printers' preflights reject or strip them).
            drop_keys(page.obj, "/Annots")
        if not target.bookmarks:
            drop_keys(pdf.Root, "/Outlines", "/PageMode")
        _set_output_intent(pdf, profile)
        _set_boxes(pdf, settings, target.bleed_sides)
        _set_page_labels(pdf, labels)
        _set_pdfx_version(pdf, target.pdfx)
        return PressReady(_save(pdf, "1.3" if target.pdfx.endswith(":2001") else "1.4"), frozenset(unflattened))


def cover_ready(data: bytes, settings: PrintSettings, profile: Path, folds: tuple[float, float]) -> PressReady:
    """The print cover, made press-ready as the interior is: the same separation, ink limit
    and PDF/X keys, bleed on all four sides, and with marks, fold marks at the spine
    (``folds``: their distances from the trim's left edge, in points)."""
    target = TARGETS[settings.target]
    with pikepdf.open(io.BytesIO(data)) as pdf:
        unflattened = separate(pdf, Separation(profile, target.ink_limit / 100))
        page = pdf.pages[0]
        drop_keys(page.obj, "/Annots")
        drop_keys(pdf.Root, "/Outlines", "/PageMode", "/StructTreeRoot", "/MarkInfo")
        _set_output_intent(pdf, profile)
        _set_boxes(pdf, settings, "all")
        if settings.marks != "none":
            x0, y0, _, y1 = (float(v) for v in page.obj.TrimBox)
            bleed = float(page.obj.BleedBox[3]) - y1
            start, end = bleed + MARK_GAP, bleed + MARK_GAP + MARK_LENGTH
            ops = ["q", "0.25 w", "1 1 1 1 K"] + [f"{x0 + fold:.3f} {y:.3f} m {x0 + fold:.3f} {y + sign * (end - start):.3f} l S"
                                                  for fold in folds for y, sign in ((y0 - start, -1), (y1 + start, 1))] + ["Q"]
            page.contents_add(pikepdf.Stream(pdf, "\n".join(ops).encode()), prepend=False)
        _set_pdfx_version(pdf, target.pdfx)
        return PressReady(_save(pdf, "1.3" if target.pdfx.endswith(":2001") else "1.4"), frozenset(unflattened))


def screen_ready(data: bytes, labels: tuple[str, ...], blank: frozenset[int] = frozenset()) -> bytes:
    """The screen edition, made from the joined layout: at trim size, the bleed cut off,
    without the pages left blank so that parts begin on a right-hand page (nobody turns
    a screen's leaves). ``blank``: those pages (from 0); the others keep their folios."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.obj.MediaBox = page.obj.TrimBox
            drop_keys(page.obj, "/TrimBox", "/BleedBox", "/CropBox", "/ArtBox")
        for index in sorted(blank, reverse=True):
            del pdf.pages[index]
        _set_page_labels(pdf, tuple(label for n, label in enumerate(labels) if n not in blank))
        return _save(pdf, None)


def _untag(pdf: pikepdf.Pdf) -> None:
    """The layout is written once, tagged for the screen edition; print has no reader to guide."""
    drop_keys(pdf.Root, "/StructTreeRoot", "/MarkInfo")
    for page in pdf.pages:
        drop_keys(page.obj, "/StructParents")
        for annotation in page.get("/Annots", []):
            drop_keys(annotation, "/StructParent")


def _save(pdf: pikepdf.Pdf, version: str | None) -> bytes:
    """PDF/X-1a wants PDF 1.3 or 1.4, so no object streams; the screen edition packs its
    many small objects (the structure tree) into them, which makes the file half as large."""
    out = io.BytesIO()
    mode = pikepdf.ObjectStreamMode.disable if version else pikepdf.ObjectStreamMode.generate
    pdf.save(out, deterministic_id=True, object_stream_mode=mode,
             compress_streams=True, **({"force_version": version} if version else {}))
    return out.getvalue()


def _set_page_labels(pdf: pikepdf.Pdf, labels: tuple[str, ...]) -> None:
    """Viewers show the printed folios: i, ii, ... then 1, 2, ...; a range starts wherever
    the folios do not follow on (a page left out of the screen edition)."""
    numbers = Array()
    previous: tuple[bool, int] | None = None  # (arabic, value) of the page before
    for n, label in enumerate(labels[:len(pdf.pages)]):
        arabic = label.isdigit()
        value = int(label) if arabic else _roman_value(label)
        if previous != (arabic, value - 1):
            style = Dictionary(S=Name.D if arabic else Name.r)
            if arabic or value != 1:  # (roman numerals start at i unless they say otherwise)
                style.St = value
            numbers.extend([n, style])
        previous = (arabic, value)
    pdf.Root.PageLabels = Dictionary(Nums=numbers)


def _roman_value(label: str) -> int:
    values = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}
    total = 0
    for n, letter in enumerate(label):
        value = values[letter]
        total += -value if n + 1 < len(label) and values[label[n + 1]] > value else value
    return total


def _set_output_intent(pdf: pikepdf.Pdf, profile: Path) -> None:
    """The printing condition the colours were separated for: the registered condition of
    the default profile (which is not embedded), or a book's own profile, embedded."""
    if profile == DEFAULT_COLOR_PROFILE:
        condition = DEFAULT_CONDITION
        intent = Dictionary(Type=Name.OutputIntent, S=Name.GTS_PDFX,
                            OutputConditionIdentifier=String(condition.identifier),
                            RegistryName=String(condition.registry), Info=String(condition.description))
    else:
        from PIL import ImageCms

        described = ImageCms.getOpenProfile(str(profile)).profile
        name = String(described.model or described.profile_description or profile.stem)
        intent = Dictionary(Type=Name.OutputIntent, S=Name.GTS_PDFX, OutputConditionIdentifier=name, Info=name,
                            DestOutputProfile=pdf.make_stream(profile.read_bytes(), N=4))
    pdf.Root.OutputIntents = Array([intent])


def _set_pdfx_version(pdf: pikepdf.Pdf, version: str) -> None:
    """The PDF/X keys of the document information (and of its XMP copy): the version, and
    ``Trapped``, which PDF/X wants said: no trapping was done."""
    pdf.docinfo["/GTS_PDFXVersion"] = version
    pdf.docinfo["/GTS_PDFXConformance"] = version
    pdf.docinfo["/Trapped"] = Name("/False")
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
        xmp["pdfxid:GTS_PDFXVersion"] = version
        xmp["pdf:Trapped"] = "False"
        if "pdfuaid:part" in xmp:  # the layout was written as PDF/UA for the screen edition
            del xmp["pdfuaid:part"]


# --- page boxes and marks -------------------------------------------------------------


def _set_boxes(pdf: pikepdf.Pdf, settings: PrintSettings, bleed_sides: str) -> None:
    """Bleed on every side, or on top, bottom and the outside edge only (print on demand);
    crop marks in a slug outside the bleed."""
    for index, page in enumerate(pdf.pages):
        x0, y0, x1, y1 = (float(v) for v in page.obj.TrimBox)
        bleed = float(page.obj.BleedBox[2]) - x1
        left = right = bleed
        if bleed_sides == "outside":
            if index % 2 == 0:  # a right-hand page: its inside edge is the left one
                left = 0.0
            else:
                right = 0.0
        bleed_box = [x0 - left, y0 - bleed, x1 + right, y1 + bleed]
        page.obj.BleedBox = Array(bleed_box)
        media = bleed_box
        if settings.marks != "none":
            media = [bleed_box[0] - SLUG, bleed_box[1] - SLUG, bleed_box[2] + SLUG, bleed_box[3] + SLUG]
            _draw_marks(pdf, page, (x0, y0, x1, y1), bleed, settings.marks)
        page.obj.MediaBox = Array(media)
        drop_keys(page.obj, "/CropBox")


def _draw_marks(pdf: pikepdf.Pdf, page: pikepdf.Page, trim: tuple[float, ...], bleed: float, marks: str) -> None:
    x0, y0, x1, y1 = trim
    lines = []
    start, end = bleed + MARK_GAP, bleed + MARK_GAP + MARK_LENGTH
    if "crop" in marks:
        for x, y, dx, dy in ((x0, y0, -1, -1), (x1, y0, 1, -1), (x0, y1, -1, 1), (x1, y1, 1, 1)):
            lines.append((x + dx * start, y, x + dx * end, y))  # horizontal, in line with the trim edge
            lines.append((x, y + dy * start, x, y + dy * end))  # vertical
    if "cross" in marks:
        mid_x, mid_y, size = (x0 + x1) / 2, (y0 + y1) / 2, MARK_LENGTH / 2
        for cx, cy in ((mid_x, y0 - end + size), (mid_x, y1 + end - size), (x0 - end + size, mid_y), (x1 + end - size, mid_y)):
            lines += [(cx - size, cy, cx + size, cy), (cx, cy - size, cx, cy + size)]
    # Registration colour: the marks print on every plate.
    ops = ["q", "0.25 w", "1 1 1 1 K"] + [f"{ax:.3f} {ay:.3f} m {bx:.3f} {by:.3f} l S" for ax, ay, bx, by in lines] + ["Q"]
    page.contents_add(pikepdf.Stream(pdf, "\n".join(ops).encode()), prepend=False)


def add_blank_page(pdf: pikepdf.Pdf) -> None:
    """An empty page with the boxes of the page before it."""
    last = pdf.pages[-1].obj
    blank = Dictionary(Type=Name.Page, MediaBox=last.MediaBox, TrimBox=last.TrimBox, BleedBox=last.BleedBox,
                       Resources=Dictionary(), Contents=pikepdf.Stream(pdf, b""))
    pdf.pages.append(pikepdf.Page(blank))

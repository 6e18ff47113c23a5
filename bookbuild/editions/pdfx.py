"""The PDF/X steps of finishing: what WeasyPrint's PDF/X option only labels.

The print edition's pages hold up at a printer (``finishing`` takes each segment's
pages through these steps): no tags, no annotations, bleed only on the sides the
target wants, crop marks in a slug outside the bleed. The document then gets the
target's PDF/X version and ``Trapped`` in its information and metadata, the output
intent of the profile its colours were separated for (``press``), and page labels
(``pdfjoin``, from a small document that holds them, as for the cover). The print
cover (``cover_ready``) goes through the same steps in one document.
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
        set_output_intent(pdf, profile)
        set_boxes(pdf, settings, "all")
        if settings.marks != "none":
            x0, y0, _, y1 = (float(v) for v in page.obj.TrimBox)
            bleed = float(page.obj.BleedBox[3]) - y1
            start, end = bleed + MARK_GAP, bleed + MARK_GAP + MARK_LENGTH
            ops = ["q", "0.25 w", "1 1 1 1 K"] + [f"{x0 + fold:.3f} {y:.3f} m {x0 + fold:.3f} {y + sign * (end - start):.3f} l S"
                                                  for fold in folds for y, sign in ((y0 - start, -1), (y1 + start, 1))] + ["Q"]
            page.contents_add(pikepdf.Stream(pdf, "\n".join(ops).encode()), prepend=False)
        set_pdfx_version(pdf, target.pdfx)
        return PressReady(_save(pdf, pdf_version(settings)), frozenset(unflattened))


def pdf_version(settings: PrintSettings) -> str:
    """PDF/X-1a:2001 is PDF 1.3; PDF/X-1a:2003 allows 1.4."""
    return "1.3" if TARGETS[settings.target].pdfx.endswith(":2001") else "1.4"


def untag(pdf: pikepdf.Pdf) -> None:
    """The layout is written once, tagged for the screen edition; print has no reader to guide."""
    drop_keys(pdf.Root, "/StructTreeRoot", "/MarkInfo")
    for page in pdf.pages:
        drop_keys(page.obj, "/StructParents")
        for annotation in page.get("/Annots", []):
            drop_keys(annotation, "/StructParent")


def _save(pdf: pikepdf.Pdf, version: str) -> bytes:
    """PDF/X-1a wants PDF 1.3 or 1.4, so no object streams."""
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.disable,
             compress_streams=True, force_version=version)
    return out.getvalue()


def page_labels(labels: tuple[str, ...]) -> Dictionary:
    """Viewers show the printed folios: i, ii, ... then 1, 2, ...; a range starts wherever
    the folios do not follow on (a page left out of the screen edition)."""
    numbers = Array()
    previous: tuple[bool, int] | None = None  # (arabic, value) of the page before
    for n, label in enumerate(labels):
        arabic = label.isdigit()
        value = int(label) if arabic else _roman_value(label)
        if previous != (arabic, value - 1):
            style = Dictionary(S=Name.D if arabic else Name.r)
            if arabic or value != 1:  # (roman numerals start at i unless they say otherwise)
                style.St = value
            numbers.extend([n, style])
        previous = (arabic, value)
    return Dictionary(Nums=numbers)


def _roman_value(label: str) -> int:
    values = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}
    total = 0
    for n, letter in enumerate(label):
        value = values[letter]
        total += -value if n + 1 < len(label) and values[label[n + 1]] > value else value
    return total


def set_output_intent(pdf: pikepdf.Pdf, profile: Path) -> None:
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


def set_pdfx_version(pdf: pikepdf.Pdf, version: str) -> None:
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


def set_boxes(pdf: pikepdf.Pdf, settings: PrintSettings, bleed_sides: str) -> None:
    """Bleed on every side, or on top, bottom and the outside edge only (print on demand);
    crop marks in a slug outside the bleed. A document's first page is a right-hand page
    (a segment of the book begins on one)."""
    for index, page in enumerate(pdf.pages):
        trim = tuple(float(v) for v in page.obj.TrimBox)
        bleed = float(page.obj.BleedBox[2]) - trim[2]
        media, bleed_box, marks = boxes_of_page(trim, bleed, index, settings, bleed_sides)
        page.obj.BleedBox = Array(bleed_box)
        page.obj.MediaBox = Array(media)
        drop_keys(page.obj, "/CropBox")
        if marks:
            page.contents_add(pikepdf.Stream(pdf, marks), prepend=False)


def boxes_of_page(trim: tuple[float, ...], bleed: float, index: int, settings: PrintSettings,
                  bleed_sides: str) -> tuple[list[float], list[float], bytes]:
    """The media box, the bleed box and the marks (content, or b"") of the page ``index``
    (from 0: even is a right-hand page) with this trim box and this much bleed."""
    x0, y0, x1, y1 = trim
    left = right = bleed
    if bleed_sides == "outside":
        if index % 2 == 0:  # a right-hand page: its inside edge is the left one
            left = 0.0
        else:
            right = 0.0
    bleed_box = [x0 - left, y0 - bleed, x1 + right, y1 + bleed]
    if settings.marks == "none":
        return bleed_box, bleed_box, b""
    media = [bleed_box[0] - SLUG, bleed_box[1] - SLUG, bleed_box[2] + SLUG, bleed_box[3] + SLUG]
    return media, bleed_box, _marks(trim, bleed, settings.marks)


def _marks(trim: tuple[float, ...], bleed: float, marks: str) -> bytes:
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
    return "\n".join(ops).encode()

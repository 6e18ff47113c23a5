"""Page boxes as a printer reads them: a trim box inside the bleed box inside the media
box on every page, the trim the book's, bleed where the target wants it, marks or none.
Read for every page of the file: a few numbers a page."""

from __future__ import annotations

import math

import pikepdf

from ..model import PrintSettings, Report
from .measures import inches, page_list, points


def page_boxes(pdf: pikepdf.Pdf) -> list[dict[str, list[float]]]:
    """Each page's media, bleed and trim box (bleed and trim as a viewer falls back to
    them), and whether it has a trim box of its own and an art box."""
    found = []
    for page in pdf.pages:
        obj = page.obj
        media = [float(v) for v in obj.MediaBox]
        crop = [float(v) for v in obj.CropBox] if "/CropBox" in obj else media
        bleed = [float(v) for v in obj.BleedBox] if "/BleedBox" in obj else crop
        trim = [float(v) for v in obj.TrimBox] if "/TrimBox" in obj else crop
        found.append({"media": media, "bleed": bleed, "trim": trim, "own trim": "/TrimBox" in obj, "art": "/ArtBox" in obj})
    return found


def check_boxes(boxes: list[dict], report: Report) -> None:
    """Each page has a trim box (and no art box beside it), inside its bleed box, inside
    its media box."""
    wrong = [number for number, page in enumerate(boxes, start=1)
             if not page["own trim"] or page["art"]
             or not (_inside(page["trim"], page["bleed"]) and _inside(page["bleed"], page["media"]))]
    report.check(not wrong, "boxes: trim inside bleed inside media on every page",
                 f"page boxes missing or not nested on pages {page_list(wrong)}")


def _inside(inner: list[float], outer: list[float]) -> bool:
    return (inner[0] >= outer[0] - 0.01 and inner[1] >= outer[1] - 0.01
            and inner[2] <= outer[2] + 0.01 and inner[3] <= outer[3] + 0.01)


def check_trim(boxes: list[dict], settings: PrintSettings, report: Report) -> None:
    trims = {tuple(round(v, 2) for v in page["trim"]) for page in boxes}
    width, height = points(settings.trim_width), points(settings.trim_height)
    trim = next(iter(trims))
    report.check(len(trims) == 1 and math.isclose(trim[2] - trim[0], width, abs_tol=0.5)
                 and math.isclose(trim[3] - trim[1], height, abs_tol=0.5),
                 f"trim box {inches(trim[2] - trim[0])} x {inches(trim[3] - trim[1])} on every page",
                 f"trim box is not {settings.trim_width} x {settings.trim_height} on every page")


def check_bleed(boxes: list[dict], settings: PrintSettings, sides: str, report: Report) -> None:
    bleed = points(settings.bleed) if settings.bleed != "0" else 0.0
    wrong = []
    for index, page in enumerate(boxes):
        trim, box = page["trim"], page["bleed"]
        left, bottom, right, top = trim[0] - box[0], trim[1] - box[1], box[2] - trim[2], box[3] - trim[3]
        want_left = want_right = bleed
        if sides == "outside":
            want_left, want_right = (0.0, bleed) if index % 2 == 0 else (bleed, 0.0)
        if not all(math.isclose(a, b, abs_tol=0.05) for a, b in ((left, want_left), (right, want_right), (top, bleed), (bottom, bleed))):
            wrong.append(index + 1)
    where = "all sides" if sides == "all" else "top, bottom and outside edge"
    report.check(not wrong, f"bleed {settings.bleed} on {where}", f"bleed box wrong on pages {page_list(wrong)}")


def check_marks(boxes: list[dict], settings: PrintSettings, report: Report) -> None:
    marks = any(page["media"] != page["bleed"] for page in boxes)
    if settings.marks == "none":
        report.check(not marks, "no printer marks", "the PDF has marks, but the target wants none")
    else:
        report.lines.append(f"ok   {settings.marks} marks outside the bleed")

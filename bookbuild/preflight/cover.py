"""The print cover's own rules: one page of the size its page count makes, bleed on every
side, and text and the barcode inside the printer's safe area."""

from __future__ import annotations

import math

import pikepdf

from ..model import PrintSettings, Report
from .measures import POINTS_PER_INCH


def check_sheet(pdf: pikepdf.Pdf, settings: PrintSettings, geometry, report: Report) -> None:
    page = pdf.pages[0]
    trim = [float(v) for v in page.trimbox]
    width, height = (trim[2] - trim[0]) / POINTS_PER_INCH, (trim[3] - trim[1]) / POINTS_PER_INCH
    report.check(math.isclose(width, geometry.width, abs_tol=0.001) and math.isclose(height, geometry.height, abs_tol=0.001),
                 f"trim box {width:.4f} x {height:.4f}in: two {geometry.panel_width:g}in panels and the spine",
                 f"the cover's trim box is {width:.4f} x {height:.4f}in, not {geometry.width:.4f} x {geometry.height:.4f}in")
    bleed = [float(v) for v in page.bleedbox]
    sides = (trim[0] - bleed[0], trim[1] - bleed[1], bleed[2] - trim[2], bleed[3] - trim[3])
    report.check(all(math.isclose(side, geometry.bleed * POINTS_PER_INCH, abs_tol=0.05) for side in sides),
                 f"bleed {settings.bleed} on all sides", f"the cover's bleed box is not {settings.bleed} outside the trim on every side")
    marks = [float(v) for v in page.mediabox] != bleed
    if settings.marks == "none":
        report.check(not marks, "no printer marks", "the cover has marks, but the target wants none")
    else:
        report.lines.append(f"ok   {settings.marks} marks and fold marks outside the bleed")


def check_safe_area(page: pikepdf.Page, geometry, report: Report) -> None:
    """Text and drawn shapes (the barcode, rules) inside the safe area of a panel, or of the
    spine when it may carry text; only pictures and backgrounds that run off into the
    bleed, and the printer's marks outside it, may go nearer the edges and the folds."""
    from ..pagecontent import drawn_on

    left, top = float(page.trimbox[0]), float(page.trimbox[3])
    areas = geometry.safe_areas()
    slack = 0.002  # inches: rounding in the layout

    def inside(box, area) -> bool:
        return (box[0] >= area.left - slack and box[2] <= area.right + slack
                and box[1] >= area.top - slack and box[3] <= area.bottom + slack)

    outside = []
    for item in drawn_on(page):
        # In inches from the trim's top-left corner, y downwards, as the geometry has it.
        box = ((item.box[0] - left) / POINTS_PER_INCH, (top - item.box[3]) / POINTS_PER_INCH,
               (item.box[2] - left) / POINTS_PER_INCH, (top - item.box[1]) / POINTS_PER_INCH)
        if item.kind == "image":
            continue
        runs_off = box[0] < -slack or box[1] < -slack or box[2] > geometry.width + slack or box[3] > geometry.height + slack
        if item.kind == "shape" and runs_off:
            continue
        if not any(inside(box, area) for area in areas.values()):
            what = f"text \"{item.text.strip()[:40]}\"" if item.kind == "text" else "a shape"
            outside.append(f"{what} at {box[0]:.3f}, {box[1]:.3f}in")
    where = (f"{geometry.safe_margin:g}in inside the trim and the folds"
             + (f", spine text {geometry.spine_clearance:g}in from each fold" if geometry.spine_text else ", the spine empty"))
    report.check(not outside, f"text and barcode inside the safe area ({where})",
                 f"outside the cover's safe area ({where}): {'; '.join(outside[:5])}"
                 + (f" and {len(outside) - 5} more" if len(outside) > 5 else ""))

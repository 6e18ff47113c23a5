"""Preflight: check each PDF as a printer or a reader will receive it.

Runs on the finished bytes, before they are written: a failure stops the build
(exit 1) and leaves the last good editions in place. The report is printed.

The print edition is checked against the PDF/X-1a rules a printer's preflight
checks (each rule one line of the report): version and PDF/X keys, the output
intent, page boxes, fonts, colour (CMYK and grey only, in content, images,
shadings and patterns, within the target's ink limit), no transparency, no
transfer curves or halftones, no annotations on the printed area, no actions or
scripts, no file specifications or external content, and what the printer asks
besides (page count, bleed, marks, gutter, bookmarks, image resolution).

The checks, a module each: ``document`` (version, keys, output intent, what the
document would run), ``boxes`` (trim, bleed, marks), ``drawing`` (what the pages
draw: colour, ink, transparency, images, fonts, annotations), ``tagging`` (what a
screen reader relies on), ``cover`` (the cover's sheet and safe area). What pages
draw is read once per page (``instructions``) and kept with the segment of the
book it belongs to (``editions.finishing``): a build reads again only the pages
that changed, and checks the whole file's document, boxes and page count.
"""

from __future__ import annotations

import io
import math

import pikepdf

from ..model import PrintSettings, Report
from ..printing import TARGETS, gutter_for
from . import boxes, cover, document
from .drawing import PrintFindings, scan_print_pages
from .measures import MIN_PPI, page_list
from .tagging import ScreenFindings, scan_screen_pages


def preflight_print(data: bytes, settings: PrintSettings, inside_margin: float, edition: str,
                    drawn: PrintFindings | None = None) -> Report:
    """The print edition; ``drawn``: what its pages draw, read when they were finished (by
    default, read here). (The empty pages the join puts between segments and at the end
    draw the printer's marks alone, which ``pdfx`` draws for every page.)"""
    target = TARGETS[settings.target]
    report = Report(edition)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pages = len(pdf.pages)
        report.lines.append(f"     target {target.name}, {pages} pages, PDF {pdf.pdf_version}, "
                            f"{pdf.docinfo.get('/GTS_PDFXVersion', 'no PDF/X version')}")
        document.check_pdfx_document(pdf, target.pdfx, report)
        document.check_output_intent(pdf, report)
        if target.max_pages:
            report.check(pages <= target.max_pages, f"page count {pages} (at most {target.max_pages})",
                         f"{pages} pages: {target.name} prints at most {target.max_pages}; shorten the book or change print.target")
        report.check(pages % 2 == 0, f"even page count ({pages})",
                     f"{pages} pages: a printed book has an even number of pages (add a blank page at the end)")
        page_boxes = boxes.page_boxes(pdf)
        boxes.check_boxes(page_boxes, report)
        boxes.check_trim(page_boxes, settings, report)
        boxes.check_bleed(page_boxes, settings, target.bleed_sides, report)
        boxes.check_marks(page_boxes, settings, report)
        needed = gutter_for(pages)
        report.check(inside_margin >= needed, f"inside margin {inside_margin:g}in (at least {needed:g}in for {pages} pages)",
                     f"inside margin {inside_margin:g}in is under the {needed:g}in a {pages}-page book needs")
        if drawn is None:
            drawn = scan_print_pages(list(pdf.pages))
        _check_fonts(drawn.fonts, report)
        _check_drawing(drawn, target, "in the print edition", f"somewhere on page {drawn.most_ink_page}", report)
        _check_annotations(drawn.annotations, report)
        document.check_actions_and_files(document.document_actions(pdf) | drawn.actions, report)
        if not target.bookmarks:
            report.check("/Outlines" not in pdf.Root, "no bookmarks", f"{target.name} wants no bookmarks")
        _report_resolution(drawn, report, trim_checked=True)
    return report


def preflight_cover(data: bytes, settings: PrintSettings, geometry, edition: str) -> Report:
    """The print cover (``editions.cover``), against the PDF/X-1a rules the interior is
    checked against, its size from the page count, and the printer's safe area."""
    target = TARGETS[settings.target]
    report = Report(edition)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        report.lines.append(f"     target {target.name}, {geometry.pages}-page book, {settings.paper} paper, spine "
                            f"{geometry.spine:.4f}in ({geometry.paper_thickness:g}in a page), PDF {pdf.pdf_version}, "
                            f"{pdf.docinfo.get('/GTS_PDFXVersion', 'no PDF/X version')}")
        document.check_pdfx_document(pdf, target.pdfx, report)
        document.check_output_intent(pdf, report)
        report.check(len(pdf.pages) == 1, "one page: back, spine and front", f"the cover has {len(pdf.pages)} pages, not one")
        boxes.check_boxes(boxes.page_boxes(pdf), report)
        cover.check_sheet(pdf, settings, geometry, report)
        drawn = scan_print_pages(list(pdf.pages))
        _check_fonts(drawn.fonts, report)
        _check_drawing(drawn, target, "on the cover", "on the cover", report)
        _check_annotations(drawn.annotations, report)
        document.check_actions_and_files(document.document_actions(pdf) | drawn.actions, report)
        cover.check_safe_area(pdf.pages[0], geometry, report)
        _report_resolution(drawn, report, trim_checked=False)
    return report


def preflight_screen(data: bytes, edition: str, found: ScreenFindings | None = None) -> Report:
    """The screen edition; ``found``: what its pages and structure hold, read when they were
    finished (by default, read here)."""
    report = Report(edition)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.Root
        report.lines.append(f"     {len(pdf.pages)} pages, PDF {pdf.pdf_version}")
        report.check("/StructTreeRoot" in root and bool(root.get("/MarkInfo", {}).get("/Marked", False)),
                     "tagged (structure tree)", "the screen edition is not tagged")
        report.check("/Lang" in root, f"language {root.get('/Lang', 'missing')}", "no document language")
        report.check(bool(root.get("/ViewerPreferences", {}).get("/DisplayDocTitle", False)),
                     "title shown in the window", "DisplayDocTitle is not set")
        if found is None:
            found = scan_screen_pages(root.get("/StructTreeRoot"), list(pdf.pages))
        decorative = found.decorative
        report.check(found.without_alt == 0 and found.untagged == 0,
                     f"{found.figures} figures with alt text, {decorative} decorative image{'s' * (decorative != 1)} (artifacts)",
                     f"{found.without_alt} figures have no alt text" if found.without_alt
                     else f"{found.untagged} images are neither figures nor artifacts")
        report.check("/Outlines" in root, "bookmarks", "no bookmarks")
        _check_fonts(found.fonts, report)
    return report


def _check_fonts(fonts: tuple[tuple[str, bool], ...], report: Report) -> None:
    missing = sorted(name for name, ok in fonts if not ok)
    report.check(not missing, f"{len(fonts)} fonts, all embedded" if not missing else f"fonts not embedded: {', '.join(missing)}",
                 f"fonts not embedded: {', '.join(missing)}")


def _check_drawing(drawn: PrintFindings, target, where: str, ink_where: str, report: Report) -> None:
    rgb, transparency, forbidden = sorted(drawn.rgb), sorted(drawn.transparency), sorted(drawn.forbidden)
    report.check(not rgb, "colour: CMYK and grey only" if not rgb else f"colour: {', '.join(rgb)}",
                 f"colour other than CMYK and grey {where} ({', '.join(rgb)})")
    report.check(drawn.most_ink <= target.ink_limit + 0.5,
                 f"ink: at most {drawn.most_ink:.0f}% (the limit is {target.ink_limit}%)",
                 f"ink: {drawn.most_ink:.0f}% {ink_where}; {target.name} takes at most {target.ink_limit}%")
    report.check(not transparency, "no transparency" if not transparency else ", ".join(transparency),
                 f"transparency {where}: " + ", ".join(transparency))
    report.check(not forbidden, "no transfer curves, halftones, PostScript or external content"
                 if not forbidden else ", ".join(forbidden), "not allowed in PDF/X: " + ", ".join(forbidden))


def _check_annotations(pages: tuple[int, ...], report: Report) -> None:
    report.check(not pages, "no annotations on the printed area",
                 f"{len(pages)} annotations inside the bleed box (pages {page_list(sorted(set(pages)))}): PDF/X allows none")


def _report_resolution(drawn: PrintFindings, report: Report, trim_checked: bool) -> None:
    """Each image's resolution at the size it is drawn, with what would mend a low one: a
    file with more pixels (the layout never draws a picture wider than the text); and any
    image drawn past the trim, which is a layout's fault, not the file's."""
    if not drawn.images:
        report.lines.append("ok   no images")
        return
    lowest = min(min(image.ppi_across, image.ppi_down) for image in drawn.images)
    report.lines.append(f"{'ok  ' if lowest >= MIN_PPI else 'warn'} {len(drawn.images)} images, lowest {lowest:.0f} ppi at placed size")
    for image in drawn.images:
        ppi = min(image.ppi_across, image.ppi_down)
        if ppi < MIN_PPI:
            report.warnings.append(
                f"image on page {image.page} prints at {ppi:.0f} ppi ({image.pixels} pixels across {image.inches:.2f}in): "
                f"printers want {MIN_PPI}; the file needs at least {math.ceil(MIN_PPI * image.inches)} pixels across")
    if trim_checked:
        outside = sorted({image.page for image in drawn.images if image.past_trim})
        report.lines.append("ok   every image inside the trim" if not outside else
                            f"warn images drawn past the trim on page {', '.join(map(str, outside))}")
        if outside:
            report.warnings.append(f"an image is drawn past the trim on page {', '.join(map(str, outside))} and will be cut "
                                   f"there: the book's styles place it wider than the text (meant to bleed? then ignore this)")


__all__ = ["PrintFindings", "ScreenFindings", "preflight_cover", "preflight_print", "preflight_screen",
           "scan_print_pages", "scan_screen_pages"]

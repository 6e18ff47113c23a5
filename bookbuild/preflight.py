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
"""

from __future__ import annotations

import io
import math
import re
import warnings
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Name

from .editions.press import RGB_OPERATOR, content_bytes
from .model import PrintSettings, Report
from .printing import TARGETS, gutter_for

POINTS_PER_INCH = 72.0
MIN_PPI = 300


def preflight_print(data: bytes, settings: PrintSettings, inside_margin: float, edition: str) -> Report:
    target = TARGETS[settings.target]
    report = Report(edition)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pages = len(pdf.pages)
        report.lines.append(f"     target {target.name}, {pages} pages, PDF {pdf.pdf_version}, "
                            f"{pdf.docinfo.get('/GTS_PDFXVersion', 'no PDF/X version')}")
        _check_pdfx_document(pdf, target.pdfx, report)
        _check_output_intent(pdf, report)
        if target.max_pages:
            report.check(pages <= target.max_pages, f"page count {pages} (at most {target.max_pages})",
                         f"{pages} pages: {target.name} prints at most {target.max_pages}; shorten the book or change print.target")
        report.check(pages % 2 == 0, f"even page count ({pages})",
                     f"{pages} pages: a printed book has an even number of pages (add a blank page at the end)")
        _check_boxes(pdf, report)
        trims = {tuple(round(float(v), 2) for v in page.trimbox) for page in pdf.pages}
        width, height = (_points(settings.trim_width), _points(settings.trim_height))
        trim = next(iter(trims))
        report.check(len(trims) == 1 and math.isclose(trim[2] - trim[0], width, abs_tol=0.5)
                     and math.isclose(trim[3] - trim[1], height, abs_tol=0.5),
                     f"trim box {_inches(trim[2] - trim[0])} x {_inches(trim[3] - trim[1])} on every page",
                     f"trim box is not {settings.trim_width} x {settings.trim_height} on every page")
        _check_bleed(pdf, settings, target.bleed_sides, report)
        marks = any([float(v) for v in page.mediabox] != [float(v) for v in page.bleedbox] for page in pdf.pages)
        if settings.marks == "none":
            report.check(not marks, "no printer marks", "the PDF has marks, but the target wants none")
        else:
            report.lines.append(f"ok   {settings.marks} marks outside the bleed")
        needed = gutter_for(pages)
        report.check(inside_margin >= needed, f"inside margin {inside_margin:g}in (at least {needed:g}in for {pages} pages)",
                     f"inside margin {inside_margin:g}in is under the {needed:g}in a {pages}-page book needs")
        _check_fonts(pdf, report)
        scan = _scan(pdf)
        report.check(not scan.rgb, "colour: CMYK and grey only" if not scan.rgb else f"colour: {', '.join(sorted(scan.rgb))}",
                     f"colour other than CMYK and grey in the print edition ({', '.join(sorted(scan.rgb))})")
        report.check(scan.most_ink <= target.ink_limit + 0.5,
                     f"ink: at most {scan.most_ink:.0f}% (the limit is {target.ink_limit}%)",
                     f"ink: {scan.most_ink:.0f}% somewhere on page {scan.most_ink_page}; {target.name} takes at most {target.ink_limit}%")
        report.check(not scan.transparency, "no transparency" if not scan.transparency else ", ".join(sorted(scan.transparency)),
                     "transparency in the print edition: " + ", ".join(sorted(scan.transparency)))
        report.check(not scan.forbidden, "no transfer curves, halftones, PostScript or external content"
                     if not scan.forbidden else ", ".join(sorted(scan.forbidden)),
                     "not allowed in PDF/X: " + ", ".join(sorted(scan.forbidden)))
        _check_annotations(pdf, report)
        _check_actions_and_files(pdf, report)
        if not target.bookmarks:
            report.check("/Outlines" not in pdf.Root, "no bookmarks", f"{target.name} wants no bookmarks")
        _report_resolution(scan, report, pdf)
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
        _check_pdfx_document(pdf, target.pdfx, report)
        _check_output_intent(pdf, report)
        report.check(len(pdf.pages) == 1, "one page: back, spine and front", f"the cover has {len(pdf.pages)} pages, not one")
        _check_boxes(pdf, report)
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
        _check_fonts(pdf, report)
        scan = _scan(pdf)
        report.check(not scan.rgb, "colour: CMYK and grey only" if not scan.rgb else f"colour: {', '.join(sorted(scan.rgb))}",
                     f"colour other than CMYK and grey on the cover ({', '.join(sorted(scan.rgb))})")
        report.check(scan.most_ink <= target.ink_limit + 0.5,
                     f"ink: at most {scan.most_ink:.0f}% (the limit is {target.ink_limit}%)",
                     f"ink: {scan.most_ink:.0f}% on the cover; {target.name} takes at most {target.ink_limit}%")
        report.check(not scan.transparency, "no transparency" if not scan.transparency else ", ".join(sorted(scan.transparency)),
                     "transparency on the cover: " + ", ".join(sorted(scan.transparency)))
        report.check(not scan.forbidden, "no transfer curves, halftones, PostScript or external content"
                     if not scan.forbidden else ", ".join(sorted(scan.forbidden)),
                     "not allowed in PDF/X: " + ", ".join(sorted(scan.forbidden)))
        _check_annotations(pdf, report)
        _check_actions_and_files(pdf, report)
        _check_safe_area(page, geometry, report)
        _report_resolution(scan, report)
    return report


def _check_safe_area(page: pikepdf.Page, geometry, report: Report) -> None:
    """Text and drawn shapes (the barcode, rules) inside the safe area of a panel, or of the
    spine when it may carry text; only pictures and backgrounds that run off into the
    bleed, and the printer's marks outside it, may go nearer the edges and the folds."""
    from .pagecontent import drawn_on

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


def preflight_screen(data: bytes, edition: str) -> Report:
    report = Report(edition)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.Root
        report.lines.append(f"     {len(pdf.pages)} pages, PDF {pdf.pdf_version}")
        report.check("/StructTreeRoot" in root and bool(root.get("/MarkInfo", {}).get("/Marked", False)),
                     "tagged (structure tree)", "the screen edition is not tagged")
        report.check("/Lang" in root, f"language {root.get('/Lang', 'missing')}", "no document language")
        report.check(bool(root.get("/ViewerPreferences", {}).get("/DisplayDocTitle", False)),
                     "title shown in the window", "DisplayDocTitle is not set")
        figures = [e for e in _structure(root.get("/StructTreeRoot")) if e.get("/S") == Name.Figure]
        without_alt = sum(1 for figure in figures if not str(figure.get("/Alt", "")).strip())
        decorative, untagged = _images_outside_figures(pdf)
        report.check(without_alt == 0 and untagged == 0,
                     f"{len(figures)} figures with alt text, {decorative} decorative image{'s' * (decorative != 1)} (artifacts)",
                     f"{without_alt} figures have no alt text" if without_alt else f"{untagged} images are neither figures nor artifacts")
        report.check("/Outlines" in root, "bookmarks", "no bookmarks")
        _check_fonts(pdf, report)
    return report


# --- the document ------------------------------------------------------------------------

_PDF_VERSIONS = {"PDF/X-1a:2001": ("1.3",), "PDF/X-1a:2003": ("1.3", "1.4")}
_PDF_DATE = re.compile(r"^D:\d{4}")


def _check_pdfx_document(pdf: pikepdf.Pdf, version: str, report: Report) -> None:
    """The document-level rules of PDF/X-1a: version, PDF/X keys, Trapped, title and
    dates, a file identifier, no encryption."""
    info = pdf.docinfo
    declared = str(info.get("/GTS_PDFXVersion", ""))
    conformance = str(info.get("/GTS_PDFXConformance", ""))
    report.check(declared == version and (version != "PDF/X-1a:2001" or conformance == version),
                 f"{version} declared", f"GTS_PDFXVersion is {declared or 'missing'}, not {version}"
                 + ("" if version != "PDF/X-1a:2001" or conformance == version else " (or GTS_PDFXConformance is wrong)"))
    allowed = _PDF_VERSIONS.get(version, ("1.3", "1.4"))
    report.check(pdf.pdf_version in allowed, f"PDF version {pdf.pdf_version}",
                 f"PDF version {pdf.pdf_version}: {version} is PDF {' or '.join(allowed)}")
    trapped = info.get("/Trapped")
    report.check(trapped in (Name("/True"), Name("/False")), f"Trapped {trapped}",
                 f"Trapped is {trapped if trapped is not None else 'missing'}: PDF/X wants True or False")
    missing = [key[1:] for key in ("/Title", "/CreationDate", "/ModDate") if not str(info.get(key, "")).strip()]
    dates_ok = all(_PDF_DATE.match(str(info.get(key, ""))) for key in ("/CreationDate", "/ModDate"))
    report.check(not missing and dates_ok, "title and dates",
                 f"document information lacks {', '.join(missing)}" if missing else "dates are not PDF dates (D:YYYY...)")
    report.check("/ID" in pdf.trailer and len(pdf.trailer.ID) == 2, "file identifier", "the trailer has no /ID")
    report.check(not pdf.is_encrypted, "not encrypted", "the file is encrypted")


def _check_output_intent(pdf: pikepdf.Pdf, report: Report) -> None:
    """One PDF/X output intent, naming its printing condition, with a CMYK output profile
    unless the condition is a registered one."""
    intents = [i for i in pdf.Root.get("/OutputIntents", []) if i.get("/S") == Name.GTS_PDFX]
    if len(intents) != 1:
        report.check(False, "output intent", f"{len(intents)} PDF/X output intents: PDF/X wants exactly one")
        return
    intent = intents[0]
    identifier = str(intent.get("/OutputConditionIdentifier", ""))
    problem = ""
    if not identifier:
        problem = "the output intent names no printing condition (OutputConditionIdentifier)"
    elif "/DestOutputProfile" in intent:
        header = intent.DestOutputProfile.read_bytes()[:40]
        if header[36:40] != b"acsp":
            problem = "the output intent's profile is not an ICC profile"
        elif header[16:20] != b"CMYK" or header[12:16] != b"prtr":
            problem = (f"the output intent's profile is a {header[12:16].decode('latin-1')} profile in "
                       f"{header[16:20].decode('latin-1').strip()}: PDF/X-1a wants a CMYK output (prtr) profile")
    elif not str(intent.get("/RegistryName", "")).strip():
        problem = "the output intent has no profile and names no registry for its condition"
    report.check(not problem, f"output intent: {identifier}", problem)


def _check_boxes(pdf: pikepdf.Pdf, report: Report) -> None:
    """Each page has a trim box (and no art box beside it), inside its bleed box, inside
    its media box."""
    wrong = []
    for number, page in enumerate(pdf.pages, start=1):
        obj = page.obj
        if "/TrimBox" not in obj or "/ArtBox" in obj:
            wrong.append(number)
            continue
        media, bleed, trim = ([float(v) for v in box] for box in (page.mediabox, page.bleedbox, page.trimbox))
        if not (_inside(trim, bleed) and _inside(bleed, media)):
            wrong.append(number)
    report.check(not wrong, "boxes: trim inside bleed inside media on every page",
                 f"page boxes missing or not nested on pages {_pages(wrong)}")


def _inside(inner: list[float], outer: list[float]) -> bool:
    return (inner[0] >= outer[0] - 0.01 and inner[1] >= outer[1] - 0.01
            and inner[2] <= outer[2] + 0.01 and inner[3] <= outer[3] + 0.01)


def _check_annotations(pdf: pikepdf.Pdf, report: Report) -> None:
    """No annotation inside the bleed box, printed or not (trap networks and printer's
    marks aside)."""
    found = []
    for number, page in enumerate(pdf.pages, start=1):
        bleed = [float(v) for v in page.bleedbox]
        for annotation in page.obj.get("/Annots", []):
            if annotation.get("/Subtype") in (Name.TrapNet, Name.PrinterMark):
                continue
            rect = [float(v) for v in annotation.get("/Rect", [0, 0, 0, 0])]
            if rect[0] < bleed[2] and rect[2] > bleed[0] and rect[1] < bleed[3] and rect[3] > bleed[1]:
                found.append(number)
    report.check(not found, "no annotations on the printed area",
                 f"{len(found)} annotations inside the bleed box (pages {_pages(sorted(set(found)))}): PDF/X allows none")


def _check_actions_and_files(pdf: pikepdf.Pdf, report: Report) -> None:
    """Nothing that runs, opens or embeds: no open action, additional actions, JavaScript,
    embedded or referenced files."""
    root = pdf.Root
    found = []
    if "/OpenAction" in root:
        found.append("an open action")
    if "/AA" in root or any("/AA" in page.obj for page in pdf.pages):
        found.append("additional actions")
    names = root.get("/Names", {})
    if "/JavaScript" in names:
        found.append("JavaScript")
    if "/EmbeddedFiles" in names or "/AF" in root:
        found.append("embedded files")
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", []):
            action = annotation.get("/A", {})
            if action.get("/S") in (Name.JavaScript, Name.Launch, Name.ImportData, Name.SubmitForm):
                found.append(f"a {str(action.S)[1:]} action")
            if "/FS" in annotation:
                found.append("a file attachment")
    report.check(not found, "no actions, scripts or files", "not allowed in PDF/X: " + ", ".join(sorted(set(found))))


# --- pages -------------------------------------------------------------------------------


def _points(length: str) -> float:
    units = {"in": 72.0, "mm": 72 / 25.4, "cm": 72 / 2.54, "pt": 1.0, "px": 0.75}
    for unit, factor in units.items():
        if length.endswith(unit):
            return float(length[: -len(unit)]) * factor
    return float(length)


def _inches(points: float) -> str:
    return f"{points / POINTS_PER_INCH:g}in"


def _pages(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers[:5])) + ("..." if len(numbers) > 5 else "")


def _check_bleed(pdf: pikepdf.Pdf, settings: PrintSettings, sides: str, report: Report) -> None:
    bleed = _points(settings.bleed) if settings.bleed != "0" else 0.0
    wrong = []
    for index, page in enumerate(pdf.pages):
        trim = [float(v) for v in page.trimbox]
        box = [float(v) for v in page.bleedbox]
        left, bottom, right, top = trim[0] - box[0], trim[1] - box[1], box[2] - trim[2], box[3] - trim[3]
        want_left = want_right = bleed
        if sides == "outside":
            want_left, want_right = (0.0, bleed) if index % 2 == 0 else (bleed, 0.0)
        if not all(math.isclose(a, b, abs_tol=0.05) for a, b in ((left, want_left), (right, want_right), (top, bleed), (bottom, bleed))):
            wrong.append(index + 1)
    where = "all sides" if sides == "all" else "top, bottom and outside edge"
    report.check(not wrong, f"bleed {settings.bleed} on {where}", f"bleed box wrong on pages {_pages(wrong)}")


def _check_fonts(pdf: pikepdf.Pdf, report: Report) -> None:
    fonts: dict[str, bool] = {}
    for page in pdf.pages:
        for font in _fonts(page.obj.get("/Resources", {})):
            descriptor = font.DescendantFonts[0].get("/FontDescriptor") if "/DescendantFonts" in font else font.get("/FontDescriptor")
            embedded = descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            name = str(font.get("/BaseFont", "?"))
            fonts[name] = fonts.get(name, True) and (embedded or font.get("/Subtype") == Name.Type3)
    missing = sorted(name for name, ok in fonts.items() if not ok)
    report.check(not missing, f"{len(fonts)} fonts, all embedded" if not missing else f"fonts not embedded: {', '.join(missing)}",
                 f"fonts not embedded: {', '.join(missing)}")


def _fonts(resources: pikepdf.Object, seen: set | None = None):
    seen = set() if seen is None else seen
    yield from resources.get("/Font", {}).values()
    for xobject in resources.get("/XObject", {}).values():
        if xobject.get("/Subtype") == Name.Form and xobject.objgen not in seen:
            seen.add(xobject.objgen)
            yield from _fonts(xobject.get("/Resources", {}), seen)


def _structure(element, depth: int = 0):
    if element is None or depth > 200:
        return
    kids = element.get("/K") if isinstance(element, pikepdf.Dictionary) else None
    if isinstance(element, pikepdf.Dictionary) and "/S" in element:
        yield element
    if isinstance(kids, pikepdf.Array):
        for kid in kids:
            yield from _structure(kid, depth + 1)
    elif isinstance(kids, pikepdf.Dictionary):
        yield from _structure(kids, depth + 1)


def _images_outside_figures(pdf: pikepdf.Pdf) -> tuple[int, int]:
    """Images drawn as artifacts (decorative: no alt text, README "Choices where the contract
    is silent"), and images drawn in no marked content at all, which a screen reader cannot
    place. Only pages that hold an image are read."""
    decorative = untagged = 0
    for page in pdf.pages:
        xobjects = page.obj.get("/Resources", {}).get("/XObject", {})
        images = {name for name in xobjects.keys() if xobjects[name].get("/Subtype") == Name.Image}
        if not images:
            continue
        marks: list[str] = []
        for operands, operator in pikepdf.parse_content_stream(page, "BDC BMC EMC Do"):
            if str(operator) in ("BDC", "BMC"):
                marks.append(str(operands[0]))
            elif str(operator) == "EMC" and marks:
                marks.pop()
            elif str(operator) == "Do" and str(operands[0]) in images:
                decorative += bool(marks) and marks[-1] == "/Artifact"
                untagged += not marks
    return decorative, untagged


# --- what the pages draw ----------------------------------------------------------------------


@dataclass
class _Scan:
    rgb: set[str] = field(default_factory=set)  # colour other than CMYK and grey, by kind
    transparency: set[str] = field(default_factory=set)
    forbidden: set[str] = field(default_factory=set)  # transfer curves, halftones, PostScript, external content
    images: list[tuple[int, float, float]] = field(default_factory=list)  # page, ppi across, ppi down
    placed: list[tuple[int, int, float, tuple[float, float, float, float]]] = field(default_factory=list)
    # ... and, for each, its pixels across, inches across, and where it is drawn (x0, y0, x1, y1)
    most_ink: float = 0.0  # percent
    most_ink_page: int = 0

    def ink(self, total: float, page: int) -> None:
        if total >= 399.5:
            return  # registration colour (every ink in full): the printer's marks, outside the page
        if total > self.most_ink:
            self.most_ink, self.most_ink_page = total, page


def _scan(pdf: pikepdf.Pdf) -> _Scan:
    """Colour, ink, transparency and image resolution of everything the pages draw:
    content, forms, patterns, shadings and images."""
    scan = _Scan()
    for number, page in enumerate(pdf.pages, start=1):
        if page.obj.get("/Group", {}).get("/S") == Name.Transparency:
            scan.transparency.add("page transparency group")
        _scan_content(page.obj, pikepdf.Page(page.obj), [1, 0, 0, 1, 0, 0], number, scan, set())
    return scan


def _is_process_space(space) -> bool:
    """DeviceCMYK, DeviceGray, or a separation or DeviceN whose alternate is one of them."""
    if space in (Name.DeviceCMYK, Name.DeviceGray, Name.Pattern):
        return True
    if isinstance(space, pikepdf.Array) and len(space) >= 3 and space[0] in (Name.Separation, Name.DeviceN):
        return space[2] in (Name.DeviceCMYK, Name.DeviceGray)
    if isinstance(space, pikepdf.Array) and len(space) >= 2 and space[0] == Name.Indexed:
        return _is_process_space(space[1])
    if isinstance(space, pikepdf.Array) and len(space) >= 1 and space[0] == Name.Pattern:
        return len(space) == 1 or _is_process_space(space[1])
    return False


def _space_kind(space) -> str:
    if space == Name.DeviceRGB or (isinstance(space, pikepdf.Array) and len(space) > 1 and space[0] == Name.ICCBased
                                   and int(space[1].get("/N", 0)) == 3):
        return "RGB"
    if isinstance(space, pikepdf.Array) and len(space) > 0:
        return str(space[0])[1:]
    return str(space)[1:]


def _scan_resources(resources, page: int, scan: _Scan, seen: set) -> None:
    """What a resource dictionary holds: graphics states, shadings and patterns are checked
    whether or not the content uses them (an unused one is harmless, but a printer's
    preflight reports it all the same)."""
    for state in resources.get("/ExtGState", {}).values():
        _scan_graphics_state(state, scan)
    for shading in resources.get("/Shading", {}).values():
        _scan_shading(shading, page, scan)
    for pattern in resources.get("/Pattern", {}).values():
        if int(pattern.get("/PatternType", 1)) == 2:
            _scan_shading(pattern.get("/Shading", {}), page, scan)
            if "/ExtGState" in pattern:
                _scan_graphics_state(pattern.ExtGState, scan)
        elif isinstance(pattern, pikepdf.Stream) and pattern.objgen not in seen:
            seen.add(pattern.objgen)
            _scan_content(pattern, pattern, [1, 0, 0, 1, 0, 0], page, scan, seen)


def _scan_graphics_state(state, scan: _Scan) -> None:
    if float(state.get("/ca", 1)) < 1 or float(state.get("/CA", 1)) < 1:
        scan.transparency.add("opacity below 1")
    if state.get("/SMask", Name("/None")) != Name("/None"):
        scan.transparency.add("soft mask")
    if state.get("/BM", Name.Normal) not in (Name.Normal, Name.Compatible):
        scan.transparency.add("blend mode")
    for key in ("/TR", "/TR2"):
        if key in state and state[key] != Name.Default:
            scan.forbidden.add("transfer curve")
    if "/HT" in state:
        scan.forbidden.add("halftone")


def _scan_shading(shading, page: int, scan: _Scan) -> None:
    space = shading.get("/ColorSpace")
    if space is not None and not _is_process_space(space):
        scan.rgb.add(f"{_space_kind(space)} shading")


def _scan_content(owner, content, matrix: list[float], page: int, scan: _Scan, seen: set) -> None:
    resources = owner.get("/Resources", {})
    _scan_resources(resources, page, scan, seen)
    if isinstance(owner, pikepdf.Stream) and owner.get("/Group", {}).get("/S") == Name.Transparency:
        scan.transparency.add("transparency group")
    if isinstance(owner, pikepdf.Stream) and ("/OPI" in owner or owner.get("/Subtype") == Name.PS or "/Ref" in owner):
        scan.forbidden.add("PostScript, OPI or external content")
    spaces = resources.get("/ColorSpace", {})
    raw = content_bytes(owner)
    if b"(" not in raw and not _INLINE_IMAGE.search(raw) and not _places_images(resources, raw, {owner.objgen}):
        _scan_colours(owner, raw, matrix, page, scan, seen)
        return
    stack, ctm = [], list(matrix)
    for operands, operator in pikepdf.parse_content_stream(content):
        op = str(operator)
        if op == "q":
            stack.append(list(ctm))
        elif op == "Q" and stack:
            ctm = stack.pop()
        elif op == "cm":
            ctm = _multiply([float(v) for v in operands], ctm)
        elif op in ("rg", "RG"):
            scan.rgb.add(f"{op} operators")
        elif op in ("k", "K") and len(operands) == 4:
            scan.ink(100 * sum(float(v) for v in operands), page)
        elif op in ("cs", "CS"):
            space = spaces.get(str(operands[0]), operands[0])
            if not _is_process_space(space):
                scan.rgb.add(f"{_space_kind(space)} colour space")
        elif op == "sh":
            _scan_shading(resources.get("/Shading", {}).get(str(operands[0]), {}), page, scan)
        elif op == "INLINE IMAGE":
            image = operands[0]
            space = image.obj.get("/ColorSpace", image.obj.get("/CS"))
            if space is not None and not _is_process_space(spaces.get(str(space), space)):
                scan.rgb.add("RGB inline image")
        elif op == "Do":
            xobject = resources.get("/XObject", {}).get(str(operands[0]))
            if xobject is None:
                continue
            if xobject.get("/Subtype") == Name.Image:
                _scan_image(xobject, ctm, page, scan)
            elif xobject.get("/Subtype") == Name.Form and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                form_matrix = [float(v) for v in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0])]
                _scan_content(xobject, xobject, _multiply(form_matrix, ctm), page, scan, seen)
                seen.discard(xobject.objgen)
            elif xobject.get("/Subtype") == Name.PS:
                scan.forbidden.add("PostScript, OPI or external content")


def _scan_image(image, ctm: list[float], page: int, scan: _Scan) -> None:
    space = image.get("/ColorSpace")
    if space is not None and not image.get("/ImageMask", False) and not _is_process_space(space):
        scan.rgb.add(f"{_space_kind(space)} image")
    if "/SMask" in image or "/SMaskInData" in image and int(image.SMaskInData):
        scan.transparency.add("image with alpha")
    if "/OPI" in image:
        scan.forbidden.add("PostScript, OPI or external content")
    if space == Name.DeviceCMYK:
        scan.ink(_image_ink(image), page)
    across = math.hypot(ctm[0], ctm[1]) / POINTS_PER_INCH
    down = math.hypot(ctm[2], ctm[3]) / POINTS_PER_INCH
    if across > 0 and down > 0:
        scan.images.append((page, int(image.Width) / across, int(image.Height) / down))
        corners = [(ctm[4] + ctm[0] * u + ctm[2] * v, ctm[5] + ctm[1] * u + ctm[3] * v) for u in (0, 1) for v in (0, 1)]
        xs, ys = [x for x, _ in corners], [y for _, y in corners]
        scan.placed.append((page, int(image.Width), across, (min(xs), min(ys), max(xs), max(ys))))


def _image_ink(image) -> float:
    """The most ink any pixel of a CMYK image lays down, in percent."""
    from PIL import ImageMath

    try:
        with warnings.catch_warnings():  # about a mask, which is reported as transparency
            warnings.simplefilter("ignore")
            picture = pikepdf.PdfImage(image).as_pil_image()
    except Exception:  # an image pikepdf cannot decode: its colour is reported elsewhere
        return 0.0
    if picture.mode != "CMYK":
        return 0.0
    c, m, y, k = (band.convert("I") for band in picture.split())
    total = ImageMath.lambda_eval(lambda names: names["c"] + names["m"] + names["y"] + names["k"], c=c, m=m, y=y, k=k)
    return 100 * total.getextrema()[1] / 255


_OPERATOR_END = rb"(?![^\s\[\]<>(){}/%])"
_SET_SPACE = re.compile(rb"/([^\s/\[\]<>(){}%]+)\s+(?:cs|CS)" + _OPERATOR_END)
_DRAW = re.compile(rb"/([^\s/\[\]<>(){}%]+)\s+Do" + _OPERATOR_END)
_PAINT_SHADING = re.compile(rb"/([^\s/\[\]<>(){}%]+)\s+sh" + _OPERATOR_END)
_INLINE_IMAGE = re.compile(rb"(?<![^\s\[\]<>(){}/%])BI" + _OPERATOR_END)
_NUMBER = rb"([-+]?(?:\d+\.?\d*|\.\d+))"
_CMYK = re.compile(rb"(?:^|(?<=[\s\[\]<>{}/%]))" + rb"\s+".join([_NUMBER] * 4) + rb"\s+[kK]" + _OPERATOR_END)


def _places_images(resources, raw: bytes, seen: set) -> bool:
    """Whether this content, or a form it draws, places an image (whose resolution needs
    the transformation in force: the one thing a full parse of the content is for)."""
    xobjects = resources.get("/XObject", {})
    for name in set(_DRAW.findall(raw)):
        xobject = xobjects.get("/" + name.decode("latin-1"))
        if xobject is None:
            continue
        if xobject.get("/Subtype") == Name.Image:
            return True
        if xobject.get("/Subtype") == Name.Form and xobject.objgen not in seen:
            if _places_images(xobject.get("/Resources", {}), xobject.read_bytes(), seen | {xobject.objgen}):
                return True
    return False


def _scan_colours(owner, raw: bytes, matrix: list[float], page: int, scan: _Scan, seen: set) -> None:
    """Content that places no image: colour operators found in its bytes (it has no literal
    strings to hide one in), many times faster than parsing; forms it draws as usual."""
    resources = owner.get("/Resources", {})
    for operator in set(RGB_OPERATOR.findall(raw)):
        scan.rgb.add(f"{operator.decode()} operators")
    for found in _CMYK.finditer(raw):
        scan.ink(100 * sum(float(found.group(n)) for n in (1, 2, 3, 4)), page)
    spaces = resources.get("/ColorSpace", {})
    for name in set(_SET_SPACE.findall(raw)):
        space = spaces.get("/" + name.decode("latin-1"), Name("/" + name.decode("latin-1")))
        if not _is_process_space(space):
            scan.rgb.add(f"{_space_kind(space)} colour space")
    xobjects = resources.get("/XObject", {})
    for name in set(_DRAW.findall(raw)):
        xobject = xobjects.get("/" + name.decode("latin-1"))
        if xobject is not None and xobject.get("/Subtype") == Name.Form and xobject.objgen not in seen:
            seen.add(xobject.objgen)
            _scan_content(xobject, xobject, matrix, page, scan, seen)
            seen.discard(xobject.objgen)
        elif xobject is not None and xobject.get("/Subtype") == Name.PS:
            scan.forbidden.add("PostScript, OPI or external content")


def _multiply(m: list[float], n: list[float]) -> list[float]:
    """m then n, as PDF concatenates matrices."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return [a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F]


def _report_resolution(scan: _Scan, report: Report, pdf: pikepdf.Pdf | None = None) -> None:
    """Each image's resolution at the size it is drawn, with what would mend a low one: a
    file with more pixels (the layout never draws a picture wider than the text); and any
    image drawn past the trim, which is a layout's fault, not the file's."""
    if not scan.images:
        report.lines.append("ok   no images")
        return
    lowest = min(min(across, down) for _, across, down in scan.images)
    report.lines.append(f"{'ok  ' if lowest >= MIN_PPI else 'warn'} {len(scan.images)} images, lowest {lowest:.0f} ppi at placed size")
    for (page, across, down), (_, pixels, inches, _) in zip(scan.images, scan.placed):
        if min(across, down) < MIN_PPI:
            report.warnings.append(
                f"image on page {page} prints at {min(across, down):.0f} ppi ({pixels} pixels across {inches:.2f}in): "
                f"printers want {MIN_PPI}; the file needs at least {math.ceil(MIN_PPI * inches)} pixels across")
    if pdf is not None:
        outside = sorted({page for page, _, _, box in scan.placed if _beyond(box, _trim(pdf.pages[page - 1].obj))})
        report.lines.append("ok   every image inside the trim" if not outside else
                            f"warn images drawn past the trim on page {', '.join(map(str, outside))}")
        if outside:
            report.warnings.append(f"an image is drawn past the trim on page {', '.join(map(str, outside))} and will be cut "
                                   f"there: the book's styles place it wider than the text (meant to bleed? then ignore this)")


def _trim(page) -> tuple[float, float, float, float]:
    box = page.get("/TrimBox", page.MediaBox)
    return tuple(float(v) for v in box)


def _beyond(box: tuple[float, float, float, float], trim: tuple[float, float, float, float]) -> bool:
    slack = 0.5  # points
    return box[0] < trim[0] - slack or box[1] < trim[1] - slack or box[2] > trim[2] + slack or box[3] > trim[3] + slack
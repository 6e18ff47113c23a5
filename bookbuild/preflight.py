"""Preflight: check each PDF as a printer or a reader will receive it.

Runs on the finished bytes, before they are written: a failure stops the build
(exit 1) and leaves the last good editions in place. The report is printed.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Name

from .editions.pdfx import RGB_OPERATOR, content_bytes
from .model import PrintSettings
from .printing import TARGETS, gutter_for

POINTS_PER_INCH = 72.0
MIN_PPI = 300


@dataclass
class Report:
    edition: str
    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def check(self, ok: bool, line: str, failure: str) -> None:
        self.lines.append(f"{'ok  ' if ok else 'FAIL'} {line}")
        if not ok:
            self.errors.append(failure)


def preflight_print(data: bytes, settings: PrintSettings, inside_margin: float, edition: str) -> Report:
    target = TARGETS[settings.target]
    report = Report(edition)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pages = len(pdf.pages)
        report.lines.append(f"     target {target.name}, {pages} pages, PDF {pdf.pdf_version}, "
                            f"{pdf.docinfo.get('/GTS_PDFXVersion', 'no PDF/X version')}")
        if target.max_pages:
            report.check(pages <= target.max_pages, f"page count {pages} (at most {target.max_pages})",
                         f"{pages} pages: {target.name} prints at most {target.max_pages}; shorten the book or change print.target")
        if target.even_pages:
            report.check(pages % 2 == 0, f"even page count ({pages})", f"{pages} pages: {target.name} needs an even page count")
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
                     f"RGB colour in the print edition ({', '.join(sorted(scan.rgb))})")
        report.check(not scan.transparency, "no transparency" if not scan.transparency else ", ".join(sorted(scan.transparency)),
                     "transparency in the print edition: " + ", ".join(sorted(scan.transparency)))
        annotations = [a for page in pdf.pages for a in page.obj.get("/Annots", [])]
        others = sum(1 for a in annotations if a.get("/Subtype") != Name.Link)
        links = len(annotations) - others
        report.check(others == 0 and (target.links or links == 0), f"annotations: {links} links, {others} others",
                     f"{others} non-link annotations" if others else f"{links} link annotations: {target.name} wants none")
        intents = pdf.Root.get("/OutputIntents", [])
        cmyk_intent = any(int(i.DestOutputProfile.get("/N", 0)) == 4 for i in intents if "/DestOutputProfile" in i)
        report.check(cmyk_intent, "output intent: " + (str(intents[0].get("/OutputConditionIdentifier", "")) if intents else "none"),
                     "no CMYK output intent")
        if not target.bookmarks:
            report.check("/Outlines" not in pdf.Root, "no bookmarks", f"{target.name} wants no bookmarks")
        _report_resolution(scan, report)
    return report


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
        report.check(without_alt == 0, f"{len(figures)} figures, {without_alt} without alt text",
                     f"{without_alt} figures have no alt text")
        report.check("/Outlines" in root, "bookmarks", "no bookmarks")
        _check_fonts(pdf, report)
    return report


def _points(length: str) -> float:
    units = {"in": 72.0, "mm": 72 / 25.4, "cm": 72 / 2.54, "pt": 1.0, "px": 0.75}
    for unit, factor in units.items():
        if length.endswith(unit):
            return float(length[: -len(unit)]) * factor
    return float(length)


def _inches(points: float) -> str:
    return f"{points / POINTS_PER_INCH:g}in"


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
    report.check(not wrong, f"bleed {settings.bleed} on {where}",
                 f"bleed box wrong on pages {', '.join(map(str, wrong[:5]))}{'...' if len(wrong) > 5 else ''}")


def _check_fonts(pdf: pikepdf.Pdf, report: Report) -> None:
    fonts: dict[str, bool] = {}
    for page in pdf.pages:
        for font in _fonts(page.obj.get("/Resources", {})):
            descriptor = font.DescendantFonts[0].get("/FontDescriptor") if "/DescendantFonts" in font else font.get("/FontDescriptor")
            embedded = descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts[str(font.get("/BaseFont", "?"))] = embedded or font.get("/Subtype") == Name.Type3
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


@dataclass
class _Scan:
    rgb: set[str] = field(default_factory=set)
    transparency: set[str] = field(default_factory=set)
    images: list[tuple[int, float, float]] = field(default_factory=list)  # page, ppi across, ppi down


def _scan(pdf: pikepdf.Pdf) -> _Scan:
    """Colour operators, transparency and placed image resolution, through nested forms."""
    scan = _Scan()
    for number, page in enumerate(pdf.pages, start=1):
        if page.obj.get("/Group", {}).get("/S") == Name.Transparency:
            scan.transparency.add("page transparency group")
        _scan_content(page.obj, pikepdf.Page(page.obj), [1, 0, 0, 1, 0, 0], number, scan, set())
    return scan


def _scan_content(owner, content, matrix: list[float], page: int, scan: _Scan, seen: set) -> None:
    resources = owner.get("/Resources", {})
    for name, state in resources.get("/ExtGState", {}).items():
        if float(state.get("/ca", 1)) < 1 or float(state.get("/CA", 1)) < 1:
            scan.transparency.add("opacity below 1")
        if state.get("/SMask", Name("/None")) != Name("/None"):
            scan.transparency.add("soft mask")
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
        elif op in ("cs", "CS"):
            space = spaces.get(str(operands[0]), operands[0])
            if space == Name.DeviceRGB or (isinstance(space, pikepdf.Array) and space[0] == Name.ICCBased
                                           and int(space[1].get("/N", 0)) == 3):
                scan.rgb.add("RGB colour space")
        elif op == "Do":
            xobject = resources.get("/XObject", {}).get(str(operands[0]))
            if xobject is None:
                continue
            if xobject.get("/Subtype") == Name.Image:
                space = xobject.get("/ColorSpace")
                if space == Name.DeviceRGB or (isinstance(space, pikepdf.Array) and str(space[0]) in ("/ICCBased", "/Indexed")
                                               and _is_rgb_space(space)):
                    scan.rgb.add("RGB image")
                if "/SMask" in xobject:
                    scan.transparency.add("image with alpha")
                across = math.hypot(ctm[0], ctm[1]) / POINTS_PER_INCH
                down = math.hypot(ctm[2], ctm[3]) / POINTS_PER_INCH
                if across > 0 and down > 0:
                    scan.images.append((page, int(xobject.Width) / across, int(xobject.Height) / down))
            elif xobject.get("/Subtype") == Name.Form and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                form_matrix = [float(v) for v in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0])]
                _scan_content(xobject, xobject, _multiply(form_matrix, ctm), page, scan, seen)
                seen.discard(xobject.objgen)


_OPERATOR_END = rb"(?![^\s\[\]<>(){}/%])"
_SET_SPACE = re.compile(rb"/([^\s/\[\]<>(){}%]+)\s+(?:cs|CS)" + _OPERATOR_END)
_DRAW = re.compile(rb"/([^\s/\[\]<>(){}%]+)\s+Do" + _OPERATOR_END)
_INLINE_IMAGE = re.compile(rb"(?<![^\s\[\]<>(){}/%])BI" + _OPERATOR_END)


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
    spaces = resources.get("/ColorSpace", {})
    for name in set(_SET_SPACE.findall(raw)):
        space = spaces.get("/" + name.decode("latin-1"), Name("/" + name.decode("latin-1")))
        if space == Name.DeviceRGB or (isinstance(space, pikepdf.Array) and space[0] == Name.ICCBased
                                       and int(space[1].get("/N", 0)) == 3):
            scan.rgb.add("RGB colour space")
    xobjects = resources.get("/XObject", {})
    for name in set(_DRAW.findall(raw)):
        xobject = xobjects.get("/" + name.decode("latin-1"))
        if xobject is not None and xobject.get("/Subtype") == Name.Form and xobject.objgen not in seen:
            seen.add(xobject.objgen)
            _scan_content(xobject, xobject, matrix, page, scan, seen)
            seen.discard(xobject.objgen)


def _is_rgb_space(space: pikepdf.Array) -> bool:
    if space[0] == Name.ICCBased:
        return int(space[1].get("/N", 0)) == 3
    base = space[1]
    return base == Name.DeviceRGB or (isinstance(base, pikepdf.Array) and _is_rgb_space(base))


def _multiply(m: list[float], n: list[float]) -> list[float]:
    """m then n, as PDF concatenates matrices."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return [a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F]


def _report_resolution(scan: _Scan, report: Report) -> None:
    if not scan.images:
        report.lines.append("ok   no images")
        return
    lowest = min(min(across, down) for _, across, down in scan.images)
    report.lines.append(f"{'ok  ' if lowest >= MIN_PPI else 'warn'} {len(scan.images)} images, lowest {lowest:.0f} ppi at placed size")
    for page, across, down in scan.images:
        if min(across, down) < MIN_PPI:
            report.warnings.append(f"image on page {page} prints at {min(across, down):.0f} ppi: printers want {MIN_PPI}; use a larger image")

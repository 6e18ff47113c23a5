"""What a print edition's pages draw, by the rules of PDF/X-1a and the printer: colour,
ink, transparency, what PDF/X forbids, images and their resolution, fonts, annotations
and actions on the pages.

The pages are read one at a time into ``PrintFindings``, which can be read for a whole
file, or for one segment of the book when it is finished (``editions.finishing``) and
kept with it: a build reads again only the segments that changed, and the findings of
all of them together (``merged``) are what the report says.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Name

from ..editions.press import content_bytes
from .instructions import INLINE_IMAGE, WATCHED, instructions
from .measures import POINTS_PER_INCH

_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_WATCHED = WATCHED | {INLINE_IMAGE}
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class PlacedImage:
    page: int  # from 1
    ppi_across: float
    ppi_down: float
    pixels: int  # across
    inches: float  # across, as placed
    past_trim: bool


@dataclass(frozen=True)
class PrintFindings:
    """What pages draw (pages from 1)."""

    pages: int
    rgb: frozenset[str] = frozenset()  # colour other than CMYK and grey, by kind
    transparency: frozenset[str] = frozenset()
    forbidden: frozenset[str] = frozenset()  # transfer curves, halftones, PostScript, external content
    most_ink: float = 0.0  # percent
    most_ink_page: int = 0
    images: tuple[PlacedImage, ...] = ()
    fonts: tuple[tuple[str, bool], ...] = ()  # (name, embedded), by name
    annotations: tuple[int, ...] = ()  # the page of each annotation on the printed area
    actions: frozenset[str] = frozenset()  # what pages and their annotations would run or open


def merged(parts: list[tuple[PrintFindings, int]]) -> PrintFindings:
    """The findings of consecutive runs of pages as one: (findings, the page the run starts on)."""
    most_ink, most_ink_page = 0.0, 0
    fonts: dict[str, bool] = {}
    for found, first in parts:
        if found.most_ink > most_ink:
            most_ink, most_ink_page = found.most_ink, found.most_ink_page + first - 1
        for name, embedded in found.fonts:
            fonts[name] = fonts.get(name, True) and embedded
    return PrintFindings(
        sum(found.pages for found, _ in parts),
        frozenset().union(*(found.rgb for found, _ in parts)),
        frozenset().union(*(found.transparency for found, _ in parts)),
        frozenset().union(*(found.forbidden for found, _ in parts)),
        most_ink, most_ink_page,
        tuple(PlacedImage(image.page + first - 1, image.ppi_across, image.ppi_down, image.pixels, image.inches,
                          image.past_trim) for found, first in parts for image in found.images),
        tuple(sorted(fonts.items())),
        tuple(page + first - 1 for found, first in parts for page in found.annotations),
        frozenset().union(*(found.actions for found, _ in parts)))


@dataclass
class _Scan:
    rgb: set[str] = field(default_factory=set)
    transparency: set[str] = field(default_factory=set)
    forbidden: set[str] = field(default_factory=set)
    images: list[PlacedImage] = field(default_factory=list)
    most_ink: float = 0.0
    most_ink_page: int = 0

    def ink(self, total: float, page: int) -> None:
        if total >= 399.5:
            return  # registration colour (every ink in full): the printer's marks, outside the page
        if total > self.most_ink:
            self.most_ink, self.most_ink_page = total, page


def scan_print_pages(pages: list[pikepdf.Page]) -> PrintFindings:
    """Colour, ink, transparency and images of everything ``pages`` draw (content, forms,
    patterns, shadings, images), their fonts, and their annotations and actions."""
    scan = _Scan()
    annotations, actions = [], set()
    for number, page in enumerate(pages, start=1):
        obj = page.obj
        if obj.get("/Group", {}).get("/S") == Name.Transparency:
            scan.transparency.add("page transparency group")
        _scan_content(obj, _IDENTITY, number, _trim(obj), scan, set())
        annotations += _annotations_on_the_printed_area(obj, number)
        actions |= _page_actions(obj)
    return PrintFindings(len(pages), frozenset(scan.rgb), frozenset(scan.transparency), frozenset(scan.forbidden),
                         scan.most_ink, scan.most_ink_page, tuple(scan.images), fonts_of(pages),
                         tuple(annotations), frozenset(actions))


def fonts_of(pages: list[pikepdf.Page]) -> tuple[tuple[str, bool], ...]:
    """Each font the pages (and their forms) use, by name, and whether its program is embedded."""
    found: dict[str, bool] = {}
    for page in pages:
        for font in _fonts(page.obj.get("/Resources", {})):
            descriptor = font.DescendantFonts[0].get("/FontDescriptor") if "/DescendantFonts" in font else font.get("/FontDescriptor")
            embedded = descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            name = str(font.get("/BaseFont", "?"))
            found[name] = found.get(name, True) and (embedded or font.get("/Subtype") == Name.Type3)
    return tuple(sorted(found.items()))


def _fonts(resources: pikepdf.Object, seen: set | None = None):
    seen = set() if seen is None else seen
    yield from resources.get("/Font", {}).values()
    for xobject in resources.get("/XObject", {}).values():
        if xobject.get("/Subtype") == Name.Form and xobject.objgen not in seen:
            seen.add(xobject.objgen)
            yield from _fonts(xobject.get("/Resources", {}), seen)


def _annotations_on_the_printed_area(page: pikepdf.Object, number: int) -> list[int]:
    """An entry for each annotation inside the bleed box, printed or not (trap networks and
    printer's marks aside)."""
    found = []
    bleed = [float(v) for v in page.get("/BleedBox", page.get("/CropBox", page.MediaBox))]
    for annotation in page.get("/Annots", []):
        if annotation.get("/Subtype") in (Name.TrapNet, Name.PrinterMark):
            continue
        rect = [float(v) for v in annotation.get("/Rect", [0, 0, 0, 0])]
        if rect[0] < bleed[2] and rect[2] > bleed[0] and rect[1] < bleed[3] and rect[3] > bleed[1]:
            found.append(number)
    return found


def _page_actions(page: pikepdf.Object) -> set[str]:
    found = set()
    if "/AA" in page:
        found.add("additional actions")
    for annotation in page.get("/Annots", []):
        action = annotation.get("/A", {})
        if action.get("/S") in (Name.JavaScript, Name.Launch, Name.ImportData, Name.SubmitForm):
            found.add(f"a {str(action.S)[1:]} action")
        if "/FS" in annotation:
            found.add("a file attachment")
    return found


def is_process_space(space) -> bool:
    """DeviceCMYK, DeviceGray, or a separation or DeviceN whose alternate is one of them."""
    if space in (Name.DeviceCMYK, Name.DeviceGray, Name.Pattern):
        return True
    if isinstance(space, pikepdf.Array) and len(space) >= 3 and space[0] in (Name.Separation, Name.DeviceN):
        return space[2] in (Name.DeviceCMYK, Name.DeviceGray)
    if isinstance(space, pikepdf.Array) and len(space) >= 2 and space[0] == Name.Indexed:
        return is_process_space(space[1])
    if isinstance(space, pikepdf.Array) and len(space) >= 1 and space[0] == Name.Pattern:
        return len(space) == 1 or is_process_space(space[1])
    return False


def _space_kind(space) -> str:
    if space == Name.DeviceRGB or (isinstance(space, pikepdf.Array) and len(space) > 1 and space[0] == Name.ICCBased
                                   and int(space[1].get("/N", 0)) == 3):
        return "RGB"
    if isinstance(space, pikepdf.Array) and len(space) > 0:
        return str(space[0])[1:]
    return str(space)[1:]


def _scan_resources(resources, page: int, trim, scan: _Scan, seen: set) -> None:
    """What a resource dictionary holds: graphics states, shadings and patterns are checked
    whether or not the content uses them (an unused one is harmless, but a printer's
    preflight reports it all the same)."""
    for state in resources.get("/ExtGState", {}).values():
        _scan_graphics_state(state, scan)
    for shading in resources.get("/Shading", {}).values():
        _scan_shading(shading, scan)
    for pattern in resources.get("/Pattern", {}).values():
        if int(pattern.get("/PatternType", 1)) == 2:
            _scan_shading(pattern.get("/Shading", {}), scan)
            if "/ExtGState" in pattern:
                _scan_graphics_state(pattern.ExtGState, scan)
        elif isinstance(pattern, pikepdf.Stream) and pattern.objgen not in seen:
            seen.add(pattern.objgen)
            _scan_content(pattern, _IDENTITY, page, trim, scan, seen)


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


def _scan_shading(shading, scan: _Scan) -> None:
    space = shading.get("/ColorSpace")
    if space is not None and not is_process_space(space):
        scan.rgb.add(f"{_space_kind(space)} shading")


def _name(token: bytes) -> str:
    """A name operand as pikepdf keys it: ``/A#20b`` is ``/A b``."""
    if b"#" in token:
        token = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), token)
    return token.decode("latin-1")


def _scan_content(owner, matrix: tuple[float, ...], page: int, trim, scan: _Scan, seen: set) -> None:
    """A page's or a form's content, read once (``instructions``), with the transformation
    in force followed for the images it places."""
    resources = owner.get("/Resources", {})
    _scan_resources(resources, page, trim, scan, seen)
    if isinstance(owner, pikepdf.Stream):
        if owner.get("/Group", {}).get("/S") == Name.Transparency:
            scan.transparency.add("transparency group")
        if "/OPI" in owner or owner.get("/Subtype") == Name.PS or "/Ref" in owner:
            scan.forbidden.add("PostScript, OPI or external content")
    spaces = resources.get("/ColorSpace", {})
    stack, ctm = [], matrix
    for op, operands in instructions(content_bytes(owner), owner):
        if op not in _WATCHED:
            continue
        if op == b"q":
            stack.append(ctm)
        elif op == b"Q":
            if stack:
                ctm = stack.pop()
        elif op == b"cm":
            values = operands.split()
            if len(values) == 6:
                ctm = multiply(tuple(float(v) for v in values), ctm)
        elif op == b"rg" or op == b"RG":
            scan.rgb.add(f"{op.decode()} operators")
        elif op == b"k" or op == b"K":
            values = operands.split()
            if len(values) == 4:
                scan.ink(100 * sum(float(v) for v in values), page)
        elif op == b"cs" or op == b"CS":
            values = operands.split()
            if values and values[-1][:1] == b"/":
                name = _name(values[-1])
                space = spaces.get(name, Name(name))
                if not is_process_space(space):
                    scan.rgb.add(f"{_space_kind(space)} colour space")
        elif op == b"sh":
            values = operands.split()
            if values:
                _scan_shading(resources.get("/Shading", {}).get(_name(values[-1]), {}), scan)
        elif op == INLINE_IMAGE:
            space = operands.obj.get("/ColorSpace", operands.obj.get("/CS"))
            if space is not None and not is_process_space(spaces.get(str(space), space)):
                scan.rgb.add("RGB inline image")
        else:  # Do
            values = operands.split()
            xobject = resources.get("/XObject", {}).get(_name(values[-1])) if values else None
            if xobject is None:
                continue
            subtype = xobject.get("/Subtype")
            if subtype == Name.Image:
                _scan_image(xobject, ctm, page, trim, scan)
            elif subtype == Name.Form and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                form_matrix = tuple(float(v) for v in xobject.get("/Matrix", _IDENTITY))
                _scan_content(xobject, multiply(form_matrix, ctm), page, trim, scan, seen)
                seen.discard(xobject.objgen)
            elif subtype == Name.PS:
                scan.forbidden.add("PostScript, OPI or external content")


def _scan_image(image, ctm: tuple[float, ...], page: int, trim, scan: _Scan) -> None:
    space = image.get("/ColorSpace")
    if space is not None and not image.get("/ImageMask", False) and not is_process_space(space):
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
        corners = [(ctm[4] + ctm[0] * u + ctm[2] * v, ctm[5] + ctm[1] * u + ctm[3] * v) for u in (0, 1) for v in (0, 1)]
        xs, ys = [x for x, _ in corners], [y for _, y in corners]
        scan.images.append(PlacedImage(page, int(image.Width) / across, int(image.Height) / down, int(image.Width),
                                       across, _beyond((min(xs), min(ys), max(xs), max(ys)), trim)))


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


def multiply(m: tuple[float, ...], n: tuple[float, ...]) -> tuple[float, ...]:
    """m then n, as PDF concatenates matrices."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _trim(page) -> tuple[float, float, float, float]:
    box = page.get("/TrimBox", page.MediaBox)
    return tuple(float(v) for v in box)


def _beyond(box: tuple[float, float, float, float], trim: tuple[float, float, float, float]) -> bool:
    slack = 0.5  # points
    return box[0] < trim[0] - slack or box[1] < trim[1] - slack or box[2] > trim[2] + slack or box[3] > trim[3] + slack

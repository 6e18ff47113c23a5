"""Finishing the PDFs WeasyPrint wrote.

WeasyPrint's PDF/X option only labels a file. ``press_ready`` makes the print
edition hold up at a printer: every colour and image in CMYK through the output
profile, no transparency, only link annotations (none for KDP), bleed only on the sides the target
wants, crop marks in a slug outside the bleed, the target's PDF/X version, page
labels. ``screen_ready`` adds page labels to the screen edition. Both save with
a deterministic document id, so rebuilding gives the same bytes.
"""

from __future__ import annotations

import io
import re
import zlib
from functools import lru_cache
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from ..model import PrintSettings
from ..printing import TARGETS

POINTS_PER_INCH = 72.0
SLUG = 18.0  # points of paper outside the bleed that carry the crop marks
MARK_LENGTH = 12.0
MARK_GAP = 3.0  # marks start this far outside the bleed, so they never print on the page


def press_ready(data: bytes, settings: PrintSettings, labels: tuple[str, ...], profile: Path) -> bytes:
    """The print edition, made from the joined layout."""
    target = TARGETS[settings.target]
    to_cmyk = _Converter(profile)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if target.even_pages and len(pdf.pages) % 2:
            add_blank_page(pdf)
        _untag(pdf)
        for page in pdf.pages:
            _convert_resources(pdf, page.obj, to_cmyk)
            _keep_links(page.obj, target.links)
            _drop(page.obj, "/Group")  # no transparency group once nothing is transparent
        if not target.bookmarks:
            _drop(pdf.Root, "/Outlines", "/PageMode")
        _set_output_intent(pdf, profile)
        _set_boxes(pdf, settings, target.bleed_sides)
        _set_page_labels(pdf, labels)
        _set_pdfx_version(pdf, target.pdfx)
        return _save(pdf, "1.3" if target.pdfx.endswith(":2001") else "1.4")


def screen_ready(data: bytes, labels: tuple[str, ...]) -> bytes:
    """The screen edition, made from the joined layout: at trim size, the bleed cut off."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.obj.MediaBox = page.obj.TrimBox
            _drop(page.obj, "/TrimBox", "/BleedBox", "/CropBox", "/ArtBox")
        _set_page_labels(pdf, labels)
        return _save(pdf, None)


def _untag(pdf: pikepdf.Pdf) -> None:
    """The layout is written once, tagged for the screen edition; print has no reader to guide."""
    _drop(pdf.Root, "/StructTreeRoot", "/MarkInfo")
    for page in pdf.pages:
        _drop(page.obj, "/StructParents")
        for annotation in page.get("/Annots", []):
            _drop(annotation, "/StructParent")


def _drop(dictionary: pikepdf.Object, *keys: str) -> None:
    for key in keys:
        if key in dictionary:
            del dictionary[key]


def _keep_links(page: pikepdf.Object, links: bool) -> None:
    """Links stay (they have no appearance and never print) unless the target wants none;
    any other annotation goes."""
    kept = [a for a in page.get("/Annots", []) if links and a.get("/Subtype") == Name.Link]
    for annotation in kept:
        annotation.F = 4  # printing flag only: PDF/X wants annotations that cannot be hidden or shown oddly
    if kept:
        page.Annots = pikepdf.Array(kept)
    else:
        _drop(page, "/Annots")


def _save(pdf: pikepdf.Pdf, version: str | None) -> bytes:
    """PDF/X-1a wants PDF 1.3 or 1.4, so no object streams; the screen edition packs its
    many small objects (the structure tree) into them, which makes the file half as large."""
    out = io.BytesIO()
    mode = pikepdf.ObjectStreamMode.disable if version else pikepdf.ObjectStreamMode.generate
    pdf.save(out, deterministic_id=True, object_stream_mode=mode,
             compress_streams=True, **({"force_version": version} if version else {}))
    return out.getvalue()


def _set_page_labels(pdf: pikepdf.Pdf, labels: tuple[str, ...]) -> None:
    """Viewers show the printed folios: i, ii, ... then 1, 2, ..."""
    first_arabic = next((n for n, label in enumerate(labels) if label.isdigit()), len(labels))
    numbers = Array([0, Dictionary(S=Name.r)])
    if first_arabic < len(pdf.pages):
        numbers.extend([first_arabic, Dictionary(S=Name.D, St=int(labels[first_arabic]))])
    pdf.Root.PageLabels = Dictionary(Nums=numbers)


def _set_output_intent(pdf: pikepdf.Pdf, profile: Path) -> None:
    """The printing condition the colours were converted for: the CMYK profile itself."""
    from PIL import ImageCms

    described = ImageCms.getOpenProfile(str(profile)).profile
    name = String(described.model or described.profile_description or profile.stem)
    icc = pdf.make_stream(profile.read_bytes(), N=4)
    pdf.Root.OutputIntents = Array([Dictionary(Type=Name.OutputIntent, S=Name.GTS_PDFX, OutputConditionIdentifier=name,
                                               Info=name, DestOutputProfile=icc)])


def _set_pdfx_version(pdf: pikepdf.Pdf, version: str) -> None:
    pdf.docinfo["/GTS_PDFXVersion"] = version
    pdf.docinfo["/GTS_PDFXConformance"] = version
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
        xmp["pdfxid:GTS_PDFXVersion"] = version
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
        _drop(page.obj, "/CropBox")


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


# --- colour ---------------------------------------------------------------------------


class _Converter:
    """sRGB to the printer's CMYK, through the output profile; greys go to black ink only."""

    def __init__(self, profile: Path):
        from PIL import ImageCms

        self.transform = ImageCms.buildTransform(
            ImageCms.createProfile("sRGB"), ImageCms.getOpenProfile(str(profile)), "RGB", "CMYK",
            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        )

    def color(self, r: float, g: float, b: float) -> tuple[float, ...]:
        return _color(self, round(r, 4), round(g, 4), round(b, 4))

    def image(self, image):
        from PIL import ImageCms

        return ImageCms.applyTransform(image, self.transform)


@lru_cache(maxsize=4096)
def _color(converter: _Converter, r: float, g: float, b: float) -> tuple[float, ...]:
    if r == g == b:
        return (0.0, 0.0, 0.0, round(1 - r, 4))
    from PIL import Image

    pixel = converter.image(Image.new("RGB", (1, 1), (round(r * 255), round(g * 255), round(b * 255))))
    return tuple(round(v / 255, 4) for v in pixel.getpixel((0, 0)))


def _convert_resources(pdf: pikepdf.Pdf, owner: pikepdf.Object, to_cmyk: _Converter, seen: set | None = None) -> None:
    """Colours in the content stream, images, transparency, and the same in nested forms."""
    seen = set() if seen is None else seen
    if owner.objgen in seen and owner.objgen != (0, 0):
        return
    seen.add(owner.objgen)
    resources = owner.get("/Resources", Dictionary())
    rgb_spaces = {name for name, space in resources.get("/ColorSpace", {}).items() if _is_rgb(space)}
    if "/Contents" in owner or isinstance(owner, pikepdf.Stream):
        _convert_content(pdf, owner, to_cmyk, rgb_spaces)
    for state in resources.get("/ExtGState", {}).values():
        for key in ("/ca", "/CA"):
            if key in state and float(state[key]) < 1:
                state[key] = 1
        if "/SMask" in state:
            state.SMask = Name("/None")
        if "/BM" in state:
            state.BM = Name.Normal
    for xobject in resources.get("/XObject", {}).values():
        if xobject.get("/Subtype") == Name.Image:
            _convert_image(xobject, to_cmyk)
        elif xobject.get("/Subtype") == Name.Form:
            _drop(xobject, "/Group")
            _convert_resources(pdf, xobject, to_cmyk, seen)
    for pattern in resources.get("/Pattern", {}).values():
        if isinstance(pattern, pikepdf.Stream):
            _convert_resources(pdf, pattern, to_cmyk, seen)


def _is_rgb(space: pikepdf.Object) -> bool:
    if space == Name.DeviceRGB:
        return True
    return isinstance(space, Array) and len(space) > 1 and space[0] == Name.ICCBased and int(space[1].get("/N", 0)) == 3


def _convert_content(pdf: pikepdf.Pdf, owner: pikepdf.Object, to_cmyk: _Converter, rgb_spaces: set[str]) -> None:
    page = pikepdf.Page(owner) if "/Contents" in owner else None
    raw = content_bytes(owner)
    if not (b"rg" in raw or b"RG" in raw or b"RGB" in raw or any(name[1:].encode() in raw for name in rgb_spaces)):
        return  # nothing to convert: most of WeasyPrint's many small forms
    if b"(" not in raw and not any(name[1:].encode() in raw for name in (*rgb_spaces, "/DeviceRGB")):
        # Only rg and RG to convert, and no literal strings they could hide in (WeasyPrint
        # writes text as hex strings): a substitution does it, many times faster than parsing.
        data = _converted_by_substitution(raw, to_cmyk)
    else:
        data = _converted_by_parsing(owner, page, to_cmyk, rgb_spaces)
    if data is not None and data != raw:
        # Compressed now, not when saved: a book's worth of page content waiting uncompressed
        # would be hundreds of megabytes.
        if page is not None:
            owner.Contents = pdf.make_stream(zlib.compress(data), Filter=Name.FlateDecode)
        else:
            owner.write(zlib.compress(data), filter=Name.FlateDecode)


# ``rg`` or ``RG`` as an operator: after white space or a delimiter (not a name's "/"),
# and before one. The preflight looks for them the same way.
RGB_OPERATOR = re.compile(rb"(?<![^\s\[\]<>(){}%])(?:rg|RG)(?![^\s\[\]<>(){}/%])")
_NUMBER = rb"([-+]?(?:\d+\.?\d*|\.\d+))"
_THREE_NUMBERS_AT_END = re.compile(rb"(?:^|(?<=[\s\[\]<>{}/%]))" + rb"\s+".join([_NUMBER] * 3) + rb"\s+$")


def _converted_by_substitution(raw: bytes, to_cmyk: _Converter) -> bytes:
    """Each ``r g b rg`` (or ``RG``) as ``c m y k k`` (or ``K``); found from the operator
    backwards, which is many times faster than a pattern tried at every number."""
    out, done = [], 0
    for found in RGB_OPERATOR.finditer(raw):
        window_start = max(done, found.start() - 80)
        operands = _THREE_NUMBERS_AT_END.search(raw, window_start, found.start())
        if operands is None:
            continue
        cmyk = to_cmyk.color(*(float(operands.group(n)) for n in (1, 2, 3)))
        numbers = " ".join(f"{v:.4f}".rstrip("0").rstrip(".") or "0" for v in cmyk)
        out += [raw[done:operands.start()], numbers.encode(), b" k" if found.group(0) == b"rg" else b" K"]
        done = found.end()
    out.append(raw[done:])
    return b"".join(out)


def _converted_by_parsing(owner: pikepdf.Object, page, to_cmyk: _Converter, rgb_spaces: set[str]) -> bytes | None:
    instructions = pikepdf.parse_content_stream(page if page is not None else owner)
    rgb = {"fill": False, "stroke": False}
    out = []
    changed = False
    for operands, operator in instructions:
        op = str(operator)
        if op in ("rg", "RG") and len(operands) == 3:
            operands, operator, changed = list(to_cmyk.color(*map(float, operands))), pikepdf.Operator("k" if op == "rg" else "K"), True
        elif op in ("cs", "CS"):
            side = "fill" if op == "cs" else "stroke"
            rgb[side] = str(operands[0]) == "/DeviceRGB" or str(operands[0]) in rgb_spaces
            if rgb[side]:
                operands, changed = [Name.DeviceCMYK], True
        elif op in ("sc", "scn", "SC", "SCN") and rgb["fill" if op.islower() else "stroke"] and len(operands) == 3:
            operands, changed = list(to_cmyk.color(*map(float, operands))), True
        out.append((operands, operator))
    return pikepdf.unparse_content_stream(out) if changed else None


def content_bytes(owner: pikepdf.Object) -> bytes:
    """The decoded content of a page (all its content streams) or of a form."""
    if isinstance(owner, pikepdf.Stream):
        return owner.read_bytes()
    contents = owner.get("/Contents")
    if contents is None:
        return b""
    if isinstance(contents, pikepdf.Array):
        return b"\n".join(part.read_bytes() for part in contents)
    return contents.read_bytes()


def _convert_image(image: pikepdf.Stream, to_cmyk: _Converter) -> None:
    """Raster images to CMYK, any transparency flattened onto white paper."""
    from PIL import Image

    space = image.get("/ColorSpace")
    if space == Name.DeviceCMYK and "/SMask" not in image:
        return
    if space == Name.DeviceGray and "/SMask" not in image:
        return  # grey is fine on press
    picture = pikepdf.PdfImage(image).as_pil_image()
    if picture.mode == "CMYK" and "/SMask" not in image:
        return
    picture = picture.convert("RGB")
    if "/SMask" in image:
        alpha = pikepdf.PdfImage(image.SMask).as_pil_image().convert("L")
        if alpha.size != picture.size:
            alpha = alpha.resize(picture.size)
        paper = Image.new("RGB", picture.size, (255, 255, 255))
        picture = Image.composite(picture, paper, alpha)
    cmyk = to_cmyk.image(picture)
    image.write(zlib.compress(cmyk.tobytes(), 9), filter=Name.FlateDecode)
    image.ColorSpace = Name.DeviceCMYK
    image.BitsPerComponent = 8
    image.Width, image.Height = cmyk.size
    _drop(image, "/SMask", "/Decode", "/DecodeParms", "/Mask", "/Intent")

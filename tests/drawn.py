"""What a PDF draws, judged without the toolchain's own code.

Text extraction reads a PDF's Unicode maps, not what its fonts draw: a font
program whose glyph 424 holds the outline of a "2" still extracts as "3". So:

- ``glyph_mismatches``: every glyph a PDF's text uses is compared, outline and
  advance, with the same glyph of the original font file (found by its PostScript
  name among the theme's font package and the system's fonts), and the original
  glyph must be a form of the character the text says it is (``three`` or
  ``three.lf`` for "3", ``f_i`` for "fi").
- ``render_mismatches``: pages rendered to pixels by PDFium (pypdfium2), compared
  with the pages of the PDFs they were made from.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pikepdf
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.ttLib import TTFont

SYSTEM_FONT_FOLDERS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))


@lru_cache(maxsize=1)
def original_fonts() -> dict[str, tuple[Path, int]]:
    """PostScript name -> font file (and the face's index in a collection), for every font a
    build on this machine may embed."""
    import font_source_serif_pro
    from fontTools.ttLib import TTCollection

    files = sorted(Path(font_source_serif_pro.font_directory).glob("*.ttf"))
    for folder in SYSTEM_FONT_FOLDERS:
        if folder.is_dir():
            files += sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".ttf", ".otf", ".ttc", ".otc"))
    found: dict[str, tuple[Path, int]] = {}
    for path in files:
        try:
            if path.suffix.lower() in (".ttc", ".otc"):
                faces = [(index, font["name"].getDebugName(6)) for index, font in enumerate(TTCollection(str(path), lazy=True))]
            else:
                faces = [(0, TTFont(str(path), lazy=True)["name"].getDebugName(6))]
        except Exception:  # a font fontTools cannot read is not one of ours
            continue
        for index, name in faces:
            found.setdefault(name, (path, index))
    return found


@lru_cache(maxsize=None)
def _open_original(original: tuple[Path, int]) -> TTFont:
    path, index = original
    return TTFont(str(path), fontNumber=index) if path.suffix.lower() in (".ttc", ".otc") else TTFont(str(path))


def _outline(font: TTFont, glyph_id: int) -> tuple[list, int]:
    """A glyph's contours with components resolved, and its advance width."""
    glyphs = font.getGlyphSet()
    name = font.getGlyphOrder()[glyph_id]
    pen = DecomposingRecordingPen(glyphs)
    glyphs[name].draw(pen)
    return pen.value, glyphs[name].width


def _base_name(name: str) -> str:
    return name.split(".", 1)[0]


def _is_form_of(font: TTFont, glyph_id: int, text: str) -> bool:
    """Whether the original font's glyph ``glyph_id`` is drawn for ``text``: the glyph its
    character map gives, a variant of it (``three.lf``), or the ligature of the characters."""
    cmap = font.getBestCmap()
    order = font.getGlyphOrder()
    names = [cmap.get(ord(character)) for character in text]
    if None in names:
        return False
    glyph = order[glyph_id]
    if len(text) == 1:
        return glyph == names[0] or _base_name(glyph) == _base_name(names[0])
    return _base_name(glyph) in ("_".join(names), "".join(names))


def _to_unicode(stream: pikepdf.Object) -> dict[int, str]:
    """A ToUnicode CMap's character codes and their text (bfchar and bfrange entries)."""
    data = stream.read_bytes().decode("latin-1")
    found: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for code, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block):
            found[int(code, 16)] = bytes.fromhex(text).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for first, last, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            start = int.from_bytes(bytes.fromhex(text), "big")
            for offset in range(int(last, 16) - int(first, 16) + 1):
                found[int(first, 16) + offset] = chr(start + offset)
    return found


def _fonts_on_pages(pdf: pikepdf.Pdf) -> Iterator[tuple[int, pikepdf.Object]]:
    """(page number from 1, font dictionary) for each font first met on a page, forms included."""
    seen: set[tuple[int, int]] = set()

    def walk(resources: pikepdf.Object, forms: set) -> Iterator[pikepdf.Object]:
        for font in resources.get("/Font", {}).values():
            yield font
        for xobject in resources.get("/XObject", {}).values():
            if xobject.get("/Subtype") == "/Form" and xobject.objgen not in forms:
                forms.add(xobject.objgen)
                yield from walk(xobject.get("/Resources", {}), forms)

    for number, page in enumerate(pdf.pages, start=1):
        for font in walk(page.obj.get("/Resources", {}), set()):
            if font.objgen not in seen:
                seen.add(font.objgen)
                yield number, font


def glyph_mismatches(pdf_path: Path) -> list[str]:
    """Every glyph drawn differently from the original font, named by font, character and page."""
    problems: list[str] = []
    originals = original_fonts()
    with pikepdf.open(pdf_path) as pdf:
        programs: dict[tuple[int, int], TTFont] = {}
        for page, font in _fonts_on_pages(pdf):
            descendant = font.DescendantFonts[0]
            descriptor = descendant.FontDescriptor
            program = descriptor.get("/FontFile2")
            if program is None and descriptor.get("/FontFile3") is not None and descriptor.FontFile3.get("/Subtype") == "/OpenType":
                program = descriptor.FontFile3  # an OpenType font with CFF outlines (a CJK face)
            if program is None:
                problems.append(f"page {page}: font {font.BaseFont} is not an embedded TrueType or OpenType program")
                continue
            if program.objgen not in programs:
                programs[program.objgen] = TTFont(io.BytesIO(program.read_bytes()))
            embedded = programs[program.objgen]
            postscript_name = embedded["name"].getDebugName(6)
            if postscript_name not in originals:
                problems.append(f"page {page}: no original font file for {postscript_name}")
                continue
            original = _open_original(originals[postscript_name])
            if descendant.get("/CIDToGIDMap", pikepdf.Name.Identity) != pikepdf.Name.Identity:
                problems.append(f"page {page}: {postscript_name} maps character codes to glyphs in a way this test does not read")
                continue
            for code, text in sorted(_to_unicode(font.ToUnicode).items()):
                where = f"{postscript_name}, {text!r} (glyph {code}), drawn on page {page}"
                if code >= embedded["maxp"].numGlyphs or code >= original["maxp"].numGlyphs:
                    problems.append(f"{where}: no such glyph")
                elif _outline(embedded, code) != _outline(original, code):
                    problems.append(f"{where}: shows {_drawn_as(embedded, code, original)}, "
                                    f"not as the original's {original.getGlyphOrder()[code]}")
                elif not _is_form_of(original, code, text):
                    problems.append(f"{where}: the original glyph is {original.getGlyphOrder()[code]}, "
                                    f"not a form of {text!r}")
    return [_with_pages(pdf_path, problem) for problem in problems[:20]] + problems[20:]


def _with_pages(pdf_path: Path, problem: str) -> str:
    """The pages that really draw the glyph a problem is about (a font is met on its first page)."""
    found = re.match(r"(.*?), .* \(glyph (\d+)\), drawn on page \d+", problem)
    if not found:
        return problem
    pages = pages_drawing(pdf_path, found.group(1), int(found.group(2)))
    shown = ", ".join(map(str, pages[:5])) + (", ..." if len(pages) > 5 else "")
    return re.sub(r"drawn on page \d+", f"drawn on page{'s' * (len(pages) > 1)} {shown}", problem, count=1)


def pages_drawing(pdf_path: Path, postscript_name: str, code: int) -> list[int]:
    """The pages (from 1) whose text shows glyph ``code`` of the font named ``postscript_name``."""
    pages = []
    with pikepdf.open(pdf_path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            if _draws(page.obj, postscript_name, code, set()):
                pages.append(number)
    return pages


def _draws(owner: pikepdf.Object, postscript_name: str, code: int, seen: set) -> bool:
    resources = owner.get("/Resources", {})
    fonts = {name: font for name, font in resources.get("/Font", {}).items() if _postscript_name(font) == postscript_name}
    current = None
    for operands, operator in pikepdf.parse_content_stream(owner):
        op = str(operator)
        if op == "Tf":
            current = str(operands[0])
        elif op in ("Tj", "TJ", "'", '"') and current in fonts:
            strings = operands[-1] if op == "TJ" else [operands[-1]]
            for value in strings:
                if isinstance(value, pikepdf.String):
                    raw = bytes(value)
                    if code in (int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw) - 1, 2)):
                        return True
        elif op == "Do":
            xobject = resources.get("/XObject", {}).get(str(operands[0]))
            if xobject is not None and xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                if _draws(xobject, postscript_name, code, seen):
                    return True
    return False


def _postscript_name(font: pikepdf.Object) -> str:
    try:
        descriptor = font.DescendantFonts[0].FontDescriptor
        program = descriptor.FontFile2 if "/FontFile2" in descriptor else descriptor.FontFile3
        return TTFont(io.BytesIO(program.read_bytes()), lazy=True)["name"].getDebugName(6)
    except (AttributeError, KeyError, TypeError):
        return ""


def _drawn_as(embedded: TTFont, code: int, original: TTFont) -> str:
    drawn = _outline(embedded, code)
    for glyph_id, name in enumerate(original.getGlyphOrder()):
        if _outline(original, glyph_id) == drawn:
            return f"the original's {name}"
    return "an outline the original font does not have"


# --- renders ---------------------------------------------------------------------------

SCALE = 2  # 144 dpi; bleeds are whole points, so the trim box starts on a whole pixel


@dataclass(frozen=True)
class Band:
    """A horizontal strip of the page, in inches from the top of the trim box."""

    top: float
    bottom: float


def render_trim(source: Path | bytes, page_index: int):
    """One page rendered by PDFium, in shades of grey, cut to its trim box. The crop box is
    set to the trim box first, so every PDF's page starts at the same place in device
    space (rounding a glyph to whole pixels from another origin may land it one pixel off)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(source if isinstance(source, bytes) else str(source))
    page = document[page_index]
    page.set_cropbox(*page.get_trimbox())
    image = page.render(scale=SCALE).to_pil().convert("L")
    document.close()
    return image


@dataclass(frozen=True)
class Likeness:
    """How alike two renders must be: pixels compared in ``block`` x ``block`` averages,
    none may differ by more than ``tolerance`` (of 255)."""

    block: int
    tolerance: int


def differences(expected, actual, band: Band, likeness: Likeness) -> tuple[int, tuple[int, int, int, int] | None]:
    """How many (averaged) pixels of ``band`` differ by more than allowed, and where."""
    from PIL import Image, ImageChops

    if expected.size != actual.size:
        return expected.size[0] * expected.size[1], (0, 0, *expected.size)
    box = (0, round(band.top * 72 * SCALE), expected.size[0], expected.size[1] - round(band.bottom * 72 * SCALE))
    size = ((box[2] - box[0]) // likeness.block, (box[3] - box[1]) // likeness.block)

    def averaged(image):
        return image.crop(box).resize(size, resample=Image.BOX) if likeness.block > 1 else image.crop(box)

    diff = ImageChops.difference(averaged(expected), averaged(actual)).point(lambda v: 255 if v > likeness.tolerance else 0)
    count = diff.histogram()[255]
    where = diff.getbbox()
    if where is None:
        return 0, None
    n = likeness.block
    return count, (where[0] * n, where[1] * n + box[1], where[2] * n, where[3] * n + box[1])


def destinations(pdf: pikepdf.Pdf) -> dict[str, int]:
    """Named destinations and the page index each is on."""
    index = {page.objgen: n for n, page in enumerate(pdf.pages)}
    names = pdf.Root.get("/Names", {}).get("/Dests")
    return {str(name): index[value[0].objgen] for name, value in pikepdf.NameTree(names).items()} if names else {}


def render_mismatches(joined_path: Path, segments: list[bytes], text_area: Band, likeness: Likeness,
                      save_to: Path) -> tuple[list[str], int]:
    """Each page of the joined PDF against the page of the segment it came from, inside
    ``text_area`` (the join adds folios and running heads above and below it, and marks
    outside the trim); pages the join adds must be blank there. Returns the problems and
    the number of pages compared; an image of each difference is saved in ``save_to``."""
    problems: list[str] = []
    compared = 0
    with pikepdf.open(joined_path) as joined:
        joined_names = destinations(joined)
        from_segment: dict[int, tuple[int, int]] = {}  # joined page -> (segment, page in it)
        documents = []
        for number, data in enumerate(segments):
            segment = pikepdf.open(io.BytesIO(data))
            documents.append((segment, data))
            # Where each of the segment's pages with an anchor is in the joined PDF: at one place
            # (the print edition), or moved back by the blank pages left out before it (the
            # screen edition), never out of order.
            placed = sorted({page: joined_names[name] for name, page in destinations(segment).items()
                             if name in joined_names}.items())
            offsets = [index - page for page, index in placed]
            if not offsets or any(b > a for a, b in zip(offsets, offsets[1:])) or offsets[0] - offsets[-1] > 2:
                problems.append(f"segment {number}: its pages do not sit at one place in the joined PDF ({offsets})")
                continue
            for page in range(len(segment.pages)):
                offset = next((index - at for at, index in reversed(placed) if at <= page), offsets[0])
                from_segment[offset + page] = (number, page)  # a page left out is overwritten by the next
        for index, page in enumerate(joined.pages):
            actual = render_trim(joined_path, index)
            if index in from_segment:
                number, segment_page = from_segment[index]
                segment, data = documents[number]
                expected = render_trim(data, segment_page)
            else:  # a page the join added (an empty verso): nothing in the text area
                from PIL import Image

                expected = Image.new("L", actual.size, 255)
            count, where = differences(expected, actual, text_area, likeness)
            compared += 1
            if count:
                picture = save_to / f"page-{index + 1}.png"
                _side_by_side(expected, actual, where).save(picture)
                problems.append(f"page {index + 1}: {count} places differ from the segment's own page, "
                                f"inside {where} (pixels at {SCALE * 72} dpi); see {picture}")
        for segment, _ in documents:
            segment.close()
    return problems, compared


def _side_by_side(expected, actual, where):
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (expected.size[0] * 2, expected.size[1]), "white")
    picture.paste(expected.convert("RGB"), (0, 0))
    picture.paste(actual.convert("RGB"), (expected.size[0], 0))
    if where:
        draw = ImageDraw.Draw(picture)
        for left in (0, expected.size[0]):
            draw.rectangle((where[0] + left, where[1], where[2] + left, where[3]), outline="red", width=3)
    return picture

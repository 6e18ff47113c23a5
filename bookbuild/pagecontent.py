"""What a page draws, and where: each run of text (the ink of its glyphs, from the
embedded font programs), each painted shape and each image, as a box in the page's
default user space (points, y upwards). The cover's preflight checks from these that
text and the barcode stay inside the printer's safe area.

Content is followed as a PDF reader follows it: the graphics state stack and its
transformations, forms, the text state (font, size, character and word spacing,
horizontal scaling, rise, leading) and the text and line matrices.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from functools import lru_cache

import pikepdf
from pikepdf import Name

Matrix = list[float]


@dataclass(frozen=True)
class Drawn:
    kind: str  # "text", "shape" or "image"
    box: tuple[float, float, float, float]  # x0, y0, x1, y1
    text: str = ""  # what a run of text says (from its ToUnicode map), for messages


def drawn_on(page: pikepdf.Page) -> list[Drawn]:
    found: list[Drawn] = []
    _follow(page.obj, pikepdf.Page(page.obj), [1.0, 0, 0, 1.0, 0, 0], found, set(), {})
    return found


@dataclass
class _TextState:
    font: _Font | None = None
    size: float = 0.0
    char_spacing: float = 0.0
    word_spacing: float = 0.0
    scale: float = 1.0
    leading: float = 0.0
    rise: float = 0.0
    matrix: Matrix = field(default_factory=lambda: [1.0, 0, 0, 1.0, 0, 0])
    line: Matrix = field(default_factory=lambda: [1.0, 0, 0, 1.0, 0, 0])


def _follow(owner, content, ctm: Matrix, found: list[Drawn], seen: set, fonts_read: dict) -> None:
    resources = owner.get("/Resources", {})
    fonts = resources.get("/Font", {})
    xobjects = resources.get("/XObject", {})
    stack: list[tuple[Matrix, _TextState]] = []
    text = _TextState()
    path: list[tuple[float, float]] = []
    for operands, operator in pikepdf.parse_content_stream(content):
        op = str(operator)
        if op == "q":
            stack.append((list(ctm), _copy(text)))
        elif op == "Q" and stack:
            ctm, text = stack.pop()
        elif op == "cm":
            ctm = _multiply([float(v) for v in operands], ctm)
        elif op in ("m", "l"):
            path.append(_apply(ctm, float(operands[0]), float(operands[1])))
        elif op in ("c", "v", "y"):
            values = [float(v) for v in operands]
            path.extend(_apply(ctm, values[n], values[n + 1]) for n in range(0, len(values), 2))
        elif op == "re":
            x, y, w, h = (float(v) for v in operands)
            path.extend(_apply(ctm, px, py) for px, py in ((x, y), (x + w, y), (x, y + h), (x + w, y + h)))
        elif op in ("f", "F", "f*", "B", "B*", "b", "b*", "S", "s"):
            if path:
                found.append(Drawn("shape", _bounds(path)))
            path = []
        elif op == "n":
            path = []  # a clipping path: nothing painted
        elif op == "BT":
            text.matrix, text.line = [1.0, 0, 0, 1.0, 0, 0], [1.0, 0, 0, 1.0, 0, 0]
        elif op == "Tf":
            font = fonts.get(str(operands[0]))
            if font is not None and font.objgen not in fonts_read:
                fonts_read[font.objgen] = _Font(font)
            text.font, text.size = fonts_read.get(font.objgen) if font is not None else None, float(operands[1])
        elif op in ("Tc", "Tw", "Tz", "TL", "Ts"):
            value = float(operands[0])
            if op == "Tc":
                text.char_spacing = value
            elif op == "Tw":
                text.word_spacing = value
            elif op == "Tz":
                text.scale = value / 100
            elif op == "TL":
                text.leading = value
            else:
                text.rise = value
        elif op == "Tm":
            text.matrix = text.line = [float(v) for v in operands]
        elif op in ("Td", "TD"):
            tx, ty = float(operands[0]), float(operands[1])
            if op == "TD":
                text.leading = -ty
            text.matrix = text.line = _multiply([1.0, 0, 0, 1.0, tx, ty], text.line)
        elif op == "T*":
            text.matrix = text.line = _multiply([1.0, 0, 0, 1.0, 0, -text.leading], text.line)
        elif op in ("Tj", "TJ", "'", '"'):
            if op in ("'", '"'):
                if op == '"':
                    text.word_spacing, text.char_spacing = float(operands[0]), float(operands[1])
                text.matrix = text.line = _multiply([1.0, 0, 0, 1.0, 0, -text.leading], text.line)
            shown = operands[0] if op == "TJ" else [operands[-1]]
            run = _show(text, shown, ctm)
            if run is not None:
                found.append(run)
        elif op == "Do":
            xobject = xobjects.get(str(operands[0]))
            if xobject is None:
                continue
            if xobject.get("/Subtype") == Name.Image:
                found.append(Drawn("image", _bounds([_apply(ctm, x, y) for x in (0, 1) for y in (0, 1)])))
            elif xobject.get("/Subtype") == Name.Form and xobject.objgen not in seen:
                matrix = [float(v) for v in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0])]
                _follow(xobject, xobject, _multiply(matrix, ctm), found, seen | {xobject.objgen}, fonts_read)
        elif op == "INLINE IMAGE":
            found.append(Drawn("image", _bounds([_apply(ctm, x, y) for x in (0, 1) for y in (0, 1)])))


def _copy(text: _TextState) -> _TextState:
    return _TextState(text.font, text.size, text.char_spacing, text.word_spacing, text.scale, text.leading, text.rise,
                      list(text.matrix), list(text.line))


def _show(text: _TextState, shown, ctm: Matrix) -> Drawn | None:
    """The ink box of a string shown (its glyphs' outlines), and the text matrix moved past it."""
    font = text.font
    if font is None:
        return None
    corners: list[tuple[float, float]] = []
    characters = []
    for item in shown:
        if not isinstance(item, pikepdf.String):  # a TJ adjustment, in thousandths of an em, leftwards
            text.matrix = _multiply([1.0, 0, 0, 1.0, -float(item) / 1000 * text.size * text.scale, 0], text.matrix)
            continue
        for code in font.codes(bytes(item)):
            characters.append(font.unicode.get(code, ""))
            box = font.ink(code)
            if box is not None:
                render = _multiply([text.size * text.scale, 0, 0, text.size, 0, text.rise], text.matrix)
                x0, y0, x1, y1 = box
                corners.extend(_apply(_multiply(render, ctm), x, y) for x in (x0, x1) for y in (y0, y1))
            advance = font.width(code) * text.size + text.char_spacing
            if code == 32 and font.single_byte:
                advance += text.word_spacing
            text.matrix = _multiply([1.0, 0, 0, 1.0, advance * text.scale, 0], text.matrix)
    if not corners:
        return None
    return Drawn("text", _bounds(corners), "".join(characters))


class _Font:
    """A font's codes, advances (in text space units of one point) and glyph ink boxes (the
    same units), from its widths and its embedded program; FontBBox for a font without one."""

    def __init__(self, font: pikepdf.Dictionary):
        self.single_byte = font.get("/Subtype") != Name.Type0
        descendant = font.DescendantFonts[0] if not self.single_byte else font
        descriptor = descendant.get("/FontDescriptor", {})
        self.fallback = tuple(float(v) / 1000 for v in descriptor.get("/FontBBox", [0, -200, 1000, 900]))
        self.widths: dict[int, float] = {}
        if self.single_byte:
            first = int(font.get("/FirstChar", 0))
            self.widths = {first + n: float(w) / 1000 for n, w in enumerate(font.get("/Widths", []))}
            self.default_width = 0.0
        else:
            self.default_width = float(descendant.get("/DW", 1000)) / 1000
            entries = list(descendant.get("/W", []))
            n = 0
            while n < len(entries) - 1:
                first = int(entries[n])
                if isinstance(entries[n + 1], pikepdf.Array):
                    self.widths.update((first + k, float(w) / 1000) for k, w in enumerate(entries[n + 1]))
                    n += 2
                else:
                    last, width = int(entries[n + 1]), float(entries[n + 2]) / 1000
                    self.widths.update((code, width) for code in range(first, last + 1))
                    n += 3
        program = next((descriptor[k] for k in ("/FontFile2", "/FontFile3", "/FontFile") if k in descriptor), None)
        self.outlines = _outlines(program.read_bytes()) if program is not None else None
        self.identity = self.single_byte or descendant.get("/CIDToGIDMap", Name.Identity) == Name.Identity
        self.unicode = _to_unicode(font.get("/ToUnicode"))

    def codes(self, data: bytes) -> list[int]:
        if self.single_byte:
            return list(data)
        return [int.from_bytes(data[n:n + 2], "big") for n in range(0, len(data) - 1, 2)]

    def width(self, code: int) -> float:
        return self.widths.get(code, self.default_width)

    def ink(self, code: int) -> tuple[float, float, float, float] | None:
        if self.outlines is None or not self.identity or self.single_byte:
            return self.fallback
        return self.outlines(code)


def _outlines(program: bytes):
    """The ink box of each glyph id of a font program, in ems (None for a blank glyph)."""
    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(io.BytesIO(program), lazy=True)
        glyphs = font.getGlyphSet()
        order = font.getGlyphOrder()
        units = font["head"].unitsPerEm
    except Exception:  # not a font fontTools reads (a bare CFF or Type 1 program): FontBBox stands in
        return None

    @lru_cache(maxsize=None)
    def ink(gid: int):
        if gid >= len(order):
            return None
        pen = BoundsPen(glyphs)
        glyphs[order[gid]].draw(pen)
        if pen.bounds is None:
            return None
        x0, y0, x1, y1 = pen.bounds
        return x0 / units, y0 / units, x1 / units, y1 / units

    return ink


def _to_unicode(stream) -> dict[int, str]:
    """A ToUnicode map's single code mappings (bfchar and bfrange), for messages."""
    if stream is None:
        return {}
    data = stream.read_bytes().decode("latin-1")
    found: dict[int, str] = {}

    def text(hex_text: str) -> str:
        return bytes.fromhex(hex_text).decode("utf-16-be", "replace")

    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for code, value in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block):
            found[int(code, 16)] = text(value)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for first, last, value in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block):
            start = int(value, 16) if value else 0
            for n, code in enumerate(range(int(first, 16), int(last, 16) + 1)):
                found[code] = chr(start + n) if start + n < 0x110000 else ""
    return found


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """m then n, as PDF concatenates matrices."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return [a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F]


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _bounds(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)

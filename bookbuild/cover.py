"""A clean typographic cover for books that have none: title, subtitle, author.

Drawn with Pillow in the theme's font, so the same metadata always gives the
same PNG bytes.
"""

from __future__ import annotations

import io
import zlib

from PIL import Image, ImageDraw, ImageFont

from .model import Metadata
from .theme import theme_fonts

WIDTH, HEIGHT = 1600, 2560
MARGIN = 150
# Background and ink pairs with enough contrast to read; one is picked from the title.
_PALETTES = (((31, 58, 77), (244, 236, 220)), ((94, 38, 38), (250, 240, 225)),
             ((38, 70, 52), (240, 238, 226)), ((52, 48, 84), (238, 234, 246)))


def typographic_cover(metadata: Metadata) -> bytes:
    background, ink = _PALETTES[zlib.crc32(metadata.title.encode("utf-8")) % len(_PALETTES)]
    image = Image.new("RGB", (WIDTH, HEIGHT), background)
    draw = ImageDraw.Draw(image)
    regular, italic, bold = (str(f.path) for f in theme_fonts()[:3])

    y = 420
    y = _paragraph(draw, metadata.title, ImageFont.truetype(bold, 150), ink, y, spacing=1.15)
    if metadata.subtitle:
        y = _paragraph(draw, metadata.subtitle, ImageFont.truetype(italic, 72), ink, y + 80, spacing=1.3)
    draw.line([(MARGIN, y + 90), (MARGIN + 260, y + 90)], fill=ink, width=6)
    _paragraph(draw, " and ".join(metadata.authors), ImageFont.truetype(regular, 84), ink, HEIGHT - 460, spacing=1.2)

    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _paragraph(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, ink, y: int, spacing: float) -> int:
    """Draw ``text`` left-aligned, wrapped to the cover's width; return the y below it."""
    line_height = int(font.size * spacing)
    for line in _wrap(draw, text, font, WIDTH - 2 * MARGIN):
        draw.text((MARGIN, y), line, font=font, fill=ink)
        y += line_height
    return y


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and draw.textlength(candidate, font=font) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines

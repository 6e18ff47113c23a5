"""The EPUB's cover when the book's picture does not make one alone: a clean typographic
cover (title, subtitle, author) for books that have no picture, and, with
``cover_text: true``, the title and author set on bands over a picture that has none.

Drawn with Pillow in the theme's font (or, for a title in a script it lacks, the first
fallback face that has every character: ``theme.face_for``), so the same metadata always
gives the same PNG bytes. The print cover (``editions/cover.py``) draws the same design again as text at
print size, from the proportions below.
"""

from __future__ import annotations

import io
import re
import zlib

from PIL import Image, ImageDraw, ImageFont

from .model import Metadata
from .theme import face_for
from .words import words_for

# The design, in pixels of a 1600 x 2560 cover.
WIDTH, HEIGHT = 1600, 2560
MARGIN = 150
TITLE_TOP, TITLE_SIZE, TITLE_LEADING = 420, 150, 1.15
SUBTITLE_GAP, SUBTITLE_SIZE, SUBTITLE_LEADING = 80, 72, 1.3
RULE_GAP, RULE_LENGTH, RULE_WIDTH = 90, 260, 6
AUTHOR_FROM_BOTTOM, AUTHOR_SIZE, AUTHOR_LEADING = 460, 84, 1.2
BAND_PADDING = 60  # around the text set over a picture
# Background and ink pairs with enough contrast to read; one is picked from the title.
_PALETTES = (((31, 58, 77), (244, 236, 220)), ((94, 38, 38), (250, 240, 225)),
             ((38, 70, 52), (240, 238, 226)), ((52, 48, 84), (238, 234, 246)))


def palette(metadata: Metadata) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """The cover's background and ink, picked from the title."""
    return _PALETTES[zlib.crc32(metadata.title.encode("utf-8")) % len(_PALETTES)]


def typographic_cover(metadata: Metadata) -> bytes:
    background, _ = palette(metadata)
    return _drawn(Image.new("RGB", (WIDTH, HEIGHT), background), metadata, bands=False)


def titled_cover(picture: bytes, metadata: Metadata) -> bytes:
    """The book's picture, cropped to the cover's proportions, with the title and the
    author on bands of the palette's colour (``cover_text: true``)."""
    with Image.open(io.BytesIO(picture)) as opened:
        image = opened.convert("RGB")
    scale = max(WIDTH / image.width, HEIGHT / image.height)
    image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    left, top = (image.width - WIDTH) // 2, (image.height - HEIGHT) // 2
    return _drawn(image.crop((left, top, left + WIDTH, top + HEIGHT)), metadata, bands=True)


def _drawn(image: Image.Image, metadata: Metadata, bands: bool) -> bytes:
    background, ink = palette(metadata)
    draw = ImageDraw.Draw(image)
    authors = words_for(metadata.language).names(metadata.authors)

    def font(text: str, weight: int, style: str, size: int) -> ImageFont.FreeTypeFont:
        face = face_for(text, weight, style, metadata.language)
        return ImageFont.truetype(str(face.path), size, index=face.index)

    title_font, author_font = font(metadata.title, 700, "normal", TITLE_SIZE), font(authors, 400, "normal", AUTHOR_SIZE)
    subtitle_font = font(metadata.subtitle, 400, "italic", SUBTITLE_SIZE)
    if bands:
        title_bottom = _height(draw, metadata.title, title_font, TITLE_LEADING, TITLE_TOP)
        if metadata.subtitle:
            title_bottom = _height(draw, metadata.subtitle, subtitle_font, SUBTITLE_LEADING, title_bottom + SUBTITLE_GAP)
        draw.rectangle((0, TITLE_TOP - BAND_PADDING, WIDTH, title_bottom + RULE_GAP + BAND_PADDING), fill=background)
        author_top = HEIGHT - AUTHOR_FROM_BOTTOM
        draw.rectangle((0, author_top - BAND_PADDING, WIDTH,
                        _height(draw, authors, author_font, AUTHOR_LEADING, author_top) + BAND_PADDING), fill=background)
    y = _paragraph(draw, metadata.title, title_font, ink, TITLE_TOP, spacing=TITLE_LEADING)
    if metadata.subtitle:
        y = _paragraph(draw, metadata.subtitle, subtitle_font, ink, y + SUBTITLE_GAP, spacing=SUBTITLE_LEADING)
    draw.line([(MARGIN, y + RULE_GAP), (MARGIN + RULE_LENGTH, y + RULE_GAP)], fill=ink, width=RULE_WIDTH)
    _paragraph(draw, authors, author_font, ink, HEIGHT - AUTHOR_FROM_BOTTOM, spacing=AUTHOR_LEADING)

    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _height(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, spacing: float, y: int) -> int:
    """The y below ``text`` set from ``y``, as ``_paragraph`` sets it."""
    return y + int(font.size * spacing) * len(_wrap(draw, text, font, WIDTH - 2 * MARGIN))


def _paragraph(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, ink, y: int, spacing: float) -> int:
    """Draw ``text`` left-aligned, wrapped to the cover's width; return the y below it."""
    line_height = int(font.size * spacing)
    for line in _wrap(draw, text, font, WIDTH - 2 * MARGIN):
        draw.text((MARGIN, y), line, font=font, fill=ink)
        y += line_height
    return y


# Characters of scripts written without spaces between words (Chinese, Japanese): a line
# may end after any of them, except before closing punctuation.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af][\u3001\u3002\u300d\u300f\uff09\uff0c\uff01\uff1f]*")


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        for n, piece in enumerate(_pieces(word)):
            joiner = " " if n == 0 else ""
            candidate = f"{lines[-1]}{joiner}{piece}" if lines else piece
            if lines and draw.textlength(candidate, font=font) <= width:
                lines[-1] = candidate
            else:
                lines.append(piece)
    return lines


def _pieces(word: str) -> list[str]:
    """A word as the pieces a line may end between: itself, or each character of a Chinese or
    Japanese run (with the punctuation that may not begin a line)."""
    pieces, at = [], 0
    for match in _UNSPACED.finditer(word):
        if match.start() > at:
            pieces.append(word[at:match.start()])
        pieces.append(match.group(0))
        at = match.end()
    return pieces + ([word[at:]] if at < len(word) else [])

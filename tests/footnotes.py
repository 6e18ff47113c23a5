"""Footnote numbers as drawn on each page, read from PDFium's text and its glyph sizes.

The default theme sets a footnote's call at 0.7em of the footnote's own 8pt
(5.6pt, superscript in the text) and its marker ("4. ") at 8pt at the start of its
first line in the footnote area. Calls and markers are told apart by size, markers
from other 8pt figures by the full stop after them and their place at the start of
a line of the footnote area.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CALL_SIZE = 5.6  # points
MARKER_SIZE = 8.0


@dataclass(frozen=True)
class PageNotes:
    page: int  # from 1
    calls: tuple[int, ...]  # in the order of the text
    markers: tuple[int, ...]  # from the top of the footnote area down


def footnotes_by_page(pdf_path) -> tuple[PageNotes, ...]:
    """Read once per file (several tests read the long book's): the same path, size and
    modification time give the same reading."""
    stat = Path(pdf_path).stat()
    return _footnotes_by_page(str(pdf_path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=8)
def _footnotes_by_page(pdf_path: str, size: int, modified: int) -> tuple[PageNotes, ...]:
    import pypdfium2
    import pypdfium2.raw as raw

    document = pypdfium2.PdfDocument(str(pdf_path))
    found = []
    for index in range(len(document)):
        page = document[index]
        text = page.get_textpage()
        chars = []
        for n in range(text.count_chars()):
            character = text.get_text_range(n, 1)
            matrix = raw.FS_MATRIX()
            raw.FPDFText_GetMatrix(text.raw, n, matrix)
            size = raw.FPDFText_GetFontSize(text.raw, n) * abs(matrix.d or matrix.a or 1)
            left, bottom, _, _ = text.get_charbox(n)
            chars.append((character, size, left, bottom))
        found.append(PageNotes(index + 1, tuple(_numbers(chars, CALL_SIZE, marker=False)),
                               tuple(_numbers(chars, MARKER_SIZE, marker=True))))
    document.close()
    return tuple(found)


def _numbers(chars, size: float, marker: bool) -> list[int]:
    """Runs of figures of one size (markers: followed by a full stop, at the start of a line)."""
    sized = [c for c in chars if abs(c[1] - size) < 0.3]
    line_start = min((c[2] for c in sized), default=0)
    numbers, run, first = [], "", None
    for character, char_size, left, _ in chars + [("", 0, 0, 0)]:
        if character.isdigit() and abs(char_size - size) < 0.3:
            if not run:
                first = left
            run += character
            continue
        if run and (not marker or (character == "." and first is not None and first - line_start < 2)):
            numbers.append(int(run))
        run = ""
    return numbers

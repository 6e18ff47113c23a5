"""Typography read back from a PDF's text positions (PDFium): what a reader sees of how the
lines and pages are set, measured alike on our PDFs and on TeX's (bench/typography.py puts
them side by side). An oracle for the tests: it knows nothing of how the layout was made.

  loose lines        justified lines whose mean word gap is over 0.45 em (a justified line
                     ends within 1 pt short of the text block's right edge, where most of a
                     page's body lines end, or up to 3 pt past it: TeX's microtype hangs
                     punctuation and hyphens into the margin)
  median gap         the median word gap of justified lines, in ems of the body size
  pages ending in -  pages whose last body line ends with a hyphen
  hyphen stacks      three or more body lines in a row ending with a hyphen
  stub last lines    a paragraph's last line of fewer than 4 letters after a hyphen
  uneven spreads     facing pages whose lowest text lines (folios aside) are more than 2 pt
                     apart, of the spreads where both pages hold body text and neither is a
                     chapter's last page (a page before a chapter's opening page, or before
                     a blank page before one, or the book's last)
  footnotes away     footnote calls whose note is not on the page of the call

Gaps are measured between the advance boxes of the glyphs on each side of a space (PDFium's
"loose" character boxes), so every PDF is measured alike.
"""

from __future__ import annotations

import ctypes
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

LOOSE_EM = 0.45
_HYPHENS = ("-", "\u2010", "\u00ad")
_FOLIO = re.compile(r"^(\d+|[ivxlcdm]+)$")


@dataclass
class Char:
    text: str
    left: float
    right: float
    x: float  # origin
    y: float  # baseline
    size: float  # effective font size in points
    joint: bool = False  # not in the PDF: where two pieces of a line were put together


@dataclass
class Line:
    chars: list[Char] = field(default_factory=list)

    @property
    def baseline(self) -> float:
        return statistics.median(c.y for c in self.chars if c.text.strip()) if self.visible else self.chars[0].y

    @property
    def visible(self) -> list[Char]:
        return [c for c in self.chars if c.text.strip()]

    @property
    def text(self) -> str:
        return "".join(c.text for c in self.chars).strip()

    @property
    def right(self) -> float:
        return max(c.right for c in self.visible)

    @property
    def left(self) -> float:
        return min(c.left for c in self.visible)


@dataclass
class Figures:
    pages: int = 0
    justified: int = 0
    loose: int = 0
    gaps: list[float] = field(default_factory=list)  # mean gap of each justified line, in ems
    hyphen_pages: int = 0
    hyphen_rectos: int = 0
    stacks: int = 0
    stubs: int = 0
    spreads: int = 0
    uneven: int = 0
    calls: int = 0
    away: int = 0
    notes: list[str] = field(default_factory=list)  # where each fault is, for looking at it

    @property
    def loose_per_1000(self) -> float:
        return 1000 * self.loose / self.justified if self.justified else 0.0

    @property
    def median_gap(self) -> float:
        return statistics.median(self.gaps) if self.gaps else 0.0


# --- reading a PDF ------------------------------------------------------------------------------


def read_pages(pdf_path: Path) -> list[list[Line]]:
    """Each page's text lines, in reading order, with each character's box, baseline and size."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    document = pdfium.PdfDocument(str(pdf_path))
    pages = []
    for page in document:
        textpage = page.get_textpage()
        chars = []
        rect = raw.FS_RECTF()
        matrix = raw.FS_MATRIX()
        x, y = ctypes.c_double(), ctypes.c_double()
        for i in range(textpage.count_chars()):
            code = raw.FPDFText_GetUnicode(textpage, i)
            if raw.FPDFText_IsGenerated(textpage, i) == 1 and code not in (32,):
                continue
            raw.FPDFText_GetLooseCharBox(textpage, i, rect)
            raw.FPDFText_GetCharOrigin(textpage, i, x, y)
            raw.FPDFText_GetMatrix(textpage, i, matrix)
            scale = (abs(matrix.a * matrix.d - matrix.b * matrix.c)) ** 0.5 or 1.0
            size = raw.FPDFText_GetFontSize(textpage, i) * scale
            chars.append(Char(chr(code) if code else "", rect.left, rect.right, x.value, y.value, size))
        pages.append(_lines(chars))
        textpage.close()
        page.close()
    document.close()
    return pages


def _lines(chars: list[Char]) -> list[Line]:
    """Characters grouped into lines: a new line where the baseline moves by more than half
    the text's size (a superscript stays in its line) or the text runs back to the left."""
    lines: list[Line] = []
    for char in chars:
        current = lines[-1] if lines else None
        if current is not None and current.visible:
            base = current.baseline
            last = current.visible[-1]
            size = max(char.size, last.size)
            same = (-0.5 * size < char.y - base < 0.6 * size) and char.left > last.left - size
            if same:
                current.chars.append(char)
                continue
        if current is not None and not current.visible:
            current.chars.append(char)
            continue
        lines.append(Line([char]))
    return _merged([line for line in lines if line.visible])


def _merged(lines: list[Line]) -> list[Line]:
    """Lines drawn in pieces on one baseline (a list's marker, drawn after its item's text)
    made one, their characters from left to right."""
    merged: list[Line] = []
    for line in lines:
        same = next((other for other in merged if abs(other.baseline - line.baseline) < 1
                     and (line.right < other.left or line.left > other.right)), None)
        if same is None:
            merged.append(line)
            continue
        pieces = sorted([same.chars, line.chars], key=lambda chars: min(c.left for c in chars if c.text.strip()))
        same.chars = pieces[0] + [Char(" ", pieces[0][-1].right, pieces[1][0].left, pieces[0][-1].right,
                                       same.baseline, pieces[0][-1].size, joint=True)] + pieces[1]
    return merged


# --- measuring ---------------------------------------------------------------------------------


def measure(pdf_path: Path) -> Figures:
    pages = read_pages(pdf_path)
    sizes = Counter(round(c.size, 1) for page in pages for line in page for c in line.visible)
    body = sizes.most_common(1)[0][0]
    figures = Figures(pages=len(pages))

    def is_body(line: Line) -> bool:
        main = [c for c in line.visible if abs(c.size - body) < 0.06 * body]
        return len(main) >= 0.8 * len(line.visible)

    def is_folio(line: Line) -> bool:
        return bool(_FOLIO.match(line.text.lower()))

    body_lines = [[line for line in page if is_body(line)] for page in pages]
    openings = [any(c.size > 1.4 * body for line in page for c in line.visible) for page in pages]
    edges = [_edge(lines) for lines in body_lines]

    previous_hyphen_run = 0
    for number, (lines, edge) in enumerate(zip(body_lines, edges), start=1):
        run = 0
        content = [line for line in lines if not is_folio(line)]
        for n, line in enumerate(content):
            gaps = _word_gaps(line)
            # Within a point short of the edge, or past it by up to 3 pt: TeX (microtype) hangs
            # punctuation and hyphens into the margin.
            justified = edge is not None and edge - 1.0 <= line.right <= edge + 3.0 and gaps
            ends_hyphen = line.text.endswith(_HYPHENS) and len(line.text) > 1 and line.text[-2].isalpha()
            if justified:
                figures.justified += 1
                mean = statistics.fmean(gaps) / body
                figures.gaps.append(mean)
                if mean > LOOSE_EM:
                    figures.loose += 1
                    figures.notes.append(f"page {number}: loose line ({mean:.2f} em): {line.text[:60]}")
            run = run + 1 if ends_hyphen else 0
            if run == 3:
                figures.stacks += 1
                figures.notes.append(f"page {number}: three hyphens in a row, the last: {line.text[-40:]}")
            above = content[n - 1] if n else None
            if (above is not None and not justified and above.text.endswith(_HYPHENS)
                    and abs(above.baseline - line.baseline) < 2 * body
                    and sum(ch.isalpha() for ch in line.text) < 4):
                figures.stubs += 1
                figures.notes.append(f"page {number}: stub last line: {above.text[-20:]} / {line.text}")
        if content and content[-1].text.endswith(_HYPHENS) and content[-1].text[-2:-1].isalpha():
            figures.hyphen_pages += 1
            figures.hyphen_rectos += number % 2
            figures.notes.append(f"page {number}: ends in a hyphen: {content[-1].text[-30:]}")
        previous_hyphen_run = run
    del previous_hyphen_run

    def depth(page: list[Line]) -> float | None:
        text = [line for line in page if not is_folio(line) and line.baseline > 0]
        return min(line.baseline for line in text) if text else None

    def chapter_end(index: int) -> bool:
        following = [i for i in range(index + 1, len(pages)) if body_lines[i] or openings[i]]
        return not following or openings[following[0]]

    for verso in range(1, len(pages) - 1, 2):  # 0-based: page 2 is index 1, a left-hand page
        recto = verso + 1
        if not body_lines[verso] or not body_lines[recto] or chapter_end(verso) or chapter_end(recto):
            continue
        figures.spreads += 1
        left, right = depth(pages[verso]), depth(pages[recto])
        if left is None or right is None or abs(left - right) > 2:
            figures.uneven += 1
            figures.notes.append(f"pages {verso + 1}-{recto + 1}: end at different depths ({left:.1f} / {right:.1f})")

    for number, page in enumerate(pages, start=1):
        calls, notes = set(), set()
        for line in page:
            if is_body(line):
                calls |= _superscript_numbers(line)
            elif line.visible and line.visible[0].size < 0.9 * body:
                found = re.match(r"^(\d+)(\.\s|\s|(?=\D))", line.text)
                first = line.visible[0]
                if found and (found.group(2).startswith(".") or first.y > line.baseline + 1):
                    notes.add(found.group(1))
        figures.calls += len(calls)
        for call in sorted(calls - notes):
            figures.away += 1
            figures.notes.append(f"page {number}: the note of call {call} is not on the page")
    return figures


def _edge(lines: list[Line]) -> float | None:
    """The text block's right edge on a page: where most body lines end."""
    if len(lines) < 3:
        return None
    rights = Counter(round(line.right * 2) / 2 for line in lines)
    edge, count = rights.most_common(1)[0]
    return edge if count >= 2 else None


def _word_gaps(line: Line) -> list[float]:
    """The gaps between words: from the end of a word's last glyph to the start of the next
    word's first, where a space stands between them."""
    gaps, previous, spaced = [], None, False
    for char in line.chars:
        if char.joint:  # a list's marker and its item: no word gap
            previous, spaced = None, False
            continue
        if not char.text.strip():
            spaced = previous is not None
            continue
        if spaced and previous is not None:
            gaps.append(char.left - previous.right)
        spaced = False
        previous = char
    return gaps


def _superscript_numbers(line: Line) -> set[str]:
    base = line.baseline
    numbers, current = set(), ""
    for char in line.visible:
        raised = char.y > base + 1 and char.text.isdigit()
        if raised:
            current += char.text
        elif current:
            numbers.add(current)
            current = ""
    if current:
        numbers.add(current)
    return numbers

"""Page numbers printed in the text ("(page 123)", the contents), filled in after layout.

A chapter that refers to another prints the page that chapter falls on, which is
known only once every chapter is laid out. So the numbers are laid out as guesses in
figures of equal width (the theme sets them in ``PAGE_NUMBER_FAMILY``, tabular), and
written into the laid-out pages once the page map is known: the glyphs change, their
advances and the line breaks do not. Only a number whose width changes (99 becomes
100, or a roman numeral) needs its chapter laid out again.

``find`` runs where a segment is laid out: it notes, page by page, each number the
segment prints and the anchor it stands for (from the link around it), and makes sure
every figure of the number fonts is in the PDF (widths and Unicode map), so that
``fill`` is a substitution of glyph ids in the page content.
"""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

PAGE_NUMBER_FAMILY = "Bookbuild Page Numbers"
DIGITS = "0123456789"
_LINK_SCHEME = "bookbuild:"


@dataclass(frozen=True)
class PrintedNumber:
    page: int  # within the segment, from 0
    run: int  # which run of text on the page, counting those in number fonts, from 0
    anchor: str  # the place it gives the page of ("" for a folio: the page's own)
    label: str  # as printed now


@dataclass(frozen=True)
class NumberFont:
    resource: str  # the font's resource name on the pages, e.g. "/ABCDEF"
    digits: tuple[int, ...]  # the glyph id of each figure 0-9


def width_class(label: str) -> str:
    """What of a label decides its width: the count of (equal-width) figures; anything
    else (a roman numeral) only as itself."""
    return "#" * len(label) if label.isdigit() else label


# --- finding them ---------------------------------------------------------------------

# The operators of WeasyPrint's page content that place text, in order.
_TOKENS = re.compile(
    rb"(?P<matrix>(?:[-+]?(?:\d+\.?\d*|\.\d+)\s+){6})(?P<matrix_op>cm|Tm)(?![^\s\[\]<>(){}/%])"
    rb"|(?<![^\s\[\]<>(){}%])(?P<push>q)(?![^\s\[\]<>(){}/%])"
    rb"|(?<![^\s\[\]<>(){}%])(?P<pop>Q)(?![^\s\[\]<>(){}/%])"
    rb"|/(?P<font>[^\s/\[\]<>(){}%]+)\s+[-+]?(?:\d+\.?\d*|\.\d+)\s+Tf(?![^\s\[\]<>(){}/%])"
    rb"|\[(?P<shown>[^\]]*)\]\s*TJ(?![^\s\[\]<>(){}/%])"
)
_HEX = re.compile(rb"<([0-9a-fA-F]*)>")


def _multiply(m: list[float], n: list[float]) -> list[float]:
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return [a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F]


def _runs(content: bytes, fonts: set[str]):
    """Each text run shown in one of ``fonts``: (its start in the match, its hex strings'
    match, where it starts on the page in default user space)."""
    ctm, stack, text_matrix, font = [1.0, 0, 0, 1.0, 0, 0], [], [1.0, 0, 0, 1.0, 0, 0], ""
    for token in _TOKENS.finditer(content):
        if token.group("matrix_op"):
            values = [float(v) for v in token.group("matrix").split()]
            if token.group("matrix_op") == b"cm":
                ctm = _multiply(values, ctm)
            else:
                text_matrix = values
        elif token.group("push"):
            stack.append(ctm)
        elif token.group("pop"):
            ctm = stack.pop() if stack else ctm
        elif token.group("font"):
            font = "/" + token.group("font").decode("latin-1")
        elif token.group("shown") is not None and font in fonts:
            x, y = text_matrix[4], text_matrix[5]
            yield token, font, (x * ctm[0] + y * ctm[2] + ctm[4], x * ctm[1] + y * ctm[3] + ctm[5])


def find_references(pdf_bytes: bytes, font_files: dict[str, str]) -> tuple[bytes, tuple[PrintedNumber, ...], tuple[NumberFont, ...]]:
    """The page numbers a freshly laid-out segment prints after its references and in its
    contents (text in ``PAGE_NUMBER_FAMILY``, inside the link to what it numbers), and
    the segment with every figure of those fonts in it. ``font_files`` maps a PostScript
    name to its font file."""
    import pikepdf

    from .press import content_bytes

    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        number_fonts = _complete_fonts(pdf, font_files, lambda name, font: _family(font) == PAGE_NUMBER_FAMILY)
        digits = {f.resource: f.digits for f in number_fonts}
        found = []
        for index, page in enumerate(pdf.pages):
            names = {name for name in page.obj.get("/Resources", {}).get("/Font", {}).keys() if name in digits}
            content = content_bytes(page.obj)
            if not names or not any(name[1:].encode() in content for name in names):
                continue
            links = _links(page.obj)
            for run, (token, font, (x, y)) in enumerate(_runs(content, names)):
                figures = _figures(token, digits[font])
                anchor = next((anchor for (x0, y0, x1, y1), anchor in links
                               if x0 - 1 <= x <= x1 + 1 and y0 - 1 <= y <= y1 + 1), "")
                if figures and anchor:
                    found.append(PrintedNumber(index, run, anchor, figures))
        return _saved(pdf), tuple(found), number_fonts


def find_folios(pdf_bytes: bytes, folios: tuple[str, ...], font_files: dict[str, str]) -> tuple[bytes, tuple[PrintedNumber, ...], tuple[NumberFont, ...]]:
    """The folio of each page of a laid-out page decoration (``folios``: what each page was
    laid out to print): the one run of text on the page that reads as that folio, in
    figures; and the decoration with every figure of the fonts that print them."""
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        folio_fonts = {font for page, folio in zip(_run_texts(pdf, None), folios) for font, text in page
                       if folio.isdigit() and text.strip() == folio}
        number_fonts = _complete_fonts(pdf, font_files, lambda name, font: name in folio_fonts)
        found = []
        for index, (page, folio) in enumerate(zip(_run_texts(pdf, {f.resource for f in number_fonts}), folios)):
            matches = [run for run, (_, text) in enumerate(page) if text.strip() == folio]
            if folio.isdigit() and len(matches) == 1:  # a running head that reads as the folio is not one
                found.append(PrintedNumber(index, matches[0], "", folio))
        return _saved(pdf), tuple(found), number_fonts


def _run_texts(pdf, fonts: set[str] | None) -> list[list[tuple[str, str]]]:
    """Each page's runs of text in ``fonts`` (all, for None): (font, text), in order."""
    from .press import content_bytes

    pages = []
    for page in pdf.pages:
        available = page.obj.get("/Resources", {}).get("/Font", {})
        names = set(available.keys()) if fonts is None else {name for name in available.keys() if name in fonts}
        unicode = {name: _to_unicode(available[name].ToUnicode.read_bytes()) for name in names if "/ToUnicode" in available[name]}
        pages.append([(font, "".join(unicode.get(font, {}).get(code, "") for code in _codes(token.group("shown"))))
                      for token, font, _ in _runs(content_bytes(page.obj), names)])
    return pages


def _saved(pdf) -> bytes:
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _family(font) -> str:
    descendant = font.get("/DescendantFonts", [None])[0]
    return str(descendant.get("/FontDescriptor", {}).get("/FontFamily", "")) if descendant is not None else ""


def _figures(token, digits: tuple[int, ...]) -> str:
    return "".join(str(digits.index(code)) for code in _codes(token.group("shown")) if code in digits)


def _complete_fonts(pdf, font_files: dict[str, str], chosen) -> tuple[NumberFont, ...]:
    """The fonts ``chosen(name, font)`` on the pages, each with the widths and Unicode
    entries of all ten figures (only those printed are there), as shaped by HarfBuzz with
    the font's tabular figures, and a subset that draws them. A font whose figures differ
    in width is left out: its numbers cannot change without laying the text out again."""
    from .. import fonts

    found: dict[str, NumberFont] = {}
    done: set[tuple[int, int]] = set()
    for page in pdf.pages:
        for name, font in page.obj.get("/Resources", {}).get("/Font", {}).items():
            descendant = font.get("/DescendantFonts", [None])[0]
            if descendant is None or font.objgen in done or not chosen(name, font):
                continue
            descriptor = descendant.get("/FontDescriptor", {})
            if "/FontFile2" not in descriptor:
                continue
            done.add(font.objgen)
            identity = fonts.identity(descriptor.FontFile2.read_bytes())
            path = font_files.get(identity.postscript_name) if identity else None
            figures = _tabular_figures(path) if path else None
            if figures is None:
                continue
            glyphs, advance = figures
            widths = dict(_widths(descendant))
            scale = 1000 / _units_per_em(path)
            for glyph in glyphs:
                widths.setdefault(glyph, round(advance * scale, 3))
            descendant.W = _widths_array(widths)
            # The segment's own subset draws every figure too, not only those printed so far.
            program = pdf.make_stream(fonts.subset_for_pdf(Path(path).read_bytes(), 0, widths))
            program.Length1 = len(program.read_bytes())
            descriptor.FontFile2 = program
            text = _to_unicode(font.ToUnicode.read_bytes())
            text.update(zip(glyphs, DIGITS))
            font.ToUnicode = pdf.make_stream(_to_unicode_cmap(text))
            found[name] = NumberFont(name, glyphs)
    return tuple(found.values())


def _tabular_figures(path: str) -> tuple[tuple[int, ...], int] | None:
    import uharfbuzz as hb

    font = hb.Font(hb.Face(hb.Blob.from_file_path(path)))
    buffer = hb.Buffer()
    buffer.add_str(DIGITS)
    buffer.guess_segment_properties()
    hb.shape(font, buffer, {"tnum": True, "lnum": True})
    advances = {position.x_advance for position in buffer.glyph_positions}
    glyphs = tuple(info.codepoint for info in buffer.glyph_infos)
    if len(advances) != 1 or len(glyphs) != 10 or 0 in glyphs:
        return None
    return glyphs, advances.pop()


def _units_per_em(path: str) -> int:
    import uharfbuzz as hb

    return hb.Face(hb.Blob.from_file_path(path)).upem


# --- filling them in -------------------------------------------------------------------


def fill(pdf_bytes: bytes, numbers: tuple[PrintedNumber, ...], number_fonts: tuple[NumberFont, ...],
         wanted: tuple[str, ...]) -> tuple[bytes, tuple[PrintedNumber, ...]]:
    """The segment with each of its ``numbers`` printed as the label ``wanted`` has for it
    (in the same order), each as wide as before."""
    import pikepdf

    from .press import content_bytes

    if all(label == n.label for label, n in zip(wanted, numbers)):
        return pdf_bytes, numbers
    if any(width_class(label) != width_class(n.label) for label, n in zip(wanted, numbers)):
        raise ValueError("a number of another width cannot be filled in: lay the segment out again")
    digits = {f.resource: f.digits for f in number_fonts}
    by_page: dict[int, dict[int, str]] = {}
    for number, label in zip(numbers, wanted):
        by_page.setdefault(number.page, {})[number.run] = label
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        for index, labels in by_page.items():
            page = pdf.pages[index].obj
            names = {name for name in page.get("/Resources", {}).get("/Font", {}).keys() if name in digits}
            content = content_bytes(page)
            pieces, done = [], 0
            for run, (token, font, _) in enumerate(_runs(content, names)):
                if run not in labels:
                    continue
                figures = iter(labels[run])
                shown = _HEX.sub(lambda m: b"<" + b"".join(
                    b"%04x" % (digits[font][int(next(figures))] if int(m.group(1)[i:i + 4], 16) in digits[font]
                               else int(m.group(1)[i:i + 4], 16)) for i in range(0, len(m.group(1)), 4)) + b">",
                    token.group("shown"))
                start, end = token.span("shown")
                pieces += [content[done:start], shown]
                done = end
            pieces.append(content[done:])
            # Compressed as WeasyPrint compresses (pydyf, level 9): a filled-in page is byte for
            # byte the page WeasyPrint would have written with these numbers.
            page.Contents = pdf.make_stream(zlib.compress(b"".join(pieces), 9), Filter=pikepdf.Name.FlateDecode)
        return _saved(pdf), tuple(PrintedNumber(n.page, n.run, n.anchor, label) for n, label in zip(numbers, wanted))


# --- reading the PDF ------------------------------------------------------------------


def _links(page) -> list[tuple[tuple[float, ...], str]]:
    found = []
    for annotation in page.get("/Annots", []):
        action = annotation.get("/A")
        uri = str(action.get("/URI", "")) if action is not None else ""
        if uri.startswith(_LINK_SCHEME):
            x0, y0, x1, y1 = (float(v) for v in annotation.Rect)
            found.append(((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)), uri[len(_LINK_SCHEME):]))
    return found


def _codes(shown: bytes) -> list[int]:
    return [int(hexes[i:i + 4], 16) for hexes in _HEX.findall(shown) for i in range(0, len(hexes), 4)]


def _widths(descendant):
    """(glyph id, width) pairs of a CID font's ``/W``."""
    widths = list(descendant.get("/W", []))
    n = 0
    while n < len(widths):
        first = int(widths[n])
        if hasattr(widths[n + 1], "__len__") and not isinstance(widths[n + 1], (int, float)):
            for offset, width in enumerate(widths[n + 1]):
                yield first + offset, float(width)
            n += 2
        else:
            for glyph in range(first, int(widths[n + 1]) + 1):
                yield glyph, float(widths[n + 2])
            n += 3


def _widths_array(widths: dict[int, float]):
    import pikepdf

    array = []
    for glyph in sorted(widths):
        if array and glyph == array[-2] + len(array[-1]):
            array[-1].append(widths[glyph])
        else:
            array += [glyph, [widths[glyph]]]
    return pikepdf.Array([v if isinstance(v, int) else pikepdf.Array(v) for v in array])


def _to_unicode(cmap: bytes) -> dict[int, str]:
    text = cmap.decode("latin-1")
    found: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for code, value in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block):
            found[int(code, 16)] = bytes.fromhex(value).decode("utf-16-be", "replace")
    return found


def _to_unicode_cmap(text: dict[int, str]) -> bytes:
    lines = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
             "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
             "1 begincodespacerange", "<0000> <ffff>", "endcodespacerange"]
    items = sorted(text.items())
    for start in range(0, len(items), 100):
        batch = items[start:start + 100]
        lines.append(f"{len(batch)} beginbfchar")
        lines += [f"<{code:04x}> <{value.encode('utf-16-be').hex()}>" for code, value in batch]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("latin-1")

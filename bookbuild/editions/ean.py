"""The print ISBN as a bookshop's scanner reads it: an EAN-13 symbol with its five-digit
add-on (the price code), drawn as SVG rectangles, with the digits printed under it.

python-barcode encodes the ISBN (its bars and guard bars); it has no add-on, so the
add-on is encoded here from its standard (GS1 General Specifications, "EAN/UPC add-on
symbols"; ISO/IEC 15420), with python-barcode's own A and B digit patterns. Sizes are in
millimetres; every length is a whole number of modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from barcode import get_barcode_class
from barcode.charsets import ean as patterns

MODULE = 0.30  # mm: 91% of the nominal 0.33 mm (80% to 200% scan), so that the whole fits 2in
_LEFT_QUIET, _GAP, _ADDON_QUIET = 11, 9, 5  # modules: before the symbol, before the add-on (7 to 12), after it
_BARS = 18.0  # mm: the symbol's bars (22.85 nominal, truncated as books' barcodes are)
_GUARDS = 5 * MODULE  # the guard bars reach this much lower, between the digits
_TOP = 4.2  # mm above the bars: the "ISBN ..." line
_DIGITS = 2.4  # mm: the digits' height (their font size is a little more)
# The add-on's parity pattern by its check value: A is odd parity, B even (GS1).
_ADDON_PARITY = ("BBAAA", "BABAA", "BAABA", "BAAAB", "ABBAA", "AABBA", "AAABB", "ABABA", "ABAAB", "AABAB")


@dataclass(frozen=True)
class Label:
    text: str
    centre: float  # mm from the block's left edge
    baseline: float  # mm from its top
    kind: str  # "isbn" (the line above) or "digits"


@dataclass(frozen=True)
class Barcode:
    svg: str  # the bars, an inline SVG the size of the block
    labels: tuple[Label, ...]  # the digits, for the cover to set in its font
    width: float  # mm, quiet zones included
    height: float  # mm


def addon_modules(price_code: str) -> str:
    """The five-digit add-on as modules (1 bar, 0 space): start 1011, then each digit in
    the parity its check value asks for, separated by 01."""
    digits = [int(d) for d in price_code]
    check = (3 * (digits[0] + digits[2] + digits[4]) + 9 * (digits[1] + digits[3])) % 10
    parity = _ADDON_PARITY[check]
    return "1011" + "01".join(patterns.CODES[parity[n]][d] for n, d in enumerate(digits))


def ean13_modules(isbn: str) -> str:
    """The ISBN's EAN-13 symbol as modules: G for the guard bars, 1 for the others."""
    symbol = get_barcode_class("isbn13")(isbn, guardbar=True)
    if str(symbol) != isbn:
        raise ValueError(f"{isbn} has the wrong check digit")
    return symbol.build()[0]


def isbn_barcode(isbn: str, price_code: str) -> Barcode:
    main = ean13_modules(isbn)
    addon = addon_modules(price_code)
    addon_start = _LEFT_QUIET + len(main) + _GAP
    width_modules = addon_start + len(addon) + _ADDON_QUIET
    width, height = width_modules * MODULE, _TOP + _BARS + _GUARDS + _DIGITS
    rects = [_bars(main, _LEFT_QUIET, _TOP, lambda m: _BARS + (_GUARDS if m == "G" else 0.0))]
    addon_top = _TOP + _DIGITS + 1.2  # its digits go above it
    rects.append(_bars(addon, addon_start, addon_top, lambda m: _TOP + _BARS + _GUARDS - addon_top))
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" class="bars" width="{width:.3f}mm" height="{height:.3f}mm" '
           f'viewBox="0 0 {width:.3f} {height:.3f}">{"".join(rects)}</svg>')
    below = _TOP + _BARS + _GUARDS + _DIGITS  # the digits' baseline
    left_half = _LEFT_QUIET + 3  # after the start guard
    right_half = _LEFT_QUIET + 3 + 42 + 5  # after the centre guard
    labels = (
        Label(f"ISBN {isbn}", (_LEFT_QUIET + len(main) / 2) * MODULE, _TOP - 1.2, "isbn"),
        Label(isbn[0], (_LEFT_QUIET - 4) * MODULE, below, "digits"),
        Label(isbn[1:7], (left_half + 21) * MODULE, below, "digits"),
        Label(isbn[7:], (right_half + 21) * MODULE, below, "digits"),
        Label(price_code, (addon_start + len(addon) / 2) * MODULE, addon_top - 0.6, "digits"),
    )
    return Barcode(svg, labels, width, height)


def _bars(modules: str, first: int, top: float, height_of) -> str:
    """A rectangle for each run of bar modules, ``first`` modules from the left."""
    rects, start = [], None
    for n, module in enumerate(modules + "0"):
        if module != "0" and start is None:
            start = n
        elif start is not None and (module == "0" or module != modules[start]):
            x, w = (first + start) * MODULE, (n - start) * MODULE
            rects.append(f'<rect x="{x:.3f}" y="{top:.3f}" width="{w:.3f}" height="{height_of(modules[start]):.3f}" fill="#000"/>')
            start = n if module != "0" else None
    return "".join(rects)


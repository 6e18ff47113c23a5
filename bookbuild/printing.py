"""What each printer wants from the print edition, in one place.

``print.target`` in metadata.yaml picks a target; ``trim``, ``bleed`` and
``marks`` given in metadata.yaml override the target's defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_COLOR_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")  # Debian libgs-common (SWOP)


@dataclass(frozen=True)
class PrintTarget:
    name: str
    marks: str  # default crop marks: "crop" or "none"
    bleed_sides: str  # "all", or "outside": top, bottom and the outside edge (print on demand)
    pdfx: str  # the PDF/X conformance written: "PDF/X-1a:2003" or "PDF/X-1a:2001"
    bookmarks: bool
    links: bool  # link annotations (they never print; KDP wants none at all)
    even_pages: bool
    max_pages: int | None


TARGETS = {
    "generic": PrintTarget("generic", "crop", "all", "PDF/X-1a:2003", bookmarks=True, links=True,
                           even_pages=False, max_pages=None),
    "kdp": PrintTarget("kdp", "none", "outside", "PDF/X-1a:2003", bookmarks=False, links=False,
                       even_pages=False, max_pages=828),
    "ingramspark": PrintTarget("ingramspark", "none", "outside", "PDF/X-1a:2001", bookmarks=True, links=True,
                               even_pages=True, max_pages=None),
}

# KDP's minimum inside margin (gutter) by page count: (up to this many pages, inches).
GUTTER_TABLE = ((150, 0.375), (300, 0.5), (500, 0.625), (700, 0.75), (828, 0.875))
OUTSIDE_MARGIN_IN = 0.6
# Room for the reader's thumbs beyond the printer's minimum gutter.
INSIDE_MARGIN_EXTRA_IN = 0.25


def gutter_for(pages: int) -> float:
    """The minimum inside margin, in inches, for a book of ``pages`` pages (KDP's table)."""
    for up_to, inches in GUTTER_TABLE:
        if pages <= up_to:
            return inches
    return GUTTER_TABLE[-1][1]


def inside_margin_for(pages: int) -> float:
    return gutter_for(pages) + INSIDE_MARGIN_EXTRA_IN

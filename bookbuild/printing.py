"""What each printer wants from the print edition, in one place.

``print.target`` in metadata.yaml picks a target; ``trim``, ``bleed`` and
``marks`` given in metadata.yaml override the target's defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Colours are separated for SWOP (the printing condition registered as "CGATS TR 001")
# through Ghostscript's SWOP profile (Debian libgs-common). The profile is AGPL: it is used
# to convert, never embedded; the output intent names the registered condition instead,
# which PDF/X allows without a profile.
DEFAULT_COLOR_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")


@dataclass(frozen=True)
class PrintingCondition:
    """A printing condition of the ICC's characterization data registry."""

    identifier: str
    registry: str
    description: str


DEFAULT_CONDITION = PrintingCondition("CGATS TR 001", "http://www.color.org",
                                      "SWOP (Specifications for Web Offset Publications), coated paper")


@dataclass(frozen=True)
class PrintTarget:
    name: str
    marks: str  # default crop marks: "crop" or "none"
    bleed_sides: str  # "all", or "outside": top, bottom and the outside edge (print on demand)
    pdfx: str  # the PDF/X conformance written: "PDF/X-1a:2003" or "PDF/X-1a:2001"
    bookmarks: bool
    max_pages: int | None
    ink_limit: int  # the most ink, in percent of one solid ink, any colour may lay down


TARGETS = {
    "generic": PrintTarget("generic", "crop", "all", "PDF/X-1a:2003", bookmarks=True, max_pages=None, ink_limit=300),
    "kdp": PrintTarget("kdp", "none", "outside", "PDF/X-1a:2003", bookmarks=False, max_pages=828, ink_limit=300),
    "ingramspark": PrintTarget("ingramspark", "none", "outside", "PDF/X-1a:2001", bookmarks=True, max_pages=None,
                               ink_limit=240),
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

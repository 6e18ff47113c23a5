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


# Papers a book's interior may be printed on (``print.paper``); the spine's width comes from them.
PAPERS = ("white", "cream", "color")


@dataclass(frozen=True)
class CoverRules:
    """What a printer asks of a paperback's full-wrap cover (all lengths in inches)."""

    paper_thickness: tuple[tuple[str, float], ...]  # inches a page, by paper; empty: not published
    spine_text_from: int  # the fewest pages whose spine may carry text
    safe_margin: float  # text and barcode at least this far inside the trim and the spine folds
    spine_clearance: float = 0.0625  # spine text at least this far from each fold
    barcode_area: tuple[float, float] = (2.0, 1.2)  # width, height: the back cover's corner by the spine
    barcode_inset: float = 0.25  # the barcode area this far from the bottom trim and from the spine fold

    def thickness_of(self, paper: str) -> float | None:
        return dict(self.paper_thickness).get(paper)


# KDP's paper thickness, spine-text rule and barcode area: KDP Help, "Create a Paperback
# Cover" (white 0.002252in a page, cream 0.0025, premium colour 0.002347; text on the spine
# from 79 pages, 0.0625in clear of the folds; a 2 x 1.2in barcode area 0.25in from the bottom
# trim and the spine), the figures CreateSpace published before it (Pylons/pyramid,
# docs/coversizing.py). IngramSpark publishes its figures only in its cover template
# generator, behind an account: a book for it gives ``print.paper_thickness`` (README,
# "The print cover"); its help centre asks for cover text 0.25in inside the trim
# ("Manufacturing and File Setup Tips") and allows the spine a 1/16in variance.
KDP_PAPER = (("white", 0.002252), ("cream", 0.0025), ("color", 0.002347))
KDP_COVER = CoverRules(KDP_PAPER, spine_text_from=79, safe_margin=0.125)
INGRAMSPARK_COVER = CoverRules((), spine_text_from=48, safe_margin=0.25)


@dataclass(frozen=True)
class PrintTarget:
    name: str
    marks: str  # default crop marks: "crop" or "none"
    bleed_sides: str  # "all", or "outside": top, bottom and the outside edge (print on demand)
    pdfx: str  # the PDF/X conformance written: "PDF/X-1a:2003" or "PDF/X-1a:2001"
    bookmarks: bool
    max_pages: int | None
    ink_limit: int  # the most ink, in percent of one solid ink, any colour may lay down
    cover: CoverRules = KDP_COVER


TARGETS = {
    # A printer with no rules of its own gets KDP's, the strictest published ones.
    "generic": PrintTarget("generic", "crop", "all", "PDF/X-1a:2003", bookmarks=True, max_pages=None, ink_limit=300),
    "kdp": PrintTarget("kdp", "none", "outside", "PDF/X-1a:2003", bookmarks=False, max_pages=828, ink_limit=300),
    "ingramspark": PrintTarget("ingramspark", "none", "outside", "PDF/X-1a:2001", bookmarks=True, max_pages=None,
                               ink_limit=240, cover=INGRAMSPARK_COVER),
}

def paper_thickness(target: PrintTarget, paper: str, given: float) -> float:
    """Inches a page of the interior adds to the spine: the book's own figure, else the
    target's for the paper, else KDP's (a target that publishes none: metadata warns)."""
    return given or target.cover.thickness_of(paper) or dict(KDP_PAPER)[paper]


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

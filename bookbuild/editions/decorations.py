"""Folios and running heads: what a page shows in its margins depends on where it falls.

The page-margin boxes of the theme (``@top-left``, ``@bottom-center``, ...) are laid
out apart from the text, as the segment's sections with an empty page for each page
its text filled, each on the same side, with the page count starting at the
segment's first folio. When an edit moves the chapters after it, only these (a few
milliseconds a page) are laid out again, not their text. ``pdfjoin`` lays each over
its page, marked as an artifact for screen readers.
"""

from __future__ import annotations

from ..model import ResolvedBook
from .pagination import PageMap
from .segments import Segment, document, page_css
from .typeset import SegmentJob, SegmentLayout


def decoration_job(book: ResolvedBook, segment: Segment, layout: SegmentLayout, page_map: PageMap, n: int,
                    inside: float) -> SegmentJob:
    """The page-margin boxes of a segment's pages where it falls in the book: its sections,
    each with an empty page for every page its text filled, each on the same side (a
    segment starts on a right-hand page), so that the pages left blank come out the same."""
    starts = [layout.anchors[section] for section in segment.section_ids] + [layout.pages]
    sections = []
    for opening, start, end in zip(segment.openings, starts, starts[1:]):
        pages = "".join(f'<div style="break-before: {"right" if page % 2 == 0 else "left"}"></div>'
                        for page in range(start, end) if page not in layout.blank_pages)
        sections.append(opening + pages + "</section>")
    first_folio = 1 if segment.front else int(page_map.labels[page_map.first_pages[n] - 1])
    css = f"{page_css(book, inside)}\n@page :first {{ counter-reset: page {first_folio}; }}"
    first = page_map.first_pages[n] - 1
    return SegmentJob(document(book, "".join(sections)), css, tagged=False, folios=page_map.labels[first:first + layout.pages])



"""Where the segments fall in the book: physical pages, folios, and the page of each anchor.

Every segment begins on a right-hand (odd) page, after an empty left-hand page where
the one before ends on a right-hand page. The front matter is numbered in lower-case
roman numerals, the main matter from 1; a printed book has an even number of pages.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..pagemap import PageStart


@dataclass(frozen=True)
class PageMap:
    """Where the segments fall in the book, from their page counts and anchors."""

    first_pages: tuple[int, ...]  # physical page (from 1) on which each segment begins
    blank_before: tuple[bool, ...]  # an empty left-hand page before the segment
    labels: tuple[str, ...]  # the folio of each physical page
    label_of_anchor: dict[str, str]

    @property
    def total(self) -> int:
        return len(self.labels)


def place(front: list[bool], counts: list[int], anchors: list[dict[str, int]]) -> PageMap:
    """Segments in order, given which are front matter, their page counts and where their anchors are."""
    first_pages, blank_before = [], []
    page = 1  # the next physical page
    for n, count in enumerate(counts):
        blank = n > 0 and page % 2 == 0  # every segment begins on a right-hand (odd) page
        page += blank
        blank_before.append(blank)
        first_pages.append(page)
        page += count
    main = next((n for n, is_front in enumerate(front) if not is_front), len(front))
    first_main = first_pages[main] if main < len(front) else page
    labels = page_labels(page - 1, first_main)
    label_of_anchor = {anchor: labels[first_pages[n] - 1 + local]
                       for n, found in enumerate(anchors) for anchor, local in found.items()}
    return PageMap(tuple(first_pages), tuple(blank_before), labels, label_of_anchor)


def page_starts(starts_of_segments: list[tuple[PageStart, ...]], page_map: PageMap) -> tuple[PageStart, ...]:
    starts = []
    for segment_starts, first, blank in zip(starts_of_segments, page_map.first_pages, page_map.blank_before):
        if blank:
            starts.append(PageStart(first - 1, "", 0, ""))
        starts += [replace(s, page=first + s.page - 1) for s in segment_starts]
    return tuple(replace(s, label=page_map.labels[s.page - 1]) for s in starts)


def printed_labels(labels: tuple[str, ...]) -> tuple[str, ...]:
    """The folios of the printed book: a printed book has an even number of pages (its
    sheets have two sides), so one of an odd count ends with a blank left-hand page."""
    return labels + ((str(int(labels[-1]) + 1),) if len(labels) % 2 else ())


def page_labels(count: int, first_main: int) -> tuple[str, ...]:
    """Front matter in lower-case roman numerals, the main matter from 1."""
    return tuple(_roman(n) if n < first_main else str(n - first_main + 1) for n in range(1, count + 1))


def _roman(number: int) -> str:
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                           (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while number >= value:
            out += letters
            number -= value
    return out



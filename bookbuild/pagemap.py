"""The print edition's pages, found in the text, so the EPUB can carry them.

Both editions number the same text blocks of each part the same way
(``page_blocks``). After the print layout, ``find_page_starts`` reads which block
and which words begin each page; the EPUB then puts an invisible
``epub:type="pagebreak"`` marker at that place, and its page-list agrees with
the printed book.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

BLOCK_TAGS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "td", "th", "dt", "dd", "figcaption", "caption")
# Where a marker cannot stand beside the block, it goes inside it.
_NO_LOOSE_TEXT_IN = ("ul", "ol", "tr", "table", "thead", "tbody", "dl")
BLOCK_ATTRIBUTE = "data-pb"


@dataclass(frozen=True)
class PageStart:
    page: int  # physical, from 1
    part_id: str  # "" for a page with nothing the EPUB also has (a blank page, the printed contents)
    block: int  # index into page_blocks() of the part
    words: str  # the first words printed on the page
    label: str = ""  # the folio printed on it ("iv", "12")


def page_blocks(root: etree._Element) -> list[etree._Element]:
    """The text blocks of a part in document order: the numbering both editions share."""
    return [el for el in root.iter(*BLOCK_TAGS)]


def tag_blocks(root: etree._Element) -> None:
    for index, block in enumerate(page_blocks(root)):
        block.set(BLOCK_ATTRIBUTE, str(index))


def page_lines(page) -> Iterator[tuple[str, int | None, list[str]]]:
    """The lines of a laid-out WeasyPrint page's text (a page, or a page box as it is being
    made), in order, outside the running heads and footnotes: (part id, block index, the
    line's texts without generated content)."""
    from weasyprint.formatting_structure import boxes

    def visit(box, part: str, block: int | None):
        element = box.element
        if element is not None and not isinstance(box, boxes.TextBox):
            if element.tag == "section" and "part" in (element.get("class") or "").split():
                part = element.get("id") or ""
            if element.get(BLOCK_ATTRIBUTE) is not None:
                block = int(element.get(BLOCK_ATTRIBUTE))
        if isinstance(box, (boxes.MarginBox, boxes.FootnoteAreaBox)) or "::" in (box.element_tag or ""):
            return
        if isinstance(box, boxes.LineBox):
            yield part, block, [b.text for b in box.descendants()
                                if isinstance(b, boxes.TextBox) and "::" not in (b.element_tag or "")]
            return
        for child in getattr(box, "children", ()):
            yield from visit(child, part, block)

    yield from visit(getattr(page, "_page_box", page), "", None)


def find_page_starts(pages: list) -> list[PageStart]:
    """For each laid-out WeasyPrint page, the block and words it begins with."""
    starts = []
    for number, page in enumerate(pages, start=1):
        found = next(((part, block, " ".join("".join(texts).split()[:4]))
                      for part, block, texts in page_lines(page) if block is not None and "".join(texts).strip()), None)
        starts.append(PageStart(number, *found) if found else PageStart(number, "", 0, ""))
    return starts


@dataclass(frozen=True)
class Placement:
    part_id: str
    block: int
    words: str
    pages: tuple[str, ...]  # page labels in order; more than one where pages hold nothing of their own


def placements(starts: list[PageStart], parts: set[str]) -> list[Placement]:
    """Where each page goes in the EPUB. A page with nothing the EPUB has (a blank
    verso, the printed contents) is marked with the next page that has something."""
    placed: list[Placement] = []
    waiting: list[str] = []
    for start in starts:
        waiting.append(start.label or str(start.page))
        if start.part_id in parts:
            placed.append(Placement(start.part_id, start.block, start.words, tuple(waiting)))
            waiting = []
    if waiting and placed:
        last = placed[-1]
        placed[-1] = Placement(last.part_id, last.block, last.words, last.pages + tuple(waiting))
    return placed


def insert_page_markers(root: etree._Element, here: list[Placement], make_marker) -> None:
    """Put ``make_marker(page)`` where each page begins, in one part's tree."""
    blocks = page_blocks(root)
    searched_from: dict[int, int] = {}
    for placement in here:
        block = blocks[placement.block]
        offset = _text_offset(block, placement.words, searched_from.get(placement.block, 0))
        searched_from[placement.block] = offset + 1
        for page in placement.pages:
            marker = make_marker(page)
            if offset == 0 and block.getparent() is not None and block.getparent().tag not in _NO_LOOSE_TEXT_IN:
                block.addprevious(marker)
            else:
                _insert_at(block, offset, marker)


def _text_offset(block: etree._Element, words: str, start: int) -> int:
    """Where ``words`` begin in the block's text (at a word start), or 0 when not found."""
    text = "".join(block.itertext())
    if not words:
        return 0
    pattern = r"\s+".join(re.escape(w) for w in words.split())
    match = re.compile(pattern).search(text, start)
    if match is None:
        match = re.compile(re.escape(words.split()[0])).search(text, start)
    if match is None:
        return 0
    offset = match.start()
    while offset > 0 and (text[offset - 1].isalnum() or text[offset - 1] in "\u00ad-"):
        offset -= 1  # a page that begins inside a hyphenated word: mark the word's start
    return offset


def _insert_at(block: etree._Element, offset: int, marker: etree._Element) -> None:
    """Insert ``marker`` at character ``offset`` of the block's text."""
    seen = 0
    for node, is_tail in _text_nodes(block):
        value = node.tail if is_tail else node.text
        if seen + len(value) > offset:  # at a boundary, after markers already there
            cut = offset - seen
            marker.tail = value[cut:]
            if is_tail:
                node.tail = value[:cut]
                node.addnext(marker)
            else:
                node.text = value[:cut]
                node.insert(0, marker)
            return
        seen += len(value)
    block.append(marker)


def _text_nodes(element: etree._Element):
    if element.text:
        yield element, False
    for child in element:
        yield from _text_nodes(child)
        if child.tail:
            yield child, True


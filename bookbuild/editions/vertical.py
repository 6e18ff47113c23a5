"""Every page of running text ends at the foot of its text block, as TeX's \\flushbottom does.

Pages of a browser's layout end where their last whole line or block ended: a line held
back to avoid a widow, a heading kept with its paragraph or a figure that did not fit
leaves a page one or more lines short, and facing pages end at different depths. After
WeasyPrint has laid a segment's pages out (WeasyPrint 70, pinned: ``layout_document``,
before the pages' links and anchors are read), each page that is not the last of its
part is filled: the space it lacks is shared among the gaps between its blocks (more
above a heading, more around a figure or a list than between paragraphs), never inside a
paragraph, so lines stay whole and evenly spaced. A heading that begins a page loses the
space above it (CSS would keep it) and the page is filled from the foot instead.

A page whose shortfall is too large to share without gaping (more than
``MOST_A_GAP`` lines a gap), or that has no gap at all, is left as it is.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator

MOST_A_GAP = 0.3  # lines: the most space a gap between paragraphs may gain (twice as much around a
#                   figure, a list or a quotation, six times above a heading)
_HEADINGS = ("h2", "h3", "h4", "h5", "h6")
_BIG_BLOCKS = ("figure", "table", "pre", "blockquote", "ul", "ol", "hr", "div", "aside")
_DISPLAY_PAGES = ("halftitle", "titlepage", "copyright-page", "contents")


def fill_pages(pages: list) -> list:
    """The page boxes, each page of running text (a part's last page aside) filled to the
    foot of its text block."""
    for page in running_pages(pages):
        fill_page(page)
    return pages


def running_pages(pages: list) -> list:
    """The pages of running text that should end at the foot of their text block: not
    blank, and not the last page of a part (which is as short as its text)."""
    parts = [_parts_on(page) for page in pages]
    found = []
    for n, page in enumerate(pages):
        if not parts[n] or _blank(page):
            continue
        next_parts = parts[n + 1] if n + 1 < len(pages) else []
        if not next_parts or next_parts[0] != parts[n][-1] or _blank(pages[n + 1]):
            continue
        found.append(page)
    return found


_FLOATS = ("figure", "table", "pre")  # blocks kept whole, which may go after the text that follows them


def deferred_float(pages: list, n: int, root_box) -> bool:
    """Where page ``n`` ends short because the block that begins the next page (a figure, a
    table, a code block) did not fit in what was left, that block goes after the paragraph
    that follows it, in the document (``root_box``, the boxes pages are made from), so the
    paragraph fills page ``n`` and the block heads the next: as TeX floats a figure. True
    when the document was changed."""
    if n + 1 >= len(pages) or lines_short(pages[n]) < 2:
        return False
    box = pages[n + 1].children[0]
    while _tag(box) not in _FLOATS and _block_children(box):
        box = _block_children(box)[0]
    element = getattr(box, "element", None)
    if _tag(box) not in _FLOATS or element is None:
        return False
    for parent in root_box.descendants():
        children = getattr(parent, "children", None)
        if not isinstance(children, list):
            continue
        for index, child in enumerate(children[:-1]):
            if getattr(child, "element", None) is element and "::" not in (child.element_tag or ""):
                following = children[index + 1]
                if _tag(following) != "p":
                    return False  # not past a heading (another section's), nor another float
                children[index], children[index + 1] = following, child
                return True
    return False


def lines_short(page) -> int:
    """How many whole lines of running text a (filled) page lacks at its foot."""
    flow = page.children[0]
    leaves = list(_leaf_blocks(flow))
    if not leaves or any(_classes(box) & set(_DISPLAY_PAGES) for box in _ancestors_with_class(flow)):
        return 0
    shortfall = _foot(page) - _content_bottom(leaves[-1])
    return int(shortfall / _line_height(flow) + 0.05) if shortfall > 0 else 0


def fill_page(page) -> float:
    """Fill one page: the space gained, in CSS pixels (0 when it was left as it is)."""
    flow = page.children[0]
    leaves = list(_leaf_blocks(flow))
    if not leaves:
        return 0.0
    if any(_classes(box) & set(_DISPLAY_PAGES) for box in _ancestors_with_class(flow)):
        return 0.0
    top = page.content_box_y()
    first = leaves[0]
    if _tag(first) in _HEADINGS:
        raised = first.border_box_y() - top
        if raised > 0.5:
            flow.translate(dy=-raised)
    foot = _foot(page)
    last = leaves[-1]
    bottom = _content_bottom(last)
    shortfall = foot - bottom
    if shortfall < 0.5:
        return 0.0
    line = _line_height(flow)
    gaps = _gaps(flow)
    after_head = [box for box, before in _gaps_after(flow) if "part-head" in _classes(before)]
    if after_head and shortfall < line:
        # A chapter's opening page: the space its title took is no whole number of lines;
        # what is left over goes under the title, and the text below sits on the lines of
        # the pages that follow.
        share = {id(after_head[0]): shortfall}
    else:
        weight = sum(w for _, w in gaps)
        if not weight or shortfall / weight > MOST_A_GAP * line:
            return 0.0
        share = {id(box): shortfall * w / weight for box, w in gaps}
    _spread(flow, share)
    return shortfall


def _foot(page) -> float:
    """Where the page's running text may end: the top of its footnotes, or of its bottom margin."""
    from weasyprint.formatting_structure import boxes

    notes = next((child for child in page.children if isinstance(child, boxes.FootnoteAreaBox)), None)
    if notes is not None and notes.children:
        return notes.position_y
    return page.content_box_y() + page.height


def _spread(box, share: dict[int, float]) -> float:
    """Move each block down by the shares of the gaps above it; the height added inside."""
    added = 0.0
    for child in _block_children(box):
        added += share.get(id(child), 0.0)
        if added:
            child.translate(dy=added)
        inner = _spread(child, share)
        if inner:
            child.height += inner
            added += inner
    return added


def _gaps(flow) -> list[tuple[object, float]]:
    """Each block that has a block before it in the same container, with its gap's weight."""
    found = []

    def visit(box) -> None:
        children = _block_children(box)
        for before, child in zip(children, children[1:]):
            if _tag(child) in _HEADINGS or "part-head" in _classes(child):
                found.append((child, 6.0))
            elif _tag(child) in _BIG_BLOCKS or _tag(before) in _BIG_BLOCKS:
                found.append((child, 2.0))
            else:
                found.append((child, 1.0))
        for child in children:
            visit(child)

    visit(flow)
    return found


def _gaps_after(flow) -> list[tuple[object, object]]:
    """Each block that has a block before it in the same container, with that block."""
    found = []

    def visit(box) -> None:
        children = _block_children(box)
        found.extend((child, before) for before, child in zip(children, children[1:]))
        for child in children:
            visit(child)

    visit(flow)
    return found


def _block_children(box) -> list:
    from weasyprint.formatting_structure import boxes

    return [child for child in getattr(box, "children", ())
            if isinstance(child, boxes.BlockLevelBox) and child.is_in_normal_flow()]


def _leaf_blocks(box) -> Iterator:
    children = _block_children(box)
    if not children:
        yield box
        return
    for child in children:
        yield from _leaf_blocks(child)


def _content_bottom(box) -> float:
    """Where a block's visible content ends (its last line, or its border box: margins at
    the foot of a page do not count)."""
    from weasyprint.formatting_structure import boxes

    lines = [child for child in box.children if isinstance(child, boxes.LineBox)] if hasattr(box, "children") else []
    if lines:
        last = lines[-1]
        return last.position_y + last.height
    return box.border_box_y() + box.border_height()


def _line_height(flow) -> float:
    from weasyprint.formatting_structure import boxes

    heights = [b.height for b in flow.descendants() if isinstance(b, boxes.LineBox) and b.height > 0]
    return statistics.median(heights) if heights else 20.0


def _parts_on(page) -> list[str]:
    """The ids of the parts (``section.part``) a page holds text of, in order."""
    found = []
    for box in page.children[0].descendants():
        element = getattr(box, "element", None)
        if (element is not None and _tag(box) == "section" and "part" in _classes(box)
                and getattr(box, "children", None)):
            part = element.get("id") or ""
            if not found or found[-1] != part:
                found.append(part)
    return found


def _ancestors_with_class(flow) -> list:
    return [box for box in flow.descendants() if _tag(box) == "section"]


def _blank(page) -> bool:
    return bool(getattr(page, "page_type", None) and page.page_type.blank)


def _tag(box) -> str:
    element = getattr(box, "element", None)
    tag = getattr(element, "tag", "") if element is not None and "::" not in (box.element_tag or "") else ""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _classes(box) -> set[str]:
    element = getattr(box, "element", None)
    return set((element.get("class") or "").split()) if element is not None else set()

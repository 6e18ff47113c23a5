"""The segments of the PDFs and the HTML each is laid out from.

A segment is a run of the book that begins on a right-hand page: the front matter
(with the half-title, the title and copyright pages and the printed contents), then
each chapter and each back-matter part on its own. Each is laid out alone
(``layouts``), so a segment's HTML holds everything it prints: the page numbers of
what it refers to (``data-page``, filled in from the page map), its first folio.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from html import escape, unescape

from lxml import etree
from lxml import html as lxml_html

from .. import generated, ids, printing
from ..model import PartKind, ResolvedBook, ResolvedPart
from ..pagemap import tag_blocks
from ..words import Words, words_for
from .pagination import PageMap
from .finishing import LINK_SCHEME
from .typeset import SegmentJob

_PAGE_OF = re.compile(r'data-page-of="([^"]*)"')
_MARGIN_BOXES = ("top-left-corner", "top-left", "top-center", "top-right", "top-right-corner", "bottom-left-corner",
                 "bottom-left", "bottom-center", "bottom-right", "bottom-right-corner", "left-top", "left-middle",
                 "left-bottom", "right-top", "right-middle", "right-bottom")
# The text is laid out without the page-margin boxes: folios and running heads depend on
# where a segment falls in the book, and are laid out apart (``decorations``).
_NO_MARGIN_BOXES = "@page { " + " ".join(f"@{box} {{ content: none !important; }}" for box in _MARGIN_BOXES) + " }"
_OPENING_TAG = re.compile(r"<section\b[^>]*>")


_LINK = re.compile(r'href="' + LINK_SCHEME + '([^"]*)"')


@dataclass(frozen=True)
class Segment:
    first_part: str  # the id of its first part: how a segment is known from one build to the next
    front: bool  # the front matter: folios in roman numerals
    body: str  # its sections' HTML for print, page numbers still to fill in (data-page-of)
    openings: tuple[str, ...]  # the opening tag of each of its sections
    section_ids: tuple[str, ...]
    anchors: frozenset[str]  # every anchor in its parts
    estimated_pages: int  # a first guess at its length; its layout says how long it really is
    estimated_starts: tuple[int, ...]  # a first guess at the page (from 0) each of its sections starts on

    @property
    def prints_page_numbers(self) -> bool:
        return "data-page-of=" in self.body

    @property
    def linked_anchors(self) -> tuple[str, ...]:
        """The anchors in other segments its links lead to (``finishing`` says their pages)."""
        return tuple(sorted({unescape(anchor) for anchor in _LINK.findall(self.body)}))

    def estimated_anchors(self) -> dict[str, int]:
        """A first guess at the page (from 0) of each anchor: where its section starts, and
        as far into it as the text before it fills pages."""
        offsets = [self.body.index(opening) for opening in self.openings]
        found = {}
        for match in _ID.finditer(self.body):
            if match.group(1) in self.anchors:
                section = max(n for n, start in enumerate(offsets) if start <= match.start())
                before = self.body[offsets[section]:match.start()]
                found[match.group(1)] = self.estimated_starts[section] + int(_estimated_fill(before))
        return {anchor: found.get(anchor, 0) for anchor in self.anchors}


def plan(book: ResolvedBook) -> list[Segment]:
    """The front matter (with the half-title and the printed contents), then each chapter
    and back-matter part on its own."""
    runs: list[list[ResolvedPart]] = [[]]
    for part in book.parts:
        if part.kind in (PartKind.CHAPTER, PartKind.BACK) and runs[-1]:
            runs.append([])
        runs[-1].append(part)
    segments = []
    words = words_for(book.metadata.language)
    for n, run in enumerate(runs):
        front = n == 0 and run[0].kind is not PartKind.CHAPTER
        sections = [_half_title(book)] if n == 0 else []
        for part in run:
            sections.append(_for_pdf(part, words))
            if part.part_id == "front-copyright":
                sections.append(_contents(book, words))
        body = "".join(sections)
        openings = tuple(_OPENING_TAG.match(section).group(0) for section in sections)
        section_ids = tuple(re.search(r'\bid="([^"]*)"', opening).group(1) for opening in openings)
        anchors = frozenset(a for part in run for a in part.anchors) | frozenset(section_ids)
        pages, starts = _segment_pages(sections)
        segments.append(Segment(run[0].part_id, front, body, openings, section_ids, anchors, pages, starts))
    return segments


# A section's pages in the default theme, fitted on the sample and on generated books
# (within two thirds of a page): an opening's worth of title and space, the text, and what
# each picture, block (paragraph, list item, heading, table row) and footnote adds.
_OPENING_PAGES = 0.83
_CHARACTERS_A_PAGE = 2780
_PAGES_A_PICTURE = 0.43
_PAGES_A_BLOCK = 0.027
_PAGES_A_FOOTNOTE = 0.047
_BLOCK = re.compile(r"<(?:p|li|h[2-6]|tr|pre|blockquote)\b")
_CONTENTS_OPENING, _CONTENTS_ENTRY, _TEXT_HEIGHT = 144, 18.8, 536  # points, at 6x9in
_TAGS = re.compile(r"<[^>]+>")
_ID = re.compile(r'\bid="([^"]*)"')


def _segment_pages(sections: list[str]) -> tuple[int, tuple[int, ...]]:
    """A segment's pages and where each section starts, as a first guess: its sections one
    after the other, each on a right-hand page (the copyright page on a left-hand one),
    after a blank page if need be. Only the widths of the page numbers printed from these
    guesses matter (and the gutter, which grows with the page count); a wrong width costs a
    chapter a second layout."""
    pages, starts = 0, []
    for n, section in enumerate(sections):
        left = "copyright-page" in _OPENING_TAG.match(section).group(0)
        if n and pages % 2 == (0 if left else 1):  # the next page (from 0: even is right-hand) is on the wrong side
            pages += 1
        starts.append(pages)
        if 'id="front-contents"' in section:  # a line an entry, under a heading
            pages += math.ceil((_CONTENTS_OPENING + _CONTENTS_ENTRY * section.count("<li")) / _TEXT_HEIGHT)
        else:
            pages += max(1, math.floor(_OPENING_PAGES + _estimated_fill(section) + 0.6))  # a part-filled page: up from 0.4
    return pages, tuple(starts)


def _estimated_fill(html: str) -> float:
    """How many pages of text, pictures and notes ``html`` fills."""
    text = " ".join(_TAGS.sub(" ", html).split())
    return (len(text) / _CHARACTERS_A_PAGE + _PAGES_A_PICTURE * html.count("<img")
            + _PAGES_A_BLOCK * len(_BLOCK.findall(html)) + _PAGES_A_FOOTNOTE * html.count('class="footnote'))


def text_job(book: ResolvedBook, segment: Segment, page_map: PageMap, inside: float, exact: bool = False) -> SegmentJob:
    """The text of a segment, with the page numbers it prints from ``page_map``."""
    labels = {anchor: page_map.label_of_anchor.get(anchor, "?") for anchor in _PAGE_OF.findall(segment.body)}
    body = _PAGE_OF.sub(lambda m: f'data-page="{escape(labels[m.group(1)])}"', segment.body)
    return SegmentJob(document(book, body), page_css(book, inside) + "\n" + _NO_MARGIN_BOXES, labels=labels,
                      exact_numbers=exact)


# --- the HTML of a segment ------------------------------------------------------------


def document(book: ResolvedBook, body: str) -> str:
    meta = book.metadata
    title = words_for(meta.language).say("draft_title", title=meta.title) if book.draft else meta.title
    date = ids.build_date(meta).strftime("%Y-%m-%dT%H:%M:%SZ")
    created = (f'<meta name="dcterms.created" content="{date}"/><meta name="dcterms.modified" content="{date}"/>')
    return (
        f'<!DOCTYPE html><html lang="{escape(meta.language)}"><head><meta charset="utf-8"/>'
        f"<title>{escape(meta.title)}</title>"
        f'<meta name="author" content="{escape(", ".join(meta.authors))}"/>'
        f'<meta name="description" content="{escape(meta.description)}"/>{created}'
        f'</head><body data-book-title="{escape(title)}">{body}</body></html>'
    )


def _half_title(book: ResolvedBook) -> str:
    return (f'<section id="front-half-title" class="part halftitle" data-title="">'
            f'<p class="half-title">{escape(book.metadata.title)}</p></section>')


def _contents(book: ResolvedBook, words: Words) -> str:
    """The printed contents: a chapter's number in a column of its own, its title hanging
    after it, and the title's last word held together with the leader and page number
    (``.toc-end``), so that a number never stands alone on a line."""
    items = []
    for part in book.parts:
        if part.in_contents:
            entry = part.toc[0]
            number, title = "", entry.text
            if part.kind is PartKind.CHAPTER and ". " in title:
                number, title = title.split(". ", 1)
                number += "."
            head, _, last = title.rpartition(" ")
            items.append(f'<li class="toc-{part.kind.value}"><a href="{LINK_SCHEME}{entry.anchor}">'
                         f'<span class="toc-number">{escape(number)}</span>{escape(head)}{" " if head else ""}'
                         f'<span class="toc-end" data-page-of="{entry.anchor}">{escape(last)}</span></a></li>')
    title = escape(words["contents"])
    return (
        f'<section id="front-contents" class="part contents front" data-title="{title}">'
        f'<header class="part-head"><h1 class="part-title" data-label="{title}"><span class="title-text">{title}</span></h1></header>'
        f'<ol class="toc">{"".join(items)}</ol></section>'
    )


def _for_pdf(part: ResolvedPart, words: Words) -> str:
    """Footnotes to the foot of their page, web addresses into footnotes too; links
    within the book go through ``pdfjoin``, and cross-references ask for a page number
    (``data-page-of``), with the words around it in the book's language."""
    before, after = words.around("page_reference", "page")
    root = lxml_html.fragment_fromstring(part.html)
    tag_blocks(root)
    notes_section, items = generated.endnotes(root)
    if notes_section is not None:
        notes = {li.get("id"): li for li in items}
        for ref in list(root.iter("a")):
            if "footnote-ref" not in ref.get("class", ""):
                continue
            note = notes.get(ref.get("href", "").lstrip("#"))
            if note is None:
                continue
            for back in list(note.iter("a")):
                if "footnote-back" in back.get("class", ""):
                    back.drop_tree()
            footnote = lxml_html.Element("span", {"class": "footnote", "id": ref.get("id", "")})
            _move_inline_content(note, footnote)
            ref.addprevious(footnote)
            footnote.tail = ref.tail
            ref.getparent().remove(ref)
        notes_section.drop_tree()
    for link in list(root.iter("a")):
        href = link.get("href", "")
        if href.startswith("#") and len(href) > 1:
            link.set("href", LINK_SCHEME + href[1:])
            if "xref" in link.get("class", "").split():
                link.set("data-page-of", href[1:])
                link.set("data-page-before", before)
                link.set("data-page-after", after)
        elif "external" in link.get("class", "").split() and href.removeprefix("mailto:") != link.text_content().strip():
            url_note = lxml_html.Element("span", {"class": "footnote url"})
            url_note.text = href.removeprefix("mailto:")
            url_note.tail = link.tail
            link.tail = None
            link.addnext(url_note)
    return etree.tostring(root, method="xml", encoding="unicode")


def _move_inline_content(note: etree._Element, target: etree._Element) -> None:
    """A footnote is inline in the text it belongs to: its paragraphs become runs of text."""
    blocks = [child for child in note if child.tag == "p"] or [note]
    for n, block in enumerate(blocks):
        if n:
            etree.SubElement(target, "br")
        last = target[-1] if len(target) else None
        if block.text:
            if last is None:
                target.text = (target.text or "") + block.text
            else:
                last.tail = (last.tail or "") + block.text
        for child in list(block):
            target.append(child)


def page_css(book: ResolvedBook, inside: float) -> str:
    """Trim size and bleed from the metadata; mirrored margins with the gutter inside.
    Crop marks are drawn later, in a slug outside the bleed (``press_ready``)."""
    settings = book.metadata.print
    outside = printing.OUTSIDE_MARGIN_IN
    size = f"size: {settings.trim_width} {settings.trim_height}; bleed: {settings.bleed}; marks: none;"
    return (f"@page {{ {size} }}\n"
            f"@page :left {{ margin-left: {outside}in; margin-right: {inside}in; }}\n"
            f"@page :right {{ margin-left: {inside}in; margin-right: {outside}in; }}")

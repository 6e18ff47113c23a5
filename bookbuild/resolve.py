"""Resolve: the one step that sees the whole book.

Checks every cross-reference and image, namespaces ids per part, points links at
book-wide anchors (``#c045-final-thoughts``), fills empty link texts, and
collects every problem before anything is rendered.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from html import escape
from urllib.parse import unquote

from lxml import etree
from lxml import html as lxml_html

from . import generated, glyphs, ids
from .gather import MANUSCRIPT
from .model import (
    Book, Image, ImageRef, LinkRef, ParsedPart, PartKind, Problem, ResolvedBook, ResolvedPart,
    TocEntry, did_you_mean, error, raise_if_errors, warning,
)
from .metadata import METADATA_FILE
from .resources import MAX_FILE_BYTES, ResourceRefused, book_resource, read_inside
from .svg import SVG_TYPE, SvgRefused, sanitize_svg
from .words import BASE, Words, words_for

_EXTERNAL = re.compile(r"^(https?|mailto|ftp|tel):", re.IGNORECASE)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_CHAPTER_FILE = re.compile(r"^(\d{1,4})(?:[-_. ].*)?\.md$")
_WIKI_TARGET = re.compile(r"^\s*(\d{1,4})?\s*(?:#(.*))?$")
NO_ALT_TEXT = "no alt text: shown as decorative; describe it if it carries meaning"


@dataclass(frozen=True)
class _Target:
    anchor: str  # empty when the link must be unlinked
    text: str  # what an empty link shows


class _Index:
    """What every part may refer to."""

    def __init__(self, book: Book, parts: list[ParsedPart]):
        self.by_number = {p.source.number: p for p in parts if p.source.number is not None}
        self.by_path = {p.source.path: p for p in parts}
        self.drafts = book.drafts_left_out
        self.words = words_of(book)

    def target(self, part: ParsedPart, link: LinkRef) -> _Target | str:
        """The anchor a link lands on, or a message saying why it does not resolve."""
        if link.wikilink:
            match = _WIKI_TARGET.match(link.target)
            if not match or (match.group(1) is None and not match.group(2)):
                return f"[[{link.target}]] is not a chapter reference: write [[N]], [[N#section-id]] or [[N|text]]"
            number, fragment = match.group(1), match.group(2)
            if number is None:
                return self._in_part(part, part, fragment, f"[[{link.target}]]")
            return self._in_chapter(part, int(number), fragment, f"[[{link.target}]]")

        path, _, fragment = link.target.partition("#")
        shown = f"({link.target})"
        if not path:
            return self._in_part(part, part, unquote(fragment), shown)
        relative = posixpath.normpath(posixpath.join(posixpath.dirname(part.source.path), unquote(path)))
        if not relative.endswith(".md"):
            return f"link to `{link.target}` is neither a chapter nor a web address: link to a chapter's .md file, or use a full https:// URL"
        if relative in self.by_path:
            return self._in_part(part, self.by_path[relative], unquote(fragment), shown)
        folder, name = posixpath.split(relative)
        match = _CHAPTER_FILE.match(name)
        if folder == MANUSCRIPT and match:
            return self._in_chapter(part, int(match.group(1)), unquote(fragment), shown)
        return f"no file `{relative}` in the book (referenced as {shown}){did_you_mean(relative, self.by_path)}"

    def _in_chapter(self, part: ParsedPart, number: int, fragment: str | None, shown: str) -> _Target | str:
        target = self.by_number.get(number)
        if target is None:
            if number in self.drafts:
                return _Target("", self.words.say("chapter_number", number=number))
            return f"no chapter {number} (referenced as {shown})"
        return self._in_part(part, target, fragment, shown)

    def _in_part(self, part: ParsedPart, target: ParsedPart, fragment: str | None, shown: str) -> _Target | str:
        title = generated.display_title(target.source)
        if not fragment:
            return _Target(target.source.part_id, title)
        if fragment not in target.ids:
            where = "this file" if target is part else (f"chapter {target.source.number}" if target.source.number is not None else target.source.path)
            hint = did_you_mean(fragment, target.ids, lambda known: f"`#{known}`")
            return f"no section `#{fragment}` in {where} (referenced as {shown}){hint}"
        heading = next((h.text for h in target.headings if h.id == fragment), fragment)
        text = heading if target is part else self.words.say("section_of", title=title, heading=heading)
        return _Target(ids.anchor(target.source.part_id, fragment), text)


def words_of(book: Book) -> Words:
    """The words of the book's language (English while metadata.yaml has errors: they stop the build)."""
    return words_for(book.metadata.language if book.metadata is not None else BASE)


def resolve(book: Book, parsed: list[ParsedPart], strict: bool = False) -> ResolvedBook:
    """Resolve every part; raises BookError listing every broken reference in the book."""
    index = _Index(book, parsed)
    problems: list[Problem] = list(book.problems) + [p for part in parsed for p in part.problems]
    images: dict[str, Image] = {}
    resolved = [_resolve_part(part, index, book, images, problems) for part in parsed]
    problems.extend(glyphs.problems(book, parsed))
    if book.metadata is not None and book.metadata.cover:
        images[book.metadata.cover] = cover = Image(*book_resource(book.root, "", book.metadata.cover))
        problems.extend(_svg_removals(book, cover.path, cover.path, cover.media_type, METADATA_FILE, *_cover_line(book)))
    raise_if_errors(problems, strict)
    assert book.metadata is not None  # metadata.yaml errors are among the problems raised above

    credits = [(generated.display_title(p.source), p.source.image_credit) for p in parsed if p.source.image and p.source.image_credit]
    front = [r for r in resolved if r.kind is PartKind.FRONT]
    chapters = [r for r in resolved if r.kind is PartKind.CHAPTER]
    back = [r for r in resolved if r.kind is PartKind.BACK]
    if credits:
        back.append(generated.image_credits(credits, index.words))
    opening = [generated.title_page(book.metadata, book.drafts), generated.copyright_page(book.metadata)]
    return ResolvedBook(
        root=book.root,
        metadata=book.metadata,
        parts=tuple(opening + front + chapters + back),
        images=tuple(images[k] for k in sorted(images)),
        problems=tuple(sorted(problems)),
        draft=book.drafts,
    )


def _resolve_part(part: ParsedPart, index: _Index, book: Book, images: dict[str, Image], problems: list[Problem]) -> ResolvedPart:
    source = part.source
    pid = source.part_id
    root = lxml_html.fragment_fromstring(part.html, create_parent="div") if part.html.strip() else lxml_html.Element("div")

    for element in root.iter():
        if isinstance(element.tag, str) and element.get("id"):
            element.set("id", ids.anchor(pid, element.get("id")))

    links = {str(link.index): link for link in part.links}
    for a in list(root.iter("a")):
        classes = a.get("class", "")
        if "footnote-ref" in classes or "footnote-back" in classes:
            a.set("href", "#" + ids.anchor(pid, a.get("href", "#").lstrip("#")))
            continue
        link = links.get(a.attrib.pop("data-ref", ""))
        if link is None:
            continue
        _resolve_link(a, link, part, index, problems)

    image_refs = {str(img.index): img for img in part.images}
    for img in root.iter("img"):
        ref = image_refs.get(img.attrib.pop("data-img", ""))
        if ref is not None:
            _resolve_image(img, ref, source.path, book, images, problems)

    opening = ""
    if source.image:
        try:
            path, kind = book_resource(book.root, source.path, source.image)
            images[path] = Image(path, kind)
            problems.extend(_svg_removals(book, path, source.image, kind, source.path, source.image_line, 1))
            opening = (f'<figure class="opening-image"><img src="{escape(path)}" alt="{escape(source.image_alt)}"/></figure>')
        except ResourceRefused as refused:
            problems.append(error(source.path, source.image_line, 1, str(refused)))

    body = "".join(etree.tostring(child, method="xml", encoding="unicode") for child in root)
    if root.text and root.text.strip():
        body = f"<p>{escape(root.text)}</p>" + body
    sections = [h for h in part.headings if h.level == 2]
    html = generated.part_section(source, opening, sections, body, index.words)
    toc = (TocEntry(pid, generated.display_title(source), 1),) + tuple(
        TocEntry(ids.anchor(pid, h.id), h.text, 2) for h in sections
    )
    anchors = frozenset([pid] + [ids.anchor(pid, i) for i in part.ids])
    return ResolvedPart(
        part_id=pid,
        kind=source.kind,
        title=generated.display_title(source),
        html=html,
        toc=toc,
        anchors=anchors,
        epub_type=generated.epub_type(source),
    )


def _resolve_link(a: etree._Element, link: LinkRef, part: ParsedPart, index: _Index, problems: list[Problem]) -> None:
    path = part.source.path
    if _EXTERNAL.match(link.target):
        a.set("class", (a.get("class", "") + " external").strip())
        if not link.has_text:
            a.text = link.target.removeprefix("mailto:")
        return
    if _SCHEME.match(link.target):
        problems.append(error(path, link.line, link.col, f"link to `{link.target}` is not allowed: links may go to chapters or to http, https and mailto addresses"))
        return
    target = index.target(part, link)
    if isinstance(target, str):
        problems.append(error(path, link.line, link.col, target))
        return
    if not target.anchor:
        problems.append(warning(path, link.line, link.col, f"{target.text} is a draft left out of this build: the link is shown as plain text (build with --drafts to include it)"))
        a.tag = "span"
        a.attrib.clear()
        if not link.has_text:
            a.text = target.text
        return
    a.set("href", "#" + target.anchor)
    a.set("class", "xref")
    a.attrib.pop("title", None)
    if not link.has_text:
        for child in list(a):
            a.remove(child)
        a.text = target.text


def _svg_removals(book: Book, image: str, written: str, kind: str, path: str, line: int, col: int) -> list[Problem]:
    """What sanitising an SVG image removes (every edition gets the sanitised bytes), each
    a warning at the place that uses the image (``written`` as it is written there); a
    file that is no SVG at all is an error."""
    if kind != SVG_TYPE:
        return []
    try:
        removed = sanitize_svg(read_inside(book.root, book.root / image, MAX_FILE_BYTES)).removed
    except SvgRefused as refused:
        return [error(path, line, col, f"`{written}` {refused}")]
    return [warning(path, line, col, f"`{written}`: {message}") for message in removed]


def _cover_line(book: Book) -> tuple[int, int]:
    lines = (book.root / METADATA_FILE).read_text(encoding="utf-8-sig").splitlines()
    return next(((n, 1) for n, text in enumerate(lines, start=1) if text.startswith("cover:")), (1, 1))


def _resolve_image(img: etree._Element, ref: ImageRef, path: str, book: Book, images: dict[str, Image], problems: list[Problem]) -> None:
    try:
        relative, kind = book_resource(book.root, path, ref.src)
    except ResourceRefused as refused:
        problems.append(error(path, ref.line, ref.col, str(refused)))
        img.set("src", "")
        return
    images[relative] = Image(relative, kind)
    img.set("src", relative)
    problems.extend(_svg_removals(book, relative, ref.src, kind, path, ref.line, ref.col))
    if not ref.alt.strip():  # decorative: README, "Choices where the contract is silent"
        img.set("alt", "")
        problems.append(warning(path, ref.line, ref.col, NO_ALT_TEXT))

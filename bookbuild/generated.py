"""The HTML every edition shares: part sections and the pages the build writes itself
(title page, copyright page, image credits)."""

from __future__ import annotations

from html import escape

from . import ids
from .model import Heading, Metadata, PartKind, ResolvedPart, SourceFile, TocEntry

# File-name words that say what a front or back matter part is (EPUB 3 structural semantics).
_KNOWN_TYPES = ("introduction", "preface", "foreword", "prologue", "epilogue", "afterword",
                "acknowledgments", "dedication", "epigraph", "conclusion", "appendix", "glossary",
                "bibliography", "colophon")
# The DPUB-ARIA role for each structural type, where one exists.
_ROLES = {t: f"doc-{t}" for t in _KNOWN_TYPES if t not in ("dedication", "prologue", "glossary")} | {
    "chapter": "doc-chapter", "dedication": "doc-dedication", "prologue": "doc-prologue",
    "glossary": "doc-glossary", "credits": "doc-credits",
}


def display_title(source: SourceFile) -> str:
    """How a part is named in the contents and in auto-filled links: ``45. Listen first``."""
    if source.kind is PartKind.CHAPTER:
        return f"{source.number}. {source.title}"
    return source.title


def epub_type(source: SourceFile) -> str:
    if source.kind is PartKind.CHAPTER:
        return "chapter"
    stem = source.path.rsplit("/", 1)[-1].lower().replace("acknowledgements", "acknowledgments")
    title = source.title.lower().replace("acknowledgements", "acknowledgments")
    for known in _KNOWN_TYPES:
        if known in stem or known in title:
            return known
    return "frontmatter" if source.kind is PartKind.FRONT else "backmatter"


def _section_open(part_id: str, kind: str, title: str, extra_class: str = "") -> str:
    role = _ROLES.get(kind)
    role_attr = f' role="{role}"' if role else ""
    classes = " ".join(c for c in ("part", kind, extra_class) if c)
    return (f'<section id="{part_id}" class="{classes}" epub:type="{kind}"{role_attr} '
            f'data-title="{escape(title)}">')


def part_section(source: SourceFile, opening_image: str, sections: list[Heading], body: str) -> str:
    kind = epub_type(source)
    number = ""
    if source.kind is PartKind.CHAPTER:
        number = f'<span class="chapter-number">{source.number}</span> '
    heading = (f'<h1 class="part-title" data-label="{escape(display_title(source))}">{number}'
               f'<span class="title-text">{escape(source.title)}</span></h1>')
    subtitle = f'<p class="subtitle" role="doc-subtitle">{escape(source.subtitle)}</p>' if source.subtitle else ""
    contents = ""
    if source.contents and sections:
        items = "".join(
            f'<li><a href="#{ids.anchor(source.part_id, h.id)}">{escape(h.text)}</a></li>' for h in sections
        )
        contents = (f'<nav class="in-this-chapter" aria-label="In this chapter">'
                    f'<p class="label">In this chapter</p><ul>{items}</ul></nav>')
    return (f'{_section_open(source.part_id, kind, source.running_head or source.title, source.kind.value)}'
            f'<header class="part-head">{heading}{subtitle}</header>'
            f'{opening_image}{contents}{body}</section>')


def _generated(part_id: str, kind: PartKind, epub: str, title: str, html: str, in_contents: bool) -> ResolvedPart:
    return ResolvedPart(
        part_id=part_id,
        kind=kind,
        title=title,
        html=html,
        toc=(TocEntry(part_id, title, 1),),
        anchors=frozenset([part_id]),
        epub_type=epub,
        in_contents=in_contents,
    )


DRAFT_LINE = "Draft: not for publication"


def title_page(metadata: Metadata, draft: bool = False) -> ResolvedPart:
    part_id = "front-title-page"
    lines = [f'<h1 class="book-title">{escape(metadata.title)}</h1>']
    if draft:
        lines.insert(0, f'<p class="draft-mark">{DRAFT_LINE}</p>')
    if metadata.subtitle:
        lines.append(f'<p class="book-subtitle" role="doc-subtitle">{escape(metadata.subtitle)}</p>')
    lines.append(f'<p class="book-author">{escape(_names(metadata.authors))}</p>')
    if metadata.publisher:
        lines.append(f'<p class="book-publisher">{escape(metadata.publisher)}</p>')
    html = (f'<section id="{part_id}" class="part titlepage" epub:type="titlepage" '
            f'data-title="{escape(metadata.title)}">{"".join(lines)}</section>')
    return _generated(part_id, PartKind.FRONT, "titlepage", "Title page", html, in_contents=False)


def copyright_page(metadata: Metadata) -> ResolvedPart:
    part_id = "front-copyright"
    lines = [f"<p>{escape(metadata.title)}{(': ' + escape(metadata.subtitle)) if metadata.subtitle else ''}</p>",
             f"<p>by {escape(_names(metadata.authors))}</p>"]
    for value in (metadata.edition, metadata.rights):
        if value:
            lines.append(f"<p>{escape(value)}</p>")
    if metadata.publisher:
        year = f", {metadata.date[:4]}" if metadata.date else ""
        lines.append(f"<p>Published by {escape(metadata.publisher)}{year}</p>")
    if metadata.isbn_print:
        lines.append(f"<p>ISBN {escape(metadata.isbn_print)} (print)</p>")
    if metadata.isbn_epub:
        lines.append(f"<p>ISBN {escape(metadata.isbn_epub)} (EPUB)</p>")
    html = (f'<section id="{part_id}" class="part copyright-page" epub:type="copyright-page" '
            f'data-title="Copyright" aria-label="Copyright">{"".join(lines)}</section>')
    return _generated(part_id, PartKind.FRONT, "copyright-page", "Copyright", html, in_contents=False)


def image_credits(credits: list[tuple[str, str]]) -> ResolvedPart:
    part_id = "back-image-credits"
    items = "".join(f"<li><span class=\"credit-for\">{escape(where)}</span>: {escape(credit)}</li>" for where, credit in credits)
    html = (f'{_section_open(part_id, "credits", "Image credits", PartKind.BACK.value)}'
            f'<header class="part-head"><h1 class="part-title" data-label="Image credits">'
            f'<span class="title-text">Image credits</span></h1></header>'
            f'<ul class="credits">{items}</ul></section>')
    return _generated(part_id, PartKind.BACK, "credits", "Image credits", html, in_contents=True)


def _names(authors: tuple[str, ...]) -> str:
    if len(authors) <= 1:
        return "".join(authors)
    return ", ".join(authors[:-1]) + " and " + authors[-1]


def endnotes(root) -> tuple[object | None, list]:
    """Pandoc's notes section of a part and its notes (the list's own items only:
    a note may hold a list of its own)."""
    section = next((s for s in root.iter("section") if "footnotes" in s.get("class", "").split()), None)
    if section is None:
        return None, []
    listing = section.find("ol")
    return section, [li for li in listing if li.tag == "li"] if listing is not None else []

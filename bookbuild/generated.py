"""The HTML every edition shares: part sections and the pages the build writes itself
(title page, copyright page, image credits)."""

from __future__ import annotations

from html import escape

from . import ids
from .model import Heading, Metadata, PartKind, ResolvedPart, SourceFile, TocEntry
from .words import Words, words_for

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


def part_section(source: SourceFile, opening_image: str, sections: list[Heading], body: str, words: Words) -> str:
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
        label = escape(words["in_this_chapter"])
        contents = (f'<nav class="in-this-chapter" aria-label="{label}">'
                    f'<p class="label">{label}</p><ul>{items}</ul></nav>')
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


def title_page(metadata: Metadata, draft: bool = False) -> ResolvedPart:
    part_id = "front-title-page"
    words = words_for(metadata.language)
    lines = [f'<h1 class="book-title">{escape(metadata.title)}</h1>']
    if draft:
        lines.insert(0, f'<p class="draft-mark">{escape(words["draft"])}</p>')
    if metadata.subtitle:
        lines.append(f'<p class="book-subtitle" role="doc-subtitle">{escape(metadata.subtitle)}</p>')
    lines.append(f'<p class="book-author">{escape(words.names(metadata.authors))}</p>')
    if metadata.publisher:
        lines.append(f'<p class="book-publisher">{escape(metadata.publisher)}</p>')
    html = (f'<section id="{part_id}" class="part titlepage" epub:type="titlepage" '
            f'data-title="{escape(metadata.title)}">{"".join(lines)}</section>')
    return _generated(part_id, PartKind.FRONT, "titlepage", words["title_page"], html, in_contents=False)


def copyright_page(metadata: Metadata) -> ResolvedPart:
    """Title, authors, edition, rights, publisher (with the year of ``date``: a book without
    one prints no year) and ISBNs, in the book's language."""
    part_id = "front-copyright"
    words = words_for(metadata.language)
    title = (words.say("title_subtitle", title=metadata.title, subtitle=metadata.subtitle)
             if metadata.subtitle else metadata.title)
    lines = [title, words.say("by", authors=words.names(metadata.authors))]
    lines += [value for value in (metadata.edition, metadata.rights) if value]
    if metadata.publisher:
        lines.append(words.say("published_by_in", publisher=metadata.publisher, year=metadata.date[:4]) if metadata.date
                     else words.say("published_by", publisher=metadata.publisher))
    if metadata.isbn_print:
        lines.append(words.say("isbn_print", isbn=metadata.isbn_print))
    if metadata.isbn_epub:
        lines.append(words.say("isbn_epub", isbn=metadata.isbn_epub))
    label = escape(words["copyright"])
    html = (f'<section id="{part_id}" class="part copyright-page" epub:type="copyright-page" '
            f'data-title="{label}" aria-label="{label}">{"".join(f"<p>{escape(line)}</p>" for line in lines)}</section>')
    return _generated(part_id, PartKind.FRONT, "copyright-page", words["copyright"], html, in_contents=False)


def image_credits(credits: list[tuple[str, str]], words: Words) -> ResolvedPart:
    part_id = "back-image-credits"
    items = "".join(f"<li>{_credit_line(words, where, credit)}</li>" for where, credit in credits)
    title = words["image_credits"]
    html = (f'{_section_open(part_id, "credits", title, PartKind.BACK.value)}'
            f'<header class="part-head"><h1 class="part-title" data-label="{escape(title)}">'
            f'<span class="title-text">{escape(title)}</span></h1></header>'
            f'<ul class="credits">{items}</ul></section>')
    return _generated(part_id, PartKind.BACK, "credits", title, html, in_contents=True)


def _credit_line(words: Words, where: str, credit: str) -> str:
    """``<span class="credit-for">3. Light</span>: Photo by ...``, in the language's order."""
    marker = "\x00"
    text = escape(words.say("credit", where=marker, credit=credit))
    return text.replace(marker, f'<span class="credit-for">{escape(where)}</span>', 1)


def endnotes(root) -> tuple[object | None, list]:
    """Pandoc's notes section of a part and its notes (the list's own items only:
    a note may hold a list of its own)."""
    section = next((s for s in root.iter("section") if "footnotes" in s.get("class", "").split()), None)
    if section is None:
        return None, []
    listing = section.find("ol")
    return section, [li for li in listing if li.tag == "li"] if listing is not None else []

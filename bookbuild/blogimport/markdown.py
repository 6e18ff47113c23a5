"""A post's cleaned HTML -> pandoc Markdown, through pandoc.

Before pandoc sees the HTML: blog footnotes are put in pandoc's own form (so they
become ``[^1]``), and only the attributes a book uses are kept (heading ids for
cross-references, link targets, image sources and alt text), so the Markdown is
plain: no raw HTML, no ``{.wp-block-heading}`` classes, no ``:::`` divs.
"""

from __future__ import annotations

import re
import subprocess

import pypandoc
from lxml import etree
from lxml import html as lxml_html

from . import furniture

PANDOC_TO = ("markdown-raw_html-raw_attribute-native_divs-native_spans-bracketed_spans-fenced_divs"
             "-simple_tables-multiline_tables")
_KEEP = {
    "a": ("href",),
    "img": ("src", "alt"),
    "td": ("colspan", "rowspan"),
    "th": ("colspan", "rowspan"),
    "ol": ("start", "type"),
    **{h: ("id",) for h in furniture.HEADINGS},
}
_NOTE_MARKER = re.compile(r"\[?\(?(\d{1,3}|\*{1,3}|†|‡)\)?\]?")
_BACK_LINK = re.compile(r"↩\ufe0e?\ufe0f?|↑|\^|back|return( to text)?", re.IGNORECASE)
_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]*$")  # what `{#id}` in pandoc Markdown holds as it is


class ConversionFailed(Exception):
    """pandoc could not convert a post; the message says why."""


def heading_ids(root: lxml_html.HtmlElement) -> dict[str, str]:
    """Give every heading an id Markdown can hold (pandoc's own when it has none); returns
    each id the blog used that had to change -> its new id."""
    taken: set[str] = set()
    renamed = {}
    for heading in root.iter(*furniture.HEADINGS):
        old = heading.get("id", "")
        new = old if _ID.match(old) else auto_id(heading.text_content())
        while new in taken:
            new += "-1"
        taken.add(new)
        heading.set("id", new)
        if old and old != new:
            renamed[old] = new
    return renamed


def auto_id(text: str) -> str:
    """The identifier pandoc's auto_identifiers give a heading with this text."""
    kept = "".join(c for c in text.lower() if c.isalnum() or c in "_-. " or c.isspace())
    kept = re.sub(r"\s+", "-", kept.strip())
    first_letter = re.search(r"[^\W\d_]", kept)
    return kept[first_letter.start():] if first_letter else "section"


def footnotes(root: lxml_html.HtmlElement) -> etree._Element | None:
    """Footnotes as blogs write them (a short numbered link to a note further down, and a
    link back) in pandoc's form: the notes in a section at the end, which is returned.
    The notes' own lists go."""
    order = {e: n for n, e in enumerate(root.iter())}  # keys hold the elements, so each stays one object
    by_id = {e.get("id") or e.get("name"): e for e in root.iter() if isinstance(e.tag, str) and (e.get("id") or e.get("name"))}
    found = []
    for a in root.iter("a"):
        href = a.get("href", "")
        target = by_id.get(href[1:]) if href.startswith("#") else None
        if target is None or not _NOTE_MARKER.fullmatch(a.text_content().strip()):
            continue
        note = target if target.tag == "li" else next(target.iterancestors("li"), target)
        if order[note] < order[a] or any(ancestor is note for ancestor in a.iterancestors()):
            continue
        found.append((a, note))
    if not found:
        return None
    section = lxml_html.Element("section", {"class": "footnotes", "role": "doc-endnotes"})
    listing = etree.SubElement(section, "ol")
    numbers: dict = {}  # note element -> its number
    for a, note in found:
        number = numbers.setdefault(note, len(numbers) + 1)
        reference = lxml_html.Element("a", {"href": f"#fn{number}", "class": "footnote-ref", "id": f"fnref{number}",
                                            "role": "doc-noteref"})
        etree.SubElement(reference, "sup").text = str(number)
        wrapper = a.getparent() if a.getparent().tag == "sup" and len(a.getparent()) == 1 else a
        reference.tail = wrapper.tail
        wrapper.getparent().replace(wrapper, reference)
        if number == len(listing) + 1:
            listing.append(_note_item(note, number))
    for _, note in found:
        holder = note.getparent()
        if holder is not None:
            holder.remove(note)
            if holder.tag in ("ol", "ul") and not len(holder) and holder.getparent() is not None:
                holder.getparent().remove(holder)
    root.append(section)
    return section


def _note_item(note, number: int) -> etree._Element:
    item = lxml_html.Element("li", {"id": f"fn{number}"})
    paragraph = etree.SubElement(item, "p")
    paragraph.text = note.text
    for child in list(note):
        paragraph.append(child)
    for a in list(paragraph.iter("a")):
        if a.get("href", "").startswith("#") and (not a.text_content().strip() or _BACK_LINK.fullmatch(a.text_content().strip())):
            a.drop_tree()  # the link back to the text
    paragraph.text = (paragraph.text or "").lstrip()
    return item


def quote_sources(root: lxml_html.HtmlElement) -> None:
    """A quote's ``<cite>`` (WordPress's quote block) becomes a closing line "— Name"."""
    for quote in root.iter("blockquote"):
        for cite in list(quote):
            if cite.tag == "cite" and cite.text_content().strip():
                line = lxml_html.Element("p")
                line.text = "— "
                cite.addprevious(line)
                line.append(cite)
                line.tail, cite.tail = cite.tail, None


def plain(root: lxml_html.HtmlElement) -> None:
    """Only the attributes a book uses; emoji pictures become their characters."""
    for element in list(root.iter("main")):
        element.drop_tag()  # pandoc reads only what is inside a <main>, when there is one
    for img in list(root.iter("img")):
        if "emoji" in img.get("class", "") or "/images/core/emoji/" in img.get("src", ""):
            text = img.get("alt", "")
            if img.getparent() is not None:
                img.tail = text + (img.tail or "")
                img.drop_tree()
    notes = {e for section in root.iter("section") if section.get("role") == "doc-endnotes" for e in section.iter()}
    for element in root.iter():
        if not isinstance(element.tag, str) or element in notes or element.get("role") == "doc-noteref":
            continue  # footnotes in pandoc's form (see footnotes())
        keep = _KEEP.get(element.tag, ())
        if element.tag == "div" and element.get("class") == "line-block":
            keep = ("class",)  # a poem's lines (media.book_shapes): pandoc reads it as a line block
        for name in list(element.attrib):
            if name not in keep:
                del element.attrib[name]


def to_markdown(root: lxml_html.HtmlElement) -> str:
    markup = "".join(etree.tostring(child, method="html", encoding="unicode") for child in root)
    markup = (root.text or "") + markup
    try:
        done = subprocess.run(
            [pypandoc.get_pandoc_path(), "-f", "html+smart", "-t", PANDOC_TO, "--wrap=none"],
            input=markup.encode("utf-8"), capture_output=True, timeout=300,
        )
    except subprocess.TimeoutExpired:
        raise ConversionFailed("pandoc took more than 5 minutes on it")
    if done.returncode != 0:
        raise ConversionFailed(f"pandoc could not convert it (exit {done.returncode}): {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout.decode("utf-8").strip() + "\n"

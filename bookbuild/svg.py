"""What an SVG image may keep: a picture, and nothing that runs, embeds or fetches.

An SVG file is an XML document that can carry ``<script>``, event handlers,
``<foreignObject>`` (a web page inside the picture) and references to remote
or ``file:`` resources. Every edition gets the sanitised bytes (the EPUB copies
them, WeasyPrint reads them through the book's URL fetcher), and resolve turns
each removal into a warning at the line that uses the image. Nothing an SVG
points at is ever fetched: the file is parsed without its DTD, entities or
network, and references that leave the file are removed, not followed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

SVG_TYPE = "image/svg+xml"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
# Namespaces whose elements are documents or instructions, not pictures.
_FOREIGN_NAMESPACES = ("http://www.w3.org/1999/xhtml", "http://www.w3.org/2001/XInclude")
_ACTIVE = {
    "script": "books cannot run scripts",
    "handler": "books cannot run scripts",
    "listener": "books cannot run scripts",
    "foreignobject": "it embeds a web page in the picture",
    "iframe": "it embeds another page",
    "object": "it embeds another file",
    "embed": "it embeds another file",
    "audio": "books cannot play media",
    "video": "books cannot play media",
    "canvas": "it is drawn by a script",
    # Animation can set any attribute, links and handlers included, and books do not animate.
    "set": "books do not animate pictures",
    "animate": "books do not animate pictures",
    "animatemotion": "books do not animate pictures",
    "animatetransform": "books do not animate pictures",
    "animatecolor": "books do not animate pictures",
    "discard": "books do not animate pictures",
}
# A picture may refer to its own parts (#id) and embed raster images as data: URLs.
# Elements that only show what they refer to.
_REFERENCES = ("image", "use", "feImage")
_INTERNAL = re.compile(r"^\s*#")
_RASTER_DATA = re.compile(r"^\s*data:image/(png|jpeg|gif|webp)[;,]", re.IGNORECASE)
_LINK_TARGET = re.compile(r"^\s*(https?:|mailto:)", re.IGNORECASE)
_SCRIPT_URL = re.compile(r"^\s*(javascript|vbscript):", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]*)", re.IGNORECASE)
_CSS_FETCH = re.compile(r"@import|expression\s*\(", re.IGNORECASE)
_URL_REFERENCE = re.compile(r"url\(\s*['\"]?\s*(#[^'\")\s]*)", re.IGNORECASE)
# Elements drawn, <use> references followed: a map of a city has tens of thousands; a
# picture that asks for more (2 KB of nested <use> can ask for 10^8) would lay out for ever.
MAX_ELEMENTS = 100_000


class SvgRefused(ValueError):
    """The file cannot be read as an SVG picture; the message says why."""


@dataclass(frozen=True)
class CleanSvg:
    data: bytes  # what every edition gets
    removed: tuple[str, ...]  # one message per removal: elements, then attributes, each in document order


def sanitize_svg(data: bytes) -> CleanSvg:
    """The SVG without active or fetching content; raises SvgRefused for a file that is not well-formed XML."""
    return _sanitized(bytes(data))


@lru_cache(maxsize=64)
def _sanitized(data: bytes) -> CleanSvg:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as failure:
        raise SvgRefused(f"is not a well-formed SVG file ({failure}): save it again from a drawing program")
    if _local(root.tag) != "svg":
        raise SvgRefused(f"is not an SVG picture (its root element is <{_local(root.tag)}>)")
    removed: list[str] = []
    # Only the root element is written back: what stands before it (a DOCTYPE, a
    # stylesheet instruction) goes; these are the removals worth saying.
    for node in root.itersiblings(preceding=True):
        if isinstance(node, etree._ProcessingInstruction) and node.target == "xml-stylesheet":
            removed.append("<?xml-stylesheet?> removed: a picture may not load a stylesheet")
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        removed.append("<!DOCTYPE> removed: a picture may not declare entities")
    # Search again after each removal: what was inside a removed element is gone with it.
    while (element := next((e for e in root.iter() if _is_active(e)), None)) is not None:
        name = _local(element.tag)
        removed.append(f"<{_display(element)}> removed: {_ACTIVE.get(name.lower(), 'it is a document, not a picture')}")
        _drop(element)
    for element in list(root.iter()):
        if isinstance(element, etree._Entity):
            removed.append(f"entity reference &{element.name}; removed: a picture may not declare entities")
            _drop(element)
        elif not isinstance(element.tag, str):
            continue  # comments and processing instructions inside the picture do nothing
        elif _local(element.tag) == "style" and _fetches_in_css(element.text or ""):
            removed.append("<style> removed: it loads another file (url() or @import)")
            _drop(element)
        else:
            removed.extend(_clean_attributes(element))
            if _local(element.tag) in _REFERENCES and not (element.get("href") or element.get(_XLINK_HREF)):
                _drop(element)  # what is left refers to nothing (and renderers would try to load it)
    drawn = _drawn_elements(root)
    if drawn > MAX_ELEMENTS:
        raise SvgRefused(f"draws more than {MAX_ELEMENTS:,} elements once its <use> and url(#...) references are "
                         "followed (a few hundred bytes can ask for billions): simplify it, or save it as a PNG")
    cleaned = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    return CleanSvg(cleaned, tuple(removed))


def _drawn_elements(root: etree._Element) -> int:
    """How many elements drawing the picture visits: each element, and again everything
    a ``<use>`` or a ``url(#id)`` refers to, each time it is referred to (counted up to just
    over ``MAX_ELEMENTS``). Without recursion; a loop of references is refused."""
    elements = [e for e in root.iter() if isinstance(e.tag, str)]  # held, so each keeps its Python object
    by_id = {e.get("id"): e for e in elements if e.get("id")}

    def parts(element: etree._Element) -> list[etree._Element]:
        found = [child for child in element if isinstance(child.tag, str)]
        for name, value in element.attrib.items():
            targets = [value] if name in (_XLINK_HREF, "href") else _URL_REFERENCE.findall(value)
            found += [by_id[t.strip().lstrip("#")] for t in targets if t.strip().startswith("#")
                      and t.strip().lstrip("#") in by_id]
        return found

    size: dict[etree._Element, int] = {}
    visiting: set[etree._Element] = set()
    stack: list[tuple[etree._Element, bool]] = [(root, False)]
    while stack:
        element, finished = stack.pop()
        if finished:
            size[element] = min(MAX_ELEMENTS + 1, 1 + sum(size[part] for part in parts(element)))
            visiting.discard(element)
        elif element not in size:
            if element in visiting:
                raise SvgRefused("refers to itself (a loop of <use> or url(#...) references): remove the loop")
            visiting.add(element)
            stack.append((element, True))
            stack.extend((part, False) for part in parts(element) if part not in size)
    return size[root]


def _clean_attributes(element: etree._Element) -> list[str]:
    removed = []
    for name in list(element.attrib):
        local = _local(name).lower()
        value = element.attrib[name]
        if local.startswith("on"):
            removed.append(f"`{local}` attribute removed: books cannot run scripts")
        elif name == _XML_BASE:
            removed.append("`xml:base` attribute removed: a picture may not change where its links point")
        elif name in (_XLINK_HREF, "href", "src"):
            if _INTERNAL.match(value) or (_local(element.tag) == "image" and _RASTER_DATA.match(value)):
                continue
            if _local(element.tag) == "a" and _LINK_TARGET.match(value):
                continue  # a link to a web page is a link, not a resource
            if _SCRIPT_URL.match(value):
                removed.append(f"link to `{_shown(value)}` removed: books cannot run scripts")
            else:
                removed.append(f"reference to `{_shown(value)}` removed: a picture may not load other files")
        elif "url(" in value.lower() and _fetches_in_css(value):
            removed.append(f"`{local}` attribute removed: it loads another file (url())")
        else:
            continue
        del element.attrib[name]
    return removed


def _fetches_in_css(text: str) -> bool:
    return bool(_CSS_FETCH.search(text)) or any(not target.startswith("#") for target in _CSS_URL.findall(text))


def _is_active(element) -> bool:
    if not isinstance(element.tag, str):
        return False
    namespace = element.tag[1:].split("}", 1)[0] if element.tag.startswith("{") else ""
    return _local(element.tag).lower() in _ACTIVE or namespace in _FOREIGN_NAMESPACES


def _drop(node) -> None:
    """Remove a node, keeping the text that followed it."""
    parent = node.getparent()
    if node.tail:
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _display(element) -> str:
    namespace = element.tag[1:].split("}", 1)[0] if element.tag.startswith("{") else ""
    prefix = "html:" if namespace == _FOREIGN_NAMESPACES[0] else "xi:" if namespace == _FOREIGN_NAMESPACES[1] else ""
    return prefix + _local(element.tag)


def _shown(value: str) -> str:
    value = value.strip()
    return value if len(value) <= 60 else value[:57] + "..."

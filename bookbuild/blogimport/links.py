"""Post addresses -> chapters: links between imported posts become cross-references.

A blog links to its own posts in many spellings: http or https, with or without
``www.`` and a trailing slash, by permalink or by short link (``?p=123``), with a
fragment or without. Each address is reduced to one key, so that every spelling
of a post's address finds it.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

from lxml import etree

_SHORT_LINK_QUERY = ("p", "page_id")  # WordPress: ?p=123 for a post, ?page_id=45 for a page
_WEB = re.compile(r"^(https?:|mailto:)", re.IGNORECASE)


def url_key(url: str) -> str | None:
    """What identifies a post's address, or None for something that is not a web address."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https", ""):
        return None
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = posixpath.normpath(unquote(parts.path)).rstrip("/").lower() if parts.path else ""
    path = "" if path in (".", "/") else path
    short = [f"{name}={value}" for name, value in parse_qsl(parts.query) if name in _SHORT_LINK_QUERY]
    return f"{host}{path}" + (f"?{short[0]}" if short else "")


@dataclass(frozen=True)
class Chapter:
    """Where links to a post go: its chapter file, and the section ids it has."""

    file: str  # e.g. "092-moving-up.md" (chapters are side by side in manuscript/)
    ids: frozenset[str]
    renamed: dict[str, str]  # an id the blog used -> the id the chapter has (ids Markdown cannot hold are replaced)


class LinkIndex:
    """Every imported post by each of its addresses."""

    def __init__(self) -> None:
        self._chapters: dict[str, Chapter] = {}

    def add(self, addresses: list[str], chapter: Chapter) -> None:
        for address in addresses:
            key = url_key(address)
            if key:
                self._chapters.setdefault(key, chapter)

    def find(self, url: str) -> Chapter | None:
        key = url_key(url)
        return self._chapters.get(key) if key else None


@dataclass(frozen=True)
class LinkReport:
    cross_references: int
    fragments_dropped: tuple[str, ...]  # links to a section the chapter does not have: they go to the chapter


def rewrite_links(root: etree._Element, base: str, own: Chapter, index: LinkIndex) -> LinkReport:
    """Links to imported posts become chapter links (``092-moving-up.md#id``), links within
    the post stay ``#id`` when it has that section, other links become absolute web
    addresses; anything else (``javascript:``, a section that is gone, a relative link
    with nowhere to go) is unlinked and keeps its text."""
    count, dropped = 0, []
    for a in list(root.iter("a")):
        href = (a.get("href") or "").strip()
        if "footnote-ref" in a.get("class", "") or "footnote-back" in a.get("class", ""):
            continue
        if not href:
            _unlink(a)
            continue
        if href.startswith("#"):
            fragment = own.renamed.get(unquote(href[1:]), unquote(href[1:]))
            if fragment in own.ids:
                a.set("href", "#" + fragment)
            else:
                _unlink(a)
            continue
        address = urljoin(base, href) if base else href
        target = index.find(address) if _WEB.match(address) or not base else None
        if target is not None:
            fragment = unquote(urlsplit(address).fragment)
            fragment = target.renamed.get(fragment, fragment)
            if fragment and fragment not in target.ids:
                dropped.append(f"{target.file}#{fragment}")
                fragment = ""
            a.set("href", target.file + (f"#{fragment}" if fragment else ""))
            count += 1
        elif _WEB.match(address):
            a.set("href", address)
        else:
            _unlink(a)
    return LinkReport(count, tuple(dropped))


def _unlink(a: etree._Element) -> None:
    """The link goes, its text stays."""
    a.attrib.clear()
    a.tag = "span"

"""What raw HTML may keep: nothing that runs, embeds, submits or fetches, and only
what makes valid XHTML.

A manuscript may come from an imported blog. Pandoc passes raw HTML through and
puts attributes such as ``onclick`` on spans and divs, so the check runs on the
HTML pandoc wrote, whatever the Markdown looked like.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import html as lxml_html

from .theme import css_loads

ACTIVE_ELEMENTS = ("script", "iframe", "object", "embed", "form", "frame", "frameset", "applet", "base", "meta",
                   "link", "noscript", "template", "canvas", "dialog", "input", "button", "select", "textarea",
                   "portal", "fencedframe", "noembed", "noframes")
# Elements whose content a book cannot show in every edition: each gets its own advice.
UNSUPPORTED_ELEMENTS = {
    "style": "put the rules in styles/book.css",
    "svg": "save it as an .svg file and use ![description](file.svg)",
    "math": "write it as text or save it as an image",
    "video": "books cannot play media",
    "audio": "books cannot play media",
    "source": "books cannot play media",
    "track": "books cannot play media",
    "area": "a picture in a book cannot be a clickable map",
}
# The elements of HTML that an EPUB document may hold (EPUB 3, XHTML). Any other element
# (obsolete ones such as <font>, <center> and <marquee>, misspelt or invented ones) fails
# EPUBCheck: it is unwrapped, its text kept; <xmp> and its like become the <pre> they meant.
HTML_ELEMENTS = frozenset("""
    a abbr address article aside b bdi bdo blockquote br caption cite code col colgroup data dd del details dfn
    div dl dt em fieldset figcaption figure footer h1 h2 h3 h4 h5 h6 header hgroup hr i img ins kbd label legend
    li main mark menu meter nav ol output p pre progress q rp rt ruby s samp section small span strong sub summary
    sup table tbody td tfoot th thead time tr u ul var wbr""".split())
_PREFORMATTED = ("xmp", "listing", "plaintext")
# Attributes that make a reader fetch something, whatever the element.
FETCHING_ATTRIBUTES = ("srcset", "poster", "background", "longdesc", "ping", "formaction", "data", "action")
_OLD_FETCHING_ATTRIBUTES = ("lowsrc", "dynsrc")  # on images, in browsers of the 1990s: no longer HTML
_URL_ATTRIBUTES = ("href", "src", "xlink:href")

# For repairing what unclosed raw tags leave behind: phrasing elements may not hold blocks.
_PHRASING = ("abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em", "font", "i", "ins", "kbd",
             "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "var")
_BLOCKS = {"address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt", "fieldset", "figcaption",
           "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
           "pre", "section", "table", "ul"}


def sanitize(root: lxml_html.HtmlElement, report: Callable[[str, str], None]) -> None:
    """Remove active and fetching content in place; ``report(needle, message)`` locates
    and records each removal. Then repair nesting that raw HTML broke."""
    # Search again after each removal: what was inside a removed element is gone with it.
    while (element := next(root.iter(*ACTIVE_ELEMENTS), None)) is not None:
        report(f"<{element.tag}", f"<{element.tag}> removed: books cannot run scripts or embed other pages")
        element.drop_tree()
    while (element := next((e for e in root.iter() if _local(e.tag) in UNSUPPORTED_ELEMENTS), None)) is not None:
        tag = _local(element.tag)
        report(f"<{tag}", f"<{tag}> removed: {UNSUPPORTED_ELEMENTS[tag]}")
        element.drop_tree()
    for element in list(root.iter("picture")):
        element.drop_tag()  # its <img> stays; its <source>s went above
    for element in list(root.iter()):
        tag = _local(element.tag)
        if element is root or not tag or tag in HTML_ELEMENTS:
            continue
        if tag in _PREFORMATTED:
            report(f"<{tag}", f"<{tag}> is obsolete: shown as preformatted text, as <pre>")
            element.tag = "pre"
        elif tag == "map":
            report("<map", "<map> removed, its text kept: a picture in a book cannot be a clickable map")
            element.drop_tag()
        else:
            report(f"<{tag}", f"<{tag}> removed, its text kept: EPUB readers do not know this element")
            element.drop_tag()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name in list(element.attrib):
            lower = name.lower()
            value = element.attrib[name]
            if lower.startswith("on"):
                report(f"{name}=", f"`{name}` attribute removed: books cannot run scripts")
                del element.attrib[name]
            elif lower in _URL_ATTRIBUTES and _is_script_url(value):
                report(value.strip()[:11], f"`{value.strip()[:30]}` link removed: books cannot run scripts")
                del element.attrib[name]
            elif lower in _OLD_FETCHING_ATTRIBUTES or (lower in FETCHING_ATTRIBUTES and element.tag != "img"):
                report(f"{name}=", f"`{name}` attribute removed: books do not load other files this way")
                del element.attrib[name]
            elif lower == "srcset":
                report(f"{name}=", "`srcset` removed: an image has one file, in src")
                del element.attrib[name]
            elif lower == "usemap":
                report(f"{name}=", "`usemap` attribute removed: a picture in a book cannot be a clickable map")
                del element.attrib[name]
            elif lower == "style" and (css_loads(value) or "expression(" in "".join(value.lower().split())):
                report("style=", "`style` attribute removed: it loads another file (url() or @import)")
                del element.attrib[name]
    repair_nesting(root)


def repair_nesting(root: lxml_html.HtmlElement) -> None:
    """An unclosed ``<b>`` can end up around headings and list items: unwrap such
    phrasing elements, and put stray content of lists into list items."""
    for element in reversed(list(root.iter(*_PHRASING))):
        if any(_local(d.tag) in _BLOCKS for d in element.iterdescendants() if isinstance(d.tag, str)):
            element.drop_tag()
    for listing in root.iter("ul", "ol"):
        if listing.text and listing.text.strip():
            item = lxml_html.Element("li")
            item.text, listing.text = listing.text, None
            listing.insert(0, item)
        for child in list(listing):
            if isinstance(child.tag, str) and child.tag != "li":
                item = lxml_html.Element("li")
                child.addprevious(item)
                item.append(child)
                item.tail, child.tail = child.tail, None
                child = item  # the text after it is now the new item's
            if child.tail and child.tail.strip():
                item = lxml_html.Element("li")
                item.text, child.tail = child.tail, None
                child.addnext(item)


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _is_script_url(value: str) -> bool:
    compact = "".join(value.split()).lower()
    return compact.startswith(("javascript:", "vbscript:", "data:text/html"))

"""What raw HTML may keep: nothing that runs, embeds or submits.

A manuscript may come from an imported blog. Pandoc passes raw HTML through and
puts attributes such as ``onclick`` on spans and divs, so the check runs on the
HTML pandoc wrote, whatever the Markdown looked like.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import html as lxml_html

REMOVED_ELEMENTS = ("script", "iframe", "object", "embed", "form", "frame", "frameset", "applet", "base", "meta", "link")
_URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "poster", "data")


def sanitize(root: lxml_html.HtmlElement, report: Callable[[str, str], None]) -> None:
    """Remove active content in place; ``report(needle, message)`` locates and records each removal."""
    for element in list(root.iter(*REMOVED_ELEMENTS)):
        tag = element.tag
        report(f"<{tag}", f"<{tag}> removed: books cannot run scripts or embed other pages")
        element.drop_tree()
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


def _is_script_url(value: str) -> bool:
    compact = "".join(value.split()).lower()
    return compact.startswith(("javascript:", "vbscript:", "data:text/html"))

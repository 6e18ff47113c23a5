"""The post's own text: where it is on a page, and the web furniture taken out of it.

Three steps, each for a kind of furniture:

- **Main text.** A saved page is mostly not the post: header, menus, sidebar,
  footer, comments. readability-lxml finds the article; we keep the page's own
  markup of it (readability's summary drops footnotes and rewrites some markup),
  so every element is marked before readability reads the page, and the post is
  the smallest element holding what it chose.
- **Rules.** What a blog puts inside the post (share buttons, "In this article",
  newsletter boxes, author bios, related posts, comments) is removed by the rules
  in rules.yaml, which an author extends with ``import-rules.yaml`` in the book.
- **Recurring paragraphs.** A paragraph that recurs in most posts (a series
  blurb) is furniture, whatever it says.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from lxml import html as lxml_html
from lxml.cssselect import CSSSelector, SelectorError

from ..metadata import read_yaml
from ..model import Problem, error
from ..resources import ResourceRefused, read_inside

RULES_FILE = Path(__file__).with_name("rules.yaml")
BOOK_RULES = "import-rules.yaml"
_KEYS = ("remove", "title_and_list", "title_and_section", "title_and_rest", "paragraphs", "credit")
_MARK = "data-import-n"

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# Elements that hold text as a block; a "leaf" block holds no other block.
BLOCKS = frozenset(HEADINGS + ("p", "div", "section", "article", "aside", "blockquote", "ul", "ol", "dl", "li", "dt", "dd",
                               "table", "figure", "figcaption", "pre", "form", "header", "footer", "nav", "main", "details",
                               "summary", "address", "hr", "center"))
_LISTS = ("ul", "ol", "dl", "nav", "menu")
_SEPARATORS = re.compile(r"[\s·•|,:;/–—-]+")
_KEEP_EMPTY = ("img", "hr", "br", "table", "td", "th", "tr", "tbody", "thead", "figure", "svg")


@dataclass(frozen=True)
class Rules:
    remove: tuple[CSSSelector, ...]
    title_and_list: tuple[re.Pattern, ...]
    title_and_section: tuple[re.Pattern, ...]
    title_and_rest: tuple[re.Pattern, ...]
    paragraphs: tuple[re.Pattern, ...]
    credit: tuple[re.Pattern, ...]


def load_rules(book: Path) -> tuple[Rules, list[Problem]]:
    """The shipped rules plus the book's ``import-rules.yaml``; each bad entry is a located error."""
    problems: list[Problem] = []
    entries: dict[str, list] = {key: [] for key in _KEYS}
    for file, shown in ((RULES_FILE, "bookbuild/blogimport/rules.yaml"), (book / BOOK_RULES, BOOK_RULES)):
        if not file.exists() and not file.is_symlink():
            continue
        try:  # the book's own file, read as every file of the book is
            text = (file.read_bytes() if file == RULES_FILE else read_inside(book, file)).decode("utf-8-sig")
        except (ResourceRefused, UnicodeDecodeError) as refused:
            problems.append(error(shown, 1, 1, f"cannot be read: {refused}"))
            continue
        doc, found = read_yaml(text, shown)
        problems += found
        if doc is None:
            continue
        for key, values in doc.data.items():
            line, col = doc.where(str(key))
            if key not in _KEYS:
                problems.append(error(shown, line, col, f"unknown key `{key}`: use {', '.join(_KEYS)}"))
            elif not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                problems.append(error(shown, line, col, f"`{key}` must be a list of texts"))
            else:
                for value in values:
                    try:
                        entries[key].append(CSSSelector(value) if key == "remove" else re.compile(value, re.IGNORECASE))
                    except (SelectorError, re.error) as failure:
                        problems.append(error(shown, line, col, f"`{key}` entry `{value}` cannot be read: {failure}"))
    return Rules(**{key: tuple(entries[key]) for key in _KEYS}), problems


def main_text(page: lxml_html.HtmlElement) -> lxml_html.HtmlElement:
    """The element of a whole web page that holds the post, as the page has it."""
    from readability import Document

    body = page.find("body")
    if body is None:
        return page
    for n, element in enumerate(body.iter()):
        if isinstance(element.tag, str):
            element.set(_MARK, str(n))
    by_mark = {element.get(_MARK): element for element in body.iter() if isinstance(element.tag, str)}
    summary = lxml_html.fromstring(Document(lxml_html.tostring(page, encoding="unicode")).summary(html_partial=True))
    chosen = [by_mark[e.get(_MARK)] for e in summary.iter() if isinstance(e.tag, str) and e.get(_MARK) in by_mark
              and not (e.getparent() is not None and e.getparent().get(_MARK))]  # the top of each piece it kept
    for element in body.iter():
        if isinstance(element.tag, str):
            element.attrib.pop(_MARK, None)
    if not chosen:
        return body
    region = _common_ancestor(chosen)
    article = next(region.iterancestors("article"), None)
    return article if article is not None else region


def _common_ancestor(elements: list) -> lxml_html.HtmlElement:
    path = [elements[0], *elements[0].iterancestors()]
    for element in elements[1:]:
        mine = {element, *element.iterancestors()}  # lxml elements: equal when they are the same node
        path = [e for e in path if e in mine]
    return path[0]


_CAPTION = re.compile(r"\[caption\b([^\]]*)\](.*?)\[/caption\]", re.IGNORECASE | re.DOTALL)
_CAPTIONED = re.compile(r"\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)$", re.IGNORECASE | re.DOTALL)
_EMBED = re.compile(r"\[embed\b[^\]]*\]\s*(https?://[^\s\[]+)\s*\[/embed\]", re.IGNORECASE)
_MEDIA = re.compile(r"\[(audio|video)\b([^\]]*)\](?:(.*?)\[/\1\])?", re.IGNORECASE | re.DOTALL)
_PROVIDER = re.compile(r"\[(youtube|vimeo|dailymotion|tweet|twitter|instagram|soundcloud|spotify|ted|facebook|tiktok)\b\s*=?\s*"
                       r"([^\]]*)\](?:\s*\[/\1\])?", re.IGNORECASE)
_GALLERY_LEFT = re.compile(r"\[(gallery|playlist|slideshow)\b[^\]]*\]", re.IGNORECASE)
_ATTRIBUTES = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s\]]+))""")
_MEDIA_KEYS = ("src", "mp3", "m4a", "ogg", "oga", "wav", "wma", "flac", "mp4", "m4v", "webm", "ogv", "wmv", "flv", "mov")
_SHORTCODE = re.compile(r"\[/?([A-Za-z][\w-]*)((?:\s+[\w-]+=(?:\"[^\"]*\"|'[^']*'|[^\s\]]+))*)\s*/?\]")
_KNOWN_SHORTCODES = {"gallery", "audio", "video", "playlist", "embed", "contact", "subscribe", "newsletter", "toc", "share",
                     "related", "wpforms", "ninja_form", "mailpoet_form", "mc4wp_form", "jetpack_subscription_form"}


def shortcode_attributes(text: str) -> dict[str, str]:
    return {m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None) for m in _ATTRIBUTES.finditer(text)}


def shortcodes(markup: str, dropped: list[str] | None = None) -> str:
    """WordPress shortcodes: ``[caption]`` becomes a figure (its caption from the
    ``caption`` attribute or the text after the image), ``[audio]`` and ``[video]`` the
    player they stand for (turned into a link later, see media.py), ``[embed]``,
    ``[youtube]``, ``[tweet]`` and the like a link; a ``[gallery]`` the export could not
    fill is dropped and said so in ``dropped``; a plugin's shortcode (a known name, or one
    with ``_`` or ``-`` or attributes) goes, since nothing can show it. Bracketed words in
    the text (``[sic]``) stay."""
    dropped = dropped if dropped is not None else []

    def caption(match: re.Match) -> str:
        parts = _CAPTIONED.match(match.group(2))
        if not parts:
            return match.group(2)
        text = shortcode_attributes(match.group(1)).get("caption") or parts.group(2).strip()
        return f"<figure>{parts.group(1)}<figcaption>{text}</figcaption></figure>"

    def media(match: re.Match) -> str:
        attributes = shortcode_attributes(match.group(2))
        src = next((attributes[k] for k in _MEDIA_KEYS if attributes.get(k)), "")
        if not src:
            bare = re.search(r"(https?://[^\s\]\"']+)", match.group(2) + " " + (match.group(3) or ""))
            src = bare.group(1) if bare else ""
        if not src:
            dropped.append(f"an [{match.group(1).lower()}] shortcode with no address")
            return ""
        poster = attributes.get("poster", "")
        tag = match.group(1).lower()
        return f'<{tag} src="{html.escape(src)}"' + (f' poster="{html.escape(poster)}"' if poster else "") + f"></{tag}>"

    def linked(match: re.Match) -> str:
        name, rest = match.group(1).lower(), match.group(2).strip()
        attributes = shortcode_attributes(rest)
        url = attributes.get("url") or attributes.get("id") or rest.split()[0] if rest else ""
        if url and not url.startswith("http"):
            url = {"youtube": "https://www.youtube.com/watch?v={}", "vimeo": "https://vimeo.com/{}",
                   "tweet": "https://twitter.com/i/status/{}", "twitter": "https://twitter.com/i/status/{}"}.get(name, "").format(url)
        if not url:
            dropped.append(f"a [{name}] shortcode with no address")
            return ""
        return f'<a href="{html.escape(url)}">{html.escape(url)}</a>'  # in the paragraph the shortcode was in

    def gallery(match: re.Match) -> str:
        dropped.append(f"{match.group(0)[:60]}: the images it shows are not in the source")
        return ""

    def other(match: re.Match) -> str:
        name = match.group(1).lower()
        return "" if name in _KNOWN_SHORTCODES or "_" in name or "-" in name or match.group(2) else match.group(0)

    markup = _CAPTION.sub(caption, markup)
    markup = _EMBED.sub(lambda m: f'<a href="{html.escape(m.group(1))}">{html.escape(m.group(1))}</a>', markup)
    markup = _MEDIA.sub(media, markup)
    markup = _PROVIDER.sub(linked, markup)
    markup = _GALLERY_LEFT.sub(gallery, markup)
    return _SHORTCODE.sub(other, markup)


_HIDDEN_STYLE = re.compile(r"(^|;)\s*(display\s*:\s*none|visibility\s*:\s*hidden)\s*(!important\s*)?(;|$)", re.IGNORECASE)
_DATA_WORD = re.compile(r"^(https?://\S+|[\w./-]+\.(jpe?g|png|gif|webp|svg)|\d+([.,:-]\d+)*|[\w.+-]+@[\w.-]+|\d{4}-\d\d-\d\d\S*)$",
                        re.IGNORECASE)
_KEEP_HIDDEN = ("gallery", "wp-block-gallery", "tiled-gallery", "wp-block-jetpack-slideshow", "slideshow-window")


def drop_hidden(root) -> int:
    """What a reader of the page never sees: ``hidden``, ``aria-hidden``, ``display:none`` or
    ``visibility:hidden`` in a style attribute, and schema.org data printed as hidden text
    (an ``itemprop`` element holding only addresses, numbers and a word or two). A
    slideshow's hidden slides stay: they are its images. Returns how many went."""
    dropped = 0
    for element in list(root.iter()):
        if element is root or not isinstance(element.tag, str) or not _attached(element, root):
            continue
        hidden = (element.get("hidden") is not None or (element.get("aria-hidden") or "").strip().lower() == "true"
                  or bool(_HIDDEN_STYLE.search(element.get("style") or "")) or _schema_data(element))
        if hidden and not any(set((a.get("class") or "").split()) & set(_KEEP_HIDDEN) for a in element.iterancestors()):
            drop(element)
            dropped += 1
    return dropped


def _schema_data(element) -> bool:
    if element.get("itemprop") is None and element.get("itemscope") is None:
        return False
    if element.tag in ("img", "a", "time", "p", "h1", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption", "blockquote", "li"):
        return False
    if element.get("itemprop") in ("articleBody", "text", "description", "reviewBody", "headline", "name", "caption"):
        return False
    if any(d.tag in BLOCKS and d.tag not in ("div", "span") for d in element.iterdescendants() if isinstance(d.tag, str)):
        return False
    words = element.text_content().split()
    return bool(words) and sum(1 for w in words if not _DATA_WORD.match(w)) <= 2 and any(_DATA_WORD.match(w) for w in words)


def clean(root: lxml_html.HtmlElement, rules: Rules, title: str) -> None:
    """Remove the furniture the rules describe, in place."""
    for node in list(root.iter()):
        if not isinstance(node.tag, str) and node.getparent() is not None:
            drop(node)  # comments (<!-- wp:paragraph -->, <!--more-->) and processing instructions
    for selector in rules.remove:
        for element in selector(root):
            if element is not root and _attached(element, root):
                drop(element)
    for element in list(root.iter(*HEADINGS)):
        if _attached(element, root) and normal_text(element) == normal_text_of(title):
            drop(element)  # the post's title: the chapter has it in its front matter
    for element in list(_titles(root)):
        if not _attached(element, root):
            continue
        text = normal_text(element).rstrip(":").strip()
        if _fullmatch(rules.title_and_rest, text):
            _drop_rest(element, root)
        elif _fullmatch(rules.title_and_section, text):
            _drop_section(element, root)
        elif _fullmatch(rules.title_and_list, text):
            _drop_with_list(element, root)
    for element in list(leaf_blocks(root)):
        if _attached(element, root) and any(p.search(normal_text(element)) for p in rules.paragraphs):
            drop(element)
    drop_empty(root)


def take_credit(root: lxml_html.HtmlElement, rules: Rules, first: int = 3, last: int = 2) -> str:
    """A "Photo by NAME at SITE" line among the ``first`` or ``last`` few paragraphs (the
    featured image's credit, under the image or at the end): removed, and returned."""
    blocks = [b for b in leaf_blocks(root) if normal_text(b)]
    for element in blocks[:first] + (blocks[-last:] if last else []):
        text = normal_text(element)
        if element.tag in ("p", "div") and len(text) < 200 and _fullmatch(rules.credit, _unbracketed(text)):
            drop(element)
            return _unbracketed(" ".join(element.text_content().split()))
    return ""


def is_credit(text: str, rules: Rules) -> bool:
    return bool(_fullmatch(rules.credit, _unbracketed(normal_text_of(text))))


def split_credit(text: str, rules: Rules) -> tuple[str, str]:
    """A caption's own words and the credit at its end ("The harbour at dawn. (Foto:
    Pixabay.com / Ines)"): (words, credit); ("", text) when it is all credit."""
    text = " ".join(text.split())
    if is_credit(text, rules):
        return "", _unbracketed(text)
    for match in re.finditer(r"(?:^|[.!?]\s+|\s+[|–—/]\s+|\s+)(\(([^()]+)\)|[^.!?|–—()]+)$", text):
        credit = match.group(2) or match.group(1)
        if is_credit(credit, rules):
            return text[:match.start()].strip(" |–—"), credit.strip()
    return text, ""


def _unbracketed(text: str) -> str:
    return text[1:-1].strip() if text.startswith(("(", "[")) and text.endswith((")", "]")) else text


def recurring_paragraphs(roots: list[lxml_html.HtmlElement]) -> set[str]:
    """Paragraphs (as ``paragraph_key``) found in most of these posts, at least two."""
    counts = Counter(key for root in roots for key in {paragraph_key(p) for p in leaf_blocks(root)} if key)
    return {key for key, seen in counts.items() if seen >= 2 and seen * 2 > len(roots)}


def paragraph_key(element) -> str:
    """What two copies of a paragraph share, numbers aside ("thing 12 of 100" in every post)."""
    if element.tag not in ("p", "div", "blockquote", "section"):
        return ""
    text = re.sub(r"\d+", "#", normal_text(element).lower())
    return text if len(text.split()) >= 3 else ""


def drop_paragraphs(root: lxml_html.HtmlElement, keys: set[str]) -> int:
    dropped = 0
    for element in list(leaf_blocks(root)):
        if paragraph_key(element) in keys:
            drop(element)
            dropped += 1
    drop_empty(root)
    return dropped


def normal_text(element) -> str:
    return normal_text_of(element.text_content())


def normal_text_of(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return " ".join(text.split())


def leaf_blocks(root):
    """Blocks that hold no other block: paragraphs, headings, list items, ..."""
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag in BLOCKS and not any(
                isinstance(d.tag, str) and d.tag in BLOCKS for d in element.iterdescendants()):
            yield element


def drop_empty(root) -> None:
    """Containers left with nothing to show (or only the separators between share buttons that went)."""
    for element in reversed(list(root.iter())):
        if element is root or not isinstance(element.tag, str) or element.tag in _KEEP_EMPTY:
            continue
        if not _SEPARATORS.sub("", element.text_content()) and not any(
                isinstance(d.tag, str) and d.tag in _KEEP_EMPTY for d in element.iterdescendants()):
            if element.getparent() is not None:
                drop(element)


def _titles(root):
    """What may be a title: headings, and blocks that hold a short text and no other block."""
    for element in leaf_blocks(root):
        if element.tag in HEADINGS or (element.tag in ("p", "div", "dt") and len(normal_text(element)) <= 80):
            yield element


def _fullmatch(patterns: tuple[re.Pattern, ...], text: str) -> bool:
    return any(p.fullmatch(text) for p in patterns)


def _outermost(element, root):
    """The title with whatever wraps only it (``<div><p><strong>Related</strong></p></div>``)."""
    text = normal_text(element)
    while element.getparent() is not None and element.getparent() is not root and normal_text(element.getparent()) == text:
        element = element.getparent()
    return element


def _drop_with_list(element, root) -> None:
    title = _outermost(element, root)
    following = title.getnext()
    while following is not None and _is_list_of_links(following):
        after = following.getnext()
        drop(following)
        following = after
    drop(title)


def _is_list_of_links(element) -> bool:
    if not isinstance(element.tag, str):
        return False
    if element.tag in _LISTS:
        return True
    text = len(normal_text(element))
    linked = sum(len(normal_text(a)) for a in element.iter("a"))
    listed = sum(len(normal_text(item)) for item in element.iter(*_LISTS) if item is not element)
    return text > 0 and (linked >= 0.8 * text or listed >= 0.8 * text)


def _drop_section(element, root) -> None:
    title = _outermost(element, root)
    level = int(element.tag[1]) if element.tag in HEADINGS else 6
    following = title.getnext()
    while following is not None and not _opens_section(following, level):
        after = following.getnext()
        drop(following, keep_tail=False)
        following = after
    drop(title, keep_tail=False)  # text after the title, outside any paragraph, is the section's too


def _opens_section(element, level: int) -> bool:
    if not isinstance(element.tag, str):
        return False
    headings = [element] if element.tag in HEADINGS else list(element.iter(*HEADINGS))
    return any(int(h.tag[1]) <= level for h in headings)


def _drop_rest(element, root) -> None:
    """The title and everything after it, up to the end of the post."""
    node = _outermost(element, root)
    while node is not None and node is not root:
        node.tail = None
        for following in list(node.itersiblings()):
            drop(following, keep_tail=False)
        node = node.getparent()
    drop(_outermost(element, root), keep_tail=False)


def _attached(element, root) -> bool:
    return element is root or any(ancestor is root for ancestor in element.iterancestors())


def drop(node, keep_tail: bool = True) -> None:
    """Remove a node and what is in it (and the text that followed it, unless ``keep_tail``)."""
    parent = node.getparent()
    if parent is None:
        return
    if node.tail and keep_tail:
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)

"""WordPress exports (WXR: WordPress eXtended RSS): posts, pages and featured images.

An export is untrusted XML. It is parsed with defusedxml, which refuses entity
declarations (so no "billion laughs" expansion) and external entities or DTDs
(so no file or URL is read), before anything is expanded.
"""

from __future__ import annotations

import email.utils
import html
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from defusedxml import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser
from lxml import etree

from ..model import BookError, Problem, error, warning
from .posts import PAGE, POST, Blog, FeaturedImage, Post, iso_date, numbered_title

_LINE = "{urn:bookbuild}line"  # where an <item> starts, kept on the element for messages
_DRAFT_STATUSES = {"draft", "pending", "future", "private"}
_BLOCK_EDITOR = "<!-- wp:"


def read_wxr(file: Path, shown: str) -> Blog:
    """Every post and page of the export; raises BookError when the file cannot be read at all."""
    root, problems = _parse(file, shown)
    channel = root.find("channel")
    if channel is None:
        raise BookError([error(shown, 1, 1, "this is not a WordPress export: it has no <channel> (export the blog again from Tools > Export)")])
    authors = {_text(a, "author_login"): _text(a, "author_display_name") or _text(a, "author_login")
               for a in channel.findall("{*}author")}
    items = channel.findall("item")
    attachments = {_text(item, "post_id"): item for item in items if _text(item, "post_type") == "attachment"}
    bases = [url for url in (_text(channel, "base_blog_url"), _text(channel, "base_site_url"), channel.findtext("link", ""))
             if url.strip()]
    posts = []
    for item in items:
        kind = _text(item, "post_type") or POST
        status = _text(item, "status")
        if kind not in (POST, PAGE) or status in ("trash", "auto-draft", "inherit"):
            continue  # attachments, menus, revisions, blocks, templates; deleted and empty posts
        line = int(item.get(_LINE, "1"))
        title = " ".join(html.unescape(re.sub(r"<[^>]+>", "", item.findtext("title") or "")).split())
        draft = status in _DRAFT_STATUSES
        published = "" if draft else _date(item)
        if not draft and not published and _text(item, "post_date"):
            problems.append(warning(shown, line, 1, f"post “{title}”: its date `{_text(item, 'post_date')}` is not a date; "
                                                    "no `published` date is written"))
        content = item.findtext("{*}encoded") or ""  # content:encoded (excerpt:encoded comes after it)
        content = _GALLERY.sub(lambda m: _gallery(m, _text(item, "post_id"), attachments), content)
        if _BLOCK_EDITOR not in content:
            content = autop(content)  # the classic editor stores paragraphs as blank lines
        posts.append(Post(
            title=title,
            kind=kind,
            html=content,
            url=(item.findtext("link") or "").strip(),
            aliases=_aliases(item, kind, bases),
            published=published,
            draft=draft,
            featured=_featured(item, attachments),
            author=authors.get((item.findtext("{http://purl.org/dc/elements/1.1/}creator") or "").strip(), ""),
            where=shown,
            line=line,
        ))
    numbered = [post.author for post in posts if post.author and numbered_title(post.title)]
    author = Counter(numbered).most_common(1)[0][0] if numbered else next(iter(authors.values()), "")
    return Blog(
        title=(channel.findtext("title") or "").strip(),
        author=author,
        language=(channel.findtext("language") or "").strip(),
        posts=tuple(posts),
        problems=tuple(problems),
    )


class _Lines(ET.TreeBuilder):
    """A tree builder that notes on which line each <item> starts."""

    expat = None  # the parser's expat object, set once the parser exists

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        if tag == "item" and self.expat is not None:
            element.set(_LINE, str(self.expat.CurrentLineNumber))
        return element


def _parse(file: Path, shown: str) -> tuple[ET.Element, list[Problem]]:
    """The export's XML, and what was wrong with it where it is not well-formed."""
    builder = _Lines()
    parser = DefusedXMLParser(target=builder, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    builder.expat = parser.parser
    try:
        with file.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                parser.feed(chunk)
        return parser.close(), []
    except EntitiesForbidden as refused:
        where = _position(parser)
        raise BookError([error(shown, *where, f"the export declares an XML entity (`{refused.name}`): refused, since entities "
                                               "can expand without limit or read other files; export the blog again")])
    except (ExternalReferenceForbidden, DefusedXmlException):
        raise BookError([error(shown, *_position(parser), "the export refers to an external entity or DTD: refused, since "
                                                          "reading it could fetch a URL or read a file; export the blog again")])
    except ET.ParseError as failure:
        return _recovered(file, shown, failure)


def _recovered(file: Path, shown: str, failure: ET.ParseError) -> tuple[ET.Element, list[Problem]]:
    """An export that is not well-formed XML (a stray ``&`` in a title, a control
    character in a post), read as well as it can be, each damage reported with the post
    it is in. Entities were refused above: a DTD comes before anything that can fail
    here, and this parser neither expands entities nor loads anything."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.parse(str(file), parser).getroot()
    except etree.XMLSyntaxError:
        root = None
    if root is None or root.find("channel") is None:
        line, col = failure.position
        reason = str(failure).split(":")[0]
        raise BookError([error(shown, line, col + 1, f"the export is not well-formed XML ({reason}): export the blog again")])
    items = sorted(root.iter("item"), key=lambda item: item.sourceline or 0)
    for item in items:
        item.set(_LINE, str(item.sourceline or 1))
    problems = []
    for entry in parser.error_log:
        if entry.level < etree.ErrorLevels.ERROR:
            continue
        within = [item for item in items if (item.sourceline or 0) <= entry.line]
        post = f"post “{(within[-1].findtext('title') or '').strip()}”: " if within else ""
        problems.append(error(shown, entry.line, entry.column or 1,
                              f"{post}not well-formed XML ({entry.message.strip()}): read as well as it could be; check the chapter"))
    return root, problems


def _position(parser: DefusedXMLParser) -> tuple[int, int]:
    return parser.parser.CurrentLineNumber, parser.parser.CurrentColumnNumber + 1


def _text(element: ET.Element, name: str) -> str:
    """A wp: child's text, whatever version of the wp namespace the export uses."""
    return (element.findtext(f"{{*}}{name}") or "").strip()


def _date(item: ET.Element) -> str:
    date = iso_date(_text(item, "post_date")) or iso_date(_text(item, "post_date_gmt"))
    if date or _text(item, "post_date"):
        return date
    try:
        return email.utils.parsedate_to_datetime(item.findtext("pubDate") or "").date().isoformat()
    except (TypeError, ValueError):
        return ""


def _aliases(item: ET.Element, kind: str, bases: list[str]) -> tuple[str, ...]:
    """The short links a post is known by besides its permalink (``?p=ID``, its guid)."""
    post_id = _text(item, "post_id")
    query = "page_id" if kind == PAGE else "p"
    found = [(item.findtext("guid") or "").strip()]
    if post_id:
        found += [f"{base.rstrip('/')}/?{query}={post_id}" for base in bases] + [f"{base.rstrip('/')}/?p={post_id}" for base in bases]
    return tuple(dict.fromkeys(url for url in found if url))


def _featured(item: ET.Element, attachments: dict[str, ET.Element]) -> FeaturedImage | None:
    meta = {_text(m, "meta_key"): _text(m, "meta_value") for m in item.findall("{*}postmeta")}
    attachment = attachments.get(meta.get("_thumbnail_id", ""))
    if attachment is None:
        return None
    url = _text(attachment, "attachment_url") or (attachment.findtext("guid") or "").strip()
    if not url:
        return None
    attachment_meta = {_text(m, "meta_key"): _text(m, "meta_value") for m in attachment.findall("{*}postmeta")}
    caption = re.sub(r"<[^>]+>", "", _excerpt(attachment)).strip()
    return FeaturedImage(url=url, alt=attachment_meta.get("_wp_attachment_image_alt", ""), caption=caption)


_GALLERY = re.compile(r"\[(gallery|playlist)\b([^\]]*)\]", re.IGNORECASE)


def _gallery(match: re.Match, post_id: str, attachments: dict[str, ET.Element]) -> str:
    """A ``[gallery]`` (or ``[playlist]``) as the HTML WordPress shows for it, from the
    attachments it names (``ids``) or, without ids, the post's own attachments."""
    from .furniture import shortcode_attributes

    attributes = shortcode_attributes(match.group(2))
    if attributes.get("ids"):
        chosen = [attachments[i.strip()] for i in attributes["ids"].split(",") if i.strip() in attachments]
    else:
        excluded = {i.strip() for i in attributes.get("exclude", "").split(",")}
        chosen = sorted((a for key, a in attachments.items() if _text(a, "post_parent") == post_id and post_id
                         and key not in excluded), key=lambda a: (int(_text(a, "menu_order") or 0), int(_text(a, "post_id") or 0)))
    if match.group(1).lower() == "playlist":
        return "".join(f'<audio src="{html.escape(_attachment_url(a))}"></audio>' for a in chosen if _attachment_url(a))
    items = []
    for attachment in chosen:
        url = _attachment_url(attachment)
        if not url or not re.search(r"\.(jpe?g|png|gif|webp|svg)$", url, re.IGNORECASE):
            continue
        meta = {_text(m, "meta_key"): _text(m, "meta_value") for m in attachment.findall("{*}postmeta")}
        caption = re.sub(r"<[^>]+>", "", _excerpt(attachment)).strip()
        items.append(f'<figure class="gallery-item"><img src="{html.escape(url)}" alt="{html.escape(meta.get("_wp_attachment_image_alt", ""))}"/>'
                     + (f"<figcaption>{html.escape(caption)}</figcaption>" if caption else "") + "</figure>")
    return f'<div class="gallery">{"".join(items)}</div>' if items else match.group(0)


def _attachment_url(attachment: ET.Element) -> str:
    return _text(attachment, "attachment_url") or (attachment.findtext("guid") or "").strip()


def _excerpt(item: ET.Element) -> str:
    return item.findtext("{http://wordpress.org/export/1.2/excerpt/}encoded") or next(
        (child.text or "" for child in item if isinstance(child.tag, str) and child.tag.endswith("}encoded")
         and "excerpt" in child.tag), "")


_BLOCKS = ("table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|form|map|area|blockquote|"
           "address|math|style|p|h[1-6]|hr|fieldset|legend|section|article|aside|hgroup|header|footer|nav|figure|"
           "figcaption|details|menu|summary")
_BLOCK_START = re.compile(rf"(<(?:{_BLOCKS})[\s/>])", re.IGNORECASE)
_BLOCK_END = re.compile(rf"(</(?:{_BLOCKS})>)", re.IGNORECASE)
_PRE = re.compile(r"<pre\b.*?</pre>", re.IGNORECASE | re.DOTALL)
_STARTS_WITH_BLOCK = re.compile(rf"^</?(?:{_BLOCKS})[\s/>]", re.IGNORECASE)


def autop(text: str) -> str:
    """Paragraphs from blank lines, as WordPress shows a classic-editor post (its wpautop):
    a run of text between blank lines or block elements becomes a <p>, a single line
    break a <br>."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept: list[str] = []  # a <pre>'s lines and blank lines are its own, as wpautop keeps them

    def keep(match: re.Match) -> str:
        kept.append(match.group(0))
        return f"\n\n\x00{len(kept) - 1}\x00\n\n"

    text = _PRE.sub(keep, text)
    text = _BLOCK_START.sub(r"\n\n\1", text)
    text = _BLOCK_END.sub(r"\n\n\1\n\n", text)
    chunks = []
    for chunk in re.split(r"\n\s*\n", text):
        chunk = chunk.strip()
        if not chunk:
            continue
        if _STARTS_WITH_BLOCK.match(chunk) or re.fullmatch(r"\x00\d+\x00", chunk):
            chunks.append(chunk)
        else:
            chunks.append("<p>" + re.sub(r"\s*\n\s*", "<br />\n", chunk) + "</p>")
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], "\n".join(chunks))

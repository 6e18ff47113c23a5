"""A folder of posts: web pages as a browser saves them (``Title.html`` with its
``Title_files/`` folder), or Markdown posts (``*.md`` with front matter), or both."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from lxml import etree
from lxml import html as lxml_html

from ..metadata import read_yaml, text_value
from ..model import BookError, Problem, error, warning
from ..parse import run_pandoc
from . import furniture, media
from .encoding import decode_page
from .images import local_copy
from .posts import PAGE, POST, Blog, FeaturedImage, Post, iso_date

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_RESIZED = re.compile(r"-(\d+x\d+|scaled)$")
_SAVED_FROM = re.compile(rb"<!--\s*saved from url=\(\d+\)(\S+?)\s*-->", re.IGNORECASE)
_DRAFT_CLASSES = re.compile(r"\bstatus-(draft|pending|future|private)\b")
_FEATURED = ("img.wp-post-image", ".post-thumbnail img", ".wp-block-post-featured-image img", ".featured-image img",
             ".entry-header img")
_URL_KEYS = ("url", "permalink", "link", "source", "canonical_url")


def read_folder(folder: Path, shown: str, only: str = "") -> Blog:
    """Every page and Markdown post directly in ``folder`` (saved pages' ``*_files`` folders
    hold their images), or ``only`` the one named."""
    files = sorted(f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in (".html", ".htm", ".md", ".markdown")
                   and (not only or f.name == only))
    if not files:
        raise BookError([error(shown, 1, 1, "no saved web pages (.html) or Markdown posts (.md) in this folder")])
    posts: list[Post] = []
    problems: list[Problem] = []
    sites, authors, languages = Counter(), Counter(), Counter()
    for file in files:
        where = f"{shown.rstrip('/')}/{file.name}" if shown not in ("", ".") else file.name
        if file.suffix.lower() in (".md", ".markdown"):
            post = _markdown_post(file, where, problems)
        else:
            post, site, language = _saved_page(file, where, folder, problems)
            sites[site] += bool(site)
            languages[language] += bool(language)
        if post is not None:
            posts.append(post)
            authors[post.author] += bool(post.author)
    return Blog(
        title=_most_common(sites),
        author=_most_common(authors),
        language=_most_common(languages),
        posts=tuple(posts),
        problems=tuple(problems),
    )


def _most_common(counts: Counter) -> str:
    found = [(value, n) for value, n in counts.most_common() if value and n]
    return found[0][0] if found else ""


# --- saved web pages ------------------------------------------------------------------


def _saved_page(file: Path, where: str, folder: Path, problems: list[Problem]) -> tuple[Post | None, str, str]:
    raw = file.read_bytes()
    decoded = decode_page(raw)  # as a browser reads it: never Latin-1 by default
    if not decoded.declared and decoded.encoding != "utf-8":
        problems.append(warning(where, 1, 1, f"{decoded.how}: check the chapter's text"))
    if decoded.replaced:
        problems.append(warning(where, 1, 1, f"{decoded.replaced} byte{'s' * (decoded.replaced != 1)} of this page "
                                             f"{'are' if decoded.replaced != 1 else 'is'} not {decoded.encoding}, the encoding "
                                             f"{decoded.how.removeprefix('its ')} declares: shown as \ufffd"))
    try:
        page = lxml_html.document_fromstring(_XML_DECLARATION.sub("", decoded.text, count=1))
    except (etree.ParserError, ValueError) as failure:
        problems.append(error(where, 1, 1, f"this page could not be read ({failure}): it is left out"))
        return None, "", ""
    furniture.drop_hidden(page)
    sites = _site_names(page)
    site = _meta(page, "og:site_name") or next(iter(sites), "")
    saved_from = _SAVED_FROM.search(raw[:2048])
    url = (_link(page, "canonical") or _meta(page, "og:url")
           or (saved_from.group(1).decode("utf-8", "replace") if saved_from else ""))
    title = _title(page, sites)
    article = page.find(".//article")
    classes = " ".join(e.get("class", "") for e in (page.find("body"), article) if e is not None)
    preview = "preview=true" in url
    draft = preview or bool(_DRAFT_CLASSES.search(classes))
    published = "" if draft else iso_date(_meta(page, "article:published_time") or _json_ld(page, "datePublished")
                                          or _first(page, "//time[contains(@class,'published')]/@datetime"))
    featured, featured_element = _featured(page, folder)
    if featured_element is not None and featured_element.getparent() is not None:
        furniture.drop(featured_element)  # it opens the chapter, not its text
    try:
        region = furniture.main_text(page)
    except (ValueError, etree.LxmlError) as failure:  # readability's Unparseable is a ValueError
        problems.append(warning(where, 1, 1, f"the post's text could not be told apart from the page ({failure}): "
                                             "the whole page is imported, less what the furniture rules remove"))
        region = page.find("body") if page.find("body") is not None else page
    post = Post(
        title=title,
        kind=PAGE if re.search(r"\b(page-id-\d+|type-page|page-template)", classes) else POST,
        html=lxml_html.tostring(region, encoding="unicode"),
        url=_without_preview(url) if preview else url,
        aliases=tuple(a for a in (_link(page, "shortlink"), url) if a),
        published=published,
        draft=draft,
        featured=featured,
        author=_meta(page, "author", attribute="name") or _json_ld_author(page),
        where=where,
        line=1,
        folder=folder,
    )
    return post, site, (page.get("lang") or "").strip()


_SEPARATORS = (" | ", " – ", " — ", " - ", " · ", " :: ", " » ", " • ", " ~ ", ": ")
_OWN_HEADINGS = ("//article//h1", "//h1[contains(concat(' ', @class, ' '), ' entry-title ')]",
                 "//*[contains(concat(' ', @class, ' '), ' entry-title ')]", "//h1[@itemprop='headline']",
                 "//*[contains(concat(' ', @class, ' '), ' post-title ')]", "//main//h1")
# Where a page keeps what is not the post: an image or heading there is the site's, not the post's.
_FURNITURE_WORDS = re.compile(r"(^|[\s_-])(nav|navigation|nav-links|post-navigation|site-header|masthead|site-branding|"
                              r"site-title|site-logo|custom-logo|logo|author|bio|avatar|gravatar|sidebar|widget|related|"
                              r"comment|comments|share|sharing|social|footer|menu|breadcrumbs?|advert|ads?)($|[\s_-])", re.IGNORECASE)


def _site_names(page) -> list[str]:
    """What the site calls itself: og:site_name, application-name, its JSON-LD WebSite or
    publisher, the site title in its header, its feed's title."""
    found = [_meta(page, "og:site_name"), _meta(page, "application-name", attribute="name"),
             _meta(page, "apple-mobile-web-app-title", attribute="name")]
    for data in _json_ld_objects(page):
        if data.get("@type") in ("WebSite", "Organization", "Blog") and isinstance(data.get("name"), str):
            found.append(data["name"])
        publisher = data.get("publisher")
        if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
            found.append(publisher["name"])
    found += [_first(page, "//*[contains(concat(' ', @class, ' '), ' site-title ')]"),
              _first(page, "//*[@id='site-title']")]
    for feed in page.xpath("//link[@rel='alternate'][contains(@type, 'rss') or contains(@type, 'atom')]/@title"):
        found.append(re.split(r" [»|–-] ", str(feed))[0])
    return list(dict.fromkeys(" ".join(name.split()) for name in found if name and name.strip()))


def _title(page, sites: list[str]) -> str:
    """The post's own heading first; else og:title or <title>, without the site's name."""
    names = {_folded(name) for name in sites}
    candidates = [_first(page, xpath, outside_furniture=True) for xpath in _OWN_HEADINGS]
    candidates += [_meta(page, "og:title"), _meta(page, "twitter:title", attribute="name"), page.findtext(".//title") or ""]
    for candidate in candidates:
        title = without_site_name(" ".join(candidate.split()), names)
        if title and _folded(title) not in names:
            return title
    return " ".join((page.findtext(".//title") or "").split())


def without_site_name(title: str, names: set[str]) -> str:
    """"Post – Site", "Site | Post", "Post - Site - Blog": the post's part of a title, given the
    site's names (folded); the title as it is when no part is the site's."""
    for separator in _SEPARATORS:
        parts = title.split(separator)
        if len(parts) < 2:
            continue
        if _folded(separator.join(parts[1:])) in names or _folded(parts[-1]) in names:
            kept = parts[:-1] if _folded(parts[-1]) in names else parts[:1]
            return separator.join(kept).strip()
        if _folded(parts[0]) in names:
            return separator.join(parts[1:]).strip()
    return title


def _folded(text: str) -> str:
    return " ".join(text.casefold().replace("’", "'").split())


def _in_furniture(element) -> bool:
    """Inside the page's navigation, header, author box, sidebar, comments, footer, related
    posts or share buttons (by element or by class and id words)."""
    for node in [element, *element.iterancestors()]:
        if node.tag in ("nav", "aside", "footer") or node.get("role") in ("navigation", "banner", "complementary", "contentinfo"):
            return True
        if node.tag == "header" and next(node.iterancestors("article"), None) is None and "entry-header" not in (node.get("class") or ""):
            return True
        if _FURNITURE_WORDS.search(f"{node.get('class') or ''} {node.get('id') or ''}") and node.tag not in ("body", "html"):
            return True
    return False


def _featured(page, folder: Path) -> tuple[FeaturedImage | None, object]:
    """The post's featured image, from the post (never from the navigation, the header or
    the author box): the theme's post thumbnail, or the page's og:image when the post shows
    it (a saved page's import never fetches one)."""
    candidates = [img for selector in _FEATURED for img in page.cssselect(selector)]
    shared = _meta(page, "og:image")
    if shared:
        wanted = _image_stem(shared)
        candidates += [img for img in page.iter("img") if any(_image_stem(src) == wanted for src in media.image_sources(img))]
    for img in candidates:
        sources = media.image_sources(img)
        if not sources or _in_furniture(img):
            continue
        local = next((found for src in sources if (found := local_copy(src, folder))), None)
        src = next((src for src in sources if local and local_copy(src, folder) == local), sources[0])
        figure = next(img.iterancestors("figure"), None)
        holder = figure if figure is not None else img
        caption = ""
        if figure is not None and figure.find(".//figcaption") is not None:
            caption = " ".join(figure.find(".//figcaption").text_content().split())
        else:
            caption = _credit_beside(holder)
        return FeaturedImage(url=src, alt=img.get("alt", ""), caption=caption, local=local), holder
    return None, None


def _credit_beside(holder) -> str:
    """A short line right after the image (a theme's credit line), which may be its credit."""
    following = holder.getnext()
    if following is None and holder.getparent() is not None and len(holder.getparent()) == 1:
        following = holder.getparent().getnext()
    if following is None or following.tag not in ("p", "span", "div", "small", "figcaption"):
        return ""
    text = " ".join(following.text_content().split())
    return text if 0 < len(text) < 120 and re.search(r"(foto|photo|image|bild|credit|crédit|©|imagen|immagine|gambar)", text, re.I) else ""


def _image_stem(url: str) -> str:
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]).rsplit(".", 1)[0]
    return _RESIZED.sub("", name).lower()


def _meta(page, name: str, attribute: str = "property") -> str:
    for attr in (attribute, "name", "property"):
        found = page.xpath(f"//meta[@{attr}=$name]/@content", name=name)
        if found:
            return str(found[0]).strip()
    return ""


def _link(page, rel: str) -> str:
    found = page.xpath("//link[@rel=$rel]/@href", rel=rel)
    return str(found[0]).strip() if found else ""


def _first(page, xpath: str, outside_furniture: bool = False) -> str:
    found = [f for f in page.xpath(xpath) if not (outside_furniture and not isinstance(f, str) and _in_furniture(f))]
    if not found:
        return ""
    return str(found[0]) if isinstance(found[0], str) else found[0].text_content()


def _json_ld(page, key: str) -> str:
    for data in _json_ld_objects(page):
        if isinstance(data.get(key), str):
            return data[key]
    return ""


def _json_ld_author(page) -> str:
    for data in _json_ld_objects(page):
        author = data.get("author")
        author = author[0] if isinstance(author, list) and author else author
        if isinstance(author, dict) and isinstance(author.get("name"), str):
            return author["name"]
    return ""


def _json_ld_objects(page):
    for script in page.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for item in (data if isinstance(data, list) else data.get("@graph", [data]) if isinstance(data, dict) else []):
            if isinstance(item, dict):
                yield item


def _without_preview(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k in ("p", "page_id")]
    return urlunsplit(parts._replace(query=urlencode(query), fragment=""))


# --- Markdown posts ---------------------------------------------------------------------


def _markdown_post(file: Path, where: str, problems: list[Problem]) -> Post | None:
    text = file.read_bytes().decode("utf-8-sig", "replace").replace("\r\n", "\n")
    lines = text.split("\n")
    if lines[0].strip() != "---":
        problems.append(error(where, 1, 1, "this Markdown post has no front matter (`---`, `title: ...`, `---`): it is left out"))
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        problems.append(error(where, 1, 1, "the front matter of this Markdown post is not closed: it is left out"))
        return None
    doc, found = read_yaml("\n".join(lines[1:end]), where, first_line=2)
    if doc is None:
        problems.extend(error(p.path, p.line, p.col, f"{p.message}: this post is left out") for p in found)
        return None
    own: list[Problem] = []
    title = text_value(doc, "title", where, own, required=True)
    url = next((value for key in _URL_KEYS if (value := text_value(doc, key, where, own))), "")
    date = text_value(doc, "published", where, own) or text_value(doc, "date", where, own)
    image = text_value(doc, "image", where, own) or text_value(doc, "featured_image", where, own)
    if own:
        problems.extend(error(p.path, p.line, p.col, f"{p.message}: this post is left out") for p in own)
        return None
    draft = doc.data.get("draft") is True or doc.data.get("published") is False
    try:
        html = run_pandoc("\n".join(lines[end + 1:]), where)
    except BookError as failure:
        problems.extend(failure.problems)
        return None
    featured = None
    if image:
        featured = FeaturedImage(url=image, alt=text_value(doc, "image_alt", where, []),
                                 caption=text_value(doc, "image_credit", where, []), local=local_copy(image, file.parent))
    return Post(
        title=title,
        kind=POST,
        html=html,
        url=url,
        aliases=(file.name,),
        published="" if draft else iso_date(date),
        draft=draft,
        featured=featured,
        author=text_value(doc, "author", where, []),
        where=where,
        line=1,
        folder=file.parent,
    )

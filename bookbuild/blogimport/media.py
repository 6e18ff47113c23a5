"""What a blog shows with scripts, players and galleries, in a form a book can hold.

- **Lazy-loaded images**: the real file is in ``data-src``, ``data-lazy-src``, a
  ``srcset`` or a ``<noscript>`` copy, not in ``src`` (a blank placeholder).
- **Galleries** (WordPress's classic, block, tiled and slideshow galleries): each image
  becomes a figure with its own caption; the gallery's caption follows them.
- **Video and audio** (a player's ``<iframe>``, ``<video>``, ``<audio>``, WordPress's embed,
  video and audio blocks): a figure of the poster (when the page has one) whose caption
  links to it, or else a paragraph with the link. Nothing plays in a book, but nothing
  vanishes either.
- **Bare embed URLs** (a post, video or song address alone in a paragraph, which the blog
  showed as a player): a link.
- **Book shapes**: a heading that holds only an image becomes a figure; a poem (WordPress's
  verse block) becomes lines that keep their breaks and indents; line breaks in ``<pre>``
  stay; an image without alt text takes its title or a file name that says something.

Each runs before the post is sanitized (which removes players and ``srcset``), and says
what it turned into a link and what it had to drop.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from lxml import etree
from lxml import html as lxml_html

from . import furniture

_PLACEHOLDER = re.compile(r"^data:|(?:^|/)(?:blank|spacer|placeholder|transparent|pixel|lazy[\w-]*|loader|loading|grey|gray|empty|"
                          r"1x1|dummy)\.(?:gif|png|svg|jpe?g|webp)(?:\?.*)?$", re.IGNORECASE)
_LAZY_ATTRIBUTES = ("data-src", "data-lazy-src", "data-original", "data-orig-file", "data-lazy", "data-url", "data-full-url",
                    "data-large-file")
_LAZY_SRCSETS = ("data-srcset", "data-lazy-srcset", "srcset")
ALTERNATIVES = "data-import-alternatives"  # other addresses of the same image, newline-separated: the first found is used

# Known players and posts: (host pattern, what it is).
_PROVIDERS = (
    (r"(^|\.)(youtube\.com|youtube-nocookie\.com|youtu\.be)$", "YouTube video"),
    (r"(^|\.)vimeo\.com$", "Vimeo video"),
    (r"(^|\.)dailymotion\.com$|^dai\.ly$", "Dailymotion video"),
    (r"(^|\.)tiktok\.com$", "TikTok video"),
    (r"(^|\.)twitch\.tv$", "Twitch video"),
    (r"(^|\.)ted\.com$", "TED talk"),
    (r"(^|\.)videopress\.com$|^video\.wordpress\.com$", "video"),
    (r"(^|\.)(twitter\.com|x\.com)$", "post on X (Twitter)"),
    (r"(^|\.)instagram\.com$", "Instagram post"),
    (r"(^|\.)facebook\.com$|^fb\.watch$", "Facebook post"),
    (r"(^|\.)threads\.net$", "Threads post"),
    (r"(^|\.)mastodon\.\w+$", "Mastodon post"),
    (r"(^|\.)bsky\.app$", "Bluesky post"),
    (r"(^|\.)reddit\.com$", "Reddit post"),
    (r"(^|\.)soundcloud\.com$", "SoundCloud audio"),
    (r"(^|\.)spotify\.com$", "Spotify audio"),
    (r"(^|\.)mixcloud\.com$", "Mixcloud audio"),
    (r"(^|\.)bandcamp\.com$", "Bandcamp audio"),
    (r"(^|\.)podcasts\.apple\.com$|(^|\.)anchor\.fm$", "podcast"),
    (r"(^|\.)flickr\.com$|^flic\.kr$", "Flickr photo"),
    (r"(^|\.)imgur\.com$", "Imgur image"),
    (r"(^|\.)slideshare\.net$|(^|\.)speakerdeck\.com$", "slides"),
    (r"(^|\.)codepen\.io$", "CodePen demo"),
    (r"^gist\.github\.com$", "GitHub gist"),
    (r"(^|\.)google\.[a-z.]+$|^maps\.app\.goo\.gl$", "Google map or document"),
    (r"(^|\.)scribd\.com$", "Scribd document"),
    (r"(^|\.)pinterest\.[a-z.]+$", "Pinterest pin"),
    (r"(^|\.)tumblr\.com$", "Tumblr post"),
    (r"(^|\.)wordpress\.tv$", "video"),
)
_GENERIC_TITLES = re.compile(r"^(youtube|vimeo|video|audio|embedded|embed|player|iframe|media)( (video )?(player|content|embed))?$",
                             re.IGNORECASE)
# What holds one embed: the wrapper goes with it.
_EMBED_WRAPPERS = ("wp-block-embed", "wp-block-video", "wp-block-audio", "wp-video", "wp-audio-shortcode", "embed-youtube",
                   "embed-vimeo", "jetpack-video-wrapper", "video-container", "fluid-width-video-wrapper", "responsive-embed",
                   "embed-responsive", "video-wrapper", "wp-embedded-content", "twitter-tweet", "instagram-media",
                   "tiktok-embed", "fb-post", "fb-video")
_GALLERIES = ("gallery", "wp-block-gallery", "tiled-gallery", "blocks-gallery-grid", "wp-block-jetpack-slideshow",
              "wp-block-jetpack-tiled-gallery", "slideshow-window", "jetpack-slideshow")
_GALLERY_ITEMS = ("gallery-item", "blocks-gallery-item", "tiled-gallery-item", "wp-block-image", "wp-block-jetpack-slideshow_slide")
_VERSE = ("wp-block-verse", "verse", "poem", "poetry")
_VIDEO_FILE = re.compile(r"\.(mp4|m4v|webm|ogv|mov|wmv|flv)(\?.*)?$", re.IGNORECASE)
_AUDIO_FILE = re.compile(r"\.(mp3|m4a|ogg|oga|wav|wma|flac|aac|opus)(\?.*)?$", re.IGNORECASE)
_URL_ALONE = re.compile(r"^\s*(https?://\S+)\s*$")
_CAMERA_NAME = re.compile(r"^(img|dsc|dscn|dscf|pxl|p|pic|photo|image|picture|screenshot|screen[ -]shot|capture|untitled|unnamed|"
                          r"whatsapp[ -]image|signal|wp|featured|header|banner|thumb|thumbnail|default|mvimg|gopr|dji|cover|"
                          r"[0-9a-f]{8,}|[\d\W_]+)([\W_]*[\d\W_]*)?$", re.IGNORECASE)
_SMALL_WORDS = {"at", "um", "de", "du", "le", "la", "the", "a", "an", "of", "and", "copy", "final", "edit", "edited", "new", "am", "pm"}
_SIZE_SUFFIX = re.compile(r"([-_](\d+x\d+|scaled|rotated|e\d{10,}|\d{2,4}w|min|large|medium|small|thumb(nail)?)|@\dx)+$", re.IGNORECASE)


@dataclass
class MediaReport:
    """What one post's media became."""

    linked: list[str] = field(default_factory=list)  # "YouTube video https://..." turned into a link
    dropped: list[str] = field(default_factory=list)  # what could not be kept, and why


# --- lazy-loaded images -----------------------------------------------------------------------


def lazy_images(root) -> None:
    """Every image's real address in ``src`` (the other candidates in ``ALTERNATIVES``), and
    ``<noscript>`` copies of lazy images folded into them."""
    for noscript in list(root.iter("noscript")):
        _fold_noscript(noscript)
    for img in root.iter("img"):
        candidates = image_sources(img)
        if candidates:
            img.set("src", candidates[0])
            if len(candidates) > 1:
                img.set(ALTERNATIVES, "\n".join(candidates[1:]))
        for name in (*_LAZY_ATTRIBUTES, *_LAZY_SRCSETS, "sizes", "data-sizes"):
            img.attrib.pop(name, None)


def image_sources(img) -> list[str]:
    """An image's addresses, the likeliest real one first: ``src`` unless it is a
    placeholder, then the lazy-loading attributes, then the largest of a ``srcset``."""
    src = (img.get("src") or "").strip()
    lazy = [img.get(name).strip() for name in _LAZY_ATTRIBUTES if (img.get(name) or "").strip()]
    sets = [largest_in_srcset(img.get(name)) for name in _LAZY_SRCSETS if (img.get(name) or "").strip()]
    found = [u for u in lazy + sets if u and not _PLACEHOLDER.search(u)]
    if src and not _PLACEHOLDER.search(src):
        found.insert(0, src)
    elif src and not found:
        found.append(src)  # a pasted data: image, or a placeholder with nothing better
    return list(dict.fromkeys(found))


def largest_in_srcset(srcset: str | None) -> str:
    best, width = "", -1.0
    for candidate in (srcset or "").split(","):
        parts = candidate.split()
        if not parts:
            continue
        size = parts[1] if len(parts) > 1 else "1x"
        try:
            value = float(size[:-1]) * (1000 if size.endswith("x") else 1)
        except ValueError:
            value = 0
        if value > width:
            best, width = parts[0], value
    return best


def _fold_noscript(noscript) -> None:
    """``<img class="lazy" data-src="x.jpg"><noscript><img src="x.jpg"></noscript>``: the
    noscript's image is the real one; the noscript goes (sanitizing would remove it)."""
    inner = [img for img in noscript.iter("img")]
    if not inner and (noscript.text or "").strip().startswith("<"):  # a parser that kept its content as text
        try:
            inner = list(lxml_html.fragment_fromstring(noscript.text, create_parent="div").iter("img"))
        except (etree.ParserError, ValueError):
            inner = []
    previous = noscript.getprevious()
    lazy = previous if previous is not None and previous.tag == "img" else None
    if lazy is None and previous is not None and previous.tag in ("a", "picture", "span", "div"):
        lazy = next(previous.iter("img"), None)
    if inner and lazy is not None:
        real = [s for s in image_sources(inner[0]) if s]
        if real:
            lazy.set("src", real[0])
        for name in ("alt", "title"):
            if not lazy.get(name) and inner[0].get(name):
                lazy.set(name, inner[0].get(name))
    furniture.drop(noscript)


# --- galleries, players, embeds ----------------------------------------------------------------


def embeds(root, report: MediaReport, page_url: str = "") -> None:
    """Galleries, players and embedded posts in a form a book holds (see the module's text)."""
    for gallery in list(_with_class(root, _GALLERIES)):
        if _attached(gallery, root) and not any(_has_class(a, _GALLERIES) for a in gallery.iterancestors()):
            _gallery(gallery, report)
    for element in list(root.iter("iframe", "video", "audio", "embed", "object", "lite-youtube", "lite-vimeo")):
        if _attached(element, root):
            _player(element, root, report)
    for wrapper in list(_with_class(root, _EMBED_WRAPPERS)):
        if _attached(wrapper, root):
            _embed_block(wrapper, report)
    for paragraph in list(root.iter("p", "div")):
        if _attached(paragraph, root) and not len([e for e in paragraph if e.tag not in ("a", "br")]):
            _bare_url(paragraph, report)


def _gallery(gallery, report: MediaReport) -> None:
    items = [item for item in _with_class(gallery, _GALLERY_ITEMS) if item.find(".//img") is not None
             and not any(_has_class(a, _GALLERY_ITEMS) for a in item.iterancestors() if a is not gallery)]
    figures = []
    for item in items or [img for img in gallery.iter("img")]:
        img = item if item.tag == "img" else item.find(".//img")
        caption = _caption_of(item) if item.tag != "img" else ""
        figures.append(_figure(img.get("src", ""), img.get("alt", ""), caption, img))
    if not figures:  # a slideshow whose images are in its data (Jetpack)
        for slide in _slides(gallery):
            figures.append(_figure(slide.get("src", ""), slide.get("alt", ""), slide.get("caption", "")))
    own_caption = ""
    for caption in gallery.iter("figcaption"):
        if _has_class(caption, ("blocks-gallery-caption", "wp-element-caption")) and caption.getparent() is gallery:
            own_caption = " ".join(caption.text_content().split())
    if not figures:
        report.dropped.append("a gallery or slideshow with no image the page holds")
        furniture.drop(gallery, keep_tail=True)
        return
    replacement = [*figures]
    if own_caption:
        paragraph = lxml_html.Element("p")
        paragraph.text = own_caption
        replacement.append(paragraph)
    _replace(gallery, replacement)


def _slides(gallery) -> list[dict]:
    data = gallery.get("data-gallery") or ""
    try:
        slides = json.loads(data) if data else []
    except ValueError:
        return []
    found = []
    for slide in slides if isinstance(slides, list) else []:
        if isinstance(slide, dict) and isinstance(slide.get("src"), str):
            text = lxml_html.fromstring(f"<p>{slide.get('caption') or ''}</p>").text_content() if slide.get("caption") else ""
            found.append({"src": slide["src"], "alt": str(slide.get("alt") or ""), "caption": " ".join(text.split())})
    return found


def _player(element, root, report: MediaReport) -> None:
    """A video, song or embedded page: its poster and a link, or only the link."""
    url = _player_url(element)
    holder = element
    while holder.getparent() is not None and holder.getparent() is not root and (
            _has_class(holder.getparent(), _EMBED_WRAPPERS) or _holds_only(holder.getparent(), holder)):
        holder = holder.getparent()
    if holder.getparent() is None:
        return
    if not url:
        if element.tag in ("video", "audio"):
            report.dropped.append(f"a {element.tag} with no address")
            furniture.drop(holder)
        return
    kind = provider(url) or ("video" if element.tag == "video" or _VIDEO_FILE.search(url) else
                             "audio" if element.tag == "audio" or _AUDIO_FILE.search(url) else "")
    if not kind:
        return  # a frame of some other page (a form, an advert, a tracker): sanitizing removes it, and counts it
    title = (element.get("title") or element.get("aria-label") or element.get("videotitle") or "").strip()
    caption = _caption_of(holder) if holder is not element else ""
    poster = element.get("poster") or element.get("data-poster") or ""
    if not poster:
        img = next((i for i in holder.iter("img") if not _PLACEHOLDER.search(i.get("src", ""))), None)
        poster = img.get("src", "") if img is not None else ""
    label = caption or (title if title and not _GENERIC_TITLES.match(title) else "")
    _replace(holder, [_linked(kind, label, url, poster)])
    report.linked.append(f"{kind} {url}")


def _player_url(element) -> str:
    if element.tag in ("lite-youtube",):
        video = element.get("videoid") or ""
        return f"https://www.youtube.com/watch?v={video}" if video else ""
    if element.tag == "lite-vimeo":
        video = element.get("videoid") or ""
        return f"https://vimeo.com/{video}" if video else ""
    src = (element.get("src") or element.get("data-src") or element.get("data") or "").strip()
    if not src and element.tag in ("video", "audio", "object"):
        source = next((s for s in element.iter("source", "param") if s.get("src") or s.get("value", "").startswith("http")), None)
        src = (source.get("src") or source.get("value") or "").strip() if source is not None else ""
        if not src:
            link = next(element.iter("a"), None)  # the fallback a player shows where it cannot play
            src = link.get("href", "") if link is not None else ""
    return watch_url(src) if src and not src.startswith(("about:", "javascript:", "data:")) else ""


def watch_url(src: str) -> str:
    """A player's address as a reader can open it: YouTube's and Vimeo's embed pages become
    their watch pages."""
    if src.startswith("//"):
        src = "https:" + src
    parts = urlsplit(src)
    host = parts.netloc.lower().removeprefix("www.")
    if host in ("youtube.com", "youtube-nocookie.com", "m.youtube.com"):
        match = re.match(r"/(?:embed|v|shorts)/([\w-]{6,})", parts.path)
        if match:
            return f"https://www.youtube.com/watch?v={match.group(1)}"
        video = parse_qs(parts.query).get("v")
        if video:
            return f"https://www.youtube.com/watch?v={video[0]}"
    if host == "player.vimeo.com":
        match = re.match(r"/video/(\d+)", parts.path)
        if match:
            return f"https://vimeo.com/{match.group(1)}"
    return src


def provider(url: str) -> str:
    host = urlsplit(url if "//" in url else "https://" + url).netloc.lower().split(":")[0].removeprefix("www.")
    return next((kind for pattern, kind in _PROVIDERS if re.search(pattern, host)), "")


def _embed_block(wrapper, report: MediaReport) -> None:
    """An embed block whose player was a script (a tweet's blockquote, a block with only its
    URL as text): the link, with the block's caption."""
    link = next((a.get("href") for a in wrapper.iter("a") if provider(a.get("href", ""))), "")
    text = " ".join(wrapper.text_content().split())
    url = link or next((word for word in text.split() if word.startswith("http") and provider(word)), "")
    if not url:
        return
    if wrapper.tag == "blockquote" and len(text) > len(url) + 20:
        return  # a quoted post with its own words (a tweet's blockquote): the words are the text; its link stays
    caption = _caption_of(wrapper)
    _replace(wrapper, [_linked(provider(url) or "embedded page", caption, url, "")])
    report.linked.append(f"{provider(url) or 'embedded page'} {url}")


def _bare_url(paragraph, report: MediaReport) -> None:
    """A paragraph that is only the address of a video or post (WordPress showed the player)."""
    text = paragraph.text_content()
    match = _URL_ALONE.match(text)
    if not match or not provider(match.group(1)):
        return
    links = list(paragraph.iter("a"))
    if len(links) > 1 or (links and links[0].get("href", "").rstrip("/") != match.group(1).rstrip("/")):
        return
    url = match.group(1)
    _replace(paragraph, [_linked(provider(url), "", url, "")])
    report.linked.append(f"{provider(url)} {url}")


def _linked(kind: str, label: str, url: str, poster: str):
    """A figure of the poster whose caption links to the media, or a paragraph with the link."""
    words = label or kind[:1].upper() + kind[1:]
    outer = lxml_html.Element("figure" if poster else "p")
    text = outer
    if poster:
        etree.SubElement(outer, "img", {"src": poster, "alt": f"{words} (a still)"})
        text = etree.SubElement(outer, "figcaption")
    text.text = f"{words}: "
    etree.SubElement(text, "a", {"href": url}).text = url
    return outer


def _figure(src: str, alt: str, caption: str, original=None):
    figure = lxml_html.Element("figure")
    img = etree.SubElement(figure, "img", {"src": src, "alt": alt or ""})
    if original is not None:
        for name in ("title", ALTERNATIVES):
            if original.get(name):
                img.set(name, original.get(name))
    if caption:
        etree.SubElement(figure, "figcaption").text = caption
    return figure


def _caption_of(element) -> str:
    found = next(iter(element.iter("figcaption")), None)
    if found is None:
        found = next((e for e in element.iter() if _has_class(e, ("wp-caption-text", "gallery-caption", "tiled-gallery-caption",
                                                                  "wp-element-caption"))), None)
    return " ".join(found.text_content().split()) if found is not None else ""


def _replace(element, replacements: list) -> None:
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    index = parent.index(element)
    parent.remove(element)
    for offset, new in enumerate(replacements):
        parent.insert(index + offset, new)
    if tail and tail.strip():
        if replacements:
            replacements[-1].tail = tail
        else:
            furniture.drop(element)


# --- book shapes ---------------------------------------------------------------------------------


def book_shapes(root) -> None:
    """Image-only headings as figures, poems as line blocks, ``<br>`` in ``<pre>`` as line
    breaks, and alt text from an image's title or file name where it has none."""
    for heading in list(root.iter(*furniture.HEADINGS)):
        if heading.find(".//img") is not None and not heading.text_content().strip():
            figure = lxml_html.Element("figure")
            for img in list(heading.iter("img")):
                figure.append(img)
                img.tail = None
            _replace(heading, [figure] if len(figure) else [])
    for pre in list(root.iter("pre")):
        for br in list(pre.iter("br")):
            br.tail = "\n" + (br.tail or "")
            br.drop_tag()
    for verse in [e for e in root.iter() if _has_class(e, _VERSE)]:
        if _attached(verse, root):
            _line_blocks(verse)
    for paragraph in list(root.iter("p")):
        images = list(paragraph.iter("img"))
        if len(images) == 1 and not paragraph.text_content().strip() and paragraph.getparent() is not None:
            figure = lxml_html.Element("figure")  # an image alone: a figure without a caption, not one captioned with its alt text
            images[0].tail = None
            figure.append(images[0])
            _replace(paragraph, [figure])
    for img in root.iter("img"):
        figure = img.getparent()
        captioned = figure is not None and figure.tag == "figure" and figure.find("figcaption") is not None
        if not (img.get("alt") or "").strip() and not captioned:  # a caption is the alt text of its figure
            img.set("alt", alt_text(img))


def _line_blocks(verse) -> None:
    """A poem: its lines keep their breaks, indents and the blank lines between stanzas
    (one pandoc line block)."""
    for br in list(verse.iter("br")):
        br.tail = "\n" + (br.tail or "")
        br.drop_tag()
    lines = verse.text_content().replace("\r\n", "\n").strip("\n").split("\n")
    block = lxml_html.Element("div", {"class": "line-block"})
    last = None
    for n, line in enumerate(lines):
        indent = len(line) - len(line.lstrip(" \t"))
        content = "\u00a0" * indent + line.strip()
        if last is None:
            block.text = content
        else:
            last.tail = content
        if n < len(lines) - 1:
            last = etree.SubElement(block, "br")
    _replace(verse, [block])


def alt_text(img) -> str:
    """An image's title, or what its file name says ("red-bike-by-the-canal-1024x683.jpg":
    "Red bike by the canal"); "" when neither says anything (a decorative image)."""
    title = " ".join((img.get("title") or "").split())
    if title and not _CAMERA_NAME.match(title):
        return title
    path = urlsplit(img.get("src") or "").path
    stem = unquote(path.rsplit("/", 1)[-1]).rsplit(".", 1)[0] if path else ""
    stem = _SIZE_SUFFIX.sub("", stem)
    words = [w for w in re.split(r"[-_+.\s]+", stem) if w]
    saying = [w for w in words if w.isalpha() and not _CAMERA_NAME.fullmatch(w) and w.lower() not in _SMALL_WORDS]
    if len(saying) < 2 or _CAMERA_NAME.match(stem):
        return ""
    if any(len(w) > 6 and re.search(r"\d", w) and re.search(r"[a-z]", w, re.I) for w in words):
        return ""  # a hash or an id in the name: it says nothing
    sentence = " ".join(words)
    return sentence[:1].upper() + sentence[1:]


# --- small helpers -------------------------------------------------------------------------------


def _classes(element) -> set[str]:
    return set((element.get("class") or "").split()) if isinstance(element.tag, str) else set()


def _has_class(element, names) -> bool:
    return bool(_classes(element) & set(names))


def _with_class(root, names):
    return [e for e in root.iter() if isinstance(e.tag, str) and _has_class(e, names)]


def _holds_only(parent, child) -> bool:
    """``parent`` holds ``child`` and nothing else to read (a wrapper, a paragraph around a player)."""
    own = " ".join(parent.text_content().split())
    return own == " ".join(child.text_content().split()) and len([e for e in parent if isinstance(e.tag, str)]) == 1


def _attached(element, root) -> bool:
    return element is root or any(ancestor is root for ancestor in element.iterancestors())

"""Parse: one Markdown file -> HTML with local ids and a list of what it refers to.

Each file is parsed on its own (one pandoc process), from inputs that can be
hashed, so files can be parsed in parallel and cached.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import replace
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pypandoc
import tinyhtml5
from lxml import etree
from lxml import html as lxml_html

from .cache import Cache, key_of
from .model import BookError, Heading, ImageRef, LinkRef, Metadata, ParsedPart, Problem, SourceFile, error, warning
from .sanitize import sanitize

PANDOC_FROM = "markdown+wikilinks_title_after_pipe-yaml_metadata_block"
_BATCH_SCRIPT = Path(__file__).with_name("pandoc_batch.lua")
PANDOC_ARGS = ("-t", "html5", "--wrap=none", "--syntax-highlighting=none")
_HEADING = re.compile(r"^h([1-6])$")


def parse_all(files: tuple[SourceFile, ...], jobs: int, cache: Cache) -> list[ParsedPart]:
    """Parse every file not already in the cache: pandoc on ``jobs`` batches at once
    (it runs as a subprocess, so threads suffice), then each file on its own."""
    keys = [key_of("parse", repr(source)) for source in files]
    parsed = [cache.load("parse", key) for key in keys]
    missing = [files[n] for n, part in enumerate(parsed) if part is None]
    batches = [missing[i::jobs] for i in range(max(1, jobs)) if missing[i::jobs]]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        html = {source.path: texts for batch, results in zip(batches, pool.map(_pandoc_batch, batches))
                for source, texts in zip(batch, results)}
    for n, part in enumerate(parsed):
        if part is None:
            body, title, subtitle = html[files[n].path]
            source = replace(files[n], title=_plain(title) or files[n].title, subtitle=_plain(subtitle))
            parsed[n] = parse(source, body)
            cache.store("parse", keys[n], parsed[n])
    cache.keep_only("parse", set(keys))
    return parsed


def typographic_metadata(metadata: Metadata, cache: Cache) -> Metadata:
    """The book's metadata as it is shown: quotes, apostrophes and dashes as the body text
    has them (pandoc's smart typography), so that the cover, the title pages and the
    running heads match the chapters."""
    fields = ("title", "subtitle", "publisher", "rights", "description", "series", "edition")
    texts = [getattr(metadata, name) for name in fields] + list(metadata.authors)
    key = key_of("typography", json.dumps(texts))
    shown = cache.load("typography", key)
    if shown is None:
        try:
            html = _pandoc_texts([_as_inline(text) for text in texts])
        except _PandocFailed as failed:
            raise BookError([error("metadata.yaml", 1, 1, f"pandoc could not read the metadata: {failed}")])
        shown = [_plain(html) or text for html, text in zip(html, texts)]
        cache.store("typography", key, shown)
        cache.keep_only("typography", {key})
    return replace(metadata, **dict(zip(fields, shown)), authors=tuple(shown[len(fields):]))


def _as_inline(text: str) -> str:
    """Plain text as Markdown that pandoc reads as one run of text (a span), whatever it
    holds: every character Markdown gives a meaning to is escaped, except the quotes,
    dashes and dots that smart typography is for."""
    if not text.strip():
        return ""
    escaped = re.sub(r"([\\`*_{}\[\]()#+!<>|~^$@&%=:;/])", r"\\\1", " ".join(text.split()))
    return f"[{escaped}]{{}}"


def _plain(html_text: str) -> str:
    if not html_text.strip():
        return ""
    return " ".join(lxml_html.fromstring(html_text).text_content().split())


class _PandocFailed(Exception):
    """pandoc's own message."""


def _pandoc_texts(texts: list[str]) -> list[str]:
    """Markdown texts through one pandoc process, each to HTML."""
    done = subprocess.run([pypandoc.get_pandoc_path(), "lua", str(_BATCH_SCRIPT)],
                          input=json.dumps(texts).encode("utf-8"), capture_output=True, timeout=600)
    if done.returncode != 0:
        raise _PandocFailed(done.stderr.decode("utf-8", "replace").strip())
    return json.loads(done.stdout)


def _pandoc_batch(sources: list[SourceFile]) -> list[tuple[str, str, str]]:
    """Many files through one pandoc process, each its body's HTML and its title's and
    subtitle's; if pandoc fails, each on its own, to say which."""
    pieces = [_split_for_pandoc(source.body) + [_as_inline(source.title), _as_inline(source.subtitle)]
              for source in sources]
    try:
        html = iter(_pandoc_texts([piece for split in pieces for piece in split]))
        results = []
        for split in pieces:
            texts = [next(html) for _ in split]
            results.append((_join_pandoc_html(texts[:-2]), texts[-2], texts[-1]))
        return results
    except (subprocess.TimeoutExpired, ValueError, _PandocFailed):
        pass
    return [(run_pandoc(source.body, source.path), run_pandoc(_as_inline(source.title), source.path),
             run_pandoc(_as_inline(source.subtitle), source.path)) for source in sources]


_PIECE = 300_000  # characters: pandoc needs about 140 times a text's size in memory
_DEFINITION = re.compile(r"^(\[\^[^\]\s]+\]:.*(?:\n(?:[ \t]+.*|[ \t]*)(?=\n[ \t]|\n?$))*|[ ]{0,3}\[[^\]^][^\]]*\]:[ \t]+\S.*)$",
                         re.MULTILINE)
_NOTE_IDS = re.compile(r'(id="|href="#)(fn|fnref)(\d+)"')
_NOTES_SECTION = re.compile(r'<section id="footnotes"[^>]*>\s*<hr />\s*<ol>(.*)</ol>\s*</section>\s*$', re.DOTALL)
_HEADING_ID = re.compile(r'(<h[1-6] id=")([^"]+)(")')


def _split_for_pandoc(text: str) -> list[str]:
    """An enormous file goes to pandoc in pieces cut before headings (outside code),
    each with the note and link definitions it uses, so pandoc's memory stays small."""
    if len(text) <= _PIECE:
        return [text]
    definitions = [m.group(0) for m in _DEFINITION.finditer(text)]
    body = _DEFINITION.sub("", text)
    pieces, start, fenced = [], 0, False
    offset = 0
    for line in body.splitlines(keepends=True):
        if line.startswith(("```", "~~~")):
            fenced = not fenced
        if not fenced and line.startswith("#") and offset - start >= _PIECE:
            pieces.append(body[start:offset])
            start = offset
        offset += len(line)
    pieces.append(body[start:])
    return [piece + "\n\n" + "\n\n".join(d for d in definitions if not d.startswith("[^") or d[:d.index("]") + 1] in piece)
            for piece in pieces]


def _join_pandoc_html(parts: list[str]) -> str:
    """The pieces' HTML as one file's: note ids made unique, one notes section, heading
    ids unique as pandoc would have made them."""
    if len(parts) == 1:
        return parts[0]
    bodies, notes, seen = [], [], set()

    def unique_heading(match: re.Match) -> str:
        value = match.group(2)
        while value in seen:
            value += "-1"
        seen.add(value)
        return match.group(1) + value + match.group(3)

    for n, html in enumerate(parts, start=1):
        html = _NOTE_IDS.sub(lambda m: f'{m.group(1)}{m.group(2)}{n}-{m.group(3)}"', html)
        found = _NOTES_SECTION.search(html)
        if found:
            notes.append(found.group(1))
            html = html[: found.start()]
        bodies.append(_HEADING_ID.sub(unique_heading, html))
    if notes:
        bodies.append('<section id="footnotes" class="footnotes footnotes-end-of-document" role="doc-endnotes">'
                      f'<hr /><ol>{"".join(notes)}</ol></section>')
    return "\n".join(bodies)


def parse(source: SourceFile, html_text: str) -> ParsedPart:
    """One file, from the HTML pandoc wrote for it."""
    # Only an author's raw HTML needs the HTML5 parser; pandoc's own HTML is regular.
    root = html_tree(html_text) if "<" in source.body else _pandoc_tree(html_text)
    locator = Locator(source.body, source.body_line)
    problems: list[Problem] = []

    def report_removal(needle: str, message: str) -> None:
        line, col = locator.find(needle, ignore_case=True)
        problems.append(warning(source.path, line, col, message))

    sanitize(root, report_removal)
    headings = _normalise_headings(root)
    links = _collect_links(root, locator)
    images = _collect_images(root, locator)
    problems += _headings_without_text(root, headings, images, locator, source.path)
    ids = _unique_ids(root, locator, source.path, problems)
    body_html = "".join(_serialise(child) for child in root)
    if root.text and root.text.strip():
        body_html = f"<p>{_escape(root.text)}</p>" + body_html
    return ParsedPart(source, body_html, headings, ids, links, images, tuple(problems))


def run_pandoc(markdown: str, path: str) -> str:
    try:
        done = subprocess.run(
            [pypandoc.get_pandoc_path(), "-f", PANDOC_FROM, *PANDOC_ARGS],
            input=markdown.encode("utf-8"),
            capture_output=True,
            timeout=300,
        )
    except subprocess.TimeoutExpired:
        raise BookError([error(path, 1, 1, "pandoc took more than 5 minutes on this file: is it enormous?")])
    stderr = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode != 0:
        raise BookError([error(path, 1, 1, f"pandoc could not read this file (exit {done.returncode}): {stderr}")])
    return done.stdout.decode("utf-8")


def html_tree(markup: str) -> lxml_html.HtmlElement:
    """Parse HTML as browsers do (HTML5 rules), into a ``div`` holding it.

    libxml2's older HTML parser mangles what imported blogs contain (it loses
    the text after a ``<form>``, for one), so raw author HTML goes through
    tinyhtml5, WeasyPrint's own parser, and is copied into lxml elements.
    """
    body = tinyhtml5.parse(markup, namespace_html_elements=False).find("body")
    root = lxml_html.Element("div")
    _copy_children(body, root)
    return root


def _pandoc_tree(markup: str) -> lxml_html.HtmlElement:
    if not markup.strip():
        return lxml_html.Element("div")
    return lxml_html.fragment_fromstring(markup, create_parent="div")


def _copy_children(source, target: lxml_html.HtmlElement) -> None:
    target.text = source.text
    last = None
    for child in source:
        if not isinstance(child.tag, str):  # a comment: keep only the text after it
            if child.tail:
                if last is None:
                    target.text = (target.text or "") + child.tail
                else:
                    last.tail = (last.tail or "") + child.tail
            continue
        try:
            element = lxml_html.Element(child.tag)
        except ValueError:
            element = lxml_html.Element("span")
        for name, value in child.attrib.items():
            try:
                element.set(name, value)
            except ValueError:
                pass  # a name XML cannot hold; nothing a book needs
        _copy_children(child, element)
        element.tail = child.tail
        target.append(element)
        last = element


class Locator:
    """Finds constructs in the Markdown source: pandoc's HTML has no positions.

    The n-th search for the same needle finds its n-th occurrence, so repeated
    references to one target are each located at their own place.
    """

    def __init__(self, text: str, first_line: int):
        self.text = _mask_code(text)
        self.lower = self.text.lower()
        self.first_line = first_line
        self.next_start: dict[tuple[str, bool], int] = {}

    def find(self, *needles: str, ignore_case: bool = False) -> tuple[int, int]:
        haystack = self.lower if ignore_case else self.text
        for needle in needles:
            if not needle:
                continue
            key = (needle.lower() if ignore_case else needle, ignore_case)
            offset = haystack.find(key[0], self.next_start.get(key, 0))
            if offset >= 0:
                self.next_start[key] = offset + 1
                return self.position(offset)
        return self.first_line, 1

    def find_pattern(self, pattern: re.Pattern) -> tuple[int, int]:
        """The next match of ``pattern`` after the last one found."""
        key = (pattern.pattern, False)
        match = pattern.search(self.text, self.next_start.get(key, 0))
        if match is None:
            return self.first_line, 1
        self.next_start[key] = match.start() + 1
        return self.position(match.start() + len(match.group(0)) - len(match.group(0).lstrip()))

    def nth(self, needles: tuple[str, ...], n: int) -> tuple[int, int]:
        """The n-th (0-based) occurrence of any of ``needles``, or the last one there is."""
        offsets = sorted(m.start() for needle in needles for m in re.finditer(re.escape(needle), self.text))
        return self.position(offsets[min(n, len(offsets) - 1)]) if offsets else (self.first_line, 1)

    def find_link(self, target: str, wikilink: bool) -> tuple[int, int]:
        if wikilink:
            return self.find(f"[[{target}]]", f"[[{target}|", f"[[{target}")
        for needle in (f"]({target}", f"](<{target}>", f"]: {target}"):
            key = (needle, False)
            offset = self.text.find(needle, self.next_start.get(key, 0))
            if offset >= 0:
                self.next_start[key] = offset + 1
                return self.position(_opening_bracket(self.text, offset))
        return self.find(target)

    def position(self, offset: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, offset)
        col = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return self.first_line + line, col


_FENCE = re.compile(r"^(```+|~~~+)[^\n]*\n.*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)


def _mask_code(text: str) -> str:
    """Blank out code, keeping offsets: a reference quoted in code is not the reference."""
    def blank(match: re.Match) -> str:
        return "".join(c if c == "\n" else " " for c in match.group(0))

    return _CODE_SPAN.sub(blank, _FENCE.sub(blank, text))


def _opening_bracket(text: str, close: int) -> int:
    """The '[' that opens the link text ending at ``close`` (the ']' of '](')."""
    depth = 0
    for i in range(close - 1, max(-1, close - 5000), -1):
        char = text[i]
        if char == "]":
            depth += 1
        elif char == "[":
            if depth == 0:
                return i - 1 if i > 0 and text[i - 1] == "!" else i
            depth -= 1
    return close


def _normalise_headings(root: lxml_html.HtmlElement) -> tuple[Heading, ...]:
    """Sections start at h2 (the part title is the h1), whatever level the author began with."""
    elements = [el for el in root.iter() if isinstance(el.tag, str) and _HEADING.match(el.tag)]
    if not elements:
        return ()
    shift = 2 - min(int(el.tag[1]) for el in elements)
    headings = []
    taken = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    for n, el in enumerate(elements, start=1):
        level = min(6, int(el.tag[1]) + shift)
        el.tag = f"h{level}"
        if not el.get("id"):
            new_id = f"section-{n}"
            while new_id in taken:
                new_id += "-1"
            taken.add(new_id)
            el.set("id", new_id)
        text = heading_text(el)
        if text and not el.text_content().strip():  # an image's alt text: the PDFs' bookmark too (styles/pdf.css)
            el.set("data-label", text)
        headings.append(Heading(level, el.get("id"), text))
    return tuple(headings)


def heading_text(heading: lxml_html.HtmlElement) -> str:
    """What the contents, the navigation and the bookmarks call a heading: its text, or,
    when it is an image and nothing else (``## ![Our logo](logo.png)``), the image's alt
    text, as a screen reader names it."""
    text = " ".join(heading.text_content().split())
    return text or " ".join(" ".join(img.get("alt", "") for img in heading.iter("img")).split())


# A heading line with no words: ``##``, ``## {#id}``, ``<h2></h2>``.
_EMPTY_HEADING = re.compile(r"^[ ]{0,3}#{1,6}(?:[ \t]+\{[^}\n]*\})?[ \t#]*$|<h[1-6][^>]*>\s*</h[1-6]>", re.MULTILINE | re.IGNORECASE)


def _headings_without_text(root: lxml_html.HtmlElement, headings: tuple[Heading, ...], images: tuple[ImageRef, ...],
                           locator: Locator, path: str) -> list[Problem]:
    """A heading with nothing to call it by would be an empty line in the contents (and an
    EPUB that EPUBCheck refuses): an error at its line, saying what to write."""
    problems = []
    elements = [el for el in root.iter() if isinstance(el.tag, str) and _HEADING.match(el.tag)]
    for heading, element in zip(headings, elements):
        if heading.text:
            continue
        inside = [images[int(img.get("data-img"))] for img in element.iter("img")]
        if inside:
            line, col = inside[0].line, inside[0].col
            problems.append(error(path, line, col, "this heading is an image without alt text, so the contents would "
                                  "list it with no words: describe the image (`## ![Our logo](logo.png)`) or give the "
                                  "heading words"))
        else:
            line, col = locator.find_pattern(_EMPTY_HEADING)
            problems.append(error(path, line, col, "this heading has no words, so the contents would list an empty "
                                  "line: give it words, or remove it"))
    return problems


def _unique_ids(root: lxml_html.HtmlElement, locator: Locator, path: str, problems: list[Problem]) -> frozenset[str]:
    """Ids are per chapter, so within one chapter each must be unique."""
    seen: dict[str, int] = {}
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.get("id"):
            continue
        value = element.get("id")
        if value in seen:
            # Auto ids are not in the source, so the clash is at the latest explicit one so far.
            line, col = locator.nth((f"{{#{value}}}", f"{{#{value} ", f'id="{value}"'), seen[value])
            problems.append(error(path, line, col, f"id `{value}` is used twice in this file: give one of them another {{#id}}"))
        seen[value] = seen.get(value, 0) + 1
    return frozenset(seen)


def _collect_links(root: lxml_html.HtmlElement, locator: Locator) -> tuple[LinkRef, ...]:
    links = []
    for index, a in enumerate(root.iter("a")):
        href = a.get("href")
        if href is None or "footnote-ref" in a.get("class", "") or "footnote-back" in a.get("class", ""):
            continue
        a.set("data-ref", str(index))
        wikilink = "wikilink" in a.get("class", "").split()
        text = a.text_content()
        has_text = bool(text.strip()) and not (wikilink and text == href)
        line, col = locator.find_link(href, wikilink)
        links.append(LinkRef(index, href, wikilink, has_text, line, col))
    return tuple(links)


def _collect_images(root: lxml_html.HtmlElement, locator: Locator) -> tuple[ImageRef, ...]:
    images = []
    for index, img in enumerate(root.iter("img")):
        src = img.get("src", "")
        img.set("data-img", str(index))
        line, col = locator.find_link(src, wikilink=False)
        images.append(ImageRef(index, src, img.get("alt", ""), line, col))
    return tuple(images)


def _serialise(element: etree._Element) -> str:
    return etree.tostring(element, method="xml", encoding="unicode")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

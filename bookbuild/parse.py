"""Parse: one Markdown file -> HTML with local ids and a list of what it refers to.

Each file is parsed on its own (one pandoc process), from inputs that can be
hashed, so files can be parsed in parallel and cached.
"""

from __future__ import annotations

import html as html_module
import json
import os
import re
import subprocess
import threading
from dataclasses import replace
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from pathlib import Path
from urllib.parse import unquote

import pypandoc
import tinyhtml5
from lxml import etree
from lxml import html as lxml_html

from . import characters
from .cache import Cache, key_of
from .model import BookError, Heading, ImageRef, LinkRef, Metadata, ParsedPart, Problem, SourceFile, error, warning
from .sanitize import sanitize

PANDOC_FROM = "markdown+wikilinks_title_after_pipe-yaml_metadata_block"
_BATCH_SCRIPT = Path(__file__).with_name("pandoc_batch.lua")
_TYPOGRAPHY_FILTER = Path(__file__).with_name("typography.lua")
PANDOC_ARGS = ("-t", "html5", "--wrap=none", "--syntax-highlighting=none")
_HEADING = re.compile(r"^h([1-6])$")


def parse_all(files: tuple[SourceFile, ...], jobs: int, cache: Cache, language: str = "") -> list[ParsedPart]:
    """Parse every file not already in the cache: pandoc on ``jobs`` batches at once
    (it runs as a subprocess, so threads suffice), then each file on its own, with the
    typography of the book's ``language`` (its quotation marks and no-break spaces). A
    file nested too deeply is not given to pandoc (see ``nesting_problem``)."""
    rules = typography_rules(language)
    keys = [key_of("parse", repr(source), rules) for source in files]
    parsed = [cache.load("parse", key) for key in keys]
    for n, source in enumerate(files):
        too_deep = nesting_problem(source) if parsed[n] is None else None
        if too_deep is not None:
            parsed[n] = replace(parse(replace(source, body=""), ""), problems=(too_deep,))
    missing = [files[n] for n, part in enumerate(parsed) if part is None]
    batches = [missing[i::jobs] for i in range(max(1, jobs)) if missing[i::jobs]]
    _pandocs.stopping = False
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        html = {source.path: texts for batch, results in zip(batches, pool.map(lambda batch: _pandoc_batch(batch, rules), batches))
                for source, texts in zip(batch, results)}
    except BaseException:  # Ctrl-C or SIGTERM (see cli): the pandocs the threads wait for are stopped too
        _pandocs.stop()
        raise
    finally:
        pool.shutdown(cancel_futures=True)
    for n, part in enumerate(parsed):
        if part is None:
            body, title, subtitle, running_head = html[files[n].path]
            source = replace(files[n], title=_plain(title) or files[n].title, subtitle=_plain(subtitle),
                             running_head=_plain(running_head))
            parsed[n] = parse(source, body)
            cache.store("parse", keys[n], parsed[n])
    cache.keep_only("parse", set(keys))
    return parsed


def typography_rules(language: str) -> str:
    """The typography of ``language`` as ``typography.lua`` reads it (JSON); empty for none."""
    if not language:
        return ""
    from .words import words_for

    return json.dumps(words_for(language).typography.as_rules(), sort_keys=True)


def typographic_metadata(metadata: Metadata, cache: Cache) -> Metadata:
    """The book's metadata as it is shown: quotes, apostrophes and dashes as the body text
    has them (pandoc's smart typography, in the book's language), so that the cover, the
    title pages and the running heads match the chapters."""
    fields = ("title", "subtitle", "publisher", "rights", "description", "series", "edition")
    texts = [getattr(metadata, name) for name in fields] + list(metadata.authors)
    rules = typography_rules(metadata.language)
    key = key_of("typography", json.dumps(texts), rules)
    shown = cache.load("typography", key)
    if shown is None:
        try:
            html = _pandoc_texts([_as_inline(text) for text in texts], rules)
        except _PandocFailed as failed:
            raise BookError([error("metadata.yaml", 1, 1, f"pandoc could not read the metadata: {failed}")])
        shown = [_plain(html) or text for html, text in zip(html, texts)]
        cache.store("typography", key, shown)
        cache.keep_only("typography", {key})
    return replace(metadata, **dict(zip(fields, shown)), authors=tuple(shown[len(fields):]))


def metadata_markdown(text: str, language: str = "") -> str:
    """A Markdown text of metadata.yaml (``back_cover``) as an HTML fragment."""
    try:
        return _pandoc_texts([text], typography_rules(language))[0]
    except _PandocFailed as failed:
        raise BookError([error("metadata.yaml", 1, 1, f"pandoc could not read the metadata: {failed}")])


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


class _Pandocs:
    """The pandoc processes running, so that a build that is stopped stops them too: they
    run from threads, which a signal does not reach (and a pandoc given a hostile file can
    take minutes)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: set[subprocess.Popen] = set()
        self.stopping = False

    def run(self, command: list[str], data: bytes, timeout: float, rules: str = "") -> subprocess.CompletedProcess:
        """``rules``: the typography ``typography.lua`` applies (JSON), given in its environment."""
        environment = {**os.environ, "BOOKBUILD_TYPOGRAPHY": rules}
        with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=environment) as process:
            with self.lock:
                if self.stopping:
                    process.kill()
                    raise _PandocFailed("the build was stopped")
                self.running.add(process)
            try:
                out, err = process.communicate(data, timeout=timeout)
            except BaseException:
                process.kill()
                raise
            finally:
                with self.lock:
                    self.running.discard(process)
        return subprocess.CompletedProcess(command, process.returncode, out, err)

    def stop(self) -> None:
        with self.lock:
            self.stopping = True
            for process in self.running:
                process.kill()


_pandocs = _Pandocs()


def _pandoc_texts(texts: list[str], rules: str = "") -> list[str]:
    """Markdown texts through one pandoc process, each to HTML (with the typography ``rules``)."""
    done = _pandocs.run([pypandoc.get_pandoc_path(), "lua", str(_BATCH_SCRIPT)], json.dumps(texts).encode("utf-8"), 600,
                        rules)
    if done.returncode != 0:
        raise _PandocFailed(done.stderr.decode("utf-8", "replace").strip())
    return json.loads(done.stdout)


def _pandoc_batch(sources: list[SourceFile], rules: str = "") -> list[tuple[str, str, str, str]]:
    """Many files through one pandoc process, each its body's HTML and its title's,
    subtitle's and running head's; if pandoc fails, each on its own, to say which."""
    pieces = [_split_for_pandoc(source.body) + [_as_inline(text) for text in _titles(source)] for source in sources]
    try:
        html = iter(_pandoc_texts([piece for split in pieces for piece in split], rules))
        results = []
        for split in pieces:
            texts = [next(html) for _ in split]
            results.append((_join_pandoc_html(texts[:-3]), *texts[-3:]))
        return results
    except (subprocess.TimeoutExpired, ValueError, _PandocFailed):
        pass
    return [(run_pandoc(source.body, source.path, rules),
             *(run_pandoc(_as_inline(text), source.path, rules) for text in _titles(source))) for source in sources]


def _titles(source: SourceFile) -> tuple[str, str, str]:
    """What of a file's front matter is shown with the text's typography."""
    return source.title, source.subtitle, source.running_head


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


# How deeply blockquotes, lists and elements may be nested. pandoc's time grows with the
# square of the depth (5000 nested list items: 30 s) and WeasyPrint's layout recurses (it
# fails between 130 and 160 elements inside each other); a book needs a few levels.
MAX_NESTING = 50  # levels, as written in the Markdown and its raw HTML
MAX_ELEMENT_DEPTH = 2 * MAX_NESTING + 10  # elements inside each other in a file's HTML (a list level is two: ul, li)
_NESTING_MARKERS = re.compile(r"^(?:[ \t]*(?:>|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t])))+")
_MARKER = re.compile(r">|[-*+]|\d{1,9}[.)]")
_RAW_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*?)?(/?)>")
# Elements that never hold others, or whose end tag may be left out: not counted as levels.
_UNNESTED = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
             "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option", "optgroup", "rb", "rt",
             "rtc", "rp", "colgroup", "caption", "html", "head", "body"}
_NESTING_ADVICE = "nest them less deeply (a book needs a few levels)"


def nesting_problem(source: SourceFile) -> Problem | None:
    """An error at the first line where the file nests deeper than ``MAX_NESTING``
    levels: blockquote and list markers at the start of the line, its indentation (four
    spaces a level), and the raw HTML elements still open; None when it does not."""
    open_elements = 0
    for n, line in enumerate(_mask_code(source.body).split("\n")):
        if not line.strip():
            continue
        markers = _NESTING_MARKERS.match(line)
        written = len(_MARKER.findall(markers.group(0))) if markers else 0
        indentation = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip(" "))
        for tag in _RAW_TAG.finditer(line):
            if tag.group(2).lower() not in _UNNESTED and not tag.group(3):
                open_elements = max(0, open_elements + (-1 if tag.group(1) else 1))
            if written + indentation // 4 + open_elements > MAX_NESTING:
                return error(source.path, source.body_line + n, tag.start() + 1,
                             f"HTML elements nested more than {MAX_NESTING} deep: {_NESTING_ADVICE}")
        if written + indentation // 4 + open_elements > MAX_NESTING:
            return error(source.path, source.body_line + n, 1,
                         f"blockquotes or lists nested more than {MAX_NESTING} deep: {_NESTING_ADVICE}")
    return None


def _flatten_too_deep(root: lxml_html.HtmlElement) -> lxml_html.HtmlElement | None:
    """Elements nested deeper than ``MAX_ELEMENT_DEPTH`` keep only their text; the first
    such element (in document order) is returned, None when there is none."""
    first = None
    stack = [(root, 0)]
    while stack:
        element, depth = stack.pop()
        if depth == MAX_ELEMENT_DEPTH and len(element):
            if first is None:
                first = element
            text = element.text_content()
            for child in list(element):
                element.remove(child)
            element.text = text
            continue
        stack.extend((child, depth + 1) for child in reversed(element) if isinstance(child.tag, str))
    return first


def parse(source: SourceFile, html_text: str) -> ParsedPart:
    """One file, from the HTML pandoc wrote for it."""
    # Only an author's raw HTML needs the HTML5 parser; pandoc's own HTML is regular.
    root = html_tree(html_text) if "<" in source.body else _pandoc_tree(html_text)
    locator = Locator(source.body, source.body_line)
    problems: list[Problem] = []

    def report_removal(needle: str, message: str) -> None:
        line, col = locator.find(needle, ignore_case=True)
        problems.append(warning(source.path, line, col, message))

    for offset, written, char in islice(characters.forbidden_references(locator.text), characters.MAX_REPORTED):
        problems.append(error(source.path, *locator.position(offset),
                              f"`{written}` is {characters.described(char)}, which cannot be in a book: {characters.ADVICE}"))
    too_deep = _flatten_too_deep(root)
    if too_deep is not None:  # nesting the Markdown does not show (nesting_problem reads it first)
        line, col = locator.find(" ".join(too_deep.text_content().split())[:40])
        problems.append(error(source.path, line, col, f"elements nested more than {MAX_ELEMENT_DEPTH} deep: "
                                                      f"{_NESTING_ADVICE}"))
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


def run_pandoc(markdown: str, path: str, rules: str = "") -> str:
    filters = ("--lua-filter", str(_TYPOGRAPHY_FILTER)) if rules else ()
    reader = PANDOC_FROM + ("-smart" if rules and json.loads(rules).get("unspaced") else "")
    try:
        done = _pandocs.run([pypandoc.get_pandoc_path(), "-f", reader, *PANDOC_ARGS, *filters],
                            markdown.encode("utf-8"), 300, rules)
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
    """Copy a tinyhtml5 tree into lxml elements, without recursion (raw HTML may nest
    thousands deep; ``parse`` refuses it, after the copy)."""
    work = [(source, target)]
    while work:
        source, target = work.pop()
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
            element.tail = child.tail
            target.append(element)
            work.append((child, element))
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
        self.links: dict[str, list[int]] | None = None  # see find_link
        self.counts: dict[tuple[str, str], int] = {}

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
        """Where the n-th link (or image) to ``target`` is written: the n-th place among
        Markdown links, reference definitions, raw HTML ``href``/``src`` and autolinks that
        names it, however it is spelt there (``&amp;`` for ``&``, ``%20`` or a space);
        a mention of it in prose is not one. Else the text's first mention of it."""
        if wikilink:
            return self.find(f"[[{target}]]", f"[[{target}|", f"[[{target}")
        if self.links is None:
            self.links = _links_written(self.text)
        places = self.links.get(_as_written(target), [])
        if places:
            key = ("link", target)
            n = self.counts.get(key, 0)
            self.counts[key] = n + 1
            return self.position(places[min(n, len(places) - 1)])
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


_WRITTEN_LINK = re.compile(
    r"\]\(\s*(?P<md><[^>\n]*>|(?:[^\s()]|\([^\s()]*\))+)"  # [text](target), ![alt](target), balanced ()
    r"|^[ ]{0,3}\[[^\]\n]+\]:[ \t]*(?P<ref><[^>\n]*>|\S+)"  # [name]: target
    r"|<[A-Za-z][^<>]*?\b(?:href|src)\s*=\s*(?P<attr>\"[^\"]*\"|'[^']*'|[^\s>]+)"  # <a href=...>, <img src=...>
    r"|<(?P<auto>[A-Za-z][A-Za-z0-9+.-]*:[^\s<>]*)>",  # <https://...>
    re.MULTILINE | re.IGNORECASE)


def _links_written(text: str) -> dict[str, list[int]]:
    """Every link target written in ``text`` (as ``_as_written`` reads it) -> where each
    place that names it starts: the ``[`` of a Markdown link, the ``<`` of a tag."""
    places: dict[str, list[int]] = {}
    for match in _WRITTEN_LINK.finditer(text):
        kind = match.lastgroup
        value = match.group(kind)
        if kind in ("md", "ref") and value.startswith("<"):
            value = value[1:-1]
        elif kind == "attr" and value[:1] in "\"'":
            value = value[1:-1]
        start = _opening_bracket(text, match.start()) if kind == "md" else match.start()
        places.setdefault(_as_written(value), []).append(start)
    return places


def _as_written(target: str) -> str:
    """A link target with character references and %-escapes read, as pandoc reads it."""
    return unquote(html_module.unescape(target.strip()))


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

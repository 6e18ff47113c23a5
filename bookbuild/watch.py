"""``watch``: rebuild on every save and serve a live preview of the whole book.

The preview goes through the pipeline's own stages (``pipeline.check``: gather,
parse, resolve, with the cache, so only what changed is parsed again) and shows
each part as the EPUB does (``epub.part_body``), all on one page with a contents
sidebar. Open pages reload themselves through server-sent events when the book
changes. A book with errors shows them, located, instead of its text. The EPUB and
PDFs are built only when asked (the page's button, or ``--formats``), by
``pipeline.build`` in this process, which keeps the toolchain imported between
rebuilds.

Everything that builds runs in the main thread, between the file watcher's
turns; the server's threads only read the page and pass on requests.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from string import Template
from urllib.parse import quote, unquote, urlsplit

from lxml import html as lxml_html

from . import theme
from .downloads import size_in_words
from .words import words_for
from .editions import epub
from .model import BookError, PartKind, Problem, ResolvedBook
from .cache import Cache, book_inputs_key
from .pipeline import BuildOptions, build, check
from .resources import ResourceRefused, book_resource, image_bytes
from .svg import SvgRefused

PREVIEW = Path(__file__).resolve().parent / "preview"
_SOURCES = ("metadata.yaml", "manuscript", "styles")  # what the book is made of; the rest is not watched
_EDITOR_LEFTOVERS = re.compile(r"(^\.|^#|~$|\.swp$|\.swx$|\.tmp$)")
_OTHER_DOCUMENT = re.compile(r"^[\w.-]+\.xhtml#")  # the EPUB's link to another part's document
_HEARTBEAT = 15.0  # seconds: an idle event stream says something, so closed pages are noticed
_COVER_WIDTH = 720  # CSS pixels: the print cover's spread in the preview, at its own proportions
_EDITION_NAMES = {"epub": "EPUB", "print": "print PDF", "screen": "screen PDF", "cover": "cover PDF"}
# The page's icon, inline: a browser asks for /favicon.ico otherwise (a 404 on every load).
_ICON = ("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E"
         "%3Crect width='16' height='16' rx='3' fill='%231f3a4d'/%3E%3Cpath d='M4 3h6l2 2v8H4z' fill='%23fff'/%3E%3C/svg%3E")


@dataclass(frozen=True)
class WatchOptions:
    book: Path
    out: Path
    host: str = "127.0.0.1"
    port: int = 8000
    formats: tuple[str, ...] = ()  # editions built after every save; none: only when asked on the page
    drafts: bool = False
    jobs: int = 1


class Preview:
    """The page being served, numbered: an open page whose number is older reloads."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.version = 0
        self.page = b""
        self.stopping = False

    def publish(self, page: str) -> None:
        with self.changed:
            self.version += 1
            self.page = page.replace('data-version="$version"', f'data-version="{self.version}"', 1).encode("utf-8")
            self.changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.version != seen or self.stopping, timeout)
            return self.version

    def stop(self) -> None:
        with self.changed:
            self.stopping = True
            self.changed.notify_all()


class Previewer:
    """Makes the preview from the book, and the editions when asked."""

    def __init__(self, options: WatchOptions, show_problems: Callable[[tuple[Problem, ...]], None]):
        self.options = options
        self.show_problems = show_problems
        self.preview = Preview()
        self.build_requested = threading.Event()
        self.status = ""  # the last build of the editions, as a line of HTML for the page
        self.build_problems: tuple[Problem, ...] = ()  # the last build's errors, listed on the page
        self.written: dict[str, Path] = {}  # what that build wrote, served under /dist/
        self.last_page = ""
        self.cover_pages: int | None = None  # the print edition's page count in the last build: the cover's width

    def refresh(self) -> bool:
        """Check the book and publish its preview, or its problems. True when it has no errors."""
        started = time.monotonic()
        try:
            book = check(self.options.book, self.options.drafts, self.options.jobs, cache=Cache(self.options.book))
        except BookError as failure:
            self._publish(_problems_page(self.options.book, failure.problems, self.status))
            self.show_problems(failure.problems)
            errors = sum(1 for p in failure.problems if p.is_error)
            _say(f"the book has {errors} error{'s' * (errors != 1)}: the preview shows {'them' if errors != 1 else 'it'}")
            return False
        except OSError as failure:  # a file gone or unreadable mid-save: the next save tries again
            _say(f"could not read the book: {failure}")
            self._publish(_bug_page(self.options.book, f"Could not read the book: {failure}\n\nSave again to retry.",
                                    self.status, heading="The book could not be read"))
            return False
        except Exception:  # a bug: shown on the page and here, and the preview goes on
            _say(traceback.format_exc().rstrip())
            self._publish(_bug_page(self.options.book, traceback.format_exc(), self.status))
            return False
        self._publish(_book_page(book, self.status, self.build_problems, _cover_spread(book, self.cover_pages)))
        self.show_problems(book.problems)
        chapters = sum(1 for p in book.parts if p.kind is PartKind.CHAPTER)
        _say(f"preview updated: {chapters} chapter{'s' * (chapters != 1)} in {time.monotonic() - started:.1f} s")
        return True

    def _publish(self, page: str) -> None:
        self.last_page = page
        self.preview.publish(page)

    def build_editions(self, formats: tuple[str, ...]) -> None:
        """The editions, through the one pipeline; the outcome goes on the page."""
        started = time.monotonic()
        _say(f"building {', '.join(formats)} ...")
        try:
            result = build(BuildOptions(self.options.book, self.options.out, formats, self.options.drafts,
                                        self.options.jobs, keep_warm=True))
        except BookError as failure:
            self.show_problems(failure.problems)
            self.build_problems = tuple(p for p in failure.problems if p.is_error)
            errors = len(self.build_problems)
            self.status = f'not built: <a href="#preview-build-problems">{errors} error{"s" * (errors != 1)}</a>'
        except Exception:
            _say(traceback.format_exc().rstrip())
            self.status = "not built: an internal error (see the terminal); please report it"
        else:
            self.build_problems = ()
            self.written = {path.name: path for path in result.written}
            self.cover_pages = next((e.pages for e in result.described if e.format == "print"), self.cover_pages)
            # Short names, so that the bar stays one line; the file and its size in the link's title.
            files = " · ".join(f'<a href="/dist/{escape(e.name)}" title="{escape(e.name)}, {size_in_words(e.bytes)}">'
                               f'{_EDITION_NAMES.get(e.format, escape(e.format))}</a>' for e in result.described)
            self.status = (f'built: {files} · <a href="/dist/index.html">download page</a> '
                           f'({time.strftime("%H:%M:%S")}, {time.monotonic() - started:.1f} s)')
            _say(f"built {', '.join(e.name for e in result.described)} into {self.options.out}")
        self.refresh()

    def run(self, previewed: str) -> None:
        """Watch the book's files: refresh after each save, build when asked. ``previewed``:
        the book's inputs (``book_inputs_key``) as they were before the first preview."""
        import watchfiles

        book = self.options.book
        watching = False
        # rust_timeout: the watcher returns every half second, so a build asked for on the
        # page starts at once, and Ctrl-C is noticed.
        for changes in watchfiles.watch(book, watch_filter=lambda change, path: _is_source(book, path),
                                        debounce=400, step=50, rust_timeout=500, yield_on_timeout=True):
            if not watching:  # the watcher is on only now: a save made before it would be missed
                watching = True
                if book_inputs_key(book, "") != previewed:
                    changes = changes or {("", "")}
            if changes:
                if self.refresh() and self.options.formats:
                    self.build_editions(self.options.formats)
            if self.build_requested.is_set():
                self.build_requested.clear()
                self.build_editions(self.options.formats or ("epub", "print", "screen"))


def serve(options: WatchOptions, usage_error: Callable[[str], None],
          show_problems: Callable[[tuple[Problem, ...]], None]) -> int:
    """Serve the preview until Ctrl-C; prints ``serving http://HOST:PORT/`` once it is ready."""
    previewer = Previewer(options, show_problems)
    try:
        server = _server(options.host, options.port, previewer)
    except OSError as failure:
        usage_error(f"cannot listen on {options.host} port {options.port}: {failure.strerror or failure}")
        return 2
    serving = threading.Thread(target=server.serve_forever, name="preview server", daemon=True)
    try:
        previewed = book_inputs_key(options.book, "")
        previewer.refresh()
        serving.start()
        host = f"[{options.host}]" if ":" in options.host else options.host
        print(f"serving http://{host}:{server.server_address[1]}/", flush=True)
        if options.formats:
            previewer.build_editions(options.formats)
        previewer.run(previewed)
    except KeyboardInterrupt:
        pass
    finally:
        from .editions.layouts import stop_warm_workers

        stop_warm_workers()
        previewer.preview.stop()
        if serving.is_alive():
            server.shutdown()
        server.server_close()
    _say("stopped")
    return 0


def _say(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", file=sys.stderr, flush=True)


def _is_source(book: Path, path: str) -> bool:
    try:
        parts = Path(path).relative_to(book).parts
    except ValueError:
        return False
    return bool(parts) and parts[0] in _SOURCES and not _EDITOR_LEFTOVERS.search(parts[-1])


# --- the pages ---------------------------------------------------------------------------------


def _template(name: str) -> str:
    return (PREVIEW / name).read_text(encoding="utf-8")


def _page(lang: str, title: str, state: str, summary: str, status: str, book_css: str, contents: str, body: str) -> str:
    # The version is filled in when the page is published ($version stays for Preview.publish).
    return Template(_template("page.html")).safe_substitute(
        lang=escape(lang), title=escape(title), icon=_ICON, state=state, summary=escape(summary), status=status,
        contents_label=escape(words_for(lang)["contents"]),
        book_css=book_css, preview_css=_template("preview.css"), contents=contents, body=body,
        script=_template("reload.js"))


def _cover_spread(book: ResolvedBook, pages: int | None) -> str:
    """The print cover as the last build made it (its width is the page count's), drawn by
    the browser from the cover's own HTML, beside the book; nothing before a print build."""
    if pages is None:
        return ""
    from .editions.cover import preview_document

    document, geometry = preview_document(book, pages, lambda path: "/media/" + quote(path),
                                          lambda face: "/fonts/" + face.path.name, _COVER_WIDTH)
    height = _COVER_WIDTH * geometry.sheet_height / geometry.sheet_width
    return (f'<figure class="preview-cover" data-sheet="{geometry.sheet_width:.4f} {geometry.sheet_height:.4f}">'
            f'<iframe title="The print cover" srcdoc="{escape(document)}" '
            f'style="width: {_COVER_WIDTH}px; height: {height:.1f}px; border: 0"></iframe>'
            f"<figcaption>The print cover for {pages} pages: spine {geometry.spine:.3f}in, "
            f"{geometry.sheet_width:.3f} x {geometry.sheet_height:.3f}in with its bleed</figcaption></figure>")


def _book_page(book: ResolvedBook, status: str, build_problems: tuple[Problem, ...] = (), cover: str = "") -> str:
    """Every part as the EPUB shows it, on one page: links between parts become links
    within the page; images are served from the book folder (under /media/)."""
    anchors = book.part_of_anchor()
    sections = []
    for part in book.parts:
        root = epub.part_body(part, anchors)
        for link in root.iter("a"):
            href = link.get("href", "")
            if _OTHER_DOCUMENT.match(href):
                link.set("href", "#" + href.split("#", 1)[1])
        sections.append(lxml_html.tostring(root, encoding="unicode"))
    if cover:
        sections.insert(0, cover)
    warnings = [p for p in book.problems]
    if warnings:
        sections.insert(0, _problem_list(f"{len(warnings)} warning{'s' * (len(warnings) != 1)}", warnings))
    if build_problems:  # what only a build finds (the PDFs' preflight): the book itself is fine
        errors = len(build_problems)
        sections.insert(0, _problem_list(f"The last build failed: {errors} error{'s' * (errors != 1)}", list(build_problems),
                                         "preview-build-problems"))
    chapters = sum(1 for p in book.parts if p.kind is PartKind.CHAPTER)
    # The browser finds the fallback faces installed on this machine by their names.
    css = epub.stylesheet(book, lambda face: "/fonts/" + face.path.name, embedded_fallbacks=False)
    return _page(book.metadata.language, book.metadata.title, "ok", f"{chapters} chapter{'s' * (chapters != 1)}, no errors",
                 status, css, _contents(book), "\n".join(sections))


def _contents(book: ResolvedBook) -> str:
    items = []
    for part in book.parts:
        if part.in_contents:
            sections = "".join(f'<li><a href="#{escape(e.anchor)}">{escape(e.text)}</a></li>' for e in part.toc[1:])
            items.append(f'<li><a href="#{escape(part.part_id)}">{escape(part.title)}</a>'
                         f'{f"<ol>{sections}</ol>" if sections else ""}</li>')
    return f'<ol>{"".join(items)}</ol>'


def _problem_list(heading: str, problems: list[Problem], section_id: str = "") -> str:
    items = "".join(f'<li class="{p.severity.value}"><code>{escape(str(p), quote=False)}</code></li>' for p in problems)
    found = f' id="{section_id}"' if section_id else ""
    return f'<section class="preview-problems" lang="en"{found}><h1>{escape(heading)}</h1><ul>{items}</ul></section>'


def _problems_page(root: Path, problems: tuple[Problem, ...], status: str) -> str:
    """The book's problems instead of its text: no stale pages while it has errors."""
    errors = sum(1 for p in problems if p.is_error)
    heading = f"The book has {errors} error{'s' * (errors != 1)}: fix {'them' if errors != 1 else 'it'} and save"
    body = _problem_list(heading, list(problems))
    return _page(*_title_of(root), "broken", f"{errors} error{'s' * (errors != 1)}", status, "", "", body)


def _title_of(root: Path) -> tuple[str, str]:
    """The book's language and title for a page that cannot show the book: from metadata.yaml
    when it can be read, whatever else is wrong in it; else English and the folder's name."""
    from .metadata import METADATA_FILE, language_tag_problem, read_yaml

    try:
        doc, _ = read_yaml((root / METADATA_FILE).read_text(encoding="utf-8-sig"), METADATA_FILE)
    except (OSError, UnicodeDecodeError):
        doc = None
    data = doc.data if doc is not None else {}
    title, language = data.get("title"), data.get("language")
    return (language if isinstance(language, str) and not language_tag_problem(language) else "en",
            " ".join(title.split()) if isinstance(title, str) and title.strip() else root.name)


def _bug_page(root: Path, details: str, status: str,
              heading: str = "Internal error: a bug in the build tool, not in your book") -> str:
    report = "" if heading.startswith("The book") else "<p>Please report it with this text:</p>"
    body = f'<section class="preview-problems" lang="en"><h1>{escape(heading)}</h1>{report}<pre>{escape(details)}</pre></section>'
    return _page(*_title_of(root), "broken", "not shown", status, "", "", body)


# --- the server --------------------------------------------------------------------------------


def _host_and_port(value: str) -> tuple[str, int | None]:
    """``Example.org:8000`` -> ("example.org", 8000), ``[::1]`` -> ("::1", 80); ("", None) for nonsense."""
    try:
        parts = urlsplit("//" + value.strip())
        return parts.hostname or "", parts.port or 80
    except ValueError:
        return "", None


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _server(host: str, port: int, previewer: Previewer) -> ThreadingHTTPServer:
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]

    class PreviewServer(ThreadingHTTPServer):
        address_family = family
        daemon_threads = True  # open event streams do not hold up Ctrl-C

    class Handler(_Handler):
        pass

    Handler.previewer = previewer
    return PreviewServer((host, port), Handler)


class _Handler(BaseHTTPRequestHandler):
    previewer: Previewer
    server_version = "bookbuild-preview"

    def do_GET(self) -> None:
        if not self._to_this_server():
            return
        path = unquote(urlsplit(self.path).path)
        preview = self.previewer.preview
        if path in ("/", "/index.html"):
            with preview.changed:
                page = preview.page
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", page)
        elif path == "/events":
            self._events(preview)
        elif path.startswith("/fonts/"):
            fonts = {face.path.name: face.path for face in theme.theme_fonts()}
            found = fonts.get(path.removeprefix("/fonts/"))
            self._send_file(found, "font/ttf")
        elif path.startswith("/media/"):
            self._media(path.removeprefix("/media/"))
        elif path.startswith("/dist/"):
            found = self.previewer.written.get(path.removeprefix("/dist/"))
            kinds = {".epub": "application/epub+zip", ".pdf": "application/pdf", ".html": "text/html; charset=utf-8"}
            self._send_file(found, kinds.get(found.suffix, "application/octet-stream") if found else "")
        else:
            self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found\n")

    def do_POST(self) -> None:
        if not self._to_this_server():
            return
        if not self._from_the_preview():
            self._send(HTTPStatus.FORBIDDEN, "text/plain; charset=utf-8", b"only the preview page may ask for a build\n")
        elif urlsplit(self.path).path == "/build":
            self.previewer.build_requested.set()
            self._send(HTTPStatus.ACCEPTED, "text/plain; charset=utf-8", b"building\n")
        else:
            self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found\n")

    def _to_this_server(self) -> bool:
        """A request whose Host is this preview's own name and port, else answered 421.

        A web page the author visits can make its own domain name point at 127.0.0.1 (DNS
        rebinding) and then read whatever this server answers to that name: the book. A
        browser sends the name it asked for, so only this server's names are answered: an
        address (127.0.0.1, [::1], or whatever address --host listens on, which no page can
        make its own), localhost, and the --host given."""
        host, port = _host_and_port(self.headers.get("Host", ""))
        names = {"localhost", self.previewer.options.host.strip("[]").lower()}
        if (host in names or _is_address(host)) and port == self.server.server_address[1]:
            return True
        self._send(HTTPStatus.MISDIRECTED_REQUEST, "text/plain; charset=utf-8",
                   b"this preview answers only to its own address, such as 127.0.0.1\n")
        return False

    def _from_the_preview(self) -> bool:
        """A request that changes something (a build) made by the preview page itself, not by
        another site's page in the author's browser: its Origin is this server (browsers send
        it with every POST), or, without one, the browser says it is same-origin."""
        origin = self.headers.get("Origin")
        if origin is None:
            return self.headers.get("Sec-Fetch-Site") == "same-origin"
        scheme, _, address = origin.partition("://")
        return scheme == "http" and _host_and_port(address) == _host_and_port(self.headers.get("Host", ""))

    def _media(self, src: str) -> None:
        """An image of the book: only files inside the book folder, checked as the build checks
        them, and as every edition gets them (an SVG sanitised)."""
        root = self.previewer.options.book
        try:
            relative, kind = book_resource(root, "", src)
            data = image_bytes(root, root / relative, kind)
        except (ResourceRefused, SvgRefused):
            self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found\n")
            return
        self._send(HTTPStatus.OK, kind, data)

    def _send_file(self, path: Path | None, kind: str) -> None:
        if path is None or not path.is_file():
            self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found\n")
        else:
            self._send(HTTPStatus.OK, kind, path.read_bytes())

    def _send(self, status: HTTPStatus, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _events(self, preview: Preview) -> None:
        """Server-sent events: the page's version now, and again whenever it changes."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = -1
        try:
            while not preview.stopping:
                version = preview.version if seen == -1 else preview.wait(seen, _HEARTBEAT)
                self.wfile.write(f"event: version\ndata: {version}\n\n".encode() if version != seen else b": still here\n\n")
                self.wfile.flush()
                seen = version
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page was closed or reloaded

    def log_message(self, format: str, *args: object) -> None:
        pass  # requests are not news; the terminal shows rebuilds

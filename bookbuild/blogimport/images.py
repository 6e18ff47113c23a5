"""Images of imported posts: found in a saved page's files, in a copy of the blog's
uploads folder (``--media``, matched by URL path), or downloaded (``--fetch-images``,
the only part of the import that opens a network connection). Each goes into
``manuscript/images/``; an image found nowhere stays as its URL, so ``check`` lists it.
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
import re
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from ..ids import shortened, slugify
from ..resources import ResourceRefused, media_type, read_inside

IMAGES = "manuscript/images"
MAX_DOWNLOAD = 40 * 1024 * 1024  # bytes; more than any web image needs
DOWNLOAD_SECONDS = 60.0  # for one image, all of it: a slow server is given up, not waited for
READ_SECONDS = 10.0  # for each read: the most the deadline can be overrun
_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp", "image/svg+xml": ".svg"}
_RESIZED = re.compile(r"-(\d+x\d+|scaled)(?=\.[A-Za-z0-9]+$)")  # WordPress's photo-1024x683.jpg, photo-scaled.jpg


def local_copy(src: str, folder: Path) -> Path | None:
    """A saved page's (or Markdown post's) own copy of an image: a relative path that stays inside ``folder``."""
    src = src.strip()
    if not src or urlsplit(src).scheme or src.startswith(("/", "\\")):
        return None
    file = (folder / unquote(src.split("?")[0].split("#")[0])).resolve()
    return file if file.is_file() and file.is_relative_to(folder.resolve()) else None


class ImageStore:
    """Puts the posts' images into the book, each file once, and counts what it found."""

    def __init__(self, book: Path, media: Path | None, fetch: bool):
        self.book = book
        self.media = media.resolve() if media else None
        self.fetch = fetch
        self.found: list[str] = []  # book-relative paths
        self.missing: list[str] = []  # URLs
        self._placed: dict[str, str] = {}  # where an image came from -> its path relative to a chapter
        self._created: list[Path] = []  # files and folders this import made, to undo

    def place(self, src: str, base: str, local: Path | None = None, also: list[str] | tuple[str, ...] = ()) -> str:
        """The ``src`` a chapter should use for an image: ``images/name.jpg``, or its URL when found nowhere.

        ``base`` is the post's address (for relative URLs); ``local`` a saved page's own copy;
        ``also`` other addresses of the same image (a lazy-loaded image's), tried after ``src``."""
        url = urljoin(base, src) if base else src
        key = str(local) if local else url
        if key in self._placed:
            return self._placed[key]
        urls = [url, *(urljoin(base, other) if base else other for other in also)]
        data = self._read(local) if local else _data_url(url)
        for candidate in urls if data is None and self.media else ():
            data = self._from_media(candidate)
            if data is not None:
                url = candidate
                break
        deadline = time.monotonic() + DOWNLOAD_SECONDS  # for the image: every address it may be at, originals included
        for candidate in urls if data is None and self.fetch else ():
            if urlsplit(candidate).scheme in ("http", "https"):
                data = (_download(candidate, deadline)
                        or (_download(_RESIZED.sub("", candidate), deadline) if _RESIZED.search(candidate) else None))
                if data is not None:
                    url = candidate
                    break
        name = local.name if local else "" if url.startswith("data:") else posixpath.basename(urlsplit(url).path)
        placed = self._store(data, name) if data else None
        if placed is None:
            self.missing.append(url if len(url) < 200 else url[:197] + "...")
            placed = url
        self._placed[key] = placed
        return placed

    def undo(self) -> None:
        """Remove what was stored (the import wrote no chapter, so it writes nothing)."""
        for made in reversed(self._created):
            if made.is_dir():
                made.rmdir()
            else:
                made.unlink(missing_ok=True)
        self._created.clear()

    def _read(self, file: Path) -> bytes | None:
        try:
            return file.read_bytes()
        except OSError:
            return None

    def _from_media(self, url: str) -> bytes | None:
        """The file whose path ends like the URL's (``wp-content/uploads/2024/03/x.jpg`` is
        ``2024/03/x.jpg`` in a copy of the uploads folder), or the original of a resized copy."""
        parts = [p for p in unquote(urlsplit(url).path).split("/") if p not in ("", ".", "..")]
        for name in dict.fromkeys([parts[-1], _RESIZED.sub("", parts[-1])] if parts else []):
            wanted = parts[:-1] + [name]
            for start in range(len(wanted)):
                candidate = self.media.joinpath(*wanted[start:])
                if candidate.is_file() and candidate.resolve().is_relative_to(self.media):
                    return self._read(candidate)
        return None

    def _store(self, data: bytes, name: str) -> str | None:
        """Write the image under a free name (or find it already there); None if it is no image."""
        folder = self.book / IMAGES
        for made in reversed([folder, *folder.parents]):
            if not made.exists():
                made.mkdir()
                self._created.append(made)
        with tempfile.NamedTemporaryFile(dir=folder, delete=False) as handle:
            handle.write(data)
        temporary = Path(handle.name)
        try:
            kind = media_type(temporary, name)
        except ResourceRefused:
            temporary.unlink()
            return None
        stem = shortened(slugify(Path(unquote(name)).stem)) or "image-" + hashlib.sha256(data).hexdigest()[:8]
        extension = _EXTENSIONS[kind]
        for n in range(1, 1000):
            target = folder / f"{stem}{'' if n == 1 else f'-{n}'}{extension}"
            if (target.exists() or target.is_symlink()) and _bytes_or_none(self.book, target) != data:
                continue  # another picture (or no plain file) under that name
            if target.exists():
                temporary.unlink()
            else:
                temporary.replace(target)
                self._created.append(target)
            self.found.append(target.relative_to(self.book).as_posix())
            return "images/" + target.name
        temporary.unlink()
        return None


def _bytes_or_none(book: Path, file: Path) -> bytes | None:
    try:
        return read_inside(book, file)
    except ResourceRefused:
        return None


def _data_url(url: str) -> bytes | None:
    """An image pasted into a post (``data:image/png;base64,...``): it is in the post already."""
    match = re.match(r"data:image/[\w.+-]+;base64,(.*)$", url.strip(), re.DOTALL)
    if not match:
        return None
    try:
        return base64.b64decode(match.group(1), validate=False)
    except ValueError:
        return None


def _download(url: str, deadline: float | None = None) -> bytes | None:
    """GET an image over http(s); redirects only to http(s); None on any failure, and when
    it is not done by ``deadline`` (``DOWNLOAD_SECONDS`` from now unless given): a server may
    send a byte every few seconds for ever, and each read's own time limit never runs out."""
    deadline = deadline if deadline is not None else time.monotonic() + DOWNLOAD_SECONDS
    if time.monotonic() >= deadline:
        return None
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(), urllib.request.HTTPHandler(), urllib.request.HTTPSHandler(),
                    urllib.request.HTTPRedirectHandler(), urllib.request.HTTPDefaultErrorHandler(),
                    urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    request = urllib.request.Request(url, headers={"User-Agent": "bookbuild-import"})
    chunks: list[bytes] = []
    size = 0
    try:
        with opener.open(request, timeout=max(0.1, min(READ_SECONDS, deadline - time.monotonic()))) as response:
            if urlsplit(response.geturl()).scheme not in ("http", "https"):
                return None
            while size <= MAX_DOWNLOAD and (chunk := response.read1(65536)):
                chunks.append(chunk)
                size += len(chunk)
                if time.monotonic() > deadline:
                    return None
    except (OSError, ValueError):  # URLError, HTTPError, timeouts, malformed URLs
        return None
    return b"".join(chunks) if size <= MAX_DOWNLOAD and time.monotonic() <= deadline else None

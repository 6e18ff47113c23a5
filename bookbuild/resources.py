"""Which files a book may use as resources: only real images inside the book folder.

A manuscript may come from an imported blog: remote URLs, ``file:`` URLs,
absolute paths and paths or symlinks leading out of the book are refused
before anything reads them.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import os
import posixpath
import re
import stat
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from .svg import SVG_TYPE, sanitize_svg

MAX_PIXELS = 40_000_000
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


# Sizes over which a file of the book is refused before it is read: far beyond any real
# one (the largest chapter the tests build is 5 MB), far below what would exhaust memory.
MAX_TEXT_BYTES = 64 * 1024 * 1024  # metadata.yaml, a chapter, a stylesheet
MAX_FILE_BYTES = 256 * 1024 * 1024  # an image, a colour profile
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


class ResourceRefused(ValueError):
    """The message says why the resource cannot be used and how to fix it."""


def read_inside(root: Path, file: Path, limit: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of ``file``, a regular file inside the book folder ``root``.

    Every file the toolchain reads from a book comes through here: a link that leads
    out of the book, a named pipe or a device (whose read would never end), a folder and
    a file over ``limit`` bytes are refused (ResourceRefused: "this file is ...") before
    a byte is read. The file is opened without following a link and without blocking,
    and must still be the file that was checked."""
    checked = regular_inside(root, file, limit)
    try:
        fd = os.open(file.resolve(), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as failure:
        raise ResourceRefused(f"this file cannot be opened ({failure.strerror or failure})")
    with os.fdopen(fd, "rb") as handle:
        opened = os.fstat(handle.fileno())
        if (opened.st_dev, opened.st_ino) != (checked.st_dev, checked.st_ino) or not stat.S_ISREG(opened.st_mode):
            raise ResourceRefused("this file was replaced while it was read: build again")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ResourceRefused(_too_large(len(data), limit))
    return data


def regular_inside(root: Path, file: Path, limit: int | None) -> os.stat_result:
    """The file's status, if it is a regular file inside ``root`` and not over ``limit``."""
    try:
        resolved = file.resolve()
    except (OSError, RuntimeError):  # a loop of links
        raise ResourceRefused("this file is a loop of links: replace it with the file itself")
    if not resolved.is_relative_to(root.resolve()):
        raise ResourceRefused("this file is a link to a file outside the book folder: copy the file into the book instead")
    try:
        info = os.stat(resolved)
    except OSError as failure:
        raise ResourceRefused(f"this file cannot be read ({failure.strerror or failure})")
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "not an ordinary file")
        raise ResourceRefused(f"this is {kind}, not an ordinary file: a book is made of ordinary files")
    if limit is not None and info.st_size > limit:
        raise ResourceRefused(_too_large(info.st_size, limit))
    return info


def _too_large(size: int, limit: int) -> str:
    return f"this file is {size / 2**20:.0f} MB: a book's file may have at most {limit // 2**20} MB"


def book_resource(root: Path, base: str, src: str) -> tuple[str, str]:
    """Check an image reference written in file ``base`` (book-relative).

    Returns the image's book-relative path and media type.
    """
    src = src.strip()
    if not src:
        raise ResourceRefused("image has no file name")
    if _SCHEME.match(src) and not re.match(r"^[A-Za-z]:[\\/]", src):
        scheme = src.split(":", 1)[0].lower()
        if scheme in ("http", "https", "ftp"):
            raise ResourceRefused(f"remote image `{src}` is not fetched: download it into the book folder (e.g. manuscript/images/) and use its relative path")
        raise ResourceRefused(f"`{src}`: {scheme}: URLs are not allowed for images; use a path relative to the Markdown file")
    if src.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", src):
        raise ResourceRefused(f"absolute path `{src}` is not allowed: use a path relative to the Markdown file, inside the book folder")
    relative = posixpath.normpath(posixpath.join(posixpath.dirname(base), unquote(src.split("#")[0].split("?")[0])))
    if relative == ".." or relative.startswith("../"):
        raise ResourceRefused(f"image `{src}` is outside the book folder: copy it into the book (e.g. manuscript/images/)")
    file = root / relative
    if not file.exists() and not file.is_symlink():
        raise ResourceRefused(f"no image file `{relative}` (referenced as `{src}`)")
    try:
        data = read_inside(root, file, MAX_FILE_BYTES)
    except ResourceRefused as refused:
        raise ResourceRefused(f"image `{src}`: {refused}")
    kind = _media_type_of(data[:512], file.name, src)
    check_image_data(data, src, kind)
    return relative, kind


# What each image was found to be (None: fine), by its SHA-256 and name: ``watch`` checks
# the book after every save, and decodes each picture once.
_judged: dict[tuple[bytes, str], str | None] = {}


def check_image_data(data: bytes, src: str, kind: str) -> None:
    """Refuse an image too large to lay out (from its header alone, before any pixel is
    decoded), then one whose data does not decode (a truncated JPEG, a damaged PNG): found
    here, at the line that uses it, not by WeasyPrint or pikepdf at the end of a build."""
    if kind == SVG_TYPE:
        return
    key = (hashlib.sha256(data).digest(), src)
    if key not in _judged:
        _judged[key] = _image_problem(data, src)
    if _judged[key] is not None:
        raise ResourceRefused(_judged[key])


def _image_problem(data: bytes, src: str) -> str | None:
    """What is wrong with a raster image's bytes; None if nothing."""
    from PIL import Image, ImageFile

    bomb_limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # we judge the size ourselves, below
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                return (f"`{src}` is {width}x{height} pixels ({width * height / 1e6:.0f} megapixels): scale it down to "
                        f"at most {MAX_PIXELS // 1_000_000} megapixels (6000x6000 prints a full 6x9in page at far "
                        "more than 300 ppi)")
            # A JPEG is decoded at an eighth of its size: all its data read, an eighth of the memory.
            image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
            try:
                image.load()
            except Exception as failure:  # Pillow raises OSError, SyntaxError, zlib.error, ...
                return f"`{src}` is damaged ({failure}): its picture cannot be decoded; save it again from a picture editor"
    except Exception as failure:  # Pillow raises many types for a damaged file
        return f"`{src}` cannot be read as an image ({failure}): save it again as PNG or JPEG"
    finally:
        Image.MAX_IMAGE_PIXELS = bomb_limit
    return None


def cmyk_profile(root: Path, src: str) -> Path:
    """A book's own ICC output profile: a file inside the book with CMYK colour space."""
    relative = posixpath.normpath(src.strip())
    if _SCHEME.match(src) or relative.startswith(("/", "../")) or relative == "..":
        raise ResourceRefused(f"`color_profile: {src}` must be a path inside the book folder")
    file = root / relative
    if not file.exists() and not file.is_symlink():
        raise ResourceRefused(f"`color_profile: {src}`: no such file inside the book folder")
    try:
        header = read_inside(root, file, MAX_FILE_BYTES)[:40]
    except ResourceRefused as refused:
        raise ResourceRefused(f"`color_profile: {src}`: {refused}")
    if header[36:40] != b"acsp":
        raise ResourceRefused(f"`color_profile: {src}` is not an ICC profile")
    if header[16:20] != b"CMYK":
        raise ResourceRefused(f"`color_profile: {src}` is a {header[16:20].decode('ascii', 'replace').strip()} profile: a printer needs a CMYK output profile")
    return file


def media_type(file: Path, src: str) -> str:
    with file.open("rb") as handle:
        head = handle.read(512)
    return _media_type_of(head, file.name, src)


def _media_type_of(head: bytes, name: str, src: str) -> str:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if b"<svg" in head.lower() or (head.lstrip().startswith(b"<?xml") and name.lower().endswith(".svg")):
        return "image/svg+xml"
    raise ResourceRefused(f"`{src}` is not an image this book can use: use PNG, JPEG, GIF, WebP or SVG")


def image_bytes(root: Path, file: Path, kind: str) -> bytes:
    """The bytes every edition gets for an image of the book at ``root``: an SVG sanitised
    (see svg.py), others as they are."""
    data = read_inside(root, file, MAX_FILE_BYTES)
    return sanitize_svg(data).data if kind == SVG_TYPE else data


# The book folder as WeasyPrint sees it: the same address wherever the folder is, so
# nothing in the PDFs (WeasyPrint names images after their address) depends on where the
# book was built.
BOOK_URL = "file:///bookbuild-book/"


def book_url_fetcher(book_root: Path, allowed: list[Path]):
    """A WeasyPrint URL fetcher that reads only files inside the book (under ``BOOK_URL``)
    and the ``allowed`` folders (the theme and its fonts).

    Remote URLs and files elsewhere are refused before any connection or read.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = book_root.resolve()
    folders = [root] + [folder.resolve() for folder in allowed]

    class BookOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme != "file":
                raise ValueError(f"refused to fetch {url}: books may only use files inside the book folder")
            if url.startswith(BOOK_URL):
                path = (root / url2pathname(unquote(url[len(BOOK_URL):].split("?")[0].split("#")[0]))).resolve()
            else:
                path = Path(url2pathname(unquote(parts.path))).resolve()
            if not any(path.is_relative_to(folder) for folder in folders):
                raise ValueError(f"refused to read {path}: it is outside the book folder")
            folder = next(folder for folder in folders if path.is_relative_to(folder))
            try:
                if path.suffix.lower() == ".svg" or _sniffs_as_svg(path):
                    return URLFetcherResponse(url, image_bytes(folder, path, SVG_TYPE), {"Content-Type": SVG_TYPE})
                if folder == root:  # the book's own files, read as every other input is
                    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, read_inside(root, path, MAX_FILE_BYTES), {"Content-Type": kind})
            except ResourceRefused as refused:
                raise ValueError(f"refused to read {path}: {refused}")
            return super().fetch(path.as_uri(), headers)

    return BookOnlyFetcher()


def _sniffs_as_svg(path: Path) -> bool:
    """An image whose name does not say it is an SVG (stylesheets and fonts are not images)."""
    if path.suffix.lower() in (".css", ".ttf", ".otf", ".woff", ".woff2", ".icc", ".icm") or not path.is_file():
        return False
    try:
        return media_type(path, path.name) == SVG_TYPE
    except ResourceRefused:
        return False

"""Which files a book may use as resources: only real images inside the book folder.

A manuscript may come from an imported blog: remote URLs, ``file:`` URLs,
absolute paths and paths or symlinks leading out of the book are refused
before anything reads them.
"""

from __future__ import annotations

import posixpath
import re
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


class ResourceRefused(ValueError):
    """The message says why the resource cannot be used and how to fix it."""


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
    if file.is_symlink() or any(p.is_symlink() for p in file.parents if p.is_relative_to(root) and p != root):
        if not file.resolve().is_relative_to(root.resolve()):
            raise ResourceRefused(f"image `{src}` is a link to a file outside the book folder: copy the file in instead")
    if not file.is_file():
        raise ResourceRefused(f"no image file `{relative}` (referenced as `{src}`)")
    kind = media_type(file, src)
    _check_pixels(file, src, kind)
    return relative, kind


def _check_pixels(file: Path, src: str, kind: str) -> None:
    """Refuse images too large to lay out; only the header is read, never the pixels."""
    if kind == "image/svg+xml":
        return
    from PIL import Image

    bomb_limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # we judge the size ourselves, below
    try:
        with Image.open(file) as image:
            width, height = image.size
    except Exception as failure:  # Pillow raises many types for a damaged file
        raise ResourceRefused(f"`{src}` cannot be read as an image ({failure}): save it again as PNG or JPEG")
    finally:
        Image.MAX_IMAGE_PIXELS = bomb_limit
    if width * height > MAX_PIXELS:
        raise ResourceRefused(
            f"`{src}` is {width}x{height} pixels ({width * height / 1e6:.0f} megapixels): scale it down to at most "
            f"{MAX_PIXELS // 1_000_000} megapixels (6000x6000 prints a full 6x9in page at far more than 300 ppi)"
        )


def cmyk_profile(root: Path, src: str) -> Path:
    """A book's own ICC output profile: a file inside the book with CMYK colour space."""
    relative = posixpath.normpath(src.strip())
    if _SCHEME.match(src) or relative.startswith(("/", "../")) or relative == "..":
        raise ResourceRefused(f"`color_profile: {src}` must be a path inside the book folder")
    file = root / relative
    if not file.is_file() or not file.resolve().is_relative_to(root.resolve()):
        raise ResourceRefused(f"`color_profile: {src}`: no such file inside the book folder")
    with file.open("rb") as handle:
        header = handle.read(40)
    if header[36:40] != b"acsp":
        raise ResourceRefused(f"`color_profile: {src}` is not an ICC profile")
    if header[16:20] != b"CMYK":
        raise ResourceRefused(f"`color_profile: {src}` is a {header[16:20].decode('ascii', 'replace').strip()} profile: a printer needs a CMYK output profile")
    return file


def media_type(file: Path, src: str) -> str:
    with file.open("rb") as handle:
        head = handle.read(512)
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if b"<svg" in head.lower() or (head.lstrip().startswith(b"<?xml") and file.suffix.lower() == ".svg"):
        return "image/svg+xml"
    raise ResourceRefused(f"`{src}` is not an image this book can use: use PNG, JPEG, GIF, WebP or SVG")


def image_bytes(file: Path, kind: str) -> bytes:
    """The bytes every edition gets for an image: an SVG sanitised (see svg.py), others as they are."""
    data = file.read_bytes()
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
            if path.suffix.lower() == ".svg" or _sniffs_as_svg(path):
                return URLFetcherResponse(url, image_bytes(path, SVG_TYPE), {"Content-Type": SVG_TYPE})
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

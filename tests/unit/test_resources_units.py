"""bookbuild.resources in-process: which files a book may use, what each refusal says, and the
URL fetcher WeasyPrint reads through (the second line of defence, tested alone)."""

from __future__ import annotations

import socket
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from bookbuild.resources import (
    BOOK_URL, ResourceRefused, book_resource, book_url_fetcher, cmyk_profile, image_bytes, media_type,
)

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><script>steal()</script><rect width="4" height="4"/></svg>'


def png_header(width: int, height: int) -> bytes:
    """A PNG's signature and IHDR, then damaged data: only a reader that stops at the header
    gets its size without an error."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    idat = b"not deflate data at all"
    return b"\x89PNG\r\n\x1a\n" + chunk + struct.pack(">I", len(idat)) + b"IDAT" + idat + b"\0\0\0\0"


@pytest.fixture
def book(tmp_path) -> Path:
    root = tmp_path / "book"
    (root / "manuscript" / "images").mkdir(parents=True)
    Image.new("RGB", (3, 2), "red").save(root / "manuscript" / "images" / "red.png")
    (root / "manuscript" / "images" / "drawing.svg").write_bytes(SVG)
    return root


def refused(root: Path, src: str, base: str = "manuscript/001-a.md") -> str:
    with pytest.raises(ResourceRefused) as caught:
        book_resource(root, base, src)
    return str(caught.value)


def test_an_image_in_the_book_is_found_relative_to_the_file_that_uses_it(book):
    assert book_resource(book, "manuscript/001-a.md", "images/red.png") == ("manuscript/images/red.png", "image/png")
    assert book_resource(book, "manuscript/front/preface.md", " ../images/red.png?v=2#top ") == (
        "manuscript/images/red.png", "image/png")
    assert book_resource(book, "manuscript/001-a.md", "images/re%64.png") == ("manuscript/images/red.png", "image/png")
    assert book_resource(book, "manuscript/001-a.md", "images/drawing.svg") == ("manuscript/images/drawing.svg", "image/svg+xml")


@pytest.mark.parametrize("src, message", [
    ("", "image has no file name"),
    ("   ", "image has no file name"),
    ("https://example.com/a.png", "remote image `https://example.com/a.png` is not fetched: download it into the book "
                                  "folder (e.g. manuscript/images/) and use its relative path"),
    ("HTTP://example.com/a.png", "remote image `HTTP://example.com/a.png` is not fetched"),
    ("ftp://example.com/a.png", "remote image `ftp://example.com/a.png` is not fetched"),
    ("file:///etc/passwd", "`file:///etc/passwd`: file: URLs are not allowed for images; use a path relative to the Markdown file"),
    ("Data:image/png;base64,AAAA", "`Data:image/png;base64,AAAA`: data: URLs are not allowed for images"),
    ("/etc/passwd", "absolute path `/etc/passwd` is not allowed: use a path relative to the Markdown file, inside the book folder"),
    ("\\\\server\\share.png", "absolute path `\\\\server\\share.png` is not allowed"),
    ("C:\\images\\a.png", "absolute path `C:\\images\\a.png` is not allowed"),
    ("c:/images/a.png", "absolute path `c:/images/a.png` is not allowed"),
    ("../../../outside.png", "image `../../../outside.png` is outside the book folder: copy it into the book (e.g. manuscript/images/)"),
    ("../..", "image `../..` is outside the book folder"),
    ("images/missing.png", "no image file `manuscript/images/missing.png` (referenced as `images/missing.png`)"),
])
def test_a_refused_image_says_why(book, src, message):
    assert refused(book, src).startswith(message)


def test_a_link_that_leads_out_of_the_book_is_refused_and_one_inside_it_is_not(book, tmp_path):
    outside = tmp_path / "outside.png"
    Image.new("RGB", (1, 1)).save(outside)
    images = book / "manuscript" / "images"
    (images / "secret.png").symlink_to(outside)
    (images / "alias.png").symlink_to(images / "red.png")
    (book / "manuscript" / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    assert refused(book, "images/secret.png") == ("image `images/secret.png`: this file is a link to a file outside "
                                                  "the book folder: copy the file into the book instead")
    assert refused(book, "elsewhere/outside.png").startswith("image `elsewhere/outside.png`: this file is a link to "
                                                             "a file outside")
    assert book_resource(book, "manuscript/001-a.md", "images/alias.png") == ("manuscript/images/alias.png", "image/png")


def test_a_book_folder_reached_through_a_link_is_inside_itself(tmp_path, book):
    linked = tmp_path / "linked-book"
    linked.symlink_to(book, target_is_directory=True)
    assert book_resource(linked, "manuscript/001-a.md", "images/red.png") == ("manuscript/images/red.png", "image/png")


def test_an_enormous_image_is_refused_from_its_header_without_decoding_a_pixel(book):
    images = book / "manuscript" / "images"
    (images / "huge.png").write_bytes(png_header(8000, 6000))  # 48 megapixels, and no pixel data to decode
    assert refused(book, "images/huge.png") == (
        "`images/huge.png` is 8000x6000 pixels (48 megapixels): scale it down to at most 40 megapixels "
        "(6000x6000 prints a full 6x9in page at far more than 300 ppi)")
    (images / "limit.png").write_bytes(png_header(8000, 5000))  # 40 megapixels exactly: not too large...
    assert refused(book, "images/limit.png").startswith("`images/limit.png` is damaged")  # ... but its data is
    assert Image.MAX_IMAGE_PIXELS == 89_478_485  # Pillow's own guard is given back as it was


def test_a_damaged_image_is_refused_with_pillows_reason(book):
    (book / "manuscript" / "images" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    message = refused(book, "images/broken.png")
    assert message.startswith("`images/broken.png` cannot be read as an image (")
    assert message.endswith("): save it again as PNG or JPEG")


@pytest.mark.parametrize("head, name, kind", [
    (b"\x89PNG\r\n\x1a\nrest", "a.bin", "image/png"),
    (b"\xff\xd8\xff\xe0rest", "a.bin", "image/jpeg"),
    (b"GIF87a rest", "a.bin", "image/gif"),
    (b"GIF89a rest", "a.bin", "image/gif"),
    (b"RIFF\0\0\0\0WEBPVP8 ", "a.bin", "image/webp"),
    (b"<!-- drawn --><SVG xmlns='http://www.w3.org/2000/svg'/>", "a.bin", "image/svg+xml"),
    (b"  <?xml version='1.0'?><!-- nothing yet -->", "a.SVG", "image/svg+xml"),
])
def test_an_image_is_known_by_its_first_bytes(tmp_path, head, name, kind):
    (tmp_path / name).write_bytes(head)
    assert media_type(tmp_path / name, name) == kind


@pytest.mark.parametrize("head, name", [
    (b"  <?xml version='1.0'?><html/>", "a.xml"),
    (b"RIFF\0\0\0\0WAVEfmt ", "a.wav"),
    (b"%PDF-1.7", "a.png"),
])
def test_a_file_that_is_no_image_is_refused(tmp_path, head, name):
    (tmp_path / name).write_bytes(head)
    with pytest.raises(ResourceRefused, match=rf"^`{name}` is not an image this book can use: use PNG, JPEG, GIF, WebP or SVG$"):
        media_type(tmp_path / name, name)


def test_every_edition_gets_an_svg_sanitised_and_other_images_as_they_are(book):
    images = book / "manuscript" / "images"
    drawing = image_bytes(book, images / "drawing.svg", "image/svg+xml")
    assert b"<rect" in drawing and b"script" not in drawing and b"steal" not in drawing
    assert image_bytes(book, images / "red.png", "image/png") == (images / "red.png").read_bytes()


# --- the colour profile --------------------------------------------------------------------


def icc(space: bytes, signature: bytes = b"acsp") -> bytes:
    header = bytearray(128)
    header[16:20], header[36:40] = space, signature
    return bytes(header)


def profile_refusal(root: Path, src: str) -> str:
    with pytest.raises(ResourceRefused) as caught:
        cmyk_profile(root, src)
    return str(caught.value)


def test_a_books_own_cmyk_profile_inside_it_is_taken(book):
    (book / "print").mkdir()
    (book / "print" / "press.icc").write_bytes(icc(b"CMYK"))
    assert cmyk_profile(book, " print/press.icc ") == book / "print" / "press.icc"


def test_a_profile_that_is_no_cmyk_profile_inside_the_book_is_refused(book, tmp_path):
    (book / "rgb.icc").write_bytes(icc(b"RGB "))
    (book / "text.icc").write_bytes(icc(b"CMYK", signature=b"nope"))
    (tmp_path / "outside.icc").write_bytes(icc(b"CMYK"))
    (book / "link.icc").symlink_to(tmp_path / "outside.icc")
    inside = "must be a path inside the book folder"
    assert profile_refusal(book, "https://example.com/p.icc") == f"`color_profile: https://example.com/p.icc` {inside}"
    assert profile_refusal(book, "/etc/p.icc") == f"`color_profile: /etc/p.icc` {inside}"
    assert profile_refusal(book, "../outside.icc") == f"`color_profile: ../outside.icc` {inside}"
    assert profile_refusal(book, "print/..") == ("`color_profile: print/..`: this is a folder, not an ordinary file: a "
                                                 "book is made of ordinary files")
    assert profile_refusal(book, "a/../..") == f"`color_profile: a/../..` {inside}"
    assert profile_refusal(book, "missing.icc") == "`color_profile: missing.icc`: no such file inside the book folder"
    assert profile_refusal(book, "link.icc") == ("`color_profile: link.icc`: this file is a link to a file outside the "
                                                 "book folder: copy the file into the book instead")
    assert profile_refusal(book, "text.icc") == "`color_profile: text.icc` is not an ICC profile"
    assert profile_refusal(book, "rgb.icc") == ("`color_profile: rgb.icc` is a RGB profile: a printer needs a CMYK "
                                                "output profile")


# --- the URL fetcher WeasyPrint reads through -------------------------------------------------


@pytest.fixture
def no_connections(monkeypatch):
    made = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: made.append(address))
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: made.append(address))
    return made


def test_the_fetcher_reads_files_of_the_book_at_its_fixed_address(book):
    fetcher = book_url_fetcher(book, [])
    served = fetcher.fetch(BOOK_URL + "manuscript/images/red.png?size=1#x")
    assert served.read() == (book / "manuscript" / "images" / "red.png").read_bytes()
    named = book / "manuscript" / "images" / "a picture.png"
    named.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    assert fetcher.fetch(BOOK_URL + "manuscript/images/a%20picture.png").read() == named.read_bytes()
    direct = fetcher.fetch((book / "manuscript" / "images" / "red.png").as_uri())
    assert direct.read() == (book / "manuscript" / "images" / "red.png").read_bytes()


def test_the_fetcher_refuses_remote_urls_before_any_connection(book, no_connections):
    fetcher = book_url_fetcher(book, [])
    for url in ("https://tracker.example/pixel.png", "http://127.0.0.1:9/x.css", "ftp://example.com/a",
                "data:image/png;base64,AAAA"):
        with pytest.raises(ValueError, match=rf"^refused to fetch {url}: books may only use files inside the book folder$"):
            fetcher.fetch(url)
    assert no_connections == []


def test_the_fetcher_refuses_files_outside_the_book_and_the_allowed_folders(book, tmp_path):
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "book.css").write_text("p { margin: 0 }")
    (tmp_path / "secret.txt").write_text("secret")
    fetcher = book_url_fetcher(book, [theme])
    assert fetcher.fetch((theme / "book.css").as_uri()).read() == b"p { margin: 0 }"
    for url in ((tmp_path / "secret.txt").as_uri(), BOOK_URL + "../secret.txt", BOOK_URL + "%2e%2e/secret.txt",
                "file:///etc/passwd"):
        with pytest.raises(ValueError, match=r"^refused to read /\S+: it is outside the book folder$"):
            fetcher.fetch(url)
    (book / "manuscript" / "escape.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(ValueError, match="outside the book folder"):
        fetcher.fetch(BOOK_URL + "manuscript/escape.txt")


def test_the_fetcher_serves_svg_images_sanitised_whatever_their_name(book):
    images = book / "manuscript" / "images"
    (images / "disguised.png").write_bytes(SVG)
    fetcher = book_url_fetcher(book, [])
    for name in ("drawing.svg", "disguised.png"):
        served = fetcher.fetch(BOOK_URL + f"manuscript/images/{name}")
        data = served.read()
        assert served.content_type == "image/svg+xml", name
        assert b"<rect" in data and b"steal" not in data, name


def test_stylesheets_and_fonts_are_never_taken_for_svg(book):
    (book / "styles").mkdir()
    css = "/* <svg> in a comment */ p { color: red }"
    for name in ("book.css", "font.ttf", "font.otf", "font.woff", "font.woff2", "press.icc", "press.icm"):
        (book / "styles" / name).write_text(css)
        served = book_url_fetcher(book, []).fetch(BOOK_URL + f"styles/{name}")
        assert served.read() == css.encode(), name
        assert served.content_type != "image/svg+xml", name
    (book / "styles" / "notes.txt").write_text("plain text")
    assert book_url_fetcher(book, []).fetch(BOOK_URL + "styles/notes.txt").read() == b"plain text"


# --- the edges of each check ------------------------------------------------------------------


def test_a_remote_url_with_a_port_is_still_remote(book):
    assert refused(book, "https://example.com:8080/a.png").startswith("remote image `https://example.com:8080/a.png`")


def test_a_fragment_alone_is_not_part_of_the_file_name(book):
    assert book_resource(book, "manuscript/001-a.md", "images/red.png#part") == ("manuscript/images/red.png", "image/png")
    served = book_url_fetcher(book, []).fetch(BOOK_URL + "manuscript/images/red.png#part")
    assert served.read() == (book / "manuscript" / "images" / "red.png").read_bytes()


def test_a_file_that_is_no_image_is_refused_by_the_name_it_was_given(book):
    (book / "manuscript" / "notes.txt").write_text("words")
    assert refused(book, "../notes.txt", base="manuscript/front/a.md") == (
        "`../notes.txt` is not an image this book can use: use PNG, JPEG, GIF, WebP or SVG")


def test_megapixels_are_rounded_as_they_are_counted(book):
    (book / "manuscript" / "images" / "tall.png").write_bytes(png_header(10, 4_050_001))  # 40.50001 megapixels
    assert refused(book, "images/tall.png").startswith("`images/tall.png` is 10x4050001 pixels (41 megapixels)")


def test_a_profile_whose_colour_space_is_not_text_is_refused_readably(book):
    (book / "odd.icc").write_bytes(icc(b"\xffRG\x00"))
    assert profile_refusal(book, "odd.icc") == ("`color_profile: odd.icc` is a \ufffdRG\x00 profile: a printer needs a "
                                                "CMYK output profile")


def test_only_the_first_512_bytes_say_what_an_image_is(tmp_path):
    padding = b"<!--" + b" " * 501 + b"-->"  # 508 bytes
    (tmp_path / "late.bin").write_bytes(padding + b" <svg xmlns='http://www.w3.org/2000/svg'/>")  # "<svg" at 509
    with pytest.raises(ResourceRefused):
        media_type(tmp_path / "late.bin", "late.bin")
    (tmp_path / "early.bin").write_bytes(padding + b"<svg xmlns='http://www.w3.org/2000/svg'/>")  # at 508
    assert media_type(tmp_path / "early.bin", "early.bin") == "image/svg+xml"


def test_an_svg_named_so_is_sanitised_even_when_its_start_does_not_say_so(book):
    late = b"<!--" + b" " * 600 + b"-->" + SVG
    (book / "manuscript" / "images" / "late.svg").write_bytes(late)
    served = book_url_fetcher(book, []).fetch(BOOK_URL + "manuscript/images/late.svg")
    data = served.read()
    assert served.content_type == "image/svg+xml" and b"<rect" in data and b"steal" not in data
    assert served.url == BOOK_URL + "manuscript/images/late.svg"
    (book / "manuscript" / "images" / "upper.SVG").write_bytes(late)
    assert b"steal" not in book_url_fetcher(book, []).fetch(BOOK_URL + "manuscript/images/upper.SVG").read()

"""A build never fetches anything from the network and never reads a file outside the book.

The contract: "An image given as a remote URL, a `file:` URL or a path that leads
outside the book folder is an error; such a resource is never read or fetched.
(Links to web pages are fine: they are links, not resources.)"

Every way a book could name a resource is tried, each in its own small book built
for real in all three editions:

- the network: a listening socket on 127.0.0.1 records every connection; the
  books point images, stylesheets, @imports, url()s and inline styles at it, and
  no connection may ever arrive. Nor may an EPUB that was written still name the
  server as a resource (anything but an ``<a href>``): every reader would fetch it,
  and EPUBCheck rejects it (RSC-006);
- the file system: a secret image (with a unique marker in its pixels and in a
  PNG text chunk), a secret stylesheet and a secret chapter sit next to the book
  folder; the books reach for them by relative path, ``file:`` URL, absolute
  path, CSS and symlinks, and no marker may appear in any edition (EPUB entries,
  decoded images inside it, PDF bytes, every decompressed PDF stream, PDF text).

A reference the contract calls an error must be reported as one (exit 1, located
as ``path:line:col: error: message``); other vectors may be refused with an
error or dropped with a warning, as long as nothing is fetched or read.
A positive control checks that the leak detector does see a marked image and
stylesheet when a book uses them legitimately.
"""

from __future__ import annotations

import io
import re
import socket
import threading
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
import pytest

from conftest import pdf_page_texts, run_build

PROBLEM_LINE = re.compile(r"^[^:]+:\d+:\d+: (error|warning): .+")
SUMMARY_LINE = re.compile(r"^\d+ errors?: nothing was written$")
CHAPTER = "manuscript/001-only.md"

ERROR = "error"  # the contract says this reference is an error: exit 1, located
ANY = "any"  # refused with a located error, or dropped with a warning: either way nothing fetched or read
BUILDS = "builds"  # must build (exit 0)


@dataclass
class Vector:
    name: str
    expect: str
    body: str = ""
    css: str | None = None  # styles/book.css
    front: str = ""  # extra front matter lines
    meta: str = ""  # extra metadata.yaml lines
    needles: tuple[str, ...] = ()  # with ERROR: each must appear in an error line
    setup: object = None  # callable(book: Path) for symlinks and the like
    process: object = field(default=None, repr=False)


def write_book(root: Path, vector: Vector) -> None:
    (root / "manuscript" / "images").mkdir(parents=True)
    (root / "metadata.yaml").write_text(f"title: Leak test\nauthor: Tess Ter\nlanguage: en-GB\n{vector.meta}", encoding="utf-8")
    (root / CHAPTER).write_text(
        f"---\ntitle: Only\n{vector.front}---\n\nText before the vector.\n\n{vector.body}\n\nText after the vector.\n",
        encoding="utf-8",
    )
    if vector.css is not None:
        (root / "styles").mkdir()
        (root / "styles" / "book.css").write_text(vector.css, encoding="utf-8")
    if vector.setup is not None:
        vector.setup(root)


def build_each(base: Path, vectors: list[Vector]) -> None:
    """Build every vector's book (all three editions), two at a time; keep each process on its vector."""
    def build(vector: Vector) -> None:
        book = base / vector.name
        write_book(book, vector)
        vector.process = run_build("--book", book, "--out", base / f"out-{vector.name}")

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(build, vectors))
    for vector in vectors:
        lines = [line for line in vector.process.stderr.splitlines() if line.strip() and not SUMMARY_LINE.match(line)]
        print(f"\n  {vector.name}: exit {vector.process.returncode}" + "".join(f"\n    {line[:160]}" for line in lines))


def contract_problems(vector: Vector, out: Path) -> list[str]:
    """What is wrong with how the build answered this vector (empty when all is well)."""
    process = vector.process
    shown = f"[{vector.name}] exit {process.returncode}\n  stdout: {process.stdout.strip()}\n  stderr: {process.stderr.strip()}"
    wrong = []
    output = process.stdout + process.stderr
    if process.returncode not in (0, 1):
        wrong.append(f"exit code is not 0 or 1\n{shown}")
    if "Traceback" in output or "internal error" in output:
        wrong.append(f"traceback / internal error\n{shown}")
    lines = [line for line in process.stderr.splitlines() if line.strip()]
    if process.returncode == 1:
        problems = [line for line in lines if not SUMMARY_LINE.match(line)]
        unlocated = [line for line in problems if not PROBLEM_LINE.match(line)]
        errors = [line for line in problems if ": error: " in line and PROBLEM_LINE.match(line)]
        if unlocated:
            wrong.append(f"lines that are not path:line:col: error|warning: {unlocated}\n{shown}")
        if not errors:
            wrong.append(f"exit 1 without a located error\n{shown}")
        written = sorted(p.name for p in out.iterdir()) if out.exists() else []
        if any(name.endswith((".epub", ".pdf")) for name in written):
            wrong.append(f"a failed build wrote {written}\n{shown}")
        for needle in vector.needles:
            if not any(needle in line for line in errors):
                wrong.append(f"no located error mentions `{needle}`\n{shown}")
    if vector.expect == ERROR and process.returncode != 1:
        wrong.append(f"the contract makes this reference an error (exit 1)\n{shown}")
    if vector.expect == BUILDS and process.returncode != 0:
        wrong.append(f"this book must build\n{shown}")
    return wrong


# --- no network ---------------------------------------------------------------------


class Listener:
    """A TCP server on 127.0.0.1 that records every connection (and what it was asked)."""

    def __init__(self) -> None:
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(32)
        self.server.settimeout(0.1)
        self.port = self.server.getsockname()[1]
        self.accepted: list[tuple[tuple[str, int], bytes]] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, address = self.server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with connection:
                connection.settimeout(1)
                try:
                    request = connection.recv(4096)
                    connection.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    request = b""
                self.accepted.append((address, request[:200]))

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.server.close()


@pytest.fixture
def listener():
    server = Listener()
    try:
        # The listener itself must work, or "no connection" would prove nothing.
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as probe:
            probe.sendall(b"GET /probe HTTP/1.0\r\n\r\n")
            probe.recv(100)
        deadline = time.monotonic() + 5
        while not server.accepted and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.accepted and b"/probe" in server.accepted[0][1], "the test listener does not accept connections"
        server.accepted.clear()
        yield server
    finally:
        server.close()


def network_vectors(port: int) -> list[Vector]:
    host = f"http://127.0.0.1:{port}"
    return [
        Vector("md-image", ERROR, f"![x]({host}/a.png)", needles=(f"{host}/a.png",)),
        Vector("web-link", BUILDS, f"A link: [site]({host}/page) is a link, not a resource."),
        Vector("raw-img", ANY, f'<img src="{host}/b.png" alt="b">'),
        Vector("link-element", ANY, f'<link rel="stylesheet" href="{host}/c.css">'),
        Vector("style-element", ANY,
               f'<style>@import url("{host}/d.css"); p {{ background: url("{host}/e.png") }}</style>'),
        Vector("style-attribute", ANY, f'<span style="background-image:url({host}/f.png)">x</span>'),
        Vector("book-css", ANY, "Plain text.", css=(
            f'@import url("{host}/g.css");\nbody {{ background: url("{host}/h.png"); }}\n'
        )),
        # Beyond the brief: other ways HTML and CSS name resources.
        Vector("opening-image", ERROR, front=f"image: {host}/i.png\nimage_alt: i\n", needles=(f"{host}/i.png",)),
        Vector("cover", ERROR, "Plain text.", meta=f"cover: {host}/j.png\n", needles=(f"{host}/j.png",)),
        Vector("more-html", ANY, "\n\n".join([
            f'<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><image href="{host}/k.png" width="20" height="20"/></svg>',
            f'<video poster="{host}/l.png" src="{host}/m.mp4"></video>',
            f'<picture><source srcset="{host}/n.png"><span>pic</span></picture>',
            f'<table background="{host}/o.png"><tr><td>cell</td></tr></table>',
        ])),
        Vector("more-css", ANY, "- a list item", css=(
            f'@font-face {{ font-family: "Remote"; src: url("{host}/p.woff"); }}\n'
            f'body {{ font-family: "Remote", serif; }}\n'
            f'li {{ list-style-image: url("{host}/q.png"); }}\n'
            f'h1::before {{ content: url("{host}/r.png"); }}\n'
        )),
    ]


def remote_resources_in_epub(out: Path, base_url: str) -> list[str]:
    """Where an EPUB in ``out`` still names ``base_url`` as a resource (anything but an <a href>).

    Such a reference makes every reader's device fetch it (a tracking pixel), and EPUBCheck
    rejects it (RSC-006 and OPF-014 without a remote-resources property).
    """
    link = re.compile(r"<a\s[^>]*?href=\"" + re.escape(base_url) + r"[^\"]*\"")
    found = []
    for epub in sorted(out.glob("*.epub")):
        with zipfile.ZipFile(epub) as archive:
            for name in archive.namelist():
                text = link.sub("", archive.read(name).decode("utf-8", "replace"))
                found += [f"{name}: ...{text[max(0, m.start() - 50):m.end() + 10]}..." for m in re.finditer(re.escape(base_url), text)]
    return found


def test_a_build_never_connects_to_the_network(tmp_path, listener):
    vectors = network_vectors(listener.port)
    build_each(tmp_path, vectors)
    time.sleep(1)  # a late fetch (a thread, a retry) still has time to arrive
    wrong = [problem for v in vectors for problem in contract_problems(v, tmp_path / f"out-{v.name}")]
    connections = [request.split(b"\r\n")[0].decode("latin-1") for _, request in listener.accepted]
    assert not connections, f"the build connected to the network: {connections}"
    for vector in vectors:
        remote = remote_resources_in_epub(tmp_path / f"out-{vector.name}", f"http://127.0.0.1:{listener.port}/")
        if remote:
            wrong.append(f"[{vector.name}] the build wrote an EPUB whose readers would fetch from the network "
                         f"(remote resources; EPUBCheck RSC-006): {remote}")
    assert not wrong, "\n\n".join(wrong)


# --- no file outside the book ----------------------------------------------------------


@dataclass(frozen=True)
class Secrets:
    png: Path
    size: tuple[int, int]  # the secret image's pixel size: an image of this size in a PDF is the secret,
    # even after the print edition converts it to CMYK
    css: Path
    md: Path
    markers: tuple[bytes, ...]  # any of these in an edition means a secret was read
    text_markers: tuple[str, ...]  # and these in a PDF's text


SECRET_ROWS = 7  # the secret image is 10x7 pixels: no other image in these books has that size


def marked_png(path: Path, marker: bytes) -> None:
    """A real PNG whose every row of RGB pixel bytes spells ``marker``, with the marker in a text chunk too."""
    from PIL import Image, PngImagePlugin

    assert len(marker) % 3 == 0
    picture = Image.frombytes("RGB", (len(marker) // 3, SECRET_ROWS), marker * SECRET_ROWS)
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", marker.decode("ascii"))
    picture.save(path, format="PNG", pnginfo=info)


def byte_variants(marker: bytes) -> tuple[bytes, ...]:
    """The marker as bytes, as RGB pixels (itself) and as RGBA pixels."""
    rgba = b"".join(marker[i:i + 3] + b"\xff" for i in range(0, len(marker), 3))
    return marker, rgba


def make_secrets(folder: Path, prefix: str = "SECRET") -> Secrets:
    tag = uuid.uuid4().hex.upper()
    image_marker = f"{prefix}PNG{tag}"[:30].ljust(30, "X").encode("ascii")
    css_marker = f"{prefix}CSS{tag}"
    md_marker = f"{prefix}MD{tag}"
    png = folder / "secret.png"
    marked_png(png, image_marker)
    css = folder / "secret.css"
    css.write_text(f'/* {css_marker} */\nbody::after {{ content: "{css_marker}"; }}\n', encoding="utf-8")
    md = folder / "secret.md"
    md.write_text(f"---\ntitle: {md_marker}\n---\n\n{md_marker} is private.\n", encoding="utf-8")
    return Secrets(png, (len(image_marker) // 3, SECRET_ROWS), css, md, (*byte_variants(image_marker), css_marker.encode(), md_marker.encode()),
                   (css_marker, md_marker))


def leaks(out: Path, secrets: Secrets) -> list[str]:
    """Where in the editions in ``out`` a secret shows up."""
    from PIL import Image

    found = []
    if not out.exists():
        return found

    def seen(data: bytes) -> bool:
        return any(marker in data for marker in secrets.markers)

    for edition in sorted(out.iterdir()):
        if edition.suffix == ".epub":
            with zipfile.ZipFile(edition) as archive:
                for name in archive.namelist():
                    data = archive.read(name)
                    if seen(data):
                        found.append(f"{edition.name}: {name}")
                    if name.lower().endswith((".png", ".jpg", ".jpeg", ".gif", ".webp")):
                        try:
                            with Image.open(io.BytesIO(data)) as picture:
                                pixels = picture.convert("RGB").tobytes()
                                size = picture.size
                        except Exception:
                            continue
                        if seen(pixels) or size == secrets.size:
                            found.append(f"{edition.name}: {name} (pixels)")
        elif edition.suffix == ".pdf":
            data = edition.read_bytes()
            if seen(data):
                found.append(f"{edition.name} (file bytes)")
            with pikepdf.open(edition) as document:
                for obj in document.objects:
                    if not isinstance(obj, pikepdf.Stream):
                        continue
                    try:
                        decoded = obj.read_bytes()
                    except pikepdf.PdfError:
                        decoded = obj.read_raw_bytes()
                    if seen(decoded):
                        found.append(f"{edition.name}: stream {obj.objgen}")
                    if obj.get("/Subtype") == "/Image" and (int(obj.get("/Width", 0)), int(obj.get("/Height", 0))) == secrets.size:
                        found.append(f"{edition.name}: image {obj.objgen} of the secret's size {secrets.size}")
            text = " ".join(pdf_page_texts(edition)).replace(" ", "")
            found += [f"{edition.name}: text {marker}" for marker in secrets.text_markers if marker in text]
    return found


def secret_vectors(base: Path, secrets: Secrets) -> list[Vector]:
    png_url = secrets.png.as_uri()

    def link(target: Path, at: str):
        def setup(book: Path) -> None:
            place = book / at
            if place.exists():
                place.rmdir() if place.is_dir() else place.unlink()
            place.parent.mkdir(parents=True, exist_ok=True)
            place.symlink_to("../" * len(Path(at).parts) + target.relative_to(base).as_posix())
        return setup

    secret_images = base / "secret-images"
    secret_images.mkdir()
    (secret_images / "secret.png").write_bytes(secrets.png.read_bytes())
    secret_styles = base / "secret-styles"
    secret_styles.mkdir()
    (secret_styles / "book.css").write_text(secrets.css.read_text(encoding="utf-8"), encoding="utf-8")

    return [
        # What the contract makes an error. (From manuscript/, `../secret.png` is inside the book
        # and missing; `../../secret.png` is the secret next to the book folder.)
        Vector("md-image", ERROR, "![x](../../secret.png)\n\n![y](../secret.png)",
               needles=("../../secret.png", "../secret.png")),
        Vector("md-file-url", ERROR, f"![x]({png_url})\n\n![y]({secrets.png})", needles=(png_url, str(secrets.png))),
        Vector("symlink-image", ERROR, "![x](images/link.png)", needles=("images/link.png",),
               setup=link(secrets.png, "manuscript/images/link.png")),
        Vector("symlink-images-folder", ERROR, "![x](images/secret.png)", needles=("images/secret.png",),
               setup=link(secret_images, "manuscript/images")),
        Vector("opening-image", ERROR, front="image: ../../secret.png\nimage_alt: s\n", needles=("../../secret.png",)),
        Vector("cover", ERROR, "Plain text.", meta="cover: ../secret.png\n", needles=("../secret.png",)),
        Vector("symlink-chapter", ERROR, "Plain text.", needles=("manuscript/002-secret.md",),
               setup=link(secrets.md, "manuscript/002-secret.md")),
        # Raw HTML and CSS: refused or dropped, never read.
        Vector("raw-img-relative", ANY, '<img src="../../secret.png" alt="s">'),
        Vector("raw-img-file-url", ANY, f'<img src="{png_url}" alt="s">'),
        Vector("book-css", ANY, "Plain text.", css=(
            '@import url("../../secret.css");\n'
            "body { background: url(../../secret.png); }\n"
            "p { background-image: url(../secret.png); }\n"
            f'h1 {{ background: url("{png_url}"); }}\n'
        )),
        Vector("style-in-html", ANY, "\n\n".join([
            # relative to the book folder, the base URL of the PDFs' HTML, `../secret.png` is the secret
            f'<style>@import url("{secrets.css.as_uri()}"); p {{ background: url("../secret.png") }}</style>',
            '<span style="background-image:url(../secret.png)">x</span>',
            '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><image href="../secret.png" width="20" height="20"/></svg>',
        ])),
        # Beyond the brief: the book's own stylesheet is a link to a file outside the book.
        Vector("symlink-stylesheet", ANY, "Plain text.", setup=link(secrets.css, "styles/book.css")),
        Vector("symlink-styles-folder", ANY, "Plain text.", setup=link(secret_styles, "styles")),
    ]


def test_a_build_never_reads_a_file_outside_the_book(tmp_path):
    secrets = make_secrets(tmp_path)
    vectors = secret_vectors(tmp_path, secrets)
    build_each(tmp_path, vectors)
    wrong = []
    for vector in vectors:
        out = tmp_path / f"out-{vector.name}"
        wrong += contract_problems(vector, out)
        found = leaks(out, secrets)
        if found:
            wrong.append(f"[{vector.name}] a file outside the book was read into the editions: {found}")
    assert not wrong, "\n\n".join(wrong)


def test_the_leak_detector_sees_a_marked_image_and_stylesheet_the_book_uses(tmp_path):
    """Positive control: the same markers, used legitimately from inside the book, are found."""
    folder = tmp_path / "control-secrets"
    folder.mkdir()
    secrets = make_secrets(folder, prefix="CONTROL")
    vector = Vector("control", BUILDS, "![a marked picture](images/inside.png)",
                    css=secrets.css.read_text(encoding="utf-8"),
                    setup=lambda book: (book / "manuscript/images/inside.png").write_bytes(secrets.png.read_bytes()))
    build_each(tmp_path, [vector])
    out = tmp_path / "out-control"
    assert not contract_problems(vector, out), contract_problems(vector, out)
    found = leaks(out, secrets)
    editions = {place.split(":")[0].split(" ")[0] for place in found}
    assert len(editions) == 3, f"the detector missed an edition: {found}"
    assert any("pixels" in place or "media/" in place for place in found if ".epub" in place), found
    assert any("secret's size" in place for place in found if "print.pdf" in place), found
    assert any("stream" in place for place in found if "screen.pdf" in place), found
    assert any("text CONTROLCSS" in place for place in found if "screen.pdf" in place), found

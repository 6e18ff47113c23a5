"""A hostile book folder, a hostile web page and a stuck worker cannot hurt the author.

Each test is one case of issue 20's security probe, made again: a book folder (or a web
page, a server, an output folder) that once made the toolchain read outside the book, run
out of memory, hang, fail with a traceback, ship a broken EPUB, serve the book to another
site or replace the author's files. Each runs the real command line under a time limit
(the subprocess's timeout) and, where memory was the harm, under a memory limit the test
sets (``RLIMIT_AS``, 1 GB, in the build's own process and all it starts), and asserts the
bounded outcome: exit 1 with a located message, or a build that is right.
"""

from __future__ import annotations

import http.client
import io
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from conftest import REPO, epubcheck, epubcheck_summary
from hostile_inputs import alias_bomb, use_bomb

GB = 1 << 30
LOCATED = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning): (?P<message>.+)$")


def _limit_memory(limit: int):
    def limit_in_child() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return limit_in_child


def bookbuild(*args: str | Path, seconds: float = 120, memory: int = GB) -> subprocess.CompletedProcess:
    """``build.py ARGS`` within ``seconds`` and ``memory`` bytes of address space (pandoc and the
    layout workers it starts included: the limit is inherited)."""
    return subprocess.run([sys.executable, str(REPO / "build.py"), *map(str, args)], capture_output=True, text=True,
                          timeout=seconds, preexec_fn=_limit_memory(memory),
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


def small_book(root: Path, body: str = "Hello world.", meta: str = "", front: str = "") -> Path:
    """A one-chapter book; the chapter's body starts on line 5 of manuscript/001-one.md."""
    (root / "manuscript" / "images").mkdir(parents=True)
    (root / "metadata.yaml").write_text(f"title: Hostile\nauthor: Ada Tester\nlanguage: en\n{meta}", encoding="utf-8")
    (root / "manuscript" / "001-one.md").write_text(f"---\ntitle: One\n{front}---\n\n{body}\n", encoding="utf-8")
    return root


def refused(done: subprocess.CompletedProcess, *expected: tuple[str, str]) -> list[str]:
    """Exit 1, no traceback, every line of stderr a located problem or the summary, and for each
    (``path:line:col``, phrase) an error there that says it. Returns the error lines."""
    assert done.returncode == 1, (done.returncode, done.stderr[-3000:])
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr[-3000:]
    lines = done.stderr.strip().splitlines()
    assert all(LOCATED.match(line) for line in lines[:-1]), lines
    errors = [line for line in lines if ": error: " in line]
    for place, phrase in expected:
        assert any(line.startswith(f"{place}: error: ") and phrase in line for line in errors), (place, phrase, errors)
    return errors


# --- every input a regular file inside the book --------------------------------------------------


def test_a_metadata_file_linked_from_outside_the_book_is_refused_and_never_read(tmp_path):
    book = small_book(tmp_path / "book")
    secret = tmp_path / "elsewhere.yaml"
    secret.write_text("title: SECRET-6c1f0e\nauthor: SECRET-6c1f0e\nlanguage: en\n", encoding="utf-8")
    (book / "metadata.yaml").unlink()
    (book / "metadata.yaml").symlink_to(secret)
    for command in (("check",), ("--formats", "epub")):
        done = bookbuild(*command, "--book", book, seconds=60)
        refused(done, ("metadata.yaml:1:1", "is a link to a file outside the book folder"))
        assert "SECRET-6c1f0e" not in done.stdout + done.stderr
    assert not (book / "dist").exists()


@pytest.mark.parametrize("where", ["chapter", "stylesheet", "metadata"])
def test_a_named_pipe_in_the_book_is_refused_without_waiting_for_it(tmp_path, where):
    """A pipe's read waits for a writer for ever; it is refused from what it is, unopened."""
    book = small_book(tmp_path / "book")
    pipe, shown = {"chapter": (book / "manuscript" / "002-pipe.md", "manuscript/002-pipe.md"),
                   "stylesheet": (book / "styles" / "book.css", "styles/book.css"),
                   "metadata": (book / "metadata.yaml", "metadata.yaml")}[where]
    pipe.parent.mkdir(exist_ok=True)
    pipe.unlink(missing_ok=True)
    os.mkfifo(pipe)
    refused(bookbuild("check", "--book", book, seconds=60), (f"{shown}:1:1", "is a named pipe, not an ordinary file"))


@pytest.mark.parametrize("where", ["metadata", "subjects", "front-matter"])
def test_a_yaml_alias_bomb_is_refused_at_its_first_alias_within_a_gigabyte(tmp_path, where):
    """``*name`` repeats what ``&name`` marks: eight lines of them once took 10 to 14 GB, and
    ``subjects: *bomb`` wrote a content.opf of 2.8 GB."""
    if where == "front-matter":
        book = small_book(tmp_path / "book", front=alias_bomb("mapping"))
        place = "manuscript/001-one.md:4:"  # l1, on the chapter's fourth line, refers to l0
    else:
        book = small_book(tmp_path / "book", meta=alias_bomb("list") + ("subjects: *l7\n" if where == "subjects" else ""))
        place = "metadata.yaml:5:"
    done = bookbuild("check", "--book", book, seconds=60, memory=GB)
    [error] = refused(done)
    assert error.startswith(place) and "`*l0` repeats another value: YAML aliases are not read" in error, error
    done = bookbuild("--book", book, "--formats", "epub", seconds=60, memory=GB)
    refused(done)
    assert not (book / "dist").exists()


def test_yaml_nested_ten_thousand_deep_is_refused_at_its_line(tmp_path):
    book = small_book(tmp_path / "book", meta="subjects: " + "[" * 10_000 + "]" * 10_000 + "\n")
    [error] = refused(bookbuild("check", "--book", book, seconds=60))
    assert error.startswith("metadata.yaml:4:") and "nested more than 20 deep" in error, error


def test_a_list_where_a_name_belongs_is_an_error_at_its_line(tmp_path):
    """``subjects: [[a, b]]`` once became the subject ``['a', 'b']``."""
    book = small_book(tmp_path / "book", meta="subjects: [[Baking, Bread], Salt]\nco: 1\n")
    (book / "metadata.yaml").write_text("title: Hostile\nauthor: [[Ada, Bo]]\nlanguage: en\n"
                                        "subjects: [[Baking, Bread], Salt]\n", encoding="utf-8")
    refused(bookbuild("check", "--book", book, seconds=60),
            ("metadata.yaml:2:10", "each item of `author` must be a name written as text"),
            ("metadata.yaml:4:12", "each item of `subjects` must be a subject written as text"))


# --- every stage bounded -------------------------------------------------------------------------


@pytest.mark.parametrize("kind, nested, place, phrase", [
    ("blockquotes", ">" * 5000 + " deep", "manuscript/001-one.md:7:1", "blockquotes or lists nested more than 50 deep"),
    ("lists", "- " * 5000 + "deep", "manuscript/001-one.md:7:1", "blockquotes or lists nested more than 50 deep"),
    ("indented lists", "".join("    " * n + "- deep\n" for n in range(200)), "manuscript/001-one.md:57:1",
     "blockquotes or lists nested more than 50 deep"),
    ("divs", "<div>" * 5000 + "deep" + "</div>" * 5000, "manuscript/001-one.md:7:251",
     "HTML elements nested more than 50 deep"),
    # 40 levels as written (a cell's row and body are no levels), 160 elements as laid out:
    ("tables", "<table><tr><td>" * 40 + "innermost cell" + "</td></tr></table>" * 40, "manuscript/001-one.md:7:601",
     "elements nested more than 110 deep"),
])
def test_nesting_thousands_deep_is_refused_at_its_line(tmp_path, kind, nested, place, phrase):
    """pandoc's time grows with the square of the depth and WeasyPrint's layout recurses:
    5000-deep blockquotes, lists or divs were a RecursionError, or minutes of pandoc."""
    book = small_book(tmp_path / "book", body=f"Before.\n\n{nested}\n\nAfter.")
    refused(bookbuild("check", "--book", book, seconds=60), (place, phrase))
    refused(bookbuild("--book", book, "--formats", "print", seconds=120), (place, phrase))


def test_an_svg_of_nested_use_is_refused_before_it_is_laid_out(tmp_path):
    """2 KB of nested <use> is 10^8 elements: it once laid out for ever, deaf to SIGTERM."""
    book = small_book(tmp_path / "book", body="![A picture of everything](images/bomb.svg)")
    (book / "manuscript" / "images" / "bomb.svg").write_bytes(use_bomb(8))
    assert len(use_bomb(8)) < 2500
    for command in (("check",), ("--formats", "print")):
        refused(bookbuild(*command, "--book", book, seconds=60),
                ("manuscript/001-one.md:5:1", "`images/bomb.svg` draws more than 100,000 elements"))


def _noise(size: tuple[int, int]) -> Image.Image:
    return Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))


@pytest.mark.parametrize("kind", ["JPEG", "PNG"])
def test_a_damaged_image_is_a_located_error_found_before_layout(tmp_path, kind):
    """A truncated JPEG passed check and failed at the end of the build (pikepdf's DataDecodingError)."""
    name = f"damaged.{kind.lower()}"
    book = small_book(tmp_path / "book", body=f"Text.\n\n![A damaged photograph](images/{name})")
    data = io.BytesIO()
    _noise((400, 300)).save(data, kind)
    (book / "manuscript" / "images" / name).write_bytes(data.getvalue()[: len(data.getvalue()) // 2])
    for command in (("check",), ("--formats", "print")):
        refused(bookbuild(*command, "--book", book, seconds=60),
                ("manuscript/001-one.md:7:1", f"`images/{name}` is damaged"))


def test_a_slow_image_server_is_given_up_after_the_deadline(monkeypatch):
    """``import --fetch-images`` against a server that sends a byte a second (each read's
    own time limit is never reached) once waited for ever; now an image has a deadline in
    all. In this process, with the deadline shortened to 2 s."""
    from bookbuild.blogimport import images

    monkeypatch.setattr(images, "DOWNLOAD_SECONDS", 2.0, raising=False)
    monkeypatch.setattr(images, "READ_SECONDS", 1.0, raising=False)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def trickle() -> None:
        connection, _ = server.accept()
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 1000000\r\n\r\n")
        while not stop.is_set():
            try:
                connection.sendall(b"\x89")
            except OSError:
                break
            time.sleep(0.5)
        connection.close()

    threading.Thread(target=trickle, daemon=True).start()
    result: list = []
    started = time.monotonic()
    fetching = threading.Thread(target=lambda: result.append(images._download(f"http://127.0.0.1:{server.getsockname()[1]}/a.png")),
                                daemon=True)
    fetching.start()
    fetching.join(timeout=20)
    stop.set()
    server.close()
    assert not fetching.is_alive(), "the download still waits for the server after 20 s"
    assert result == [None] and time.monotonic() - started < 5


# --- a clean stop, workers included ------------------------------------------------------------


@pytest.fixture(scope="module")
def lopsided(tmp_path_factory) -> Path:
    """A long chapter between two short ones: with two layout workers, one lays the long
    chapter out for seconds while the other, done, waits for work."""
    book = small_book(tmp_path_factory.mktemp("lopsided") / "book")
    words = "the of and to in a is that for it as was with be by on not this are or from at which".split()
    paragraphs = ["".join(" ".join(words[(n * 7 + k * 3) % len(words)] for k in range(150)).capitalize()) + "."
                  for n in range(160)]
    (book / "manuscript" / "002-long.md").write_text("---\ntitle: Long\n---\n\n" + "\n\n".join(paragraphs) + "\n",
                                                     encoding="utf-8")
    (book / "manuscript" / "003-short.md").write_text("---\ntitle: Short\n---\n\nShort again.\n", encoding="utf-8")
    return book


def _process(pid: int) -> tuple[int, str, str, str]:
    """(parent, state, what it waits in, command line) of a live process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    waits = Path(f"/proc/{pid}/wchan").read_text()
    return int(fields[1]), fields[0], waits, Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")


def _processes_in_group(group: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                state, _, pgrp = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:3]
            except (OSError, ValueError):
                continue
            if int(pgrp) == group and state not in ("Z", "X"):
                members.append(int(entry.name))
    return members


def _one_worker_busy_and_one_waiting(build: int) -> bool:
    """The moment that once hung the build: a layout worker at work, another waiting for work
    on its pipe or socket (multiprocessing.Pool's idle worker held the queue's lock as it waited)."""
    states = []
    for pid in _processes_in_group(build):
        try:
            parent, state, waits, command = _process(pid)
        except (OSError, ValueError):
            continue
        if parent == build and "build.py" in command:
            states.append("waiting" if waits.endswith(("pipe_read", "stream_read_generic")) else "busy")
    return sorted(states) == ["busy", "waiting"]


def _waiting(group: int) -> dict[int, str]:
    """What each process of the group is doing (its state and the kernel's word for its wait)."""
    found = {}
    for pid in _processes_in_group(group):
        try:
            parent, state, waits, command = _process(pid)
        except (OSError, ValueError):
            continue
        found[pid] = f"{state} {waits} {command[-60:]!r}"
    return found


@pytest.mark.parametrize("stop_signal, to", [(signal.SIGTERM, "group"), (signal.SIGTERM, "process"),
                                             (signal.SIGINT, "group")])
def test_a_stop_signal_ends_the_build_and_every_worker_within_seconds(lopsided, tmp_path, stop_signal, to):
    """SIGTERM to the process group while one worker was busy and the other waited for work
    left the build blocked for good in a semaphore of multiprocessing.Pool, its workers gone."""
    book = shutil.copytree(lopsided, tmp_path / "book", ignore=shutil.ignore_patterns(".cache", "dist"))
    build = subprocess.Popen([sys.executable, str(REPO / "build.py"), "--book", str(book), "--jobs", "2", "--quiet",
                              "--formats", "print"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline, since = time.monotonic() + 120, None
        while since is None or time.monotonic() - since < 0.5:  # for half a second: not the workers' start
            assert build.poll() is None and time.monotonic() < deadline, "no time with one worker busy, one waiting"
            since = (since or time.monotonic()) if _one_worker_busy_and_one_waiting(build.pid) else None
            time.sleep(0.02)
        sent = time.monotonic()
        (os.killpg if to == "group" else os.kill)(build.pid, stop_signal)
        try:
            build.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the build still runs 10 s after {stop_signal.name} to its {to}: {_waiting(build.pid)}")
        took = time.monotonic() - sent
        deadline = time.monotonic() + 5
        while _processes_in_group(build.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _processes_in_group(build.pid) == [], f"processes of the build outlived it: {_waiting(build.pid)}"
    finally:
        if build.poll() is None or _processes_in_group(build.pid):
            os.killpg(build.pid, signal.SIGKILL)
            build.wait()
    assert build.returncode == 130 and took < 10, (build.returncode, took)
    assert "interrupted: nothing was written" in build.stderr.read()
    assert not (book / "dist").exists()


# --- text cleaned at the door --------------------------------------------------------------------


def test_control_characters_and_noncharacters_are_refused_where_they_are_written(tmp_path):
    """A U+0001 in a title or ``&#x1b;`` in the text was an internal error; a U+FFFE shipped in
    an EPUB that EPUBCheck stops at, while the build said it succeeded."""
    book = small_book(tmp_path / "book", front='subtitle: "Not \\uFFFE here"\n',
                      body="Tab\tis fine. A noncharacter \ufffe here.\n\nEscape &#x1b; and &#xFFFF; and &#127; "
                           "and \ufdd0.\n\nIn code it is text: `&#x1b;`.")
    (book / "metadata.yaml").write_text('title: "Bad \\x01 title"\nauthor: Ada Tester\nlanguage: en\n'
                                        "description: A C1 control \u0085 written out\n", encoding="utf-8")
    expected = (("metadata.yaml:1:8", "holds U+0001 (a control character)"),
                ("manuscript/001-one.md:3:11", "holds U+FFFE (a noncharacter)"),
                ("manuscript/001-one.md:6:29", "U+FFFE (a noncharacter) cannot be in a book"),
                ("manuscript/001-one.md:8:8", "`&#x1b;` is U+001B (a control character)"),
                ("manuscript/001-one.md:8:19", "`&#xFFFF;` is U+FFFF (a noncharacter)"),
                ("manuscript/001-one.md:8:32", "`&#127;` is U+007F (a control character)"),
                ("manuscript/001-one.md:8:43", "U+FDD0 (a noncharacter) cannot be in a book"))
    # metadata.yaml's first error ends its reading: the character written out is found alone.
    errors = refused(bookbuild("check", "--book", book, seconds=60), *expected[1:],
                     ("metadata.yaml:4:27", "U+0085 (a control character"))
    assert len(errors) == 7, errors
    (book / "metadata.yaml").write_text('title: "Bad \\x01 title"\nauthor: Ada Tester\nlanguage: en\n', encoding="utf-8")
    errors = refused(bookbuild("--book", book, "--formats", "epub", seconds=60), *expected)
    assert len(errors) == 7, errors
    assert not (book / "dist").exists()


def test_the_epub_is_checked_for_them_before_it_is_written():
    """The last look, for a way in that the door misses: every document of the archive."""
    from bookbuild.editions import epub
    from bookbuild.model import BookError

    with pytest.raises(BookError, match=r"the EPUB's EPUB/c001.xhtml would hold U\+FFFE \(a noncharacter\) at its "
                                        r"line 2, column 5"):
        epub._refuse_forbidden_characters([("EPUB/c001.xhtml", "<p>\n<p>a\ufffe</p>".encode()),
                                           ("EPUB/media/a.png", b"\x89PNG\x00\x01")])
    epub._refuse_forbidden_characters([("EPUB/media/a.png", b"\x89PNG\x00\x01\xff\xfe")])  # pictures are not text


def test_hostile_elements_are_taken_out_so_that_epubcheck_passes(tmp_path):
    """<portal>, <noembed>, <xmp>, lowsrc and a bare <area> passed the sanitiser and failed
    EPUBCheck while the build said it succeeded; so did every element HTML does not know."""
    body = "\n\n".join([
        '<portal src="https://example.com/"></portal>',
        "<noembed>fallback <b>text</b></noembed>",
        "<xmp>some <b>preformatted</b> text</xmp>",
        '<img src="images/dot.png" lowsrc="https://example.com/x.png" alt="A red dot">',
        '<area href="https://example.com/" alt="an area">',
        '<p>Old <font color="red">font</font>, <center>centre</center>, <marquee>moving</marquee>, '
        "<custom-thing>custom</custom-thing>.</p>",
        '<img src="images/dot.png" usemap="#m" alt="A mapped dot"><map name="m"><area href="#x" alt="x">mapped</map>',
    ])
    book = small_book(tmp_path / "book", body=body)
    Image.new("RGB", (8, 8), "red").save(book / "manuscript" / "images" / "dot.png")
    done = bookbuild("--book", book, "--out", tmp_path / "out", "--formats", "epub", seconds=120)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if ": warning: " in line]
    for place, phrase in [("5:1", "<portal> removed"), ("7:1", "<noembed> removed"), ("9:1", "<xmp> is obsolete"),
                          ("11:27", "`lowsrc` attribute removed"), ("13:1", "<area> removed"),
                          ("15:8", "<font> removed, its text kept"), ("15:39", "<center> removed"),
                          ("15:64", "<marquee> removed"), ("15:91", "<custom-thing> removed"),
                          ("17:27", "`usemap` attribute removed"), ("17:58", "<map> removed")]:
        assert any(line.startswith(f"manuscript/001-one.md:{place}: warning: ") and phrase in line for line in warnings), (
            place, phrase, warnings)
    [epub] = (tmp_path / "out").glob("*.epub")
    with zipfile.ZipFile(epub) as archive:
        chapter = archive.read("EPUB/c001.xhtml").decode()
    text = " ".join(re.sub(r"<[^>]+>", "", chapter).split())
    for kept in ("some &lt;b&gt;preformatted&lt;/b&gt; text", "Old font,", "centre", "moving, custom.", "mapped"):
        assert kept in text, kept
    assert "fallback" not in chapter and "example.com" not in chapter
    fatal, errors, warned, messages = epubcheck_summary(epubcheck(epub))
    assert (fatal, errors, warned) == (0, 0, 0), messages


# --- the layout cache keyed by everything a layout reads -----------------------------------------


def _drawn_colours(pdf: Path) -> tuple[int, int]:
    """Pixels drawn strongly red and strongly blue on the PDF's pages (rendered by PDFium)."""
    import pypdfium2

    red = blue = 0
    document = pypdfium2.PdfDocument(str(pdf))
    for page in document:
        image = page.render(scale=0.5).to_pil().convert("RGB")
        for (r, g, b), count in ((colour, n) for n, colour in image.getcolors(1 << 20)):
            red += count if r > 200 and g < 60 and b < 60 else 0
            blue += count if b > 200 and r < 60 and g < 60 else 0
    document.close()
    return red, blue


def test_a_picture_replaced_under_the_same_name_reaches_every_edition(tmp_path):
    """The PDFs kept the old picture ("laid out 0 of 2"), the EPUB had the new one: the layout
    cache's key left out the bytes of the images a chapter uses."""
    book = small_book(tmp_path / "book", body="A picture:\n\n![A coloured square](images/swap.png)")
    picture = book / "manuscript" / "images" / "swap.png"
    Image.new("RGB", (300, 300), (230, 20, 20)).save(picture)
    out = tmp_path / "out"
    first = bookbuild("--book", book, "--out", out, "--formats", "epub,screen", seconds=300)
    assert first.returncode == 0, first.stderr
    [screen] = out.glob("*-screen.pdf")
    red, blue = _drawn_colours(screen)
    assert red > 1000 and blue == 0
    Image.new("RGB", (300, 300), (20, 20, 230)).save(picture)
    second = bookbuild("--book", book, "--out", out, "--formats", "epub,screen", seconds=300)
    assert second.returncode == 0, second.stderr
    red, blue = _drawn_colours(screen)
    assert blue > 1000 and red == 0, "the screen PDF still shows the picture that was replaced"
    [epub] = out.glob("*.epub")
    with zipfile.ZipFile(epub) as archive:
        assert archive.read("EPUB/media/manuscript/images/swap.png") == picture.read_bytes()


def test_a_cover_outside_the_manuscript_replaced_is_not_taken_from_the_cache(tmp_path):
    """A whole build is reused when nothing changed; a cover (or a colour profile) kept
    beside metadata.yaml is an input too."""
    book = small_book(tmp_path / "book", meta="cover: cover.png\n")
    Image.new("RGB", (600, 900), (230, 20, 20)).save(book / "cover.png")
    out = tmp_path / "out"
    assert bookbuild("--book", book, "--out", out, "--formats", "epub").returncode == 0
    Image.new("RGB", (600, 900), (20, 20, 230)).save(book / "cover.png")
    second = bookbuild("--book", book, "--out", out, "--formats", "epub")
    assert second.returncode == 0, second.stderr
    assert "nothing changed since the last build" not in second.stdout
    [epub] = out.glob("*.epub")
    with zipfile.ZipFile(epub) as archive:
        assert archive.read("EPUB/media/cover.png") == (book / "cover.png").read_bytes()


# --- the preview trusts only its own page --------------------------------------------------------


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    """``watch`` on a book whose SVG carries a script: (port, book)."""
    book = small_book(tmp_path_factory.mktemp("preview") / "book",
                      body="The secret words of the manuscript.\n\n![A square](images/square.svg)")
    (book / "manuscript" / "images" / "square.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="steal()">'
        '<script>steal()</script><rect width="5" height="5"/></svg>', encoding="utf-8")
    process = subprocess.Popen([sys.executable, str(REPO / "build.py"), "watch", "--book", str(book), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    match = re.match(r"serving http://127\.0\.0\.1:(\d+)/", line)
    assert match, (line, process.stderr.read() if process.poll() is not None else "")
    yield int(match.group(1)), book
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def ask(port: int, path: str, host: str | None = None, method: str = "GET",
        headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One request to the preview, with the Host header a browser would send for ``host``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host=True)
        connection.putheader("Host", host if host is not None else f"127.0.0.1:{port}")
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_the_preview_answers_only_to_its_own_names(preview):
    """DNS rebinding: a page at evil.example points its name at 127.0.0.1 and reads what the
    preview answers to that name. It answered with the manuscript."""
    port, _ = preview
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
        status, body = ask(port, "/", host)
        assert status == 200 and b"The secret words of the manuscript" in body, host
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}", f"127.0.0.1:{port + 1}",
                 f"localhost.:{port}", ""):
        for path in ("/", "/events", "/media/manuscript/images/square.svg"):
            status, body = ask(port, path, host)
            assert status == 421 and b"secret" not in body and b"<rect" not in body, (host, path, status)


def test_only_the_preview_page_may_ask_for_a_build(preview):
    """Any web page could POST /build to the preview (202: a build started)."""
    port, _ = preview
    for headers in ({}, {"Origin": "https://evil.example"}, {"Origin": f"http://evil.example:{port}"},
                    {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": f"https://127.0.0.1:{port}"}):
        assert ask(port, "/build", method="POST", headers=headers)[0] == 403, headers
    # The preview page's own script (bookbuild/preview/reload.js), as a browser sends it.
    assert ask(port, "/build", method="POST", headers={"Origin": f"http://127.0.0.1:{port}"})[0] == 202
    assert ask(port, "/build", method="POST", headers={"Sec-Fetch-Site": "same-origin"})[0] == 202


def test_the_preview_serves_svg_images_sanitised(preview):
    port, _ = preview
    status, body = ask(port, "/media/manuscript/images/square.svg")
    assert status == 200 and b"<rect" in body
    assert b"script" not in body and b"onload" not in body and b"steal" not in body


# --- the import writes only inside the book -----------------------------------------------------


@pytest.mark.parametrize("linked", ["manuscript", "manuscript/images"])
def test_the_import_never_writes_through_a_folder_that_leads_out_of_the_book(tmp_path, linked):
    book = tmp_path / "book"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (book / linked).parent.mkdir(parents=True, exist_ok=True)
    (book / linked).symlink_to(elsewhere, target_is_directory=True)
    imports = Path(__file__).resolve().parent / "import"
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "import", str(imports / "blog.xml"), "--book", str(book),
                           "--media", str(imports / "uploads")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert f"{linked}:1:1: error: {linked}/ is a link to a folder outside the book" in done.stderr
    assert list(elsewhere.iterdir()) == [] and not (book / "metadata.yaml").exists()


# --- the output folder: only the build's own files -----------------------------------------------


def test_a_build_removes_only_its_own_temporary_files(tmp_path):
    """The clean-up pattern for a killed build's temporary files deleted the author's own
    ``.thesis.final_v2.partial``."""
    book = small_book(tmp_path / "book")
    out = tmp_path / "out"
    out.mkdir()
    authors = {".thesis.final_v2.partial": b"a year of work", ".notes.draft123.partial": b"notes",
               ".hostile.epub.x1y2z3w4.partial": b"not named as ours"}
    for name, data in authors.items():
        (out / name).write_bytes(data)
    (out / ".hostile.epub.bookbuild-k1ll3d00.partial").write_bytes(b"left by a killed build")
    done = bookbuild("--book", book, "--out", out, "--formats", "epub")
    assert done.returncode == 0, done.stderr
    assert {name: (out / name).read_bytes() for name in authors} == authors
    assert not (out / ".hostile.epub.bookbuild-k1ll3d00.partial").exists()


def test_a_file_the_build_did_not_write_is_never_replaced(tmp_path):
    """A user's own index.html was overwritten without a word."""
    book = small_book(tmp_path / "book")
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("<h1>My own home page</h1>\n", encoding="utf-8")
    done = bookbuild("--book", book, "--out", out, "--formats", "epub")
    refused(done, (f"{out / 'index.html'}:1:1", "this file was not written by a build"))
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]
    assert (out / "index.html").read_text(encoding="utf-8") == "<h1>My own home page</h1>\n"
    (out / "index.html").unlink()
    assert bookbuild("--book", book, "--formats", "epub").returncode == 0  # into the book's own dist/
    page = book / "dist" / "index.html"
    assert bookbuild("--book", book, "--formats", "epub,print").returncode == 0  # its own files: replaced
    page.write_text(page.read_text(encoding="utf-8") + "<!-- the author's note -->\n", encoding="utf-8")
    done = bookbuild("--book", book, "--formats", "epub")
    refused(done, ("dist/index.html:1:1", "or was changed since"))
    assert page.read_text(encoding="utf-8").endswith("<!-- the author's note -->\n")


# --- check judges what would fail at the end of a long build -----------------------------------


def test_check_refuses_a_page_size_and_bleed_no_printer_can_use(tmp_path):
    """``trim: 0in 0in`` and ``bleed: 99999in`` passed check and failed after minutes of layout."""
    book = small_book(tmp_path / "book", meta="print:\n  trim: 0in 0in\n  bleed: 99999in\n")
    refused(bookbuild("check", "--book", book, seconds=60),
            ("metadata.yaml:5:3", "`trim: 0in 0in` is 0in by 0in: each side must be from 3in to 20in"),
            ("metadata.yaml:6:3", "`bleed: 99999in` is more than 1in"))
    (book / "metadata.yaml").write_text("title: Hostile\nauthor: Ada\nlanguage: en\nprint: {trim: 600mm 9in, bleed: 30mm}\n",
                                        encoding="utf-8")
    refused(bookbuild("check", "--book", book, seconds=60), ("metadata.yaml:4:9", "is 23.622in by 9in"),
            ("metadata.yaml:4:26", "`bleed: 30mm` is more than 1in"))
    (book / "metadata.yaml").write_text("title: Hostile\nauthor: Ada\nlanguage: en\nprint: {trim: 3in 20in, bleed: 25.4mm}\n",
                                        encoding="utf-8")
    assert bookbuild("check", "--book", book, seconds=60).returncode == 0  # the limits themselves


def test_a_very_long_title_gives_file_names_of_a_safe_length(tmp_path):
    """A 420-character title failed at the very end: [Errno 36] File name too long."""
    title = " ".join(["Everything"] * 38)
    assert len(title) > 415
    book = small_book(tmp_path / "book")
    (book / "metadata.yaml").write_text(f'title: "{title}"\nauthor: Ada\nlanguage: en\n', encoding="utf-8")
    done = bookbuild("--book", book, "--out", tmp_path / "out", "--formats", "epub,print", "--drafts")
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith("."))
    stem = "-".join(["everything"] * 7)  # 76 characters: the words that fit in 80
    assert names == [f"{stem}-draft-cover.pdf", f"{stem}-draft-print.pdf", f"{stem}-draft.epub", "index.html"]


# --- messages at the right place, on one line ------------------------------------------------------


def test_links_in_a_hostile_chapter_are_reported_where_they_are_written(tmp_path):
    """A raw HTML link was reported at a mention of its address in the prose above it, and a
    link whose address has ``&amp;`` or a space at the chapter's first line."""
    body = "\n\n".join([
        "Prose mentions file:///etc/passwd and http://example.com/a.png first.",  # 5
        "[A Markdown link](file:///etc/passwd).",  # 7
        '<a href="file:///etc/passwd">A raw link</a>.',  # 9
        '<img src="http://example.com/a.png" alt="A raw remote image">',  # 11
        '<a href="file:///x?a=1&amp;b=2">An escaped ampersand</a>',  # 13
        "[A space](<file:///a b>)",  # 15
        '<img src="http://example.com/b.png?x=1&amp;y=2" alt="Another">',  # 17
        "<a href = 'file:///spaced-attribute'>Spaced</a>",  # 19
        "[Parentheses](https://en.wikipedia.org/wiki/Salt_(chemistry)) are fine; [this](file:///no) is not",  # 21
    ])
    book = small_book(tmp_path / "book", body=body)
    errors = refused(bookbuild("check", "--book", book, seconds=60),
                     ("manuscript/001-one.md:7:1", "link to `file:///etc/passwd`"),
                     ("manuscript/001-one.md:9:1", "link to `file:///etc/passwd`"),
                     ("manuscript/001-one.md:11:1", "remote image `http://example.com/a.png`"),
                     ("manuscript/001-one.md:13:1", "link to `file:///x?a=1&b=2`"),
                     ("manuscript/001-one.md:15:1", "link to `file:///a%20b`"),
                     ("manuscript/001-one.md:17:1", "remote image `http://example.com/b.png?x=1&y=2`"),
                     ("manuscript/001-one.md:19:1", "link to `file:///spaced-attribute`"),
                     ("manuscript/001-one.md:21:73", "link to `file:///no`"))
    assert len(errors) == 8, errors


def test_a_file_name_with_a_newline_or_a_bidi_override_is_printed_on_one_line_escaped(tmp_path):
    """A newline split a problem over two lines; U+202E showed the name reversed."""
    book = small_book(tmp_path / "book")
    (book / "manuscript" / "002-new\nline.md").write_text("---\ntitle: Two\n---\n\nSee [[98]].\n", encoding="utf-8")
    (book / "manuscript" / "003-evil\u202egnp.md").write_text("---\ntitle: Three\n---\n\nSee [[99]].\n", encoding="utf-8")
    done = bookbuild("check", "--book", book, seconds=60)
    refused(done, ("manuscript/002-new\\nline.md:1:1", "`002-new\\nline.md` is not a numbered chapter"),
            ("manuscript/003-evil\\u202egnp.md:5:5", "no chapter 99"))
    assert "\u202e" not in done.stderr

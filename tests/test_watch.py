"""watch, for real: the command started on a copy of a fixture book, its preview fetched over
HTTP and opened in Chromium while chapters are edited, broken and fixed, then Ctrl-C."""

import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile

import pytest
from conftest import REPO, copy_book

SERVING = re.compile(r"^serving http://127\.0\.0\.1:(\d+)/\n$")
# How long a test waits for the preview before it calls it broken: a deadline, not a timing
# (bench/run.py measures "watch: save to new preview"; timings are not asserted in tests).
SECONDS = 60


class Watch:
    """``build.py watch`` running on a book, and what it served."""

    def __init__(self, book, *options):
        self.book = book
        self.process = subprocess.Popen([sys.executable, str(REPO / "build.py"), "watch", "--book", str(book), *options],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self.process.stdout], [], [], 60)
        self.first_line = self.process.stdout.readline() if ready else ""
        assert SERVING.match(self.first_line), (self.first_line, self.stop())
        self.port = int(SERVING.match(self.first_line).group(1))
        self.url = f"http://127.0.0.1:{self.port}/"

    def get(self, path: str = "") -> str:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return response.read().decode("utf-8")

    def status(self, path: str, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, str]:
        try:
            request = urllib.request.Request(self.url + path, method=method, headers=headers or {})
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as refused:
            return refused.code, ""

    def wait_for(self, *wanted: str, absent: str = "", seconds: float = SECONDS) -> str:
        """The preview once it shows every one of ``wanted`` (and not ``absent``)."""
        deadline = time.monotonic() + seconds
        while True:
            page = self.get()
            if all(w in page for w in wanted) and not (absent and absent in page):
                return page
            if time.monotonic() > deadline:
                raise AssertionError(f"after {seconds} s the preview still does not show {wanted}")
            time.sleep(0.1)

    def stop(self, stop_signal=signal.SIGINT) -> tuple[int, str, str]:
        if self.process.poll() is None:
            self.process.send_signal(stop_signal)
        try:
            stdout, stderr = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            stdout, stderr = self.process.communicate()
        return self.process.returncode, self.first_line + stdout, stderr


@pytest.fixture(scope="module")
def watch(tmp_path_factory):
    book = copy_book("refs", tmp_path_factory.mktemp("watch") / "book")
    watching = Watch(book, "--port", "0")
    yield watching
    watching.stop()


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_preview_is_the_whole_book(watch):
    page = watch.get()
    assert page.startswith("<!DOCTYPE html>")
    for words in ("Cross references", "1. First", "7. Seventh", "12. Twelfth", "Final thoughts",
                  'class="preview-contents"', 'href="#c012-final-thoughts"', "Paragraph 8 about the seventh chapter"):
        assert words in page
    assert "Unfinished" not in page  # a draft, left out as the build leaves it out
    assert 'src="media/manuscript/images/translucent.png"' in page


def test_it_listens_on_the_loopback_address_only(watch):
    """The kernel's table of listening sockets: this port, on 127.0.0.1 and nowhere else."""
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in open(table).read().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port = local.split(":")
            if int(port, 16) == watch.port and state == "0A":  # LISTEN
                listening.add(address)
    assert listening == {"0100007F"}  # 127.0.0.1


def test_a_saved_change_is_served_and_announced(watch):
    events = urllib.request.urlopen(watch.url + "events", timeout=10)
    first = [events.readline().decode() for _ in range(3)]
    assert first[0] == "event: version\n" and first[1].startswith("data: ")
    version = int(first[1].split()[1])
    announced = []
    reader = threading.Thread(target=lambda: announced.extend(events.readline().decode() for _ in range(3)), daemon=True)
    reader.start()
    edit(watch.book / "manuscript" / "07-seventh.md", "Paragraph 8 about", "A sentence freshly saved. Paragraph 8 about")
    watch.wait_for("A sentence freshly saved.")
    reader.join(timeout=SECONDS)
    events.close()
    assert announced[:2] == ["event: version\n", f"data: {version + 1}\n"]


def test_a_book_with_errors_shows_them_instead_of_its_text_then_comes_back(watch):
    twelfth = watch.book / "manuscript" / "0012-twelfth.md"
    edit(twelfth, "## Final thoughts", "See [[999]] first.\n\n## Final thoughts")
    line = 1 + twelfth.read_text().split("\n").index("See [[999]] first.")
    page = watch.wait_for(f"manuscript/0012-twelfth.md:{line}:5: error: no chapter 999")
    assert "Paragraph 8 about the seventh chapter" not in page  # no stale text
    assert "<title>Cross references (preview)</title>" in page  # the book's title, not its folder's name
    metadata = watch.book / "metadata.yaml"
    edit(metadata, "title: ", "title: [")  # metadata.yaml that cannot be read: the folder's name
    page = watch.wait_for("invalid YAML")
    assert f"<title>{watch.book.name} (preview)</title>" in page
    edit(metadata, "title: [", "title: ")
    edit(twelfth, "See [[999]] first.\n\n", "")
    watch.wait_for("Paragraph 8 about the seventh chapter", "12. Twelfth", absent="error: no chapter 999")


def test_images_are_served_from_inside_the_book_only(watch):
    assert watch.status("media/manuscript/images/translucent.png") == (200, "image/png")
    for outside in ("media/metadata.yaml", "media/../metadata.yaml", "media/%2e%2e/%2e%2e/etc/passwd",
                    "media//etc/passwd", "fonts/../../../etc/passwd", "dist/../metadata.yaml", "nothing-here"):
        assert watch.status(outside)[0] == 404, outside


def test_the_preview_reloads_itself_in_a_browser_and_keeps_the_readers_place(watch, browser, screenshots):
    """The reader is at chapter 12's "Final thoughts"; a paragraph is added above it, in chapter 7."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(watch.url)
    page.screenshot(path=str(screenshots / "preview-desktop.png"))
    version = page.get_attribute("body", "data-version")
    page.evaluate("document.fonts.ready")
    page.evaluate("window.scrollTo(0, document.getElementById('c012-final-thoughts').offsetTop - 200)")
    where = "document.getElementById('c012-final-thoughts').getBoundingClientRect().top"
    before, scrolled = page.evaluate(where), page.evaluate("window.scrollY")
    edit(watch.book / "manuscript" / "07-seventh.md", "## Final thoughts",
         "Written while the page was open, above where the reader is.\n\n## Final thoughts")
    page.wait_for_selector("body[data-place-restored]", timeout=SECONDS * 1000)
    assert page.get_attribute("body", "data-version") != version  # it reloaded itself
    assert "Written while the page was open" in page.inner_text("main")
    assert page.evaluate("window.scrollY") > scrolled  # the text above grew ...
    assert abs(page.evaluate(where) - before) <= 2  # ... and the reader is still at the same words
    page.screenshot(path=str(screenshots / "preview-after-a-save.png"))
    page.close()


def test_a_stylesheet_edit_reaches_the_preview(watch, browser):
    """The book's own stylesheet (styles/epub.css, made while the page is open) is part of
    what is watched: Chromium reloads the page and draws the text with it."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(watch.url)
    colour = "getComputedStyle(document.querySelector('main p')).color"
    assert page.evaluate(colour) != "rgb(170, 0, 17)"
    (watch.book / "styles").mkdir(exist_ok=True)
    (watch.book / "styles" / "epub.css").write_text("p { color: rgb(170, 0, 17); }\n", encoding="utf-8")
    page.wait_for_function(f"{colour} === 'rgb(170, 0, 17)'", timeout=SECONDS * 1000)
    (watch.book / "styles" / "epub.css").write_text("/* as the theme sets it */\n", encoding="utf-8")
    page.wait_for_function(f"{colour} !== 'rgb(170, 0, 17)'", timeout=SECONDS * 1000)
    page.close()


def test_the_b_key_builds_the_editions(watch, browser):
    """The author presses `b` on the preview: the page asks the server with a POST, which
    is accepted, and the editions and the download page are written."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(watch.url)
    with page.expect_response(lambda response: response.url == watch.url + "build") as answered:
        page.keyboard.press("b")
    assert (answered.value.request.method, answered.value.status) == ("POST", 202)
    assert page.inner_text("#preview-build") == "Building\u2026" and page.is_disabled("#preview-build")
    page.close()
    dist = watch.book / "dist"
    deadline = time.monotonic() + 120
    while not (dist / "index.html").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sorted(p.name for p in dist.iterdir()) == [
        ".bookbuild-written", "cross-references-cover.pdf", "cross-references-print.pdf", "cross-references-screen.pdf",
        "cross-references.epub", "index.html"]
    watch.wait_for("built: ", "/dist/index.html", seconds=10)
    assert watch.status("dist/cross-references.epub") == (200, "application/epub+zip")


def test_the_build_button_asks_for_a_build(watch, browser):
    """The button asks with a POST; once the build is done the page reloads itself with the
    new status (waited for here: a reload during the next test would wipe what it set up)."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(watch.url)
    before = page.inner_text("#preview-status")
    with page.expect_navigation(timeout=180_000):
        with page.expect_response(lambda response: response.url == watch.url + "build") as answered:
            page.click("#preview-build")
    assert (answered.value.request.method, answered.value.status) == ("POST", 202)
    assert page.inner_text("#preview-status").startswith("built: ") and page.inner_text("#preview-status") != before
    page.close()


# The page's fetch replaced by one that records what it is asked and answers never (or fails).
RECORD_FETCH = """failing => { window.asked = [];
    window.fetch = (url, options) => { window.asked.push([url, (options || {}).method || 'GET']);
                                       return failing ? Promise.reject(new TypeError('offline')) : new Promise(() => {}); }; }"""


def test_the_build_key_is_not_taken_while_typing_or_with_a_modifier_and_asks_once(watch, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(watch.url)
    page.evaluate(RECORD_FETCH, False)
    page.evaluate("document.body.append(Object.assign(document.createElement('input'), {id: 'typing'}))")
    page.focus("#typing")
    page.keyboard.type("abc")  # a `b` typed into a field is text
    page.evaluate("document.activeElement.blur()")
    for chord in ("Control+b", "Alt+b", "Meta+b", "Shift+B", "n"):
        page.keyboard.press(chord)
    assert page.evaluate("window.asked") == []
    page.keyboard.press("b")
    page.keyboard.press("b")  # while the first build is asked for: not again
    page.click("#preview-build", force=True)
    assert page.evaluate("window.asked") == [["/build", "POST"]]
    assert page.is_disabled("#preview-build")
    page.reload()  # a server that cannot be reached: the button can be pressed again
    page.evaluate(RECORD_FETCH, True)
    page.keyboard.press("b")
    page.wait_for_function("!document.getElementById('preview-build').disabled", timeout=SECONDS * 1000)
    page.keyboard.press("b")
    assert page.evaluate("window.asked") == [["/build", "POST"], ["/build", "POST"]]
    page.close()


def test_the_preview_shows_the_print_cover_at_its_proportions_beside_the_book(watch, browser):
    """After a print build, the cover spread (back, spine, front and bleed) for that page
    count: as wide as two 5in panels (the book's trim), the spine (pages x 0.002252in) and the
    bleed, and 8.25in high."""
    import pikepdf

    page_html = watch.wait_for('class="preview-cover"', seconds=10)
    with pikepdf.open(watch.book / "dist" / "cross-references-print.pdf") as pdf:
        pages = len(pdf.pages)
    width, height = 10 + pages * 0.002252 + 0.25, 8.25
    assert f"The print cover for {pages} pages" in page_html
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(watch.url)
    box = page.locator("figure.preview-cover iframe").bounding_box()
    assert abs(box["width"] / box["height"] - width / height) < 0.002
    frame = page.frame_locator("figure.preview-cover iframe")
    assert "Cross references" in frame.locator("body").inner_text()
    page.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_status_bar_stays_one_line_after_a_build(watch, browser, screenshots, width):
    """The bar once grew to two lines (five at a phone's width) with the build's file names
    and covered the top of the contents. Chromium draws it: every item on one line, the bar
    as high as before the build, the contents below it; and no console error (the page has
    its own icon: no /favicon.ico to miss)."""
    watch.wait_for("built: ", "/dist/index.html", seconds=60)  # the build asked for above
    page = browser.new_page(viewport={"width": width, "height": 800})
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(watch.url)
    page.evaluate("document.fonts.ready")
    bar = page.evaluate("""() => {
        const bar = document.querySelector('.preview-bar').getBoundingClientRect();
        const items = [...document.querySelectorAll('.preview-bar > *')].filter(e => e.offsetParent !== null)
            .map(e => e.getBoundingClientRect());
        const line = parseFloat(getComputedStyle(document.body).fontSize) * 2.6;
        const contents = document.querySelector('.preview-contents').getBoundingClientRect();
        return {height: bar.height, bottom: bar.bottom, line: line, contents: contents.top,
                middles: items.map(r => Math.round(r.top + r.height / 2)), links: document.querySelectorAll('#preview-status a').length};
    }""")
    page.screenshot(path=str(screenshots / f"preview-after-a-build-{width}.png"))
    page.close()
    assert bar["links"] == 5  # the three editions, the print cover and the download page
    assert abs(bar["height"] - bar["line"]) < 1, bar  # one line: the bar's own height
    assert max(bar["middles"]) - min(bar["middles"]) <= 2, bar  # every item on it
    assert bar["contents"] >= bar["bottom"] - 0.5, bar  # the contents start below it
    assert errors == []


def test_ctrl_c_stops_it_cleanly(watch):
    code, stdout, stderr = watch.stop(signal.SIGINT)
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert stdout == watch.first_line  # one line on stdout, all the rest on stderr
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", watch.port), timeout=2)


def test_with_formats_each_save_builds_the_editions_again(tmp_path):
    """``watch --formats epub``: the EPUB is built when the preview starts and again after
    every save, so the file in dist/ holds the words just saved (read from its chapters)."""
    book = copy_book("refs", tmp_path / "book")
    epub = book / "dist" / "cross-references.epub"

    def epub_text() -> str:
        try:
            with zipfile.ZipFile(epub) as edition:
                return " ".join(edition.read(name).decode("utf-8") for name in edition.namelist()
                                if name.endswith(".xhtml"))
        except (OSError, zipfile.BadZipFile, KeyError):  # not written yet, or being replaced
            return ""

    def until(condition, what: str) -> None:
        deadline = time.monotonic() + 180  # a deadline for a hang, not a timing
        while not condition():
            assert watching.process.poll() is None and time.monotonic() < deadline, what
            time.sleep(0.2)

    watching = Watch(book, "--port", "0", "--formats", "epub")
    try:
        until(lambda: "Paragraph 8 about" in epub_text(), "the EPUB was not built when the preview started")
        assert "Saved while watching" not in epub_text()
        edit(book / "manuscript" / "07-seventh.md", "Paragraph 8 about", "Saved while watching. Paragraph 8 about")
        until(lambda: "Saved while watching." in epub_text(), "the EPUB was not built again after the save")
    finally:
        code, _, stderr = watching.stop()
    assert code == 0, stderr
    assert not list((book / "dist").glob("*.pdf"))  # the formats asked for, only


def test_a_port_in_use_is_wrong_usage(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, str(REPO / "build.py"), "watch", "--book", str(REPO), "--port", str(port)],
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and f"port {port}" in done.stderr and done.stdout == ""

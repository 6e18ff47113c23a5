"""Writing editions: atomic, safe when interrupted or crashed, one build at a time."""

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import REPO, copy_book

from bookbuild import pipeline
from bookbuild.editions import epub
from bookbuild.output import lock_path
from bookbuild.pipeline import BuildOptions


def previous_editions(out, slug="cross-references"):
    out.mkdir(parents=True, exist_ok=True)
    old = {name: f"previous {name}".encode() for name in (f"{slug}.epub", f"{slug}-print.pdf")}
    for name, data in old.items():
        (out / name).write_bytes(data)
    return old


def assert_untouched(out, old):
    assert sorted(p.name for p in out.iterdir()) == sorted(old)  # no temporary files left behind
    for name, data in old.items():
        assert (out / name).read_bytes() == data


def test_a_crash_mid_render_leaves_the_previous_editions(tmp_path, monkeypatch):
    out = tmp_path / "dist"
    old = previous_editions(out)

    def crash(*args, **kwargs):
        raise RuntimeError("WeasyPrint fell over")

    book = copy_book("refs", tmp_path / "book")
    monkeypatch.setattr(epub, "render_epub", crash)  # after both PDFs are rendered
    with pytest.raises(RuntimeError):
        pipeline.build(BuildOptions(book, out))
    assert_untouched(out, old)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_build_leaves_the_previous_editions(tmp_path, stop):
    out = tmp_path / "dist"
    old = previous_editions(out)
    book = tmp_path / "book"  # the sample book, uncached: rendering takes a few seconds
    shutil.copytree(REPO / "manuscript", book / "manuscript")
    shutil.copy(REPO / "metadata.yaml", book / "metadata.yaml")
    build = subprocess.Popen([sys.executable, str(REPO / "build.py"), "--book", str(book), "--out", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until_locked(out)
    time.sleep(1.0)  # into rendering
    build.send_signal(stop)
    stdout, stderr = build.communicate(timeout=60)
    assert build.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert_untouched(out, old)


def wait_until_locked(out, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with open(lock_path(out), "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(handle, fcntl.LOCK_UN)
            except BlockingIOError:
                return
        time.sleep(0.05)
    raise AssertionError("the first build never took the lock")


def test_two_builds_at_once_wait_for_each_other(tmp_path):
    book = copy_book("refs", tmp_path / "book")
    out = tmp_path / "dist"
    command = [sys.executable, str(REPO / "build.py"), "--book", str(book), "--out", str(out)]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until_locked(out)
    second = subprocess.run(command, capture_output=True, text=True, timeout=120)
    first.communicate(timeout=120)
    assert (first.returncode, second.returncode) == (0, 0), second.stderr
    assert "waiting: another build is writing to" in second.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        ".bookbuild-written", "cross-references-cover.pdf", "cross-references-print.pdf", "cross-references-screen.pdf",
        "cross-references.epub", "index.html"]


def test_a_failure_beside_a_forked_copy_ends_both(monkeypatch):
    """The print and screen editions are finished at once, one in a forked copy of the
    build. When the other fails, the copy is stopped even while it is writing its large
    result, and with the build's own signal handlers (which turn SIGTERM into an
    interrupt) installed: no hang."""
    from bookbuild.parallel import each_in_parallel

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    def work(item: str) -> bytes:
        if item == "print":
            time.sleep(0.5)  # the copy is blocked on a full pipe by now
            raise ValueError("the print edition failed")
        return b"x" * 20_000_000

    previous = signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("each_in_parallel hung")))
    signal.alarm(30)
    try:
        started = time.monotonic()
        with pytest.raises(ValueError, match="print edition failed"):
            each_in_parallel(work, ["print", "screen"], jobs=2)
        assert time.monotonic() - started < 15
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGTERM, previous)


def test_a_build_leaves_nothing_in_the_temporary_folder(tmp_path):
    """Each layout worker's WeasyPrint keeps the book's fonts in a temporary folder, which
    it removes only when its process ends normally; the build stops its workers, and each
    build left about 1.4 MB per worker behind, for ever (thousands of folders on a machine
    that builds often)."""
    book = copy_book("refs", tmp_path / "book")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "--book", str(book), "--formats", "print,screen",
                           "--jobs", "2"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TMPDIR": str(temporary), "PYTHONDONTWRITEBYTECODE": "1"})
    assert done.returncode == 0, done.stderr
    assert (book / "dist" / "cross-references-print.pdf").exists()
    assert list(temporary.iterdir()) == []  # not even the output folder's lock file (one was left per folder)


def test_a_killed_builds_lock_file_is_removed_by_the_next_build(tmp_path):
    """SIGKILL leaves no chance to remove anything: the next build into the folder takes the
    lock file over and removes it as it ends."""
    book = copy_book("refs", tmp_path / "book")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, str(REPO / "build.py"), "--book", str(book), "--formats", "epub"]
    killed = subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not list(temporary.glob("bookbuild-*.lock")) and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    assert len(list(temporary.glob("bookbuild-*.lock"))) == 1  # the killed build held it
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert list(temporary.glob("bookbuild-*.lock")) == []

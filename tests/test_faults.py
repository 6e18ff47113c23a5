"""Faults where they hurt, with real processes and real files: a build killed outright
(SIGKILL, which no program can catch) at seeded random moments and inside its final
write; a full disk; a read-only output folder; a damaged cache.

After each: the previous editions are in the output folder byte for byte, nothing there
could be taken for an edition, and the next build writes exactly what a clean build of
the same book writes (the ``refs`` session build, made in another folder: the same book
gives the same bytes wherever it is built).
"""

from __future__ import annotations

import ctypes
import hashlib
import ctypes.util
import os
import random
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from bookbuild.output import RECORD
from conftest import REPO, copy_book, run_build

SEED = 15  # the kills' moments: the same every run
TIMED_KILLS = 10
# A temporary file of write_atomically: hidden, and never named like an edition.
TEMPORARY = re.compile(r"^\..+\.partial$")


def previous_editions(out: Path, names: list[str]) -> dict[str, bytes]:
    """Editions of an earlier build of the book (their bytes only need to differ from the new
    ones), and its record of them (output.RECORD: a build replaces only the files it wrote)."""
    out.mkdir(parents=True, exist_ok=True)
    old = {name: f"the previous build's {name}\n".encode() * 50 for name in names if name != RECORD}
    old[RECORD] = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(old.items())).encode()
    for name, data in old.items():
        (out / name).write_bytes(data)
    return old


def editions_in(out: Path) -> dict[str, bytes]:
    """What a reader of the folder finds: every file but hidden temporary ones."""
    return {p.name: p.read_bytes() for p in out.iterdir() if not TEMPORARY.match(p.name)}


def build_command(book: Path, out: Path) -> list[str]:
    return [sys.executable, str(REPO / "build.py"), "--book", str(book), "--out", str(out)]


@pytest.fixture(scope="module")
def clean(refs) -> dict[str, bytes]:
    """The four files a clean build of tests/books/refs writes, built in another folder."""
    return {p.name: p.read_bytes() for p in refs.out.iterdir() if not p.name.endswith(".json")}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """tests/books/refs built once: its .cache holds the whole build, so a build of a copy
    goes straight to writing the editions."""
    book = copy_book("refs", tmp_path_factory.mktemp("built") / "book")
    assert run_build("--book", book, "--out", book.parent / "first").returncode == 0
    return book


def copy_built(built: Path, to: Path) -> Path:
    shutil.copytree(built, to, symlinks=True)
    return to


def killed(process: subprocess.Popen) -> None:
    """SIGKILL for the build and every process it started (its layout workers, its forked
    finishing job): the whole process group, as a crash or ``kill -9`` of the job would."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=60)


def group_members(group: int, running: str = "") -> list[int]:
    """The live processes of a process group (from /proc), only those whose command line
    holds ``running`` if given."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                state, _, pgrp = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:3]
                command = (entry / "cmdline").read_bytes().decode(errors="replace")
            except (OSError, ValueError):
                continue
            if int(pgrp) == group and state not in ("Z", "X") and running in command:
                members.append(int(entry.name))
    return members


# --- watching the output folder (Linux inotify, through libc) -----------------------------

IN_MODIFY, IN_MOVED_TO, IN_CREATE, IN_OPEN, IN_DELETE = 0x2, 0x80, 0x100, 0x20, 0x200


class FolderWatch:
    """inotify events of one folder as (mask, file name), in the order they happen: a
    build's first write into the folder is seen within microseconds, without polling."""

    def __init__(self, folder: Path):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self.fd = libc.inotify_init1(os.O_CLOEXEC)
        if self.fd < 0 or libc.inotify_add_watch(
                self.fd, str(folder).encode(), IN_MODIFY | IN_MOVED_TO | IN_CREATE | IN_OPEN | IN_DELETE) < 0:
            pytest.skip(f"inotify is not available here (errno {ctypes.get_errno()})")
        self.pending: list[tuple[int, str]] = []

    def next(self, seconds: float) -> tuple[int, str] | None:
        if not self.pending:
            ready, _, _ = select.select([self.fd], [], [], seconds)
            if not ready:
                return None
            data = os.read(self.fd, 65536)
            offset = 0
            while offset < len(data):
                _, mask, _, length = struct.unpack_from("iIII", data, offset)
                name = data[offset + 16: offset + 16 + length].rstrip(b"\0").decode()
                self.pending.append((mask, name))
                offset += 16 + length
        return self.pending.pop(0)

    def close(self) -> None:
        os.close(self.fd)


@contextmanager
def build_running(book: Path, out: Path, log: Path, command: list[str] | None = None, env: dict[str, str] | None = None):
    with open(log, "w") as stderr:
        process = subprocess.Popen(command or build_command(book, out), stdout=subprocess.DEVNULL, stderr=stderr,
                                   start_new_session=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})})
        try:
            yield process
        finally:
            killed(process)  # and whatever of its group is left


def kill_at_event(book: Path, out: Path, log: Path, wanted, seconds: float = 300) -> list[tuple[int, str]]:
    """Build, and SIGKILL the build at the first event of ``out`` for which ``wanted(events so
    far)`` is true. Returns the events seen, the last one the moment of the kill (all of
    them if the build ended first)."""
    watch = FolderWatch(out)
    seen: list[tuple[int, str]] = []
    try:
        with build_running(book, out, log) as process:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                event = watch.next(0.2)
                if event is None:
                    if process.poll() is not None:
                        break
                    continue
                seen.append(event)
                if wanted(seen):
                    killed(process)
                    break
    finally:
        watch.close()
    return seen


def partials_created(count: int):
    return lambda seen: sum(1 for mask, name in seen if mask & IN_CREATE and name.endswith(".partial")) == count


def first_change(seen) -> bool:
    return any(name for _, name in seen)


def first_rename(seen) -> bool:
    return any(mask & IN_MOVED_TO for mask, _ in seen)


def assert_only_hidden_temporaries_besides(out: Path, names) -> None:
    extra = sorted(p.name for p in out.iterdir() if p.name not in names)
    assert all(TEMPORARY.match(name) for name in extra), f"files a reader could take for an edition: {extra}"


# --- killed -----------------------------------------------------------------------------------


def test_a_build_killed_at_random_moments_leaves_the_previous_editions_and_the_next_build_is_right(refs, clean, tmp_path):
    """Ten SIGKILLs at seeded moments spread over a clean build's duration (measured first),
    each build starting from the cache the kill before it left (a build that ended before
    its moment came leaves a whole cache: it is deleted, so that the next kill lands in a
    build's work). Each time, the folder holds the previous editions byte for byte, or (a
    build that ended first) exactly the new ones; then a build with what the last kill
    left writes what a clean build writes."""
    book = copy_book("refs", tmp_path / "book")
    started = time.monotonic()  # a clean build's duration, now, on this machine
    assert run_build("--book", book, "--out", tmp_path / "timed").returncode == 0
    duration = time.monotonic() - started
    shutil.rmtree(book / ".cache")
    moments = [random.Random(SEED + n).uniform(0.05, 0.95) * duration for n in range(TIMED_KILLS)]
    out = tmp_path / "dist"
    old = previous_editions(out, sorted(clean))
    finished_first = 0
    for n, moment in enumerate(moments):
        with build_running(book, out, tmp_path / f"kill-{n}.log") as process:
            try:
                process.wait(timeout=moment)
            except subprocess.TimeoutExpired:
                killed(process)
        found = editions_in(out)
        assert_only_hidden_temporaries_besides(out, clean)
        if found == clean:  # the build wrote its editions before its moment came (it may be ending)
            finished_first += 1
            old = previous_editions(out, sorted(clean))
            shutil.rmtree(book / ".cache")
            continue
        assert process.returncode == -signal.SIGKILL, (process.returncode, (tmp_path / f"kill-{n}.log").read_text())
        assert found == old, f"kill {n} at {moment:.2f} s: the editions are neither the previous ones nor the new ones: " + \
            ", ".join(f"{name} {'previous' if data == old.get(name) else 'new' if data == clean.get(name) else 'other'}"
                      for name, data in sorted(found.items()))
    print(f"\n{TIMED_KILLS} kills at {', '.join(f'{m:.2f}' for m in moments)} s; {finished_first} builds ended first")
    assert finished_first <= TIMED_KILLS - 3  # most kills landed in a build's work
    done = subprocess.run(build_command(book, out), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == clean  # and no temporary file is left


IN_THE_FINAL_WRITE = [
    ("the first write into the folder", first_change),
    ("the first edition's temporary file", partials_created(1)),
    ("the second edition's temporary file", partials_created(2)),
    ("the third edition's temporary file", partials_created(3)),
    ("the download page's temporary file", partials_created(4)),
]


def test_a_build_killed_inside_its_final_write_leaves_the_previous_editions(built, clean, tmp_path):
    """The kill comes the moment the build touches the output folder (watched with inotify),
    and as each temporary file appears: in the middle of writing the editions. The
    previous editions must be there, whole, each time; what is left beside them is hidden
    temporary files, which the next build removes. Each build takes its results from the
    cache (the book was built once before): straight to the final write."""
    book = copy_built(built, tmp_path / "book")
    out = tmp_path / "dist"
    old = previous_editions(out, sorted(clean))
    for n, (moment, wanted) in enumerate(IN_THE_FINAL_WRITE):
        seen = kill_at_event(book, out, tmp_path / f"build-{n}.log", wanted)
        assert seen and wanted(seen), f"the build ended before {moment}: {seen}"
        assert editions_in(out) == old, f"killed at {moment} ({seen[-1]}): the previous editions were touched"
        assert_only_hidden_temporaries_besides(out, clean)
    assert any(TEMPORARY.match(p.name) for p in out.iterdir())  # the kills did leave some
    done = subprocess.run(build_command(book, out), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == clean  # the temporary files are gone


def test_a_build_killed_as_it_renames_the_editions_into_place_leaves_whole_files(built, clean, tmp_path):
    """The kill comes at the first rename. The renames take microseconds and cannot be
    made one step for several files, so this only asks that every file be whole: the
    previous edition or the new one, never a part of either."""
    book = copy_built(built, tmp_path / "book")
    out = tmp_path / "dist"
    old = previous_editions(out, sorted(clean))
    seen = kill_at_event(book, out, tmp_path / "build.log", first_rename)
    assert seen and first_rename(seen), seen
    for name, data in editions_in(out).items():
        assert data in (old[name], clean[name]), f"{name} is neither the previous edition nor the new one"
    assert_only_hidden_temporaries_besides(out, clean)


# build.py with the forked copy of the build that joins the laid-out chapters held once it
# has started: it writes its pid to the file $HELD_JOIN, then waits for ever (as a copy once
# did, blocked on sending its result to no one). A test that kills the build then kills it
# while the copy certainly runs, however loaded the machine: no polling for a process that
# may have come and gone between two looks.
HELD_JOIN_BUILD = """
import os, runpy, signal, sys
from pathlib import Path
from bookbuild.editions import pdf

def held_join(*args, **kwargs):
    mark = Path(os.environ["HELD_JOIN"])
    mark.with_suffix(".partial").write_text(str(os.getpid()))
    mark.with_suffix(".partial").replace(mark)
    while True:
        signal.pause()

# The screen edition is the second one written: in a forked copy of the build (``each_in_parallel``).
assert hasattr(pdf, "join_screen"), "the join this test holds is no longer pdf.join_screen"
pdf.join_screen = held_join
sys.argv[:2] = [sys.argv[1]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_a_build_whose_own_process_is_killed_leaves_no_process_and_no_lock_behind(clean, tmp_path):
    """The OOM killer (or ``kill -9 PID``) ends the build's own process only, here while a
    forked copy of it joins the laid-out chapters (after the layout workers are done).
    The copy must end with it, and the next build into the folder must not wait for the
    output lock (a copy once kept it, blocked for ever on sending its result to no one,
    and the next build waited for ever); the next build writes what a clean build writes."""
    book = copy_book("refs", tmp_path / "book")
    out = tmp_path / "dist"
    old = previous_editions(out, sorted(clean))
    launcher, mark = tmp_path / "held-join-build.py", tmp_path / "joining.pid"
    launcher.write_text(HELD_JOIN_BUILD)
    command = [sys.executable, str(launcher), str(REPO / "build.py"), "--book", str(book), "--out", str(out)]
    with build_running(book, out, tmp_path / "killed.log", command, {"HELD_JOIN": str(mark)}) as process:
        deadline = time.monotonic() + 300
        while not mark.exists():  # written once, by a process that then waits: it stays
            assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "killed.log").read_text()
            time.sleep(0.05)
        copy = int(mark.read_text())
        assert copy != process.pid and copy in group_members(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        deadline = time.monotonic() + 10
        while group_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        survivors = group_members(process.pid)
        assert not survivors, f"processes of the killed build still running after 10 s: {survivors}"
    assert editions_in(out) == old
    log = tmp_path / "next.log"
    with open(log, "w") as stderr:
        following = subprocess.Popen(build_command(book, out), stdout=subprocess.DEVNULL, stderr=stderr)
        deadline = time.monotonic() + 300
        while following.poll() is None and "waiting:" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        if following.poll() is None:
            following.kill()
            following.wait()
    assert "waiting:" not in log.read_text(), "the next build waits for a lock the killed build's workers hold"
    assert following.returncode == 0, log.read_text()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == clean


# --- a full disk, a read-only folder -------------------------------------------------------


@contextmanager
def tmpfs(folder: Path, size: str):
    """A small tmpfs mounted at ``folder`` for the test (root only: skipped, saying why, elsewhere)."""
    folder.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], capture_output=True)


def assert_fails_in_one_line(done: subprocess.CompletedProcess, *words: str) -> None:
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert all(word in lines[0] for word in words), done.stderr


def test_a_full_output_disk_fails_in_one_line_and_leaves_the_previous_editions(built, clean, tmp_path):
    """The output folder is a 160 KB disk: the first two editions' temporary files fit,
    the third does not. Exit 1 with one line saying so, no traceback; the previous
    editions as they were, and no temporary file left."""
    book = copy_built(built, tmp_path / "book")
    with tmpfs(tmp_path / "dist", "160k") as out:
        old = previous_editions(out, sorted(clean))
        done = run_build("--book", book, "--out", out)
        assert_fails_in_one_line(done, "No space left on device", str(out))
        assert {p.name: p.read_bytes() for p in out.iterdir()} == old


def test_a_read_only_output_folder_fails_in_one_line_and_leaves_the_previous_editions(built, clean, tmp_path):
    book = copy_built(built, tmp_path / "book")
    with tmpfs(tmp_path / "dist", "4m") as out:
        old = previous_editions(out, sorted(clean))
        subprocess.run(["mount", "-o", "remount,ro", str(out)], check=True)
        done = run_build("--book", book, "--out", out)
        assert_fails_in_one_line(done, "Read-only file system", str(out))
        assert {p.name: p.read_bytes() for p in out.iterdir()} == old


def test_a_full_cache_disk_is_a_build_without_the_cache(clean, tmp_path):
    """The book's .cache is a 64 KB disk, too small for one laid-out chapter: a cache that
    cannot be written is not used, and the editions are a clean build's, byte for byte."""
    book = copy_book("refs", tmp_path / "book")
    out = tmp_path / "dist"
    with tmpfs(book / ".cache", "64k"):
        done = run_build("--book", book, "--out", out)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == clean


# --- a damaged cache ------------------------------------------------------------------------


def damage(entry: Path, how: str, rng: random.Random) -> None:
    data = entry.read_bytes()
    if how == "cut":
        entry.write_bytes(data[: len(data) // 2])
    elif how == "emptied":
        entry.write_bytes(b"")
    else:  # bytes flipped, at seeded places all through the file
        changed = bytearray(data)
        for _ in range(max(1, len(data) // 5000)):
            changed[rng.randrange(len(changed))] ^= 0xFF
        entry.write_bytes(bytes(changed))


@pytest.fixture(scope="module")
def edited_and_undone(tmp_path_factory) -> Path:
    """tests/books/refs built after an edit of chapter 7, then the edit undone: the next
    build needs every kind of cache entry (the parse of chapter 7, its layout, the page
    map, the whole build of the book as it is)."""
    book = copy_book("refs", tmp_path_factory.mktemp("edited") / "book")
    chapter = book / "manuscript" / "07-seventh.md"
    text = chapter.read_text()
    chapter.write_text(text.replace("The seventh chapter's final thoughts.", "The seventh chapter's last thoughts."))
    assert run_build("--book", book, "--out", book.parent / "edited").returncode == 0
    chapter.write_text(text)
    return book


@pytest.mark.parametrize("how", ["cut", "flipped", "emptied"])
def test_a_damaged_cache_gives_a_right_build(edited_and_undone, clean, tmp_path, how):
    """Every file under the book's .cache damaged on disk (whatever the cache's format:
    only files are touched): the next build writes exactly what a clean build writes."""
    book = copy_built(edited_and_undone, tmp_path / "book")
    entries = sorted(p for p in (book / ".cache").rglob("*") if p.is_file() and not p.is_symlink())
    assert len(entries) > 5
    rng = random.Random(SEED)
    for entry in entries:
        damage(entry, how, rng)
    out = tmp_path / "dist"
    done = run_build("--book", book, "--out", out)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == clean

"""bookbuild.output in-process: every edition written whole under a temporary name, then all
renamed into place together with Ctrl-C and SIGTERM held off; a failure leaves the folder
as it was."""

from __future__ import annotations

import os
import re
import signal
import tempfile
from pathlib import Path

import pytest

from bookbuild import output
from bookbuild.output import lock_path, output_lock, write_atomically

STOP = {signal.SIGINT, signal.SIGTERM}


def blocked_now() -> set[int]:
    return set(signal.pthread_sigmask(signal.SIG_BLOCK, []))


def test_every_file_is_written_whole_readable_by_all_and_nothing_else_is_left(tmp_path):
    out = tmp_path / "new" / "dist"  # made, parents and all
    files = {"book.epub": b"epub bytes", "book-print.pdf": b"%PDF print", "index.html": b""}
    written = write_atomically(out, files)
    assert written == [out / name for name in files]
    assert sorted(p.name for p in out.iterdir()) == sorted(files)
    for name, data in files.items():
        assert (out / name).read_bytes() == data
        assert (out / name).stat().st_mode & 0o777 == 0o644
    again = write_atomically(out, {"book.epub": b"second"})  # into a folder that exists
    assert again == [out / "book.epub"] and (out / "book.epub").read_bytes() == b"second"


def test_nothing_is_renamed_into_place_until_every_file_is_complete(tmp_path, monkeypatch):
    out = tmp_path / "dist"
    files = {"a.epub": b"A" * 1000, "b.pdf": b"B" * 2000}
    seen_at_first_rename = []
    real_replace = os.replace

    def replace(source, target):
        if not seen_at_first_rename:
            seen_at_first_rename.append({p.name: p.read_bytes() for p in out.iterdir()})
            seen_at_first_rename.append(blocked_now())
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    before = blocked_now()
    write_atomically(out, files)
    staged, blocked = seen_at_first_rename
    # Both complete, under hidden temporary names in the output folder itself (a rename
    # within one file system is atomic), and nothing in place yet.
    assert sorted(staged.values()) == sorted(files.values())
    for name in files:
        assert [n for n in staged if re.fullmatch(re.escape(f".{name}.bookbuild-") + r"\w{8}\.partial", n)], staged
    assert STOP <= blocked  # an interrupt waits until all are in place
    assert blocked_now() == before  # and is let through afterwards


def test_each_file_is_flushed_to_disk_before_the_renames(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    write_atomically(tmp_path, {"a.pdf": b"a", "b.pdf": b"b"})
    assert [os.path.basename(path).split(".")[1] for path in synced] == ["a", "b"]


def test_a_failure_while_writing_leaves_the_previous_editions_and_no_temporary_file(tmp_path):
    out = tmp_path / "dist"
    out.mkdir()
    (out / "a.epub").write_bytes(b"previous epub")
    with pytest.raises(TypeError):
        write_atomically(out, {"a.epub": b"new epub", "b.pdf": "not bytes: the write fails"})
    assert sorted(p.name for p in out.iterdir()) == ["a.epub"]
    assert (out / "a.epub").read_bytes() == b"previous epub"


def test_a_failure_while_renaming_removes_what_was_not_renamed(tmp_path, monkeypatch):
    out = tmp_path / "dist"
    real_replace = os.replace
    calls = []

    def replace(source, target):
        calls.append(target)
        if len(calls) == 2:
            raise OSError("disk gone")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    before = blocked_now()
    with pytest.raises(OSError, match="disk gone"):
        write_atomically(out, {"a.epub": b"a", "b.pdf": b"b"})
    assert sorted(p.name for p in out.iterdir()) == ["a.epub"]
    assert blocked_now() == before


def test_the_lock_is_one_file_per_output_folder_outside_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dist").mkdir()
    lock = lock_path(tmp_path / "dist")
    assert lock.parent == Path(tempfile.gettempdir())
    assert re.fullmatch(r"bookbuild-[0-9a-f]{16}\.lock", lock.name), lock.name
    assert lock_path(Path("dist")) == lock  # the same folder, named relatively
    assert lock_path(tmp_path / "other") != lock


def test_a_second_holder_of_the_lock_is_told_to_wait(tmp_path):
    import fcntl

    out = tmp_path / "dist"
    waited = []
    with output_lock(out, lambda: waited.append(True)):
        with open(lock_path(out), "w") as other:
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    assert waited == []
    assert not output.lock_path(out).exists()  # removed as the build ends: none piles up


def _hold_in_turn(out: Path, log: Path, rounds: int) -> None:
    import time

    for _ in range(rounds):
        with output_lock(out, lambda: None):
            with open(log, "a") as handle:
                handle.write(f"in {os.getpid()}\n")
            time.sleep(0.01)
            with open(log, "a") as handle:
                handle.write(f"out {os.getpid()}\n")


def test_builds_take_turns_though_each_removes_the_lock_file_as_it_ends(tmp_path, monkeypatch):
    """Six builds at once, each taking the lock five times: never two inside at once (a build
    that waited on a file its holder then removed must not lock that file: a newcomer locks
    a new one under the name), and no lock file left."""
    import multiprocessing

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    log = tmp_path / "log"
    processes = [multiprocessing.get_context("fork").Process(target=_hold_in_turn, args=(tmp_path / "dist", log, 5))
                 for _ in range(6)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert [process.exitcode for process in processes] == [0] * 6
    lines = log.read_text().splitlines()
    assert len(lines) == 60
    for entering, leaving in zip(lines[::2], lines[1::2]):
        assert entering.startswith("in ") and leaving == "out " + entering[3:], lines
    assert [p.name for p in tmp_path.iterdir()] == ["log"]

"""Write editions atomically: every file goes to a temporary name first and is
renamed into place only when all of them are complete, so a failed or
interrupted build leaves the last good editions as they were. One build at a
time writes to an output folder."""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import signal
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
# A temporary file of ``write_atomically``: ``.<name>.bookbuild-<8 characters of mkstemp>.partial``,
# where <name> is a file the build writes: no name of anyone else's.
_TEMPORARY = ".{name}.bookbuild-"
_RANDOM = re.compile(r"^[a-z0-9_]{8}\.partial$")
# What the builds wrote into an output folder: ``sha256sum`` lines (``sha256sum -c`` reads
# them), so that a build replaces only files it wrote and the author has not changed since.
RECORD = ".bookbuild-written"


def lock_path(out_dir: Path) -> Path:
    """Outside the output folder, which holds only editions; one per output folder, there
    only while a build holds it."""
    key = hashlib.sha256(str(out_dir.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"bookbuild-{key}.lock"


@contextmanager
def output_lock(out_dir: Path, on_wait: Callable[[], None]) -> Iterator[None]:
    """Hold the output folder for this build; a second build waits (after ``on_wait``).
    The lock file is removed when the build ends (one was left per output folder, for ever)."""
    path = lock_path(out_dir)
    handle = _take(path, on_wait)
    try:
        yield
    finally:
        # Removed while still held: a build waiting on this file finds, once it has the lock,
        # that the name no longer leads to it, and takes the lock again under the name.
        if _is_under(path, handle):
            path.unlink()
        # Released, not only closed: processes forked during the build (layout workers
        # that ``watch`` keeps for the next one) hold the same open file, and with it the lock.
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _take(path: Path, on_wait: Callable[[], None]):
    """The lock file, locked, and still the one under ``path``."""
    told = False
    while True:
        handle = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600), "r+b")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not told:
                on_wait()
                told = True
            fcntl.flock(handle, fcntl.LOCK_EX)
        if _is_under(path, handle):
            return handle
        handle.close()  # its holder removed it as it finished: the name is free again


def _is_under(path: Path, handle) -> bool:
    try:
        named = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    held = os.fstat(handle.fileno())
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def write_atomically(out_dir: Path, files: dict[str, bytes]) -> list[Path]:
    try:
        return _write_all(out_dir, files)
    except OSError as failure:  # a full disk, a read-only folder: said with the folder, not a temporary file
        raise OSError(failure.errno, failure.strerror or str(failure), str(out_dir)) from failure


def _write_all(out_dir: Path, files: dict[str, bytes]) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_temporaries_of_killed_builds(out_dir, set(files) | set(written_before(out_dir)))
    staged: list[tuple[str, Path]] = []
    # A file already there byte for byte (an unchanged edition) is left as it is: a rebuild
    # of a long book would otherwise write and sync tens of megabytes it already has.
    in_place = [out_dir / name for name, data in files.items() if _holds(out_dir / name, data)]
    try:
        for name, data in files.items():
            if out_dir / name in in_place:
                continue
            fd, temp = tempfile.mkstemp(prefix=_TEMPORARY.format(name=name), suffix=".partial", dir=out_dir)
            staged.append((temp, out_dir / name))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        # All or nothing: an interrupt waits until every edition is in place.
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            for temp, final in staged:
                os.chmod(temp, 0o644)
                os.replace(temp, final)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    finally:
        for temp, _ in staged:
            if os.path.exists(temp):
                os.unlink(temp)
    return [out_dir / name for name in files]


def _holds(path: Path, data: bytes) -> bool:
    """Whether ``path`` is a plain file (not a link) with exactly ``data`` in it."""
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size != len(data):
            return False
        with open(path, "rb") as handle:
            return handle.read() == data
    except OSError:
        return False


def _remove_temporaries_of_killed_builds(out_dir: Path, names: set[str]) -> None:
    """A build killed outright (SIGKILL, a power cut) cannot remove its temporary files;
    the next build into the folder does (it holds the output lock: none is in use). Only
    files named as a temporary file of one of ``names`` (the files builds write there)
    are ours: ``.thesis.final_v2.partial`` is the author's."""
    for entry in out_dir.iterdir():
        ours = any(entry.name.startswith(_TEMPORARY.format(name=name))
                   and _RANDOM.match(entry.name[len(_TEMPORARY.format(name=name)):]) for name in names)
        if ours and entry.is_file() and not entry.is_symlink():
            entry.unlink()


def written_before(out_dir: Path) -> dict[str, str]:
    """What the builds wrote into ``out_dir`` (``RECORD``): file name -> SHA-256."""
    try:
        fd = os.open(out_dir / RECORD, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return {}
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return {}
        lines = handle.read(1_000_000).decode("utf-8", "replace").splitlines()
    found = (line.split("  ", 1) for line in lines)
    return {name: digest for digest, name in (entry for entry in found if len(entry) == 2)
            if re.fullmatch(r"[0-9a-f]{64}", digest) and "/" not in name}


def files_in_the_way(out_dir: Path, names: list[str]) -> list[str]:
    """Those of ``names`` that a build may not replace: a file there that no build wrote, or
    that was changed since (the author's own ``index.html``, say), or anything that is not
    a plain file. A folder that has no record yet (built before there was one) holds an
    earlier build's editions, which are named after the book: a PDF or EPUB of such a name is
    taken to be one, and the download page when it gives the SHA-256 of one of them."""
    record = written_before(out_dir)
    taken = []
    digests: dict[str, str] = {}
    for name in names:
        path = out_dir / name
        if not (path.exists() or path.is_symlink()):
            continue
        if path.is_symlink() or not path.is_file():
            taken.append(name)
            continue
        digests[name] = _digest(path)
    for name, digest in digests.items():
        if record:
            ours = record.get(name) == digest
        elif name.endswith((".epub", ".pdf")):
            ours = True
        else:
            page = (out_dir / name).read_bytes()
            ours = any(d.encode() in page for n, d in digests.items() if n.endswith((".epub", ".pdf")))
        if not ours:
            taken.append(name)
    return sorted(taken)


def record_of(out_dir: Path, files: dict[str, bytes]) -> bytes:
    """The record after ``files`` are written: these, and what earlier builds wrote that is
    still there unchanged."""
    entries = {name: digest for name, digest in written_before(out_dir).items() if name not in files
               and (out_dir / name).is_file() and not (out_dir / name).is_symlink()
               and _digest(out_dir / name) == digest}
    entries.update((name, hashlib.sha256(data).hexdigest()) for name, data in files.items())
    return "".join(f"{digest}  {name}\n" for name, digest in sorted(entries.items())).encode()


def _digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()

"""Write editions atomically: every file goes to a temporary name first and is
renamed into place only when all of them are complete, so a failed or
interrupted build leaves the last good editions as they were. One build at a
time writes to an output folder."""

from __future__ import annotations

import fcntl
import hashlib
import os
import signal
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def lock_path(out_dir: Path) -> Path:
    """Outside the output folder, which holds only editions; one per output folder."""
    key = hashlib.sha256(str(out_dir.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"bookbuild-{key}.lock"


@contextmanager
def output_lock(out_dir: Path, on_wait: Callable[[], None]) -> Iterator[None]:
    """Hold the output folder for this build; a second build waits (after ``on_wait``)."""
    with open(lock_path(out_dir), "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            # Released, not only closed: processes forked during the build (layout workers
            # that ``watch`` keeps for the next one) hold the same open file, and with it the lock.
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_atomically(out_dir: Path, files: dict[str, bytes]) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[str, Path]] = []
    try:
        for name, data in files.items():
            fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".partial", dir=out_dir)
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
    return [final for _, final in staged]

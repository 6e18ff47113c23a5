"""Work done on a copy of this process (forked): two finishing jobs at once when there
are two cores to run them, and work whose memory should not outlive it."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
_PR_SET_PDEATHSIG = 1
_forked_by = 0  # the process that is forking, as the copy must know it


def _end_with_the_build() -> None:
    """Every forked copy of the build (a layout worker, a join, a finishing job) is killed
    when the process that forked it ends, even killed outright (SIGKILL, the OOM killer),
    which runs none of its clean-up: a copy left running held the output lock, blocked for
    ever on sending its result to no one, and the next build waited for ever. Linux only;
    elsewhere a copy ends when its work does (it finds the pipe closed)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != _forked_by:  # the build ended between the fork and the line above
        os._exit(1)


def _note_the_forking_process() -> None:
    global _forked_by
    _forked_by = os.getpid()


os.register_at_fork(before=_note_the_forking_process, after_in_child=_end_with_the_build)


def each_in_parallel(work: Callable[[Item], Result], items: Sequence[Item], jobs: int) -> dict[Item, Result]:
    """``work(item)`` for each of (at most two) items, the second in a forked process, which
    starts from this one's memory without copying it. With ``jobs`` < 2, one after the
    other, each in a forked process (``in_child``): the least memory at any one time."""
    if len(items) < 2:
        return {item: work(item) for item in items}
    first, second = items
    if jobs < 2:
        return {first: in_child(lambda: work(first)), second: in_child(lambda: work(second))}
    child = _Child(lambda: work(second))
    try:
        done = {first: work(first)}
    except BaseException:
        child.kill()
        raise
    done[second] = child.result()
    return done


def in_child(work: Callable[[], Result]) -> Result:
    """``work()`` in a forked process: everything it allocates is given back when the process
    ends (Python keeps the memory it frees), so a step with a large passing peak does not
    leave this process large for the steps after it."""
    return _Child(work).result()


class _Child:
    def __init__(self, work: Callable[[], Result]):
        context = multiprocessing.get_context("fork")
        self.receiver, sender = context.Pipe(duplex=False)

        def run() -> None:
            self.receiver.close()  # the parent's end: with the parent gone, sending fails instead of blocking
            # The build's own handlers (which raise KeyboardInterrupt) are not this copy's:
            # the parent stops it, and a stop must not be caught below and reported again.
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                sender.send(("ok", work()))
            except BaseException as failure:  # reported by the parent, which owns the terminal
                sender.send(("failed", f"{type(failure).__name__}: {failure}"))

        self.process = context.Process(target=run, daemon=True)
        self.process.start()
        sender.close()

    def result(self):
        try:
            status, value = self.receiver.recv()
        except EOFError:
            status, value = "failed", "a forked process of the build ended without a result"
        except BaseException:  # Ctrl-C or SIGTERM to the build alone: the copy's work is not wanted
            self.kill()
            raise
        self.stop()
        if status != "ok":
            raise RuntimeError(value)
        return value

    def stop(self) -> None:
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.terminate()

    def kill(self) -> None:
        self.process.terminate()
        self.process.join(timeout=5)
        if self.process.is_alive():  # stuck where a signal cannot reach it
            self.process.kill()
            self.process.join()

"""Two pieces of finishing work, each on its own copy of this process (forked): at once
when there are two cores to run them."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def each_in_parallel(work: Callable[[Item], Result], items: Sequence[Item], jobs: int) -> dict[Item, Result]:
    """``work(item)`` for each of (at most two) items, the second in a forked process, which
    starts from this one's memory (a joined PDF) without copying it, and may change it
    without the first seeing the change. With ``jobs`` < 2 the first waits for the second."""
    if len(items) < 2:
        return {item: work(item) for item in items}
    first, second = items
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child() -> None:
        try:
            sender.send(("ok", work(second)))
        except BaseException as failure:  # reported by the parent, which owns the terminal
            sender.send(("failed", f"{type(failure).__name__}: {failure}"))

    process = context.Process(target=child, daemon=True)
    process.start()
    sender.close()
    try:
        if jobs < 2:
            status, value = _result(receiver, second)
        done = {first: work(first)}
        if jobs >= 2:
            status, value = _result(receiver, second)
    finally:
        process.join(timeout=5)
        if process.is_alive():
            process.terminate()
    if status != "ok":
        raise RuntimeError(value)
    done[second] = value
    return done


def _result(receiver, item) -> tuple[str, object]:
    try:
        return receiver.recv()
    except EOFError:
        return "failed", f"the process working on {item} ended without a result"

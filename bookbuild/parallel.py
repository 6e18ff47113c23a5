"""Running two pieces of finishing work at once, on a machine with two cores."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def each_in_parallel(work: Callable[[Item], Result], items: Sequence[Item], jobs: int) -> dict[Item, Result]:
    """``work(item)`` for each of (at most two) items; with two cores, the second in a forked
    process, which shares this one's memory (a laid-out book, a PDF) instead of copying it."""
    if jobs < 2 or len(items) < 2:
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
        done = {first: work(first)}
        try:
            status, value = receiver.recv()
        except EOFError:
            status, value = "failed", f"the process working on {second} ended without a result"
    finally:
        process.join(timeout=5)
        if process.is_alive():
            process.terminate()
    if status != "ok":
        raise RuntimeError(value)
    done[second] = value
    return done

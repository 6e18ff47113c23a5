"""Laying the segments out: from this build's or the last builds' results where a job
is the same, else in worker processes (or here, for a single segment); then the page
numbers each prints filled in (``pagenumbers``).

A layout is cached by its job with the printed page numbers reduced to their widths:
the numbers themselves are filled in afterwards, so a chapter whose references only
change their digits is not laid out again.
"""

from __future__ import annotations

import multiprocessing
import re
import shutil
import tempfile
import time
import traceback
from html import unescape
from multiprocessing.connection import Connection, wait

from .. import ids, parallel, theme  # parallel: its at-fork hook ends each worker with the build
from ..cache import Cache, file_digest, key_of
from ..model import Progress, ResolvedBook, no_progress
from .pagenumbers import width_class
from .finishing import Finished, finish_in_worker
from .typeset import (SegmentJob, SegmentLayout, Typesetter, TypesetterSetup, fill_in_worker, prepare_worker, start_worker,
                      typeset_in_worker)

_PRINTED_PAGE = re.compile(r'data-page="([^"]*)"')
_IMAGE_SOURCE = re.compile(r'<img\b[^>]*?\ssrc="([^"]+)"')
_FIRST_FOLIO = re.compile(r"counter-reset: page \d+")
_FINISHED_HERE_UP_TO = 6  # segments: more are finished in the workers (started for them if need be)


# A pool of layout workers kept between builds (``keep_warm``: ``watch``), with the key of
# the setup its workers were started with: WeasyPrint imported and the book's fonts and
# stylesheets loaded, so an edit pays for none of it.
_warm: tuple[str, WorkerPool] | None = None
# A worker started as a build begins (``start_early``), importing WeasyPrint while the book
# is parsed; the build's layouts take it on, and are told the book's setup then.
_early: WorkerPool | None = None


class Layouts:
    """Lays segments out: from this build's or the last builds' results where the job is
    the same, else in worker processes (or here, for a single segment)."""

    def __init__(self, book: ResolvedBook, jobs: int, cache: Cache | None, progress: Progress = no_progress,
                 keep_warm: bool = False):
        stylesheets = tuple(theme.stylesheets(book.root, "pdf"))
        self.setup = TypesetterSetup(book.root, stylesheets, ids.book_identifier(book.metadata), book.metadata.language)
        # Not the folders (a layout is the same from any folder, ``resources.BOOK_URL``): a book
        # moved or copied with its cache keeps its layouts. The language chooses fallback faces.
        self.setup_key = key_of(self.setup.identifier, self.setup.language,
                                *(f"{n}:{path.name}" for n, path in enumerate(stylesheets)),
                                *(path.read_bytes() for path in stylesheets))
        self.jobs, self.cache, self.progress = jobs, cache, progress
        self.done: dict[str, SegmentLayout] = {}
        self.image_digests: dict[str, str] = {}  # book-relative path -> SHA-256, once per build
        self.typeset_just_now: tuple[int, ...] = ()  # which of the last requests were laid out, not found
        self.keep_warm = keep_warm
        self.pool = _warm[1] if keep_warm and _warm is not None and _warm[0] == self.setup_key and _warm[1].alive else None
        if self.pool is None and jobs > 1:
            self.pool = _adopt_early(self.setup)
        self.here: Typesetter | None = None

    def __enter__(self) -> Layouts:
        return self

    def __exit__(self, *exc: object) -> None:
        global _warm
        self.done.clear()
        if self.pool is None:
            return
        if self.keep_warm and not exc[0]:
            if _warm is not None and _warm[1] is not self.pool:
                _warm[1].stop()
            _warm = (self.setup_key, self.pool)
        else:
            self.pool.stop()  # also on Ctrl-C: workers must not outlive the build

    def _key(self, job: SegmentJob) -> str:
        """What decides a layout: the job, with the page numbers it prints reduced to their
        widths (unless they must be laid out as they are), and the bytes of every image it
        shows (a picture replaced under the same name is laid out again)."""
        images = self._image_digests(job.html)
        if job.exact_numbers:
            return key_of(self.setup_key, job.page_css, str(job.tagged), job.html, "|".join(job.folios), images)
        html = _PRINTED_PAGE.sub(lambda m: f'data-page="{width_class(m.group(1))}"', job.html)
        page_css = _FIRST_FOLIO.sub("counter-reset: page #", job.page_css)
        return key_of(self.setup_key, page_css, str(job.tagged), html, "|".join(map(width_class, job.folios)), images)

    def _image_digests(self, html: str) -> str:
        """The SHA-256 of each image a segment's HTML uses (book-relative ``src``), in order."""
        digests = []
        for src in _IMAGE_SOURCE.findall(html):
            path = unescape(src)
            if path not in self.image_digests:
                self.image_digests[path] = file_digest(self.setup.root, self.setup.root / path)
            digests.append(f"{path}={self.image_digests[path]}")
        return "|".join(digests)

    def _known(self, key: str) -> SegmentLayout | None:
        found = self.done.get(key)
        if found is None and self.cache is not None:
            found = self.cache.load("segments", key)
        return found

    def typeset_all(self, requests: list[SegmentJob]) -> list[SegmentLayout]:
        keys = [self._key(job) for job in requests]
        results: list[SegmentLayout | None] = [self._known(key) for key in keys]
        missing = sorted((n for n, r in enumerate(results) if r is None), key=lambda n: -len(requests[n].html))
        self.typeset_just_now = tuple(missing)
        for done, (n, layout) in enumerate(self._typeset([(n, requests[n]) for n in missing]), start=1):
            self.progress("lay out", done, len(missing))
            results[n] = layout
            self.done[keys[n]] = layout
            if self.cache is not None:
                self.cache.store("segments", keys[n], layout)
        return results  # type: ignore[return-value]

    def fill_all(self, requests: list[SegmentJob], layouts: list[SegmentLayout],
                 wanted: list[tuple[str, ...]]) -> list[SegmentLayout]:
        """Each layout with the page numbers it prints as ``wanted`` (for each layout, a label
        for each of its numbers; each as wide as the one laid out), kept in the cache so."""
        results = list(layouts)
        work = [(n, layout, labels) for n, (layout, labels) in enumerate(zip(layouts, wanted))
                if any(label != number.label for label, number in zip(labels, layout.numbers))]
        if self.jobs > 1 and len(work) > 1 and self.pool is not None:
            done = self.pool.imap_unordered(fill_in_worker, work)
        else:
            done = (fill_in_worker(item) for item in work)
        for n, layout in done:
            results[n] = layout
            key = self._key(requests[n])
            self.done[key] = layout
            if self.cache is not None:
                self.cache.store("segments", key, layout)
        return results

    def _typeset(self, work: list[tuple[int, SegmentJob]]):
        if not work:
            return  # (no WeasyPrint to start for nothing)
        if self.pool is not None or (self.jobs > 1 and len(work) > 1) or (self.keep_warm and work):
            self._workers_for(len(work))
            yield from self.pool.imap_unordered(typeset_in_worker, work)
        else:
            if self.here is None:
                self.here = Typesetter(self.setup)
            for n, job in work:
                yield n, self.here.typeset(job)

    def finish_all(self, finished: Finished, cover_job: tuple | None = None):
        """Each segment's pages finished for each edition where the cache has none: in the
        workers when there are many (or they are running), else here. ``cover_job``: the
        print cover's layout (``cover.render_cover``), done beside them by a worker, whose
        WeasyPrint is ready (returned); None if there are no workers to do it."""
        from .cover import render_cover

        work = [("finish", finish_in_worker, item) for item in finished.missing()]
        if not work and cover_job is None:
            return None
        if self.pool is not None or (self.jobs > 1 and len(work) > _FINISHED_HERE_UP_TO):
            self._workers_for(len(work) + (cover_job is not None))
            if cover_job is not None:
                work.insert(0, ("cover", render_cover, cover_job))
            results = self.pool.imap_unordered(_call, work)
        else:
            results = (_call(item) for item in work)
        cover = None
        for done, (tag, result) in enumerate(results, start=1):
            self.progress("finish", done, len(work))
            if tag == "cover":
                cover = result
            else:
                finished.keep(*result)
        return cover

    def _workers_for(self, items: int) -> None:
        """Workers enough for ``items`` jobs at once (never more than --jobs)."""
        wanted = self.jobs if self.keep_warm else max(1, min(self.jobs, items))
        if self.pool is None:
            self.pool = WorkerPool(wanted, self.setup)
        elif len(self.pool.workers) < wanted:
            self.pool.grow(wanted - len(self.pool.workers))

    def forget_all_but(self, requests: list[SegmentJob]) -> None:
        """Keep this build's layouts in the cache, and only those."""
        if self.cache is not None:
            self.cache.keep_only("segments", {self._key(job) for job in requests})




def _call(work: tuple):
    """A job of any kind in a worker: (tag, function, item) -> (tag, function(item))."""
    tag, function, item = work
    return tag, function(item)


class WorkerPool:
    """Layout worker processes, each with a pipe of its own, and the temporary folder they
    keep their files in, which goes with them: they are stopped, not left to end, so they
    cannot remove it.

    Not multiprocessing.Pool: its workers share one queue and its lock, and a worker killed
    while it held them (SIGTERM to the process group, the OOM killer) left the build waiting
    for ever in ``Pool.terminate``. A worker here holds nothing another needs, and a stop
    is SIGTERM, then SIGKILL after two seconds."""

    def __init__(self, workers: int, setup: TypesetterSetup | None = None):
        self.temporary_folder = tempfile.mkdtemp(prefix="bookbuild-workers-")
        self.workers: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
        self.setup = setup
        self.grow(workers)

    def grow(self, workers: int) -> None:
        """More workers, told the setup (when there is one yet)."""
        context = multiprocessing.get_context("fork")
        for _ in range(workers):
            mine, theirs = context.Pipe()
            others = [connection for _, connection in self.workers] + [mine]
            process = context.Process(target=_serve, args=(theirs, others, self.temporary_folder), daemon=True)
            process.start()
            theirs.close()
            if self.setup is not None:
                mine.send(self.setup)
            self.workers.append((process, mine))

    def set_up(self, setup: TypesetterSetup) -> None:
        """The book the workers lay out (each starts its typesetter for it)."""
        self.setup = setup
        for _, connection in self.workers:
            connection.send(setup)

    @property
    def alive(self) -> bool:
        return bool(self.workers) and all(process.is_alive() for process, _ in self.workers)

    def imap_unordered(self, function, work):
        """``function(item)`` for each item of ``work`` in the workers, results as they come.
        A worker's exception is raised here (with its traceback); a worker that ends without
        a result stops them all."""
        pending = iter(work)
        idle = list(self.workers)
        busy: dict[Connection, tuple] = {}
        try:
            while True:
                while idle and (item := next(pending, _NO_MORE)) is not _NO_MORE:
                    worker = idle.pop()
                    worker[1].send((function, item))
                    busy[worker[1]] = worker
                if not busy:
                    return
                for connection in wait(list(busy)):
                    worker = busy.pop(connection)
                    try:
                        status, value, *details = connection.recv()
                    except (EOFError, OSError):
                        raise RuntimeError(f"a layout worker ended without a result (exit code {worker[0].exitcode})")
                    idle.append(worker)
                    if status != "ok":
                        raise value from _WorkerTraceback(details[0])
                    yield value
        finally:
            if busy:  # left before every result came: the workers' state is unknown
                self.stop()

    def stop(self) -> None:
        for process, _ in self.workers:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + 2
        for process, connection in self.workers:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():  # stuck where SIGTERM does not reach
                process.kill()
                process.join()
            connection.close()
        self.workers = []
        shutil.rmtree(self.temporary_folder, ignore_errors=True)


_NO_MORE = object()


class _WorkerTraceback(Exception):
    """Where a worker's exception was raised, in the worker: shown as its cause."""


def _serve(connection: Connection, parents_ends: list[Connection], temporary_folder: str) -> None:
    """A worker's life: WeasyPrint imported (``prepare_worker``), the book's setup received
    and its typesetter started (``start_worker``), then ``function(item)`` for each
    ``(function, item)`` received, each answered ("ok", result) or ("failed", exception,
    traceback), until the pipe closes."""
    for end in parents_ends:
        end.close()  # the parent's ends: when it is gone, recv() ends instead of waiting
    prepare_worker(temporary_folder)
    try:
        setup = connection.recv()
    except (EOFError, OSError):
        return
    start_worker(setup)
    while True:
        try:
            function, item = connection.recv()
        except (EOFError, OSError):
            return
        try:
            answer = ("ok", function(item))
        except BaseException as failure:
            answer = ("failed", failure, traceback.format_exc())
        try:
            connection.send(answer)
        except Exception:  # an exception that cannot be pickled: sent as its text
            connection.send(("failed", RuntimeError(str(answer[1])), answer[-1]))


def start_early() -> None:
    """A layout worker started now, to import WeasyPrint while the build does other work
    (parsing): an edit's one chapter is laid out by a worker that is ready. The build's
    ``Layouts`` take it on; ``stop_early`` stops it if none did."""
    global _early
    if _early is None and (_warm is None or not _warm[1].alive):
        _early = WorkerPool(1)


def stop_early() -> None:
    global _early
    if _early is not None:
        _early.stop()
        _early = None


def _adopt_early(setup: TypesetterSetup) -> WorkerPool | None:
    global _early
    pool, _early = _early, None
    if pool is not None and pool.alive:
        pool.set_up(setup)
        return pool
    if pool is not None:
        pool.stop()
    return None


def stop_warm_workers() -> None:
    """The pool kept warm between builds, stopped (when ``watch`` ends)."""
    global _warm
    if _warm is not None:
        _warm[1].stop()
        _warm = None


def layout_again(job: SegmentJob, layout: SegmentLayout, label_of_anchor: dict[str, str]) -> str:
    """Why a segment must be laid out again for the page numbers it prints, or "": a
    number has changed its width ("width": 99 to 100, a roman numeral), or cannot be found
    in its pages ("unfound": to be laid out as it is). Other changes are filled in."""
    reason = ""
    for anchor, label in job.labels.items():
        wanted = label_of_anchor.get(anchor, label)
        if wanted != label and width_class(wanted) != width_class(label):
            return "width"
        if wanted != label and not layout.all_numbers_found:
            reason = "unfound"
    return reason

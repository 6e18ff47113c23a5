"""The build, stage by stage: gather, parse, resolve, render each edition, write.

Everything is read and checked before anything is written, so a book with
errors never touches the editions of the last good build.
"""

from __future__ import annotations

import os
import posixpath
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import ids
from .cache import Cache, book_inputs_key, file_digest
from .downloads import PAGE, Edition
from .model import (COVER, FORMATS, PRINT, SCREEN, Problem, Progress, Report, ResolvedBook, error, no_progress,
                    raise_if_errors, warning)
from .output import RECORD, files_in_the_way, output_lock, record_of, write_atomically

# The stages themselves are imported where they run: a rebuild of an unchanged book only
# reads the cache and writes, and should not pay for loading WeasyPrint's and pikepdf's
# worlds (about a fifth of a second).


@dataclass(frozen=True)
class BuildOptions:
    book: Path
    out: Path
    formats: tuple[str, ...] = FORMATS
    drafts: bool = False
    jobs: int = 1
    strict: bool = False  # warnings are errors
    progress: Progress = no_progress  # told how far the build has got (the command line draws it)
    keep_warm: bool = False  # keep the layout workers for the next build (``watch``)


@dataclass(frozen=True)
class BuildResult:
    written: tuple[Path, ...]  # the editions and the download page
    problems: tuple[Problem, ...]  # warnings only (the book's, the layout's, the preflight's): errors raise BookError
    notes: tuple[str, ...] = field(default=())  # for the author's information (stderr); never a warning
    preflight: tuple[Report, ...] = field(default=())
    done: tuple[str, ...] = field(default=())  # what the build did (stdout)
    editions: dict[str, bytes] = field(default_factory=dict)  # file name -> bytes, before writing
    described: tuple[Edition, ...] = ()  # each edition's format, size, pages and SHA-256, from its bytes
    seconds: dict[str, float] = field(default_factory=dict)  # file name -> time spent making it
    page: bytes = b""  # the download page, index.html
    from_cache: bool = False  # an unchanged book: the last build's results
    # Files read outside metadata.yaml, manuscript/ and styles/ (a cover, a colour profile),
    # with their SHA-256: ``book_inputs_key`` does not see them, so a reuse checks them.
    read_elsewhere: tuple[tuple[str, str], ...] = ()


def check(book_dir: Path, drafts: bool = False, jobs: int = 1, strict: bool = False,
          progress: Progress = no_progress, cache: Cache | None = None) -> ResolvedBook:
    """Gather, parse and resolve: every problem a build would report, without rendering.
    Without a ``cache`` to keep what it parses, it reads the last build's and writes nothing."""
    from .gather import gather
    from .parse import parse_all, typographic_metadata
    from .resolve import resolve

    book = gather(book_dir, include_drafts=drafts)
    progress("parse", 0, len(book.files))
    cache = cache or Cache(book_dir, read_only=True)
    if book.metadata is not None:
        book = replace(book, metadata=typographic_metadata(book.metadata, cache))
    parsed = parse_all(book.files, jobs, cache, book.metadata.language if book.metadata is not None else "")
    progress("parse", len(book.files), len(book.files))
    return resolve(book, parsed, strict)


def build(options: BuildOptions, on_wait: Callable[[], None] = lambda: None) -> BuildResult:
    with output_lock(options.out, on_wait):
        return _build(options)


def _build(options: BuildOptions) -> BuildResult:
    """Reuse the results of an identical earlier build, or make them."""
    cache = Cache(options.book)
    # SOURCE_DATE_EPOCH is an input too: it is the date every edition carries (ids.build_date).
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    key = book_inputs_key(options.book, f"{options.formats}|{options.drafts}|{options.strict}|{epoch}")
    made = cache.load("builds", key)
    if made is not None and any(file_digest(options.book, options.book / path) != digest
                                for path, digest in made.read_elsewhere):
        made = None
    if made is None:
        made = _make_with_a_worker_ready(options)
        cache.store("builds", key, made)
        cache.keep_latest("builds", key)
    else:
        made = replace(made, done=("nothing changed since the last build: its editions, from .cache",), from_cache=True)
    # The page and the editions it describes are written together, or not at all, and
    # the record of what was written last.
    files = {**made.editions, PAGE: made.page}
    refuse_files_in_the_way(options, list(files))
    written = write_atomically(options.out, {**files, RECORD: record_of(options.out, files)})
    return replace(made, written=tuple(path for path in written if path.name != RECORD))


def refuse_files_in_the_way(options: BuildOptions, names: list[str]) -> None:
    """A build never replaces a file it did not write (see ``output.files_in_the_way``)."""
    def shown(name: str) -> str:
        path = options.out / name
        return path.relative_to(options.book).as_posix() if path.is_relative_to(options.book) else str(path)

    raise_if_errors([error(shown(name), 1, 1, "this file was not written by a build, or was changed since: the "
                                              "build does not replace it; move it away, or build into another "
                                              "folder (--out)") for name in files_in_the_way(options.out, names)])


def _make_with_a_worker_ready(options: BuildOptions) -> BuildResult:
    """A build that lays pages out starts a layout worker first: it imports WeasyPrint while
    the book is parsed, and an edited chapter is laid out at once (``layouts.start_early``)."""
    if options.jobs < 2 or not {PRINT, SCREEN} & set(options.formats):
        return _make(options)
    from .editions import layouts

    layouts.start_early()
    try:
        return _make(options)
    finally:
        layouts.stop_early()


def _make(options: BuildOptions) -> BuildResult:
    """Every edition asked for; ``written`` is left empty (nothing is written yet)."""
    from .downloads import describe, download_page
    from .editions.epub import cover_image, render_epub
    from .editions.pdf import render_pdfs
    from .epub_preflight import preflight_epub
    from .metadata import METADATA_FILE
    from .parallel import each_in_parallel
    from .preflight import preflight_cover, preflight_print, preflight_screen

    progress = options.progress
    book = check(options.book, options.drafts, options.jobs, options.strict, progress, Cache(options.book))
    slug = ids.book_slug(book.metadata)
    name_of = {edition: ids.edition_file_name(slug, edition, options.drafts) for edition in (*FORMATS, COVER)}
    written = [name_of[edition] for edition in options.formats] + ([name_of[COVER]] if PRINT in options.formats else [])
    refuse_files_in_the_way(options, written + [PAGE])  # before the long part
    editions: dict[str, bytes] = {}
    seconds: dict[str, float] = {}
    notes: list[str] = []
    found: list[Problem] = []  # what the layout and the preflight say, besides the book's own problems
    done: list[str] = []
    page_starts = ()
    pages: dict[str, int] = {}  # edition -> its page count, where the build knows it
    reports: list[Report] = []
    variants = tuple(v for v in (PRINT, SCREEN) if v in options.formats)
    if variants:
        started = time.monotonic()
        pdfs = render_pdfs(book, variants, options.jobs, Cache(options.book), progress, options.keep_warm)
        progress("finish", len(variants), len(variants))
        page_starts = pdfs.page_starts  # both PDFs have the print edition's pages
        done.append(f"PDF: {pdfs.summary}")
        found.extend(warning(METADATA_FILE, 1, 1, f"PDF: {message}") for message in pdfs.warnings)

        def inspect(variant: str) -> Report:
            name = name_of[variant]
            # What the pages draw was read when each segment was finished, and kept with it.
            if variant == PRINT:
                return preflight_print(pdfs.data[variant], book.metadata.print, pdfs.inside_margin, name, pdfs.drawn)
            return preflight_screen(pdfs.data[variant], name, pdfs.screen_found)

        progress("preflight", 0, len(variants))
        reports.extend(each_in_parallel(inspect, variants, options.jobs).values())
        progress("preflight", len(variants), len(variants))
        editions.update((name_of[variant], pdfs.data[variant]) for variant in variants)
        pages.update(pdfs.pages)
        seconds.update((name_of[variant], time.monotonic() - started) for variant in variants)
    if PRINT in variants:
        started = time.monotonic()
        progress("cover", 0, 1)
        cover = pdfs.cover  # made with the print edition, from its page count
        reports.append(preflight_cover(cover.pdf, book.metadata.print, cover.geometry, name_of[COVER]))
        progress("cover", 1, 1)
        editions[name_of[COVER]] = cover.pdf
        pages[COVER] = 1
        seconds[name_of[COVER]] = time.monotonic() - started
        found.extend(cover.problems)
        done.extend(cover.notes)  # the build summary: an empty spine, no barcode
        found.extend(warning(METADATA_FILE, 1, 1, f"cover: WeasyPrint: {message}") for message in cover.warnings)
    if "epub" in options.formats:
        started = time.monotonic()
        progress("epub", 0, 1)
        editions[name_of["epub"]] = render_epub(book, page_starts, Cache(options.book))
        reports.append(preflight_epub(editions[name_of["epub"]], name_of["epub"]))
        progress("epub", 1, 1)
        seconds[name_of["epub"]] = time.monotonic() - started
        if not page_starts:
            notes.append("note: the EPUB has no page-list: its print page numbers come from the PDF layout (add print to --formats)")
    # What only the finished editions show belongs to no line of the book: it is located at
    # the file that holds the print settings, and says which edition and page or document.
    found.extend(error(METADATA_FILE, 1, 1, f"preflight of {r.edition}: {message}") for r in reports for message in r.errors)
    found.extend(warning(METADATA_FILE, 1, 1, f"preflight of {r.edition}: {message}") for r in reports for message in r.warnings)
    raise_if_errors(list(book.problems) + found)
    described = tuple(describe(edition, name_of[edition], editions[name_of[edition]], pages.get(edition))
                      for edition in (*FORMATS, COVER) if name_of[edition] in editions)
    page = download_page(book.metadata, described, cover_image(book, Cache(options.book)), options.drafts)
    profile = book.metadata.print.color_profile.strip()
    elsewhere = sorted({image.path for image in book.images} | ({posixpath.normpath(profile)} if profile else set()))
    read_elsewhere = tuple((path, file_digest(options.book, options.book / path)) for path in elsewhere
                           if not path.startswith(("manuscript/", "styles/")))
    return BuildResult((), tuple(sorted(book.problems + tuple(found))), tuple(notes), tuple(reports), tuple(done), editions,
                       described, seconds, page, read_elsewhere=read_elsewhere)

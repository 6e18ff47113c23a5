"""The build, stage by stage: gather, parse, resolve, render each edition, write.

Everything is read and checked before anything is written, so a book with
errors never touches the editions of the last good build.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import ids
from .editions.epub import render_epub
from .editions.pdf import PRINT, SCREEN, render_pdfs
from .gather import gather
from .metadata import METADATA_FILE
from .parallel import each_in_parallel
from .model import Problem, ResolvedBook, error, raise_if_errors
from .preflight import Report, preflight_print, preflight_screen
from .cache import Cache, book_inputs_key
from .output import output_lock, write_atomically
from .parse import parse_all
from .resolve import resolve

FORMATS = ("epub", PRINT, SCREEN)


@dataclass(frozen=True)
class BuildOptions:
    book: Path
    out: Path
    formats: tuple[str, ...] = FORMATS
    drafts: bool = False
    jobs: int = 1
    strict: bool = False  # warnings are errors


@dataclass(frozen=True)
class BuildResult:
    written: tuple[Path, ...]
    problems: tuple[Problem, ...]  # warnings only: errors raise BookError
    notes: tuple[str, ...] = field(default=())  # for the author's attention (stderr)
    preflight: tuple[Report, ...] = field(default=())
    done: tuple[str, ...] = field(default=())  # what the build did (stdout)
    editions: dict[str, bytes] = field(default_factory=dict)  # file name -> bytes, before writing


def check(book_dir: Path, drafts: bool = False, jobs: int = 1, strict: bool = False) -> ResolvedBook:
    """Gather, parse and resolve: every problem a build would report, without rendering."""
    book = gather(book_dir, include_drafts=drafts)
    return resolve(book, parse_all(book.files, jobs, Cache(book_dir)), strict)


def build(options: BuildOptions, on_wait: Callable[[], None] = lambda: None) -> BuildResult:
    with output_lock(options.out, on_wait):
        return _build(options)


def _build(options: BuildOptions) -> BuildResult:
    """Reuse the results of an identical earlier build, or make them."""
    cache = Cache(options.book)
    key = book_inputs_key(options.book, f"{options.formats}|{options.drafts}|{options.strict}")
    made = cache.load("builds", key)
    if made is None:
        made = _make(options)
        cache.store("builds", key, made)
        cache.keep_latest("builds", key)
        done = made.done
    else:
        done = ("nothing changed since the last build: its editions, from .cache",)
    written = write_atomically(options.out, made.editions)
    return BuildResult(tuple(written), made.problems, made.notes, made.preflight, done)


def _make(options: BuildOptions) -> BuildResult:
    """Every edition asked for; ``written`` is left empty (nothing is written yet)."""
    book = check(options.book, options.drafts, options.jobs, options.strict)
    slug = ids.book_slug(book.metadata)
    editions: dict[str, bytes] = {}
    notes: list[str] = []
    done: list[str] = []
    page_starts = ()
    reports: list[Report] = []
    variants = tuple(v for v in (PRINT, SCREEN) if v in options.formats)
    if variants:
        pdfs = render_pdfs(book, variants, options.jobs, Cache(options.book))
        page_starts = pdfs.page_starts  # both PDFs have the print edition's pages
        done.append(f"PDF: {pdfs.summary}")
        notes.extend(f"warning: PDF: {message}" for message in pdfs.warnings)

        def inspect(variant: str) -> Report:
            name = f"{slug}-{variant}.pdf"
            if variant == PRINT:
                return preflight_print(pdfs.data[variant], book.metadata.print, pdfs.inside_margin, name)
            return preflight_screen(pdfs.data[variant], name)

        reports.extend(each_in_parallel(inspect, variants, options.jobs).values())
        editions.update((f"{slug}-{variant}.pdf", pdfs.data[variant]) for variant in variants)
    failures = [error(METADATA_FILE, 1, 1, f"preflight of {r.edition}: {message}") for r in reports for message in r.errors]
    raise_if_errors(failures)
    if "epub" in options.formats:
        editions[f"{slug}.epub"] = render_epub(book, page_starts)
        if not page_starts:
            notes.append("note: the EPUB has no page-list: its print page numbers come from the PDF layout (add print to --formats)")
    return BuildResult((), book.problems, tuple(notes), tuple(reports), tuple(done), editions)

"""The command line: options, running the build, and printing problems (the only place they are printed)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import traceback
from pathlib import Path

from .model import BookError, PartKind, Problem
from .pipeline import FORMATS, BuildOptions, build, check

EXIT_OK, EXIT_BOOK_ERRORS, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "import":
        return _import_command(argv[1:])
    checking = bool(argv) and argv[0] == "check"
    parser = _check_parser() if checking else _build_parser()
    options = parser.parse_args(argv[1:] if checking else argv)  # exits 2 on bad usage
    book_dir = Path(options.book).resolve()
    if not book_dir.is_dir():
        parser.error(f"--book {options.book}: no such folder")
    signal.signal(signal.SIGTERM, _interrupt)
    # Python keeps SIGINT ignored when it starts ignored (a job started with `&` by a
    # script): a build must still stop cleanly on Ctrl-C.
    signal.signal(signal.SIGINT, _interrupt)
    try:
        if checking:
            resolved = check(book_dir, options.drafts, options.jobs, options.strict)
            _print_problems(resolved.problems)
            chapters = sum(1 for p in resolved.parts if p.kind is PartKind.CHAPTER)
            print(f"{book_dir.name}: {chapters} chapter{'s' if chapters != 1 else ''}, no errors")
            return EXIT_OK
        started = time.monotonic()
        formats = _formats(parser, options.formats)
        out = Path(options.out).resolve() if options.out else book_dir / "dist"
        result = build(BuildOptions(book_dir, out, formats, options.drafts, options.jobs, options.strict),
                       on_wait=lambda: print(f"waiting: another build is writing to {_shown(out)}", file=sys.stderr))
        _print_problems(result.problems)
        for note in result.notes:
            print(note, file=sys.stderr)
        for report in result.preflight:
            print(f"preflight {report.edition}:")
            for line in report.lines:
                print(f"  {line}")
            for message in report.warnings:
                print(f"  warning: {message}", file=sys.stderr)
        for line in result.done:
            print(line)
        for path in result.written:
            print(f"wrote {_shown(path)} ({path.stat().st_size / 1024:.0f} KB)")
        print(f"built in {time.monotonic() - started:.1f} s")
        return EXIT_OK
    except BookError as failure:
        _print_problems(failure.problems)
        errors = sum(1 for p in failure.problems if p.is_error)
        print(f"{errors} error{'s' if errors != 1 else ''}: nothing was written", file=sys.stderr)
        return EXIT_BOOK_ERRORS
    except KeyboardInterrupt:
        print("interrupted: nothing was written; the previous editions are as they were", file=sys.stderr)
        return 130
    except OSError as failure:
        print(f"error: {failure}", file=sys.stderr)
        return EXIT_BOOK_ERRORS
    except Exception:  # a bug in the toolchain, not a problem in the book
        traceback.print_exc()
        print("internal error: this is a bug in the build tool, not in your book; please report it", file=sys.stderr)
        return EXIT_BUG


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the build the way Ctrl-C does: cleanly


def _print_problems(problems: tuple[Problem, ...]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--book", default=".", metavar="DIR", help="the book folder (default: the current folder)")
    parser.add_argument("--drafts", action="store_true", help="include chapters marked draft: true")
    parser.add_argument("--strict", action="store_true",
                        help="treat warnings (such as an image without alt text) as errors")
    parser.add_argument("--jobs", type=_positive, default=os.cpu_count() or 1, metavar="N",
                        help="files parsed at once (default: all cores)")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="build.py", description="Build the book's EPUB, print PDF and screen PDF.",
        epilog="Run `build.py check --help` to validate a book without building it.",
    )
    _common(parser)
    parser.add_argument("--out", metavar="DIR", help="where the editions go (default: DIR/dist)")
    parser.add_argument("--formats", default=",".join(FORMATS), metavar="LIST",
                        help="comma-separated editions to build: epub,print,screen (default: all)")
    return parser


def _check_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="build.py check",
        description="Validate the book (numbering, metadata, references, images) without building it.",
    )
    _common(parser)
    return parser


def _formats(parser: argparse.ArgumentParser, value: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(f.strip().lower() for f in value.split(",") if f.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        parser.error(f"--formats: unknown edition {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}")
    return chosen


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number")
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


# --- import: blog posts -> numbered chapters ----------------------------------------------


def _import_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="build.py import",
        description="Import a blog: each post whose title starts with a number (\"92: Title\") becomes "
                    "manuscript/092-slug.md. Web furniture (share buttons, newsletter boxes, related posts, "
                    "comments, ...) is removed, links between posts become cross-references, images are copied "
                    "into manuscript/images/. Importing again updates only the chapters you have not edited.",
        epilog="example: python build.py import wordpress-export.xml --book mybook --media uploads/\n"
               "         python build.py import saved-pages/ --book mybook",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("source", metavar="SOURCE",
                        help="a WordPress export (.xml), or a folder of saved web pages (.html with their _files "
                             "folders) and Markdown posts (.md)")
    parser.add_argument("--book", default=".", metavar="DIR", help="the book folder (default: the current folder; made if missing)")
    parser.add_argument("--media", metavar="DIR", help="a copy of the blog's uploads folder: images are matched by URL path")
    parser.add_argument("--fetch-images", action="store_true",
                        help="download images found nowhere else (the only option that uses the network)")
    return parser


def _import_command(argv: list[str]) -> int:
    from .blogimport import ImportOptions, import_blog

    parser = _import_parser()
    options = parser.parse_args(argv)  # exits 2 on bad usage
    source = Path(options.source)
    if not source.exists():
        parser.error(f"{options.source}: no such file or folder")
    if options.media and not Path(options.media).is_dir():
        parser.error(f"--media {options.media}: no such folder")
    book = Path(options.book).resolve()
    if book.exists() and not book.is_dir():
        parser.error(f"--book {options.book}: not a folder")
    try:
        summary = import_blog(ImportOptions(source.resolve(), book, Path(options.media).resolve() if options.media else None,
                                            options.fetch_images, options.source))
    except BookError as failure:
        _print_problems(failure.problems)
        print("nothing was imported", file=sys.stderr)
        return EXIT_BOOK_ERRORS
    except OSError as failure:
        print(f"error: {failure}", file=sys.stderr)
        return EXIT_BOOK_ERRORS
    _print_problems(summary.problems)
    for line in summary.lines():
        print(line)
    return EXIT_BOOK_ERRORS if any(p.is_error for p in summary.problems) else EXIT_OK

"""The command line: options, running the commands, and printing problems (the only place
they are printed) and results.

``build.py [options]`` builds; ``build.py COMMAND [options]`` runs one of the author's
commands around the build (check, init, new, watch).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from . import BUG_LINE, __version__
from .model import FORMATS, BookError, PartKind, Problem, Progress, no_progress

# The pipeline, and the packages it needs, are imported when a command runs: without them
# (a Python other than .venv's), --help and --version still answer.
if TYPE_CHECKING:
    from .pipeline import BuildResult

EXIT_OK, EXIT_BOOK_ERRORS, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3
SETUP = "make setup"  # what installs the toolchain's Python packages (into .venv)
# How the author runs the toolchain: this repository's build.py, or the installed command
# (`bookbuild`, or `python -m bookbuild`); help and usage name it so.
PROG = "build.py" if Path(sys.argv[0]).name == "build.py" else "bookbuild"
RUN = "python3 build.py" if PROG == "build.py" else "bookbuild"


def run_as_typed() -> str:
    """How to run this command again from the current folder, as a shell takes it:
    ``python3 ../bookbuild/build.py``, or ``bookbuild``."""
    if PROG != "build.py":
        return "bookbuild"
    script = Path(sys.argv[0]).resolve()
    relative = os.path.relpath(script, Path.cwd())
    return f"python3 {shlex.quote(relative if relative.count('..') <= 2 else str(script))}"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in COMMANDS else ""
    make_parser, run = COMMANDS[command]
    parser = make_parser()
    options = parser.parse_args(argv[1:] if command else argv)  # exits 2 on bad usage
    signal.signal(signal.SIGTERM, _interrupt)
    # Python keeps SIGINT ignored when it starts ignored (a job started with `&` by a
    # script): a build must still stop cleanly on Ctrl-C.
    signal.signal(signal.SIGINT, _interrupt)
    try:
        return run(parser, options)
    except KeyboardInterrupt:
        print("interrupted" + ("" if command else ": nothing was written; the previous editions are as they were"),
              file=sys.stderr)
        return 130
    except OSError as failure:
        print(f"error: {failure}", file=sys.stderr)
        return EXIT_BOOK_ERRORS
    except ModuleNotFoundError as missing:
        if (missing.name or "").startswith("bookbuild"):
            raise
        print(missing_package(missing.name), file=sys.stderr)
        return EXIT_BUG
    except Exception:  # a bug in the toolchain, not a problem in the book
        traceback.print_exc()
        print(BUG_LINE, file=sys.stderr)
        return EXIT_BUG


def missing_package(name: str | None) -> str:
    folder = Path(__file__).resolve().parent.parent
    if PROG != "build.py":
        return (f"error: the Python package `{name}` is not installed: install bookbuild again "
                "(`pipx install .` or `pip install -c constraints.txt .` in its repository)")
    return (f"error: the Python package `{name}` is not installed: run `{SETUP}` in {folder} "
            "(it installs the toolchain into .venv at the versions of constraints.txt), then run the command again")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the build the way Ctrl-C does: cleanly


# --- build and check -------------------------------------------------------------------------


def run_build(parser: argparse.ArgumentParser, options: argparse.Namespace) -> int:
    from .pipeline import BuildOptions, build

    started = time.monotonic()
    book_dir = _book_dir(parser, options.book)
    formats = _formats(parser, options.formats)
    out = Path(options.out).resolve() if options.out else book_dir / "dist"
    shows_progress = sys.stdout.isatty() and not (options.json or options.quiet)
    try:
        with progress_display(shows_progress) as progress:
            result = build(BuildOptions(book_dir, out, formats, options.drafts, options.jobs, options.strict, progress),
                           on_wait=lambda: print(f"waiting: another build is writing to {shown(out)}", file=sys.stderr))
    except BookError as failure:
        return _failed(failure, options, started, "nothing was written")
    if not options.json:  # in JSON, the problems are in the object
        print_problems(result.problems)
    for note in result.notes:
        if not options.quiet:
            print(note, file=sys.stderr)
    if options.json:
        _print_json(True, result, result.problems, started, out)
        return EXIT_OK
    for report in result.preflight:  # its warnings are among the problems printed above
        if not options.quiet:
            print(f"preflight {report.edition}:")
            print("\n".join(f"  {line}" for line in report.lines))
    if not options.quiet:
        print("\n".join(result.done + result_lines(result, Path(options.out or Path(options.book) / "dist"))))
        print(f"built in {time.monotonic() - started:.1f} s")
    return EXIT_OK


def result_lines(result: BuildResult, out: Path) -> tuple[str, ...]:
    """One line per edition: file (in ``out`` as the author named it), size, pages, time to
    make it; then the download page."""
    from .downloads import PAGE, size_in_words

    width = max(len(str(out / e.name)) for e in result.described)
    lines = []
    for edition in result.described:
        pages = f"{edition.pages} pages" if edition.pages is not None else "reflowable"
        took = "from .cache" if result.from_cache else f"{result.seconds.get(edition.name, 0):.1f} s"
        lines.append(f"wrote {str(out / edition.name):<{width}}  {size_in_words(edition.bytes):>8}  {pages:>10}  {took:>11}")
    lines.append(f"wrote {str(out / PAGE):<{width}}  download page")
    return tuple(lines)


def run_check(parser: argparse.ArgumentParser, options: argparse.Namespace) -> int:
    from .pipeline import check

    started = time.monotonic()
    book_dir = _book_dir(parser, options.book)
    try:
        resolved = check(book_dir, options.drafts, options.jobs, options.strict)
    except BookError as failure:
        return _failed(failure, options, started, "")
    if options.json:
        _print_json(True, None, resolved.problems, started, book_dir)
        return EXIT_OK
    print_problems(resolved.problems)
    if not options.quiet:
        chapters = sum(1 for p in resolved.parts if p.kind is PartKind.CHAPTER)
        print(f"{book_dir.name}: {chapters} chapter{'s' if chapters != 1 else ''}, no errors; {LAYOUT_ONLY}")
    return EXIT_OK


# What `check` cannot judge, and says so: the contract has it refuse whatever a build would,
# "except what only layout can find".
LAYOUT_ONLY = "what only the layout shows (the pages, the PDFs' preflight) is checked by a build"


def _failed(failure: BookError, options: argparse.Namespace, started: float, consequence: str) -> int:
    if options.json:
        _print_json(False, None, failure.problems, started, Path())
        return EXIT_BOOK_ERRORS
    print_problems(failure.problems)
    errors = sum(1 for p in failure.problems if p.is_error)
    summary = f"{errors} error{'s' if errors != 1 else ''}"
    print(f"{summary}: {consequence}" if consequence else f"{summary} found", file=sys.stderr)
    return EXIT_BOOK_ERRORS


def _print_json(ok: bool, result: BuildResult | None, problems: tuple[Problem, ...], started: float, out: Path) -> None:
    """The one JSON object of the contract; an EPUB's ``pages`` counts its page-list (the print
    edition's pages), and is null when it has none."""
    editions = [{"path": str(out / e.name), "format": e.format, "bytes": e.bytes, "pages": e.pages, "sha256": e.sha256}
                for e in (result.described if result else ())]
    found = [{"path": p.path, "line": p.line, "col": p.col, "severity": p.severity.value, "message": p.message}
             for p in problems]
    print(json.dumps({"ok": ok, "editions": editions, "problems": found,
                      "seconds": round(time.monotonic() - started, 3)}, ensure_ascii=False))


def print_problems(problems: tuple[Problem, ...]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)


def shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


_STAGES = {"parse": "read the chapters", "lay out": "lay out pages", "finish": "finish the PDFs",
           "preflight": "check the PDFs", "cover": "make the cover", "epub": "write the EPUB"}


@contextmanager
def progress_display(enabled: bool) -> Iterator[Progress]:
    """On a terminal, a line with a bar for each stage of the build as it comes; elsewhere nothing."""
    if not enabled:
        yield no_progress
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bars, TextColumn, TimeElapsedColumn

    bars = Bars(TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=Console(file=sys.stdout), redirect_stdout=False, redirect_stderr=False)
    tasks: dict[str, object] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            for task in tasks.values():  # a new stage: the ones before it are over
                bars.update(task, completed=bars.tasks[task].total)
                bars.stop_task(task)
            tasks[stage] = bars.add_task(_STAGES.get(stage, stage), total=max(total, 1))
        bars.update(tasks[stage], completed=done, total=max(total, 1))

    with bars:
        yield progress
        for task in tasks.values():
            bars.update(task, completed=bars.tasks[task].total)
            bars.stop_task(task)


# --- init, new, watch ------------------------------------------------------------------------


def run_init(parser: argparse.ArgumentParser, options: argparse.Namespace) -> int:
    from .authoring import Refused, holds_book, init_book
    from .metadata import language_tag_problem

    folder = Path(options.dir)
    if holds_book(folder):
        parser.error(f"{options.dir} already holds a book (metadata.yaml or manuscript/): nothing was changed")
    answers = {"title": options.title, "author": options.author and options.author[0], "language": options.language}
    missing = [key for key, value in answers.items() if not (value and value.strip())]
    if missing and not sys.stdin.isatty():
        parser.error(f"give {', '.join('--' + key for key in missing)} (or run init on a terminal to be asked)")
    prompts = {"title": "Title: ", "author": "Author: ", "language": "Language (a BCP 47 tag such as en-GB or fr): "}
    for key in missing:
        while not (answers[key] and answers[key].strip()) or (key == "language" and language_tag_problem(answers[key])):
            answers[key] = input(prompts[key]).strip()
    if language_tag_problem(answers["language"]):
        parser.error(f"--language {answers['language']}: {language_tag_problem(answers['language'])}")
    authors = [answers["author"].strip()] + [name.strip() for name in (options.author or [])[1:]]
    try:
        written = init_book(folder, answers["title"].strip(), authors, answers["language"])
    except Refused as refused:
        parser.error(str(refused))
    print(f"created {options.dir}:")  # paths as the author wrote the folder's
    print("\n".join(f"  {folder / path.relative_to(folder)}" for path in written))
    book = "" if folder.resolve() == Path.cwd() else f" --book {shlex.quote(options.dir)}"
    run = run_as_typed()  # each command can be pasted into the shell as it stands
    print(f"next: {run} new \"The second thing\"{book}\n      {run} watch{book}\n      {run}{book}")
    return EXIT_OK


def run_new(parser: argparse.ArgumentParser, options: argparse.Namespace) -> int:
    from .authoring import Refused, new_chapter

    book_dir = _book_dir(parser, options.book)
    try:
        path = new_chapter(book_dir, options.title, options.number)
    except Refused as refused:
        parser.error(str(refused))
    print(Path(options.book) / path.relative_to(book_dir))  # as the author wrote the book's folder
    return EXIT_OK


def run_watch(parser: argparse.ArgumentParser, options: argparse.Namespace) -> int:
    from .watch import WatchOptions, serve

    book_dir = _book_dir(parser, options.book)
    formats = _formats(parser, options.formats) if options.formats else ()
    out = Path(options.out).resolve() if options.out else book_dir / "dist"
    return serve(WatchOptions(book_dir, out, options.host, options.port, formats, options.drafts, options.jobs),
                 usage_error=parser.error, show_problems=print_problems)


# --- options ---------------------------------------------------------------------------------


def _parser(prog: str, description: str, examples: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog=prog.replace("build.py", PROG, 1), description=description,
                                   epilog="examples:\n" + examples.replace("python build.py", RUN),
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def _book_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--book", default=".", metavar="DIR", help="the book folder (default: the current folder)")


def _common(parser: argparse.ArgumentParser) -> None:
    _book_option(parser)
    parser.add_argument("--drafts", action="store_true", help="include chapters marked draft: true (the editions are marked as drafts)")
    parser.add_argument("--strict", action="store_true",
                        help="treat warnings (such as an image without alt text) as errors")
    _jobs(parser)


def _jobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", type=_positive, default=os.cpu_count() or 1, metavar="N",
                        help="files parsed and chapters laid out at once (default: all cores)")


def _output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true",
                        help='print one JSON object on stdout: {"ok", "editions", "problems", "seconds"}, nothing else')
    parser.add_argument("--quiet", action="store_true", help="print only problems")


def _build_parser() -> argparse.ArgumentParser:
    parser = _parser(
        "build.py",
        "Build the book's EPUB, print PDF and screen PDF, and dist/index.html, a download page for readers.\n\n"
        "commands (each has --help):\n"
        "  check   validate the book without building it\n"
        "  init    start a new book folder\n"
        "  new     add a chapter\n"
        "  watch   a live preview in the browser, rebuilt on every save\n"
        "  import  turn a blog (a WordPress export, saved pages) into numbered chapters",
        "  python build.py                          build the book in the current folder into dist/\n"
        "  python build.py --book ../mybook --formats epub\n"
        "  python build.py --json > result.json     the result as JSON, for scripts and CI\n",
    )
    _common(parser)
    parser.add_argument("--out", metavar="DIR", help="where the editions go (default: DIR/dist)")
    parser.add_argument("--formats", default=",".join(FORMATS), metavar="LIST",
                        help="comma-separated editions to build: epub,print,screen (default: all)")
    _output(parser)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _check_parser() -> argparse.ArgumentParser:
    parser = _parser(
        "build.py check",
        "Validate the book (numbering, metadata, references, images) without building it; it writes nothing. "
        "It refuses whatever a build would refuse, at the same line, except what only the layout shows "
        "(the pages, the PDFs' preflight), which a build checks.",
        "  python build.py check --book ../mybook\n",
    )
    _common(parser)
    _output(parser)
    return parser


def _init_parser() -> argparse.ArgumentParser:
    parser = _parser(
        "build.py init",
        "Start a new book folder: metadata.yaml, a first chapter, a .gitignore and a README for the author. "
        "Options left out are asked for on a terminal. A folder that already holds a book is refused.",
        '  python build.py init ../mybook --title "100 Things I Learned" --author "Ada Lane" --language en-GB\n',
    )
    parser.add_argument("dir", metavar="DIR", help="the new book's folder (made if it does not exist)")
    parser.add_argument("--title", metavar="T", help="the book's title")
    parser.add_argument("--author", metavar="A", action="append", help="the author (repeat for several)")
    parser.add_argument("--language", metavar="L", help="a BCP 47 language tag, such as en-GB or fr")
    return parser


def _new_parser() -> argparse.ArgumentParser:
    parser = _parser(
        "build.py new",
        "Add a chapter: manuscript/NNN-slug.md with its front matter, numbered after the highest chapter. "
        "Prints the path of the new file. A number already used is refused.",
        '  python build.py new "Water less than you think"\n'
        '  python build.py new "Repot only when asked" --book ../mybook --number 12\n',
    )
    parser.add_argument("title", metavar="TITLE", help="the chapter's title")
    _book_option(parser)
    parser.add_argument("--number", type=_positive, metavar="N", help="the chapter's number (default: after the highest)")
    return parser


def _watch_parser() -> argparse.ArgumentParser:
    parser = _parser(
        "build.py watch",
        "Serve a live preview of the whole book and rebuild it on every save; the page reloads itself. "
        "The EPUB and PDFs are built when asked on the page (button or the b key), or after every save with --formats. "
        "Ctrl-C stops it.",
        "  python build.py watch                    then open http://127.0.0.1:8000/\n"
        "  python build.py watch --book ../mybook --port 8001 --formats epub\n",
    )
    _book_option(parser)
    parser.add_argument("--port", type=_port, default=8000, metavar="N", help="the port (default: 8000; 0 for any free port)")
    parser.add_argument("--host", default="127.0.0.1", metavar="H",
                        help="the address to listen on (default: 127.0.0.1, this computer only)")
    parser.add_argument("--formats", metavar="LIST", help="also build these editions after every save: epub,print,screen")
    parser.add_argument("--out", metavar="DIR", help="where editions go when built (default: DIR/dist)")
    parser.add_argument("--drafts", action="store_true", help="include chapters marked draft: true")
    _jobs(parser)
    return parser




def _book_dir(parser: argparse.ArgumentParser, value: str) -> Path:
    book_dir = Path(value).resolve()
    if not book_dir.is_dir():
        parser.error(f"--book {value}: no such folder")
    return book_dir


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


def _port(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number")
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError("a port is a number from 0 to 65535")
    return number


# --- import: blog posts -> numbered chapters ----------------------------------------------


def _import_parser() -> argparse.ArgumentParser:
    parser = _parser(
        "build.py import",
        "Import a blog: each post whose title starts with a number (\"92: Title\") becomes "
        "manuscript/092-slug.md; posts without a number follow, by publication date (see --order). Web furniture "
        "(share buttons, newsletter boxes, related posts, comments, ...) is removed, links between posts become "
        "cross-references, images are copied into manuscript/images/. Importing again updates only the chapters "
        "you have not edited.",
        "  python build.py import wordpress-export.xml --book mybook --media uploads/\n"
        "  python build.py import saved-pages/ --book mybook\n",
    )
    parser.add_argument("source", metavar="SOURCE",
                        help="a WordPress export (.xml), or a folder of saved web pages (.html with their _files "
                             "folders) and Markdown posts (.md)")
    parser.add_argument("--book", default=".", metavar="DIR", help="the book folder (default: the current folder; made if missing)")
    parser.add_argument("--media", metavar="DIR", help="a copy of the blog's uploads folder: images are matched by URL path")
    parser.add_argument("--fetch-images", action="store_true",
                        help="download images found nowhere else (the only option that uses the network)")
    parser.add_argument("--order", choices=("date", "title", "export"), default="date",
                        help="how posts without a number in their title are numbered, after the numbered ones: "
                             "by publication date, oldest first (the default), by title, or in the order of the source")
    return parser


def run_import(parser: argparse.ArgumentParser, options: argparse.Namespace) -> int:
    from .blogimport import ImportOptions, import_blog

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
                                            options.fetch_images, options.source, options.order))
    except BookError as failure:
        print_problems(failure.problems)
        print("nothing was imported", file=sys.stderr)
        return EXIT_BOOK_ERRORS
    except OSError as failure:
        print(f"error: {failure}", file=sys.stderr)
        return EXIT_BOOK_ERRORS
    print_problems(summary.problems)
    for line in summary.lines():
        print(line)
    return EXIT_BOOK_ERRORS if any(p.is_error for p in summary.problems) else EXIT_OK


COMMANDS: dict[str, tuple[Callable[[], argparse.ArgumentParser], Callable[..., int]]] = {
    "": (_build_parser, run_build),
    "check": (_check_parser, run_check),
    "init": (_init_parser, run_init),
    "new": (_new_parser, run_new),
    "watch": (_watch_parser, run_watch),
    "import": (_import_parser, run_import),
}

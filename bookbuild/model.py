"""The data that flows between the pipeline stages, and the one error type.

Every stage takes and returns these frozen dataclasses, so a stage can run in a
worker process, be cached by a hash of its inputs, and be tested on its own.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

# How a long build says how far it has got: (stage, done, total), e.g. ("lay out", 3, 40).
# Stages: "parse", "lay out", "finish", "preflight", "epub". Called in the building process only.
Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    """The progress of a build nobody watches."""


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """Something wrong in the book, at a place an author can go to."""

    path: str  # relative to the book folder, with forward slashes
    line: int
    col: int
    severity: Severity
    message: str

    def __str__(self) -> str:
        """One line, whatever the path or message holds: a newline, a control character or a
        bidirectional override (which would show a file name reversed) is written escaped."""
        return f"{_escaped(self.path)}:{self.line}:{self.col}: {self.severity.value}: {_escaped(self.message)}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


_UNSHOWABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escaped(text: str) -> str:
    """``text`` with each character that would break or reorder the line as its escape (``\\n``, ``\\u202e``)."""
    return _UNSHOWABLE.sub(lambda match: match.group(0).encode("unicode_escape").decode("ascii"), text)


def did_you_mean(name: str, known: Iterable[str], shown: Callable[[str], str] = lambda n: f"`{n}`") -> str:
    """`` (did you mean `author`?)`` when a known name is close to ``name``, else nothing."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {shown(close[0])}?)" if close else ""


def error(path: str, line: int, col: int, message: str) -> Problem:
    return Problem(path, line, col, Severity.ERROR, message)


def warning(path: str, line: int, col: int, message: str) -> Problem:
    return Problem(path, line, col, Severity.WARNING, message)


class BookError(Exception):
    """The book cannot be built as it stands; carries every problem found."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(sorted(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


def raise_if_errors(problems: list[Problem] | tuple[Problem, ...], strict: bool = False) -> None:
    """Raise when there are errors; with ``strict``, warnings count as errors."""
    if strict:
        problems = [Problem(p.path, p.line, p.col, Severity.ERROR, p.message) for p in problems]
    if any(p.is_error for p in problems):
        raise BookError(problems)


# --- metadata ---------------------------------------------------------------


@dataclass(frozen=True)
class PrintSettings:
    trim_width: str  # CSS lengths, e.g. "6in"
    trim_height: str
    bleed: str
    marks: str  # "crop", "cross", "crop cross" or "none"
    target: str = "generic"  # a key of printing.TARGETS
    color_profile: str = ""  # book-relative CMYK ICC profile; empty: the default profile
    paper: str = "white"  # a key of printing.PAPERS: the spine's width comes from it
    paper_thickness: float = 0.0  # inches a page, given by the book; 0: the target's figure for the paper
    price_code: str = "90000"  # the barcode's five-digit add-on (90000: no price)


@dataclass(frozen=True)
class Metadata:
    title: str
    authors: tuple[str, ...]
    language: str
    subtitle: str = ""
    publisher: str = ""
    date: str = ""  # YYYY-MM-DD
    rights: str = ""
    description: str = ""
    subjects: tuple[str, ...] = ()
    series: str = ""
    edition: str = ""
    cover: str = ""  # book-relative path of the cover image
    isbn_epub: str = ""
    isbn_print: str = ""
    print: PrintSettings = field(default_factory=lambda: PrintSettings("6in", "9in", "0.125in", "crop"))
    cover_text: bool = False  # set the title and author over a cover picture that has none
    back_cover: str = ""  # Markdown: the back cover's text (``description`` when empty)
    downloads_print: bool = False  # `downloads: {print: true}`: the press PDF on the readers' download page too


# --- gather -------------------------------------------------------------------


class PartKind(str, Enum):
    FRONT = "front"
    CHAPTER = "chapter"
    BACK = "back"


@dataclass(frozen=True)
class SourceFile:
    """One Markdown file of the manuscript, its front matter read and checked."""

    path: str  # relative to the book folder, e.g. "manuscript/045-listen-first.md"
    kind: PartKind
    part_id: str  # see ids.chapter_id and ids.matter_ids
    number: int | None  # chapters only
    title: str
    body: str  # the Markdown after the front matter
    body_line: int  # the file's line number on which the body starts
    subtitle: str = ""
    running_head: str = ""  # a short form of the title for the print edition's running heads
    draft: bool = False
    image: str = ""  # as written in the front matter, relative to the file
    image_alt: str = ""
    image_credit: str = ""
    image_line: int = 1  # where the image key is, for messages
    contents: bool = False


@dataclass(frozen=True)
class Book:
    root: Path
    metadata: Metadata | None  # None when metadata.yaml has errors (then problems says why)
    files: tuple[SourceFile, ...]  # front matter, chapters by number, back matter
    drafts_left_out: frozenset[int] = frozenset()  # chapter numbers of drafts not built
    drafts: bool = False  # built with drafts: the editions are marked as drafts
    problems: tuple[Problem, ...] = ()  # found while gathering; errors stop the build after resolve

    @property
    def chapters(self) -> tuple[SourceFile, ...]:
        return tuple(f for f in self.files if f.kind is PartKind.CHAPTER)


# --- parse --------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    level: int  # 2 for a section of a chapter, 3 below it, ...
    id: str  # local to its part
    text: str


@dataclass(frozen=True)
class LinkRef:
    """A link as written: resolve decides whether it is a cross-reference."""

    index: int  # the link's data-ref number in ParsedPart.html
    target: str  # href as pandoc read it
    wikilink: bool
    has_text: bool
    line: int
    col: int


@dataclass(frozen=True)
class ImageRef:
    index: int  # the image's data-img number in ParsedPart.html
    src: str
    alt: str
    line: int
    col: int


@dataclass(frozen=True)
class ParsedPart:
    """One file after pandoc: HTML with local ids, and what it refers to."""

    source: SourceFile
    html: str  # HTML fragment; links carry data-ref, images data-img
    headings: tuple[Heading, ...]
    ids: frozenset[str]
    links: tuple[LinkRef, ...]
    images: tuple[ImageRef, ...]
    problems: tuple[Problem, ...] = ()


# --- resolve ------------------------------------------------------------------


@dataclass(frozen=True)
class Image:
    path: str  # relative to the book folder
    media_type: str


@dataclass(frozen=True)
class TocEntry:
    anchor: str
    text: str
    level: int  # 1 for a part, 2 for a section


@dataclass(frozen=True)
class ResolvedPart:
    """A part ready for any edition: ids namespaced, links point at #anchors."""

    part_id: str
    kind: PartKind  # generated parts count as front or back matter
    title: str  # as shown in contents and running heads, e.g. "45. Listen first"
    html: str  # complete <section> for this part
    toc: tuple[TocEntry, ...]  # the part itself first, then its sections
    anchors: frozenset[str]
    epub_type: str = "chapter"
    in_contents: bool = True


@dataclass(frozen=True)
class ResolvedBook:
    root: Path
    metadata: Metadata
    parts: tuple[ResolvedPart, ...]
    images: tuple[Image, ...]
    problems: tuple[Problem, ...] = ()  # warnings that did not stop the build
    draft: bool = False  # built with drafts: marked as a draft on its title page and running heads

    def part_of_anchor(self) -> dict[str, str]:
        return {a: p.part_id for p in self.parts for a in p.anchors}


# --- what the build reports -----------------------------------------------------

PRINT = "print"  # the print edition
SCREEN = "screen"  # the screen edition
FORMATS = ("epub", PRINT, SCREEN)
COVER = "cover"  # the print cover: made with the print edition, from its page count


@dataclass
class Report:
    """A preflight's report on one edition: a line for each check, and what failed."""

    edition: str
    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def check(self, ok: bool, line: str, failure: str) -> None:
        self.lines.append(f"{'ok  ' if ok else 'FAIL'} {line}")
        if not ok:
            self.errors.append(failure)

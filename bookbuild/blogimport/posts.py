"""What the readers of a blog (WordPress export, saved pages) hand to the import:
posts as the blog has them, before anything is removed or converted."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..model import Problem

POST, PAGE = "post", "page"

# "92: Title", "92. Title", "#92 Title", "Thing 92 - Title", "92 - Title" (and en or em dashes).
_NUMBERED = re.compile(
    r"""^\s*(?:
        thing\s*\#?\s*(?P<thing>\d{1,4})\s*(?:[:.\-–—]\s*|\s+)
      | \#\s*(?P<hash>\d{1,4})\s*(?:[:.\-–—]\s*|\s+)
      | (?P<bare>\d{1,4})\s*(?::\s*|\.\s+|\s+[-–—]\s+|[-–—]\s+)
    )(?P<title>\S.*)$""",
    re.IGNORECASE | re.VERBOSE,
)
_YEAR = range(1900, 2100)  # "2023: the year in review" is a year, not thing 2023


@dataclass(frozen=True)
class FeaturedImage:
    """The image a blog shows above a post (WordPress's featured image)."""

    url: str  # absolute, or relative to a saved page
    alt: str = ""
    caption: str = ""  # what the blog keeps with the image (a WordPress attachment's caption)
    local: Path | None = None  # a saved page's own copy of it


@dataclass(frozen=True)
class Post:
    title: str  # as the blog has it, number and all
    kind: str  # POST or PAGE
    html: str  # the post's main text as HTML, furniture and all
    url: str = ""  # its address on the blog ("" when unknown)
    aliases: tuple[str, ...] = ()  # other addresses that lead to it: ?p=ID short links, guid, shortlink
    published: str = ""  # YYYY-MM-DD, or "" when not known or never published
    draft: bool = False
    featured: FeaturedImage | None = None
    author: str = ""
    where: str = ""  # the file it came from, as shown in messages
    line: int = 1  # where in that file
    folder: Path | None = None  # a saved page's folder: its relative image paths start there


@dataclass(frozen=True)
class Blog:
    title: str
    author: str
    language: str
    posts: tuple[Post, ...]
    problems: tuple[Problem, ...] = field(default=())  # what could not be read (the rest was)


def numbered_title(title: str) -> tuple[int, str] | None:
    """The thing's number and the title without it, or None for a title without a number."""
    match = _NUMBERED.match(title)
    if not match:
        return None
    number = int(match.group("thing") or match.group("hash") or match.group("bare"))
    if match.group("bare") and number in _YEAR and len(match.group("bare")) == 4:
        return None
    return number, match.group("title").strip()


def iso_date(text: str) -> str:
    """YYYY-MM-DD from the start of a date or date-time, or "" when it is not one."""
    match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", text or "")
    if not match:
        return ""
    try:
        return datetime.date(*map(int, match.groups())).isoformat()
    except ValueError:  # 0000-00-00 (a WordPress draft), 2024-02-31
        return ""

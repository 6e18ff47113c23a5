"""The id scheme: how parts, sections and edition files are named, in one place.

Ids are namespaced per part so that every chapter may have its own
"Final thoughts": chapter 45's is ``c045-final-thoughts`` in every edition.
"""

from __future__ import annotations

import datetime
import os
import re
import unicodedata
import uuid

from .model import Metadata, PartKind


def slugify(text: str) -> str:
    """Lower-case ASCII, runs of anything else as one '-' (accents are dropped, not the
    letters; a typographic apostrophe separates as a straight one does)."""
    letters = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", letters.lower()).strip("-")


def part_id(kind: PartKind, number: int | None, stem: str) -> str:
    if kind is PartKind.CHAPTER:
        assert number is not None
        return f"c{number:03d}"
    return f"{kind.value}-{slugify(stem) or 'part'}"


def anchor(part: str, local_id: str) -> str:
    """The book-wide id of an element that its own file calls ``local_id``."""
    return f"{part}-{local_id}"


def epub_file_name(part: str) -> str:
    return f"{part}.xhtml"


def book_identifier(metadata: Metadata) -> str:
    """The EPUB's unique identifier: its ISBN, else a UUID derived from title and authors,
    so that rebuilding never changes it."""
    if metadata.isbn_epub:
        return f"urn:isbn:{metadata.isbn_epub}"
    name = "\n".join((metadata.title, *metadata.authors))
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'book:' + name)}"


def print_identifier(metadata: Metadata) -> str:
    """The print edition's identifier: the EPUB's page-list names it as its page source."""
    if metadata.isbn_print:
        return f"urn:isbn:{metadata.isbn_print}"
    name = "\n".join((metadata.title, *metadata.authors, "print"))
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'book:' + name)}"


def book_slug(metadata: Metadata) -> str:
    """The editions' file name stem: ``dist/<slug>.epub``."""
    return slugify(metadata.title) or "book"


def edition_file_name(slug: str, edition: str, draft: bool = False) -> str:
    """``<slug>.epub``, ``<slug>-print.pdf``, ``<slug>-screen.pdf``; a draft build's are
    ``<slug>-draft.epub``, ``<slug>-draft-print.pdf``, ... so they are never taken for final ones."""
    stem = f"{slug}-draft" if draft else slug
    return f"{stem}.epub" if edition == "epub" else f"{stem}-{edition}.pdf"


def build_date(metadata: Metadata) -> datetime.datetime:
    """The date every edition carries: SOURCE_DATE_EPOCH, else the book's date, so that
    rebuilding gives the same bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).replace(tzinfo=None)
    if metadata.date:
        return datetime.datetime.fromisoformat(metadata.date)
    return datetime.datetime(2000, 1, 1)

"""The id scheme: how parts, sections and edition files are named, in one place.

Ids are namespaced per part so that every chapter may have its own
"Final thoughts": chapter 45's is ``c045-final-thoughts`` in every edition.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import re
import unicodedata
import uuid
from pathlib import Path

from .model import Metadata, PartKind


def slugify(text: str) -> str:
    """Lower-case ASCII, runs of anything else as one '-' (accents are dropped, not the
    letters; a typographic apostrophe separates as a straight one does)."""
    letters = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", letters.lower()).strip("-")


# The parts the build makes itself (generated.py, editions/pdf.py): a file may not take their ids.
GENERATED_PART_IDS = frozenset({"front-half-title", "front-title-page", "front-copyright", "front-contents",
                                "back-image-credits"})


def chapter_id(number: int) -> str:
    """``c045``: a chapter is known by its number, whatever its file is called."""
    return f"c{number:03d}"


def matter_ids(kind: PartKind, names: list[str]) -> list[str]:
    """The ids of the front or back matter files ``names`` (file names in one folder).

    A part's id is the slug of its file name: ``front/01-preface.md`` is ``front-01-preface``.
    Where the slug alone does not tell a file apart (a name in another script, whose slug
    is empty; names that differ only by accents, case or punctuation; the id of a page the
    build makes itself), eight hex digits of the SHA-256 of the file name follow it:
    ``front/предисловие.md`` is ``front-`` and a hash, ``back/café.md`` ``back-cafe-`` and a
    hash. Ids are ASCII (safe as EPUB file names and XML ids) and depend only on the names in
    the folder, so every build gives the same ones; the name is hashed in Unicode NFC, so a
    file system that keeps names decomposed gives the same ids too."""
    slugs = [slugify(Path(name).stem) for name in names]
    plain = [f"{kind.value}-{slug}" for slug in slugs]
    found = []
    for name, slug, id_ in zip(names, slugs, plain):
        if not slug:
            id_ = f"{kind.value}-{_hash_of_name(name)}"
        elif plain.count(id_) > 1 or id_ in GENERATED_PART_IDS:
            id_ = f"{id_}-{_hash_of_name(name)}"
        found.append(id_)
    return found


def _hash_of_name(name: str) -> str:
    return hashlib.sha256(unicodedata.normalize("NFC", name).encode()).hexdigest()[:8]


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


LONGEST_SLUG = 80  # characters: with "-draft-screen.pdf" and a temporary file's ends, far below 255 bytes


def shortened(slug: str, longest: int = LONGEST_SLUG) -> str:
    """A slug cut to at most ``longest`` characters, at a dash where there is one."""
    if len(slug) <= longest:
        return slug
    cut = slug[:longest + 1].rsplit("-", 1)[0] if "-" in slug[:longest + 1] else slug[:longest]
    return cut.strip("-") or slug[:longest]


def book_slug(metadata: Metadata) -> str:
    """The editions' file name stem: ``dist/<slug>.epub``; a long title's first words."""
    return shortened(slugify(metadata.title)) or "book"


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

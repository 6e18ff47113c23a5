"""Gather and the id scheme, on the fixture books, without rendering."""

import re
import unicodedata

from conftest import BOOKS, REPO, copy_book

from bookbuild import ids
from bookbuild.gather import gather
from bookbuild.model import PartKind


def test_chapters_are_ordered_by_number_whatever_the_zero_padding():
    book = gather(BOOKS / "refs")
    assert [c.number for c in book.chapters] == [1, 7, 12]
    assert [c.path for c in book.chapters] == [
        "manuscript/1-first.md", "manuscript/07-seventh.md", "manuscript/0012-twelfth.md",
    ]


def test_drafts_are_left_out_unless_asked_for():
    assert 50 not in [c.number for c in gather(BOOKS / "refs").chapters]
    assert gather(BOOKS / "refs").drafts_left_out == {50}
    assert [c.number for c in gather(BOOKS / "refs", include_drafts=True).chapters] == [1, 7, 12, 50]


def test_sample_book_has_front_chapters_and_back_in_order():
    book = gather(REPO)
    kinds = [f.kind for f in book.files]
    assert kinds[0] is PartKind.FRONT and kinds[-1] is PartKind.BACK
    numbers = [c.number for c in book.chapters]
    assert numbers == sorted(numbers) and len(numbers) >= 8
    assert 99 not in numbers  # the sample's draft


def test_front_matter_is_read_and_the_body_starts_after_it():
    first = gather(BOOKS / "refs").chapters[0]
    assert (first.title, first.subtitle) == ("First", "Where every reference starts")
    assert first.body_line == 5
    assert first.body.lstrip().startswith("## Start here")


def test_ids_are_namespaced_per_part():
    assert ids.chapter_id(45) == "c045"
    assert ids.matter_ids(PartKind.FRONT, ["01-Introduction.md"]) == ["front-01-introduction"]
    assert ids.anchor("c045", "final-thoughts") == "c045-final-thoughts"
    assert ids.anchor("c012", "final-thoughts") != ids.anchor("c045", "final-thoughts")


def test_slug_is_the_lower_cased_title_with_runs_of_other_characters_as_dashes():
    assert ids.slugify("100 Things I've Learned: the Hard Way!") == "100-things-i-ve-learned-the-hard-way"
    assert ids.slugify("100 Things I\u2019ve Learned") == "100-things-i-ve-learned"  # a curly apostrophe too
    assert ids.slugify("Café au lait") == "cafe-au-lait"


def test_a_name_whose_slug_does_not_tell_it_apart_gets_a_hash_of_the_name():
    names = ["01-preface.md", "предисловие.md", "благодарности.md", "café.md", "cafe.md", "copyright.md", "謝辞.md"]
    found = ids.matter_ids(PartKind.FRONT, names)
    assert found[0] == "front-01-preface"
    assert all(re.fullmatch(r"front-([a-z]+-)?[0-9a-f]{8}", id_) for id_ in found[1:]), found
    assert [id_[:-9] for id_ in found[3:6]] == ["front-cafe", "front-cafe", "front-copyright"]
    assert len(set(found)) == len(found)
    assert ids.matter_ids(PartKind.FRONT, names) == found  # the same every time
    # A name as a file system that decomposes accents keeps it: the same id.
    assert ids.matter_ids(PartKind.BACK, [unicodedata.normalize("NFD", "café.md"), "cafe.md"]) == \
        ids.matter_ids(PartKind.BACK, ["café.md", "cafe.md"])


def test_two_files_whose_names_give_one_id_are_an_error(tmp_path):
    book = copy_book("refs", tmp_path / "book")
    (book / "manuscript" / "front").mkdir()
    for name in (unicodedata.normalize("NFC", "café.md"), unicodedata.normalize("NFD", "café.md")):
        (book / "manuscript" / "front" / name).write_text("---\ntitle: Café\n---\n\nText.\n", encoding="utf-8")
    problems = [str(p) for p in gather(book).problems if p.is_error]
    assert len(problems) == 1 and "would have the same id as manuscript/front/caf" in problems[0], problems
    assert "rename one of them" in problems[0]

"""Gather and the id scheme, on the fixture books, without rendering."""

from conftest import BOOKS, REPO

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
    assert ids.part_id(PartKind.CHAPTER, 45, "045-listen-first") == "c045"
    assert ids.part_id(PartKind.FRONT, None, "01-Introduction") == "front-01-introduction"
    assert ids.anchor("c045", "final-thoughts") == "c045-final-thoughts"
    assert ids.anchor("c012", "final-thoughts") != ids.anchor("c045", "final-thoughts")


def test_slug_is_the_lower_cased_title_with_runs_of_other_characters_as_dashes():
    assert ids.slugify("100 Things I've Learned: the Hard Way!") == "100-things-i-ve-learned-the-hard-way"
    assert ids.slugify("100 Things I\u2019ve Learned") == "100-things-i-ve-learned"  # a curly apostrophe too
    assert ids.slugify("Café au lait") == "cafe-au-lait"

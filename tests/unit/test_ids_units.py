"""bookbuild.ids in-process: the names of parts, anchors and edition files, the books'
identifiers and the date the editions carry. Hashes and UUIDs are computed here with the
standard library from the rules (README, "Choices where the contract is silent")."""

from __future__ import annotations

import datetime
import hashlib
import time
import unicodedata
import uuid

from bookbuild import ids
from bookbuild.model import Metadata, PartKind


def sha8(name: str) -> str:
    return hashlib.sha256(unicodedata.normalize("NFC", name).encode()).hexdigest()[:8]


def test_a_slug_is_lower_case_ascii_with_runs_of_anything_else_as_one_dash():
    assert ids.slugify("  Café au Lait: l\u2019été, 2nd ed.!  ") == "cafe-au-lait-l-ete-2nd-ed"
    assert ids.slugify("Ｆｕｌｌ\u2013width ﬁsh") == "full-width-fish"  # compatibility forms, then marks dropped
    assert ids.slugify("предисловие") == "" and ids.slugify("--a--") == "a"


def test_ids_of_chapters_anchors_and_epub_files():
    assert (ids.chapter_id(7), ids.chapter_id(45), ids.chapter_id(1234)) == ("c007", "c045", "c1234")
    assert ids.anchor("c045", "final-thoughts") == "c045-final-thoughts"
    assert ids.epub_file_name("front-01-preface") == "front-01-preface.xhtml"


def test_matter_ids_are_slugs_with_a_hash_where_the_slug_alone_does_not_tell_files_apart():
    names = ["01-preface.md", "предисловие.md", "café.md", "Cafe.md", "contents.md", "half-title.md", "Notes.txt"]
    assert ids.matter_ids(PartKind.FRONT, names) == [
        "front-01-preface", f"front-{sha8('предисловие.md')}", f"front-cafe-{sha8('café.md')}",
        f"front-cafe-{sha8('Cafe.md')}", f"front-contents-{sha8('contents.md')}",
        f"front-half-title-{sha8('half-title.md')}", "front-notes"]
    # a name kept decomposed by the file system gives the same id
    assert ids.matter_ids(PartKind.BACK, [unicodedata.normalize("NFD", "é.md"), "x.md"]) == ["back-e", "back-x"]
    assert ids.matter_ids(PartKind.BACK, ["image-credits.md"]) == [f"back-image-credits-{sha8('image-credits.md')}"]
    assert ids.GENERATED_PART_IDS == {"front-half-title", "front-title-page", "front-copyright", "front-contents",
                                      "back-image-credits"}


def test_each_edition_is_identified_by_its_isbn_else_by_a_uuid_of_title_and_authors():
    book = Metadata("Roots", ("Ann", "Bo"), "en")
    assert ids.book_identifier(book) == "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "book:Roots\nAnn\nBo"))
    assert ids.print_identifier(book) == "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "book:Roots\nAnn\nBo\nprint"))
    both = Metadata("Roots", ("Ann",), "en", isbn_epub="9780306406157", isbn_print="9781861972712")
    assert (ids.book_identifier(both), ids.print_identifier(both)) == ("urn:isbn:9780306406157", "urn:isbn:9781861972712")
    epub_only = Metadata("Roots", ("Ann",), "en", isbn_epub="9780306406157")
    assert ids.print_identifier(epub_only).startswith("urn:uuid:")


def test_file_names_of_the_editions_and_long_titles_cut_at_a_dash():
    assert [ids.edition_file_name("roots", e) for e in ("epub", "print", "screen")] == [
        "roots.epub", "roots-print.pdf", "roots-screen.pdf"]
    assert [ids.edition_file_name("roots", e, draft=True) for e in ("epub", "print")] == [
        "roots-draft.epub", "roots-draft-print.pdf"]
    assert ids.book_slug(Metadata("Water, Light & Soil", (), "en")) == "water-light-soil"
    assert ids.book_slug(Metadata("Всё", (), "ru")) == "book"
    assert ids.LONGEST_SLUG == 80
    assert ids.shortened("a" * 80) == "a" * 80
    assert ids.shortened("abc-defg-hij", 8) == "abc-defg"  # the dash just after the limit counts
    assert ids.shortened("abc-defgh-ij", 8) == "abc"
    assert ids.shortened("abcdefghij", 8) == "abcdefgh"  # no dash: cut
    assert ids.shortened("-bcdefghij", 8) == "-bcdefgh"  # only a leading dash: cut, not emptied
    assert ids.shortened("abcd-efgh", 9) == "abcd-efgh"  # exactly the limit: whole
    assert ids.shortened("abcdefghi-j", 8) == "abcdefgh"  # a dash past the limit is not a place to cut
    assert ids.shortened("-bcd-fghij", 8) == "bcd"  # no dash left at either end


def test_the_date_the_editions_carry(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert ids.build_date(Metadata("T", (), "en")) == datetime.datetime(2000, 1, 1)
    assert ids.build_date(Metadata("T", (), "en", date="2024-03-05")) == datetime.datetime(2024, 3, 5)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86461")
    monkeypatch.setenv("TZ", "America/New_York")  # the epoch is UTC wherever the build runs
    time.tzset()
    try:
        assert ids.build_date(Metadata("T", (), "en", date="2024-03-05")) == datetime.datetime(1970, 1, 2, 0, 1, 1)
    finally:
        monkeypatch.undo()
        time.tzset()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86461")
    assert ids.build_date(Metadata("T", (), "en", date="2024-03-05")) == datetime.datetime(1970, 1, 2, 0, 1, 1)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    assert ids.build_date(Metadata("T", (), "en", date="2024-03-05")) == datetime.datetime(2024, 3, 5)

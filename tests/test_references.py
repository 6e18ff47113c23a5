"""Choices the README makes where the contract is silent, about links between files:

- a link to a chapter file is matched by its number, so renaming a chapter's slug (or
  writing its number with other zeros) does not break links to it; links between files
  are resolved relative to the file that holds them;
- a link to a chapter that is a draft left out of this build is a warning, not an
  error: its text stays, unlinked; with ``--drafts`` it is an ordinary link.

Judged from the EPUB a reader gets (where each link goes) and the lines an author reads.
"""

from __future__ import annotations

import pytest
from conftest import XHTML, epub_names, epub_xhtml, run_build, text_of

FIRST = """---
title: First
---

An old name: [the twelfth](012-its-old-name.md).

Other zeros, a section: [its end](0012-another-name.md#the-end).

A draft by its file: [the draft](050-unfinished.md).

A draft by number: [[50]].
"""
PREFACE = """---
title: Preface
---

From the front matter, by an old name: [chapter twelve](../12-renamed.md#the-end).
"""


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    root = tmp_path_factory.mktemp("references") / "book"
    (root / "manuscript" / "front").mkdir(parents=True)
    (root / "metadata.yaml").write_text("title: Links by number\nauthor: Ann Linker\nlanguage: en-GB\ndate: 2026-01-02\n")
    (root / "manuscript" / "001-first.md").write_text(FIRST)
    (root / "manuscript" / "012-twelfth.md").write_text("---\ntitle: Twelfth\n---\n\nText.\n\n## The end\n\nThe end.\n")
    (root / "manuscript" / "050-unfinished.md").write_text("---\ntitle: Unfinished\ndraft: true\n---\n\nNot yet.\n")
    (root / "manuscript" / "front" / "01-preface.md").write_text(PREFACE)
    return root


def links(epub, document: str) -> list[tuple[str | None, str]]:
    """Every link of a document, (href, text), and every text a link was turned into (None, text)."""
    body = epub_xhtml(epub, document)
    found = [(a.get("href"), text_of(a)) for a in body.iter(f"{XHTML}a") if a.get("class") == "xref"]
    found += [(None, text_of(span)) for span in body.iter(f"{XHTML}span") if text_of(span) in ("the draft", "chapter 50")]
    return found


def test_a_link_to_a_chapter_file_is_matched_by_its_number(book, tmp_path):
    done = run_build("--book", book, "--out", tmp_path, "--formats", "epub")
    assert done.returncode == 0, done.stderr
    assert ("c012.xhtml#c012", "the twelfth") in links(tmp_path / "links-by-number.epub", "c001.xhtml")
    assert ("c012.xhtml#c012-the-end", "its end") in links(tmp_path / "links-by-number.epub", "c001.xhtml")
    assert links(tmp_path / "links-by-number.epub", "front-01-preface.xhtml") == [("c012.xhtml#c012-the-end", "chapter twelve")]


def test_a_link_to_a_draft_left_out_is_a_warning_and_plain_text(book, tmp_path):
    done = run_build("--book", book, "--out", tmp_path, "--formats", "epub")
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if ": warning: " in line]
    assert [line.split(" warning: ")[0] for line in warnings] == ["manuscript/001-first.md:9:22:", "manuscript/001-first.md:11:20:"]
    assert all("chapter 50 is a draft left out of this build" in line and "--drafts" in line for line in warnings)
    assert not any(": error: " in line for line in done.stderr.splitlines())
    epub = tmp_path / "links-by-number.epub"
    found = links(epub, "c001.xhtml")
    assert (None, "the draft") in found and (None, "chapter 50") in found  # the text stays, unlinked
    assert not [href for href, _ in found if href and "c050" in href] and "EPUB/c050.xhtml" not in epub_names(epub)


def test_with_drafts_a_link_to_a_draft_is_an_ordinary_link(book, tmp_path):
    done = run_build("--book", book, "--out", tmp_path, "--formats", "epub", "--drafts")
    assert done.returncode == 0, done.stderr
    assert ": warning: " not in done.stderr
    found = links(tmp_path / "links-by-number-draft.epub", "c001.xhtml")
    assert ("c050.xhtml#c050", "the draft") in found and ("c050.xhtml#c050", "50. Unfinished") in found

"""A book in each of seven languages reads as a book of its own language in every edition.

tests/books/languages/<tag> holds one short book each in English, French, German, Polish,
Greek, Russian and Japanese (the same two chapters: quotes within quotes, colons, a
question, a footnote, a cross-reference, long words). Each is built once (EPUB and print
PDF, and the download page) and judged on what a reader gets: the words the toolchain
writes itself, written out here as a reader of the language expects them (not read from
the toolchain's own tables); the quotation marks and no-break spaces; the drawn print page
(every glyph against its original font: no missing-glyph box; no line that begins with a
colon); hyphenation against the language's patterns (pyphen's dictionaries, none for
Japanese); EPUBCheck and Ace.
"""

from __future__ import annotations

import datetime
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree, html as lxml_html

from conftest import BOOKS, Built, build_book, epub_xhtml, epubcheck, epubcheck_summary, pdf_page_texts, run_build, text_of
from drawn import glyph_mismatches
from test_accessibility import ace_outcome
from typography import read_pages

NBSP, NNBSP = "\u00a0", "\u202f"


@dataclass(frozen=True)
class Expected:
    """What a reader of the language expects, written out by hand."""

    contents: str
    in_this_chapter: str
    page_reference: str  # after the cross-reference to chapter 2, which starts on page 3
    published: str  # the copyright page's publisher line
    authors: str  # the two authors, joined as the language joins them
    quotes: tuple[str, str]  # the outer quotation in chapter 1, as the EPUB carries it
    inner: tuple[str, str]
    download_heading: str  # the download page's "Which file to take"
    date: str  # 2026-11-01, as the download page writes it
    hyphenation: str | None  # pyphen's dictionary, None where the language does not hyphenate


EXPECTED = {
    "en": Expected("Contents", "In this chapter", "(page 3)", "Published by Potting Shed Press, 2026",
                   "Ada Lane and Ben Ross", ("\u201c", "\u201d"), ("\u2018", "\u2019"), "Which file to take",
                   "1 November 2026", "en_GB"),
    "fr": Expected("Table des matières", "Dans ce chapitre", "(page 3)", "Publié par Éditions du Potager, 2026",
                   "Camille Durand et Jules Martin", ("«" + NNBSP, NNBSP + "»"), ("\u201c", "\u201d"),
                   "Quel fichier choisir", "1 novembre 2026", "fr"),
    "de": Expected("Inhaltsverzeichnis", "In diesem Kapitel", "(Seite 3)", "Erschienen bei Verlag Gartenhaus, 2026",
                   "Lena Vogel und Jonas Weber", ("\u201e", "\u201c"), ("\u201a", "\u2018"), "Welche Datei Sie nehmen",
                   "1. November 2026", "de_DE"),
    "pl": Expected("Spis treści", "W tym rozdziale", "(s. 3)", "Wydawca: Wydawnictwo Ogród, 2026",
                   "Anna Nowak i Piotr Zieliński", ("\u201e", "\u201d"), ("«", "»"), "Który plik wybrać",
                   "1 listopada 2026", "pl_PL"),
    "el": Expected("Περιεχόμενα", "Σε αυτό το κεφάλαιο", "(σελ. 3)", "Έκδοση: Εκδόσεις Κήπος, 2026",
                   "Ελένη Παππά και Νίκος Γεωργίου", ("«", "»"), ("\u201c", "\u201d"), "Ποιο αρχείο να πάρετε",
                   "1 Νοεμβρίου 2026", "el_GR"),
    "ru": Expected("Содержание", "В этой главе", "(с. 3)", "Издатель: Издательство «Сад», 2026",
                   "Анна Иванова и Пётр Смирнов", ("«", "»"), ("\u201e", "\u201c"), "Какой файл выбрать",
                   "1 ноября 2026\u202fг.", "ru_RU"),
    "ja": Expected("目次", "この章の内容", "（3ページ）", "発行：緑の出版（2026年）", "山田花子、佐藤太郎",
                   ("「", "」"), ("『", "』"), "どのファイルを選ぶか", "2026年11月1日", None),
}
# What an English build writes itself, which no other language's editions may show.
ENGLISH = ("Contents", "In this chapter", "Published by", "(page ", "Cover of", "Start of content", "Which file to take",
           "Landmarks", "Title page", "Image credits", "reflows")
LANGUAGES = tuple(EXPECTED)


@pytest.fixture(scope="session", params=LANGUAGES)
def book(request, tmp_path_factory) -> tuple[str, Built]:
    """One language's book, its EPUB and print PDF (and the download page), built once."""
    language = request.param
    return language, build_book(BOOKS / "languages" / language, tmp_path_factory.mktemp(f"language-{language}"), None,
                                "--formats", "epub,print")


def _epub_texts(epub: Path) -> dict[str, str]:
    with zipfile.ZipFile(epub) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()
                if name.endswith((".xhtml", ".opf", ".ncx"))}


def _chapter_text(epub: Path, number: int) -> str:
    """A chapter's text as the EPUB has it, no-break spaces kept (``str.split`` would fold them)."""
    return re.sub(r"[ \t\n]+", " ", "".join(epub_xhtml(epub, f"c{number:03d}.xhtml").itertext()))


def test_the_words_the_toolchain_writes_are_in_the_books_language(book):
    language, built = book
    expected = EXPECTED[language]
    pages = pdf_page_texts(built.print_pdf)
    printed = "\n".join(pages)
    assert expected.contents in printed and expected.in_this_chapter in printed, printed[:2000]
    assert expected.page_reference.replace(" ", "") in printed.replace(" ", "").replace(NBSP, ""), printed
    assert expected.published in printed and expected.authors in printed
    nav = epub_xhtml(built.epub, "nav.xhtml")
    headings = [text_of(h) for h in nav.iter("{http://www.w3.org/1999/xhtml}h1", "{http://www.w3.org/1999/xhtml}h2")]
    assert headings[0] == expected.contents
    page = (built.out / "index.html").read_text(encoding="utf-8")
    assert f'<html lang="{BOOKS.joinpath("languages", language, "metadata.yaml").read_text().split("language: ")[1].split()[0]}"' in page
    assert expected.download_heading in page and expected.date in page, page[:3000]
    if language != "en":
        shown = [printed, page] + list(_epub_texts(built.epub).values())
        english = [word for word in ENGLISH if not (language == "fr" and word == "(page ")]  # French says "page" too
        leftovers = [(word, n) for n, text in enumerate(shown) for word in english if re.search(rf"\b{re.escape(word)}", text)]
        assert not leftovers, leftovers


def test_quotes_and_no_break_spaces_follow_the_languages_rules(book):
    language, built = book
    expected = EXPECTED[language]
    text = _chapter_text(built.epub, 1)
    opening, closing = expected.quotes
    assert opening in text and closing in text, text
    assert expected.inner[0] in text and expected.inner[1] in text, text
    assert '"' not in text and "'" not in text  # every straight quote became the language's
    if language == "fr":
        for mark in ":;!?»":
            for found in re.finditer(re.escape(mark), text):
                before = text[found.start() - 1]
                assert before in (NBSP, NNBSP), f"{mark!r} after {before!r}: {text[found.start() - 20:found.end()]!r}"
        assert "«" + NNBSP in text and "\u201cqui arrose trop noie\u201d" in _chapter_text(built.epub, 2)  # typed, kept
    drawn = [line for page in read_pages(built.print_pdf) for line in page if line.text.strip()]
    starting = [line.text for line in drawn if line.text.strip()[0] in (":;!?»" if language == "fr" else ":")]
    assert not starting, starting
    if language == "fr":
        # On the drawn page: before ; ! ? » and after «, the narrow no-break space, the same
        # width on every line (a word space would stretch with its line, or be missing where
        # the author typed "raison?"); before a colon, a space.
        narrow, colons = [], []
        for line in drawn:
            for a, b in zip(line.visible, line.visible[1:]):
                gap = (b.left - a.right) / b.size  # in ems
                if (b.text in ";!?»" and a.text not in ";!?") or a.text == "«":
                    narrow.append((a.text + b.text, round(gap, 3)))
                elif b.text == ":":
                    colons.append((a.text + b.text, round(gap, 3)))
        assert len(narrow) >= 10 and all(0.08 <= gap <= 0.16 for _, gap in narrow), narrow
        assert len({gap for _, gap in narrow}) == 1, narrow
        assert colons and all(gap >= 0.1 for _, gap in colons), colons


def test_every_glyph_is_drawn_from_a_font_that_has_it(book):
    """No missing-glyph box: each glyph the print PDF draws is the original font's glyph for
    its character (the body face, or the Noto, DejaVu or Symbola face that has it)."""
    language, built = book
    assert glyph_mismatches(built.print_pdf) == []


def test_hyphenation_follows_the_languages_patterns(book):
    import pyphen

    language, built = book
    dictionary = EXPECTED[language].hyphenation
    lines = [line.text.rstrip() for page in read_pages(built.print_pdf) for line in page if line.text.strip()]
    # The typesetter's hyphen; PDFium reads some as its own mark for a hyphen that breaks a word.
    hyphenated = [(line[:-1] + "\u2010", following) for line, following in zip(lines, lines[1:]) if line[-1:] in ("\u2010", "\x02")]
    if dictionary is None:
        assert not hyphenated
        return
    assert hyphenated, lines
    patterns = pyphen.Pyphen(lang=dictionary)
    for line, following in hyphenated:
        start = re.search(r"(\w+)\u2010$", line).group(1)
        end = re.match(r"\w+", following.lstrip()).group(0)
        word = start + end
        assert len(start) in patterns.positions(word), (word, len(start), patterns.inserted(word))


def test_epubcheck_and_ace_pass(book, tmp_path):
    language, built = book
    fatal, errors, warnings, messages = epubcheck_summary(epubcheck(built.epub))
    assert (fatal, errors, warnings) == (0, 0, 0), messages
    code, outcome, failures = ace_outcome(built.epub, tmp_path / "ace")
    assert code == 0 and outcome == "pass", failures


def _book(folder: Path, language: str, body: str, date: str | None = "2026-11-01") -> Path:
    (folder / "manuscript").mkdir(parents=True)
    (folder / "metadata.yaml").write_text(f"title: Kitabu\nauthor: Ada Lane\nlanguage: {language}\n"
                                          + (f"date: {date}\n" if date else ""), encoding="utf-8")
    (folder / "manuscript" / "001-one.md").write_text(f"---\ntitle: One\ncontents: true\n---\n\n{body}\n", encoding="utf-8")
    return folder


def test_a_language_without_translations_builds_in_english_with_one_warning(tmp_path):
    book = _book(tmp_path / "book", "sw", "Habari ya asubuhi. Karibu sana.\n\n## Sehemu\n\nMaji kidogo.")
    done = run_build("--book", book, "--out", tmp_path / "out", "--formats", "epub")
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if ": warning: " in line]
    assert len(warnings) == 1, done.stderr
    assert warnings[0].startswith("metadata.yaml:3:1: warning: no Swahili words for ")
    for word in ("'Contents'", "'In this chapter'", "'Title page'", "'Which file to take'"):
        assert word in warnings[0], warnings[0]
    epub = next((tmp_path / "out").glob("*.epub"))
    assert text_of(next(epub_xhtml(epub, "nav.xhtml").iter("{http://www.w3.org/1999/xhtml}h1"))) == "Contents"
    assert "In this chapter" in _chapter_text(epub, 1)


def test_a_character_no_font_has_is_an_error_naming_it_and_its_chapter(tmp_path):
    book = _book(tmp_path / "book", "en", "Plain words, then a sign from Sumer: \U00012000 and that is all.")
    done = run_build("check", "--book", book)
    assert done.returncode == 1
    assert ("manuscript/001-one.md:6:38: error: no font the editions use has \U00012000 (U+12000 CUNEIFORM SIGN A) "
            "(chapter 1)") in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_a_book_in_a_right_to_left_script_is_refused_in_one_line(tmp_path):
    book = _book(tmp_path / "book", "ar", "نص قصير.")
    done = run_build("check", "--book", book)
    assert done.returncode == 1
    assert [line for line in done.stderr.splitlines() if ": error: " in line] == [
        "metadata.yaml:3:1: error: `language: ar`: books in right-to-left scripts (Arabic) are not supported yet"]


def test_a_book_without_a_date_is_warned_and_prints_no_made_up_date(tmp_path):
    book = _book(tmp_path / "book", "en", "Words.", date=None)
    checked = run_build("check", "--book", book)
    built = run_build("--book", book, "--out", tmp_path / "out", "--formats", "epub")
    warning = "metadata.yaml:1:1: warning: no `date`: the editions print no publication date"
    assert warning in checked.stderr and warning in built.stderr, (checked.stderr, built.stderr)
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "<time" not in page
    epub = next((tmp_path / "out").glob("*.epub"))
    opf = epub_xhtml(epub, "content.opf")
    assert not opf.findall(".//{http://purl.org/dc/elements/1.1/}date")
    assert not re.search(r"\b(19|20)\d\d\b", "".join(epub_xhtml(epub, "front-copyright.xhtml").itertext()))


def test_init_dates_the_new_book_today(tmp_path):
    done = run_build("init", tmp_path / "new", "--title", "T", "--author", "A", "--language", "fr")
    assert done.returncode == 0, done.stderr
    metadata = (tmp_path / "new" / "metadata.yaml").read_text(encoding="utf-8")
    assert re.search(rf"^date: {datetime.date.today().isoformat()}\b", metadata, re.MULTILINE), metadata
    checked = run_build("check", "--book", tmp_path / "new")
    assert "no `date`" not in checked.stderr

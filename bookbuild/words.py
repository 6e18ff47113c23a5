"""Every word the toolchain writes itself, and the typography of the book's language.

The book's ``language`` decides them. The words come from two places, in this order:

- pandoc's own translation files (``translations/fr.yaml``), which ship inside the pandoc
  the toolchain already runs and are read from it at build time (``pandoc
  --print-default-data-file``), never copied: "Contents" and the other captions pandoc
  translates;
- the package's additions, one small file a language in ``bookbuild/translations/``, for
  what pandoc's files lack (``en.yaml`` has every key): the copyright page's lines, the
  EPUB's landmarks, the download page, the language's quotation marks and no-break spaces.

Dates, numbers, lists of names and plural forms come from Babel (CLDR's data). A language
without a word falls back to English for it, and ``missing_words`` names what is missing,
for one warning.
"""

from __future__ import annotations

import datetime
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

TRANSLATIONS = Path(__file__).with_name("translations")
BASE = "en"  # the language every other falls back to, word by word
# pandoc's keys that the toolchain writes, and its own name for each.
_PANDOC_KEYS = {"Contents": "contents"}


@dataclass(frozen=True)
class Typography:
    """How the language sets quotations and punctuation (``typography.lua`` applies it)."""

    quotes: tuple[str, str, str, str] = ("\u201c", "\u201d", "\u2018", "\u2019")  # “ ” then ‘ ’ inside
    # A no-break space before each of these marks, when the text has a space there or none
    # (French: a narrow one before ; ! ?, a full one before :), and inside « » typed by the author.
    space_before: tuple[tuple[str, str], ...] = ()
    space_inside_guillemets: str = ""
    # Written without spaces between words (Japanese, Chinese): pandoc's smart quotes, which
    # tell an opening quote by the space before it, cannot; ``typography.lua`` pairs them.
    unspaced: bool = False

    def as_rules(self) -> dict:
        return {"quotes": list(self.quotes), "before": dict(self.space_before), "guillemets": self.space_inside_guillemets,
                "unspaced": self.unspaced}


@dataclass(frozen=True)
class Words:
    """The words and typography of one language."""

    language: str  # the book's BCP 47 tag
    table: tuple[tuple[str, object], ...]  # key -> text (or, for a count, CLDR plural category -> text)
    missing: tuple[str, ...]  # the keys that fell back to English
    typography: Typography

    def __getitem__(self, key: str) -> str:
        return self.say(key)

    def say(self, key: str, **values: object) -> str:
        """The text of ``key`` with ``{name}`` filled in from ``values``."""
        text = dict(self.table)[key]
        if isinstance(text, dict):
            raise KeyError(f"{key} needs a count: use count()")
        return str(text).format(**values) if values else str(text)

    def count(self, key: str, n: int, **values: object) -> str:
        """The text of ``key`` for a count of ``n`` (its plural form in this language: "1 page",
        "2 strony", "5 stron"), with ``{n}`` and ``values`` filled in."""
        forms = dict(self.table)[key]
        if isinstance(forms, dict):
            form = self.locale.plural_form(n)
            text = forms.get(form, forms.get("other"))
        else:
            text = forms
        return str(text).format(n=values.pop("shown", self.number(n)), **values)

    @property
    def locale(self):
        from babel import Locale, UnknownLocaleError

        try:
            return Locale.parse(self.language, sep="-")
        except (UnknownLocaleError, ValueError):
            try:
                return Locale.parse(self.language.split("-")[0])
            except (UnknownLocaleError, ValueError):
                return Locale.parse(BASE)

    def number(self, value: float, digits: int = 0) -> str:
        """``1,234`` / ``1 234`` / ``1.234``: a number as the language writes it."""
        from babel.numbers import format_decimal

        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def date(self, day: datetime.date) -> str:
        """``1 November 2026``, ``1 novembre 2026``, ``2026年11月1日``."""
        from babel.dates import format_date

        return format_date(day, "long", locale=self.locale)

    def names(self, names: tuple[str, ...] | list[str]) -> str:
        """``A, B and C``, ``A, B et C``, ``A、B、C``."""
        from babel.lists import format_list

        return format_list(list(names), locale=self.locale) if names else ""

    def size(self, count: int) -> str:
        """``173 KB``, ``1,4 Mo``: sizes as readers say them (1 KB = 1024 bytes)."""
        if count < 1024:
            return self.count("bytes", count)
        if count < 1024 * 1024:
            return self.say("kilobytes", n=self.number(round(count / 1024)))
        return self.say("megabytes", n=self.number(count / 1024 / 1024, digits=1))

    def around(self, key: str, placeholder: str) -> tuple[str, str]:
        """The text of ``key`` before and after ``{placeholder}``: what CSS puts around a value
        it fills in itself. Spaces inside are no-break spaces; one leading space stays."""
        text = str(dict(self.table)[key])
        before, _, after = text.partition("{" + placeholder + "}")
        lead = " " if before.startswith(" ") else ""
        return lead + before[len(lead):].replace(" ", "\u00a0"), after.replace(" ", "\u00a0")


def words_for(language: str) -> Words:
    return _words(language or BASE)


@lru_cache(maxsize=None)
def _words(language: str) -> Words:
    base = _ours(BASE) | _from_pandoc(BASE)
    ours = _first_of(language, _ours)
    pandoc = _first_of(language, _from_pandoc)
    mine = ours | pandoc
    table = {key: mine.get(key, value) for key, value in base.items() if key != "typography"}
    missing = tuple(key for key in base if key != "typography" and key not in mine)
    typography = ours.get("typography") or base.get("typography") or {}
    return Words(language, tuple(table.items()), () if _primary(language) == BASE else missing, _typography(typography))


def missing_words(language: str) -> list[str]:
    """The English words a book in ``language`` is printed with, for want of its own."""
    found = words_for(language)
    english = dict(words_for(BASE).table)
    return [_shown(english[key]) for key in found.missing]


def _shown(text: object) -> str:
    if isinstance(text, dict):
        text = text.get("other", next(iter(text.values())))
    return str(text)


def language_name(language: str) -> str:
    """``French``: the language's English name, for messages."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(_primary(language)).get_display_name(BASE) or language
    except (UnknownLocaleError, ValueError):
        return f"`{language}`"


def _primary(language: str) -> str:
    return language.split("-")[0].lower()


def _first_of(language: str, read) -> dict:
    """What ``read`` finds for the whole tag (``pt-BR``), else for its language (``pt``)."""
    tags = [language] if "-" not in language else [language, _primary(language)]
    for tag in tags:
        found = read(tag)
        if found:
            return found
    return {}


@lru_cache(maxsize=None)
def _ours(tag: str) -> dict:
    path = TRANSLATIONS / f"{tag.lower()}.yaml"
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return dict(data.get("words", {})) | ({"typography": data["typography"]} if "typography" in data else {})


@lru_cache(maxsize=None)
def _from_pandoc(tag: str) -> dict:
    """pandoc's translations of the captions the toolchain writes, for ``tag`` (empty when
    pandoc has no file for it)."""
    import pypandoc

    try:
        done = subprocess.run([pypandoc.get_pandoc_path(), "--print-default-data-file", f"translations/{tag}.yaml"],
                              capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if done.returncode != 0:
        return {}
    try:
        data = yaml.safe_load(done.stdout.decode("utf-8")) or {}
    except yaml.YAMLError:
        return {}
    return {ours: str(data[theirs]) for theirs, ours in _PANDOC_KEYS.items() if isinstance(data, dict) and data.get(theirs)}


def _typography(data: dict) -> Typography:
    quotes = tuple(data.get("quotes", Typography.quotes))
    before = tuple((mark, space) for mark, space in (data.get("space_before") or {}).items())
    return Typography(quotes if len(quotes) == 4 else Typography.quotes, before, data.get("space_inside_guillemets", ""),
                      bool(data.get("unspaced", False)))

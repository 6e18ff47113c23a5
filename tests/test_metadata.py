"""metadata.yaml: what is accepted, and what is refused with a message at its line."""

import pytest

from bookbuild.metadata import parse_metadata, read_yaml


def check(text: str):
    doc, problems = read_yaml(text, "metadata.yaml")
    assert doc is not None, problems
    metadata, problems = parse_metadata(doc, "metadata.yaml", problems)
    return metadata, [str(p) for p in problems if p.is_error]


BOOK = 'title: "A Book"\nauthor: "Ada Tester"\n'


@pytest.mark.parametrize("tag", ["en-GB", "fr", "de-CH", "en-US-u-ca-gregory", "x-klingon", "zh-Hant-TW", "sr-Latn",
                                 "en-GB-oxendict", "es-419", '"no"'])
def test_language_tags_in_the_registry_are_accepted(tag):
    metadata, errors = check(BOOK + f"language: {tag}\n")
    assert errors == [] and metadata.language == tag.strip('"')


@pytest.mark.parametrize("tag, says", [
    ("zz", "`language: zz` names no registered language"),
    ("en-YY", "`language: en-YY` names no registered language"),
    ("en_GB", "`language: en_GB` is not a BCP 47 tag"),
    ("english", "`language: english` is not a BCP 47 tag"),
    ("en-", "`language: en-` is not a BCP 47 tag"),
])
def test_other_language_tags_are_refused_at_their_line(tag, says):
    metadata, errors = check(BOOK + f"language: {tag}\n")
    assert metadata is None
    assert len(errors) == 1 and errors[0].startswith("metadata.yaml:3:1: error: " + says) and "en-GB" in errors[0]


def test_an_isbn_13_starts_with_978_or_979():
    metadata, errors = check(BOOK + "language: en\nisbn: {epub: 978-0-00-000000-2, print: 979-1-00-000000-8}\n")
    assert errors == [] and (metadata.isbn_epub, metadata.isbn_print) == ("9780000000002", "9791000000008")
    metadata, errors = check(BOOK + "language: en\nisbn:\n  epub: 9800000000001\n")
    assert errors == ["metadata.yaml:5:3: error: `isbn.epub: 9800000000001` is not an ISBN-13: "
                      "every ISBN-13 starts with 978 or 979"]


@pytest.mark.parametrize("line, key, word", [("title: yes", "title", "yes"), ("author: on", "author", "on"),
                                             ("language: no", "language", "no"), ("subtitle: Off", "subtitle", "Off"),
                                             ("date: true", "date", "true")])
def test_a_yes_or_no_where_text_belongs_is_refused_with_the_quotes_to_add(line, key, word):
    lines = [f"{k}: {v}" for k, v in (("title", "A Book"), ("author", "Ada"), ("language", "en")) if k != key] + [line]
    metadata, errors = check("\n".join(lines) + "\n")
    value = "true" if word.lower() in ("yes", "on", "true") else "false"
    assert errors == [f"metadata.yaml:{len(lines)}:1: error: `{key}: {word}` is YAML for {value}, not text: "
                      f'put the value in quotes: `{key}: "{word}"`']


def test_a_yes_or_no_in_a_list_of_authors_or_subjects_is_refused_where_it_stands():
    metadata, errors = check('title: "A Book"\nauthor:\n  - Ada\n  - yes\nlanguage: en\nsubjects: [Gardening, no]\n')
    assert errors == ['metadata.yaml:4:5: error: `author: yes` is YAML for true, not text: '
                      'put the value in quotes: `"yes"`',
                      'metadata.yaml:6:23: error: `subjects: no` is YAML for false, not text: '
                      'put the value in quotes: `"no"`']


# --- YAML mistakes, each located where it was made ---------------------------------------------

INIT_METADATA = """title: Test Book
author: A B
language: en-GB

# Optional keys (remove the # to use one; README.md lists them all):
# subtitle: "A subtitle"
# description: "Two or three sentences for the download page and e-book shops."
"""


def yaml_error(text: str) -> str:
    doc, problems = read_yaml(text, "metadata.yaml")
    assert doc is None and len(problems) == 1, problems
    return str(problems[0])


@pytest.mark.parametrize("quote", ['"', "'"])
def test_an_unclosed_quote_is_reported_where_it_opens(quote):
    """With a double quote, YAML reads on to the quote in the comment on line 6 and fails there
    (it said 6:14 once); with a single one, to the end of the file."""
    text = INIT_METADATA.replace("title: Test Book", f"title: {quote}Test Book")
    says = {'"': "is not closed on its line (YAML read on to the next \" on line 6)", "'": "is never closed"}[quote]
    assert yaml_error(text).startswith(f"metadata.yaml:1:8: error: invalid YAML: the quote opened here {says}: close it")


def test_a_quote_never_closed_and_a_bracket_never_closed_are_reported_where_they_open():
    assert yaml_error('title: "Test\nauthor: A\n').startswith(
        "metadata.yaml:1:8: error: invalid YAML: the quote opened here is never closed")
    assert yaml_error(INIT_METADATA.replace("language: en-GB", "language: [en-GB")).startswith(
        "metadata.yaml:3:11: error: invalid YAML: the `[` opened here is never closed")
    assert yaml_error("title: T\nauthor: {name: A\nlanguage: en\n").startswith(
        "metadata.yaml:2:9: error: invalid YAML: the `{` opened here is never closed")


def test_an_indented_key_gets_the_hint_about_indentation_not_about_colons():
    message = yaml_error(INIT_METADATA.replace("author: A B", "  author: A B"))
    assert message.startswith("metadata.yaml:2:3: error: invalid YAML: `author:` is indented more than the key above it")
    assert "same column" in message and "quotes" not in message
    nested = yaml_error("title: T\nprint:\n  trim: 6in 9in\n    bleed: 3mm\n")
    assert nested.startswith("metadata.yaml:4:5: error: invalid YAML: `bleed:` is indented more")


def test_a_colon_in_a_value_gets_the_hint_about_quotes():
    message = yaml_error(INIT_METADATA.replace("title: Test Book", "title: Test: Book"))
    assert message == ("metadata.yaml:1:12: error: invalid YAML: mapping values are not allowed here "
                       "(a value containing `: ` must be in quotes)")


def test_a_multi_line_quoted_value_is_yaml():
    doc, problems = read_yaml('title: "A title\n  on two lines"\nauthor: A\nlanguage: en\n', "metadata.yaml")
    assert problems == [] and doc.data["title"] == "A title on two lines"


def test_downloads_print_is_true_or_false_at_its_line():
    metadata, errors = check(BOOK + "language: en\ndownloads: {print: true}\n")
    assert errors == [] and metadata.downloads_print is True
    metadata, errors = check(BOOK + "language: en\n")
    assert errors == [] and metadata.downloads_print is False
    assert check(BOOK + "language: en\ndownloads:\n  print: sometimes\n")[1] == [
        "metadata.yaml:5:3: error: `downloads.print: sometimes` must be true or false"]
    assert check(BOOK + "language: en\ndownloads: yes\n")[1] == [
        "metadata.yaml:4:1: error: `downloads` must be a mapping, e.g. `downloads: {print: true}`"]
    doc, problems = read_yaml(BOOK + "language: en\ndownloads: {prnt: true}\ndate: 2026-01-02\n", "metadata.yaml")
    metadata, problems = parse_metadata(doc, "metadata.yaml", problems)
    assert [str(p) for p in problems] == ["metadata.yaml:4:13: warning: unknown key `downloads.prnt` is ignored "
                                          "(did you mean `downloads.print`?)"]

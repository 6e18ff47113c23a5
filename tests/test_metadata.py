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

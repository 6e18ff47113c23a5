"""bookbuild.model in-process: a problem is one line whatever its path or message holds,
the hint for a name nearly right, and which problems stop a build (all, sorted, in one
BookError)."""

from __future__ import annotations

import pytest

from bookbuild.model import BookError, Problem, Severity, did_you_mean, error, raise_if_errors, warning


def test_a_problem_is_one_line_with_what_would_break_or_reorder_it_escaped():
    unshowable = "\x00\n\x1f\x7f\x85\x9f\u061c\u200e\u200f\u2028\u2029\u202a\u202e\u2066\u2069"
    line = str(error(f"front/a{unshowable}b.md", 3, 7, f"bad {unshowable} here: é ß 中 \u200d"))
    escapes = "".join(c.encode("unicode_escape").decode("ascii") for c in unshowable)
    assert escapes == r"\x00\n\x1f\x7f\x85\x9f\u061c\u200e\u200f\u2028\u2029\u202a\u202e\u2066\u2069"
    assert line == f"front/a{escapes}b.md:3:7: error: bad {escapes} here: é ß 中 \u200d"
    assert str(warning("x.md", 1, 2, "w")) == "x.md:1:2: warning: w"
    assert "\n" not in line and "\u202e" not in line


def test_a_name_nearly_right_gets_a_hint():
    assert did_you_mean("autor", ["title", "author", "authors"]) == " (did you mean `author`?)"
    assert did_you_mean("pirnt", {"print": 1}, lambda n: f"'{n}:'") == " (did you mean 'print:'?)"
    assert did_you_mean("xyz", ["title", "author"]) == ""
    assert did_you_mean("ab", ["abcde"]) == ""  # 0.57 alike: under 0.6, no hint
    assert did_you_mean("ab", ["abcd"]) == " (did you mean `abcd`?)"  # 0.67 alike
    assert did_you_mean("abcd", ["abcx", "abcd"]) == " (did you mean `abcd`?)"  # the closest only


def test_errors_stop_a_build_with_every_problem_sorted_and_warnings_only_when_strict():
    late, early = error("b.md", 9, 1, "second"), error("a.md", 2, 5, "first")
    note = warning("a.md", 1, 1, "a warning")
    with pytest.raises(BookError) as raised:
        raise_if_errors([late, note, early])
    assert raised.value.problems == (note, early, late)
    assert str(raised.value) == "a.md:1:1: warning: a warning\na.md:2:5: error: first\nb.md:9:1: error: second"
    raise_if_errors([note])  # a warning alone does not stop it
    raise_if_errors([])
    with pytest.raises(BookError) as strict:
        raise_if_errors([note], strict=True)
    assert strict.value.problems == (Problem("a.md", 1, 1, Severity.ERROR, "a warning"),)
    assert [p.is_error for p in (note, early)] == [False, True]

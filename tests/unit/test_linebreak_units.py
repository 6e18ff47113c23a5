"""bookbuild.linebreak in-process: a paragraph's breaks chosen all together, as TeX chooses
them, on paragraphs measured by hand (each word a box of its letters' count in points, a
space 1 point that may stretch by 1/2 and shrink by 1/3)."""

from __future__ import annotations

import math

import pytest

from bookbuild.linebreak import FORCED, Opportunity, Settings, break_lines

SPACE, STRETCH, SHRINK = 1.0, 0.5, 1 / 3


def paragraph(text: str, hyphens: dict[str, tuple[int, ...]] | None = None) -> tuple[list[Opportunity], list[str]]:
    """The opportunities of ``text``: a break at each space, and inside a word where
    ``hyphens`` says (after that many letters; a hyphen is 1 point wide). Also, for each
    opportunity, what ends the line there (for reading the results)."""
    hyphens = hyphens or {}
    found, names = [], []
    x, spaces = 0.0, 0
    words = text.split()
    for n, word in enumerate(words):
        for point in hyphens.get(word, ()):
            found.append(Opportunity(x + point + 1, x + point, spaces, spaces, 50, True))
            names.append(word[:point] + "-")
        x += len(word)
        if n == len(words) - 1:
            found.append(Opportunity(x, x, spaces, spaces, FORCED))
            names.append(word + ".")
        else:
            found.append(Opportunity(x, x + SPACE, spaces, spaces + 1))
            names.append(word)
            x += SPACE
            spaces += 1
    return found, names


def settings(**changes) -> Settings:
    return Settings(stretch=STRETCH, shrink=SHRINK, **changes)


def lines_of(text: str, width: float, hyphens=None, **changes) -> list[str] | None:
    opportunities, names = paragraph(text, hyphens)
    lines = break_lines(opportunities, width, settings(**changes))
    return None if lines is None else [names[line.end] for line in lines]


def brute_force(opportunities: list[Opportunity], width: float, s: Settings) -> list[tuple[float, tuple[int, ...]]]:
    """Every feasible set of breaks and its demerits, by trying them all: TeX's rules for
    one line (badness, fitness, penalties) applied to each, with nothing remembered
    between them, so a search that misses the best set is caught."""
    last = len(opportunities) - 1
    found = []
    for mask in range(1 << last):
        ends = [n for n in range(last) if mask >> n & 1] + [last]
        total, feasible, previous, fitness_before, run = 0.0, True, None, 1, 0
        for index, end in enumerate(ends):
            to = opportunities[end]
            start_width = opportunities[previous].width_after if previous is not None else 0.0
            start_spaces = opportunities[previous].spaces_after if previous is not None else 0
            natural, spaces = to.width_before - start_width, to.spaces_before - start_spaces
            final = end == last
            if to.penalty == math.inf:
                feasible = False
                break
            if natural <= width:
                ratio = 0.0 if final or natural == width else ((width - natural) / (spaces * s.stretch) if spaces else math.inf)
            else:
                ratio = (width - natural) / (spaces * s.shrink) if spaces else -math.inf
            badness = min(10_000, 100 * abs(ratio) ** 3) if ratio != math.inf else 10_000
            run = run + 1 if to.hyphen else 0
            if ratio < -1 or (ratio > 0 and badness > s.tolerance) or run > s.hyphens_in_a_row \
                    or (to.hyphen and index in s.no_hyphen_after_line):
                feasible = False
                break
            demerits = (s.line_penalty + badness) ** 2 + (to.penalty ** 2 if 0 < to.penalty < math.inf else 0)
            origin_hyphen = previous is not None and opportunities[previous].hyphen
            if origin_hyphen and to.hyphen:
                demerits += s.double_hyphen_demerits
            if origin_hyphen and final:
                demerits += s.final_hyphen_demerits
            fitness = 0 if ratio < -0.5 else 1 if ratio <= 0.5 else 2 if ratio <= 1 else 3
            if abs(fitness - fitness_before) > 1:
                demerits += s.adjacent_demerits
            total += demerits
            previous, fitness_before = end, fitness
        if feasible:
            found.append((total, tuple(ends)))
    return found


def random_paragraph(rng) -> list[Opportunity]:
    words = ["x" * rng.randint(1, 9) for _ in range(rng.randint(3, 9))]
    hyphens = {word: tuple(sorted(rng.sample(range(2, len(word) - 1), min(2, len(word) - 3))))
               for word in words if len(word) >= 5}
    return paragraph(" ".join(words), hyphens)[0]


def test_the_breaks_are_those_of_least_demerits_among_all_sets():
    import random

    rng = random.Random(19)
    checked = 0
    for _ in range(200):
        opportunities = random_paragraph(rng)
        if len(opportunities) > 12:
            continue
        width = rng.uniform(6, 22)
        for s in (settings(), settings(tolerance=math.inf), settings(tolerance=math.inf, hyphens_in_a_row=1),
                  settings(tolerance=1000, no_hyphen_after_line=frozenset({0, 1}))):
            every = brute_force(opportunities, width, s)
            lines = break_lines(opportunities, width, s)
            if not every:
                assert lines is None
                continue
            best = min(total for total, _ in every)
            assert lines is not None
            assert lines[-1].demerits == pytest.approx(best)
            assert (lines[-1].demerits, tuple(line.end for line in lines)) in [(pytest.approx(t), e) for t, e in every]
            checked += 1
    assert checked > 250


def test_looseness_takes_the_best_set_with_a_line_more():
    import random

    rng = random.Random(7)
    checked = 0
    for _ in range(150):
        opportunities = random_paragraph(rng)
        if len(opportunities) > 12:
            continue
        width = rng.uniform(8, 20)
        s = settings(tolerance=math.inf)
        every = brute_force(opportunities, width, s)
        best = break_lines(opportunities, width, s)
        looser = break_lines(opportunities, width, settings(tolerance=math.inf, looseness=1))
        more = [total for total, ends in every if len(ends) == len(best) + 1]
        if more:
            assert len(looser) == len(best) + 1
            assert looser[-1].demerits == pytest.approx(min(more))
            checked += 1
    assert checked > 30


def test_all_lines_are_chosen_together_not_one_at_a_time():
    # One line at a time, "aaaa bb c" fills the first line exactly and leaves "d eeee" to
    # stretch its one space by 6 times what it may (4 points); chosen together, the first
    # line gives "c" to the second and no space stretches more than 4 times.
    text = "aaaa bb c d eeee fff gg"
    assert lines_of(text, 9, tolerance=10_000) == ["bb", "eeee", "gg."]
    opportunities, _ = paragraph(text)
    ratios = [line.ratio for line in break_lines(opportunities, 9, settings(tolerance=10_000))]
    assert ratios == [4.0, 1.0, 0.0]


def test_spaces_shrink_but_never_more_than_they_can():
    # "aaaa bbbb" is 9 points: at a width of 8.7 its one space shrinks by 0.3 (of 1/3).
    opportunities, names = paragraph("aaaa bbbb cc")
    lines = break_lines(opportunities, 8.7, settings())
    assert [names[line.end] for line in lines] == ["bbbb", "cc."]
    assert lines[0].ratio == pytest.approx(-0.3 / SHRINK)
    # At 8.6 the space would have to shrink by 0.4: "aaaa" goes alone instead.
    assert [names[line.end] for line in break_lines(opportunities, 8.6, settings(tolerance=10_000))][0] == "aaaa"


def test_the_last_line_is_not_justified():
    opportunities, _ = paragraph("aaaa bb")
    lines = break_lines(opportunities, 40, settings())
    assert len(lines) == 1 and lines[0].ratio == 0


def test_no_lines_within_the_tolerance_is_said():
    # One word wider than the measure: no set of breaks can hold it.
    assert lines_of("aa bbbbbbbbbbbb cc", 8, tolerance=math.inf) is None
    # Two words that can only be set very loose: refused at 200, set at any badness.
    assert lines_of("aaaa bbbb", 5) is None
    assert lines_of("aaaa bbbb", 5, tolerance=math.inf) == ["aaaa", "bbbb."]


def test_a_line_that_ends_a_page_is_kept_whole():
    text = "aaaaaa bbbbbbbb cccc"
    hyphens = {"bbbbbbbb": (4,)}
    assert lines_of(text, 12, hyphens) == ["bbbb-", "cccc."]
    assert "bbbb-" not in lines_of(text, 12, hyphens, no_hyphen_after_line=frozenset({0}), tolerance=math.inf)


def test_a_balanced_title_has_its_fewest_lines_each_as_long_as_can_be():
    from bookbuild.linebreak import balanced_lines

    # Filled one line at a time, the last word is alone: "aaaa bbb ccc dd" / "ee".
    opportunities, names = paragraph("aaaa bbb ccc dd ee")
    lines = balanced_lines(opportunities, 15)
    assert [names[line.end] for line in lines] == ["bbb", "ee."]
    # As many lines as greedy filling needs, never more.
    assert len(balanced_lines(opportunities, 18)) == 1
    assert balanced_lines(paragraph("aaaaaaaaaaaaaaaaaaaa b")[0], 10) is None

"""Breaking a paragraph into lines all at once, as TeX does (Knuth and Plass, "Breaking
Paragraphs into Lines", 1981), rather than one line at a time.

Pure: a paragraph is given as its break opportunities, already measured with the fonts
the layout draws with (``editions/paragraphs.py`` measures them in WeasyPrint); what comes
back is where each line ends and how much its spaces stretch or shrink. No WeasyPrint
here, so it is tested and timed on its own.

The model is TeX's with the glue of a line reduced to its spaces: a line from one break
to the next has a natural width, and ``spaces`` justifiable spaces, each of which may
stretch by ``stretch`` and shrink by ``shrink`` (both in points). The badness of a line
is 100 r³, where r is how much of its stretch (or shrink) it needs; a line that would
shrink more than it can is never chosen. Demerits add up over the paragraph, and the
breaks with the fewest win.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FORCED = -math.inf  # the penalty of a break that must be taken (the end of the paragraph)
_INFINITELY_BAD = 10_000


@dataclass(frozen=True)
class Opportunity:
    """A place where a line may end, measured from the paragraph's start (its left edge, so
    a first line's indent is inside the widths)."""

    width_before: float  # natural width up to the end of a line broken here (a hyphen included)
    width_after: float  # where the next line's text starts (after the space the break takes)
    spaces_before: int  # justifiable spaces before the end of a line broken here
    spaces_after: int  # ... before the start of the next line
    penalty: float = 0.0  # the cost of breaking here (hyphens), FORCED at the paragraph's end
    hyphen: bool = False  # a line broken here ends with a hyphen (TeX's "flagged" penalty)


@dataclass(frozen=True)
class Settings:
    """TeX's parameters, named as there (plain TeX's values, unless said)."""

    stretch: float  # points a space may grow
    shrink: float  # points a space may give up
    tolerance: float = 200  # the worst badness allowed
    line_penalty: float = 10
    double_hyphen_demerits: float = 10_000  # two hyphenated lines in a row
    final_hyphen_demerits: float = 5_000  # the last full line hyphenated
    adjacent_demerits: float = 10_000  # a tight line beside a loose one (TeX's \adjdemerits)
    hyphens_in_a_row: int = 2  # more consecutive hyphenated lines than this are never set
    looseness: int = 0  # lines more (or fewer) than the best, when it can be done
    no_hyphen_after_line: frozenset[int] = frozenset()  # lines (from 0) that may not end with a hyphen


@dataclass(frozen=True)
class Line:
    end: int  # index of the opportunity the line ends at
    ratio: float  # how much of its stretch (> 0) or shrink (< 0) the line uses
    hyphen: bool
    demerits: float = 0.0  # of the paragraph up to this line, this line's included


def break_lines(opportunities: list[Opportunity], width: float, settings: Settings) -> list[Line] | None:
    """The lines of the paragraph, or None when no set of breaks keeps every line within
    ``settings.tolerance`` (the caller tries again more tolerant, or lets the layout
    engine break greedily). The last opportunity is the paragraph's end."""
    if not opportunities:
        return []
    last = len(opportunities) - 1
    stretch, shrink, tolerance = settings.stretch, settings.shrink, settings.tolerance
    line_penalty, adjacent = settings.line_penalty, settings.adjacent_demerits
    double_hyphen, final_hyphen = settings.double_hyphen_demerits, settings.final_hyphen_demerits
    most_hyphens, barred = settings.hyphens_in_a_row, settings.no_hyphen_after_line
    by_line = bool(barred) or settings.looseness != 0
    # A node: (opportunity index, lines before it, fitness, hyphens in a row, demerits, ratio,
    # the node before); the paragraph's start is the opportunity -1.
    start = (-1, 0, 1, 0, 0.0, 0.0, None)
    active: list[tuple] = [start]
    for b, to in enumerate(opportunities):
        penalty = to.penalty
        if penalty == math.inf:
            continue
        final = b == last
        width_before, spaces_before, hyphen = to.width_before, to.spaces_before, to.hyphen
        best: dict[tuple, tuple] = {}
        still_active = []
        for node in active:
            position = node[0]
            if position >= 0:
                origin = opportunities[position]
                natural = width_before - origin.width_after
                spaces = spaces_before - origin.spaces_after
                origin_hyphen = origin.hyphen
            else:
                natural, spaces, origin_hyphen = width_before, spaces_before, False
            if natural < width:
                if final:
                    ratio = 0.0  # the last line is not justified (TeX's \parfillskip)
                else:
                    ratio = (width - natural) / (spaces * stretch) if spaces and stretch else math.inf
            elif natural > width:
                ratio = (width - natural) / (spaces * shrink) if spaces and shrink else -math.inf
                if ratio < -1:
                    continue  # too long already: every later line from this node is too (deactivated)
            else:
                ratio = 0.0
            still_active.append(node)
            badness = 100 * abs(ratio) ** 3 if ratio != math.inf else _INFINITELY_BAD
            if badness > _INFINITELY_BAD:
                badness = _INFINITELY_BAD
            if ratio > 0 and badness > tolerance:
                continue
            hyphens = node[3] + 1 if hyphen else 0
            if hyphens > most_hyphens or (hyphen and node[1] in barred):
                continue
            demerits = (line_penalty + badness) ** 2
            if penalty > 0:
                demerits += penalty * penalty
            elif penalty != FORCED and penalty < 0:
                demerits -= penalty * penalty
            if origin_hyphen and (hyphen or final):
                demerits += double_hyphen if hyphen else final_hyphen
            fitness = 0 if ratio < -0.5 else 1 if ratio <= 0.5 else 2 if ratio <= 1 else 3
            if fitness - node[2] > 1 or node[2] - fitness > 1:
                demerits += adjacent
            total = node[4] + demerits
            key = (fitness, hyphens, node[1] + 1 if by_line else 0)
            found = best.get(key)
            if found is None or total < found[4]:
                best[key] = (b, node[1] + 1, fitness, hyphens, total, ratio, node)
        active = still_active
        if penalty == FORCED and not final:
            active = []  # a forced break ends every line that could run past it
        active.extend(best.values())
        if not active:
            return None
    ends = [node for node in active if node[0] == last]
    if not ends:
        return None
    chosen = min(ends, key=lambda n: n[4])
    if settings.looseness:
        wanted = chosen[1] + settings.looseness
        chosen = min(ends, key=lambda n: (abs(n[1] - wanted), n[4]))
    lines = []
    node = chosen
    while node is not None and node[0] >= 0:
        lines.append(Line(node[0], node[5], opportunities[node[0]].hyphen, node[4]))
        node = node[6]
    return lines[::-1]


def balanced_lines(opportunities: list[Opportunity], width: float) -> list[Line] | None:
    """Lines for a title or a heading set ragged: as few as ``width`` allows, as even as
    they can be (CSS's ``text-wrap: balance``): the narrowest measure that keeps the line
    count, filled one line at a time. None when a line cannot fit ``width``."""

    def greedy(measure: float) -> list[int] | None:
        ends, origin, b = [], None, 0
        while b < len(opportunities):
            start = opportunities[origin].width_after if origin is not None else 0.0
            furthest = None
            for n in range(b, len(opportunities)):
                if opportunities[n].width_before - start > measure + 1e-9:
                    break
                if opportunities[n].penalty != math.inf:
                    furthest = n
                if opportunities[n].penalty == FORCED:
                    break
            if furthest is None:
                return None
            ends.append(furthest)
            origin, b = furthest, furthest + 1
        return ends

    fewest = greedy(width)
    if fewest is None:
        return None
    low, high = 0.0, width
    for _ in range(30):  # a thirtieth halving is far below a glyph's width
        middle = (low + high) / 2
        ends = greedy(middle)
        if ends is not None and len(ends) <= len(fewest):
            high = middle
        else:
            low = middle
    return [Line(end, 0.0, opportunities[end].hyphen) for end in greedy(high)]

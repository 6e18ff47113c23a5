"""WeasyPrint made to break justified paragraphs where ``linebreak`` chose.

WeasyPrint breaks a paragraph one line at a time, each line as full as it can be (a
browser's way), and justifies by widening spaces only. This module takes over, for the
length of one layout, at the two places that decide a line (WeasyPrint 70, pinned):

- before a paragraph's first line is laid out, the whole paragraph is laid out once as
  a single line of unlimited width (``split_inline_box``, WeasyPrint's own inline layout:
  the same fonts, shaping, inline elements, generated text and footnote calls as the
  real lines), every place a line may end is measured on it (Pango's line-break
  opportunities, and hyphenation points from the same dictionary WeasyPrint uses), and
  ``linebreak.break_lines`` chooses all the breaks together;
- each line is then laid out by WeasyPrint as usual, but with its right edge moved to
  where the chosen line ends, so that its own greedy breaking stops exactly there, and
  justified to the real width, shrinking its spaces where the line was chosen a little
  too long (as TeX may).

Every line is checked against the plan; where WeasyPrint ended a line elsewhere (a
measurement off by more than ``_EPSILON``), the rest of the paragraph is planned again
from where it really is. A paragraph the plan cannot cover (floats beside it, preserved
line breaks, a word wider than the column, text in a script written without spaces, such
as Japanese) is left to WeasyPrint.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from .. import linebreak
from ..linebreak import Opportunity, Settings

_EPSILON = 1.5  # CSS pixels: the slack a line's right edge is given over its measured width (no word is
# that narrow, so none more fits; the line's end itself is cut where planned, see _split_text_box_as_planned)
HYPHEN_PENALTY = 50  # TeX's \hyphenpenalty and \exhyphenpenalty
_SPACES = (" ", "\u00a0")  # what WeasyPrint widens to justify a line
_EXPLICIT_HYPHENS = ("-", "\u2010")
_WORD = re.compile(r"[^\W\d_]+")
_OBJECT = "\ufffc"  # an atomic inline (an image in the text) in the paragraph's text
# Scripts written without spaces between words (Chinese, Japanese kana and kanji, Thai, ...):
# their lines may end between any two characters, where the glue of a space is not (WeasyPrint
# justifies by widening spaces only). A paragraph with them is left to WeasyPrint, whose line
# breaking follows Unicode's rules for them (no line begins with 。、」).
_UNSPACED = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
                       "\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]")


@dataclass(frozen=True)
class Typography:
    """How paragraphs are set: the shape of a space's glue, and TeX's tolerances."""

    stretch: float = 1 / 2  # of a space's width (XeTeX's default for OpenType fonts)
    shrink: float = 1 / 3
    pretolerance: float = 100  # first try without hyphens, at this badness (TeX's \pretolerance)
    tolerance: float = 200  # then with hyphens
    emergency_tolerance: float = 2000  # then looser lines
    # and last, any stretch at all, rather than WeasyPrint's line at a time
    stub_letters: int = 4  # a word's end on a paragraph's last line alone has at least this many letters


@dataclass
class _Paragraph:
    """A paragraph measured once: its text, where lines may end, and the plan."""

    text: str
    xs: list[float]  # where each character starts, from the paragraph's left edge, and where it ends
    offsets: list[int]  # the position (see ``_position``) of each character, and of the end
    opportunities: list[Opportunity]  # in text order, the last the paragraph's end
    at_char: list[int]  # the character index each opportunity's next line starts at
    width: float
    settings: Settings
    text_starts: dict[int, int]  # id of each of its text boxes -> the position its text starts at
    plan: dict[int, _PlannedLine] = field(default_factory=dict)  # by the position the line starts at
    balanced: bool = False  # a title or heading set ragged, its lines as even as they can be


@dataclass(frozen=True)
class _PlannedLine:
    end: int  # the position the next line starts at
    edge: float  # the line's right edge, from the paragraph's left edge
    hyphen: bool
    index: int  # the line's number in the paragraph, from 0


class ParagraphSetter:
    """The paragraphs of one layout, planned as they come."""

    def __init__(self, typography: Typography, no_hyphen_lines: dict[tuple[str, int], frozenset[int]],
                 looser: dict[tuple[str, int], int], block_of: dict[int, tuple[str, int]]):
        self.typography = typography
        self.no_hyphen_lines = no_hyphen_lines  # (part id, block) -> lines that may not end with a hyphen
        self.looser = looser  # (part id, block) -> lines more than its best (to fill a page)
        self.block_of = block_of  # id of a block's element -> (part id, block), see ``blocks_of``
        self.paragraphs: dict[int, _Paragraph | None] = {}
        self.kept: list = []  # the line boxes planned, kept alive so that their ids stay theirs
        self.replanned = 0  # lines WeasyPrint ended elsewhere than planned
        self.unplanned = 0  # justified paragraphs left to WeasyPrint
        self.page_end_replans = 0  # paragraphs set again to keep a page's last line whole
        self.widows_avoided = 0  # paragraphs set a line longer or shorter to leave no line alone
        self.orphans_avoided = 0  # paragraphs set a line longer to fill a page's last line
        self.fitted: set[tuple[int, int, int, float]] = set()  # (paragraph, page, line start, height) fitted to the page
        self._boxes_of: dict[tuple[str, int], list] | None = None
        self._elements: list = []  # the text blocks' elements

    # --- amending: what the finished pages ask for (``typeset.amended``) -------------------

    @property
    def decoration(self) -> bool:
        """A page decoration (folios and running heads): no text of its own to set."""
        return not self.block_of

    def keep_whole(self, block: tuple[str, int], lines: frozenset[int]) -> bool:
        """Lines of a planned paragraph that end a page: set again without a hyphen there."""
        barred = self.no_hyphen_lines.get(block, frozenset())
        if lines <= barred:
            return False
        self.no_hyphen_lines[block] = barred | lines
        self._forget(block)
        return True

    def set_a_line_longer(self, block: tuple[str, int]) -> bool:
        if block in self.looser:
            return False
        self.looser[block] = 1
        self._forget(block)
        return True

    def unhyphenate(self, root_box, block: tuple[str, int]) -> bool:
        """A block that is not planned (or has a ladder of hyphens): set without hyphens."""
        changed = False
        for box in self._boxes(root_box).get(block, ()):
            for styled in (box, *box.descendants()):
                if styled.style["hyphens"] == "auto":
                    # WeasyPrint shares one computed style among elements styled alike:
                    # the box gets a style of its own, not every paragraph the change.
                    styled.style = styled.style.copy()
                    styled.style["hyphens"] = "manual"
                    changed = True
        if changed:
            self._forget(block)
        return changed

    def allow_a_line_alone(self, root_box, block: tuple[str, int]) -> bool:
        """The block may leave one line at a page's foot or head (``orphans``, ``widows``: 1)."""
        changed = False
        for box in self._boxes(root_box).get(block, ()):
            if box.style["widows"] != 1 or box.style["orphans"] != 1:
                box.style = box.style.copy()  # its own (see ``unhyphenate``)
                box.style["widows"] = box.style["orphans"] = 1
                changed = True
        return changed

    def is_heading(self, block: tuple[str, int]) -> bool:
        return any(self.block_of.get(id(element)) == block and element.tag in _BALANCED_TAGS
                   for element in self._elements)

    def _forget(self, block: tuple[str, int]) -> None:
        for box in self.kept:
            if self.block_of.get(id(box.element)) == block:
                self.paragraphs.pop(id(box), None)
        self.fitted.clear()

    def _boxes(self, root_box) -> dict[tuple[str, int], list]:
        """The block boxes of the document's text blocks, by block (part id, number)."""
        from weasyprint.formatting_structure import boxes

        if self._boxes_of is None:
            self._boxes_of = {}
            for box in root_box.descendants():
                element = getattr(box, "element", None)
                if (isinstance(box, boxes.BlockBox) and element is not None and id(element) in self.block_of
                        and "::" not in (box.element_tag or "")):
                    self._boxes_of.setdefault(self.block_of[id(element)], []).append(box)
        return self._boxes_of

    def cost_of_a_line_more(self, block: tuple[str, int]) -> float | None:
        """What setting the paragraph ``block`` one line longer would cost in demerits, or
        None when it cannot be done within the tolerance."""
        for box in self.kept:
            paragraph = self.paragraphs.get(id(box))
            if paragraph is None or self.block_of.get(id(box.element)) != block:
                continue
            settings = replace(paragraph.settings, tolerance=self.typography.tolerance)
            best = linebreak.break_lines(paragraph.opportunities, paragraph.width, settings)
            looser = linebreak.break_lines(paragraph.opportunities, paragraph.width, replace(settings, looseness=1))
            if best and looser and len(looser) == len(best) + 1:
                return looser[-1].demerits - best[-1].demerits
        return None

    def planned_blocks(self) -> set[tuple[str, int]]:
        """The blocks (part id, block) whose lines were planned."""
        return {self.block_of[id(box.element)] for box in self.kept
                if self.paragraphs.get(id(box)) is not None and id(box.element) in self.block_of}

    # --- measuring and planning ----------------------------------------------------------

    def paragraph(self, context, linebox, containing_block, bottom_space) -> _Paragraph | None:
        key = id(linebox)
        if key not in self.paragraphs:
            self.kept.append(linebox)
            try:
                self.paragraphs[key] = self._measure(context, linebox, containing_block, bottom_space)
            except _CannotPlan:
                self.paragraphs[key] = None
                self.unplanned += 1
        return self.paragraphs[key]

    def _measure(self, context, linebox, containing_block, bottom_space) -> _Paragraph:
        from weasyprint.formatting_structure import boxes
        from weasyprint.layout import inline

        style = linebox.style
        balanced = _balanced(linebox)
        if ((style["text_align_all"] != "justify" and not balanced) or style["white_space"] != "normal"
                or style["direction"] != "ltr" or context.excluded_shapes or _has_out_of_flow(linebox)):
            raise _CannotPlan
        start = inline.skip_first_whitespace(linebox, None)
        if start == "continue":
            raise _CannotPlan
        line, resume_at, preserved, *_ = _original["split_inline_box"](
            context, linebox, linebox.text_indent, math.inf, bottom_space, start, containing_block,
            [], [], [], [], [], None, None)
        if resume_at is not None or preserved:
            raise _CannotPlan  # a line break the author asked for: not justified anyway
        pieces: list = []
        _in_flow_leaves(line, pieces)
        texts, xs, offsets, hyphen_widths = [], [], [], []
        position = _position(linebox, start)
        for piece in pieces:
            if isinstance(piece, boxes.TextBox):
                if "\t" in piece.text or piece.style["white_space"] not in ("normal", "nowrap"):
                    raise _CannotPlan
                advances = _advances(context, piece)
                # Where each character starts (x, and its position), a text box at a time.
                texts.append(piece.text)
                xs.extend(itertools.accumulate(advances[:-1], initial=piece.position_x) if advances else ())
                starts = list(itertools.accumulate((len(char.encode()) for char in piece.text), initial=position))
                offsets.extend(starts[:-1])
                hyphen_widths.extend([piece] * len(piece.text))
                position = starts[-1]
            else:
                texts.append(_OBJECT)
                xs.append(piece.position_x)
                offsets.append(position)
                hyphen_widths.append(None)
                position += 1
        text = "".join(texts)
        end_x = line.width + line.position_x if pieces else linebox.text_indent
        if pieces:
            last = pieces[-1]
            end_x = last.position_x + last.margin_width() if not isinstance(last, boxes.TextBox) else last.position_x + last.width
        xs.append(end_x)
        offsets.append(position)
        if not text.strip() or _UNSPACED.search(text):
            raise _CannotPlan
        width = containing_block.width
        space = _space_width(text, xs) or style["font_size"] / 4
        opportunities, at_char = self._opportunities(context, text, xs, hyphen_widths, style)
        block = self.block_of.get(id(linebox.element), ("", -1))
        lines_barred = self.no_hyphen_lines.get(block, frozenset())
        settings = Settings(stretch=space * self.typography.stretch, shrink=space * self.typography.shrink,
                            no_hyphen_after_line=lines_barred)
        paragraph = _Paragraph(text, xs, offsets, opportunities, at_char, width, settings, _text_starts(linebox),
                               balanced=balanced)
        if balanced:
            lines = linebreak.balanced_lines(opportunities, width)
            if not lines:
                raise _CannotPlan
            self._keep_plan(paragraph, lines, opportunities, at_char, 0, 0)
            return paragraph
        if block in self.looser:
            best = self._plan(paragraph, 0)
            if self._plan(paragraph, 0, looseness=self.looser[block]) != best + self.looser[block]:
                self._plan(paragraph, 0)
        if not paragraph.plan and not self._plan(paragraph, 0):
            raise _CannotPlan
        return paragraph

    def _opportunities(self, context, text: str, xs: list[float], boxes_of: list, style) -> tuple[list[Opportunity], list[int]]:
        """Every place a line may end: where Pango allows a break, and hyphenation points."""
        from weasyprint.text.line_break import get_log_attrs

        spaces_up_to, letters_up_to = [0], [0]
        for char in text:
            spaces_up_to.append(spaces_up_to[-1] + (char in _SPACES))
            letters_up_to.append(letters_up_to[-1] + char.isalpha())

        def stub_after(i: int) -> bool:  # breaking at i would leave a last line of a word's end, fewer letters
            return letters_up_to[-1] - letters_up_to[i] < self.typography.stub_letters

        attributes = get_log_attrs(text, style["lang"])
        found: list[tuple[int, Opportunity]] = []
        for i in range(1, len(text)):
            if not attributes[i].is_line_break:
                continue
            end = i
            while end > 0 and text[end - 1] == " ":
                end -= 1
            if end == 0:
                continue
            hyphen = end == i and text[i - 1] in _EXPLICIT_HYPHENS
            if hyphen and stub_after(i):
                continue
            found.append((i, Opportunity(xs[end], xs[i], spaces_up_to[end], spaces_up_to[i],
                                         HYPHEN_PENALTY if hyphen else 0, hyphen)))
        for match in _WORD.finditer(text):
            box = boxes_of[match.start()]
            if box is None or boxes_of[match.end() - 1] is not box:
                continue  # a word across elements ("<em>un</em>likely"): never hyphenated by WeasyPrint either
            for point in _hyphenation_points(context, match.group(), box.style):
                i = match.start() + point
                if stub_after(i):
                    continue
                found.append((i, Opportunity(xs[i] + _hyphen_width(context, box.style, text[i - 1]), xs[i], spaces_up_to[i],
                                             spaces_up_to[i], HYPHEN_PENALTY, True)))
        found.sort(key=lambda pair: pair[0])
        end = len(text)
        while end > 0 and text[end - 1] == " ":
            end -= 1
        found.append((len(text), Opportunity(xs[end], xs[len(text)], spaces_up_to[end], spaces_up_to[end],
                                             linebreak.FORCED)))
        return [o for _, o in found], [i for i, _ in found]

    def _plan(self, paragraph: _Paragraph, from_char: int, line_index: int = 0, whole: int | None = None,
              looseness: int = 0) -> int:
        """Plan the lines from ``from_char`` (0, or where line ``line_index`` really began) to
        the end, and say how many there are (0: no plan); ``whole``: the line (counted from
        this one) that may not end with a hyphen, for it ends a page; ``looseness``: as many
        more (or fewer) lines than the best as can be set within the tolerance."""
        if from_char:
            first = next(n for n, at in enumerate(paragraph.at_char) if at > from_char) if from_char < len(paragraph.text) else None
            if first is None:
                return 0
            origin_x = paragraph.xs[from_char]
            origin_spaces = paragraph.text[:from_char].count(" ") + paragraph.text[:from_char].count("\u00a0")
            opportunities = [Opportunity(o.width_before - origin_x, o.width_after - origin_x,
                                         o.spaces_before - origin_spaces, o.spaces_after - origin_spaces,
                                         o.penalty, o.hyphen) for o in paragraph.opportunities[first:]]
            at_char = paragraph.at_char[first:]
        else:
            first, opportunities, at_char = 0, paragraph.opportunities, paragraph.at_char
        lines = None
        t = self.typography
        without_hyphens = [o if not o.hyphen or o.penalty == linebreak.FORCED or o.width_before == o.width_after
                           else Opportunity(o.width_before, o.width_after, o.spaces_before, o.spaces_after, math.inf, True)
                           for o in opportunities]
        barred = {n - line_index for n in paragraph.settings.no_hyphen_after_line if n >= line_index}
        barred |= {whole} if whole is not None else set()
        passes = ((without_hyphens, t.pretolerance), (opportunities, t.tolerance),
                  (opportunities, t.emergency_tolerance), (opportunities, math.inf))
        for candidates, tolerance in passes if not looseness else passes[1:2]:
            settings = replace(paragraph.settings, tolerance=tolerance, no_hyphen_after_line=frozenset(barred),
                               looseness=looseness)
            lines = linebreak.break_lines(candidates, paragraph.width, settings)
            if lines is not None:
                break
        if not lines:
            return 0
        self._keep_plan(paragraph, lines, opportunities, at_char, from_char, line_index)
        return len(lines)

    def _keep_plan(self, paragraph: _Paragraph, lines: list[linebreak.Line], opportunities: list[Opportunity],
                   at_char: list[int], from_char: int, line_index: int) -> None:
        start, origin = from_char, 0.0
        for index, line in enumerate(lines, start=line_index):
            o = opportunities[line.end]
            next_char = at_char[line.end]
            # The line's right edge: past the space it breaks at, so that an element beginning
            # the next line cannot be mistaken for a word that overflows this one; at its
            # hyphen, for a hyphenated line, so that no longer part of the word fits.
            edge = max(o.width_before, o.width_after) - origin
            paragraph.plan[paragraph.offsets[start]] = _PlannedLine(paragraph.offsets[next_char], edge, o.hyphen, index)
            start, origin = next_char, o.width_after

    def _fit_page(self, paragraph: _Paragraph, begins: int, planned: _PlannedLine, room: int) -> _PlannedLine:
        """The plan for the rest of a paragraph whose line ``planned`` is laid out with
        ``room`` lines left on the page (this one included), set again where it would

        - leave one line alone at the top of the next page (a widow: the layout would keep
          it company with a line from this page, and leave this page a line short): one
          line more, or one fewer, where the tolerance allows;
        - end with exactly one line left on the page, which the next paragraph's first
          line would fill alone (an orphan, which the layout moves on): one line more;
        - split a word over the page (or a leaf) with the page's last line: that line whole.
        """
        char = paragraph.offsets.index(begins)
        lines = 1 + _lines_after(paragraph, planned)
        if lines > room >= 2 and lines - room == 1:
            for looseness in (1, -1):
                count = self._plan(paragraph, char, planned.index, whole=room - 1, looseness=looseness)
                if count and (count <= room or count - room >= 2):
                    self.widows_avoided += 1
                    break
            else:
                self._plan(paragraph, char, planned.index)
        elif lines == room - 1 and lines >= 2:
            if self._plan(paragraph, char, planned.index, looseness=1) == lines + 1:
                self.orphans_avoided += 1
            else:
                self._plan(paragraph, char, planned.index)
        planned = paragraph.plan[begins]
        lines = 1 + _lines_after(paragraph, planned)
        if lines > room >= 1 and _nth_line(paragraph, planned, room - 1).hyphen:
            if self._plan(paragraph, char, planned.index, whole=room - 1):
                self.page_end_replans += 1
        return paragraph.plan[begins]

    # --- laying out a planned line -------------------------------------------------------

    def next_line(self, original, context, linebox, position_y, bottom_space, skip_stack, containing_block,
                  *args, **kwargs):
        from weasyprint.layout import inline

        paragraph = None
        if linebox.style["text_align_all"] == "justify" or _balanced(linebox):
            if skip_stack is None and id(linebox) not in self.paragraphs:
                linebox.position_y = position_y
                paragraph = self.paragraph(context, linebox, containing_block, bottom_space)
            else:
                paragraph = self.paragraphs.get(id(linebox))
        if paragraph is None or paragraph.width != containing_block.width:
            return original(context, linebox, position_y, bottom_space, skip_stack, containing_block, *args, **kwargs)
        start = inline.skip_first_whitespace(linebox, skip_stack)
        begins = 0 if start is None else _position(linebox, start) if start != "continue" else None
        planned = paragraph.plan.get(begins)
        if planned is None:
            return original(context, linebox, position_y, bottom_space, skip_stack, containing_block, *args, **kwargs)
        checked = (id(linebox), context.current_page, begins, round(position_y, 2))
        if checked not in self.fitted and not paragraph.balanced:
            self.fitted.add(checked)
            planned = self._fit_page(paragraph, begins, planned,
                                     _lines_left(context, linebox.style, position_y, bottom_space))
        _current.append((linebox, planned, paragraph.text_starts))
        try:
            line, resume_at = original(context, linebox, position_y, bottom_space, skip_stack, containing_block,
                                       *args, **kwargs)
        finally:
            _current.pop()
        if line is not None:
            ended = _position(linebox, inline.skip_first_whitespace(linebox, resume_at)) if resume_at is not None else None
            if resume_at is not None and ended != planned.end:
                self.replanned += 1
                if ended < planned.end:
                    # WeasyPrint found the planned line too long (it measured something that
                    # the plan did not): the line as WeasyPrint sets it on its own, rather than
                    # a short line stretched across the measure.
                    line, resume_at = original(context, linebox, position_y, bottom_space, skip_stack,
                                               containing_block, *args, **kwargs)
                    if resume_at is None:
                        return line, resume_at
                    ended = _position(linebox, inline.skip_first_whitespace(linebox, resume_at))
                char = paragraph.offsets.index(ended) if ended in paragraph.offsets else None
                paragraph.plan = {start: line for start, line in paragraph.plan.items() if start < ended}
                if char is not None:
                    self._plan(paragraph, char, planned.index + 1)
        return line, resume_at


def _lines_after(paragraph: _Paragraph, line: _PlannedLine) -> int:
    """How many lines of the plan follow ``line``."""
    count = 0
    while (line := paragraph.plan.get(line.end)) is not None and count < 10_000:
        count += 1
    return count


_BALANCED_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BALANCED_CLASSES = {"half-title", "book-subtitle", "subtitle"}


def _balanced(linebox) -> bool:
    """Titles and headings: set ragged, in as few lines as they need, as even as can be."""
    element = linebox.element
    if element is None or linebox.style["text_align_all"] == "justify":
        return False
    tag = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
    return tag in _BALANCED_TAGS or bool(_BALANCED_CLASSES & set((element.get("class") or "").split()))


def _nth_line(paragraph: _Paragraph, line: _PlannedLine, n: int) -> _PlannedLine:
    """The n-th line of the plan after ``line`` (0: ``line`` itself)."""
    for _ in range(n):
        line = paragraph.plan.get(line.end, line)
    return line


def _lines_left(context, style, position_y: float, bottom_space: float) -> int:
    """How many of a paragraph's lines fit on the page from ``position_y`` on."""
    from weasyprint.text.line_break import strut

    height = strut(style)[0]
    room = context.page_bottom - bottom_space - position_y
    return max(0, math.floor(room / height + 1e-6)) if height > 0 else 0


class _CannotPlan(Exception):
    """This paragraph is left to WeasyPrint's own line breaking."""


_original: dict = {}
_active: list[ParagraphSetter] = []  # the setter of the layout under way


def active_setter() -> ParagraphSetter | None:
    return _active[-1] if _active else None

# The line box being laid out to plan, its planned line, and where its text boxes start.
_current: list[tuple[object, _PlannedLine, dict[int, int]]] = []


@contextmanager
def optimal_paragraphs(root, typography: Typography = Typography(),
                       no_hyphen_lines: dict[tuple[str, int], frozenset[int]] | None = None,
                       looser: dict[tuple[str, int], int] | None = None) -> Iterator[ParagraphSetter]:
    """Within: WeasyPrint breaks the justified paragraphs of the document ``root`` (its
    element tree) where ``linebreak`` chose; ``no_hyphen_lines``: by block, the lines that
    may not end with a hyphen; ``looser``: by block, how many lines longer than its best
    to set a paragraph."""
    from weasyprint.layout import inline

    setter = ParagraphSetter(typography, dict(no_hyphen_lines or {}), dict(looser or {}), blocks_of(root))
    setter._elements = [element for element in root.iter() if id(element) in setter.block_of]
    _original.update(split_inline_box=inline.split_inline_box, text_align=inline.text_align,
                     split_text_box=inline.split_text_box)
    get_next_linebox = inline.get_next_linebox

    def next_line(context, linebox, *args, **kwargs):
        return setter.next_line(get_next_linebox, context, linebox, *args, **kwargs)

    inline.get_next_linebox = next_line
    inline.split_inline_box = _split_to_planned_width
    inline.text_align = _text_align_shrinking_too
    inline.split_text_box = _split_text_box_as_planned
    _active.append(setter)
    try:
        yield setter
    finally:
        _active.remove(setter)
        inline.get_next_linebox = get_next_linebox
        inline.split_inline_box = _original["split_inline_box"]
        inline.text_align = _original["text_align"]
        inline.split_text_box = _original["split_text_box"]


def _split_to_planned_width(context, box, position_x, max_x, *args, **kwargs):
    if _current and box is _current[-1][0]:
        max_x = box.position_x + _current[-1][1].edge + _EPSILON
    return _original["split_inline_box"](context, box, position_x, max_x, *args, **kwargs)


def _split_text_box_as_planned(context, box, available_width, skip, is_line_start=True):
    """The text box in which the planned line ends is cut there, hyphen and all, rather
    than where WeasyPrint's search for a break would cut it (which hyphenates only words
    it sees whole in a first guess at the line's text)."""
    if _current:
        _, planned, starts = _current[-1]
        start = starts.get(id(box))
        encoded = box.text.encode()
        if start is not None and start + (skip or 0) < planned.end < start + len(encoded):
            return _exact_piece(context, box, skip or 0, planned.end - start, planned.hyphen, is_line_start)
    return _original["split_text_box"](context, box, available_width, skip, is_line_start)


def _exact_piece(context, box, skip: int, end: int, hyphen: bool, is_line_start: bool):
    """``split_text_box``'s result for the text from ``skip`` to ``end`` (bytes), with a
    hyphen after it when the line is hyphenated."""
    from weasyprint.text.line_break import split_first_line, strut

    piece = box.text.encode()[skip:end].decode()
    if hyphen:
        piece += box.style["hyphenate_character"]
    elif box.style["white_space"] in ("normal", "nowrap", "pre-line"):
        piece = piece.rstrip(" ")  # as WeasyPrint lays a line out: its end's spaces are not drawn
    if not piece:
        return None, end, False  # only the spaces the line ends with: nothing to draw
    layout, _, _, width, height, baseline = split_first_line(
        piece, box.style, context, None, box.justification_spacing, is_line_start=is_line_start)
    new = box.copy_with_text(layout.text)
    new.width, new.pango_layout, new.height = width, layout, height
    line_height, _ = strut(box.style)
    new.margin_top = new.margin_bottom = (line_height - height) / 2
    new.baseline = baseline + new.margin_top
    return new, end, False


def _text_align_shrinking_too(context, line, available_width, last):
    """A planned line a little longer than the measure is justified by shrinking its spaces
    (WeasyPrint only widens them)."""
    from weasyprint.layout.inline import justify_line

    if (_current and line.width > available_width  # (a paragraph's last line too: it may shrink, never stretch)
            and line.style["text_align_all"] == "justify" and line.style["white_space"] == "normal"):
        justify_line(context, line, available_width - line.width)
        return 0
    return _original["text_align"](context, line, available_width, last)


# --- measuring ----------------------------------------------------------------------------------


def _position(box, skip_stack) -> int:
    """Where ``skip_stack`` points in the paragraph: UTF-8 bytes of text, and one for each
    atomic inline, before it (the same count the measured text keeps)."""
    from weasyprint.formatting_structure import boxes

    if skip_stack is None:
        return 0
    (index, rest), = skip_stack.items()
    if isinstance(box, boxes.TextBox):
        return index
    if isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        children = box.children
        before = sum(_size(child) for child in children[:index])
        return before + (_position(children[index], rest) if index < len(children) else 0)
    return 0


def _size(box) -> int:
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.TextBox):
        return len(box.text.encode())
    if isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        return sum(_size(child) for child in box.children)
    return 1 if box.is_in_normal_flow() else 0


def _text_starts(linebox) -> dict[int, int]:
    """Where each text box of a paragraph starts, counted as ``_position`` counts."""
    from weasyprint.formatting_structure import boxes

    starts: dict[int, int] = {}
    position = 0

    def visit(box) -> None:
        nonlocal position
        for child in box.children:
            if isinstance(child, boxes.TextBox):
                starts[id(child)] = position
            if isinstance(child, (boxes.LineBox, boxes.InlineBox)):
                visit(child)
            else:
                position += _size(child)

    visit(linebox)
    return starts


def _in_flow_leaves(box, out: list) -> None:
    from weasyprint.formatting_structure import boxes

    for child in box.children:
        if not child.is_in_normal_flow():
            continue
        if isinstance(child, (boxes.LineBox, boxes.InlineBox)):
            _in_flow_leaves(child, out)
        else:
            out.append(child)


def _has_out_of_flow(box) -> bool:
    from weasyprint.formatting_structure import boxes

    for child in getattr(box, "children", ()):
        if isinstance(child, (boxes.InlineBox, boxes.LineBox)):
            if _has_out_of_flow(child):
                return True
        elif not child.is_in_normal_flow() and not child.is_footnote():
            return True
    return False


def _advances(context, text_box) -> list[float]:
    """The advance of each character of a text box, as Pango shapes the whole box (a
    ligature's width shared by its characters)."""
    from weasyprint.text.ffi import FROM_UNITS, ffi
    from weasyprint.text.line_break import create_layout

    text = text_box.text
    layout = create_layout(text, text_box.style, context, None, 0)
    line, _ = layout.get_first_line()
    starts = [0]
    for char in text:
        starts.append(starts[-1] + len(char.encode()))
    char_at_byte = {byte: n for n, byte in enumerate(starts)}
    widths = [0.0] * len(text)
    run = line.runs[0] if line.runs != ffi.NULL else ffi.NULL
    cluster_chars: dict[int, list[int]] = {}
    info_ints = ffi.sizeof("PangoGlyphInfo") // 4  # each glyph's info as ints: its id, then its width
    width_at = ffi.offsetof("PangoGlyphInfo", "geometry") // 4 + ffi.offsetof("PangoGlyphGeometry", "width") // 4
    while run != ffi.NULL:
        item = run.data
        run = run.next
        glyphs = item.glyphs
        count = glyphs.num_glyphs
        # Read at once (field by field through cffi, a paragraph's glyphs took most of the time).
        clusters_of = ffi.unpack(glyphs.log_clusters, count)
        glyph_widths = memoryview(ffi.buffer(glyphs.glyphs, count * info_ints * 4)).cast("i")[width_at::info_ints]
        offset = item.item.offset
        for cluster, width in zip(clusters_of, glyph_widths):
            char = char_at_byte.get(offset + cluster)
            if char is None:
                continue
            widths[char] += width * FROM_UNITS
            cluster_chars.setdefault(char, [])
    # A cluster of several characters (a ligature) shares its width among them.
    clusters = sorted(cluster_chars)
    for n, char in enumerate(clusters):
        end = clusters[n + 1] if n + 1 < len(clusters) else len(text)
        if end - char > 1:
            share = widths[char] / (end - char)
            for k in range(char, end):
                widths[k] = share
    layout.deactivate()
    if text_box.style["letter_spacing"] not in ("normal", 0):
        raise _CannotPlan
    return widths


def _space_width(text: str, xs: list[float]) -> float:
    widths = sorted(xs[i + 1] - xs[i] for i, char in enumerate(text) if char == " ")
    return widths[len(widths) // 2] if widths else 0.0


_hyphen_widths: dict[str, float] = {}


def _hyphen_width(context, style, before: str) -> float:
    """What a hyphen adds after ``before`` (its advance, and the kerning between them)."""
    from weasyprint.text.line_break import _font_style_cache_key, create_layout, line_size

    key = _font_style_cache_key(style, include_size=True) + style["hyphenate_character"] + before
    if key not in _hyphen_widths:
        widths = []
        for text in (before, before + style["hyphenate_character"]):
            layout = create_layout(text, style, context, None, 0)
            line, _ = layout.get_first_line()
            widths.append(line_size(line, style)[0])
            layout.deactivate()
        _hyphen_widths[key] = widths[1] - widths[0]
    return _hyphen_widths[key]


def _hyphenation_points(context, word: str, style) -> list[int]:
    """Where WeasyPrint would hyphenate ``word``: its dictionary (pyphen, the style's
    language) and ``hyphenate-limit-chars``."""
    import pyphen

    if style["hyphens"] != "auto" or not style["lang"]:
        return []
    lang = pyphen.language_fallback(style["lang"])
    total, left, right = style["hyphenate_limit_chars"]
    if not lang or len(word) < total:
        return []
    key = (lang, left, right, total)
    dictionary = context.dictionaries.get(key)
    if dictionary is None:
        dictionary = context.dictionaries[key] = pyphen.Pyphen(lang=lang, left=left, right=right)
    return dictionary.positions(word)


def blocks_of(root) -> dict[int, tuple[str, int]]:
    """The text blocks of a document (``pagemap.tag_blocks``), by the id of their element:
    (the id of the part they are in, their number in it)."""
    from ..pagemap import BLOCK_ATTRIBUTE

    found = {}

    def visit(element, part: str) -> None:
        for child in element:
            if not isinstance(child.tag, str):
                continue
            child_part = part
            if child.tag.endswith("section") and "part" in (child.get("class") or "").split():
                child_part = child.get("id") or ""
            if child.get(BLOCK_ATTRIBUTE) is not None:
                found[id(child)] = (child_part, int(child.get(BLOCK_ATTRIBUTE)))
            visit(child, child_part)

    visit(root, "")
    return found

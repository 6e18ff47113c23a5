"""Characters a book may not hold: control characters and Unicode noncharacters.

XML (and so every EPUB document) cannot hold most control characters, EPUB readers stop
at a noncharacter (U+FFFE, U+FDD0, ...), and neither is text anyone meant to write.
They are refused where the author wrote them, written out or as an HTML character
reference (``&#x1b;``): metadata.yaml and front matter values (YAML escapes too), and
the Markdown of every file. The EPUB is checked once more before it is written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from itertools import islice

from .model import Problem, error

# Tab, line feed and carriage return are text; every other C0 control, DEL, the C1
# controls, surrogates (a YAML "\ud800" makes one) and the 66 noncharacters are not.
_NONCHARACTERS = "\ufdd0-\ufdef\ufffe\uffff" + "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(1, 17))
FORBIDDEN = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff{_NONCHARACTERS}]")
# The same, found fast: a character class of BMP ranges and one astral range is read from a
# bitmap (the 32 astral noncharacters one by one made it ten times slower, and a book's whole
# text goes through it); what the astral range takes besides the noncharacters is let go below.
_FORBIDDEN_OR_ASTRAL = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
                                  f"\U0001fffe-\U0010ffff]")
_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")
MAX_REPORTED = 5  # per file: a file full of them says so once, not a thousand times


def described(char: str) -> str:
    """``U+001B (a control character)``: how a message names a forbidden character."""
    code = ord(char)
    kind = ("a noncharacter" if 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE
            else "half of a surrogate pair" if 0xD800 <= code <= 0xDFFF else "a control character")
    name = unicodedata.name(char, "")
    return f"U+{code:04X} ({kind}{', ' + name if name else ''})"


def forbidden_in(text: str) -> Iterator[tuple[int, str]]:
    """Each forbidden character written out in ``text``: its offset and the character."""
    for match in _FORBIDDEN_OR_ASTRAL.finditer(text):
        char = match.group(0)
        if char <= "\uffff" or ord(char) & 0xFFFE == 0xFFFE:
            yield match.start(), char


def forbidden_references(text: str) -> Iterator[tuple[int, str, str]]:
    """Each HTML character reference in ``text`` that stands for a forbidden character:
    its offset, the reference as written and the character."""
    for match in _REFERENCE.finditer(text):
        code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
        if code <= 0x10FFFF and FORBIDDEN.match(chr(code)):
            yield match.start(), match.group(0), chr(code)


def position(text: str, offset: int, first_line: int = 1) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text``, whose first line is ``first_line``."""
    line = text.count("\n", 0, offset)
    return first_line + line, offset - (text.rfind("\n", 0, offset) + 1) + 1


ADVICE = "delete it (an editor may show it as a box, or not at all)"


def problems_in(text: str, path: str, first_line: int = 1) -> list[Problem]:
    """An error for each control character or noncharacter written out in ``text`` (the
    first ``MAX_REPORTED``)."""
    found = list(islice(forbidden_in(text), MAX_REPORTED))
    return [error(path, *position(text, offset, first_line), f"{described(char)} cannot be in a book: {ADVICE}")
            for offset, char in found]

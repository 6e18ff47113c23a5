"""A page's content read once, instruction by instruction, for the preflight.

One regular expression matches a whole instruction (its operands, then its operator) of
the syntax WeasyPrint and the finishing steps write: numbers, names, hex strings, arrays
of those (text shown with ``TJ``) and flat dictionaries (marked content). The matches must
follow one another without a gap; content with anything else (a literal string, an
inline image, a comment, a nested dictionary) is read by pikepdf's full parser instead,
so nothing is ever skipped unread. Operands are handed on as their bytes: the scan splits
only those of the few operators it looks at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pikepdf

_SPACE = rb"[\x00\t\n\x0c\r ]"
_HEX = rb"<[0-9A-Fa-f\x00\t\n\x0c\r ]*>"
_OPERAND = (rb"(?>[-+]?(?:\d+\.?\d*|\.\d+)"  # a number
            rb"|/[^\x00\t\n\x0c\r /\[\]<>(){}%]*"  # a name
            + rb"|" + _HEX
            + rb"|\[(?:[^\[\]()<>%]|" + _HEX + rb")*\]"  # an array of numbers, names and hex strings
            + rb"|<<(?:[^\[\]()<>%]|" + _HEX + rb")*>>"  # a flat dictionary
            rb"|(?:true|false|null)(?![^\x00\t\n\x0c\r /\[\]<>(){}%])"
            rb")")
# Atomic and possessive throughout: an operand is read whole or not at all, so a failed match
# ends at once (a run of digits is never tried as two numbers).
_INSTRUCTION = re.compile(_SPACE + rb"*+((?:" + _OPERAND + _SPACE + rb"*+)*+)"
                          rb"([A-Za-z'\"][^\x00\t\n\x0c\r /\[\]<>(){}%]*)(?![^\x00\t\n\x0c\r /\[\]<>(){}%])")
_TRAILING_SPACE = re.compile(_SPACE + rb"*\Z")
INLINE_IMAGE = b"INLINE IMAGE"


def instructions(raw: bytes, owner: pikepdf.Object) -> Iterator[tuple[bytes, bytes | pikepdf.Object]]:
    """(operator, operands) of each instruction of ``raw``, the decoded content of
    ``owner`` (a page or a form): operands as the bytes they were written as, split at
    white space by whoever needs them; an inline image as (``INLINE_IMAGE``, the image)."""
    found = []
    position = 0
    match = _INSTRUCTION.match
    while True:
        step = match(raw, position)
        if step is None:
            break
        found.append((step.group(2), step.group(1)))
        position = step.end()
    if _TRAILING_SPACE.match(raw, position):
        yield from found
    else:
        yield from _parsed(owner)


def _parsed(owner: pikepdf.Object) -> Iterator[tuple[bytes, bytes | pikepdf.Object]]:
    """The same, from pikepdf's parser: for content the pattern does not cover."""
    content = owner if isinstance(owner, pikepdf.Stream) else pikepdf.Page(owner)
    for operands, operator in pikepdf.parse_content_stream(content):
        op = str(operator).encode("latin-1")
        if op == INLINE_IMAGE:
            yield op, operands[0]
        else:
            yield op, b" ".join(_syntax(operand) for operand in operands)


def _syntax(operand) -> bytes:
    if isinstance(operand, pikepdf.Object):
        return operand.unparse()
    if isinstance(operand, bool):
        return b"true" if operand else b"false"
    return str(operand).encode()

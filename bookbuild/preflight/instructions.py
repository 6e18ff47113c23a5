"""A page's content read once, for the instructions the preflight looks at.

One regular expression reads the syntax WeasyPrint and the finishing steps write:
numbers, names, hex strings, arrays of those (text shown with ``TJ``) and flat
dictionaries (marked content) as operands, then an operator. A match is either a run of
instructions the preflight does not look at (text, paths, marked content) or one that it
does (``WATCHED``: colour, images, forms, shadings, the transformation and its saves);
the matches must follow one another without a gap, so nothing is skipped unread. Content
with anything else (a literal string, an inline image, a comment, a nested dictionary)
is read by pikepdf's full parser instead. Operands are handed on as their bytes: the scan
splits those it needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pikepdf

INLINE_IMAGE = b"INLINE IMAGE"
WATCHED = frozenset({b"q", b"Q", b"cm", b"rg", b"RG", b"k", b"K", b"cs", b"CS", b"sh", b"Do"})

_REGULAR = rb"[^\x00\t\n\x0c\r /\[\]<>(){}%]"  # a character of a name, a number or an operator
_SPACE = rb"[\x00\t\n\x0c\r ]"
_HEX = rb"<[0-9A-Fa-f\x00\t\n\x0c\r ]*+>"
# Atomic and possessive throughout: an operand is read whole or not at all, so a failed match
# ends at once (a run of digits is never tried as two numbers).
_OPERAND = (rb"(?>[-+]?(?:\d+\.?\d*|\.\d+)"  # a number
            rb"|/" + _REGULAR + rb"*+"  # a name
            + rb"|" + _HEX
            + rb"|\[(?:[^\[\]()<>%]++|" + _HEX + rb")*+\]"  # an array of numbers, names and hex strings
            + rb"|<<(?:[^\[\]()<>%]++|" + _HEX + rb")*+>>"  # a flat dictionary
            rb"|(?:true|false|null)(?!" + _REGULAR + rb"))")
_OPERANDS = rb"(?:" + _OPERAND + _SPACE + rb"*+)*+"
_WATCHED = rb"(?:" + rb"|".join(sorted(WATCHED)) + rb")(?!" + _REGULAR + rb")"
_OTHER = rb"(?!" + _WATCHED + rb")[A-Za-z'\"]" + _REGULAR + rb"*+"
_STEP = re.compile(rb"(?:" + _SPACE + rb"*+" + _OPERANDS + _OTHER + rb")++" + _SPACE + rb"*+"  # instructions not watched
                   rb"|" + _SPACE + rb"*+(" + _OPERANDS + rb")(" + _WATCHED + rb")" + _SPACE + rb"*+")  # one that is


def instructions(raw: bytes, owner: pikepdf.Object) -> Iterator[tuple[bytes, bytes | pikepdf.Object]]:
    """(operator, operands) of each watched instruction of ``raw``, the decoded content of
    ``owner`` (a page or a form), operands as the bytes they were written as; an inline
    image as (``INLINE_IMAGE``, the image)."""
    found = []
    position = 0
    for step in _STEP.finditer(raw):
        if step.start() != position:
            break
        position = step.end()
        if step.group(2) is not None:
            found.append((step.group(2), step.group(1)))
    if position == len(raw):
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
        elif op in WATCHED:
            yield op, b" ".join(_syntax(operand) for operand in operands)


def _syntax(operand) -> bytes:
    if isinstance(operand, pikepdf.Object):
        return operand.unparse()
    if isinstance(operand, bool):
        return b"true" if operand else b"false"
    return str(operand).encode()

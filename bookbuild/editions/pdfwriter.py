"""A PDF written a piece at a time, from pieces kept as bytes.

A segment's finished pages are kept (``finishing``) as a ``Fragment``: the PDF syntax of
each of its objects, with every reference to another object left as a marker, and the
stream data beside it. The book's PDF is then written fragment after fragment
(``pdfjoin``): each object gets its number as it is written, its markers become
references, and nothing is parsed again, so a book of any length is written with the
memory of one segment, and an edit writes the others from the cache as they were.

A marker is ``\\x00`` + a token + ``\\x00`` (no other NUL can occur in the syntax qpdf
writes: it writes binary strings in hex). The tokens:

- a number: the fragment's own object of that index;
- ``P``: the document's page tree; ``D``: its ``Document`` structure element;
- ``N``: a page left out (written ``null``);
- ``K<n>``: structure-parent key n of the segment (a number, shifted past the keys of
  the segments before it);
- ``F<key>``: the one font program of a font file (``fonts``), cut once per book.

An object whose objects are all its own (no page, no structure element, no cycle) has a
digest: the first of its kind in a book is written, the others are that one.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from typing import BinaryIO

import pikepdf

MARK = b"\x00"
PAGES, DOCUMENT, LEFT_OUT = b"P", b"D", b"N"
_NO_DIGEST = bytes(16)
# What qpdf's unparse writes that a fragment changes: literal strings (skipped: a reference
# written inside one is text), references, and structure-parent keys.
_SYNTAX = re.compile(rb"\((?:[^\\)]|\\.)*\)|(?<![^\s\[<])(\d+) (\d+) R(?![^\s\]>/])|(/StructParents? )(\d+)", re.S)
_MARKER = re.compile(rb"\x00([^\x00]*)\x00")
_OBJECTS_PER_STREAM = 200


@dataclass(frozen=True)
class Fragment:
    """Objects ready to be written: ``texts`` holds each object's syntax (a stream's
    dictionary) one after another, ending at ``text_ends``; ``data`` each stream's raw
    data ending at ``data_ends`` (-1: not a stream); ``digests`` 16 bytes an object
    (zeros: not to be shared)."""

    texts: bytes
    text_ends: tuple[int, ...]
    data: bytes
    data_ends: tuple[int, ...]
    digests: bytes

    def __len__(self) -> int:
        return len(self.text_ends)

    def objects(self):
        """(text, stream data or None, digest or None) of each object, in order."""
        text_start = data_start = 0
        for n, (text_end, data_end) in enumerate(zip(self.text_ends, self.data_ends)):
            text = self.texts[text_start:text_end]
            data = None
            if data_end >= 0:
                data, data_start = self.data[data_start:data_end], data_end
            digest = self.digests[16 * n:16 * n + 16]
            yield text, data, (None if digest == _NO_DIGEST else digest)
            text_start = text_end


class Serializer:
    """The objects of one pikepdf document reachable from what is asked for, as a
    ``Fragment``. ``special``: objects that are not the fragment's (the page tree, the
    structure tree's root element, font programs cut once per book, pages left out), by
    (object, generation), with the token that stands for each."""

    def __init__(self, pdf: pikepdf.Pdf, special: dict[tuple[int, int], bytes]):
        self.pdf = pdf
        self.special = special
        self.index: dict[tuple[int, int], int] = {}
        self.queue: list[tuple[int, int]] = []

    def text(self, value) -> bytes:
        """The syntax of a value (a dictionary, an array, a reference), with markers."""
        if not isinstance(value, pikepdf.Object):
            return _scalar(value)
        if value.is_indirect:
            return self.reference(value)
        return _SYNTAX.sub(self._marked, value.unparse(resolved=True))

    def reference(self, obj: pikepdf.Object) -> bytes:
        return self._token(obj.objgen)

    def _token(self, objgen: tuple[int, int]) -> bytes:
        special = self.special.get(objgen)
        if special is not None:
            return MARK + special + MARK
        if objgen not in self.index:
            self.index[objgen] = len(self.queue)
            self.queue.append(objgen)
        return MARK + str(self.index[objgen]).encode() + MARK

    def _marked(self, match: re.Match) -> bytes:
        if match.group(1) is not None:
            return self._token((int(match.group(1)), int(match.group(2))))
        if match.group(3) is not None:
            return match.group(3) + MARK + b"K" + match.group(4) + MARK
        return match.group(0)

    def fragment(self) -> Fragment:
        """Every object reached so far, and every object they reach."""
        texts, data, text_ends, data_ends = [], [], [], []
        text_size = data_size = 0
        done = 0
        while done < len(self.queue):
            obj = self.pdf.get_object(self.queue[done])
            done += 1
            if isinstance(obj, pikepdf.Stream):
                raw = obj.read_raw_bytes()
                obj.stream_dict.Length = len(raw)
                text = _SYNTAX.sub(self._marked, obj.stream_dict.unparse(resolved=True))
                data.append(raw)
                data_size += len(raw)
                data_ends.append(data_size)
            else:
                text = _SYNTAX.sub(self._marked, obj.unparse(resolved=True))
                data_ends.append(-1)
            texts.append(text)
            text_size += len(text)
            text_ends.append(text_size)
        return Fragment(b"".join(texts), tuple(text_ends), b"".join(data), tuple(data_ends), _digests(texts, data_ends, data))


def _scalar(value) -> bytes:
    """A value pikepdf hands over as Python's own: a number or a truth value."""
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if value is None:
        return b"null"
    if isinstance(value, int):
        return b"%d" % value
    return number(float(value))


def _digests(texts: list[bytes], data_ends: list[int], data: list[bytes]) -> bytes:
    """Each object's digest, over its own syntax and data and the digests of what it refers
    to; none for an object that reaches a page, a structure element or itself."""
    streams = iter(data)
    payload = [next(streams) if end >= 0 else b"" for end in data_ends]
    parts = [text.split(MARK) for text in texts]
    found: list[bytes | None] = [None] * len(texts)
    state = [0] * len(texts)  # 0 not yet, 1 in progress, 2 done
    for start in range(len(texts)):
        if state[start]:
            continue
        state[start] = 1
        stack = [(start, 1)]  # (object, the next of its parts to look at)
        while stack:
            n, position = stack[-1]
            pieces = parts[n]
            while position < len(pieces):  # the references, at odd positions
                token = pieces[position]
                if token[:1].isdigit() and state[int(token)] == 0:
                    break
                position += 2
            if position < len(pieces):
                stack[-1] = (n, position + 2)
                inner = int(pieces[position])
                state[inner] = 1
                stack.append((inner, 1))
                continue
            stack.pop()
            state[n] = 2
            hashed = hashlib.sha256(payload[n])
            shareable = True
            for index, piece in enumerate(pieces):
                if index % 2 == 0:
                    hashed.update(piece)
                elif piece[:1].isdigit():
                    inner = found[int(piece)]
                    if inner is None:  # not to share, or still in progress: a cycle
                        shareable = False
                        break
                    hashed.update(b"\x00" + inner + b"\x00")
                elif piece[:1] == b"F":
                    hashed.update(b"\x00" + piece + b"\x00")
                else:  # the page tree, a structure element, a key, a page left out: this place only
                    shareable = False
                    break
            found[n] = hashed.digest()[:16] if shareable else None
    return b"".join(digest or _NO_DIGEST for digest in found)


def resolved(text: bytes, tokens: dict[bytes, bytes], local: list[bytes], key_offset: int) -> bytes:
    """``text`` with its markers made references (``local``: the reference for each of the
    fragment's objects; ``tokens``: for the other tokens) and keys shifted."""
    if MARK not in text:
        return text
    parts = text.split(MARK)
    for n in range(1, len(parts), 2):
        token = parts[n]
        if token[:1].isdigit():
            parts[n] = local[int(token)]
        elif token[:1] == b"K":
            parts[n] = str(int(token[1:]) + key_offset).encode()
        else:
            parts[n] = tokens[token]
    return b"".join(parts)


def reference(number: int) -> bytes:
    return b"%d 0 R" % number


class PdfWriter:
    """Objects written as they come; the cross-reference and the trailer at the end.

    ``compact``: objects that are not streams go into compressed object streams, and the
    cross-reference is a stream (PDF 1.5); otherwise a classic file (PDF/X-1a wants one).
    The file identifier is a digest of the file, so the same objects give the same bytes."""

    def __init__(self, out: BinaryIO, version: str, compact: bool):
        self.out = out
        self.compact = compact
        self.offset = 0
        self.digest = hashlib.sha256()
        self.numbers = 0
        self.where: dict[int, tuple[int, int, int]] = {}  # number -> (type, field 2, field 3) of its xref entry
        self.pending: list[tuple[int, bytes]] = []
        self._write(b"%PDF-" + version.encode() + b"\n%\xbf\xf7\xa2\xfe\n")

    def reserve(self) -> int:
        """A number for an object written now or later."""
        self.numbers += 1
        return self.numbers

    def add(self, number: int, text: bytes, data: bytes | None = None) -> None:
        if data is None and self.compact:
            self.pending.append((number, text))
            if len(self.pending) >= _OBJECTS_PER_STREAM:
                self._object_stream()
            return
        self.where[number] = (1, self.offset, 0)
        if data is None:
            self._write(b"%d 0 obj\n%s\nendobj\n" % (number, text))
        else:
            self._write(b"%d 0 obj\n%s\nstream\n" % (number, text))
            self._write(data)
            self._write(b"\nendstream\nendobj\n")

    def add_stream(self, number: int, data: bytes, entries: bytes = b"", compress: bool = True) -> None:
        """A stream made here: ``entries`` its dictionary's entries besides its length and filter."""
        if compress:
            data = zlib.compress(data)
            entries += b" /Filter /FlateDecode"
        self.add(number, b"<< %s /Length %d >>" % (entries.strip(), len(data)), data)

    def close(self, root: int, info: int) -> None:
        """The cross-reference and trailer: every number reserved must have been written."""
        if self.pending:
            self._object_stream()
        missing = [n for n in range(1, self.numbers + 1) if n not in self.where]
        if missing:
            raise RuntimeError(f"PDF objects reserved but never written: {missing[:5]}")
        identifier = self.digest.hexdigest()[:32].encode()
        trailer = b"/Root %d 0 R /Info %d 0 R /ID [<%s><%s>]" % (root, info, identifier, identifier)
        if self.compact:
            number = self.reserve()
            self.where[number] = (1, self.offset, 0)
            rows = [b"\x00\x00\x00\x00\x00\xff\xff"] + [
                bytes([kind]) + second.to_bytes(4, "big") + third.to_bytes(2, "big")
                for kind, second, third in (self.where[n] for n in range(1, number + 1))]
            data = zlib.compress(b"".join(rows))
            start = self.offset
            self._write(b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] %s /Filter /FlateDecode /Length %d >>\nstream\n"
                        % (number, number + 1, trailer, len(data)))
            self._write(data + b"\nendstream\nendobj\n")
            self._write(b"startxref\n%d\n%%%%EOF\n" % start)
            return
        start = self.offset
        rows = [b"xref\n0 %d\n0000000000 65535 f \n" % (self.numbers + 1)]
        rows += [b"%010d 00000 n \n" % self.where[n][1] for n in range(1, self.numbers + 1)]
        self._write(b"".join(rows))
        self._write(b"trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n" % (self.numbers + 1, trailer, start))

    def _object_stream(self) -> None:
        number = self.reserve()
        header, body, position = [], [], 0
        for index, (member, text) in enumerate(self.pending):
            header.append(b"%d %d" % (member, position))
            body.append(text)
            position += len(text) + 1
            self.where[member] = (2, number, index)
        first = b" ".join(header) + b"\n"
        data = zlib.compress(first + b"\n".join(body) + b"\n")
        self.where[number] = (1, self.offset, 0)
        self._write(b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
                    % (number, len(self.pending), len(first), len(data)))
        self._write(data + b"\nendstream\nendobj\n")
        self.pending = []

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.digest.update(data)
        self.offset += len(data)


def string(text: str) -> bytes:
    """A PDF text string: ASCII as it is (escaped), anything else in UTF-16 with its mark."""
    if text.isascii() and text.isprintable():
        return b"(" + text.encode("ascii").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"
    return b"<" + (b"\xfe\xff" + text.encode("utf-16-be")).hex().encode() + b">"


def number(value: float) -> bytes:
    """A real as PDF writes one: no exponent, no trailing zeros."""
    if float(value).is_integer():
        return b"%d" % int(value)
    return (b"%.6f" % value).rstrip(b"0").rstrip(b".")

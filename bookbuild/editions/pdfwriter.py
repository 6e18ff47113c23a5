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
import itertools
import re
import struct
import zlib
from dataclasses import dataclass
from typing import BinaryIO

import pikepdf

MARK = b"\x00"
PAGES, DOCUMENT, LEFT_OUT = b"P", b"D", b"N"
_BOUNDARY = b"\x00|\x00"  # after each object's syntax in a fragment
# What qpdf's unparse writes that a fragment changes: literal strings (skipped: a reference
# written inside one is text), references, and structure-parent keys.
_SYNTAX = re.compile(rb"\((?:[^\\)]|\\.)*\)|(?<![^\s\[<])(\d+) (\d+) R(?![^\s\]>/])|(/StructParents? )(\d+)", re.S)
_MARKER = re.compile(rb"\x00([^\x00]*)\x00")
_OBJECTS_PER_STREAM = 200
_LEVEL = 6  # zlib's: the screen edition's structure tree is most of what it compresses


@dataclass(frozen=True)
class Fragment:
    """Objects ready to be written: ``texts`` holds each object's syntax (a stream's
    dictionary), each followed by the marker ``|``; ``streams`` are the objects that are
    streams, their data one after another in ``data``, ending at ``data_ends``;
    ``shareable`` the objects that may be written once for the whole book, with a digest
    of 16 bytes each in ``digests``."""

    count: int
    texts: bytes
    streams: tuple[int, ...]
    data: bytes
    data_ends: tuple[int, ...]
    shareable: tuple[int, ...] = ()
    digests: bytes = b""

    def __len__(self) -> int:
        return self.count

    def stream_data(self) -> dict[int, bytes]:
        starts = (0,) + self.data_ends[:-1]
        return {n: self.data[start:end] for n, start, end in zip(self.streams, starts, self.data_ends)}


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
        texts, data, streams, data_ends = [], [], [], []
        data_size = done = 0
        while done < len(self.queue):
            obj = self.pdf.get_object(self.queue[done])
            if isinstance(obj, pikepdf.Stream):
                raw = obj.read_raw_bytes()
                obj.stream_dict.Length = len(raw)
                texts.append(_SYNTAX.sub(self._marked, obj.stream_dict.unparse(resolved=True)))
                data.append(raw)
                data_size += len(raw)
                streams.append(done)
                data_ends.append(data_size)
            else:
                texts.append(_SYNTAX.sub(self._marked, obj.unparse(resolved=True)))
            done += 1
        digests = _digests(texts, dict(zip(streams, data)))
        shareable = tuple(n for n, digest in enumerate(digests) if digest is not None)
        return Fragment(len(texts), _BOUNDARY.join(texts) + _BOUNDARY, tuple(streams), b"".join(data), tuple(data_ends),
                        shareable, b"".join(digests[n] for n in shareable))


def _scalar(value) -> bytes:
    """A value pikepdf hands over as Python's own: a number or a truth value."""
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if value is None:
        return b"null"
    if isinstance(value, int):
        return b"%d" % value
    return number(float(value))


def _digests(texts: list[bytes], data: dict[int, bytes]) -> list[bytes | None]:
    """Each object's digest, over its own syntax and data and the digests of what it refers
    to; none for an object that reaches a page, a structure element or itself."""
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
            hashed = hashlib.sha256(data.get(n, b""))
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
    return found


def resolved(text: bytes, tokens: dict[bytes, bytes]) -> bytes:
    """``text`` with its markers replaced by what ``tokens`` says each stands for."""
    if MARK not in text:
        return text
    parts = text.split(MARK)
    parts[1::2] = map(tokens.__getitem__, parts[1::2])
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
            self.add_all([(number, text)])
            return
        self.where[number] = (1, self.offset, 0)
        if data is None:
            self._write(b"%d 0 obj\n%s\nendobj\n" % (number, text))
        else:
            self._write(b"%d 0 obj\n%s\nstream\n" % (number, text))
            self._write(data)
            self._write(b"\nendstream\nendobj\n")

    def add_fragment(self, fragment: Fragment, tokens: dict[bytes, bytes], key_offset: int, keys: int,
                     shared: dict[bytes, int]) -> tuple[list[int], dict[bytes, bytes]]:
        """A fragment's objects, numbered from here on, its markers resolved (``tokens``: for
        the tokens that are not the fragment's own objects or keys; keys shifted by
        ``key_offset``), an object identical to one ``shared`` before written as that one.
        Returns each object's number, and what each of the fragment's tokens stands for (for
        the syntax kept beside it). The work is done on the whole fragment at once: its
        objects are as many as a segment's structure elements."""
        count = fragment.count
        written = [True] * count
        numbers: list[int] = []
        aliases: dict[int, int] = {}
        for n, start in zip(fragment.shareable, range(0, len(fragment.digests), 16)):
            digest = fragment.digests[start:start + 16]
            if digest in shared:
                aliases[n] = shared[digest]
                written[n] = False
        first = self.numbers + 1
        numbers = [first + rank - 1 for rank in itertools.accumulate(written)]
        for n, number in aliases.items():
            numbers[n] = number
        self.numbers = first + count - len(aliases) - 1
        for n, start in zip(fragment.shareable, range(0, len(fragment.digests), 16)):
            shared.setdefault(fragment.digests[start:start + 16], numbers[n])
        table = dict(zip(map(b"%d".__mod__, range(count)), map(b"%d 0 R".__mod__, numbers)))
        table.update(zip(map(b"K%d".__mod__, range(keys)), map(b"%d".__mod__, range(key_offset, key_offset + keys))))
        table.update(tokens)
        table[b"|"] = MARK
        parts = fragment.texts.split(MARK)
        parts[1::2] = map(table.__getitem__, parts[1::2])
        texts = b"".join(parts).split(MARK)
        data = fragment.stream_data()
        plain = [(number, text) for n, (number, text, write) in enumerate(zip(numbers, texts, written))
                 if write and n not in data]
        for n, stream in data.items():
            if written[n]:
                self.add(numbers[n], texts[n], stream)
        self.add_all(plain)
        return numbers, table

    def add_all(self, objects: list[tuple[int, bytes]]) -> None:
        """Objects that are not streams, in order."""
        if not self.compact:
            for number, text in objects:
                self.add(number, text)
            return
        self.pending.extend(objects)
        while len(self.pending) >= _OBJECTS_PER_STREAM:
            self._object_stream()

    def add_stream(self, number: int, data: bytes, entries: bytes = b"", compress: bool = True) -> None:
        """A stream made here: ``entries`` its dictionary's entries besides its length and filter."""
        if compress:
            data = zlib.compress(data)
            entries += b" /Filter /FlateDecode"
        self.add(number, b"<< %s /Length %d >>" % (entries.strip(), len(data)), data)

    def close(self, root: int, info: int) -> None:
        """The cross-reference and trailer: every number reserved must have been written."""
        while self.pending:
            self._object_stream()
        missing = [n for n in range(1, self.numbers + 1) if n not in self.where]
        if missing:
            raise RuntimeError(f"PDF objects reserved but never written: {missing[:5]}")
        identifier = self.digest.hexdigest()[:32].encode()
        trailer = b"/Root %d 0 R /Info %d 0 R /ID [<%s><%s>]" % (root, info, identifier, identifier)
        if self.compact:
            number = self.reserve()
            self.where[number] = (1, self.offset, 0)
            row = struct.Struct(">BIH").pack
            rows = [row(0, 0, 65535)] + [row(*self.where[n]) for n in range(1, number + 1)]
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
        """The first of the objects waiting (as many as a stream takes), in a stream of their own."""
        number = self.reserve()
        members, self.pending = self.pending[:_OBJECTS_PER_STREAM], self.pending[_OBJECTS_PER_STREAM:]
        numbers = [member for member, _ in members]
        body = [text for _, text in members]
        offsets = itertools.accumulate((len(text) + 1 for text in body[:-1]), initial=0)
        first = b" ".join(map(b"%d %d".__mod__, zip(numbers, offsets))) + b"\n"
        self.where.update(zip(numbers, zip(itertools.repeat(2), itertools.repeat(number), itertools.count())))
        data = zlib.compress(first + b"\n".join(body) + b"\n", _LEVEL)
        self.where[number] = (1, self.offset, 0)
        self._write(b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
                    % (number, len(members), len(first), len(data)))
        self._write(data + b"\nendstream\nendobj\n")

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

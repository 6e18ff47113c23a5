"""A saved web page's bytes as text, in the encoding a browser would read them in.

The HTML standard's encoding sniffing, in its order:

1. a byte order mark (UTF-8, UTF-16);
2. a ``<meta charset>`` or ``<meta http-equiv="Content-Type" content="...; charset=...">``
   in the first 1024 bytes (the "prescan");
3. such a ``<meta>`` further on, before the body: a browser that meets one while parsing
   starts again in that encoding;
4. no declaration: bytes that are valid UTF-8 are UTF-8; else the default a browser has
   for the page's language (``<html lang>``: windows-1252 for most, Shift_JIS for ``ja``,
   windows-1251 for ``ru`` ...) when the text reads well in it; else what
   charset-normalizer finds the bytes to be.

Labels are read as browsers read them (webencodings: ``latin1`` and ``iso-8859-1`` mean
windows-1252, ``sjis`` Shift_JIS). Latin-1 is never a guess: it is what made lxml turn
undeclared pages into mojibake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import webencodings

PRESCAN = 1024
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16le"), (b"\xfe\xff", "utf-16be"))
_COMMENT = re.compile(rb"<!--.*?(?:-->|$)", re.DOTALL)
_META = re.compile(rb"<meta(?=[\s/>])([^>]*)>", re.IGNORECASE)
_ATTRIBUTE = re.compile(rb"""([^\s/>=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*)))?""")
_CHARSET_IN_CONTENT = re.compile(rb"""charset\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"';]+))""", re.IGNORECASE)
_BODY = re.compile(rb"<body[\s>]", re.IGNORECASE)
_LANG = re.compile(rb"""<html\b[^>]*?\blang\s*=\s*["']?([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)?)""", re.IGNORECASE)
_NOT_TEXT = re.compile(r"<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->|<[^>]*>", re.IGNORECASE | re.DOTALL)
# The HTML standard's suggested default encoding by the user's locale, read here from the
# page's language (everything else: windows-1252).
_DEFAULT_BY_LANGUAGE = {
    "ar": "windows-1256", "ba": "windows-1251", "be": "windows-1251", "bg": "windows-1251", "cs": "windows-1250",
    "el": "iso-8859-7", "et": "windows-1257", "fa": "windows-1256", "he": "windows-1255", "hr": "windows-1250",
    "hu": "iso-8859-2", "ja": "shift_jis", "kk": "windows-1251", "ko": "euc-kr", "ku": "windows-1254",
    "ky": "windows-1251", "lt": "windows-1257", "lv": "windows-1257", "mk": "windows-1251", "pl": "iso-8859-2",
    "ru": "windows-1251", "sah": "windows-1251", "sk": "windows-1250", "sl": "iso-8859-2", "sr": "windows-1251",
    "tg": "windows-1251", "th": "windows-874", "tr": "windows-1254", "tt": "windows-1251", "uk": "windows-1251",
    "vi": "windows-1258", "zh-cn": "gb18030", "zh-tw": "big5", "zh": "gb18030",
}
_READS_WELL = 0.1  # charset-normalizer's "mess ratio" of the text below which a default encoding is taken
_PYTHON_CODECS = {"gbk": "gb18030"}  # WHATWG decodes GBK with the GB18030 decoder
_FROM_PYTHON = {"cp932": "shift_jis", "cp949": "euc-kr", "big5hkscs": "big5", "cp874": "windows-874", "euc-jis-2004": "euc-jp",
                "shift-jis-2004": "shift_jis", "shift-jisx0213": "shift_jis", "iso2022-jp": "iso-2022-jp"}


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # its WHATWG name: "utf-8", "windows-1252", "shift_jis", ...
    how: str  # how it was found, for messages
    declared: bool  # by a byte order mark or a <meta>, not guessed
    replaced: int = 0  # bytes that are not valid in that encoding, shown as U+FFFD


def decode_page(raw: bytes) -> Decoded:
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return _decoded(raw[len(bom):], name, "its byte order mark", True)
    declared = _declared(raw[:PRESCAN])
    if declared:
        return _decoded(raw, declared, "its <meta charset>", True)
    body = _BODY.search(raw)
    declared = _declared(raw[:body.start()] if body else raw)
    if declared:
        return _decoded(raw, declared, "its <meta charset> (after the first 1024 bytes)", True)
    try:
        return Decoded(raw.decode("utf-8"), "utf-8", "no encoding declared; its bytes are valid UTF-8", False)
    except UnicodeDecodeError:
        pass
    lang = _LANG.search(raw[:PRESCAN * 4])
    default = _default_for(lang.group(1).decode("ascii").lower() if lang else "")
    text = _strictly(raw, default)
    if text is not None and _mess(text) < _READS_WELL:
        return Decoded(text, default, f"no encoding declared; read as {default}, the default for its language", False)
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is not None:
        name = _whatwg_name(best.encoding)
        return _decoded(raw, name, f"no encoding declared; read as {name}, which its bytes fit best", False)
    return _decoded(raw, default, f"no encoding declared; read as {default}, the default for its language", False)


def _declared(head: bytes) -> str:
    """The encoding a ``<meta>`` in ``head`` names (WHATWG name), or ""."""
    for meta in _META.finditer(_COMMENT.sub(b"", head)):
        attributes = {}
        for match in _ATTRIBUTE.finditer(meta.group(1)):
            name = match.group(1).lower()
            attributes.setdefault(name, next((g for g in match.groups()[1:] if g is not None), b""))
        label = attributes.get(b"charset")
        if label is None and attributes.get(b"http-equiv", b"").strip().lower() == b"content-type":
            found = _CHARSET_IN_CONTENT.search(attributes.get(b"content", b""))
            label = next((g for g in found.groups() if g is not None), None) if found else None
        if label is None:
            continue
        encoding = webencodings.lookup(label.decode("ascii", "replace").strip())
        if encoding is None:
            continue  # an unknown label: the prescan goes on
        if encoding.name in ("utf-16be", "utf-16le"):
            return "utf-8"  # a page that declares UTF-16 in ASCII bytes is not UTF-16
        return "windows-1252" if encoding.name == "x-user-defined" else encoding.name
    return ""


def _whatwg_name(python_codec: str) -> str:
    """A Python codec's name (charset-normalizer's answer) as the web names it."""
    name = python_codec.lower().replace("_", "-")
    name = _FROM_PYTHON.get(name, f"windows-{name[2:]}" if re.fullmatch(r"cp125\d", name) else name)
    found = webencodings.lookup(name)
    return found.name if found else name


def _default_for(language: str) -> str:
    return _DEFAULT_BY_LANGUAGE.get(language) or _DEFAULT_BY_LANGUAGE.get(language.split("-")[0]) or "windows-1252"


def _codec(name: str) -> str:
    found = webencodings.lookup(name)
    return _PYTHON_CODECS.get(name) or (found.codec_info.name if found else name)


def _strictly(raw: bytes, name: str) -> str | None:
    try:
        return raw.decode(_codec(name))
    except (UnicodeDecodeError, LookupError):
        return None


def _decoded(raw: bytes, name: str, how: str, declared: bool) -> Decoded:
    text = raw.decode(_codec(name), "replace")
    replaced = text.count("\ufffd") - raw.count("\ufffd".encode("utf-8")) if name == "utf-8" else text.count("\ufffd")
    return Decoded(text, name, how, declared, max(replaced, 0))


def _mess(text: str) -> float:
    """How badly the page's words read (charset-normalizer's measure: accents in odd places,
    letters of several scripts in one word ...), on its text without the markup."""
    from charset_normalizer.md import mess_ratio

    words = " ".join(_NOT_TEXT.sub(" ", text).split())
    return mess_ratio(words[:20_000]) if words else 0.0

"""The build's cache in ``<book>/.cache``: content-hashed, so it is never stale.

Two levels. Each file's parse is kept under a hash of the file and the toolchain;
a whole build's results are kept under a hash of every input (sources, images,
styles, metadata, options, toolchain), so rebuilding an unchanged book only
copies them. Deleting ``.cache`` gives a clean build with the same bytes. A
cache that cannot be written (a read-only book folder) is simply not used.

A book folder is untrusted (a downloaded project, a committed ``.cache``, a shared
folder), so an entry is data, never code, and only this user's entries are read:

- **Data.** An entry is JSON for the structure (frozen dataclasses, enums, tuples,
  dicts, ... each tagged with its type, so it comes back exactly as it went in) and
  the ``bytes`` values (a segment's PDF) as raw blobs after it. Only the classes
  listed in ``_CACHEABLE`` can come back: nothing is imported or called by
  a name the file gives that is not in that table.
- **Signed.** Each entry carries an HMAC-SHA256 of its kind, key and contents,
  made with a secret kept outside every book (``$XDG_CACHE_HOME/bookbuild/secret``,
  made once, mode 0600). An entry made by anyone else, moved to another key, cut
  short or changed by one byte is not read at all: a miss, and the build makes
  that part afresh.

An entry on disk::

    b"bookbuild-cache 1\\n"       what the file is
    32 bytes                     HMAC-SHA256(secret, kind, key, the rest)
    8 bytes, big-endian          length of the JSON
    JSON (UTF-8)                 the value; bytes as {"bytes": [offset, length]} into:
    blobs                        every bytes value, one after another
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import hmac
import json
import os
import secrets
import shutil
import stat
import tempfile
from functools import lru_cache
from pathlib import Path

CACHE_DIR = ".cache"
_KEEP_BUILDS = 2
_MAGIC = b"bookbuild-cache 1\n"
_MAC_SIZE = 32
_SECRET_SIZE = 32


@lru_cache(maxsize=1)
def toolchain_fingerprint() -> bytes:
    """Our own code, the theme and the versions of the tools that shape the output."""
    from importlib.metadata import version

    from . import theme

    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    code = [path for path in package.rglob("*") if path.suffix in (".py", ".lua", ".yaml")]  # pandoc's scripts, the words too
    for path in sorted(code) + sorted(theme.DEFAULT_THEME.glob("*.css")):
        digest.update(path.relative_to(path.parent.parent).as_posix().encode() + path.read_bytes())
    for name in ("pypandoc_binary", "weasyprint", "pikepdf", "lxml", "font-source-serif-pro", "pillow",
                 "uharfbuzz", "fonttools", "python-barcode", "babel"):
        digest.update(f"{name}={version(name)}".encode())
    return digest.digest()


def key_of(*parts: bytes | str) -> str:
    digest = hashlib.sha256(toolchain_fingerprint())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def book_inputs_key(root: Path, options: str) -> str:
    """Every input of a build: metadata, the manuscript tree (images too), the book's styles.
    (What a build reads elsewhere in the book, a cover or a colour profile, it lists in its
    result: ``pipeline``.) Each file by its SHA-256, read a piece at a time; a link out of
    the book, a pipe or a device by what it is, never by what it leads to."""
    parts: list[bytes | str] = [options]
    for top in ("metadata.yaml", "manuscript", "styles"):
        path = root / top
        files = [path] if not path.is_dir() else sorted(p for p in path.rglob("*") if not p.is_dir())
        for file in files:
            if file.exists() or file.is_symlink():
                parts += [file.relative_to(root).as_posix(), file_digest(root, file)]
    return key_of(*parts)


def file_digest(root: Path, file: Path) -> str:
    """The SHA-256 of a file of the book, or why it cannot be read (resources.read_inside's rules)."""
    from .resources import ResourceRefused, regular_inside

    try:
        regular_inside(root, file, limit=None)
        fd = os.open(file.resolve(), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except (ResourceRefused, OSError) as refused:
        return f"refused: {refused}"
    with os.fdopen(fd, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class Cache:
    """``secret`` signs and checks the entries; by default the user's own (``user_secret``).
    Without one (no place to keep it) nothing is read or written. A ``read_only`` cache
    (`check`'s, which writes nothing anywhere) reads what builds stored, and neither stores
    nor forgets anything, nor makes a secret."""

    def __init__(self, root: Path, secret: bytes | None = None, read_only: bool = False):
        self.folder = root / CACHE_DIR
        self.read_only = read_only
        self.secret = secret if secret is not None else user_secret(make=not read_only)

    def load(self, kind: str, key: str):
        """The value stored under ``key``, or None: missing, made by someone else, or damaged."""
        folder = self._folder(kind)
        if folder is None or self.secret is None:
            return None
        data = _read_plain_file(folder / key)
        if data is None or not data.startswith(_MAGIC) or len(data) < len(_MAGIC) + _MAC_SIZE + 8:
            return None
        mac, body = data[len(_MAGIC):len(_MAGIC) + _MAC_SIZE], data[len(_MAGIC) + _MAC_SIZE:]
        if not hmac.compare_digest(mac, self._mac(kind, key, body)):
            return None
        try:
            return _decode(body)
        except (ValueError, TypeError, KeyError, IndexError, StopIteration):  # not what this toolchain writes
            return None

    def has(self, kind: str, key: str) -> bool:
        """Whether an entry is there (not whether it would load: ``load`` checks that)."""
        folder = self._folder(kind)
        return folder is not None and self.secret is not None and (folder / key).is_file()

    @property
    def writable(self) -> bool:
        """Whether ``store`` keeps anything (a full disk aside)."""
        return self.secret is not None and not self.read_only and self._folder("") is not None

    def store(self, kind: str, key: str, value) -> None:
        body = _encode(value)  # a value the cache cannot hold is a bug: it raises TypeError
        folder = self._folder(kind)
        if folder is None or self.secret is None or self.read_only:
            return
        temp = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=folder, prefix=".partial-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(_MAGIC + self._mac(kind, key, body) + body)
            os.replace(temp, folder / key)
        except OSError:  # no cache is a slower build, never a failed one
            if temp is not None:
                Path(temp).unlink(missing_ok=True)

    def keep_only(self, kind: str, keys: set[str]) -> None:
        """Forget entries this build did not use, so the cache stays the size of the book."""
        folder = self._folder(kind)
        if folder is not None and folder.is_dir() and not self.read_only:
            for entry in folder.iterdir():
                if entry.name not in keys:
                    _remove(entry)

    def keep_latest(self, kind: str, key: str) -> None:
        folder = self._folder(kind)
        if folder is not None and folder.is_dir() and not self.read_only:
            entries = sorted((e for e in folder.iterdir() if e.name != key), key=lambda e: e.lstat().st_mtime,
                             reverse=True)
            for entry in entries[_KEEP_BUILDS - 1:]:
                _remove(entry)

    def _folder(self, kind: str) -> Path | None:
        """Where ``kind``'s entries are, unless ``.cache`` or it is a link: a link planted in
        the book could point anywhere, and entries are written and deleted there."""
        folder = self.folder / kind
        return None if self.folder.is_symlink() or folder.is_symlink() else folder

    def _mac(self, kind: str, key: str, body: bytes) -> bytes:
        signed = hmac.new(self.secret, _MAGIC + kind.encode() + b"\0" + key.encode() + b"\0", hashlib.sha256)
        signed.update(body)
        return signed.digest()


def user_secret(make: bool = True) -> bytes | None:
    """This user's key for signing cache entries, made on first use (unless not to ``make``
    it) and kept outside every book: ``$XDG_CACHE_HOME/bookbuild/secret`` (else
    ``~/.cache/bookbuild/secret``). None when there is no such file that only this user can
    read (then no cache is used)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    folder = (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "bookbuild"
    if not make and not (folder / "secret").exists():
        return None
    return _secret_in(folder)


@lru_cache(maxsize=4)
def _secret_in(folder: Path) -> bytes | None:
    path = folder / "secret"
    try:
        if not path.exists():
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Written whole under another name, then linked into place: a build that starts at
            # the same moment sees either no secret or all of it, and never replaces it.
            fd, temp = tempfile.mkstemp(dir=folder, prefix=".secret-")  # mode 0600
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(secrets.token_bytes(_SECRET_SIZE))
                os.link(temp, path)
            except FileExistsError:
                pass
            finally:
                os.unlink(temp)
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            secret = handle.read(_SECRET_SIZE + 1)
    except OSError:
        return None
    mine = info.st_uid == os.geteuid() and not info.st_mode & 0o077 and stat.S_ISREG(info.st_mode)
    return secret if mine and len(secret) == _SECRET_SIZE else None


def _read_plain_file(path: Path) -> bytes | None:
    """A regular file's bytes; None for anything else planted in its place (a link, which
    could lead anywhere, or a pipe, which would never end)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        return handle.read()


def _remove(entry: Path) -> None:
    try:
        shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    except OSError:
        pass


# --- values as data -----------------------------------------------------------------------


# The classes an entry may hold, by name, and the module of each: what the build stores,
# and what they hold. A new one is added here (``tests/test_cache.py`` finds those missing).
# Each module is imported when an entry first needs one of its classes: a no-op build reads
# its last result without importing the PDF machinery.
_CACHEABLE = {
    **dict.fromkeys(("ParsedPart", "SourceFile", "PartKind", "Heading", "LinkRef", "ImageRef", "Problem", "Severity",
                     "Report"), "bookbuild.model"),  # parse, and the builds' reports
    "SegmentLayout": "bookbuild.editions.typeset", "PageStart": "bookbuild.pagemap",  # segments
    "PrintedNumber": "bookbuild.editions.pagenumbers", "NumberFont": "bookbuild.editions.pagenumbers",
    **dict.fromkeys(("FinishedPages", "FontUse", "Bookmark"), "bookbuild.editions.finishing"),  # finished pages
    "Fragment": "bookbuild.editions.pdfwriter",
    "PrintFindings": "bookbuild.preflight.drawing", "PlacedImage": "bookbuild.preflight.drawing",
    "ScreenFindings": "bookbuild.preflight.tagging",
    "BuildResult": "bookbuild.pipeline", "Edition": "bookbuild.downloads",  # builds
}


@lru_cache(maxsize=None)
def _cacheable_class(name: str) -> type:
    """The class of that name an entry may hold (KeyError for any other name)."""
    import importlib

    return getattr(importlib.import_module(_CACHEABLE[name]), name)


def _cacheable_classes() -> dict[str, type]:
    """Every class an entry may hold, by name."""
    return {name: _cacheable_class(name) for name in _CACHEABLE}


@lru_cache(maxsize=None)
def _field_names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls))


def _encode(value) -> bytes:
    """The JSON of ``value`` and the blobs it refers to (see the module's docstring)."""
    blobs: list[bytes] = []
    size = 0

    def encode(value):
        nonlocal size
        kind = type(value)
        if value is None or kind in (bool, int, float, str):
            return value
        if kind is list:
            return [encode(item) for item in value]
        if kind is tuple:
            return {"tuple": [encode(item) for item in value]}
        if kind is dict:
            return {"dict": [[encode(k), encode(v)] for k, v in value.items()]}
        if kind is frozenset or kind is set:
            return {kind.__name__: [encode(item) for item in value]}
        if kind is bytes:
            blobs.append(value)
            size += len(value)
            return {"bytes": [size - len(value), len(value)]}
        if isinstance(value, Path):
            return {"path": str(value)}
        if kind.__name__ in _CACHEABLE and _cacheable_class(kind.__name__) is kind:
            if isinstance(value, enum.Enum):
                return {"enum": kind.__name__, "member": value.name}
            return {"dataclass": kind.__name__,  # then the fields (none is called "dataclass")
                    **{f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
        raise TypeError(f"the cache cannot hold a {kind.__module__}.{kind.__qualname__}: "
                        f"add it to bookbuild.cache._CACHEABLE if it is data")

    document = json.dumps(encode(value), ensure_ascii=False, separators=(",", ":")).encode()
    return len(document).to_bytes(8, "big") + document + b"".join(blobs)


def _decode(body: bytes):
    size = int.from_bytes(body[:8], "big")
    blobs = memoryview(body)[8 + size:]
    def value_of(tagged: dict):
        """Called by the JSON parser on each object, innermost first: its contents are values already."""
        tag, content = next(iter(tagged.items()))  # the first key says what the value is
        if tag == "tuple":
            return tuple(content)
        if tag == "dict":
            return dict(content)
        if tag == "frozenset":
            return frozenset(content)
        if tag == "set":
            return set(content)
        if tag == "bytes":
            start, length = content
            if start + length > len(blobs):
                raise ValueError("a blob beyond the end of the entry")
            return bytes(blobs[start:start + length])
        if tag == "path":
            return Path(content)
        if tag == "enum":
            return _cacheable_class(content)[tagged["member"]]
        if tag == "dataclass":
            cls = _cacheable_class(content)
            fields = {name: value for name, value in tagged.items() if name != "dataclass"}
            if fields.keys() != _field_names(cls):
                raise ValueError(f"{content} has other fields now")
            return cls(**fields)
        raise ValueError(f"unknown tag {tag}")

    return json.loads(body[8:8 + size], object_hook=value_of)

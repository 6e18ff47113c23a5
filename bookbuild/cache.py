"""The build's cache in ``<book>/.cache``: content-hashed, so it is never stale.

Two levels. Each file's parse is kept under a hash of the file and the toolchain;
a whole build's results are kept under a hash of every input (sources, images,
styles, metadata, options, toolchain), so rebuilding an unchanged book only
copies them. Deleting ``.cache`` gives a clean build with the same bytes. A
cache that cannot be written (a read-only book folder) is simply not used.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

CACHE_DIR = ".cache"
_KEEP_BUILDS = 2


@lru_cache(maxsize=1)
def toolchain_fingerprint() -> bytes:
    """Our own code, the theme and the versions of the tools that shape the output."""
    from importlib.metadata import version

    from . import theme

    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")) + sorted(theme.DEFAULT_THEME.glob("*.css")):
        digest.update(path.name.encode() + path.read_bytes())
    for name in ("pypandoc_binary", "weasyprint", "pikepdf", "lxml", "font-source-serif-pro", "pillow",
                 "uharfbuzz", "fonttools"):
        digest.update(f"{name}={version(name)}".encode())
    return digest.digest()


def key_of(*parts: bytes | str) -> str:
    digest = hashlib.sha256(toolchain_fingerprint())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def book_inputs_key(root: Path, options: str) -> str:
    """Every input of a build: metadata, the manuscript tree (images too), the book's styles."""
    parts: list[bytes | str] = [options]
    for top in ("metadata.yaml", "manuscript", "styles"):
        path = root / top
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []
        for file in files:
            parts += [file.relative_to(root).as_posix(), file.read_bytes()]
    return key_of(*parts)


class Cache:
    def __init__(self, root: Path):
        self.folder = root / CACHE_DIR

    def load(self, kind: str, key: str):
        try:
            with open(self.folder / kind / key, "rb") as handle:
                return pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None

    def store(self, kind: str, key: str, value) -> None:
        folder = self.folder / kind
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=folder, prefix=".partial-")
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, folder / key)
        except OSError:
            pass  # no cache is a slower build, never a failed one

    def keep_only(self, kind: str, keys: set[str]) -> None:
        """Forget entries this build did not use, so the cache stays the size of the book."""
        folder = self.folder / kind
        if folder.is_dir():
            for entry in folder.iterdir():
                if entry.name not in keys:
                    _remove(entry)

    def keep_latest(self, kind: str, key: str) -> None:
        folder = self.folder / kind
        if folder.is_dir():
            entries = sorted((e for e in folder.iterdir() if e.name != key), key=lambda e: e.stat().st_mtime, reverse=True)
            for entry in entries[_KEEP_BUILDS - 1:]:
                _remove(entry)


def _remove(entry: Path) -> None:
    try:
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    except OSError:
        pass

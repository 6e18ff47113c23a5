"""What the author is told is true: `check` writes nothing, and agrees with the build.

The contract: "`check` reads the book and writes nothing anywhere. Whatever a build would
refuse, `check` refuses at the same line, except what only layout can find (it says so)."
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, copy_book


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every path under ``folder`` with its kind, mode, size, modification time and bytes."""
    found = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
        found[path.relative_to(folder).as_posix()] = (info.st_mode, info.st_size, info.st_mtime_ns, data)
    return found


def run_with_cache_home(cache_home: Path, *args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "build.py"), *map(str, args)], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "XDG_CACHE_HOME": str(cache_home), "PYTHONDONTWRITEBYTECODE": "1"})


@pytest.mark.parametrize("name", ["refs", "scripts", "hostile"])
def test_check_leaves_the_book_folder_byte_identical_and_writes_nowhere_else(tmp_path, name):
    """Before any build (no .cache, no secret of the user's), and after one (check reads its
    cache, and neither adds to it nor prunes it)."""
    book = copy_book(name, tmp_path / "book")
    cache_home = tmp_path / "cache-home"
    cache_home.mkdir()
    before = snapshot(book)
    checked = run_with_cache_home(cache_home, "check", "--book", book)
    assert checked.returncode == 0, checked.stderr
    assert snapshot(book) == before
    assert list(cache_home.iterdir()) == [], "check made the user's cache folder"
    built = run_with_cache_home(cache_home, "--book", book, "--out", tmp_path / "out", "--formats", "epub")
    assert built.returncode == 0, built.stderr
    assert (book / ".cache").is_dir()
    before = snapshot(book)
    secret = snapshot(cache_home)
    again = run_with_cache_home(cache_home, "check", "--book", book)
    assert (again.returncode, again.stdout, again.stderr) == (0, checked.stdout, checked.stderr)
    assert snapshot(book) == before
    assert snapshot(cache_home) == secret

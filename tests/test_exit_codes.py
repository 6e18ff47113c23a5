"""Exit code 3: a bug in the toolchain, told apart from a book's errors (exit 1).

A bug is provoked without touching the toolchain's code: the environment breaks one of
its dependencies (PYTHONPATH puts first a package of the same name that fails when it
is imported, as a damaged installation would). The build must then exit 3, show the
traceback (to be reported) and say it is a bug, not a problem in the book.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import REPO, copy_book

BUG_LINE = "internal error: this is a bug in the build tool, not in your book; please report it"


def broken(folder, package: str):
    """A folder to put first on PYTHONPATH, where ``package`` fails when imported."""
    (folder / package).mkdir(parents=True)
    (folder / package / "__init__.py").write_text(f'raise RuntimeError("{package} is broken in this environment")\n')
    return folder


def run_with(pythonpath, *args, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "build.py"), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONPATH": str(pythonpath), "PYTHONDONTWRITEBYTECODE": "1"})


def assert_a_bug(done: subprocess.CompletedProcess, package: str) -> None:
    assert done.returncode == 3, (done.returncode, done.stderr)
    assert "Traceback (most recent call last)" in done.stderr
    assert f"RuntimeError: {package} is broken in this environment" in done.stderr
    assert done.stderr.rstrip().splitlines()[-1] == BUG_LINE
    assert ": error: " not in done.stderr  # nothing is blamed on the book


@pytest.mark.parametrize("command", [("check",), ("--formats", "epub")], ids=["check", "build"])
def test_a_broken_css_reader_is_a_bug(tmp_path, command):
    """tinycss2 reads a book's own stylesheets, while the book is checked."""
    book = copy_book("colour", tmp_path / "book")  # it has styles/pdf.css
    done = run_with(broken(tmp_path / "site", "tinycss2"), *command, "--book", book)
    assert_a_bug(done, "tinycss2")
    assert not (book / "dist").exists()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_broken_typesetter_is_a_bug(tmp_path, jobs):
    """WeasyPrint lays the pages out, in this process or in worker processes, which once
    started again forever when WeasyPrint could not be imported (the build hung). The run
    takes seconds; its limit is the module's, as for every other run here: 60 s was once
    reached on a loaded machine, and 600 runs of bench/hang_hunt.py found no hang."""
    book = copy_book("refs", tmp_path / "book")
    done = run_with(broken(tmp_path / "site", "weasyprint"), "--book", book, "--formats", "print", "--jobs", jobs)
    assert_a_bug(done, "weasyprint")
    assert not (book / "dist").exists()


def test_a_dependency_broken_at_import_is_a_bug(tmp_path):
    """lxml is imported with the toolchain itself, before the CLI can catch anything: a
    failure there is still reported as a bug, not as Python's bare traceback and exit 1."""
    book = copy_book("refs", tmp_path / "book")
    done = run_with(broken(tmp_path / "site", "lxml"), "check", "--book", book)
    assert_a_bug(done, "lxml")


def test_the_installed_command_reports_a_dependency_broken_at_import_as_a_bug(tmp_path):
    """``python -m bookbuild`` and the ``bookbuild`` script start where build.py does not."""
    book = copy_book("refs", tmp_path / "book")
    done = subprocess.run([sys.executable, "-m", "bookbuild", "check", "--book", str(book)], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(broken(tmp_path / "site", "lxml")),
                               "PYTHONDONTWRITEBYTECODE": "1"})
    assert_a_bug(done, "lxml")

"""The toolchain as an installed package needs nothing from this repository.

pip installs it (without its dependencies, which come from the test environment) into a
folder of its own; its `bookbuild` command then builds a book, serves the preview and
imports a saved web page, from a folder outside the repository. An audit hook in every
Python process records each file opened, folder listed and program started: none is in
the repository (the test environment's .venv aside), and the default theme, pandoc's Lua
script, the preview's files and the import's rules are read from the installed copy.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO, copy_book

# sitecustomize.py, imported by every Python process that has it on its path: children of
# the build (forked or started anew) report too.
AUDIT = r'''
import os
import sys

_log = os.open(os.environ["BOOKBUILD_AUDIT_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)


def _paths(event, args):
    if event in ("open", "os.listdir", "os.scandir"):
        return [args[0]]
    if event == "subprocess.Popen":  # executable, args, cwd, env
        command = args[1] if isinstance(args[1], (list, tuple)) else [args[1]]
        return [args[0], *command, args[2]]
    return []


def _hook(event, args):
    for path in _paths(event, args):
        if isinstance(path, (str, bytes, os.PathLike)):
            shown = os.path.abspath(os.fsdecode(path)).replace("\n", " ")
            os.write(_log, f"{event}\t{shown}\n".encode("utf-8", "surrogateescape"))


sys.addaudithook(_hook)
'''
SAVED = REPO / "tests" / "import" / "saved"
# What pip needs of the repository to build the package (the rest is left out of the copy).
_NOT_PACKAGED = (".git", ".venv", ".tools", ".cache", "dist", "build", "*.egg-info", "__pycache__", ".pytest_cache",
                 ".hypothesis", "tests", "bench", "manuscript", "tools")


@dataclass(frozen=True)
class Installed:
    target: Path  # what pip installed: bookbuild/, its dist-info, bin/bookbuild
    elsewhere: Path  # the working folder of every command, outside the repository
    env: dict[str, str]
    log: Path

    def run(self, *args: str | Path, **popen) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.target / "bin" / "bookbuild"), *map(str, args)], cwd=self.elsewhere,
                              env=self.env, capture_output=True, text=True, timeout=600, **popen)

    def opened(self) -> list[tuple[str, Path]]:
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return [(event, Path(path)) for event, _, path in (line.partition("\t") for line in lines)]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    base = tmp_path_factory.mktemp("install")
    source = base / "source"  # pip builds in the folder it is given: a copy, so the repository stays as it is
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*_NOT_PACKAGED))
    target = base / "installed"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                          "--no-deps", "--no-build-isolation", "--no-index", "--no-compile", "--target", str(target), str(source)],
                         capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stderr
    audit = base / "audit"
    audit.mkdir()
    (audit / "sitecustomize.py").write_text(AUDIT, encoding="utf-8")
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(audit), str(target)]),
           "BOOKBUILD_AUDIT_LOG": str(base / "audit.log"), "PYTHONDONTWRITEBYTECODE": "1"}
    return Installed(target, elsewhere, env, base / "audit.log")


def under(path: Path, folder: Path) -> bool:
    return path.is_relative_to(folder) or path.is_relative_to(folder.resolve())


@pytest.fixture(scope="module")
def used(installed) -> list[tuple[str, Path]]:
    """Build a fixture book, serve its preview, import a saved page: what they opened."""
    book = copy_book("refs", installed.elsewhere / "refs")
    built = installed.run("--book", book, "--out", installed.elsewhere / "out")
    assert built.returncode == 0, built.stderr
    assert sorted(path.name for path in (installed.elsewhere / "out").iterdir()) == [
        ".bookbuild-written", "cross-references-cover.pdf", "cross-references-print.pdf", "cross-references-screen.pdf",
        "cross-references.epub", "index.html"]

    watch = subprocess.Popen([str(installed.target / "bin" / "bookbuild"), "watch", "--book", str(book), "--port", "0"],
                             cwd=installed.elsewhere, env=installed.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        ready, _, _ = select.select([watch.stdout], [], [], 60)
        serving = watch.stdout.readline() if ready else ""
        assert serving.startswith("serving http://127.0.0.1:"), serving
        with urllib.request.urlopen(serving.split()[1], timeout=30) as response:
            assert "Cross references" in response.read().decode("utf-8")
    finally:
        watch.send_signal(signal.SIGINT)
        watch.communicate(timeout=30)

    saved = installed.elsewhere / "saved"
    saved.mkdir()
    page = "2. Lights are not optional – Pedal Notes"
    shutil.copy(SAVED / f"{page}.html", saved)
    shutil.copytree(SAVED / f"{page}_files", saved / f"{page}_files")
    imported = installed.run("import", saved / f"{page}.html", "--book", installed.elsewhere / "blog")
    assert imported.returncode == 0, imported.stderr
    assert (installed.elsewhere / "blog" / "manuscript" / "002-lights-are-not-optional.md").is_file()
    return installed.opened()


def test_the_installed_command_opens_nothing_in_the_repository(installed, used):
    environment = Path(sys.prefix)  # the dependencies: the test environment's own
    from_repository = sorted({str(path) for _, path in used if under(path, REPO) and not under(path, environment)})
    assert from_repository == []


def test_what_the_package_reads_comes_from_the_installed_copy(installed, used):
    package = installed.target / "bookbuild"
    assert ("open", package / "default_theme" / "book.css") in used
    assert ("open", package / "default_theme" / "pdf.css") in used
    assert ("subprocess.Popen", package / "pandoc_batch.lua") in used
    assert ("open", package / "preview" / "page.html") in used
    assert ("open", package / "preview" / "reload.js") in used
    assert ("open", package / "blogimport" / "rules.yaml") in used
    assert ("open", package / "cli.py") in used  # the code too


def test_the_installed_theme_is_the_repository_styles(installed):
    """One theme, kept in styles/ and installed as bookbuild/default_theme."""
    theme = installed.target / "bookbuild" / "default_theme"
    assert sorted(p.name for p in theme.iterdir()) == sorted(p.name for p in (REPO / "styles").glob("*.css"))
    for css in theme.iterdir():
        assert css.read_bytes() == (REPO / "styles" / css.name).read_bytes()


def test_every_file_of_the_package_is_installed(installed):
    """Whatever lies in bookbuild/ (code, the Lua script, templates, rules) is in the installed copy."""
    package = REPO / "bookbuild"
    wanted = {p.relative_to(package) for p in package.rglob("*")
              if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    have = {p.relative_to(installed.target / "bookbuild") for p in (installed.target / "bookbuild").rglob("*")
            if p.is_file() and "default_theme" not in p.parts}
    assert wanted == have


def test_the_command_names_itself(installed):
    version = installed.run("--version")
    from bookbuild import __version__

    assert (version.returncode, version.stdout) == (0, f"bookbuild {__version__}\n")


def test_the_licence_and_the_notice_are_installed(installed):
    licences = {p.name for p in installed.target.glob("bookbuild-*.dist-info/licenses/*")}
    assert licences == {"LICENSE", "THIRD-PARTY-NOTICES.md"}

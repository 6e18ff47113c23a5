"""init and new, --help and --version, and a missing package: the real command line on
temporary book folders."""

import datetime
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import BOOKS, REPO, copy_book, run_build

# --- init ---------------------------------------------------------------------------------------


def test_init_writes_a_book_that_builds_at_once(new_book):
    book, built = new_book
    assert sorted(p.name for p in book.iterdir()) == [".cache", ".gitignore", "README.md", "dist", "manuscript", "metadata.yaml"]
    metadata = yaml.safe_load((book / "metadata.yaml").read_text(encoding="utf-8"))
    assert metadata == {"title": "Salt & Light: Notes", "author": "Ada Lane", "language": "en-GB", "date": datetime.date.today()}
    assert (book / ".gitignore").read_text().split() == ["dist/", ".cache/"]
    readme = (book / "README.md").read_text(encoding="utf-8")
    for topic in ("## Write", "[[12#final-thoughts]]", " watch", " check", "## Print", "target: kdp"):
        assert topic in readme
    assert sorted(p.name for p in (book / "manuscript").iterdir()) == ["001-the-first-thing.md", "002-knead-less-than-you-think.md"]
    assert sorted(p.name for p in (book / "dist").iterdir()) == [
        ".bookbuild-written", "index.html", "salt-light-notes-cover.pdf", "salt-light-notes-print.pdf", "salt-light-notes-screen.pdf",
        "salt-light-notes.epub"]
    assert built.stderr == ""  # not even a warning


def test_init_refuses_a_folder_that_holds_a_book(tmp_path):
    book = copy_book("refs", tmp_path / "book")
    before = (book / "metadata.yaml").read_bytes()
    done = run_build("init", book, "--title", "T", "--author", "A", "--language", "en")
    assert done.returncode == 2, done.stderr
    assert "already holds a book" in done.stderr
    assert (book / "metadata.yaml").read_bytes() == before
    assert not (book / "README.md").exists()
    only_chapters = tmp_path / "chapters-only"
    (only_chapters / "manuscript").mkdir(parents=True)
    done = run_build("init", only_chapters, "--title", "T", "--author", "A", "--language", "en")
    assert done.returncode == 2 and not (only_chapters / "metadata.yaml").exists()


def test_init_without_a_terminal_says_which_options_are_missing(tmp_path):
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "init", str(tmp_path / "b"), "--title", "T"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 2
    assert "--author, --language" in done.stderr and "terminal" in done.stderr
    assert not (tmp_path / "b").exists()


def test_init_refuses_a_language_that_is_not_a_tag(tmp_path):
    done = run_build("init", tmp_path / "b", "--title", "T", "--author", "A", "--language", "English please")
    assert done.returncode == 2 and "BCP 47" in done.stderr
    assert not (tmp_path / "b").exists()


def test_init_asks_on_a_terminal(tmp_path):
    """Title, author and language not given: asked for when stdin is a terminal."""
    controller, terminal = os.openpty()
    try:
        process = subprocess.Popen([sys.executable, str(REPO / "build.py"), "init", str(tmp_path / "asked")],
                                   stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        os.write(controller, "Bread, Mostly\nBo Baker\nnot a language\nfr-CA\n".encode())
        stdout, stderr = process.communicate(timeout=60)
    finally:
        os.close(controller)
        os.close(terminal)
    assert process.returncode == 0, stderr
    assert stdout.count("Language") == 2  # asked again after an answer that is not a language tag
    metadata = yaml.safe_load((tmp_path / "asked" / "metadata.yaml").read_text(encoding="utf-8"))
    assert metadata == {"title": "Bread, Mostly", "author": "Bo Baker", "language": "fr-CA", "date": datetime.date.today()}


# --- new ----------------------------------------------------------------------------------------


def test_new_numbers_after_the_highest_chapter_and_prints_the_path(tmp_path):
    book = copy_book("refs", tmp_path / "book")  # chapters 1, 7, 12 and the draft 50
    done = run_build("new", "Crème brûlée, at last!", cwd=book)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "manuscript/051-creme-brulee-at-last.md\n"
    text = (book / done.stdout.strip()).read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: Crème brûlée, at last!\n---\n")
    elsewhere = run_build("new", "Title: with a colon", "--book", book, "--number", "1000")
    assert elsewhere.returncode == 0, elsewhere.stderr
    created = book / "manuscript" / "1000-title-with-a-colon.md"
    assert elsewhere.stdout.strip() == str(created)  # outside the current folder: the whole path
    assert yaml.safe_load(created.read_text(encoding="utf-8").split("---")[1]) == {"title": "Title: with a colon"}
    checked = run_build("check", "--book", book)
    assert checked.returncode == 0, checked.stderr
    assert "5 chapters, no errors" in checked.stdout


@pytest.mark.parametrize("number", ["7", "12", "50"], ids=["written-07", "written-0012", "a-draft"])
def test_new_refuses_a_number_in_use_whatever_its_slug(tmp_path, number):
    book = copy_book("refs", tmp_path / "book")
    before = sorted(p.name for p in (book / "manuscript").iterdir())
    done = run_build("new", "Something else entirely", "--book", book, "--number", number)
    assert done.returncode == 2
    assert f"chapter {int(number)} exists already" in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.name for p in (book / "manuscript").iterdir()) == before


def test_new_outside_a_book_is_wrong_usage(tmp_path):
    done = run_build("new", "A title", "--book", tmp_path)
    assert done.returncode == 2 and "not a book folder" in done.stderr
    assert list(tmp_path.iterdir()) == []


# --- help, version, dependencies ----------------------------------------------------------------


COMMANDS = [[], ["check"], ["init"], ["new"], ["watch"], ["import"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0] if c else "build")
def test_every_command_has_help_with_an_example(command):
    done = run_build(*command, "--help")
    assert done.returncode == 0
    assert "examples:" in done.stdout and "python3 build.py " + " ".join(command) in done.stdout


def test_the_builds_help_lists_every_command():
    listed = run_build("--help").stdout.split("commands (each has --help):")[1].split("options:")[0]
    assert [line.split()[0] for line in listed.strip().splitlines()] == [c[0] for c in COMMANDS if c]


def test_the_next_commands_init_prints_run_as_shown(tmp_path):
    """From a folder outside the repository: each "next" line is pasted into a shell as it stands."""
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "init", "my book", "--title", "T", "--author", "A",
                           "--language", "en"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    commands = [line.strip().removeprefix("next:").strip() for line in done.stdout.split("next:")[1].splitlines()]
    assert len(commands) == 3 and all("--book 'my book'" in command for command in commands), done.stdout
    assert commands[0].startswith("python3 ") and ' new "The second thing"' in commands[0]
    added = subprocess.run(commands[0], shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert added.returncode == 0, added.stderr
    assert (tmp_path / "my book" / "manuscript" / "002-the-second-thing.md").is_file()
    for command in commands[1:]:  # watch and build: the same program, understood with these options
        assert subprocess.run(command + " --help", shell=True, cwd=tmp_path, capture_output=True, timeout=60).returncode == 0


def test_version():
    from bookbuild import __version__

    done = run_build("--version")
    assert (done.returncode, done.stdout) == (0, f"build.py {__version__}\n")


def test_a_python_without_the_packages_uses_the_venv_or_says_what_to_run(tmp_path):
    """-S: a Python that does not see the installed packages, as a fresh machine's would."""
    if (REPO / ".venv" / "bin" / "python").exists():
        through_venv = subprocess.run([sys.executable, "-S", str(REPO / "build.py"), "--version"],
                                      capture_output=True, text=True, timeout=60)
        assert through_venv.returncode == 0, through_venv.stderr
    clone = tmp_path / "clone"  # the repository without its .venv
    clone.mkdir()
    shutil.copy(REPO / "build.py", clone)
    shutil.copytree(REPO / "bookbuild", clone / "bookbuild", ignore=shutil.ignore_patterns("__pycache__"))
    bare = subprocess.run([sys.executable, "-S", str(clone / "build.py"), "--book", str(BOOKS / "refs")],
                          capture_output=True, text=True, timeout=60)
    assert bare.returncode == 3
    assert re.fullmatch(r"error: the Python package `\w+` is not installed: run `make setup` in .+\n", bare.stderr)
    assert bare.stdout == ""
    for asking in (["--help"], ["check", "--help"], ["import", "--help"], ["--version"]):  # these need no package
        answered = subprocess.run([sys.executable, "-S", str(clone / "build.py"), *asking],
                                  capture_output=True, text=True, timeout=60)
        assert answered.returncode == 0 and answered.stdout.startswith(("usage: build.py", "build.py ")), answered.stderr

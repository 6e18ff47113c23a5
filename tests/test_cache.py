"""The cache in <book>/.cache: rebuilds give exactly what a clean build gives."""

import dataclasses
import enum
import os
import pathlib
import pickle
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile

import pytest
from conftest import REPO, copy_book, pdf_destinations, pdf_page_labels, pdf_page_texts, run_build

EDITIONS = ("cross-references.epub", "cross-references-print.pdf", "cross-references-screen.pdf")


@pytest.fixture
def book(tmp_path):
    copy = tmp_path / "book"
    return copy_book("refs", copy)


def build(book, out):
    done = run_build("--book", book, "--out", out)
    assert done.returncode == 0, done.stderr
    return {path.name: path.read_bytes() for path in out.iterdir()}


def test_an_edited_chapter_rebuilds_to_the_bytes_of_a_clean_build(book, tmp_path):
    build(book, tmp_path / "first")
    assert (book / ".cache" / "parse").is_dir()
    chapter = book / "manuscript" / "0012-twelfth.md"
    chapter.write_text(chapter.read_text().replace("which are not the seventh's", "which are not, at all, the seventh's"))
    rebuilt = build(book, tmp_path / "rebuilt")
    shutil.rmtree(book / ".cache")
    clean = build(book, tmp_path / "clean")
    assert rebuilt == clean
    assert b"not, at all" in zipfile.ZipFile(tmp_path / "clean" / EDITIONS[0]).read("EPUB/c012.xhtml")


def test_an_edit_lays_out_only_its_own_chapter_again(book, tmp_path):
    first = run_build("--book", book, "--out", tmp_path / "first")
    parts = int(re.search(r"PDF: laid out (\d+) of \1 parts", first.stdout).group(1))
    assert parts == 4  # the front matter and three chapters, each laid out once
    chapter = book / "manuscript" / "0012-twelfth.md"
    chapter.write_text(chapter.read_text().replace("which are not the seventh's", "which are not the seventh one's"))
    again = run_build("--book", book, "--out", tmp_path / "again")
    assert f"PDF: laid out 1 of {parts} parts (1 round for page numbers)" in again.stdout, again.stdout
    unchanged = run_build("--book", book, "--out", tmp_path / "unchanged")
    assert "nothing changed since the last build" in unchanged.stdout


def test_a_no_op_rebuild_writes_the_same_bytes(book, tmp_path):
    assert build(book, tmp_path / "a") == build(book, tmp_path / "b")


def test_metadata_and_theme_changes_reach_the_editions(book, tmp_path):
    build(book, tmp_path / "before")
    metadata = book / "metadata.yaml"
    metadata.write_text(metadata.read_text().replace("date: 2026-01-02", "date: 2026-03-04"))
    (book / "styles").mkdir()
    (book / "styles" / "book.css").write_text(".part-title { letter-spacing: 0.02em; }\n")
    build(book, tmp_path / "after")
    with zipfile.ZipFile(tmp_path / "after" / EDITIONS[0]) as epub:
        assert "2026-03-04" in epub.read("EPUB/content.opf").decode()
        assert "letter-spacing: 0.02em" in epub.read("EPUB/style/book.css").decode()


def test_pdf_styles_and_title_changes_reach_laid_out_chapters(book, tmp_path):
    """Chapters' layouts are cached: the book's own pdf.css and its title must reach them."""
    (book / "styles").mkdir()
    (book / "styles" / "pdf.css").write_text("/* the theme as it is */\n")
    build(book, tmp_path / "before")
    (book / "styles" / "pdf.css").write_text('a.xref::after { content: " (see page " attr(data-page) ")"; }\n')
    build(book, tmp_path / "restyled")
    assert "(see page " in " ".join(pdf_page_texts(tmp_path / "restyled" / EDITIONS[1]))
    metadata = book / "metadata.yaml"
    metadata.write_text(metadata.read_text().replace("title: Cross references", "title: Crossed wires"))
    build(book, tmp_path / "retitled")
    texts = " ".join(pdf_page_texts(tmp_path / "retitled" / "crossed-wires-print.pdf"))
    assert "Crossed wires" in texts and "Cross references" not in texts  # running heads, title pages


def test_page_references_follow_an_edit_that_moves_later_chapters(book, tmp_path):
    build(book, tmp_path / "before")
    before = pdf_destinations(tmp_path / "before" / EDITIONS[1])["c012"]
    chapter = book / "manuscript" / "07-seventh.md"
    extra = "\n\n".join(f"An added paragraph {n}, long enough to need most of a line or two on the page "
                        f"so that the chapters after this one move on by a few pages." for n in range(40))
    chapter.write_text(chapter.read_text().replace("## Final thoughts", extra + "\n\n## Final thoughts"))
    build(book, tmp_path / "after")
    pdf = tmp_path / "after" / EDITIONS[1]
    destinations, labels = pdf_destinations(pdf), pdf_page_labels(pdf)
    assert destinations["c012"] > before
    first = " ".join(pdf_page_texts(pdf)[destinations["c001"] - 1: destinations["c001"] + 2])
    printed = re.search(r"12\. Twelfth \(page (\w+)\)", first).group(1)
    assert printed == labels[destinations["c012"] - 1]


# --- a cache that cannot execute, and cannot be planted ----------------------------------

KINDS = {"builds", "cover", "epub-covers", "epub-fonts", "font-programs", "pagemap", "parse", "print-pages", "screen-pages", "segments",
         "typography"}


def hostile_pickle(marker):
    """A pickle that creates ``marker`` when it is loaded, as a planted one would run a command."""

    class Plant:
        def __reduce__(self):
            return pathlib.Path.touch, (marker,)

    return pickle.dumps(Plant())


def cache_files(book):
    return sorted(path for path in (book / ".cache").rglob("*") if path.is_file())


def clean_build(book, out):
    shutil.rmtree(book / ".cache", ignore_errors=True)
    return build(book, out)


def as_another_user(tmp_path, *command):
    """Run ``command`` (Python's arguments) as someone with a cache secret of their own:
    whoever made a downloaded project, a committed .cache or a shared folder."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "another-user"), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, *map(str, command)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr


def test_a_planted_pickle_in_every_cache_file_runs_no_code(book, tmp_path):
    build(book, tmp_path / "first")
    marker = tmp_path / "planted-code-ran"
    planted = cache_files(book)
    assert {path.relative_to(book / ".cache").parts[0] for path in planted} == KINDS
    for path in planted:
        path.write_bytes(hostile_pickle(marker))
    checked = run_build("check", "--book", book)
    assert checked.returncode == 0, checked.stderr
    assert not marker.exists()
    built = build(book, tmp_path / "planted")
    assert not marker.exists()
    assert built == clean_build(book, tmp_path / "clean")


@pytest.mark.parametrize("kind", ["builds", "parse"])
def test_an_entry_made_with_another_secret_is_ignored(book, tmp_path, kind):
    """Well-formed entries, at the keys this book's build looks up, that would change its
    editions (every edition replaced; every chapter given a paragraph), written by someone
    else's toolchain, are not used."""
    as_another_user(tmp_path, REPO / "build.py", "--book", book, "--out", tmp_path / "theirs")
    prelude = "import dataclasses, shutil, sys\nfrom pathlib import Path\nfrom bookbuild.cache import Cache\n" \
              "book = Path(sys.argv[1])\ncache = Cache(book)\n"
    as_another_user(tmp_path, "-c", prelude + textwrap.dedent({
        "builds": """
            for entry in (book / ".cache" / "builds").iterdir():
                made = cache.load("builds", entry.name)
                editions = {name: b"PLANTED" for name in made.editions}
                cache.store("builds", entry.name, dataclasses.replace(made, editions=editions, page=b"PLANTED"))
        """,
        "parse": """
            for entry in (book / ".cache" / "parse").iterdir():
                part = cache.load("parse", entry.name)
                cache.store("parse", entry.name, dataclasses.replace(part, html=part.html + "<p>PLANTED</p>"))
            shutil.rmtree(book / ".cache" / "builds")
        """,
    }[kind]), book)
    built = build(book, tmp_path / "ours")
    with zipfile.ZipFile(tmp_path / "ours" / EDITIONS[0]) as epub:
        assert not any(b"PLANTED" in epub.read(name) for name in epub.namelist())
    assert not any(b"PLANTED" in data for data in built.values())
    assert built == clean_build(book, tmp_path / "clean")


def test_a_corrupt_entry_is_a_miss(book, tmp_path):
    """A byte changed (a disk error, an editor), a file cut short, emptied or run on: the
    next build is what a clean build gives."""
    build(book, tmp_path / "first")
    damage = [
        lambda data: data[:len(data) // 2] + bytes([data[len(data) // 2] ^ 0x20]) + data[len(data) // 2 + 1:],
        lambda data: data[:len(data) // 2],
        lambda data: b"",
        lambda data: data + b"\0junk",
    ]
    for n, path in enumerate(cache_files(book)):
        # The last build's editions with one byte changed, at least.
        damaged = damage[0] if path.parent.name == "builds" else damage[n % len(damage)]
        path.write_bytes(damaged(path.read_bytes()))
    assert build(book, tmp_path / "after") == clean_build(book, tmp_path / "clean")


def test_links_and_pipes_planted_in_the_cache_are_neither_followed_nor_read(book, tmp_path):
    """A folder of entries replaced by a link to somewhere else (the build would write there,
    and delete what it does not know), entries replaced by pipes (reading one never ends)
    and by links to a file outside."""
    build(book, tmp_path / "first")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("the author's own file")
    shutil.rmtree(book / ".cache" / "parse")
    (book / ".cache" / "parse").symlink_to(elsewhere, target_is_directory=True)
    for path in (book / ".cache" / "builds").iterdir():
        path.unlink()
        os.mkfifo(path)
    for path in (book / ".cache" / "segments").iterdir():
        path.unlink()
        path.symlink_to(elsewhere / "precious.txt")
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "--book", str(book), "--out", str(tmp_path / "after")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [path.name for path in elsewhere.iterdir()] == ["precious.txt"]
    assert (elsewhere / "precious.txt").read_text() == "the author's own file"
    after = {path.name: path.read_bytes() for path in (tmp_path / "after").iterdir()}
    assert after == clean_build(book, tmp_path / "clean")


def test_the_secret_is_the_users_made_once_and_readable_by_them_alone(book, tmp_path):
    home = tmp_path / "another-user"
    as_another_user(tmp_path, REPO / "build.py", "--book", book, "--formats", "epub", "--out", tmp_path / "out")
    secret = home / "bookbuild" / "secret"
    assert secret.stat().st_mode & 0o777 == 0o600 and len(secret.read_bytes()) == 32
    first = secret.read_bytes()
    as_another_user(tmp_path, REPO / "build.py", "--book", book, "--formats", "epub", "--out", tmp_path / "out")
    assert secret.read_bytes() == first
    assert not [path for path in book.rglob("*") if path.is_file() and first in path.read_bytes()]


# --- every value the build stores comes back exactly ------------------------------------------


def same(a, b):
    """Equal, and of the same types all the way down (a tuple is not a list)."""
    if type(a) is not type(b):
        return False
    if dataclasses.is_dataclass(a):
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


def test_every_kind_of_value_comes_back_exactly(tmp_path):
    from bookbuild.cache import Cache
    from bookbuild.downloads import Edition
    from bookbuild.editions.typeset import SegmentLayout
    from bookbuild.model import Heading, ParsedPart, PartKind, SourceFile, error, warning
    from bookbuild.pagemap import PageStart
    from bookbuild.pipeline import BuildResult
    from bookbuild.model import Report

    source = SourceFile("manuscript/front/предисловие.md", PartKind.FRONT, "front-1a2b3c4d", None, "Предисловие",
                        "Body \u2014 text\n", 4, draft=False, image_line=1)
    values = [
        ParsedPart(source, "<p>x</p>", (Heading(2, "глава", "Глава"),), frozenset({"глава", "b"}), (), (),
                   (warning("a.md", 1, 2, "careful"),)),
        SegmentLayout(3, {"c001": 0, "c001-x": 2}, (PageStart(1, "c001", 0, "First words", "1"),), b"%PDF-1.7\0\xff",
                      ("a warning",), frozenset({1})),
        SegmentLayout(1, {}, (), None, (), frozenset()),
        BuildResult((tmp_path / "a.pdf",), (error("x.md", 3, 4, "bad"),), ("note",), (Report("a.pdf", ["ok"], [], []),),
                    ("done",), {"a.epub": b"PK", "b.pdf": b""}, (Edition("a.epub", "epub", 2, None, "00"),),
                    {"a.epub": 0.25}, b"<html>", False),
        {"c001": (3, {"c001": 0}), "c002": (1, {})},  # the last layout's page map
        ["“Curly” title", "Ada — Lane"],  # the metadata's typography
        {1: None, (2, "x"): [1.5, float("inf"), -0.0, True, 10**30]},
    ]
    cache = Cache(tmp_path, secret=b"k" * 32)
    for n, value in enumerate(values):
        cache.store("test", str(n), value)
        assert same(cache.load("test", str(n)), value), value
    assert b"pickle" not in b"".join(path.read_bytes() for path in (tmp_path / ".cache" / "test").iterdir())
    assert Cache(tmp_path, secret=b"x" * 32).load("test", "0") is None  # someone else's secret
    with pytest.raises(TypeError, match="cannot hold"):
        cache.store("test", "bad", object())


def test_every_class_the_build_stores_may_be_held(tmp_path):
    """Walks the fields of what the build stores: a class added to them must be added to
    the cache's list, or storing it fails."""
    import typing

    from bookbuild import cache
    from bookbuild.editions.typeset import SegmentLayout
    from bookbuild.model import ParsedPart
    from bookbuild.pipeline import BuildResult

    found, todo = set(), [ParsedPart, SegmentLayout, BuildResult]
    while todo:
        hint = todo.pop()
        if isinstance(hint, type) and (dataclasses.is_dataclass(hint) or issubclass(hint, enum.Enum)):
            if hint not in found:
                found.add(hint)
                if dataclasses.is_dataclass(hint):
                    todo.extend(typing.get_type_hints(hint).values())
        else:
            todo.extend(typing.get_args(hint))
    held = set(cache._cacheable_classes().values())
    assert found - held == set()

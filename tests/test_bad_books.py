"""Bad books: each fixture in tests/books/bad/ has one defect an author could make.

`build.py check` must exit 1 and print every problem as
`path:line:col: error: message` (paths relative to the book folder), the message
saying what to fix, and never a traceback. A failed *build* writes nothing.
Wrong usage exits 2.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass

import pytest

from conftest import BOOKS, REPO, run_build

BAD = BOOKS / "bad"


@dataclass(frozen=True)
class Expected:
    """One error line: it starts with ``prefix`` and contains every phrase."""

    prefix: str
    phrases: tuple[str, ...]


def E(prefix: str, *phrases: str) -> Expected:
    return Expected(prefix, phrases)


# case -> every error `check` must print for it (and no others).
CASES: dict[str, tuple[Expected, ...]] = {
    # line 2 is `subtitle: Part two: the sequel`: the second colon is at column 19
    "bad-yaml": (E("metadata.yaml:2:19: error:", "invalid YAML", "mapping values are not allowed here"),),
    "metadata-missing-keys": (
        E("metadata.yaml:1:1: error:", "`title` is required", "add `title: ...`"),
        E("metadata.yaml:1:1: error:", "`author` is required", "a name, or a list of names"),
        E("metadata.yaml:1:1: error:", "`language` is required", "add `language: ...`"),
    ),
    "bad-language": (E("metadata.yaml:3:1: error:", "`language: english please`", "is not a BCP 47 tag", "en-GB"),),
    # line 4 is `isbn: {epub: 9780000000000}` (the check digit should be 2)
    "bad-isbn": (E("metadata.yaml:4:8: error:", "`isbn.epub: 9780000000000`", "not a valid ISBN-13", "check the digits"),),
    # line 4 is `isbn: {epub: 977-0-00-000000-3, print: ...}`: a valid check digit, but 977 is for serials
    "isbn-prefix": (E("metadata.yaml:4:8: error:", "`isbn.epub: 977-0-00-000000-3`", "not an ISBN-13", "978 or 979"),),
    "unknown-language": (E("metadata.yaml:3:1: error:", "`language: zz`", "no registered language", "en-GB"),),
    # YAML 1.1 reads yes/no/on/off as true/false: each is reported at its key, with the quotes to add
    "yaml-booleans": (
        E("metadata.yaml:1:1: error:", "`title: yes`", "true, not text", 'put the value in quotes: `title: "yes"`'),
        E("metadata.yaml:2:1: error:", "`author: on`", "true, not text", 'put the value in quotes: `author: "on"`'),
        E("metadata.yaml:3:1: error:", "`language: no`", "false, not text", 'put the value in quotes: `language: "no"`'),
        E("metadata.yaml:4:23: error:", "`subjects: off`", "false, not text", 'put the value in quotes: `"off"`'),
        E("manuscript/001-one.md:3:1: error:", "`subtitle: No`", "false, not text", '`subtitle: "No"`'),
    ),
    "no-front-matter": (E("manuscript/002-bare.md:1:1: error:", "no front matter", "start the file with `---`", "`title: ...`"),),
    "unterminated-front-matter": (E("manuscript/002-open.md:1:1: error:", "front matter is not closed", "add a `---` line"),),
    "no-title": (E("manuscript/002-untitled.md:1:1: error:", "no `title`", "add `title: ...`"),),
    # line 3 of the file is `subtitle: one: two`: the second colon is at column 14
    "bad-front-matter-yaml": (E("manuscript/002-broken.md:3:14: error:", "invalid YAML", "mapping values are not allowed here"),),
    # line 5 is b"One coffee at the caf\xe9, please.": the byte 0xE9 is at column 22
    "non-utf8": (E("manuscript/002-latin1.md:5:22: error:", "not UTF-8", "save it as UTF-8"),),
    "duplicate-numbers": (
        E("manuscript/12-b.md:1:1: error:", "chapter number 12 is used twice", "manuscript/012-a.md", "renumber one of them"),
    ),
    "unnumbered": (E("manuscript/notes.md:1:1: error:", "`notes.md` is not a numbered chapter", "name it NNN-slug.md", "move it out of manuscript/"),),
    "empty-manuscript": (E("manuscript:1:1: error:", "no chapters found", "NNN-slug.md"),),
}

# tests/books/bad/broken-refs/manuscript/001-a.md: each reference is alone on its
# line, at a known column; every one must be reported in the same run.
BROKEN_REFS: tuple[Expected, ...] = (
    E("manuscript/001-a.md:7:5: error:", "no chapter 145", "[[145]]"),
    E("manuscript/001-a.md:9:5: error:", "no section `#nowhere` in chapter 2", "[[2#nowhere]]"),
    E("manuscript/001-a.md:11:6: error:", "no section `#nope` in chapter 2", "002-b.md#nope"),
    E("manuscript/001-a.md:13:6: error:", "no section `#missing-here`", "#missing-here"),
    E("manuscript/001-a.md:15:8: error:", "no image file", "images/missing.png"),
    E("manuscript/001-a.md:17:8: error:", "remote image", "https://example.com/x.png", "download it into the book folder"),
    E("manuscript/001-a.md:19:9: error:", "outside the book folder", "../../outside.png", "copy it into the book"),
)
CASES["broken-refs"] = BROKEN_REFS
# Twenty problems in ten files, of several kinds: all reported in one run.
CASES["twenty-problems"] = tuple(
    expected
    for n in range(1, 11)
    for expected in (
        (E("manuscript/04-chapter.md:1:1: error:", "front matter has no `title`"),
         E("manuscript/04-chapter.md:5:5: error:", "no section `#nowhere` in chapter 1")) if n == 4 else
        (E("manuscript/08-chapter.md:7:10: error:", "id `twice` is used twice"),
         E("manuscript/08-chapter.md:9:1: error:", "remote image `https://example.com/p.png`")) if n == 8 else
        (E(f"manuscript/{n:02d}-chapter.md:5:5: error:", f"no chapter {900 + n}", f"[[{900 + n}]]"),
         E(f"manuscript/{n:02d}-chapter.md:7:1: error:", "no image file", f"images/none-{n:02d}.png"))
    )
)
# Explicit ids clash inside one chapter (the same id in another chapter is fine).
CASES["duplicate-ids"] = (E("manuscript/001-twice.md:9:11: error:", "id `care` is used twice", "give one of them another {#id}"),)
# Images that are never read: a file: URL, an absolute path, a file that is no image,
# and a symlink leading out of the book.
CASES["image-kinds"] = (
    E("manuscript/001-pictures.md:7:1: error:", "file: URLs are not allowed", "relative to the Markdown file"),
    E("manuscript/001-pictures.md:11:1: error:", "absolute path `/etc/hostname`", "inside the book folder"),
    E("manuscript/001-pictures.md:15:1: error:", "`images/notes.png` is not an image", "PNG, JPEG"),
    E("manuscript/001-pictures.md:19:1: error:", "a link to a file outside the book folder", "copy the file in"),
)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ": error: " in line]


def assert_no_traceback(process: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in process.stdout, process.stdout
    assert "Traceback" not in process.stderr, process.stderr
    assert "internal error" not in process.stderr, process.stderr


def assert_errors(process: subprocess.CompletedProcess, expected: tuple[Expected, ...], summary: str = "nothing was written") -> None:
    """Every expected error is printed once, on its own line, and no other error is; then
    the count (a build adds "nothing was written"; check, which never writes, "found")."""
    lines = error_lines(process.stderr)
    unmatched = list(lines)
    for want in expected:
        hits = [line for line in unmatched if line.startswith(want.prefix) and all(p in line for p in want.phrases)]
        assert hits, f"expected a line starting {want.prefix!r} containing {want.phrases!r}; stderr was:\n{process.stderr}"
        unmatched.remove(hits[0])
    assert not unmatched, f"unexpected errors: {unmatched}\nstderr was:\n{process.stderr}"
    count = len(expected)
    ending = f": {summary}" if summary != "found" else " found"
    assert process.stderr.rstrip().endswith(f"{count} error{'s' if count != 1 else ''}{ending}"), process.stderr


@pytest.mark.parametrize("case", sorted(CASES))
def test_check_reports_the_defect(case: str) -> None:
    process = run_build("check", "--book", BAD / case)
    assert_no_traceback(process)
    assert process.returncode == 1, (process.stdout, process.stderr)
    assert_errors(process, CASES[case], summary="found")
    assert "no errors" not in process.stdout


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_build_refuses_each_bad_book_with_the_errors_check_reports(case: str, tmp_path) -> None:
    """check and build agree: every error check reports, the build reports (all three
    editions asked for), at the same line, and writes nothing."""
    process = run_build("--book", BAD / case, "--out", tmp_path / "out")
    assert_no_traceback(process)
    assert process.returncode == 1, (process.stdout, process.stderr)
    assert_errors(process, CASES[case])
    assert not (tmp_path / "out").exists()


def test_every_fixture_has_a_test() -> None:
    folders = {p.name for p in BAD.iterdir() if p.is_dir()}
    assert folders == set(CASES) | {"bom"}


def test_non_utf8_fixture_really_holds_a_latin1_byte_on_line_5() -> None:
    raw = (BAD / "non-utf8" / "manuscript" / "002-latin1.md").read_bytes()
    line5 = raw.split(b"\n")[4]
    assert line5.index(b"caf\xe9") + len(b"caf") + 1 == 22
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


def test_chapter_with_a_bom_builds() -> None:
    raw = (BAD / "bom" / "manuscript" / "001-bom.md").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf---\n")
    process = run_build("check", "--book", BAD / "bom")
    assert_no_traceback(process)
    assert process.returncode == 0, process.stderr
    assert error_lines(process.stderr) == []
    assert "2 chapters, no errors" in process.stdout


def test_failed_build_reports_everything_and_writes_nothing(tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    old = bytes(range(256)) * 4
    (out / "old.epub").write_bytes(old)
    book = BAD / "broken-refs"

    process = run_build("--book", book, "--out", out)

    assert_no_traceback(process)
    assert process.returncode == 1, (process.stdout, process.stderr)
    assert_errors(process, BROKEN_REFS)
    assert (out / "old.epub").read_bytes() == old
    assert sorted(p.name for p in out.iterdir()) == ["old.epub"]
    assert not (book / "dist").exists()


def test_unknown_format_is_wrong_usage(tmp_path) -> None:
    # A valid book as the current folder: only the option is wrong.
    book = tmp_path / "book"
    shutil.copytree(BAD / "bom", book)
    process = run_build("--formats", "nonsense", cwd=book)
    assert_no_traceback(process)
    assert process.returncode == 2, (process.stdout, process.stderr)
    assert "usage:" in process.stderr
    assert "nonsense" in process.stderr
    assert not (book / "dist").exists()


@pytest.mark.parametrize("command", [(), ("check",)], ids=["build", "check"])
def test_missing_book_folder_is_wrong_usage(command: tuple[str, ...]) -> None:
    process = run_build(*command, "--book", "/nonexistent")
    assert_no_traceback(process)
    assert process.returncode == 2, (process.stdout, process.stderr)
    assert "usage:" in process.stderr
    assert "/nonexistent" in process.stderr


def write_huge_png(path, width: int, height: int) -> None:
    """A valid grey PNG of width x height pixels, streamed so that writing it needs no memory."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)))
        for _ in range(height // 100):
            out.write(chunk(b"IDAT", compressor.compress(row * 100)))
        out.write(chunk(b"IDAT", compressor.flush()) + chunk(b"IEND", b""))


def test_huge_image_is_refused_without_decoding_it(tmp_path) -> None:
    """A 400-megapixel PNG (400 MB of pixels once decoded, 400 KB on disk): refused from its
    header, so `check` stays far below the memory its pixels would take."""
    book = tmp_path / "book"
    shutil.copytree(BAD / "bom", book)
    images = book / "manuscript" / "images"
    images.mkdir()
    write_huge_png(images / "huge.png", 20000, 20000)
    chapter = book / "manuscript" / "003-huge.md"
    chapter.write_text("---\ntitle: Huge\n---\n\n![A very large grey square](images/huge.png)\n", encoding="utf-8")
    peak_mb, process = peak_memory_of([sys.executable, str(REPO / "build.py"), "check", "--book", str(book)])
    assert_no_traceback(process)
    assert process.returncode == 1
    assert_errors(process, (E("manuscript/003-huge.md:5:1: error:", "20000x20000 pixels", "scale it down"),), summary="found")
    assert peak_mb < 200, f"check took {peak_mb:.0f} MB: the pixels were decoded"


def peak_memory_of(command: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    """Run ``command`` from a fresh interpreter, so that its children's peak resident memory
    (in MB) is this command's alone."""
    measure = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "sys.stderr.write(done.stderr); sys.stdout.write(done.stdout); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.returncode)")
    process = subprocess.run([sys.executable, "-c", measure, *command], capture_output=True, text=True, timeout=600)
    *shown, last = process.stdout.rstrip("\n").split("\n")
    peak_kb, returncode = map(int, last.split())
    return peak_kb / 1024, subprocess.CompletedProcess(command, returncode, "\n".join(shown), process.stderr)


def test_all_problems_come_in_one_run_sorted_by_file_and_line() -> None:
    process = run_build("check", "--book", BAD / "twenty-problems")
    lines = error_lines(process.stderr)
    assert len(lines) == 20
    positions = [(line.split(":")[0], int(line.split(":")[1]), int(line.split(":")[2])) for line in lines]
    assert positions == sorted(positions)
    assert len({path for path, _, _ in positions}) == 10


def test_an_enormous_chapter_builds_within_the_memory_budget(tmp_path) -> None:
    """5 MB of prose in one chapter: checked and built as an EPUB in under 600 MB."""
    book = tmp_path / "book"
    shutil.copytree(BAD / "bom", book)
    paragraph = ("An ordinary sentence of an enormous chapter, written to see the build hold its memory. " * 6).strip()
    sections = "\n\n".join(f"## Part {n}\n\n" + "\n\n".join([paragraph] * 20) for n in range(1, 500))
    body = "---\ntitle: Enormous\n---\n\n" + sections + "\n"
    assert len(body.encode()) > 5_000_000
    (book / "manuscript" / "003-enormous.md").write_text(body, encoding="utf-8")
    # A fresh interpreter runs the build, so its children's peak is this build's alone.
    measure = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.returncode)")
    process = subprocess.run(
        [sys.executable, "-c", measure, sys.executable, str(REPO / "build.py"), "--book", str(book),
         "--out", str(tmp_path / "out"), "--formats", "epub"], capture_output=True, text=True, timeout=600)
    peak_kb, returncode = map(int, process.stdout.split()[-2:])
    assert_no_traceback(process)
    assert returncode == 0, process.stderr
    [epub] = (tmp_path / "out").glob("*.epub")
    assert epub.stat().st_size > 100_000
    assert peak_kb / 1024 < 600, f"peak {peak_kb / 1024:.0f} MB"

"""What a build tells: --json, --quiet, progress on a terminal, result lines, drafts
marked as drafts, and hints for names that are nearly right."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import pikepdf
import pytest
from conftest import BOOKS, REPO, copy_book, epub_xhtml, pdf_page_texts, run_build, text_of

PROBLEM_KEYS = ["path", "line", "col", "severity", "message"]


def epub_page_list(epub) -> int | None:
    """Entries of the EPUB's page-list (the print edition's pages): what --json counts as its pages."""
    nav = epub_xhtml(epub, "nav.xhtml")
    found = nav.xpath("//x:nav[@epub:type='page-list']//x:a", namespaces={
        "x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"})
    return len(found) or None


def test_json_describes_the_files_written(new_book):
    book, built = new_book
    result = json.loads(built.stdout)  # the whole of stdout is one JSON object
    assert list(result) == ["ok", "editions", "problems", "seconds"]
    assert result["ok"] is True and result["problems"] == []
    assert isinstance(result["seconds"], float) and 0 < result["seconds"] < 120
    assert [e["format"] for e in result["editions"]] == ["epub", "print", "screen", "cover"]
    for edition in result["editions"]:
        assert list(edition) == ["path", "format", "bytes", "pages", "sha256"]
        path = book / "dist" / os.path.basename(edition["path"])
        assert os.path.samefile(edition["path"], path)
        data = path.read_bytes()
        assert edition["bytes"] == len(data)
        assert edition["sha256"] == hashlib.sha256(data).hexdigest()
        if edition["format"] == "epub":
            assert edition["pages"] == epub_page_list(path)
        else:
            with pikepdf.open(path) as pdf:
                assert edition["pages"] == len(pdf.pages)
    with pikepdf.open(book / "dist" / "salt-light-notes-print.pdf") as pdf:
        assert result["editions"][0]["pages"] == len(pdf.pages)  # the page-list has every printed page


def test_json_of_a_failing_book_lists_its_problems(tmp_path):
    out = tmp_path / "dist"
    done = run_build("--book", BOOKS / "bad" / "broken-refs", "--out", out, "--json")
    assert done.returncode == 1
    result = json.loads(done.stdout)
    assert result["ok"] is False and result["editions"] == []
    assert result["problems"] and all(list(p) == PROBLEM_KEYS for p in result["problems"])
    first = result["problems"][0]
    assert isinstance(first["line"], int) and isinstance(first["col"], int)
    assert {p["severity"] for p in result["problems"]} <= {"error", "warning"}
    assert "error" in {p["severity"] for p in result["problems"]}
    assert not out.exists()


def test_json_without_editions_for_an_epub_alone(tmp_path):
    book = copy_book("refs", tmp_path / "book")
    done = run_build("--book", book, "--formats", "epub", "--json")
    assert done.returncode == 0, done.stderr
    [edition] = json.loads(done.stdout)["editions"]
    assert (edition["format"], edition["pages"]) == ("epub", None)  # no print layout: no page-list
    assert "no page-list" in done.stderr  # the note is human text: stderr


def test_quiet_prints_only_problems(tmp_path):
    book = copy_book("no-alt", tmp_path / "book")
    done = run_build("--book", book, "--formats", "epub", "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr and all(": warning: " in line or line.startswith("warning") or line.startswith("note")
                               for line in done.stderr.splitlines())


def test_result_lines_and_no_progress_display_in_a_log(refs):
    out = refs.process.stdout
    for name in ("cross-references.epub", "cross-references-print.pdf", "cross-references-screen.pdf"):
        line = next(line for line in out.splitlines() if name in line and not line.startswith("preflight"))
        assert re.fullmatch(rf"wrote \S+/{name} +\d+ KB +\d+ pages +\d+\.\d s", line), line
    assert re.search(r"^wrote \S+/index.html +download page$", out, re.MULTILINE)
    assert "lay out pages" not in out and "\x1b[" not in out  # no progress display, no colour


def test_progress_is_shown_on_a_terminal_and_a_no_op_rebuild_shows_the_preflight(tmp_path):
    book = copy_book("refs", tmp_path / "book")
    controller, terminal = os.openpty()
    try:
        process = subprocess.Popen([sys.executable, str(REPO / "build.py"), "--book", str(book)],
                                   stdout=terminal, stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "120"})
        os.close(terminal)
        seen = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the build ended and closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        process.wait(timeout=120)
    finally:
        os.close(controller)
    text = seen.decode("utf-8", "replace")
    assert process.returncode == 0, process.stderr.read()
    for stage in ("read the chapters", "lay out pages", "finish the PDFs", "check the PDFs", "write the EPUB"):
        assert stage in text, text
    again = run_build("--book", book)
    assert "nothing changed since the last build" in again.stdout
    assert "preflight cross-references-print.pdf:" in again.stdout and "ok   no transparency" in again.stdout
    assert "from .cache" in again.stdout


@pytest.fixture(scope="module")
def drafts(tmp_path_factory):
    out = tmp_path_factory.mktemp("drafts")
    done = run_build("--book", BOOKS / "refs", "--out", out, "--drafts")
    assert done.returncode == 0, done.stderr
    return out


def test_a_drafts_build_is_marked_as_a_draft(drafts):
    assert sorted(p.name for p in drafts.iterdir()) == [
        ".bookbuild-written", "cross-references-draft-cover.pdf", "cross-references-draft-print.pdf",
        "cross-references-draft-screen.pdf", "cross-references-draft.epub", "index.html"]
    title_page = epub_xhtml(drafts / "cross-references-draft.epub", "front-title-page.xhtml")
    mark = next(title_page.iter("{http://www.w3.org/1999/xhtml}p"))  # the first line, above the title
    assert (mark.get("class"), mark.text, mark.getnext().get("class")) == ("draft-mark", "Draft: not for publication", "book-title")
    texts = pdf_page_texts(drafts / "cross-references-draft-print.pdf")
    assert any("draft: not for publication" in text.lower() for text in texts[:4])  # set in capitals
    assert sum("Cross references (draft)" in text for text in texts) >= 2  # running heads of left-hand pages
    assert "Draft: not for publication" in (drafts / "index.html").read_text(encoding="utf-8")


def test_a_final_build_has_no_draft_marks(refs):
    assert "Draft" not in text_of(epub_xhtml(refs.epub, "front-title-page.xhtml"))
    assert not any("(draft)" in text for text in pdf_page_texts(refs.print_pdf))


def test_names_that_are_nearly_right_get_a_hint(tmp_path):
    book = copy_book("refs", tmp_path / "book")
    metadata = book / "metadata.yaml"
    metadata.write_text(metadata.read_text().replace("date:", "descripton: A book\ndate:")
                        .replace("  marks: crop", "  marks: crop\n  blead: 3mm"), encoding="utf-8")
    first = book / "manuscript" / "1-first.md"
    text = first.read_text().replace("[[12#final-thoughts]]", "[[12#final-thougts]]")
    first.write_text(text.replace("---\n", "---\nsubtitel: Where it starts\n", 1), encoding="utf-8")
    done = run_build("check", "--book", book)
    assert done.returncode == 1
    assert "unknown key `descripton` is ignored (did you mean `description`?)" in done.stderr
    assert "unknown key `print.blead` is ignored (did you mean `print.bleed`?)" in done.stderr
    assert "unknown front matter key `subtitel` is ignored (did you mean `subtitle`?)" in done.stderr
    assert ("no section `#final-thougts` in chapter 12 (referenced as [[12#final-thougts]]) "
            "(did you mean `#final-thoughts`?)") in done.stderr
    assert done.stderr.rstrip().endswith("1 error found")


PROBLEM_LINE = re.compile(r"^(\S+):(\d+):(\d+): (error|warning): (.+)$")


def printed_problems(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if PROBLEM_LINE.match(line)]


def as_printed(problem: dict) -> str:
    return f"{problem['path']}:{problem['line']}:{problem['col']}: {problem['severity']}: {problem['message']}"


def test_every_warning_a_build_prints_is_in_its_json_on_clean_and_cached_builds(tmp_path):
    """A book warning (an image without alt text) and a preflight warning (the same image, below 300 ppi
    in print): printed by a plain and a --quiet build, and in --json's problems, whether the
    build is made or comes from .cache. Problem paths are relative to the book folder, as printed."""
    book = copy_book("no-alt", tmp_path / "book")
    out = tmp_path / "out"
    plain = run_build("--book", book, "--out", out)
    assert plain.returncode == 0, plain.stderr
    warnings = printed_problems(plain.stderr)
    assert any(line.startswith("manuscript/01-pictures.md:7:1: warning: no alt text") for line in warnings), plain.stderr
    resolution = next((line for line in warnings if line.startswith(
        "metadata.yaml:1:1: warning: preflight of missing-descriptions-print.pdf: image on page")), None)
    assert resolution is not None and " ppi (" in resolution, plain.stderr
    ppi = resolution.split(" prints at ")[1].split(" ppi")[0]
    assert plain.stderr.count(f"{ppi} ppi") == 1  # once, as a problem, not again beside the preflight's report
    for label, args in (("cached", ()), ("quiet", ("--quiet",))):
        again = run_build("--book", book, "--out", out, *args)
        assert printed_problems(again.stderr) == warnings, label
    cached = run_build("--book", book, "--out", out, "--json")
    assert "nothing changed" not in cached.stdout
    assert [as_printed(p) for p in json.loads(cached.stdout)["problems"]] == warnings
    shutil.rmtree(book / ".cache")
    clean = run_build("--book", book, "--out", out, "--json")
    assert [as_printed(p) for p in json.loads(clean.stdout)["problems"]] == warnings
    assert printed_problems(clean.stderr) == []  # in JSON, the problems are in the object alone

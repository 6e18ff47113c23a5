"""Lays out the book the fast PDF tests share, once, and keeps what the PDF steps take in.

Run as a program (``python tests/unit/make_inputs.py FOLDER``) so that it imports the
toolchain as installed from the repository, never a mutated copy of it: the inputs are
what the real layout makes, whichever mutant the tests are judging.

The book is tests/books/refs with its picture in a second chapter too (so that two
segments bring the same image). Written into FOLDER:

- ``segment-N.pdf``, ``decoration-N.pdf``: each segment as laid out (its page numbers
  filled in) and its folios and running heads, what ``finishing`` is given, and
  ``finish.json``: each segment's blank pages and links, which segments an empty page
  goes before, the folios of the book's pages and of the printed book, the print
  settings;
- ``print.pdf``, ``screen.pdf``: the editions the build wrote.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import tempfile
from pathlib import Path

from bookbuild import pipeline
from bookbuild.editions import pdf

REFS = Path(__file__).resolve().parent.parent / "books" / "refs"


def make(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    real_finished, real_join_print = pdf.Finished, pdf.join_print

    def finished(cache, jobs, editions, press):
        for n, job in enumerate(jobs):
            (folder / f"segment-{n}.pdf").write_bytes(job.text)
            (folder / f"decoration-{n}.pdf").write_bytes(job.decoration)
        (folder / "jobs.json").write_text(json.dumps({"blank_pages": [sorted(job.blank_pages) for job in jobs],
                                                      "links": [list(map(list, job.links)) for job in jobs],
                                                      "settings": dataclasses.asdict(press.settings)}))
        return real_finished(cache, jobs, editions, press)

    def join_print(parts, blank_before, labels, shell, press, program):
        given = json.loads((folder / "jobs.json").read_text())
        given.update(blank_before=list(blank_before), printed=list(labels))
        (folder / "finish.json").write_text(json.dumps(given))
        return real_join_print(parts, blank_before, labels, shell, press, program)

    pdf.Finished, pdf.join_print = finished, join_print
    with tempfile.TemporaryDirectory(prefix="mutation-inputs-") as temp:
        book = Path(temp) / "book"
        shutil.copytree(REFS, book, ignore=shutil.ignore_patterns(".cache", "dist"))
        twelfth = book / "manuscript" / "0012-twelfth.md"
        twelfth.write_text(twelfth.read_text(encoding="utf-8")
                           + "\n![The same translucent ellipse, again](images/translucent.png)\n", encoding="utf-8")
        # One worker: the fakes above are this process's; the editions are written in forked copies of it.
        pipeline.build(pipeline.BuildOptions(book, Path(temp) / "dist", formats=("print", "screen"), jobs=1))
        for name in ("print", "screen"):
            shutil.copy(Path(temp) / "dist" / f"cross-references-{name}.pdf", folder / f"{name}.pdf")


if __name__ == "__main__":
    make(Path(sys.argv[1]))

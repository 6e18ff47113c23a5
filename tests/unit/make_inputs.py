"""Lays out the book the fast PDF tests share, once, and keeps what the PDF steps take in.

Run as a program (``python tests/unit/make_inputs.py FOLDER``) so that it imports the
toolchain as installed from the repository, never a mutated copy of it: the inputs are
what the real layout makes, whichever mutant the tests are judging.

The book is tests/books/refs with its picture in a second chapter too (so that two
segments bring the same image). Written into FOLDER:

- ``segment-N.pdf``, ``decoration-N.pdf``: what ``pdfjoin.join`` is given, and
  ``join.json`` (which segments an empty page goes before, the folios);
- ``joined.pdf``: what it made;
- ``press.json``: the trim, bleed, marks and target, and the printed folios, as
  ``pdfx.press_ready`` was given them;
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
    real_join, real_press_ready = pdf.join, pdf.press_ready

    def join(segments, decorations, blank_before, labels):
        for n, (segment, decoration) in enumerate(zip(segments, decorations)):
            (folder / f"segment-{n}.pdf").write_bytes(segment)
            (folder / f"decoration-{n}.pdf").write_bytes(decoration)
        (folder / "join.json").write_text(json.dumps({"blank_before": list(blank_before), "labels": list(labels)}))
        joined = real_join(segments, decorations, blank_before, labels)
        (folder / "joined.pdf").write_bytes(joined)
        return joined

    def press_ready(data, settings, labels, profile):
        (folder / "press.json").write_text(json.dumps({"settings": dataclasses.asdict(settings), "labels": list(labels)}))
        return real_press_ready(data, settings, labels, profile)

    pdf.join, pdf.press_ready = join, press_ready
    with tempfile.TemporaryDirectory(prefix="mutation-inputs-") as temp:
        book = Path(temp) / "book"
        shutil.copytree(REFS, book, ignore=shutil.ignore_patterns(".cache", "dist"))
        twelfth = book / "manuscript" / "0012-twelfth.md"
        twelfth.write_text(twelfth.read_text(encoding="utf-8")
                           + "\n![The same translucent ellipse, again](images/translucent.png)\n", encoding="utf-8")
        pipeline.build(pipeline.BuildOptions(book, Path(temp) / "dist", formats=("print", "screen")))
        for name in ("print", "screen"):
            shutil.copy(Path(temp) / "dist" / f"cross-references-{name}.pdf", folder / f"{name}.pdf")


if __name__ == "__main__":
    make(Path(sys.argv[1]))
